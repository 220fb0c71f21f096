-- One row per loaded GoBiz transaction report row (GoFood, GoShop, GoPay, ...).
with

source as (

    select * from {{ source('raw', 'gofood_transactions') }}

),

renamed as (

    select
        -- ids
        transaction_id,
        transaction_reference,
        order_id as gobiz_order_id,
        stan,
        merchant_id,
        merchant_name,

        -- properties
        transaction_status,
        lower(trim(transaction_status)) in ('settlement', 'completed') as is_settled,
        feature,
        payment_type,
        promo_type,
        promo_name,
        coalesce(currency, 'IDR') as currency,

        -- money (gross amount counts as turnover)
        amount,
        nett_amount,
        gopay_promo,
        gofood_discount,
        voucher_commission,
        tax,
        withholding_tax,

        -- dates
        transaction_date as transaction_date_printed,
        transaction_ts_utc,
        transaction_date_wib,

        {{ staging_lineage_columns() }}

    from source

)

select * from renamed
