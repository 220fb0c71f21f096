-- Program turnover per month, program, region and sector (region and sector of the UMKM,
-- from dim_umkm). Only program turnover as the data contract (section 3) defines it.
-- From the small per-UMKM-month sums. Incremental: a build recomputes the months of the changed
-- orders, every month when a file feeding dim_umkm changed (any UMKM may have moved region or
-- sector; macros/incremental_recompute.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='recompute',
    incremental_predicates=["DBT_INTERNAL_DEST.month in (" ~ changed_turnover_months() ~ ")"],
    on_schema_change='fail',
) }}
-- depends_on: {{ ref('int_orders_changed') }}
-- depends_on: {{ ref('int_orders_recomputed') }}
-- depends_on: {{ ref('stg_pipeline__landing_files') }}
with

program_umkm_months as (

    select * from {{ ref('int_program_orders_summed') }}
    {%- if is_incremental() %}
    where order_month in ({{ changed_turnover_months() }})
    {%- endif %}

),

umkm as (

    select * from {{ ref('dim_umkm') }}

),

summed as (

    select
        program_umkm_months.order_month as month,
        program_umkm_months.program_id,
        umkm.region_code,
        umkm.sector_code,
        count(distinct program_umkm_months.umkm_key) as n_active_umkm,
        sum(program_umkm_months.n_orders) as n_orders,
        sum(program_umkm_months.turnover_idr) as turnover_idr,
        sum(case
            when coalesce(program_umkm_months.buyer_country <> 'ID', false)
                then program_umkm_months.turnover_idr
            else 0
        end) as turnover_foreign_idr

    from program_umkm_months
    left join umkm
        on program_umkm_months.umkm_key = umkm.umkm_key
    group by program_umkm_months.order_month, program_umkm_months.program_id, umkm.region_code, umkm.sector_code

)

select
    cast(month as date) as month,
    cast(program_id as {{ dbt.type_string() }}) as program_id,
    cast(region_code as {{ dbt.type_string() }}) as region_code,
    cast(sector_code as {{ dbt.type_string() }}) as sector_code,
    cast(n_active_umkm as {{ dbt.type_bigint() }}) as n_active_umkm,
    cast(n_orders as {{ dbt.type_bigint() }}) as n_orders,
    cast(turnover_idr as decimal(18, 2)) as turnover_idr,
    cast(turnover_foreign_idr as decimal(18, 2)) as turnover_foreign_idr

from summed
