-- Program turnover (data contract section 3): one row per (program, counted order) where the
-- order's merchant is enrolled in the program, the order is on the program's platform (and
-- GoBiz feature, where the program sets one), dated inside [start_date, end_date] and on or
-- after the UMKM's joined_date. Incremental: a build recomputes the orders of
-- int_orders_changed (macros/incremental/).
{{ config(
    materialized='incremental',
    incremental_strategy='recompute',
    on_schema_change='sync_all_columns',
    meta={'incremental': {'sources': ['gofood', 'shopee', 'uvo', 'enrollment'], 'recompute': {'by': 'order'}}},
    post_hook="{{ record_incremental_state() }}",
) }}
-- depends_on: {{ ref('int_orders_changed') }}
with

programs as (

    select * from {{ ref('stg_reference__programs') }}

),

enrollments as (

    select * from {{ ref('int_enrollments_deduped') }}

),

orders as (

    {%- set plan = incremental_plan() %}
    select * from {{ ref('fct_orders') if plan.mode != 'changed' else changed_rows('fct_orders') }}
    {{ 'where 1 = 0' if plan.mode == 'none' }}

)

select
    programs.program_id,
    enrollments.umkm_key,
    orders.platform,
    orders.platform_merchant_id,
    orders.order_id,
    orders.feature,
    orders.order_date,
    cast({{ dbt.date_trunc('month', 'orders.order_date') }} as date) as order_month,
    orders.buyer_country,
    coalesce(orders.buyer_country <> 'ID', false) as is_foreign_buyer,
    orders.currency,
    orders.amount_original,
    orders.amount_idr,
    enrollments.joined_date,
    programs.start_date as program_start_date,
    programs.end_date as program_end_date

from enrollments
inner join programs
    on enrollments.program_id = programs.program_id
inner join orders
    on orders.platform = programs.platform
   and orders.platform_merchant_id = enrollments.platform_merchant_id
where orders.is_counted
  and (programs.feature is null or lower(orders.feature) = lower(programs.feature))
  and orders.order_date >= programs.start_date
  and orders.order_date <= programs.end_date
  and orders.order_date >= enrollments.joined_date
