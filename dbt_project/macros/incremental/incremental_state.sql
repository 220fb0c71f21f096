{#-
    Build state of the incremental models, in two small tables next to the intermediate models:

    incremental_state             one row per stateful model: how its last build ran (mode, reason),
                                  which change set it reflects, the fingerprint of its code and
                                  upstream, and whether the build's tests all passed.
    incremental_landing_snapshot  the file ledger (raw.landing_files) as the change set model
                                  `int_orders_changed` last saw it: the next build's new file versions
                                  are the ledger rows not in it (no clocks compared).

    Both are written inside the transaction of the model they describe (post-hooks), so a failed
    build leaves the previous state, and the next build redoes its work.
-#}

{#- The schema of the intermediate models (the graph is empty while dbt parses). -#}
{% macro incremental_schema() -%}
    {%- set node = graph.get('nodes', {}).get('model.' ~ project_name ~ '.int_orders_changed') -%}
    {{ return(node.schema if node else 'intermediate') }}
{%- endmacro %}

{% macro incremental_state_relation() -%}
    {{ return(api.Relation.create(database=target.database, schema=incremental_schema(),
                                  identifier='incremental_state')) }}
{%- endmacro %}

{% macro landing_snapshot_relation() -%}
    {{ return(api.Relation.create(database=target.database, schema=incremental_schema(),
                                  identifier='incremental_landing_snapshot')) }}
{%- endmacro %}

{#- on-run-start: the two tables exist before any model reads or writes them. -#}
{% macro create_incremental_state_tables() -%}
    create schema if not exists {{ incremental_state_relation().without_identifier() }};
    create table if not exists {{ incremental_state_relation() }} (
        model_name {{ dbt.type_string() }},
        mode {{ dbt.type_string() }},
        reason {{ dbt.type_string() }},
        change_set {{ dbt.type_string() }},
        base_change_set {{ dbt.type_string() }},
        changed_sources {{ dbt.type_string() }},
        changed_since {{ dbt.type_timestamp() }},
        fingerprint {{ dbt.type_string() }},
        invocation_id {{ dbt.type_string() }},
        built_at {{ dbt.type_timestamp() }},
        tested {{ dbt.type_boolean() }}
    );
    create table if not exists {{ landing_snapshot_relation() }} (
        landing_path {{ dbt.type_string() }},
        sha256 {{ dbt.type_string() }},
        first_seen {{ dbt.type_timestamp() }},
        status {{ dbt.type_string() }}
    );
{%- endmacro %}

{#- {model_name: state row as a dict}; empty when the table does not exist (dbt compile on an old warehouse). -#}
{% macro incremental_states() -%}
    {%- set relation = incremental_state_relation() -%}
    {%- if adapter.get_relation(relation.database, relation.schema, relation.identifier) is none -%}
        {#- not in dbt's relation cache: created by this run's on-run-start, or missing -#}
        {%- set exists = run_query("select count(*) from information_schema.tables where table_schema = '"
                                   ~ relation.schema ~ "' and table_name = '" ~ relation.identifier ~ "'") -%}
        {%- if exists.rows[0][0] == 0 -%}
            {{ return({}) }}
        {%- endif -%}
    {%- endif -%}
    {%- set rows = run_query("select model_name, mode, reason, change_set, base_change_set, changed_sources, "
                             ~ "fingerprint, invocation_id, tested, changed_since from " ~ relation) -%}
    {%- set states = {} -%}
    {%- for row in rows.rows -%}
        {%- do states.update({row[0]: {'mode': row[1], 'reason': row[2], 'change_set': row[3],
                                       'base_change_set': row[4],
                                       'changed_sources': (row[5] or '').split(',') | select | list,
                                       'fingerprint': row[6], 'invocation_id': row[7], 'tested': row[8],
                                       'changed_since': row[9]}}) -%}
    {%- endfor -%}
    {{ return(states) }}
{%- endmacro %}

{#-
    Post-hook of every incremental model: record how this build ran. The change set recorded is
    the one of int_orders_changed, which every incremental model depends on.
-#}
{% macro record_incremental_state() -%}
    {%- if execute -%}
        {%- set plan = incremental_plan() -%}
        {%- set changes = incremental_states().get('int_orders_changed', {}) -%}
        {{ log('incremental: ' ~ model.name ~ ' ' ~ plan.mode ~ ' (' ~ plan.reason ~ ')', info=True) }}
        {%- if plan.mode != 'changed' %}
        drop table if exists {{ written_relation(model.name) }};   {#- only a `changed` build's rows are kept #}
        {%- endif %}
        {{ write_incremental_state(model.name, plan.mode, plan.reason, changes.get('change_set'), none, [], none,
                                   changes.get('fingerprint')) }}
    {%- endif -%}
{%- endmacro %}

{% macro write_incremental_state(model_name, mode, reason, change_set, base_change_set, changed_sources,
                                 changed_since, fingerprint) -%}
    {%- set relation = incremental_state_relation() -%}
    delete from {{ relation }} where model_name = '{{ model_name }}';
    insert into {{ relation }} (model_name, mode, reason, change_set, base_change_set, changed_sources,
                                changed_since, fingerprint, invocation_id, built_at, tested)
    values (
        '{{ model_name }}', '{{ mode }}', {{ sql_string_or_null(reason) }}, {{ sql_string_or_null(change_set) }},
        {{ sql_string_or_null(base_change_set) }}, '{{ changed_sources | join(",") }}',
        {% if changed_since is none %}null{% else %}cast('{{ changed_since }}' as {{ dbt.type_timestamp() }}){% endif %},
        {{ sql_string_or_null(fingerprint) }}, '{{ invocation_id }}', {{ dbt.current_timestamp() }}, false
    )
{%- endmacro %}

{% macro sql_string_or_null(value) -%}
    {%- if value is none -%}null{%- else -%}'{{ value | replace("'", "''") }}'{%- endif -%}
{%- endmacro %}

{#-
    on-run-end: the models built by this invocation count as tested when data tests ran and every
    node passed (a model that failed leaves its tests and its children skipped). Otherwise the
    next build rebuilds and tests everything in full: a failing row must keep failing until it is
    fixed, not hide behind tests of new rows only, and no model may build on a stale neighbour.
-#}
{% macro record_incremental_tests(results) -%}
    {%- if execute -%}
        {%- set tests = results | selectattr('node.resource_type', 'equalto', 'test') | list -%}
        {%- set failed = results | rejectattr('status', 'in', ['success', 'pass', 'warn', 'no-op']) | list -%}
        {%- if tests and not failed -%}
            update {{ incremental_state_relation() }} set tested = true where invocation_id = '{{ invocation_id }}'
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
