{#- No two rows share the same values of combination_of_columns (nulls count as a value). -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
{%- set columns = combination_of_columns | join(', ') %}
{%- if target.type == 'duckdb' %}

-- grouped by one hash of the columns first, then only the rows of a hash seen twice by the columns
-- themselves (a collision is no failure): 1.1 s against 1.6-2.1 s for fct_orders at 10 M orders
with repeated_hashes as (

    select hash({{ columns }}) as row_hash
    from {{ model }}
    group by row_hash
    having count(*) > 1

)

select
    {{ combination_of_columns | join(',\n    ') }},
    count(*) as n_rows
from {{ model }}
where hash({{ columns }}) in (select row_hash from repeated_hashes)
group by {{ columns }}
having count(*) > 1
{%- else %}

select
    {{ combination_of_columns | join(',\n    ') }},
    count(*) as n_rows
from {{ model }}
group by {{ columns }}
having count(*) > 1
{%- endif %}

{% endtest %}
