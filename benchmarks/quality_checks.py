"""Time the GX quality checks: on a real warehouse (e.g. the demo's) and on synthetic raw tables
at the benchmark scale (ten million orders), built directly in DuckDB with SQL.

    .venv/bin/python benchmarks/quality_checks.py --orders 10000000          # synthetic raw layer
    .venv/bin/python benchmarks/quality_checks.py --warehouse data/warehouse.duckdb   # e.g. after `make demo`
    .venv/bin/python benchmarks/quality_checks.py --orders 5000000 --workdir /tmp/q5m --whole-frames

It runs exactly what the `raw_quality_checks` (and, on a real warehouse, `mart_quality_checks`;
on the synthetic one, the `marts.fct_orders` target over a synthetic fct_orders) asset check
steps run: `quality.validate.validate_targets` over a read-only connection, Data Docs included.
The synthetic orders split 60 % GoBiz transactions, 30 % Shopee order lines, 10 % UVO transactions,
with a realistic enrollment registry (a fraction of merchants unenrolled, so the WARN checks have
something to report) and a survey of 100.000 submissions.

Row rules are counted in DuckDB (`quality.sql_rules`) and GX sees only the failing rows;
`--whole-frames` runs GX on every projection whole instead (how the checks ran before), to compare.
The raw layer's time is also given as a multiple of the floor: a plain `select count(*) ... group
by` over the same raw tables.

Not part of the default test run. Prints per-table timings, the total, and peak memory.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

LINEAGE = "landing_path, sha256, row_number, file_landed_at, loaded_at"


def build_synthetic(path: Path, orders: int) -> None:
    """Raw tables with `orders` order rows in all (GoBiz 60 %, Shopee lines 30 %, UVO 10 %)."""
    import duckdb

    from ingest.raw_schema import create_raw_schema

    n_gofood, n_shopee = int(orders * 0.6), int(orders * 0.3)
    n_uvo = orders - n_gofood - n_shopee
    con = duckdb.connect(str(path))
    create_raw_schema(con)
    started = time.perf_counter()
    # enrollment: 20.000 GoBiz merchants (85 % enrolled), 2.000 shops (90 %), 5.000 exhibitors (95 %)
    con.execute(f"""
        insert into raw.enrollments ({LINEAGE}, program_id, umkm_key, nik, nib, business_name, region_code,
                                     sector_code, platform_merchant_id, joined_date)
        select 'enrollment/peserta_' || (i // 5000) || '.csv', md5('e' || (i // 5000)), (i % 5000 + 1)::int,
               timestamp '2021-01-05', timestamp '2021-01-05',
               case when i < 17000 then (case when i % 2 = 0 then 'gofood_banner_promo' else 'goshop' end)
                    when i < 18800 then 'shopee_kampus_umkm' else 'uvo_2021' end,
               md5('umkm' || i)[:32], lpad((3374000000000000 + i)::varchar, 16, '0'), null, 'Usaha ' || i,
               ['3374', '3372', '3301', '3309'][(i % 4 + 1)::int], 'food_beverage',
               case when i < 17000 then 'G-' || i when i < 18800 then (500000 + i - 17000)::varchar
                    else 'UVO-' || (i - 18800) end,
               date '2021-01-01' + (i % 200)::int
        from range(23550) t(i)""")
    con.execute(f"""
        insert into raw.gofood_transactions ({LINEAGE}, transaction_id, transaction_reference, order_id, stan,
            transaction_date, transaction_ts_utc, transaction_date_wib, amount, nett_amount, transaction_status,
            feature, payment_type, merchant_name, merchant_id, currency)
        select 'gofood/gobiz_' || (i // 50000) || '.csv', md5('g' || (i // 50000)), (i % 50000 + 1)::int,
               timestamp '2021-01-01' + to_days((i // 50000)::int), timestamp '2022-07-01',
               'T' || i, 'R' || i, 'F-' || i, (i % 1000000)::varchar,
               ts::date, ts, (ts + interval 7 hour)::date,
               amt, amt * 0.8, case h % 20 when 0 then 'cancel' when 1 then 'pending' when 2 then 'expire'
                                              when 3 then 'completed' else 'settlement' end,
               case h % 3 when 0 then 'GoShop' when 1 then 'GoPay' else 'GoFood' end, 'GOPAY', 'Warung ' || (i % 20000),
               'G-' || (i % 20000), 'IDR'
        from (select i, hash(i) as h,
                     timestamp '2021-01-01' + to_seconds((hash(i) % (540 * 86400))::bigint) as ts,
                     (5000 + hash(i * 7) % 495000)::decimal(18, 2) as amt
              from range({n_gofood}) t(i))""")
    con.execute(f"""
        insert into raw.shopee_order_lines ({LINEAGE}, shop_id, layout, order_id, order_status,
            order_created_ts_utc, order_created_date_wib, order_completed_ts_utc, product_name, sku_ref,
            variation_name, price_after_discount, quantity, returned_quantity, order_total_payment, buyer_city,
            buyer_province, buyer_username, recipient_name, recipient_phone, shipping_address, extra_columns)
        select 'shopee/' || shop || '/Order.all.' || strftime(ts, '%Y%m') || '.csv',
               md5(shop || strftime(ts, '%Y%m')), (i % 20000 + 1)::int, date_trunc('month', ts) + interval 32 day,
               timestamp '2022-07-01', shop, 'new', 'O' || (i // 2), case h % 10 when 0 then 'Batal'
               when 1 then 'Sedang Dikirim' else 'Selesai' end, ts, (ts + interval 7 hour)::date, ts + interval 3 day,
               'Produk ' || (h % 500), 'SKU-' || (i % 2), '', price, 1 + (h % 3)::int, 0, price * 3 + 10000,
               'KOTA SEMARANG', 'JAWA TENGAH', 'buyer' || (h % 100000), 'Pembeli ' || (h % 100000),
               '0812' || (h % 100000000), 'Jl. Contoh ' || (h % 1000), '{{}}'
        from (select i, hash(i) as h, (500000 + (i // 2) % 2000)::varchar as shop,
                     timestamp '2021-09-01' + to_seconds((hash(i // 2) % (480 * 86400))::bigint) as ts,
                     (10000 + hash(i * 3) % 190000)::decimal(18, 2) as price
              from range({n_shopee}) t(i))""")
    con.execute(f"""
        insert into raw.uvo_transactions ({LINEAGE}, transaction_id, participant_id, participant_name,
            transaction_ts_utc, transaction_date_wib, buyer_country, currency, amount, status)
        select 'uvo/transaksi_' || (i // 100000) || '.csv', md5('u' || (i // 100000)), (i % 100000 + 1)::int,
               timestamp '2021-04-01' + to_days((i // 100000)::int), timestamp '2022-07-01',
               'UVO21-' || i, 'UVO-' || (i % 5000), 'Peserta ' || (i % 5000),
               ts, (ts + interval 7 hour)::date, c.country, c.currency,
               case c.currency when 'IDR' then 250000 + h % 5000000 when 'JPY' then 1000 + h % 50000
                    else 20 + h % 2000 end,
               case h % 10 when 0 then 'batal' when 1 then 'menunggu' else 'lunas' end
        from (select i, hash(i) as h,
                     timestamp '2021-01-01' + to_seconds((hash(i) % (360 * 86400))::bigint) as ts
              from range({n_uvo}) t(i)) o
        join (values (0, 'ID', 'IDR'), (1, 'SG', 'SGD'), (2, 'MY', 'MYR'), (3, 'JP', 'JPY'), (4, 'US', 'USD'))
             c(k, country, currency) on c.k = o.h % 5""")
    con.execute(f"""
        insert into raw.survey_submissions ({LINEAGE}, submission_id, submission_uuid, survey_period,
            started_at_utc, ended_at_utc, submitted_at_utc, submitted_date_wib, umkm_key, nik, owner_name, phone,
            nib, business_name, region_code, sector_code, scale, is_impacted, primary_constraint_code,
            constraint_codes, turnover_before_idr, turnover_after_idr, workers_before, workers_after,
            digital_platforms, validation_status)
        select 'survey/kobo_' || (i // 25000) || '.csv', md5('k' || (i // 25000)), (i % 25000 + 1)::int,
               timestamp '2021-02-01', timestamp '2021-02-01', (10000000 + i)::varchar, md5('uuid' || i),
               '2021-0' || (1 + i % 3), ts, ts, ts, (ts + interval 7 hour)::date, md5('umkm' || i)[:32],
               lpad((3374000000000000 + i)::varchar, 16, '0'), 'Pemilik ' || i, '0812' || i, null, 'Usaha ' || i,
               '3374', 'food_beverage', 'mikro', true, 'marketing', 'marketing',
               (1000000 + h % 50000000)::decimal(18, 2), (500000 + h % 20000000)::decimal(18, 2), 3, 2,
               'gofood', 'validation_status_approved'
        from (select i, hash(i) as h, timestamp '2021-01-01' + to_seconds((hash(i) % (80 * 86400))::bigint) as ts
              from range(100000) t(i))""")
    con.execute("""
        insert into raw.landing_files
        select landing_path, sha256, split_part(landing_path, '/', 1), 'loaded', null, count(*), count(*), 0,
               1000, max(file_landed_at), max(loaded_at), max(loaded_at), null
        from (select landing_path, sha256, file_landed_at, loaded_at from raw.gofood_transactions
              union all select landing_path, sha256, file_landed_at, loaded_at from raw.shopee_order_lines
              union all select landing_path, sha256, file_landed_at, loaded_at from raw.uvo_transactions
              union all select landing_path, sha256, file_landed_at, loaded_at from raw.survey_submissions
              union all select landing_path, sha256, file_landed_at, loaded_at from raw.enrollments)
        group by landing_path, sha256""")
    counts = {t: con.execute(f"select count(*) from raw.{t}").fetchone()[0]
              for t in ("gofood_transactions", "shopee_order_lines", "uvo_transactions", "survey_submissions",
                        "enrollments", "landing_files")}
    con.close()
    print(f"built {path} in {time.perf_counter() - started:.1f}s: "
          + ", ".join(f"{t} {n:,}" for t, n in counts.items()), flush=True)


def ensure_fct_orders(path: Path) -> None:
    """A synthetic marts.fct_orders (the one big mart) from the synthetic raw orders, if missing."""
    import duckdb

    con = duckdb.connect(str(path))
    try:
        if con.execute("select count(*) from information_schema.tables "
                       "where table_schema = 'marts' and table_name = 'fct_orders'").fetchall()[0][0]:
            return
        started = time.perf_counter()
        con.execute("create schema if not exists marts")
        con.execute("""
            create table marts.fct_orders as
            with keys as (select platform_merchant_id, any_value(umkm_key) as umkm_key
                          from raw.enrollments group by all)
            select o.*, k.umkm_key from (
                select 'gofood' as platform, transaction_id as order_id, merchant_id as platform_merchant_id,
                       feature, transaction_date_wib as order_date, transaction_ts_utc as order_ts_utc,
                       transaction_status as status_raw,
                       transaction_status in ('settlement', 'completed') as is_counted,
                       'ID' as buyer_country, 'IDR' as currency, amount::decimal(18, 2) as amount_original,
                       amount::decimal(18, 2) as amount_idr, landing_path
                from raw.gofood_transactions
                union all
                select 'shopee', order_id || '-' || row_number, shop_id, null, order_created_date_wib,
                       order_created_ts_utc, order_status, order_status = 'Selesai', 'ID', 'IDR',
                       (price_after_discount * quantity)::decimal(18, 2),
                       (price_after_discount * quantity)::decimal(18, 2),
                       landing_path
                from raw.shopee_order_lines
                union all
                select 'uvo', transaction_id, participant_id, null, transaction_date_wib, transaction_ts_utc, status,
                       status = 'lunas', buyer_country, currency, amount::decimal(18, 2),
                       (amount * case currency when 'IDR' then 1 when 'JPY' then 110 else 11000 end)::decimal(18, 2),
                       landing_path
                from raw.uvo_transactions) o
            left join keys k on k.platform_merchant_id = o.platform_merchant_id""")
        n = con.execute("select count(*) from marts.fct_orders").fetchall()[0][0]
        print(f"built marts.fct_orders ({n:,} orders) in {time.perf_counter() - started:.1f}s", flush=True)
    finally:
        con.close()


RAW_TABLES = ("survey_submissions", "enrollments", "gofood_transactions", "shopee_order_lines", "uvo_transactions",
              "landing_files")


def floor_seconds(con) -> float:
    """The floor: a plain `select count(*) ... group by` over every raw table the checks read."""
    started = time.perf_counter()
    for table in RAW_TABLES:
        con.execute(f"select landing_path, sha256, count(*) from raw.{table} group by all").fetchall()
    return time.perf_counter() - started


def measure(warehouse: Path, layers: list[str], docs: Path, whole_frames: bool = False) -> None:
    """Validate like the asset check steps do, print timings and peak memory (run in a fresh process)."""
    import duckdb

    started = time.perf_counter()
    from quality.suites import ALL_TARGETS
    from quality.validate import summarize, validate_targets
    import great_expectations  # noqa: F401  (import cost counted separately)
    imported = time.perf_counter() - started
    con = duckdb.connect(str(warehouse), read_only=True)
    floor = floor_seconds(con) if "raw" in layers else None
    options = {"sql_counts": False} if whole_frames else {}
    total = 0.0
    for layer in layers:
        # "fct_orders": the one big mart, alone (the synthetic warehouse has no other marts)
        targets = [t for t in ALL_TARGETS if t.layer == layer or (layer, t.relation) == ("fct_orders",
                                                                                          "marts.fct_orders")]
        began = time.perf_counter()
        results = validate_targets(con, targets, docs_site=docs / "gx" / layer, **options)
        elapsed = time.perf_counter() - began
        total += elapsed
        print(f"\n{layer} layer: {elapsed:.1f}s for {sum(len(r.outcomes) for r in results)} expectations "
              f"over {sum(sum(r.rows.values()) for r in results):,} rows (Data Docs included)"
              + (f"; {elapsed / floor:.1f}x the floor ({floor:.2f}s: select count(*) ... group by over the "
                 f"same raw tables)" if layer == "raw" and floor else ""))
        print(summarize(results))
    con.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nGX import {imported:.1f}s; check step total {total + imported:.1f}s; peak RSS {peak:,.0f} MiB"
          + (" (GX on whole frames)" if whole_frames else ""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000_000, help="synthetic order rows (default 10M)")
    parser.add_argument("--warehouse", type=Path, help="measure this warehouse instead (raw and marts layers)")
    parser.add_argument("--workdir", type=Path, help="where the synthetic warehouse goes (default: a temp dir)")
    parser.add_argument("--measure-only", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--layers", default="raw", help=argparse.SUPPRESS)
    parser.add_argument("--whole-frames", action="store_true",
                        help="GX validates every projection whole (the way before the SQL counts), to compare")
    args = parser.parse_args()
    if args.measure_only:
        measure(args.measure_only, args.layers.split(","), args.measure_only.parent / "docs", args.whole_frames)
        return 0
    if args.warehouse:
        warehouse, layers = args.warehouse.resolve(), "raw,marts"
    else:
        workdir = args.workdir or Path(tempfile.mkdtemp(prefix="umkm-quality-bench-"))
        workdir.mkdir(parents=True, exist_ok=True)
        warehouse, layers = workdir / "warehouse.duckdb", "raw,fct_orders"
        if not warehouse.exists():
            build_synthetic(warehouse, args.orders)
        ensure_fct_orders(warehouse)
    # a fresh process, so that peak memory is the check step's own
    return subprocess.call([sys.executable, __file__, "--measure-only", str(warehouse), "--layers", layers,
                            *(["--whole-frames"] if args.whole_frames else [])])


if __name__ == "__main__":
    sys.exit(main())
