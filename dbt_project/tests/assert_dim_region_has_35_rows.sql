-- Jawa Tengah has 35 kabupaten/kota (marts contract: dim_region, 35 rows).
select count(*) as n_regions
from {{ ref('dim_region') }}
having count(*) <> 35
