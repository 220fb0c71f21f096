-- One row per loaded Mbizmarket vendor order export row (government procurement).
-- The buyer's contact person (buyer_contact_name, buyer_contact_email, buyer_contact_phone)
-- stays in raw. The turnover is `subtotal`, never `order_total` (data contract 2.6).
with

source as (

    select * from {{ source('raw', 'mbizmarket_orders') }}

),

renamed as (

    select
        -- ids
        order_id,
        vendor_id,
        vendor_name,

        -- properties
        trim(order_status) as order_status,
        trim(order_status) = 'Selesai' as is_completed,
        buyer_agency,
        buyer_unit,

        -- money (subtotal is the turnover; order_total adds VAT and shipping)
        subtotal,
        vat,
        shipping,
        order_total,

        -- dates
        order_ts_utc,
        order_date_wib,

        {{ staging_lineage_columns() }}

    from source

)

select * from renamed
