-- Did the UMKM sell more after the office acted? Per intervention, region and sector (of the UMKM,
-- from dim_umkm): the UMKM concerned and their counted orders in fct_orders, on any platform, in
-- the window days before their event date (event - 30 ... event - 1) and from it (event ... event
-- + 29). Event dates (marts contract): a program's tanggal_bergabung (even before the program's
-- start_date; the earliest when a UMKM joined one program with several merchant ids), an
-- activity's start_date (attendees; registered-but-absent UMKM count in n_registered only), the
-- first Tanggal Tayang on Lapak Ganjar. A UMKM whose merchant ids are in no enrollment has no
-- linked orders: it counts in n_umkm and in no n_active_*.
-- A table (a small aggregation) rebuilt every build: it reads only the counted orders of the UMKM
-- concerned, dated inside the span of their windows.
{%- set window_days = 30 %}
with

programs as (

    select * from {{ ref('dim_program') }}

),

-- trainings, bimtek, workshops and literacy classes; the promotion is an intervention of its own
activities as (

    select * from {{ ref('dim_activity') }}
    where kind <> 'promosi'

),

enrollments as (

    select * from {{ ref('int_enrollments_deduped') }}
    where umkm_key is not null

),

participants as (

    select * from {{ ref('int_training_participants_deduped') }}

),

promotions as (

    select * from {{ ref('int_lapak_ganjar_promotions_deduped') }}

),

-- one row per (intervention, UMKM); is_treated: counts in n_umkm (for activities, attended)
interventions as (

    select
        'program' as intervention_type,
        enrollments.program_id as intervention_id,
        enrollments.umkm_key,
        min(enrollments.joined_date) as event_date,
        true as is_treated
    from enrollments
    inner join programs
        on enrollments.program_id = programs.program_id
    group by enrollments.program_id, enrollments.umkm_key

    union all

    select
        'activity' as intervention_type,
        participants.activity_id as intervention_id,
        participants.umkm_key,
        activities.start_date as event_date,
        participants.attended as is_treated
    from participants
    inner join activities
        on participants.activity_id = activities.activity_id

    union all

    -- intervention_id of the promotion: fixed by the marts contract
    select
        'promotion' as intervention_type,
        'lapak_ganjar' as intervention_id,
        umkm_key,
        min(shown_date) as event_date,
        true as is_treated
    from promotions
    group by umkm_key

),

windows as (

    select
        intervention_type,
        intervention_id,
        umkm_key,
        event_date,
        is_treated,
        cast({{ dbt.dateadd('day', -window_days, 'event_date') }} as date) as before_start_date,
        cast({{ dbt.dateadd('day', window_days - 1, 'event_date') }} as date) as after_end_date
    from interventions

),

orders as (

    select
        umkm_key,
        order_date,
        amount_idr
    from {{ ref('fct_orders') }}
    where
        is_counted
        and umkm_key in (select treated.umkm_key from windows as treated where treated.is_treated)
        and order_date >= (select min(treated.before_start_date) from windows as treated where treated.is_treated)
        and order_date <= (select max(treated.after_end_date) from windows as treated where treated.is_treated)

),

umkm_windows as (

    select
        windows.intervention_type,
        windows.intervention_id,
        windows.umkm_key,
        windows.is_treated,
        count(case when orders.order_date < windows.event_date then 1 end) as n_orders_before,
        count(case when orders.order_date >= windows.event_date then 1 end) as n_orders_after,
        sum(case when orders.order_date < windows.event_date then orders.amount_idr end) as turnover_before_idr,
        sum(case when orders.order_date >= windows.event_date then orders.amount_idr end) as turnover_after_idr
    from windows
    left join orders
        on windows.is_treated
        and windows.umkm_key = orders.umkm_key
        and orders.order_date between windows.before_start_date and windows.after_end_date
    group by windows.intervention_type, windows.intervention_id, windows.umkm_key, windows.is_treated

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
