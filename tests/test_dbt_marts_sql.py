"""The dbt project on hand-made raw rows: `dbt build` passes and the marts hold hand-worked figures.

A temporary DuckDB file gets the raw schema (ingest.raw_schema) and a handful of raw rows with
their lineage columns, written as the loader would; then `dbt build` (seeds, models, data and
unit tests) runs against it. No landing files and no parsers are involved: this checks the SQL.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from ingest.raw_schema import create_raw_schema

PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
DBT = Path(sys.executable).parent / "dbt"

NIK = {k: f"33740112038500{i:02d}" for i, k in enumerate("ABCDE", start=1)}
PII = [*NIK.values(), "Siti Aminah", "Bambang Wijaya", "081234567890", "budi88", "Budi Santoso",
       "6281122334455", "Jl. Pemuda 12", "Ibu Ratna"]
KEY = {k: f"key-{k}" for k in "ABCDE"}      # umkm_key is computed by ingest; any string will do here

T0 = datetime(2021, 10, 1)


def lineage(path: str, landed: datetime, row: int, sha: str | None = None) -> dict:
    return {"landing_path": path, "sha256": sha or f"sha-{path}", "row_number": row,
            "file_landed_at": landed, "loaded_at": landed}


def insert(con, table: str, rows: list[dict]) -> None:
    for row in rows:
        names = list(row)
        con.execute(f"insert into raw.{table} ({', '.join(names)}) values ({', '.join('?' * len(names))})",
                    [row[n] for n in names])


def survey_row(path, landed, row, key, **values):
    base = {"survey_period": "2021-03", "umkm_key": KEY[key], "nik": NIK[key], "owner_name": "Siti Aminah",
            "phone": "081234567890", "business_name": f"Usaha {key}", "region_code": "3374",
            "sector_code": "food_beverage", "scale": "mikro", "is_impacted": True,
            "primary_constraint_code": "marketing", "constraint_codes": "marketing",
            "turnover_before_idr": Decimal("10000000"), "turnover_after_idr": Decimal("4000000"),
            "workers_before": 3, "workers_after": 3, "submitted_at_utc": datetime(2021, 3, 10, 1),
            "submitted_date_wib": date(2021, 3, 10), "submission_id": f"{path}-{row}", "validation_status": ""}
    return {**lineage(path, landed, row), **base, **values}


def enrollment_row(path, landed, row, program, key, merchant, joined, **values):
    base = {"program_id": program, "umkm_key": KEY[key], "nik": NIK[key], "business_name": f"Usaha {key}",
            "region_code": "3374", "sector_code": "food_beverage", "platform_merchant_id": merchant,
            "joined_date": joined}
    return {**lineage(path, landed, row), **base, **values}


def gobiz_row(path, landed, row, tid, when_utc, wib_date, amount, status="settlement", feature="GoFood",
              merchant="G-A"):
    return {**lineage(path, landed, row), "transaction_id": tid, "transaction_ts_utc": when_utc,
            "transaction_date_wib": wib_date, "amount": Decimal(amount), "transaction_status": status,
            "feature": feature, "merchant_id": merchant, "merchant_name": "Outlet", "currency": "IDR"}


def shopee_row(path, landed, row, order, status, created, sku, price, qty, returned, total, variation=""):
    return {**lineage(path, landed, row), "shop_id": "5001", "layout": "new", "order_id": order,
            "order_status": status, "order_created_ts_utc": created, "order_created_date_wib": created.date(),
            "sku_ref": sku, "variation_name": variation, "price_after_discount": Decimal(price), "quantity": qty,
            "returned_quantity": returned, "order_total_payment": Decimal(total), "buyer_city": "KOTA SEMARANG",
            "buyer_username": "budi88", "recipient_name": "Budi Santoso", "recipient_phone": "6281122334455",
            "shipping_address": "Jl. Pemuda 12", "extra_columns": '{"Catatan": "Budi Santoso"}'}


def uvo_row(path, landed, row, tid, day, country, currency, amount, status="lunas"):
    return {**lineage(path, landed, row), "transaction_id": tid, "participant_id": "UVO-C",
            "participant_name": "Ibu Ratna", "transaction_ts_utc": datetime.combine(day, datetime.min.time()),
            "transaction_date_wib": day, "buyer_country": country, "currency": currency,
            "amount": Decimal(amount), "status": status}


def ledger_row(path, source, status, read, loaded, rejected, first_seen, sha=None, reason=None):
    return {"landing_path": path, "sha256": sha or f"sha-{path}", "source": source, "status": status,
            "reason": reason, "rows_read": read, "rows_loaded": loaded, "rows_rejected": rejected,
            "size_bytes": 100, "file_landed_at": first_seen, "first_seen": first_seen,
            "loaded_at": first_seen if status == "loaded" else None}


def fill_raw(con) -> None:
    survey, t = "survey/kobo_2021-03.csv", T0
    insert(con, "survey_submissions", [
        # A answered twice: the later submission wins (before 15 juta, after 5 juta, workers 4 -> 2)
        survey_row(survey, t, 1, "A", turnover_after_idr=Decimal("6000000")),
        survey_row(survey, t, 2, "A", turnover_before_idr=Decimal("15000000"),
                   turnover_after_idr=Decimal("5000000"), workers_before=4, workers_after=2,
                   submitted_at_utc=datetime(2021, 3, 12, 1), submitted_date_wib=date(2021, 3, 12)),
        survey_row(survey, t, 3, "B", owner_name="Bambang Wijaya", primary_constraint_code="capital",
                   submitted_at_utc=datetime(2021, 3, 11, 1), submitted_date_wib=date(2021, 3, 11)),
        # C not impacted: a respondent, but no turnover, workers or constraint counted
        survey_row(survey, t, 4, "C", region_code="3309", sector_code="fashion", scale="kecil",
                   is_impacted=False, primary_constraint_code=None, constraint_codes=None,
                   turnover_before_idr=Decimal("20000000"), turnover_after_idr=Decimal("20000000")),
        # D was not approved: excluded everywhere
        survey_row(survey, t, 5, "D", validation_status="validation_status_not_approved"),
    ])
    insert(con, "enrollments", [
        # an older registry file put E in Kota Semarang; the newer one (Surakarta, trade) wins
        enrollment_row("enrollment/peserta_lama.csv", datetime(2021, 2, 1), 1, "gofood_banner_promo", "E", "G-E",
                       date(2021, 1, 1)),
        enrollment_row("enrollment/peserta.csv", T0, 1, "gofood_banner_promo", "A", "G-A", date(2021, 3, 1)),
        enrollment_row("enrollment/peserta.csv", T0, 2, "goshop", "A", "G-A", date(2021, 6, 1)),
        enrollment_row("enrollment/peserta.csv", T0, 3, "shopee_kampus_umkm", "B", "5001", date(2021, 9, 1)),
        enrollment_row("enrollment/peserta.csv", T0, 4, "uvo_2021", "C", "UVO-C", date(2021, 1, 1),
                       region_code="3309", sector_code="fashion"),
        enrollment_row("enrollment/peserta.csv", T0, 5, "gofood_banner_promo", "E", "G-E", date(2021, 1, 1),
                       region_code="3372", sector_code="trade"),
    ])
    gobiz, rerun = "gofood/gobiz_2021-09.csv", "gofood/gobiz_2021-09-10_rerun.csv"
    insert(con, "gofood_transactions", [
        gobiz_row(gobiz, T0, 1, "T1", datetime(2021, 9, 5, 3), date(2021, 9, 5), "100000"),
        gobiz_row(gobiz, T0, 2, "T2", datetime(2021, 9, 5, 4), date(2021, 9, 5), "50000", status="cancel"),
        # 17:30 UTC is the next day in WIB
        gobiz_row(gobiz, T0, 3, "T3", datetime(2021, 9, 5, 17, 30), date(2021, 9, 6), "1250000",
                  status="Completed", feature="GoShop"),
        # before A joined Go-Shop (2021-06-01): counted order, but no program turnover
        gobiz_row(gobiz, T0, 4, "T4", datetime(2021, 5, 31, 10), date(2021, 5, 31), "70000", feature="GoShop"),
        gobiz_row(gobiz, T0, 5, "T5", datetime(2021, 9, 1, 3), date(2021, 9, 1), "30000", merchant="G-E"),
        gobiz_row(gobiz, T0, 6, "T6", datetime(2021, 9, 1, 3), date(2021, 9, 1), "99000", merchant="G-X"),
        gobiz_row(gobiz, T0, 7, "T7", datetime(2021, 9, 1, 3), date(2021, 9, 1), "10000", feature="GoPay"),
        gobiz_row(gobiz, T0, 8, "T8", datetime(2021, 9, 10, 3), date(2021, 9, 10), "40000", status="pending"),
        # the report re-run later: T8 has settled since
        gobiz_row(rerun, datetime(2021, 10, 2), 1, "T8", datetime(2021, 9, 10, 3), date(2021, 9, 10), "40000"),
    ])
    export_1, export_2 = "shopee/5001/Order.all.20210801_20210930.xlsx", "shopee/5001/Order.all.20210915_20211015.csv"
    created_o1 = datetime(2021, 9, 10, 3)
    insert(con, "shopee_order_lines", [
        shopee_row(export_1, T0, 1, "O1", "Sedang Dikirim", created_o1, "SKU-A", "169000", 2, 0, "388000"),
        shopee_row(export_1, T0, 2, "O1", "Sedang Dikirim", created_o1, "SKU-B", "50000", 1, 1, "388000"),
        # before the program window (2021-09-01)
        shopee_row(export_1, T0, 3, "O2", "Selesai", datetime(2021, 8, 20, 3), "SKU-A", "100000", 1, 0, "100000"),
        # overlapping export: O1 delivered since; 169.000 x 2 + 50.000 x (1 - 1) = 338.000
        shopee_row(export_2, datetime(2021, 10, 16), 1, "O1", "Selesai", created_o1, "SKU-A", "169000", 2, 0,
                   "388000"),
        shopee_row(export_2, datetime(2021, 10, 16), 2, "O1", "Selesai", created_o1, "SKU-B", "50000", 1, 1,
                   "388000"),
        shopee_row(export_2, datetime(2021, 10, 16), 3, "O3", "Selesai", datetime(2021, 10, 1, 2), "SKU-C",
                   "25000", 4, 0, "100000", variation="Pedas"),
        shopee_row(export_2, datetime(2021, 10, 16), 4, "O4", "Batal", datetime(2021, 10, 2, 2), "SKU-C",
                   "25000", 1, 0, "25000"),
    ])
    uvo = "uvo/expo_2021.json"
    insert(con, "uvo_transactions", [
        uvo_row(uvo, T0, 1, "V1", date(2021, 5, 3), "SG", "SGD", "1000"),
        uvo_row(uvo, T0, 2, "V2", date(2021, 5, 4), "ID", "IDR", "2000000"),
        uvo_row(uvo, T0, 3, "V3", date(2021, 5, 5), "US", "USD", "500", status="batal"),
        uvo_row(uvo, T0, 4, "V4", date(2021, 6, 1), "JP", "JPY", "100000"),
        uvo_row(uvo, T0, 5, "V5", date(2021, 7, 31), "US", "USD", "500"),
    ])
    insert(con, "landing_files", [
        ledger_row(survey, "survey", "loaded", 6, 5, 1, T0),
        ledger_row("enrollment/peserta_lama.csv", "enrollment", "loaded", 1, 1, 0, datetime(2021, 2, 1)),
        ledger_row("enrollment/peserta.csv", "enrollment", "loaded", 5, 5, 0, T0),
        ledger_row(gobiz, "gofood", "superseded", 8, 8, 0, datetime(2021, 9, 30), sha="old"),
        ledger_row(gobiz, "gofood", "loaded", 8, 8, 0, T0),
        ledger_row(rerun, "gofood", "loaded", 1, 1, 0, datetime(2021, 10, 2)),
        ledger_row("gofood/copy_of_rerun.csv", "gofood", "duplicate", 0, 0, 0, datetime(2021, 10, 3),
                   sha=f"sha-{rerun}", reason=f"same bytes as {rerun}, already loaded"),
        ledger_row(export_1, "shopee", "loaded", 3, 3, 0, T0),
        ledger_row(export_2, "shopee", "loaded", 4, 4, 0, datetime(2021, 10, 16)),
        ledger_row(uvo, "uvo", "loaded", 5, 5, 0, T0),
        ledger_row("gofood/broken.csv", "gofood", "quarantined", 0, 0, 0, T0, reason="not a CSV file"),
    ])


def fx(month: str, currency: str) -> Decimal:
    for line in (PROJECT_DIR / "seeds" / "fx_rates_monthly.csv").read_text().splitlines()[1:]:
        m, c, rate = line.split(",")
        if (m, c) == (month, currency):
            return Decimal(rate)
    raise KeyError((month, currency))


def run_dbt(args: list[str], warehouse: Path, tmp: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "UMKM_WAREHOUSE_PATH": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"}
    return subprocess.run([str(DBT), *args, "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR),
                           "--target-path", str(tmp / "target"), "--log-path", str(tmp / "logs")],
                          cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=600)


def build_warehouse(tmp: Path, fill) -> Path:
    """A warehouse whose raw layer `fill(con)` writes, after a `dbt build` that passes with no warning."""
    path = tmp / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    create_raw_schema(con)
    fill(con)
    con.close()
    result = run_dbt(["build"], path, tmp)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert re.search(r"ERROR=0\b", result.stdout) and re.search(r"WARN=0\b", result.stdout), result.stdout[-3000:]
    return path


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    return build_warehouse(tmp_path_factory.mktemp("dbt_marts"), fill_raw)


def query(path: Path, sql: str):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_program_summary(warehouse):
    v1, v4, v5 = 1000 * fx("2021-05", "SGD"), 100000 * fx("2021-06", "JPY"), 500 * fx("2021-07", "USD")
    foreign = (v1 + v4 + v5).quantize(Decimal("0.01"))
    rows = query(warehouse, "select program_id, n_enrolled_umkm, n_active_umkm, n_orders, turnover_idr, "
                            "turnover_foreign_idr, n_buyer_countries, first_order_date, last_order_date "
                            "from marts.mart_program_summary")
    assert {r[0]: r[1:] for r in rows} == {
        # T1 100.000 + T5 30.000 + T8 40.000 (settled in the re-run); T2 cancelled, T3/T4 GoShop, T7 GoPay
        "gofood_banner_promo": (2, 2, 3, Decimal("170000.00"), Decimal("0.00"), 0, date(2021, 9, 1),
                                date(2021, 9, 10)),
        # T3 1.250.000; T4 came before A joined Go-Shop
        "goshop": (1, 1, 1, Decimal("1250000.00"), Decimal("0.00"), 0, date(2021, 9, 6), date(2021, 9, 6)),
        # O1 338.000 (two lines, one unit returned) + O3 100.000; O2 before the window; O4 cancelled
        "shopee_kampus_umkm": (1, 1, 2, Decimal("438000.00"), Decimal("0.00"), 0, date(2021, 9, 10),
                               date(2021, 10, 1)),
        # V1 SGD, V4 JPY, V5 USD at their month's rate + V2 Rp 2.000.000; V3 cancelled
        "uvo_2021": (1, 1, 4, foreign + Decimal("2000000.00"), foreign, 3, date(2021, 5, 3), date(2021, 7, 31)),
        # no enrollment: a row of zeros all the same (every program of dim_program has one)
        "mbizmarket_pbj": (0, 0, 0, Decimal("0.00"), Decimal("0.00"), 0, None, None),
    }
    assert foreign == Decimal("30906500.00")


def test_turnover_monthly(warehouse):
    rows = query(warehouse, "select program_id, month, region_code, sector_code, n_active_umkm, n_orders, "
                            "turnover_idr, turnover_foreign_idr from marts.mart_turnover_monthly "
                            "order by program_id, month, region_code")
    assert rows == [
        ("gofood_banner_promo", date(2021, 9, 1), "3372", "trade", 1, 1, Decimal("30000.00"), Decimal("0.00")),
        ("gofood_banner_promo", date(2021, 9, 1), "3374", "food_beverage", 1, 2, Decimal("140000.00"),
         Decimal("0.00")),
        ("goshop", date(2021, 9, 1), "3374", "food_beverage", 1, 1, Decimal("1250000.00"), Decimal("0.00")),
        ("shopee_kampus_umkm", date(2021, 9, 1), "3374", "food_beverage", 1, 1, Decimal("338000.00"),
         Decimal("0.00")),
        ("shopee_kampus_umkm", date(2021, 10, 1), "3374", "food_beverage", 1, 1, Decimal("100000.00"),
         Decimal("0.00")),
        ("uvo_2021", date(2021, 5, 1), "3309", "fashion", 1, 2, Decimal("12653500.00"), Decimal("10653500.00")),
        ("uvo_2021", date(2021, 6, 1), "3309", "fashion", 1, 1, Decimal("13013000.00"), Decimal("13013000.00")),
        ("uvo_2021", date(2021, 7, 1), "3309", "fashion", 1, 1, Decimal("7240000.00"), Decimal("7240000.00")),
    ]


def test_impact_summary(warehouse):
    rows = query(warehouse, "select survey_period, region_code, sector_code, scale, n_respondents, n_impacted, "
                            "n_constraint_marketing, n_constraint_capital, n_constraint_other, turnover_before_idr, "
                            "turnover_after_idr, workers_before, workers_after from marts.mart_impact_summary "
                            "order by region_code")
    assert rows == [
        ("2021-03", "3309", "fashion", "kecil", 1, 0, 0, 0, 0, Decimal("0.00"), Decimal("0.00"), 0, 0),
        # A (latest submission only: 15 juta -> 5 juta, 4 -> 2 workers) and B (10 -> 4 juta, 3 -> 3)
        ("2021-03", "3374", "food_beverage", "mikro", 2, 2, 1, 1, 0, Decimal("25000000.00"),
         Decimal("9000000.00"), 7, 5),
    ]


def test_fct_orders(warehouse):
    rows = query(warehouse, "select order_id, platform, umkm_key, is_counted, order_date, status_raw, currency, "
                            "amount_original, amount_idr, landing_path from marts.fct_orders")
    orders = {r[0]: r[1:] for r in rows}
    assert len(rows) == 17 and set(orders) == {*(f"T{i}" for i in range(1, 9)), "O1", "O2", "O3", "O4",
                                               *(f"V{i}" for i in range(1, 6))}
    assert {k for k, v in orders.items() if not v[2]} == {"T2", "O4", "V3"}
    assert orders["T6"][1] is None and orders["T1"][1] == KEY["A"] and orders["O1"][1] == KEY["B"]
    assert orders["T3"][3] == date(2021, 9, 6)
    assert orders["T8"][4:] == ("settlement", "IDR", Decimal("40000.00"), Decimal("40000.00"),
                                "gofood/gobiz_2021-09-10_rerun.csv")
    assert orders["O1"][4:] == ("Selesai", "IDR", Decimal("338000.00"), Decimal("338000.00"),
                                "shopee/5001/Order.all.20210915_20211015.csv")
    assert orders["V5"][4:8] == ("lunas", "USD", Decimal("500.00"), Decimal("7240000.00"))
    [(n_types,)] = query(warehouse, "select count(*) from information_schema.columns where table_schema = 'marts' "
                                    "and table_name = 'fct_orders' and column_name like 'amount%' "
                                    "and data_type = 'DECIMAL(18,2)'")
    assert n_types == 2


def test_dims(warehouse):
    assert query(warehouse, "select count(*), count(distinct region_code) from marts.dim_region") == [(35, 35)]
    rows = query(warehouse, "select umkm_key, region_code, sector_code, scale, first_seen_date from marts.dim_umkm "
                            "order by umkm_key")
    assert rows == [
        (KEY["A"], "3374", "food_beverage", "mikro", date(2021, 3, 1)),     # joined before the survey
        (KEY["B"], "3374", "food_beverage", "mikro", date(2021, 3, 11)),
        (KEY["C"], "3309", "fashion", "kecil", date(2021, 1, 1)),
        (KEY["E"], "3372", "trade", None, date(2021, 1, 1)),                # only enrolled: no scale
    ]
    assert query(warehouse, "select count(*) from marts.dim_program") == [(5,)]


def test_data_quality(warehouse):
    rows = query(warehouse, "select landing_path, status, sha256, rows_read, rows_loaded, rows_rejected "
                            "from marts.mart_data_quality")
    by_path = {r[0]: r[1:] for r in rows}
    assert len(rows) == 10
    assert by_path["survey/kobo_2021-03.csv"][2:] == (6, 5, 1)
    assert by_path["gofood/gobiz_2021-09.csv"][:2] == ("loaded", "sha-gofood/gobiz_2021-09.csv")
    assert by_path["gofood/broken.csv"][0] == "quarantined"
    assert by_path["gofood/copy_of_rerun.csv"][0] == "duplicate"


def test_no_personal_data_outside_raw(warehouse):
    relations = query(warehouse, "select table_schema, table_name from information_schema.tables "
                                 "where table_schema <> 'raw'")
    assert {s for s, _ in relations} == {"reference", "staging", "intermediate", "marts"}
    for schema, table in relations:
        text = str(query(warehouse, f'select * from "{schema}"."{table}"'))
        assert not [p for p in PII if p in text], f"personal data in {schema}.{table}"
    banned = {"nik", "owner_name", "phone", "buyer_username", "recipient_name", "recipient_phone",
              "shipping_address", "extra_columns", "participant_name"}
    columns = query(warehouse, "select table_schema, table_name, column_name from information_schema.columns "
                               "where table_schema <> 'raw'")
    assert not [c for c in columns if c[2] in banned]


DUCKDB_ONLY = re.compile(r"\b(strftime|strptime|qualify|exclude|list_\w+|epoch_ms|date_part)\b|::|\[\s*'",
                         re.IGNORECASE)


@pytest.mark.parametrize("layer", ["intermediate", "marts"])
def test_models_stay_portable(layer):
    """Intermediate and mart SQL uses dbt cross-database macros and ANSI SQL only (engineering notes)."""
    files = sorted((PROJECT_DIR / "models" / layer).rglob("*.sql"))
    assert files
    for path in files:
        sql = re.sub(r"--[^\n]*|\{%.*?%\}|\{#.*?#\}|\{\{.*?\}\}", "", path.read_text(), flags=re.DOTALL)
        assert not DUCKDB_ONLY.search(sql), f"{path.name}: {DUCKDB_ONLY.search(sql).group(0)}"


def test_the_umkm_of_an_order_is_checked_where_it_may_have_changed(warehouse, tmp_path):
    """fct_orders' relationship to dim_umkm: every order after a full build; in an incremental build,
    the recomputed orders, and every order again when a file feeding dim_umkm is in the change set."""
    import shutil

    copy = tmp_path / "warehouse.duckdb"
    shutil.copyfile(warehouse, copy)
    select = ["test", "--select", "fct_orders,test_name:relationships"]
    con = duckdb.connect(str(copy))
    con.execute("update raw.landing_files set published_at = coalesce(published_at, loaded_at)")
    con.execute("update marts.fct_orders set umkm_key = 'no-such-umkm' where order_id = 'T1'")
    con.close()
    assert "Got 1 result" in run_dbt(select, copy, tmp_path).stdout   # int_orders_changed empty: a full build

    con = duckdb.connect(str(copy))
    con.execute("insert into intermediate.int_orders_changed (platform, order_id) "
                "select platform, order_id from marts.fct_orders where order_id <> 'T1' limit 1")
    con.close()
    assert run_dbt(select, copy, tmp_path).returncode == 0   # T1 was not recomputed

    con = duckdb.connect(str(copy))
    con.execute("update raw.landing_files set published_at = null "
                "where landing_path = (select min(landing_path) from raw.landing_files where source = 'survey')")
    con.close()
    assert "Got 1 result" in run_dbt(select, copy, tmp_path).stdout   # a survey file: dim_umkm was rebuilt


def test_the_uniqueness_test_fails_on_a_repeated_order(warehouse, tmp_path):
    """`unique_combination_of_columns` (grouped by a hash first on DuckDB) finds an order twice in
    fct_orders, also when its key has a null, and passes the built marts; scoped to the changed
    orders, it finds only theirs."""
    import shutil

    copy = tmp_path / "warehouse.duckdb"
    shutil.copyfile(warehouse, copy)
    select = ["test", "--select", "fct_orders,test_name:unique_combination_of_columns"]
    assert run_dbt(select, copy, tmp_path).returncode == 0
    con = duckdb.connect(str(copy))
    con.execute("insert into marts.fct_orders select * from marts.fct_orders where order_id = 'T1'")
    con.execute("insert into marts.fct_orders select * replace (null as platform_merchant_id) "
                "from marts.fct_orders where order_id = 'T5'")
    con.execute("insert into marts.fct_orders select * replace (null as platform_merchant_id) "
                "from marts.fct_orders where order_id = 'T5' limit 1")
    con.close()
    result = run_dbt(select, copy, tmp_path)
    assert result.returncode == 1 and "Got 2 results" in result.stdout, result.stdout[-3000:]

    # An incremental build tests only the orders it recomputed (int_orders_changed), read once
    con = duckdb.connect(str(copy))
    con.execute("insert into intermediate.int_orders_changed (platform, order_id) "
                "select distinct platform, order_id from marts.fct_orders where order_id = 'T1'")
    con.close()
    result = run_dbt(select, copy, tmp_path)
    assert result.returncode == 1 and "Got 1 result" in result.stdout, result.stdout[-3000:]
    compiled = [p.read_text() for p in (tmp_path / "target" / "compiled").rglob("unique_combination_of_columns*.sql")]
    assert [sql for sql in compiled if "fct_orders" in sql and "tested_rows as materialized" in sql]
