select
    sector_code,
    sector_label,
    kbli_sections,
    survey_labels
from {{ ref('sectors') }}
