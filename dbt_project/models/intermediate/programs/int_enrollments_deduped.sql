-- One row per (program_id, platform_merchant_id): the latest landed registry row wins
-- (data contract 2.2). Carries the program's platform and feature for matching orders.
-- A table: rebuilt when a registry file arrives (Dagster builds what is downstream of a change).
with

enrollments as (

    select * from {{ ref('stg_registry__enrollments') }}

),

programs as (

    select * from {{ ref('stg_reference__programs') }}

),

ranked as (

    select
        enrollments.*,
        row_number() over (
            partition by program_id, platform_merchant_id
            order by {{ latest_landed_order('enrollments') }}
        ) as version_rank

    from enrollments

)

select
    ranked.program_id,
    ranked.platform_merchant_id,
    ranked.umkm_key,
    programs.platform,
    programs.feature,
    ranked.nib,
    ranked.business_name,
    ranked.region_code,
    ranked.sector_code,
    ranked.joined_date,
    ranked.landing_path,
    ranked.file_sha256,
    ranked.source_row_number,
    ranked.file_landed_at,
    ranked.loaded_at

from ranked
left join programs
    on ranked.program_id = programs.program_id
where ranked.version_rank = 1
