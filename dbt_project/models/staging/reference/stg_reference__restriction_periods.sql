-- PPKM periods (official dates), with their length in days, both ends included.
select
    period_id,
    period_name,
    start_date,
    end_date,
    {{ dbt.datediff('start_date', 'end_date', 'day') }}
    + 1 as n_days,
    note
from {{ ref('restriction_periods') }}
