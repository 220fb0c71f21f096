{#- Rows for which the SQL expression is not true (false or null) fail the test. -#}
{% test expression_is_true(model, expression, column_name=none) %}

select *
from {{ model }}
where not coalesce(({{ column_name ~ ' ' if column_name else '' }}{{ expression }}), false)

{% endtest %}
