-- Trainings, bimtek, workshops, digital-literacy classes and the Lapak Ganjar promotion.
select
    activity_id,
    activity_name,
    lower(trim(kind)) as kind,
    organiser,
    lower(trim(mode)) as mode,  -- noqa: RF04
    start_date,
    end_date
from {{ ref('activities') }}
