-- The 35 kabupaten/kota of Jawa Tengah (BPS codes).
select
    cast(region_code as {{ dbt.type_string() }}) as region_code,
    region_name,
    region_type
from {{ ref('regions_jateng') }}
