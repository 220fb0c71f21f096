-- Did the UMKM sell more after the office acted? Per intervention, region and sector (of the UMKM,
-- from dim_umkm): the UMKM concerned and their counted orders in fct_orders, on any platform, in
-- the window days before their event date (event - 30 ... event - 1) and from it (event ... event
-- + 29). Event dates (marts contract): a program's tanggal_bergabung (even before the program's
-- start_date; the earliest when a UMKM joined one program with several merchant ids), an
-- activity's start_date (attendees; registered-but-absent UMKM count in n_registered only), the
-- first Tanggal Tayang on Lapak Ganjar. A UMKM whose merchant ids are in no enrollment has no
-- linked orders: it counts in n_umkm and in no n_active_*.
-- A table (a small aggregation) rebuilt every build from the windows of each UMKM,
-- int_intervention_windows, which recomputes only the UMKM whose orders or events changed.
{%- set window_days = var('intervention_window_days') %}
with

umkm_windows as (

    select * from {{ ref('int_intervention_windows') }}

),

summed as (

    select
        umkm_windows.intervention_type,
        umkm_windows.intervention_id,
        umkm.region_code,
        umkm.sector_code,
        sum(case when umkm_windows.is_treated then 1 else 0 end) as n_umkm,
        count(*) as n_registered,
        sum(case when umkm_windows.n_orders_before > 0 then 1 else 0 end) as n_active_before,
        sum(case when umkm_windows.n_orders_after > 0 then 1 else 0 end) as n_active_after,
        sum(umkm_windows.n_orders_before) as n_orders_before,
        sum(umkm_windows.n_orders_after) as n_orders_after,
        sum(umkm_windows.turnover_before_idr) as turnover_before_idr,
        sum(umkm_windows.turnover_after_idr) as turnover_after_idr
    from umkm_windows
    left join {{ ref('dim_umkm') }} as umkm
        on umkm_windows.umkm_key = umkm.umkm_key
    group by umkm_windows.intervention_type, umkm_windows.intervention_id, umkm.region_code, umkm.sector_code

)

select
    cast(intervention_type as {{ dbt.type_string() }}) as intervention_type,
    cast(intervention_id as {{ dbt.type_string() }}) as intervention_id,
    cast(region_code as {{ dbt.type_string() }}) as region_code,
    cast(sector_code as {{ dbt.type_string() }}) as sector_code,
    cast({{ window_days }} as integer) as window_days,
    cast(n_umkm as {{ dbt.type_bigint() }}) as n_umkm,
    cast(n_registered as {{ dbt.type_bigint() }}) as n_registered,
    cast(n_active_before as {{ dbt.type_bigint() }}) as n_active_before,
    cast(n_active_after as {{ dbt.type_bigint() }}) as n_active_after,
    cast(n_orders_before as {{ dbt.type_bigint() }}) as n_orders_before,
    cast(n_orders_after as {{ dbt.type_bigint() }}) as n_orders_after,
    cast(coalesce(turnover_before_idr, 0) as decimal(18, 2)) as turnover_before_idr,
    cast(coalesce(turnover_after_idr, 0) as decimal(18, 2)) as turnover_after_idr

from summed
