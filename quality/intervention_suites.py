"""The suites of the marts of issue 13: Mbizmarket orders in `fct_orders`, `dim_activity`,
`mart_intervention_outcomes` and `mart_restriction_periods` (imported by `quality.mart_suites`).

ERROR wherever a wrong figure would be published: an Mbizmarket amount that is not the Subtotal of
the order's latest landed row (Total Pesanan summed as turnover), more active UMKM than UMKM
(`n_active_after > n_umkm`), more attendees than registrants, and the intervention and PPKM
figures recomputed from their definitions (marts contract) over `fct_orders`. Value sets come
from the seeds (`quality.seeds`), never typed here.
"""

from __future__ import annotations

from quality.rules import (
    BY_UMKM, SCOPE, Suite, Target, at_least, between, equal, in_set, not_null, one_of, row_count, sql_list,
)
from quality.seeds import ACTIVITY_IDS, PROGRAM_IDS, REGION_CODES, SECTOR_CODES, allowed, counted, read_seed

PERIODS = read_seed("restriction_periods")
PERIOD_IDS = tuple(sorted(row["period_id"] for row in PERIODS))
PROMOTION_ID = "lapak_ganjar"    # intervention_id of the Lapak Ganjar promotion (marts contract)
WINDOW_DAYS = 30                 # mart_intervention_outcomes: days before / from the event date
PROGRAM, ACTIVITY, PROMOTION = allowed("intervention_type")   # seed order: program, activity, promotion

# fct_orders rows of platform mbizmarket against the latest landed raw row of their order (the
# loader keeps only current file versions in raw): amount_idr is its Subtotal, is_counted its status.
MBIZMARKET_ORDERS = Suite("marts.fct_orders.mbizmarket", f"""
    select f.rowid as _rowid,
        cast(f.amount_idr as double) as amount_idr,
        cast(w.subtotal as double) as winning_subtotal,
        cast(f.is_counted as integer) as is_counted,
        cast(w.order_status in ({sql_list(counted('mbizmarket_status'))}) as integer) as winning_status_counts
    from marts.fct_orders f
    left join (
        select m.order_id, m.subtotal, m.order_status,
            row_number() over (partition by m.order_id order by m.file_landed_at desc, m.loaded_at desc,
                               m.landing_path desc, m."row_number" desc) as version_rank
        from raw.mbizmarket_orders m
        where m.order_id in (select f.order_id from marts.fct_orders f where f.platform = 'mbizmarket' and {{scope}})
    ) w on w.order_id = f.order_id and w.version_rank = 1
    where f.platform = 'mbizmarket' and {{scope}}
""", (
    not_null("winning_subtotal", "every Mbizmarket order of fct_orders has its rows in raw"),
    equal("amount_idr", "winning_subtotal",
          "an Mbizmarket order's amount is the Subtotal of its latest landed row, never Total Pesanan"),
    equal("is_counted", "winning_status_counts",
          f"an Mbizmarket order counts when its latest status is {one_of(counted('mbizmarket_status'))}"),
), row_table="marts.fct_orders", sample_columns=("platform", "order_id", "landing_path"), scoped="f")

DIM_ACTIVITY = Target("marts", "dim_activity", description="activities", suites=(
    Suite("marts.dim_activity", "select activity_id, kind, mode, start_date, end_date from marts.dim_activity", (
        row_count(len(ACTIVITY_IDS), "one row per activity of reference/activities.csv"),
        in_set("activity_id", ACTIVITY_IDS, "activity_id is one of reference/activities.csv"),
        in_set("kind", allowed("activity_kind"), f"kind is {one_of(allowed('activity_kind'))}"),
        in_set("mode", allowed("activity_mode"), f"mode is {one_of(allowed('activity_mode'))}"),
        at_least("end_date", "start_date", "an activity ends on or after its start"),
    ), sample_columns=("activity_id",)),
))

