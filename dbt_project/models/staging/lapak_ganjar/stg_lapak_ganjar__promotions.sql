-- One row per loaded row of the Lapak Ganjar promotion log (one UMKM promoted on a day).
-- Personal data (nik) stays in raw.
with

source as (

    select * from {{ source('raw', 'lapak_ganjar_promotions') }}

),

renamed as (

    select
        -- ids
        shown_date,
        umkm_key,

        -- business
        nib,
        business_name,
        region_code,
        sector_code,

        -- the post
        product,
        post_url,

        {{ staging_lineage_columns() }}

    from source

)

select * from renamed
