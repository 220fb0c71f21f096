-- Rejected rows: one row per data row the loader refused, with its reason code and a reason in
-- words (the loader never quotes a cell in it). The row's text, row_text, holds personal data:
-- it is not selected here and stays in raw.
with

source as (

    select
        landing_path,
        sha256,
        row_number,
        reason_code,
        reason
    from {{ source('raw', 'rejected_rows') }}

),

renamed as (

    select
        landing_path,
        sha256 as file_sha256,
        row_number,
        reason_code,
        reason

    from source

)

select * from renamed
