-- One row per loaded Shopee Seller Centre order line.
-- Buyer personal data (buyer_username, recipient_name, recipient_phone, shipping_address)
-- and the unmapped columns (extra_columns) stay in raw.
with

source as (

    select * from {{ source('raw', 'shopee_order_lines') }}

),

renamed as (

    select
        -- ids (the line grain: shop_id, order_id, sku_ref, variation_name)
        shop_id,
        order_id,
        coalesce(sku_ref, '') as sku_ref,
        coalesce(variation_name, '') as variation_name,

        -- properties
        layout,
        trim(order_status) as order_status,
        trim(order_status) = 'Selesai' as is_completed,
        product_name,
        buyer_city,
        buyer_province,

        -- quantities and money
        price_after_discount,
        quantity,
        coalesce(returned_quantity, 0) as returned_quantity,
        order_total_payment,

        -- dates
        order_created_ts_utc,
        order_created_date_wib,
        order_completed_ts_utc,

        {{ staging_lineage_columns() }}

    from source

)

select * from renamed
