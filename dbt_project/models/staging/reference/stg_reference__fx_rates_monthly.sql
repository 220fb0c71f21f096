-- Monthly average rates, IDR per unit of `currency`; `month` (YYYY-MM) becomes a date.
select
    cast({{ dbt.concat(["month", "'-01'"]) }} as date) as month_start,
    month as month_label,
    upper(trim(currency)) as currency,
    idr_per_unit
from {{ ref('fx_rates_monthly') }}
