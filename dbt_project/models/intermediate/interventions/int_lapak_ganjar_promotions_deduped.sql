-- One row per promotion (shown_date, umkm_key): the same UMKM twice in the log on one day is one
-- promotion (data contract 2.8). Its attributes come from its latest landed row.
-- A table: rebuilt when a Lapak Ganjar log arrives (Dagster builds what is downstream of a change).
with

promotions as (

    select * from {{ ref('stg_lapak_ganjar__promotions') }}
    where umkm_key is not null

),

ranked as (

    select
        promotions.*,
        row_number() over (
            partition by shown_date, umkm_key
            order by {{ latest_landed_order('promotions') }}
        ) as version_rank,
        count(*) over (partition by shown_date, umkm_key) as n_log_rows

    from promotions

)

select
    shown_date,
    umkm_key,
    nib,
    business_name,
    region_code,
    sector_code,
    product,
    n_log_rows,
    landing_path,
    file_sha256,
    source_row_number,
    file_landed_at,
    loaded_at

from ranked
where version_rank = 1
