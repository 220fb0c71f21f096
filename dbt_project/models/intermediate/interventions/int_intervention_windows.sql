-- One row per (intervention, UMKM): the event date (marts contract: a program's
-- tanggal_bergabung, the earliest when a UMKM joined one program with several merchant ids, even
-- before the program's start_date; an activity's start_date; the first Tanggal Tayang on Lapak
-- Ganjar), whether the UMKM counts as treated (for activities, attended), and its counted orders
-- in fct_orders, on any platform, in the window days before the event (event - 30 ... event - 1)
-- and from it (event ... event + 29). mart_intervention_outcomes sums it.
-- Incremental: a build recomputes the windows of int_umkm_changed's UMKM around their changed
-- orders' dates (all windows of a UMKM listed without a date; macros/incremental_recompute.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='recompute',
    incremental_predicates=[changed_windows('DBT_INTERNAL_DEST')],
    on_schema_change='sync_all_columns',
) }}
-- depends_on: {{ ref('int_umkm_changed') }}
{%- set window_days = var('intervention_window_days') %}
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
    {%- if is_incremental() %}
    where {{ changed_windows('interventions') }}
    {%- endif %}

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
        windows.event_date,
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
    group by
        windows.intervention_type, windows.intervention_id, windows.umkm_key, windows.event_date, windows.is_treated

)

select
    cast(intervention_type as {{ dbt.type_string() }}) as intervention_type,
    cast(intervention_id as {{ dbt.type_string() }}) as intervention_id,
    cast(umkm_key as {{ dbt.type_string() }}) as umkm_key,
    cast(event_date as date) as event_date,
    cast(is_treated as {{ dbt.type_boolean() }}) as is_treated,
    cast(n_orders_before as {{ dbt.type_bigint() }}) as n_orders_before,
    cast(n_orders_after as {{ dbt.type_bigint() }}) as n_orders_after,
    cast(turnover_before_idr as decimal(18, 2)) as turnover_before_idr,
    cast(turnover_after_idr as decimal(18, 2)) as turnover_after_idr
from umkm_windows
