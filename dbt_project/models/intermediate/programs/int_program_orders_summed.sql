-- Program orders summed per (program, UMKM, month, buyer country): the small table the program
-- marts aggregate, so that a build never re-reads every program order. Incremental: a build
-- recomputes the months its changed orders were in or are in now
-- (macros/incremental_recompute.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='recompute',
    incremental_predicates=["DBT_INTERNAL_DEST.order_month in (" ~ changed_order_months() ~ ")"],
    on_schema_change='sync_all_columns',
) }}
-- depends_on: {{ ref('int_orders_changed') }}
-- depends_on: {{ ref('int_orders_recomputed') }}
with

program_orders as (

    select * from {{ ref('int_program_orders_matched') }}
    {%- if is_incremental() %}
    where order_month in ({{ changed_order_months() }})
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
