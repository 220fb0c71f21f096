"""The suites of the marts: one `Target` per mart table BI reads.

`fct_orders` is validated on the rows of a check run's scope (the orders whose winning row came
from a path of the change set); the small marts and their reconciliations are validated whole.
Value sets come from the seeds (`quality.seeds`), never typed here. The marts of the
interventions (and the Mbizmarket suite of `fct_orders`) live in `quality.intervention_suites`.
"""

from __future__ import annotations

from quality.intervention_suites import (  # noqa: F401
    DIM_ACTIVITY, INTERVENTION_OUTCOMES, INTERVENTION_TARGETS, MBIZMARKET_ORDERS, RESTRICTION_PERIODS,
)
from quality.raw_suites import SURVEY_PERIOD
from quality.rules import (
    BY_LANDING_PATH, WARN, Suite, Target, at_least, between, equal, in_date_range, in_set, matches, not_null,
    one_of, row_count,
)
from quality.seeds import CONSTRAINT_CODES, FX_CURRENCIES, PROGRAM_IDS, REGION_CODES, SECTOR_CODES, allowed

FCT_ORDERS = Target("marts", "fct_orders", description="all orders", scope=BY_LANDING_PATH,
                    reads=("raw.mbizmarket_orders",), suites=(
    Suite("marts.fct_orders", """
        select f.rowid as _rowid, f.platform, f.is_counted, f.currency, f.buyer_country,
            cast(f.amount_idr as double) as amount_idr, f.order_date,
            case when f.is_counted then f.umkm_key is not null end as counted_merchant_enrolled
        from marts.fct_orders f
        where {scope}
    """, (
        in_set("platform", allowed("platform"), f"platform is {one_of(allowed('platform'))}"),
        not_null("is_counted", "every order is counted or not"),
        not_null("amount_idr", "every order has a rupiah amount (a missing FX rate is a row error, not null)"),
        between("amount_idr", "amount_idr is non-negative", min_value=0),
        in_set("currency", FX_CURRENCIES, "the currency has FX rates"),
        matches("buyer_country", r"^[A-Z]{2}$", "buyer_country is ISO alpha-2"),
        in_date_range("order_date", "the order date"),
        in_set("counted_merchant_enrolled", (True,),
               "every counted order's merchant is enrolled (others count in no program)", WARN),
    ), row_table="marts.fct_orders", sample_columns=("platform", "order_id", "landing_path"), scoped="f"),
    MBIZMARKET_ORDERS,
))

IMPACT = Target("marts", "mart_impact_summary", description="impact survey summary", suites=(
    Suite("marts.mart_impact_summary", f"""
        select m.rowid as _rowid, m.survey_period, m.region_code, m.sector_code, m.scale,
            m.n_respondents, m.n_impacted,
            {' + '.join(f'm.n_constraint_{c}' for c in CONSTRAINT_CODES)} as n_impacted_with_primary_constraint,
            m.n_impacted / nullif(m.n_respondents, 0) as share_impacted,
            {', '.join(f'm.n_constraint_{c} / nullif(m.n_impacted, 0) as share_constraint_{c}'
                       for c in CONSTRAINT_CODES)},
            cast(m.turnover_before_idr as double) as turnover_before_idr,
            cast(m.turnover_after_idr as double) as turnover_after_idr,
            m.workers_before, m.workers_after
        from marts.mart_impact_summary m
    """, (
        matches("survey_period", SURVEY_PERIOD, "survey_period is YYYY-MM"),
        in_set("region_code", REGION_CODES, "the region is one of the 35 kabupaten/kota"),
        in_set("sector_code", SECTOR_CODES, "the sector is one of reference/sectors.csv"),
        in_set("scale", allowed("scale"), f"scale is {one_of(allowed('scale'))}"),
        at_least("n_respondents", "n_impacted", "n_impacted <= n_respondents"),
        at_least("n_impacted", "n_impacted_with_primary_constraint",
                 "primary constraints are counted among impacted UMKM only"),
        between("share_impacted", "the share of impacted UMKM is between 0 and 1", 0, 1),
        *(between(f"share_constraint_{c}", f"the share of impacted UMKM whose main constraint is {c} "
                                           f"is between 0 and 1", 0, 1) for c in CONSTRAINT_CODES),
        between("turnover_before_idr", "turnover sums are non-negative", min_value=0),
        between("turnover_after_idr", "turnover sums are non-negative", min_value=0),
        between("workers_before", "worker sums are non-negative", min_value=0),
        between("workers_after", "worker sums are non-negative", min_value=0),
    ), row_table="marts.mart_impact_summary", sample_columns=("survey_period", "region_code", "sector_code",
                                                               "scale")),
))

