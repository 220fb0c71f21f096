-- One row per loaded Google Forms response row: a registration for a training, bimtek, workshop
-- or literacy class, with its attendance as staff marked it. Personal data (nik,
-- participant_name, whatsapp) and the form's other questions (extra_columns) stay in raw.
with

source as (

    select * from {{ source('raw', 'training_registrations') }}

),

renamed as (

    select
        -- ids
        activity_id,
        umkm_key,

        -- business
        nib,
        business_name,
        region_code,
        sector_code,

        -- attendance (Kehadiran: Hadir = attended; Tidak Hadir or empty = registered only)
        nullif(trim(attendance), '') as attendance,
        coalesce(attended, false) as attended,

        -- dates
        registered_ts_utc,
        registered_date_wib,

        {{ staging_lineage_columns() }}

    from source

)

select * from renamed
