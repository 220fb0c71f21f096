-- Survey results per wave, region, sector and scale. Respondents are the deduplicated,
-- approved submissions; constraints, turnover and workers are counted among impacted UMKM only.
-- A table: rebuilt when a survey export arrives (Dagster builds what is downstream of a change).
{%- set constraints = ['marketing', 'capital', 'raw_materials', 'distribution', 'production',
                       'labour', 'other'] %}
with

survey as (

    select * from {{ ref('int_survey_submissions_deduped') }}

),

summed as (

    select
        survey_period,
        region_code,
        sector_code,
        scale,
        count(*) as n_respondents,
        sum(case when is_impacted then 1 else 0 end) as n_impacted,
        {%- for code in constraints %}
        sum(case when is_impacted and primary_constraint_code = '{{ code }}' then 1 else 0 end)
            as n_constraint_{{ code }},
        {%- endfor %}
        sum(case when is_impacted then turnover_before_idr end) as turnover_before_idr,
        sum(case when is_impacted then turnover_after_idr end) as turnover_after_idr,
        sum(case when is_impacted then workers_before end) as workers_before,
        sum(case when is_impacted then workers_after end) as workers_after

    from survey
    group by survey_period, region_code, sector_code, scale

)

select
    cast(survey_period as {{ dbt.type_string() }}) as survey_period,
    cast(region_code as {{ dbt.type_string() }}) as region_code,
    cast(sector_code as {{ dbt.type_string() }}) as sector_code,
    cast(scale as {{ dbt.type_string() }}) as scale,
    cast(n_respondents as {{ dbt.type_bigint() }}) as n_respondents,
    cast(n_impacted as {{ dbt.type_bigint() }}) as n_impacted,
    {%- for code in constraints %}
    cast(n_constraint_{{ code }} as {{ dbt.type_bigint() }}) as n_constraint_{{ code }},
    {%- endfor %}
    cast(coalesce(turnover_before_idr, 0) as decimal(18, 2)) as turnover_before_idr,
    cast(coalesce(turnover_after_idr, 0) as decimal(18, 2)) as turnover_after_idr,
    cast(coalesce(workers_before, 0) as {{ dbt.type_bigint() }}) as workers_before,
    cast(coalesce(workers_after, 0) as {{ dbt.type_bigint() }}) as workers_after

from summed