# Program turnover recomputed from its definition (data contract 3) over fct_orders: the counted
# orders of the program's enrolled merchants, on its platform (and feature), in its window, on or
# after the joined date.
_COUNTED_PROGRAM_ORDERS = """
    select e.program_id, count(*) as n_orders, sum(o.amount_idr) as turnover_idr
    from intermediate.int_enrollments_deduped e
    join marts.dim_program p on p.program_id = e.program_id
    join marts.fct_orders o
        on o.is_counted and o.platform = p.platform and o.platform_merchant_id = e.platform_merchant_id
       and (p.feature is null or lower(o.feature) = lower(p.feature))
       and o.order_date between p.start_date and p.end_date and o.order_date >= e.joined_date
    group by e.program_id
"""

PROGRAM_SUMMARY = Target("marts", "mart_program_summary", description="turnover per program",
                         reads=("marts.fct_orders", "marts.dim_program", "intermediate.int_enrollments_deduped"),
                         suites=(
    Suite("marts.mart_program_summary", f"""
        select s.program_id, s.n_enrolled_umkm, s.n_active_umkm, s.n_orders,
            cast(s.turnover_idr as double) as turnover_idr,
            cast(s.turnover_foreign_idr as double) as turnover_foreign_idr,
            coalesce(c.n_orders, 0) as n_counted_program_orders,
            cast(coalesce(c.turnover_idr, 0) as double) as turnover_of_counted_program_orders
        from marts.mart_program_summary s
        left join ({_COUNTED_PROGRAM_ORDERS}) c on c.program_id = s.program_id
    """, (
        row_count(len(PROGRAM_IDS), "one row per program of reference/programs.csv"),
        in_set("program_id", PROGRAM_IDS, "program_id is one of reference/programs.csv"),
        at_least("n_enrolled_umkm", "n_active_umkm", "active UMKM are enrolled UMKM"),
        at_least("turnover_idr", "turnover_foreign_idr", "foreign turnover is part of the turnover"),
        between("turnover_idr", "program turnover is non-negative", min_value=0),
        equal("turnover_idr", "turnover_of_counted_program_orders",
              "program turnover equals the sum of its counted orders in fct_orders (program definition)"),
        equal("n_orders", "n_counted_program_orders", "n_orders equals the number of its counted orders"),
    ), sample_columns=("program_id",)),
))

