-- One row per loaded UKM Virtual Expo transaction. participant_name is left in raw.
with

source as (

    select * from {{ source('raw', 'uvo_transactions') }}

),

renamed as (

    select
        -- ids
        transaction_id,
        participant_id,

        -- properties
        status,
        lower(trim(status)) = 'lunas' as is_paid,
        upper(trim(buyer_country)) as buyer_country,
        upper(trim(currency)) as currency,

        -- money, in `currency`
        amount,

        -- dates
        transaction_ts_utc,
        transaction_date_wib,

        {{ staging_lineage_columns() }}

    from source

)

select * from renamed
