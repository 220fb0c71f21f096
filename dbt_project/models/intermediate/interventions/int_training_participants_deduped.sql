-- One row per (activity_id, umkm_key): a UMKM registered twice for an activity counts once. Its
-- attributes come from its latest landed row; it attended when any of its rows says Hadir
-- (data contract 2.7).
-- A table: rebuilt when a training file arrives (Dagster builds what is downstream of a change).
with

registrations as (

    select * from {{ ref('stg_forms__training_registrations') }}
    where umkm_key is not null

),

ranked as (

    select
        registrations.*,
        row_number() over (
            partition by activity_id, umkm_key
            order by {{ latest_landed_order('registrations') }}
        ) as version_rank,
        count(*) over (partition by activity_id, umkm_key) as n_registrations,
        sum(case when attended then 1 else 0 end) over (partition by activity_id, umkm_key) as n_attended_rows,
        min(registered_date_wib) over (partition by activity_id, umkm_key) as first_registered_date_wib

    from registrations

)

select
    activity_id,
    umkm_key,
    nib,
    business_name,
    region_code,
    sector_code,
    n_attended_rows > 0 as attended,
    n_registrations,
    registered_ts_utc,
    first_registered_date_wib,
    landing_path,
    file_sha256,
    source_row_number,
    file_landed_at,
    loaded_at

from ranked
where version_rank = 1