# The intervention figures recomputed from the marts contract's definitions: the treated UMKM of
# each intervention with their event date, and their counted orders on any platform in the windows.
# Per UMKM, for the UMKM in scope (`s`: BY_UMKM); the mart is then reconciled with the windows.
_TREATED = f"""
    select * from (
        select '{PROGRAM}' as intervention_type, e.program_id as intervention_id, e.umkm_key,
            min(e.joined_date) as event_date
        from intermediate.int_enrollments_deduped e
        join marts.dim_program p on p.program_id = e.program_id
        where e.umkm_key is not null
        group by e.program_id, e.umkm_key
        union all
        select '{ACTIVITY}', t.activity_id, t.umkm_key, a.start_date
        from intermediate.int_training_participants_deduped t
        join marts.dim_activity a on a.activity_id = t.activity_id and a.kind <> 'promosi'
        where t.attended
        union all
        select '{PROMOTION}', '{PROMOTION_ID}', p.umkm_key, min(p.shown_date)
        from intermediate.int_lapak_ganjar_promotions_deduped p
        group by p.umkm_key
    ) s
    where {SCOPE}
"""
_RECOMPUTED_WINDOWS = f"""
    select t.intervention_type, t.intervention_id, t.umkm_key, t.event_date,
        count(o.order_date) filter (where o.order_date < t.event_date) as n_orders_before,
        count(o.order_date) filter (where o.order_date >= t.event_date) as n_orders_after,
        coalesce(sum(o.amount_idr) filter (where o.order_date < t.event_date), 0) as turnover_before_idr,
        coalesce(sum(o.amount_idr) filter (where o.order_date >= t.event_date), 0) as turnover_after_idr
    from ({_TREATED}) t
    left join marts.fct_orders o
        on o.is_counted and o.umkm_key = t.umkm_key
       and o.order_date between t.event_date - {WINDOW_DAYS} and t.event_date + {WINDOW_DAYS - 1}
    group by t.intervention_type, t.intervention_id, t.umkm_key, t.event_date
"""
_WINDOW_COLUMNS = ("n_orders_before", "n_orders_after", "turnover_before_idr", "turnover_after_idr")
_OUTCOME_COLUMNS = ("n_umkm", "n_registered", "n_active_before", "n_active_after", *_WINDOW_COLUMNS)
_OUTCOME_SUMS = ", ".join(f"sum(m.{c}) as {c}" for c in _OUTCOME_COLUMNS)
_WINDOW_SUMS = f"""
    select w.intervention_type, w.intervention_id,
        count(*) filter (where w.is_treated) as n_umkm, count(*) as n_registered,
        count(*) filter (where w.n_orders_before > 0) as n_active_before,
        count(*) filter (where w.n_orders_after > 0) as n_active_after,
        {", ".join(f"sum(w.{c}) as {c}" for c in _WINDOW_COLUMNS)}
    from intermediate.int_intervention_windows w
    group by w.intervention_type, w.intervention_id
"""

