-- One row per UMKM (umkm_key) seen in the deduplicated survey or the deduplicated registry.
-- Attributes come from the latest landed record of either (nib: the latest one not null);
-- scale only from the survey (null when the UMKM is only enrolled); first_seen_date is the
-- earliest approved survey submission date or program joined date.
-- A table: rebuilt when a survey or registry file arrives.
with

survey as (

    select * from {{ ref('int_survey_submissions_deduped') }}

),

enrollments as (

    select * from {{ ref('int_enrollments_deduped') }}
    where umkm_key is not null

),

records as (

    select
        umkm_key,
        nib,
        business_name,
        region_code,
        sector_code,
        submitted_at_utc as record_ts,
        first_submitted_date_wib as record_date,
        file_landed_at,
        loaded_at,
        landing_path,
        source_row_number
    from survey

    union all

    select
        umkm_key,
        nib,
        business_name,
        region_code,
        sector_code,
        cast(joined_date as timestamp) as record_ts,
        joined_date as record_date,
        file_landed_at,
        loaded_at,
        landing_path,
        source_row_number
    from enrollments

),

records_ranked as (

    select
        records.*,
        row_number() over (
            partition by umkm_key
            order by
                file_landed_at desc, loaded_at desc, landing_path desc,
                record_ts desc nulls last, source_row_number desc
        ) as record_rank
    from records

),

nib_ranked as (

    select
        umkm_key,
        nib,
        row_number() over (
            partition by umkm_key
            order by
                file_landed_at desc, loaded_at desc, landing_path desc,
                record_ts desc nulls last, source_row_number desc
        ) as nib_rank
    from records
    where nib is not null

),

scale_ranked as (

    select
        umkm_key,
        scale,
        row_number() over (
            partition by umkm_key
            order by
                survey_period desc, submitted_at_utc desc nulls last,
                {{ latest_landed_order('survey') }}
        ) as scale_rank
    from survey
    where scale is not null

),

first_seen as (

    select
        umkm_key,
        min(record_date) as first_seen_date
    from records
    group by umkm_key

)

select
    cast(latest.umkm_key as {{ dbt.type_string() }}) as umkm_key,
    cast(latest.business_name as {{ dbt.type_string() }}) as business_name,
    cast(nib_ranked.nib as {{ dbt.type_string() }}) as nib,
    cast(latest.region_code as {{ dbt.type_string() }}) as region_code,
    cast(latest.sector_code as {{ dbt.type_string() }}) as sector_code,
    cast(scale_ranked.scale as {{ dbt.type_string() }}) as scale,
    cast(first_seen.first_seen_date as date) as first_seen_date

from records_ranked as latest
left join nib_ranked
    on latest.umkm_key = nib_ranked.umkm_key
    and nib_ranked.nib_rank = 1
left join scale_ranked
    on latest.umkm_key = scale_ranked.umkm_key
    and scale_ranked.scale_rank = 1
left join first_seen
    on latest.umkm_key = first_seen.umkm_key
where latest.record_rank = 1
