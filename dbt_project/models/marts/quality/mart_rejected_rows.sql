-- Rejected rows by reason code: one row per landing file (its current version, the one
-- mart_data_quality shows; superseded versions left out) and reason code, with how many rows the
-- code refused, the first of them, and the reason of that first row as an example (reasons name
-- the column and the rule, never the cell). The rows' text (row_text) holds personal data and
-- never leaves raw: the staging view does not select it.
with

current_versions as (

    select * from {{ ref('mart_data_quality') }}
    where status <> 'superseded'

),

rejected as (

    select * from {{ ref('stg_pipeline__rejected_rows') }}

),

by_reason as (

    select
        rejected.landing_path,
        rejected.file_sha256,
        rejected.reason_code,
        count(*) as n_rows,
        min(rejected.row_number) as first_row_number,
        arg_min(rejected.reason, rejected.row_number) as reason
    from rejected
    inner join current_versions
        on rejected.landing_path = current_versions.landing_path
        and rejected.file_sha256 = current_versions.sha256
    group by rejected.landing_path, rejected.file_sha256, rejected.reason_code

)

select
    cast(by_reason.landing_path as {{ dbt.type_string() }}) as landing_path,
    cast(current_versions.source as {{ dbt.type_string() }}) as source,
    cast(by_reason.file_sha256 as {{ dbt.type_string() }}) as sha256,
    cast(by_reason.reason_code as {{ dbt.type_string() }}) as reason_code,
    cast(by_reason.n_rows as {{ dbt.type_bigint() }}) as n_rows,
    cast(by_reason.first_row_number as {{ dbt.type_bigint() }}) as first_row_number,
    cast(by_reason.reason as {{ dbt.type_string() }}) as reason,
    cast(current_versions.loaded_at as {{ dbt.type_timestamp() }}) as loaded_at

from by_reason
inner join current_versions
    on by_reason.landing_path = current_versions.landing_path
