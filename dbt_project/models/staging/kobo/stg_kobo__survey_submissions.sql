-- One row per loaded KoboToolbox submission ("Pendataan UMKM Terdampak Covid-19").
-- Personal data (nik, owner_name, phone) stays in raw: it is not selected here.
with

source as (

    select * from {{ source('raw', 'survey_submissions') }}

),

renamed as (

    select
        -- ids
        submission_id,
        submission_uuid,
        umkm_key,
        trim(survey_period) as survey_period,

        -- business
        nib,
        business_name,
        region_code,
        sector_code,
        lower(trim(scale)) as scale,

        -- answers
        is_impacted,
        primary_constraint_code,
        constraint_codes,
        turnover_before_idr,
        turnover_after_idr,
        workers_before,
        workers_after,
        digital_platforms,
        nullif(trim(validation_status), '') as validation_status,

        -- timestamps
        started_at_utc,
        ended_at_utc,
        submitted_at_utc,
        submitted_date_wib,

        {{ staging_lineage_columns() }}

    from source

)

select * from renamed
