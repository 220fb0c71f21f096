-- Partner programs with the platform/feature whose orders count and the program window.
select
    cast(program_id as {{ dbt.type_string() }}) as program_id,
    cast(program_name as {{ dbt.type_string() }}) as program_name,
    cast(platform as {{ dbt.type_string() }}) as platform,
    cast(feature as {{ dbt.type_string() }}) as feature,
    cast(start_date as date) as start_date,
    cast(end_date as date) as end_date
from {{ ref('stg_reference__programs') }}
