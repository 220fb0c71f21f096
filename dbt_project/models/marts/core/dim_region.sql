-- Kabupaten/kota of Jawa Tengah (35 rows).
select
    cast(region_code as {{ dbt.type_string() }}) as region_code,
    cast(region_name as {{ dbt.type_string() }}) as region_name,
    cast(region_type as {{ dbt.type_string() }}) as region_type
from {{ ref('stg_reference__regions') }}
