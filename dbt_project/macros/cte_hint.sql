{#-
    A DuckDB planner hint for a CTE (`materialized` or `not materialized`), nothing on other
    engines (Spark has no such syntax): `name as {{ cte_hint('materialized') }}(`.
-#}
{% macro cte_hint(hint) -%}
    {%- if target.type == 'duckdb' %}{{ hint }} {% endif -%}
{%- endmacro %}
