-- Program orders summed per (program, UMKM, month, buyer country): the small table the program
-- marts aggregate, so that a build never re-reads every program order. Incremental: a build
-- recomputes the months its changed orders were in or are in now (macros/incremental/).
{{ config(
    materialized='incremental',
    incremental_strategy='recompute',
    on_schema_change='sync_all_columns',
    meta={'incremental': {'sources': ['gofood', 'shopee', 'uvo', 'enrollment'],
                          'recompute': {'by': 'month', 'column': 'order_month'}}},
    post_hook="{{ record_incremental_state() }}",
) }}
-- depends_on: {{ ref('int_orders_changed') }}
-- depends_on: {{ ref('fct_orders') }}
{%- set plan = incremental_plan() %}
with

program_orders as (

    select * from {{ ref('int_program_orders_matched') }}
    {%- if plan.mode == 'changed' %}
    where {{ recompute_predicate({'by': 'month', 'column': 'order_month'}) }}
    {%- elif plan.mode == 'none' %}
    where 1 = 0
    {%- endif %}

)

select
    program_id,
    umkm_key,
    order_month,
    buyer_country,
    count(*) as n_orders,
    cast(sum(amount_idr) as decimal(18, 2)) as turnover_idr,
    min(order_date) as first_order_date,
    max(order_date) as last_order_date

from program_orders
group by program_id, umkm_key, order_month, buyer_country
