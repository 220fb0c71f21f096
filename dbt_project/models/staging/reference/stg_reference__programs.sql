-- Partner programs: the platform (and GoBiz feature, when set) whose orders count, and the window.
select
    program_id,
    program_name,
    lower(trim(platform)) as platform,
    nullif(trim(feature), '') as feature,
    start_date,
    end_date
from {{ ref('programs') }}
