-- Program turnover per month, program, region and sector (region and sector of the UMKM,
-- from dim_umkm). Only program turnover as the data contract (section 3) defines it.
with

program_orders as (

    select * from {{ ref('int_program_orders_matched') }}

),

umkm as (

    select * from {{ ref('dim_umkm') }}

),

summed as (

    select
        program_orders.order_month as month,
        program_orders.program_id,
        umkm.region_code,
        umkm.sector_code,
        count(distinct program_orders.umkm_key) as n_active_umkm,
        count(*) as n_orders,
        sum(program_orders.amount_idr) as turnover_idr,
        sum(case when program_orders.is_foreign_buyer then program_orders.amount_idr else 0 end)
            as turnover_foreign_idr

    from program_orders
    left join umkm
        on program_orders.umkm_key = umkm.umkm_key
    group by program_orders.order_month, program_orders.program_id, umkm.region_code, umkm.sector_code

)

select
    cast(month as date) as month,
    cast(program_id as {{ dbt.type_string() }}) as program_id,
    cast(region_code as {{ dbt.type_string() }}) as region_code,
    cast(sector_code as {{ dbt.type_string() }}) as sector_code,
    cast(n_active_umkm as {{ dbt.type_bigint() }}) as n_active_umkm,
    cast(n_orders as {{ dbt.type_bigint() }}) as n_orders,
    cast(turnover_idr as decimal(18, 2)) as turnover_idr,
    cast(turnover_foreign_idr as decimal(18, 2)) as turnover_foreign_idr

from summed