TURNOVER_MONTHLY = Target("marts", "mart_turnover_monthly", description="program turnover per month",
                          reads=("marts.mart_program_summary",), suites=(
    Suite("marts.mart_turnover_monthly", """
        select t.rowid as _rowid, t.month, t.program_id, t.region_code, t.sector_code,
            t.n_active_umkm, t.n_orders,
            cast(t.turnover_idr as double) as turnover_idr,
            cast(t.turnover_foreign_idr as double) as turnover_foreign_idr
        from marts.mart_turnover_monthly t
    """, (
        in_date_range("month", "the month"),
        in_set("program_id", PROGRAM_IDS, "program_id is one of reference/programs.csv"),
        in_set("region_code", REGION_CODES, "the region is one of the 35 kabupaten/kota"),
        between("turnover_idr", "monthly turnover is non-negative", min_value=0),
        at_least("turnover_idr", "turnover_foreign_idr", "foreign turnover is part of the turnover"),
        at_least("n_orders", "n_active_umkm", "an active UMKM has at least one order"),
    ), row_table="marts.mart_turnover_monthly", sample_columns=("month", "program_id", "region_code",
                                                                 "sector_code")),
    Suite("marts.mart_turnover_monthly.reconciliation", """
        select coalesce(s.program_id, m.program_id) as program_id,
            cast(coalesce(s.turnover_idr, 0) as double) as program_summary_turnover_idr,
            cast(coalesce(m.turnover_idr, 0) as double) as monthly_turnover_idr,
            coalesce(s.n_orders, 0) as program_summary_n_orders,
            coalesce(m.n_orders, 0) as monthly_n_orders
        from marts.mart_program_summary s
        full outer join (
            select program_id, sum(turnover_idr) as turnover_idr, sum(n_orders) as n_orders
            from marts.mart_turnover_monthly group by program_id
        ) m on m.program_id = s.program_id
    """, (
        equal("monthly_turnover_idr", "program_summary_turnover_idr",
              "the months of a program sum to its turnover in mart_program_summary"),
        equal("monthly_n_orders", "program_summary_n_orders",
              "the months of a program sum to its n_orders in mart_program_summary"),
    ), sample_columns=("program_id",)),
))

DIM_UMKM = Target("marts", "dim_umkm", description="UMKM dimension", suites=(
    Suite("marts.dim_umkm", """
        select d.rowid as _rowid, d.umkm_key, d.region_code, d.sector_code, d.scale, d.first_seen_date
        from marts.dim_umkm d
    """, (
        matches("umkm_key", r"^[0-9a-f]{32}$", "the UMKM key is a salted hash, never a NIK or NIB"),
        in_set("region_code", REGION_CODES, "the region is one of the 35 kabupaten/kota"),
        in_set("sector_code", SECTOR_CODES, "the sector is one of reference/sectors.csv"),
        in_set("scale", allowed("scale"), f"scale is {one_of(allowed('scale'))}"),
        in_date_range("first_seen_date", "the first-seen date"),
    ), row_table="marts.dim_umkm", sample_columns=("umkm_key",)),
))

DIM_REGION = Target("marts", "dim_region", description="the 35 regions", suites=(
    Suite("marts.dim_region", "select region_code, region_type from marts.dim_region", (
        row_count(len(REGION_CODES), "Jawa Tengah has 35 kabupaten/kota"),
        in_set("region_code", REGION_CODES, "the BPS codes of reference/regions_jateng.csv"),
    ), sample_columns=("region_code",)),
))

DIM_PROGRAM = Target("marts", "dim_program", description="programs", suites=(
    Suite("marts.dim_program", "select program_id, platform, start_date, end_date from marts.dim_program", (
        in_set("program_id", PROGRAM_IDS, "program_id is one of reference/programs.csv"),
        in_set("platform", allowed("platform"), f"platform is {one_of(allowed('platform'))}"),
        at_least("end_date", "start_date", "a program window ends after it starts"),
    ), sample_columns=("program_id",)),
))

DATA_QUALITY = Target("marts", "mart_data_quality", description="file ledger for BI", suites=(
    Suite("marts.mart_data_quality", """
        select q.rowid as _rowid, q.status, q.rows_read - q.rows_loaded - q.rows_rejected as rows_unaccounted
        from marts.mart_data_quality q
    """, (
        in_set("status", allowed("ledger_status"), f"the file status is {one_of(allowed('ledger_status'))}"),
        between("rows_unaccounted", "rows read = rows loaded + rows rejected", 0, 0),
    ), row_table="marts.mart_data_quality", sample_columns=("landing_path", "status")),
))

MART_TARGETS = (FCT_ORDERS, IMPACT, PROGRAM_SUMMARY, TURNOVER_MONTHLY, DIM_UMKM, DIM_REGION, DIM_PROGRAM,
                DATA_QUALITY, *INTERVENTION_TARGETS)
