-- One row per UMKM per survey wave (survey_period, umkm_key): the latest approved submission.
-- Submissions with validation_status 'validation_status_not_approved' are left out
-- (they stay in raw); a UMKM that submitted twice counts once (data contract 2.1).
-- A table: rebuilt when a survey export arrives (Dagster builds what is downstream of a change).
with

submissions as (

    select * from {{ ref('stg_kobo__survey_submissions') }}
    where
        umkm_key is not null
        and coalesce(validation_status, '') <> 'validation_status_not_approved'

),

ranked as (

    select
        submissions.*,
        row_number() over (
            partition by survey_period, umkm_key
            order by submitted_at_utc desc nulls last, {{ latest_landed_order('submissions') }}
        ) as submission_rank,
        count(*) over (partition by survey_period, umkm_key) as n_submissions,
        min(submitted_date_wib) over (partition by survey_period, umkm_key) as first_submitted_date_wib

    from submissions

)

select
    survey_period,
    umkm_key,
    submission_id,
    submission_uuid,
    nib,
    business_name,
    region_code,
    sector_code,
    scale,
    coalesce(is_impacted, false) as is_impacted,
    primary_constraint_code,
    constraint_codes,
    turnover_before_idr,
    turnover_after_idr,
    workers_before,
    workers_after,
    digital_platforms,
    validation_status,
    submitted_at_utc,
    submitted_date_wib,
    n_submissions,
    first_submitted_date_wib,
    landing_path,
    file_sha256,
    source_row_number,
    file_landed_at,
    loaded_at

from ranked
where submission_rank = 1