INTERVENTION_OUTCOMES = Target(
    "marts", "mart_intervention_outcomes", description="UMKM orders before and after each intervention",
    reads=("marts.fct_orders", "marts.dim_program", "marts.dim_activity", "intermediate.int_enrollments_deduped",
           "intermediate.int_training_participants_deduped", "intermediate.int_lapak_ganjar_promotions_deduped",
           "intermediate.int_intervention_windows", "intermediate.int_umkm_changed"), scope=BY_UMKM,
    suites=(
        Suite("marts.mart_intervention_outcomes", f"""
            select m.rowid as _rowid, m.intervention_type, m.intervention_id, m.region_code, m.sector_code,
                m.window_days, m.n_umkm, m.n_registered, m.n_active_before, m.n_active_after,
                m.n_orders_before, m.n_orders_after,
                cast(m.turnover_before_idr as double) as turnover_before_idr,
                cast(m.turnover_after_idr as double) as turnover_after_idr,
                case when m.intervention_type <> '{ACTIVITY}' then m.n_registered - m.n_umkm end
                    as registered_beyond_treated,
                case m.intervention_type
                    when '{PROGRAM}' then m.intervention_id in ({sql_list(PROGRAM_IDS)})
                    when '{ACTIVITY}' then m.intervention_id in ({sql_list(ACTIVITY_IDS)})
                    when '{PROMOTION}' then m.intervention_id = '{PROMOTION_ID}'
                end as intervention_known
            from marts.mart_intervention_outcomes m
        """, (
            in_set("intervention_type", allowed("intervention_type"),
                   f"intervention_type is {one_of(allowed('intervention_type'))}"),
            in_set("intervention_known", (True,),
                   "the intervention is a program of dim_program, an activity of dim_activity or lapak_ganjar"),
            in_set("region_code", REGION_CODES, "the region is one of the 35 kabupaten/kota"),
            in_set("sector_code", SECTOR_CODES, "the sector is one of reference/sectors.csv"),
            between("window_days", f"the windows are {WINDOW_DAYS} days", WINDOW_DAYS, WINDOW_DAYS),
            at_least("n_umkm", "n_active_before", "active UMKM before are among the UMKM (n_active_before <= n_umkm)"),
            at_least("n_umkm", "n_active_after", "active UMKM after are among the UMKM (n_active_after <= n_umkm)"),
            at_least("n_registered", "n_umkm", "attendees are among the registered (n_umkm <= n_registered)"),
            between("registered_beyond_treated", "programs and the promotion have n_registered = n_umkm", 0, 0),
            at_least("n_orders_before", "n_active_before", "an active UMKM has at least one order (before)"),
            at_least("n_orders_after", "n_active_after", "an active UMKM has at least one order (after)"),
            between("turnover_before_idr", "turnover before is non-negative", min_value=0),
            between("turnover_after_idr", "turnover after is non-negative", min_value=0),
        ), row_table="marts.mart_intervention_outcomes",
            sample_columns=("intervention_type", "intervention_id", "region_code", "sector_code")),
        Suite("marts.mart_intervention_outcomes.reconciliation", f"""
            select coalesce(m.intervention_type, w.intervention_type) as intervention_type,
                coalesce(m.intervention_id, w.intervention_id) as intervention_id,
                {', '.join(f'cast(coalesce(m.{c}, 0) as double) as {c}, '
                           f'cast(coalesce(w.{c}, 0) as double) as windows_{c}' for c in _OUTCOME_COLUMNS)}
            from (
                select m.intervention_type, m.intervention_id, {_OUTCOME_SUMS}
                from marts.mart_intervention_outcomes m
                group by m.intervention_type, m.intervention_id
            ) m
            full outer join ({_WINDOW_SUMS}) w
                on w.intervention_type = m.intervention_type and w.intervention_id = m.intervention_id
        """, tuple(
            equal(column, f"windows_{column}", f"{column} of an intervention equals the sum of its UMKM's windows "
                                               f"(int_intervention_windows)")
            for column in _OUTCOME_COLUMNS
        ), sample_columns=("intervention_type", "intervention_id")),
        # The windows of the UMKM this build recomputed (all of them after a full build), against
        # the contract's definitions: the check of the incremental windows.
        Suite("intermediate.int_intervention_windows.reconciliation", f"""
            select coalesce(w.intervention_type, r.intervention_type) as intervention_type,
                coalesce(w.intervention_id, r.intervention_id) as intervention_id,
                cast(coalesce(w.is_treated, false) as integer) as is_treated,
                cast(r.umkm_key is not null as integer) as recomputed_is_treated,
                w.event_date, r.event_date as recomputed_event_date,
                {', '.join(f'cast(coalesce(w.{c}, 0) as double) as {c}, '
                           f'cast(coalesce(r.{c}, 0) as double) as recomputed_{c}' for c in _WINDOW_COLUMNS)}
            from (select * from intermediate.int_intervention_windows s where {SCOPE}) w
            full outer join ({_RECOMPUTED_WINDOWS}) r
                on r.intervention_type = w.intervention_type and r.intervention_id = w.intervention_id
               and r.umkm_key = w.umkm_key
            where w.is_treated or r.umkm_key is not null
        """, (
            equal("is_treated", "recomputed_is_treated", "the treated UMKM of an intervention are those of its "
                                                         "definition: enrolled, attended, promoted (marts contract)"),
            equal("event_date", "recomputed_event_date", "a UMKM's event date is the one of its definition"),
            *(equal(column, f"recomputed_{column}", f"{column} of a UMKM's window equals its recomputation from "
                                                    f"fct_orders and the event date (marts contract)")
              for column in _WINDOW_COLUMNS),
        ), sample_columns=("intervention_type", "intervention_id"), scoped="s"),
    ))

