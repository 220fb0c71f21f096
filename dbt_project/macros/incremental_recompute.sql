{#-
    Incremental models recompute the keys that the change set touches (int_orders_changed) with
    dbt-duckdb's `merge` strategy. These are the merge clauses they share: a recomputed row
    that exists is updated, a new one inserted, and a row of the target inside `scope` (a
    condition on DBT_INTERNAL_DEST) that the recomputation no longer gives is deleted: an
    order a corrected report dropped, a month left without program orders.
-#}
{% macro recompute_clauses(scope) -%}
    {{ return({
        'when_matched': [{'action': 'update', 'mode': 'by_name'}],
        'when_not_matched': [
            {'action': 'insert', 'mode': 'by_name'},
            {'by': 'source', 'condition': scope, 'action': 'delete'},
        ],
    }) }}
{%- endmacro %}

{#-
    The changed orders of one platform (ids), or of all (platform, order_id), as a subquery.
    merge_clauses are fixed when dbt parses, before ref() can name another model: there the
    relation is written out (its schema is the folder's, dbt_project.yml), and the model
    declares the dependency with a `-- depends_on:` comment.
-#}
{% macro changed_orders(platform=none) -%}
    {%- set changed = ref('int_orders_changed') if execute else 'intermediate.int_orders_changed' -%}
    {%- if platform -%}
        select order_id from {{ changed }} where platform = '{{ platform }}'
    {%- else -%}
        select platform, order_id from {{ changed }}
    {%- endif -%}
{%- endmacro %}

{#- Months whose program turnover may change: where the changed orders were, and are now. -#}
{% macro changed_order_months() -%}
    {%- set changed = ref('int_orders_changed') if execute else 'intermediate.int_orders_changed' -%}
    {%- set orders = ref('fct_orders') if execute else 'marts.fct_orders' -%}
    select previous_order_month from {{ changed }} where previous_order_month is not null
    union
    select cast({{ dbt.date_trunc('month', 'order_date') }} as date) from {{ orders }}
    where (platform, order_id) in ({{ changed_orders() }})
{%- endmacro %}

{#-
    A model of this project as the last build left it, or none when it does not exist yet:
    for int_orders_changed, which must see fct_orders before this build changes it (a ref()
    would make fct_orders its parent, and a cycle).
-#}
{% macro previous_relation(name) -%}
    {%- set node = graph.get('nodes', {}).get('model.' ~ project_name ~ '.' ~ name) -%}
    {%- if not execute or node is none -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(adapter.get_relation(node.database, node.schema, node.alias)) }}
{%- endmacro %}
