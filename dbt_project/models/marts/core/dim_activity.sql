-- Trainings, bimtek, workshops, digital-literacy classes and the Lapak Ganjar promotion, one row
-- per row of reference/activities.csv.
select
    cast(activity_id as {{ dbt.type_string() }}) as activity_id,
    cast(activity_name as {{ dbt.type_string() }}) as activity_name,
    cast(kind as {{ dbt.type_string() }}) as kind,
    cast(organiser as {{ dbt.type_string() }}) as organiser,
    cast(mode as {{ dbt.type_string() }}) as mode,  -- noqa: RF04
    cast(start_date as date) as start_date,
    cast(end_date as date) as end_date
from {{ ref('stg_reference__activities') }}
