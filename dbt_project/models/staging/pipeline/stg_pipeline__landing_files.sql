-- The file ledger: one row per (landing_path, file version) the loader has seen.
with

source as (

    select * from {{ source('raw', 'landing_files') }}

),

renamed as (

    select
        landing_path,
        sha256 as file_sha256,
        source,
        status,
        reason,
        rows_read,
        rows_loaded,
        rows_rejected,
        size_bytes,
        file_landed_at,
        first_seen,
        loaded_at,
        published_at

    from source

)

select * from renamed
