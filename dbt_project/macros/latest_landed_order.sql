{#-
    The order that makes "the most recently landed version wins" deterministic
    (data contract section 1): newest file first, then newest load, then path and row.
    For `row_number() over (partition by <grain> order by {{ latest_landed_order() }})`.
    Needs the staging lineage columns; `relation` prefixes them when given.
-#}
{% macro latest_landed_order(relation=none) -%}
    {%- set p = (relation ~ '.') if relation else '' -%}
    {{ p }}file_landed_at desc, {{ p }}loaded_at desc, {{ p }}landing_path desc, {{ p }}source_row_number desc
{%- endmacro %}
