{#-
    The lineage every staging model carries from its raw table: which file version and row a
    record came from, and when it landed (for "the most recently landed version wins").
-#}
{% macro staging_lineage_columns() -%}
        landing_path,
        sha256 as file_sha256,
        {{ adapter.quote('row_number') }} as source_row_number,
        file_landed_at,
        loaded_at
{%- endmacro %}
