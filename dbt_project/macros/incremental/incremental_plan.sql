{#-
    How an incremental model builds this time (read at run time, once the models it depends on
    are built). Returns {'mode': ..., 'reason': ...} where mode is

      full     rebuild every row (first build, --full-refresh, or a state it cannot trust);
      changed  recompute only the rows the change set touches (meta.incremental.recompute);
      none     nothing it reads changed: keep every row.

    The model's `meta.incremental` config says what it reads and how it recomputes:
      sources            ledger sources (gofood, shopee, uvo, enrollment, survey) its rows depend on;
      recompute          {'by': 'order', 'platform': ...} or {'by': 'month', 'column': ...}; models
                         without it are all-or-nothing (rebuilt whenever one of their sources changed);
      full_when_rebuilt  models whose full rebuild in this run forces a full rebuild of this one
                         (e.g. dim_umkm: any UMKM may have moved region or sector).
-#}
{% macro incremental_plan() -%}
    {%- if not execute or model.resource_type == 'unit_test' -%}
        {{ return({'mode': 'full', 'reason': 'parsing, or a unit test (which tests the full build)'}) }}
    {%- elif not is_incremental() -%}
        {{ return({'mode': 'full', 'reason': 'no table yet, or --full-refresh'}) }}
    {%- endif -%}
    {%- set settings = config.get('meta', {}).get('incremental', {}) -%}
    {%- set states = incremental_states() -%}
    {%- set own = states.get(model.name) -%}
    {%- set changes = states.get('int_orders_changed') -%}
    {%- set stale = incremental_upstream_not_built(model.unique_id, states) -%}

    {%- if own is none -%}
        {%- set plan = {'mode': 'full', 'reason': 'no build state recorded'} -%}
    {%- elif not own.tested -%}
        {%- set plan = {'mode': 'full', 'reason': 'the last build did not pass all its tests'} -%}
    {%- elif stale -%}
        {%- set plan = {'mode': 'full', 'reason': stale ~ ' was not built in this run'} -%}
    {%- elif changes.mode == 'full' -%}
        {%- set plan = {'mode': 'full', 'reason': 'no change set: ' ~ changes.reason} -%}
    {%- elif own.change_set != changes.base_change_set -%}
        {%- set plan = {'mode': 'full', 'reason': 'missed a build (the last one failed or skipped it)'} -%}
    {%- else -%}
        {%- set rebuilt = [] -%}
        {%- for name in settings.get('full_when_rebuilt', []) if name in states -%}
            {%- if states[name].mode == 'full' and states[name].invocation_id == invocation_id -%}
                {%- do rebuilt.append(name) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set touched = settings.get('sources', []) | select('in', changes.changed_sources) | list -%}
        {%- if rebuilt -%}
            {%- set plan = {'mode': 'full', 'reason': rebuilt | join(', ') ~ ' rebuilt in full'} -%}
        {%- elif not touched -%}
            {%- set plan = {'mode': 'none', 'reason': 'none of its sources changed'} -%}
        {%- elif settings.get('recompute') -%}
            {%- set plan = {'mode': 'changed', 'reason': 'new file versions of ' ~ touched | join(', ')} -%}
        {%- else -%}
            {%- set plan = {'mode': 'full', 'reason': 'new file versions of ' ~ touched | join(', ')} -%}
        {%- endif -%}
    {%- endif -%}
    {{ return(plan) }}
{%- endmacro %}

{#-
    The first stateful (incremental, or the change set) model upstream of `unique_id` that this
    invocation did not build (a partial `--select`), or none. Building on it would miss changes.
-#}
{% macro incremental_upstream_not_built(unique_id, states) -%}
    {%- for parent in incremental_upstream(unique_id) if parent != unique_id -%}
        {%- set node = graph.nodes[parent] -%}
        {%- if node.config.materialized == 'incremental' or node.name == 'int_orders_changed' -%}
            {%- if states.get(node.name, {}).get('invocation_id') != invocation_id -%}
                {{ return(node.name) }}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(none) }}
{%- endmacro %}

{#- unique_id and every model/seed it depends on, directly or not. -#}
{% macro incremental_upstream(unique_id) -%}
    {%- set seen = [unique_id] -%}
    {%- for current in seen -%}   {#- the loop also visits what it appends -#}
        {%- for parent in graph.nodes.get(current, {}).get('depends_on', {}).get('nodes', []) -%}
            {%- if parent in graph.nodes and parent not in seen -%}
                {%- do seen.append(parent) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(seen) }}
{%- endmacro %}

{#-
    Changes when the SQL of any model or the content of any seed changes: stored rows may then
    differ from what the code gives, so the change set goes `full` and every model is rebuilt.
    (Macros have no checksum in the graph: after editing a macro, build with --full-refresh.)
-#}
{% macro incremental_fingerprint() -%}
    {%- set parts = [] -%}
    {%- for node in graph.nodes.values() | sort(attribute='unique_id')
            if node.resource_type in ('model', 'seed') -%}
        {%- do parts.append(node.unique_id ~ '=' ~ node.checksum.checksum) -%}
    {%- endfor -%}
    {{ return(local_md5(parts | join(';'))) }}
{%- endmacro %}
