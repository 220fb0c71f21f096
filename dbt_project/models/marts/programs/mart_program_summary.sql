-- One row per program of dim_program (programs without orders included, with zeros):
-- enrolled and active UMKM, program orders and turnover, foreign buyers, first/last order date.
-- A table rebuilt every build, from the small per-UMKM-month sums (not from every program order).
with

programs as (

    select * from {{ ref('dim_program') }}

),

enrolled as (

    select
        program_id,
        count(distinct umkm_key) as n_enrolled_umkm
    from {{ ref('int_enrollments_deduped') }}
    group by program_id

),

program_umkm_months as (

    select
        *,
        coalesce(buyer_country <> 'ID', false) as is_foreign_buyer
    from {{ ref('int_program_orders_summed') }}

),

program_orders as (

    select
        program_id,
        count(distinct umkm_key) as n_active_umkm,
        sum(n_orders) as n_orders,
        sum(turnover_idr) as turnover_idr,
        sum(case when is_foreign_buyer then turnover_idr else 0 end) as turnover_foreign_idr,
        count(distinct case when is_foreign_buyer then buyer_country end) as n_buyer_countries,
        min(first_order_date) as first_order_date,
        max(last_order_date) as last_order_date
    from program_umkm_months
    group by program_id

)

select
    programs.program_id,
    programs.program_name,
    programs.platform,
    cast(coalesce(enrolled.n_enrolled_umkm, 0) as {{ dbt.type_bigint() }}) as n_enrolled_umkm,
    cast(coalesce(program_orders.n_active_umkm, 0) as {{ dbt.type_bigint() }}) as n_active_umkm,
    cast(coalesce(program_orders.n_orders, 0) as {{ dbt.type_bigint() }}) as n_orders,
    cast(coalesce(program_orders.turnover_idr, 0) as decimal(18, 2)) as turnover_idr,
    cast(coalesce(program_orders.turnover_foreign_idr, 0) as decimal(18, 2)) as turnover_foreign_idr,
    cast(coalesce(program_orders.n_buyer_countries, 0) as {{ dbt.type_bigint() }}) as n_buyer_countries,
    cast(program_orders.first_order_date as date) as first_order_date,
    cast(program_orders.last_order_date as date) as last_order_date

from programs
left join enrolled
    on programs.program_id = enrolled.program_id
left join program_orders
    on programs.program_id = program_orders.program_id
