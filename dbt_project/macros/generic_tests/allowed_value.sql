{#- Every non-null value is one of the `domain` values of the allowed_values seed: the one list of
    scales, statuses, platforms... that the GX suites (quality/seeds.py) read too. -#}
{% test allowed_value(model, column_name, domain) %}

with allowed as (
    select value
    from {{ ref('allowed_values') }}
    where domain = '{{ domain }}'
),

tested as (
    select cast({{ column_name }} as {{ dbt.type_string() }}) as tested_value
    from {{ model }}
    where {{ column_name }} is not null
)

select tested.tested_value, count(*) as n_records
from tested
left join allowed on allowed.value = tested.tested_value
where allowed.value is null
group by tested.tested_value

{% endtest %}
