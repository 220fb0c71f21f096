{#-
    incremental_strategy='recompute': the model's query returns the rows of everything the
    build recomputes (incremental_plan); the strategy deletes the target rows it replaces (all of
    them in `full` mode, those matching the recompute predicate in `changed` mode, none in `none`
    mode) and inserts the new ones. Unlike delete+insert on a unique key, an order or a month
    that disappeared (a corrected report dropped it, an order stopped counting) is deleted too.
    In `changed` mode the rows written are also kept in `<model>__written` (intermediate schema):
    the data tests and the downstream models read them there instead of searching the whole
    table for the changed keys. Runs in the model's transaction: a failure leaves the previous rows.
-#}
{% macro get_incremental_recompute_sql(arg_dict) -%}
    {%- set plan = incremental_plan() -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set written = written_relation(model.name) -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    {%- if plan.mode == 'changed' %}
    create or replace table {{ written }} as select {{ columns }} from {{ arg_dict['temp_relation'] }};
    delete from {{ target }}
    where {{ recompute_predicate(config.get('meta')['incremental']['recompute']) }};
    {%- else %}
    drop table if exists {{ written }};
    {%- if plan.mode == 'full' %}
    delete from {{ target }};
    {%- endif %}
    {%- endif %}
    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{%- endmacro %}

{#- The rows the last `changed` build of a model wrote (kept next to the intermediate models). -#}
{% macro written_relation(name) -%}
    {{ return(api.Relation.create(database=target.database, schema=incremental_schema(),
                                  identifier=name ~ '__written')) }}
{%- endmacro %}

{#-
    The rows of the changed orders in model `name`, for a model that reads it: the rows that
    model wrote in this build when it was built `changed`, else found by key in the whole table.
-#}
{% macro changed_rows(name, platform=none) -%}
    {%- set state = incremental_states().get(name, {}) -%}
    {%- if state.get('mode') == 'changed' and state.get('invocation_id') == invocation_id -%}
        {{ return(written_relation(name)) }}
    {%- endif -%}
    {%- set filtered -%}
        (select * from {{ model_relation(name) }} {{ recompute_filter({'mode': 'changed'}, 'order_id', platform) }})
    {%- endset -%}
    {{ return(filtered) }}
{%- endmacro %}

{#-
    The rows a `changed` build replaces, as a predicate on the model's own columns:
      by order: the orders of int_orders_changed (of one platform when the table holds one);
      by month: the months those orders were in before or are in now.
-#}
{% macro recompute_predicate(recompute) -%}
    {%- if recompute.by == 'order' and recompute.get('platform') -%}
        order_id in ({{ changed_order_ids(recompute.platform) }})
    {%- elif recompute.by == 'order' -%}
        (platform, order_id) in (select platform, order_id from {{ model_relation('int_orders_changed') }})
    {%- elif recompute.by == 'month' -%}
        {{ recompute.column }} in ({{ changed_order_months() }})
    {%- else -%}
        {{ exceptions.raise_compiler_error("meta.incremental.recompute.by must be 'order' or 'month'") }}
    {%- endif -%}
{%- endmacro %}

{% macro changed_order_ids(platform) -%}
    select order_id from {{ model_relation('int_orders_changed') }} where platform = '{{ platform }}'
{%- endmacro %}

{#- Months whose program turnover may have changed: where the changed orders were, and are now. -#}
{% macro changed_order_months() -%}
    select previous_order_month from {{ model_relation('int_orders_changed') }}
    where previous_order_month is not null
    union
    select cast({{ dbt.date_trunc('month', 'order_date') }} as date)
    from {{ changed_rows('fct_orders') }} as changed_orders
{%- endmacro %}

{#-
    The filter a model puts on what it reads: nothing in `full` mode, the rows of the recomputed
    orders in `changed` mode, no row in `none` mode. `key` is the order id column of the
    relation filtered; without a platform, the relation has a `platform` column.
-#}
{% macro recompute_filter(plan, key='order_id', platform=none) -%}
    {%- if plan.mode == 'none' -%}
        where 1 = 0
    {%- elif plan.mode == 'changed' and platform -%}
        where {{ key }} in ({{ changed_order_ids(platform) }})
    {%- elif plan.mode == 'changed' -%}
        where (platform, {{ key }}) in (select platform, order_id from {{ model_relation('int_orders_changed') }})
    {%- endif -%}
{%- endmacro %}

{#-
    The relation of a model of this project, without ref(): these macros also run in tests and
    strategies, whose nodes do not depend on it. Models that call them declare the dependency
    (`-- depends_on: {{ ref(...) }}`), which orders the build.
-#}
{% macro model_relation(name) -%}
    {%- set node = graph.get('nodes', {}).get('model.' ~ project_name ~ '.' ~ name) -%}
    {%- if node is none -%}   {#- parsing -#}
        {{ return(api.Relation.create(database=target.database, identifier=name)) }}
    {%- endif -%}
    {{ return(api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias)) }}
{%- endmacro %}
