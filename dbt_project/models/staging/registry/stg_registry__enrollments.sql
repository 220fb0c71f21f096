-- One row per loaded row of the program participant registry (UMKM x program).
-- Personal data (nik) stays in raw.
with

source as (

    select * from {{ source('raw', 'enrollments') }}

),

renamed as (

    select
        -- ids
        program_id,
        platform_merchant_id,
        umkm_key,

        -- business
        nib,
        business_name,
        region_code,
        sector_code,

        -- dates
        joined_date,

        {{ staging_lineage_columns() }}

    from source

)

select * from renamed