# PPKM figures recomputed per (period of the seed, platform) from fct_orders: the period, and the
# n_days days before it.
_PERIOD_VALUES = ", ".join(f"('{row['period_id']}', date '{row['start_date']}', date '{row['end_date']}')"
                           for row in PERIODS)
_RECOMPUTED_PERIODS = f"""
    select p.period_id, o.platform,
        count(*) filter (where o.order_date >= p.start_date) as n_orders_during,
        coalesce(sum(o.amount_idr) filter (where o.order_date >= p.start_date), 0) as turnover_during_idr,
        count(*) filter (where o.order_date < p.start_date) as n_orders_baseline,
        coalesce(sum(o.amount_idr) filter (where o.order_date < p.start_date), 0) as turnover_baseline_idr
    from (values {_PERIOD_VALUES}) as p(period_id, start_date, end_date)
    join marts.fct_orders o
        on o.is_counted and o.order_date between p.start_date - cast(p.end_date - p.start_date + 1 as integer)
                                                  and p.end_date
    group by p.period_id, o.platform
"""
_PERIOD_COLUMNS = ("n_orders_during", "turnover_during_idr", "n_orders_baseline", "turnover_baseline_idr")

RESTRICTION_PERIODS = Target(
    "marts", "mart_restriction_periods", description="orders during PPKM and just before",
    reads=("marts.fct_orders",), suites=(
        Suite("marts.mart_restriction_periods", """
            select m.rowid as _rowid, m.period_id, m.platform, m.region_code, m.sector_code,
                m.n_days - (m.end_date - m.start_date + 1) as n_days_gap,
                m.n_orders_during, m.n_active_umkm_during, m.n_orders_baseline, m.n_active_umkm_baseline,
                m.n_orders_during + m.n_orders_baseline as n_orders_either,
                cast(m.turnover_during_idr as double) as turnover_during_idr,
                cast(m.turnover_baseline_idr as double) as turnover_baseline_idr
            from marts.mart_restriction_periods m
        """, (
            in_set("period_id", PERIOD_IDS, "period_id is one of reference/restriction_periods.csv"),
            in_set("platform", allowed("platform"), f"platform is {one_of(allowed('platform'))}"),
            in_set("region_code", REGION_CODES, "the region is one of the 35 kabupaten/kota"),
            in_set("sector_code", SECTOR_CODES, "the sector is one of reference/sectors.csv"),
            between("n_days_gap", "n_days counts the days of the period, both ends included", 0, 0),
            between("n_orders_either", "every row has a counted order in the period or its baseline", min_value=1),
            at_least("n_orders_during", "n_active_umkm_during", "an active seller has at least one order (during)"),
            at_least("n_orders_baseline", "n_active_umkm_baseline",
                     "an active seller has at least one order (baseline)"),
            between("turnover_during_idr", "turnover during is non-negative", min_value=0),
            between("turnover_baseline_idr", "baseline turnover is non-negative", min_value=0),
        ), row_table="marts.mart_restriction_periods",
            sample_columns=("period_id", "platform", "region_code", "sector_code")),
        Suite("marts.mart_restriction_periods.reconciliation", f"""
            select coalesce(m.period_id, r.period_id) as period_id, coalesce(m.platform, r.platform) as platform,
                {', '.join(f'cast(coalesce(m.{c}, 0) as double) as {c}, '
                           f'cast(coalesce(r.{c}, 0) as double) as recomputed_{c}' for c in _PERIOD_COLUMNS)}
            from (
                select m.period_id, m.platform, {', '.join(f'sum(m.{c}) as {c}' for c in _PERIOD_COLUMNS)}
                from marts.mart_restriction_periods m
                group by m.period_id, m.platform
            ) m
            full outer join ({_RECOMPUTED_PERIODS}) r on r.period_id = m.period_id and r.platform = m.platform
        """, tuple(
            equal(column, f"recomputed_{column}", f"{column} of a period and platform equals its recomputation "
                                                  f"from fct_orders (the period, and the n_days days before it)")
            for column in _PERIOD_COLUMNS
        ), sample_columns=("period_id", "platform")),
    ))

INTERVENTION_TARGETS = (DIM_ACTIVITY, INTERVENTION_OUTCOMES, RESTRICTION_PERIODS)
