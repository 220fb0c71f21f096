{#-
    Incremental models recompute the keys the change set touches (int_orders_changed). The
    `recompute` strategy is delete+insert with the delete scoped by the change set, not by the
    keys of the new rows: dbt-duckdb's own delete+insert would keep an order a corrected report
    dropped, and a `merge` that deletes such rows (`when not matched by source`) joins the whole
    target: 1.7 s against 0.3 s for 116,000 orders into 8.6 million (benchmarks/recompute_strategy.py).
    `incremental_predicates`: conditions on DBT_INTERNAL_DEST naming the rows this build
    recomputes; every recomputed row must fall inside them. Both statements run in the model's
    one transaction (dbt's incremental materialization commits once).
-#}
{% macro get_incremental_recompute_sql(arg_dict) -%}
    {%- set scope = arg_dict['incremental_predicates'] -%}
    {%- if not scope -%}
        {{ exceptions.raise_compiler_error("the recompute strategy needs incremental_predicates: the rows it recomputes") }}
    {%- endif -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ arg_dict['target_relation'] }} as DBT_INTERNAL_DEST
    where ({{ scope | join(') and (') }});

    insert into {{ arg_dict['target_relation'] }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{%- endmacro %}

{#-
    The changed orders of one platform (ids), or of all (platform, order_id), as a subquery.
    incremental_predicates are fixed when dbt parses, before ref() can name another model: there
    the relation is written out (its schema is the folder's, dbt_project.yml), and the model
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

{#- Months whose program turnover may change: where the changed orders were, and are now (int_orders_recomputed). -#}
{% macro changed_order_months() -%}
    {%- set changed = ref('int_orders_changed') if execute else 'intermediate.int_orders_changed' -%}
    {%- set recomputed = ref('int_orders_recomputed') if execute else 'intermediate.int_orders_recomputed' -%}
    select cast({{ dbt.date_trunc('month', 'previous_order_date') }} as date) from {{ changed }}
    where previous_order_date is not null
    union
    select cast({{ dbt.date_trunc('month', 'order_date') }} as date) from {{ recomputed }}
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

{#-
    The intervention windows (rows of `alias`, with umkm_key and event_date) that a build
    recomputes: those of int_umkm_changed's UMKM around one of its changed order dates, all of a
    UMKM listed without a date.
-#}
{% macro changed_windows(alias) -%}
    {%- set changed = ref('int_umkm_changed') if execute else 'intermediate.int_umkm_changed' -%}
    {%- set days = var('intervention_window_days') -%}
    exists (
        select 1 from {{ changed }} as changed
        where changed.umkm_key = {{ alias }}.umkm_key
            and (changed.order_date is null or changed.order_date between
                cast({{ dbt.dateadd('day', -days, alias ~ '.event_date') }} as date)
                and cast({{ dbt.dateadd('day', days - 1, alias ~ '.event_date') }} as date)))
{%- endmacro %}

{#- The change set holds a file that feeds dim_umkm: any UMKM may have moved region or sector. -#}
{% macro dim_umkm_inputs_changed() -%}
    {%- set ledger = ref('stg_pipeline__landing_files') if execute else 'staging.stg_pipeline__landing_files' -%}
    exists (
        select 1 from {{ ledger }} as ledger
        where ledger.published_at is null and ledger.source in ('survey', 'enrollment', 'training', 'lapak_ganjar'))
{%- endmacro %}

{#- Months of mart_turnover_monthly that may change: those of the changed orders, every month when
    a file feeding dim_umkm changed. (Defensive: the loader rejects registry rows without region or
    sector, so today only an enrollment file, a full rebuild, moves program turnover between them.) -#}
{% macro changed_turnover_months() -%}
    {%- set summed = ref('int_program_orders_summed') if execute else 'intermediate.int_program_orders_summed' -%}
    {{ changed_order_months() }}
    union
    select order_month from {{ summed }} where {{ dim_umkm_inputs_changed() }}
{%- endmacro %}

{#-
    Restriction periods whose figures may change: a changed order dated (now or before this
    build) inside a period or its baseline; every period when a file feeding dim_umkm changed.
-#}
{% macro changed_restriction_periods() -%}
    {%- set changed = ref('int_orders_changed') if execute else 'intermediate.int_orders_changed' -%}
    {%- set recomputed = ref('int_orders_recomputed') if execute else 'intermediate.int_orders_recomputed' -%}
    {%- set periods = ref('stg_reference__restriction_periods') if execute
        else 'staging.stg_reference__restriction_periods' -%}
    {%- set baseline_start = "cast(" ~ dbt.dateadd('day', '0 - spans.n_days', 'spans.start_date') ~ " as date)" %}
    select spans.period_id from {{ periods }} as spans
    where exists (
        select 1 from {{ changed }} as changed
        where changed.previous_order_date between {{ baseline_start }} and spans.end_date)
    or exists (
        select 1 from {{ recomputed }} as orders
        where orders.order_date between {{ baseline_start }} and spans.end_date)
    or {{ dim_umkm_inputs_changed() }}
{%- endmacro %}
