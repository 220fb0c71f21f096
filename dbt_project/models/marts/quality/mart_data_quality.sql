-- One row per landing file (landing_path): its current version in the file ledger, i.e. the
-- most recently first seen version that is not superseded (a path whose versions are all
-- superseded, which the loader never leaves behind, would show its latest one).
with

ledger as (

    select * from {{ ref('stg_pipeline__landing_files') }}

),

ranked as (

    select
        ledger.*,
        row_number() over (
            partition by landing_path
            order by
                case when status = 'superseded' then 1 else 0 end,
                first_seen desc, loaded_at desc nulls last, file_sha256 desc
        ) as version_rank,
        count(*) over (partition by landing_path) as n_versions

    from ledger

)

select
    cast(landing_path as {{ dbt.type_string() }}) as landing_path,
    cast(source as {{ dbt.type_string() }}) as source,
    cast(file_sha256 as {{ dbt.type_string() }}) as sha256,
    cast(status as {{ dbt.type_string() }}) as status,
    cast(reason as {{ dbt.type_string() }}) as reason,
    cast(rows_read as {{ dbt.type_bigint() }}) as rows_read,
    cast(rows_loaded as {{ dbt.type_bigint() }}) as rows_loaded,
    cast(rows_rejected as {{ dbt.type_bigint() }}) as rows_rejected,
    cast(loaded_at as {{ dbt.type_timestamp() }}) as loaded_at,
    cast(first_seen as {{ dbt.type_timestamp() }}) as first_seen,
    cast(file_landed_at as {{ dbt.type_timestamp() }}) as file_landed_at,
    cast(size_bytes as {{ dbt.type_bigint() }}) as size_bytes,
    cast(n_versions as {{ dbt.type_bigint() }}) as n_versions

from ranked
where version_rank = 1
