{#-
    Data tests check the rows this build wrote (dbt's `where` config, applied here for every
    test): for an incremental model, the recomputed orders or months after a `changed` build
    (kept in `<model>__written`), nothing after a `none` build; for a staging view over raw, the
    rows of the new file versions.
    A test checks everything when the model was rebuilt in full, when another incremental model
    it reads was, or when the model was not built by this invocation (`dbt test`). Rows that
    did not change passed the same tests when they were written: a recomputed key brings all its
    rows under test, so a unique or not-null rule cannot break outside the scope. A test that
    does not pass makes the next build rebuild and test everything (record_incremental_tests).
-#}
{% macro default__get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set scope = incremental_test_scope() -%}
    {%- if scope is mapping -%}   {#- the rows an incremental model wrote in this build -#}
        {%- set relation = scope.rows -%}
        {%- set scope = '' -%}
    {%- endif -%}
    {%- set predicates = [] -%}
    {%- for predicate in [where, scope] if predicate -%}
        {%- do predicates.append('(' ~ predicate ~ ')') -%}
    {%- endfor -%}
    {%- if predicates -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ predicates | join(' and ') }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}

{#- A predicate on the tested model's rows, or '' for all of them. -#}
{% macro incremental_test_scope() -%}
    {%- if not execute or not model.get('attached_node') -%}
        {{ return('') }}
    {%- endif -%}
    {%- set tested = graph.nodes.get(model.attached_node) -%}
    {%- if tested is none -%}
        {{ return('') }}
    {%- elif tested.config.materialized == 'incremental' -%}
        {{ return(incremental_model_test_scope(tested)) }}
    {%- elif tested.config.get('meta', {}).get('incremental', {}).get('test_scope') == 'new_rows' -%}
        {{ return(new_rows_test_scope()) }}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}

{#- Tests of an incremental model built by this invocation: the rows it wrote. -#}
{% macro incremental_model_test_scope(tested) -%}
    {%- set states = incremental_states() -%}
    {%- for unique_id in model.depends_on.nodes if unique_id in graph.nodes -%}
        {%- set state = states.get(graph.nodes[unique_id].name) -%}
        {%- if graph.nodes[unique_id].config.materialized == 'incremental'
              and (state is none or state.invocation_id != invocation_id or state.mode == 'full') -%}
            {{ return('') }}
        {%- endif -%}
    {%- endfor -%}
    {%- set mode = states[tested.name].mode -%}
    {%- if mode == 'none' -%}
        {{ return('1 = 0') }}
    {%- elif mode == 'changed' -%}
        {{ return({'rows': written_relation(tested.name)}) }}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}

{#-
    Tests of a staging view over raw (meta.incremental.test_scope: new_rows) in a `dbt build`
    that builds the change set: the rows of the file versions loaded since the last build, which
    tested all the others (these tests run before int_orders_changed, which waits for them).
-#}
{% macro new_rows_test_scope() -%}
    {%- set changes = incremental_states().get('int_orders_changed') -%}
    {%- set change_set_id = 'model.' ~ project_name ~ '.int_orders_changed' -%}
    {%- if flags.WHICH != 'build' or change_set_id not in selected_resources or changes is none
          or not changes.tested or changes.invocation_id == invocation_id
          or changes.fingerprint != incremental_fingerprint() -%}
        {{ return('') }}
    {%- endif -%}
    {%- set since = [] -%}
    {%- for row in run_query(change_set_summary_sql()).rows -%}
        {%- do since.append(row[2]) -%}
    {%- endfor -%}
    {%- if not since -%}
        {{ return('1 = 0') }}
    {%- endif -%}
    {{ return("loaded_at >= cast('" ~ (since | min) ~ "' as " ~ dbt.type_timestamp() ~ ")") }}
{%- endmacro %}
