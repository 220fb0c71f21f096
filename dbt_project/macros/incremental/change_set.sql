{#-
    The plan of int_orders_changed, read at run time before any stateful model is rebuilt:
    {'mode': 'changed' | 'full', 'reason', 'changed_sources', 'replaced_sources', 'since'}.
    `changed` compares the file ledger with the snapshot the last build left; `full` means the
    change set cannot be trusted and every incremental model is rebuilt in full.
-#}
{% macro change_set_plan() -%}
    {%- if not execute -%}
        {{ return({'mode': 'full', 'reason': 'parsing', 'changed_sources': []}) }}
    {%- endif -%}
    {%- set states = incremental_states() -%}
    {%- set own = states.get(model.name) -%}
    {%- set previous = [model_relation('fct_orders'), model_relation('int_enrollments_deduped')] -%}
    {%- set missing = [] -%}
    {%- for relation in previous -%}
        {%- if adapter.get_relation(relation.database, relation.schema, relation.identifier) is none -%}
            {%- do missing.append(relation.identifier) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if flags.FULL_REFRESH -%}
        {{ return({'mode': 'full', 'reason': '--full-refresh', 'changed_sources': []}) }}
    {%- elif own is none or missing -%}
        {{ return({'mode': 'full', 'reason': 'first build', 'changed_sources': []}) }}
    {%- elif not own.tested -%}
        {{ return({'mode': 'full', 'reason': 'the last build did not pass all its tests', 'changed_sources': []}) }}
    {%- elif own.fingerprint != incremental_fingerprint() -%}
        {{ return({'mode': 'full', 'reason': 'a model or a seed changed', 'changed_sources': []}) }}
    {%- endif -%}

    {%- set summary = run_query(change_set_summary_sql()) -%}
    {%- set changed, replaced, since = [], [], {} -%}
    {%- for row in summary.rows -%}
        {%- do changed.append(row[0]) -%}
        {%- if row[1] > 0 -%}{%- do replaced.append(row[0]) -%}{%- endif -%}
        {%- do since.update({row[0]: row[2]}) -%}
    {%- endfor -%}
    {{ return({'mode': 'changed', 'reason': 'new file versions of ' ~ (changed | join(', ') or 'none'),
               'changed_sources': changed, 'replaced_sources': replaced, 'since': since,
               'changed_since': since.values() | min if since else none}) }}
{%- endmacro %}

{#- Per ledger source: file versions new since the snapshot, how many replace a version it held, the earliest. -#}
{% macro change_set_summary_sql() -%}
    {%- set snapshot = landing_snapshot_relation() -%}
    select
        ledger.source,
        count(case when exists (select 1 from {{ snapshot }} held where held.landing_path = ledger.landing_path)
                   then 1 end) as n_replacing,
        min(ledger.first_seen) as since
    from {{ model_relation('stg_pipeline__landing_files') }} as ledger
    where not exists (
        select 1 from {{ snapshot }} seen
        where seen.landing_path = ledger.landing_path
          and seen.sha256 = ledger.file_sha256
          and seen.first_seen = ledger.first_seen
    )
    group by ledger.source
    order by ledger.source
{%- endmacro %}

{#- Post-hook of int_orders_changed: the snapshot of the ledger it compared against, and its state. -#}
{% macro record_change_set() -%}
    {%- if execute -%}
        {%- set plan = change_set_plan() -%}
        {%- set own = incremental_states().get(model.name, {}) -%}
        {{ log('incremental: change set ' ~ plan.mode ~ ' (' ~ plan.reason ~ ')', info=True) }}
        delete from {{ landing_snapshot_relation() }};
        insert into {{ landing_snapshot_relation() }}
        select landing_path, file_sha256, first_seen, status from {{ ref('stg_pipeline__landing_files') }};
        {{ write_incremental_state(model.name, plan.mode, plan.reason, invocation_id, own.get('change_set'),
                                   plan.changed_sources, plan.get('changed_since'), incremental_fingerprint()) }}
    {%- endif -%}
{%- endmacro %}

{#- Timestamp literal: rows of a file version carry its first_seen as loaded_at, so old row groups are skipped. -#}
{% macro change_set_since(plan, source) -%}
    cast('{{ plan.since[source] }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}
