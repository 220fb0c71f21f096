select
    constraint_code,
    constraint_label,
    survey_labels
from {{ ref('constraints') }}
