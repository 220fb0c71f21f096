-- One row per Shopee order (shop_id, order_id).
-- Lines are deduplicated at (shop_id, order_id, sku_ref, variation_name), the latest landed
-- version winning; then line turnover = price_after_discount x (quantity - returned_quantity)
-- is summed per order. Order-level amounts (order_total_payment) repeat on every line and
-- are never summed: the order keeps the value of its latest version. Status and timestamps
-- come from the order's latest landed line (data contract 2.4). Incremental: a build
-- recomputes the orders of int_orders_changed from all their loaded lines
-- (macros/incremental_recompute.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='recompute',
    incremental_predicates=["DBT_INTERNAL_DEST.order_id in (" ~ changed_orders('shopee') ~ ")"],
    on_schema_change='sync_all_columns',
) }}
-- depends_on: {{ ref('int_orders_changed') }}
with

-- read three times: a scan of the staging view is cheaper than materializing every line
lines as {{ cte_hint('not materialized') }}(

    select * from {{ ref('stg_shopee__order_lines') }}
    {%- if is_incremental() %}
    where order_id in ({{ changed_orders('shopee') }})
    {%- endif %}

),

-- the lines loaded more than once (under 0.1 % at 10 M orders): only they need ranking; a
-- row_number() over every line sorted all of them
repeated_lines as (

    select
        shop_id,
        order_id,
        sku_ref,
        variation_name
    from lines
    group by shop_id, order_id, sku_ref, variation_name
    having count(*) > 1

),

lines_ranked as (

    select
        lines.*,
        row_number() over (
            partition by lines.shop_id, lines.order_id, lines.sku_ref, lines.variation_name
            order by {{ latest_landed_order('lines') }}
        ) as line_version_rank
    from lines
    where
        exists (
            select 1 from repeated_lines
            where
                repeated_lines.shop_id = lines.shop_id
                and repeated_lines.order_id = lines.order_id
                and repeated_lines.sku_ref is not distinct from lines.sku_ref
                and repeated_lines.variation_name is not distinct from lines.variation_name
        )

    union all

    select
        lines.*,
        1 as line_version_rank
    from lines
    where not exists (
        select 1 from repeated_lines
        where
            repeated_lines.shop_id = lines.shop_id
            and repeated_lines.order_id = lines.order_id
            and repeated_lines.sku_ref is not distinct from lines.sku_ref
            and repeated_lines.variation_name is not distinct from lines.variation_name
    )

),

lines_deduped as (

    select
        lines_ranked.*,
        cast(
            price_after_discount * (quantity - coalesce(returned_quantity, 0))
            as decimal(18, 2)
        ) as line_turnover_idr,
        row_number() over (
            partition by shop_id, order_id
            order by {{ latest_landed_order('lines_ranked') }}
        ) as order_version_rank

    from lines_ranked
    where line_version_rank = 1

),

order_totals as (

    select
        shop_id,
        order_id,
        count(*) as n_lines,
        sum(quantity) as n_units,
        sum(coalesce(returned_quantity, 0)) as n_units_returned,
        cast(sum(line_turnover_idr) as decimal(18, 2)) as turnover_idr

    from lines_deduped
    group by shop_id, order_id

),

order_latest as (

    select * from lines_deduped where order_version_rank = 1

)

select
    'shopee' as platform,
    order_latest.order_id,
    order_latest.shop_id as platform_merchant_id,
    cast(null as {{ dbt.type_string() }}) as feature,
    order_latest.order_created_date_wib as order_date,
    order_latest.order_created_ts_utc as order_ts_utc,
    order_latest.order_completed_ts_utc,
    order_latest.order_status as status_raw,
    order_latest.is_completed as is_counted,
    'ID' as buyer_country,
    'IDR' as currency,
    order_totals.turnover_idr as amount_original,
    order_totals.turnover_idr as amount_idr,
    order_latest.order_total_payment,
    order_totals.n_lines,
    order_totals.n_units,
    order_totals.n_units_returned,
    order_latest.landing_path,
    order_latest.file_landed_at,
    order_latest.loaded_at

from order_latest
inner join order_totals
    on order_latest.shop_id = order_totals.shop_id
    and order_latest.order_id = order_totals.order_id
