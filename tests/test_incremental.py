"""Incremental dbt builds give the same warehouse as a full rebuild, and touch only what changed.

A scale-1 demo landing zone is delivered in steps (the initial zone, a new GoBiz day, a corrected
GoBiz report, a re-delivered duplicate, a registry file moving a merchant, a new survey wave,
an overlapping and a corrected Shopee export, a corrected registry file, a GoBiz report replaced
by a broken download). After each step the files are loaded as the pipeline loads them, `dbt
build` runs as the dbt asset runs it (`orchestration.dbt_plan`: what is downstream of the change
set, incrementally) and the change set is marked published; meanwhile a copy of the warehouse is
rebuilt from scratch (`dbt build --full-refresh` of seeds and models). Every model table of the
two must be equal, row for row. The tests run in order on one warehouse (a module fixture).
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from ingest.change_set import mark_published, read_change_set
from ingest.raw_load import load_new_files
from orchestration.dbt_plan import dbt_build_args

from demo.zone import write_demo_landing

PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
DBT = Path(sys.executable).parent / "dbt"
SALT = "incremental-test-salt"
# seeds and models from scratch (the data tests run in the incremental builds)
FULL_REBUILD = ["build", "--full-refresh", "--resource-type", "seed", "--resource-type", "model"]
# the change set and what it touched: empty after a full build
STATE_TABLES = {"int_orders_changed", "int_orders_recomputed", "int_umkm_changed"}

# held back from the initial zone, delivered by later steps
SURVEY_WAVE = "survey/Pendataan_UMKM_Terdampak_Covid-19_-_all_versions_-_False_-_2021-04-05-01-48-13.xlsx"
NEW_DAY = date(2021, 12, 31)
TRAINING_FORM = "training/Pendaftaran Kegiatan UMKM Jateng 2021 Semester 2 (Jawaban).csv"
LAPAK_LOG = "lapak_ganjar/log_lapak_ganjar_2021_Q4.csv"


# ---------------------------------------------------------------- files


class Zone:
    """The landing zone; every file written gets a later mtime than the one before."""

    def __init__(self, root: Path):
        self.root = root
        self.clock = datetime(2023, 1, 1).timestamp()

    def write(self, relative: str, data: bytes) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.clock += 3600
        os.utime(path, (self.clock, self.clock))

    def read_csv(self, relative: str) -> tuple[list[list[str]], str]:
        """Rows and delimiter of a CSV export (UTF-8, or Windows-1252 as Excel saves it)."""
        data = (self.root / relative).read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252")
        header = text.split("\n", 1)[0]
        delimiter = ";" if header.count(";") > header.count(",") else ","
        return list(csv.reader(io.StringIO(text), delimiter=delimiter)), delimiter

    def write_csv(self, relative: str, rows: list[list[str]], delimiter: str = ",") -> None:
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
        self.write(relative, buffer.getvalue().encode("utf-8"))


def gobiz_new_day(zone: Zone, source: str, target: str, day: date) -> set[str]:
    """A report of `day` made of the rows of `source` with new transaction ids; returns the ids."""
    rows, _ = zone.read_csv(source)
    header, body = rows[0], rows[1:41]
    at = {name: header.index(name) for name in ("Transaction Date", "Transaction time", "Transaction ID")}
    ids = set()
    for n, row in enumerate(body):
        row[at["Transaction Date"]] = day.strftime("%m/%d/%Y")
        row[at["Transaction time"]] = f"{day.isoformat()}T{1 + n % 14:02d}:{n % 60:02d}:00Z"   # same WIB day
        row[at["Transaction ID"]] = f"NEWDAY-{n:04d}"
        ids.add(f"NEWDAY-{n:04d}")
    zone.write_csv(target, [header, *body])
    return ids


def gobiz_corrected(zone: Zone, relative: str) -> None:
    """The same report downloaded again: some transactions gone, some cancelled, some amounts fixed."""
    rows, _ = zone.read_csv(relative)
    header, body = rows[0], rows[1:]
    status, amount = header.index("Transaction Status"), header.index("Amount")
    kept = [row for n, row in enumerate(body) if n % 5 != 0]
    for n, row in enumerate(kept):
        if n % 7 == 0:
            row[status] = "cancel"
        elif n % 11 == 0:
            row[amount] = str(int(row[amount].replace(",", "")) + 1000)
    zone.write_csv(relative, [header, *kept])


def enrollment_moving(zone: Zone, source: str, target: str, pick) -> str:
    """A registry file enrolling a merchant of `source` (the one `pick` chooses) again, under
    another owner in another region; returns its platform_merchant_id."""
    rows, delimiter = zone.read_csv(source)
    header = rows[0]
    merchant = header.index("platform_merchant_id")
    row = list(pick(rows[1:], merchant))
    row[header.index("nik_pemilik")] = "3374011203850099"
    row[header.index("nama_usaha")] = "Usaha Pindahan"
    row[header.index("kode_kabkota")] = "3372"
    row[header.index("kabupaten_kota")] = ""
    zone.write_csv(target, [header, row], delimiter)
    return row[merchant].lstrip("'")


def shopee_corrected(zone: Zone, relative: str) -> None:
    """An export downloaded again: its last line gone, its first order cancelled."""
    rows, _ = zone.read_csv(relative)
    header, body = rows[0], rows[1:-1]
    order, status = header.index("No. Pesanan"), header.index("Status Pesanan")
    for row in body:
        if row[order] == body[0][order]:
            row[status] = "Batal"
    zone.write_csv(relative, [header, *body])


def enrollment_corrected(zone: Zone, relative: str) -> None:
    """The registry file re-sent: its second participant gone, the third joined a month later."""
    rows, delimiter = zone.read_csv(relative)
    header, body = rows[0], rows[1:]
    del body[1]
    joined = header.index("tanggal_bergabung")
    day = datetime.strptime(body[1][joined], "%d/%m/%Y") if "/" in body[1][joined] else None
    if day:
        body[1][joined] = (day + timedelta(days=31)).strftime("%d/%m/%Y")
    zone.write_csv(relative, [header, *body], delimiter)


# ---------------------------------------------------------------- dbt and warehouse


def start_dbt(args: list[str], warehouse: Path, work: Path) -> subprocess.Popen:
    """dbt on `warehouse`, with its own target and log folders (runs can go side by side)."""
    env = {**os.environ, "UMKM_WAREHOUSE_PATH": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"}
    return subprocess.Popen([str(DBT), *args, "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR),
                             "--target-path", str(work / "target"), "--log-path", str(work / "logs")],
                            cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finish(process: subprocess.Popen) -> str:
    output, _ = process.communicate(timeout=900)
    assert process.returncode == 0, output[-6000:]
    return output


def dbt(args: list[str], warehouse: Path, work: Path) -> str:
    return finish(start_dbt(args, warehouse, work))


def model_tables(con) -> list[str]:
    rows = con.execute("select table_schema || '.' || table_name from information_schema.tables "
                       "where table_schema in ('intermediate', 'marts') and table_type = 'BASE TABLE' "
                       "order by 1").fetchall()
    return [name for (name,) in rows
            if name.split(".")[1] not in STATE_TABLES and not name.endswith("__written")]


def differences(incremental: Path, full: Path) -> dict[str, tuple[int, int]]:
    """Per table, rows only in the incremental build and rows only in the full one."""
    con = duckdb.connect()
    try:
        con.execute("set enable_progress_bar = false")
        con.execute(f"attach '{incremental}' as inc (read_only)")
        con.execute(f"attach '{full}' as full_build (read_only)")
        con.execute("use inc")
        tables = model_tables(con)
        con.execute("use full_build")
        assert model_tables(con) == tables
        found = {}
        for table in tables:
            only_inc, only_full = (con.execute(f"select count(*) from (select * from {a}.{table} except all "
                                               f"select * from {b}.{table})").fetchone()[0]
                                   for a, b in (("inc", "full_build"), ("full_build", "inc")))
            if only_inc or only_full:
                found[table] = (only_inc, only_full)
        return found
    finally:
        con.close()


def built_models(work: Path) -> dict[str, str]:
    """The models the last dbt invocation in `work` ran, each with how (incremental or table)."""
    results = json.loads((work / "target" / "run_results.json").read_text())
    manifest = json.loads((work / "target" / "manifest.json").read_text())
    built = {}
    for result in results["results"]:
        node = manifest["nodes"].get(result["unique_id"], {})
        if node.get("resource_type") == "model":
            assert result["status"] == "success", result
            built[node["name"]] = node["config"]["materialized"]
    return built


class Pipeline:
    """The warehouse built incrementally, step by step, and a full rebuild of each step's raw data."""

    def __init__(self, root: Path, held: Path):
        self.root, self.zone, self.held = root, Zone(root / "landing"), held
        self.warehouse = root / "warehouse.duckdb"
        self.steps = 0
        self.last_args: list[str] | None = None

    def build(self, first: bool = False) -> dict[str, str]:
        """Load the new files and build what the change set asks for, then publish it."""
        load_new_files(self.warehouse, self.zone.root, SALT)
        con = duckdb.connect(str(self.warehouse))
        change_set = read_change_set(con)
        con.close()
        self.last_args = ["build"] if first else dbt_build_args(change_set)
        built = {}
        if self.last_args is not None:
            dbt(self.last_args, self.warehouse, self.root / "incremental")
            built = built_models(self.root / "incremental")
        con = duckdb.connect(str(self.warehouse))
        mark_published(con, change_set)
        con.close()
        return built

    def step(self, compare: bool = True) -> dict[str, str]:
        """Load the new files, build incrementally, compare with a full rebuild; the models built."""
        self.steps += 1
        if not compare:
            return self.build()
        load_new_files(self.warehouse, self.zone.root, SALT)
        full = self.root / "full.duckdb"
        shutil.copy(self.warehouse, full)       # the same raw data, rebuilt from scratch alongside
        rebuild = start_dbt(FULL_REBUILD, full, self.root / "full")
        built = self.build()
        finish(rebuild)
        assert differences(self.warehouse, full) == {}, f"step {self.steps}"
        full.unlink()
        return built


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory) -> Pipeline:
    root = tmp_path_factory.mktemp("incremental")
    write_demo_landing(root / "landing", scale=1, seed=7)
    held = root / "held"
    for relative in [SURVEY_WAVE, TRAINING_FORM, LAPAK_LOG, *(str(p.relative_to(root / "landing"))
                                    for p in (root / "landing" / "shopee").glob("*/Order.all.20210915_20211015.*"))]:
        (held / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.move(root / "landing" / relative, held / relative)
    pipe = Pipeline(root, held)
    assert "fct_orders" in pipe.build(first=True)
    assert pipe.build() == {}                    # nothing new: no dbt at all
    assert pipe.last_args is None
    return pipe


def held_back(pipe: Pipeline, pattern: str) -> None:
    for path in sorted(pipe.held.glob(pattern)):
        relative = str(path.relative_to(pipe.held))
        pipe.zone.write(relative, path.read_bytes())


def test_new_gobiz_day_touches_only_its_month(pipeline):
    ids = gobiz_new_day(pipeline.zone, "gofood/gobiz_grp01_transactions_20211201_20211231.csv",
                        "gofood/gobiz_grp01_transactions_20211231_20211231.csv", NEW_DAY)
    con = duckdb.connect(str(pipeline.warehouse))
    # mark rows of another month: a build that rewrote them would undo the marks
    marked = sorted(con.execute("update intermediate.int_program_orders_summed set n_orders = n_orders + 1000 "
                                "where order_month = date '2021-03-01' returning program_id, umkm_key, "
                                "buyer_country, n_orders").fetchall())
    con.execute("update marts.fct_orders set status_raw = 'sentinel' where order_date = date '2021-03-02'")
    con.close()
    assert marked

    pipeline.steps += 1
    built = pipeline.build()
    assert "--full-refresh" not in pipeline.last_args
    assert built["fct_orders"] == built["int_gofood_transactions_deduped"] == "incremental"
    assert built["int_program_orders_summed"] == built["mart_turnover_monthly"] == "incremental"
    assert built["int_intervention_windows"] == "incremental" and "mart_intervention_outcomes" in built
    assert not {"dim_umkm", "mart_impact_summary", "int_survey_submissions_deduped"} & set(built)
    con = duckdb.connect(str(pipeline.warehouse))
    # March of the monthly mart was not recomputed either: it does not carry the marks
    assert con.execute("select sum(n_orders) from marts.mart_turnover_monthly where month = date '2021-03-01'"
                       ).fetchone()[0] == sum(row[3] for row in marked) - 1000 * len(marked)
    assert sorted(con.execute("select program_id, umkm_key, buyer_country, n_orders from "
                              "intermediate.int_program_orders_summed where order_month = date '2021-03-01'"
                              ).fetchall()) == marked
    assert con.execute("select count(*) from marts.fct_orders where status_raw = 'sentinel'").fetchone()[0] > 0
    assert {r[0] for r in con.execute("select order_id from marts.fct_orders where order_date = ?",
                                      [NEW_DAY]).fetchall()} >= ids
    con.execute("update intermediate.int_program_orders_summed set n_orders = n_orders - 1000 "
                "where order_month = date '2021-03-01'")
    con.close()
    # the program summary is a table over the small sums: rebuild it from the unmarked sums
    dbt(["build", "--select", "mart_turnover_monthly mart_program_summary"], pipeline.warehouse,
        pipeline.root / "incremental")

    # December, which the new day is in, equals a full rebuild; so does everything but the marks
    full = pipeline.root / "full.duckdb"
    shutil.copy(pipeline.warehouse, full)
    dbt(FULL_REBUILD, full, pipeline.root / "full")
    assert differences(pipeline.warehouse, full) == {"marts.fct_orders": (len(sentinels := _sentinels(full)),
                                                                          len(sentinels))}
    con = duckdb.connect(str(pipeline.warehouse))
    con.execute(f"attach '{full}' as full_build (read_only)")
    con.execute("update marts.fct_orders f set status_raw = g.status_raw from full_build.marts.fct_orders g "
                "where f.status_raw = 'sentinel' and g.platform = f.platform and g.order_id = f.order_id "
                "and g.platform_merchant_id = f.platform_merchant_id")
    con.close()
    assert differences(pipeline.warehouse, full) == {}
    full.unlink()


def _sentinels(full: Path) -> list:
    con = duckdb.connect(str(full), read_only=True)
    try:
        return con.execute("select order_id from marts.fct_orders where order_date = date '2021-03-02'").fetchall()
    finally:
        con.close()


def test_corrected_gobiz_report_and_a_duplicate(pipeline):
    report = "gofood/gobiz_grp02_transactions_20210301_20210331.csv"
    gobiz_corrected(pipeline.zone, report)
    pipeline.zone.write("gofood/gobiz_grp02_transactions_20210401_20210430 (2).csv",
                        (pipeline.zone.root / "gofood/gobiz_grp02_transactions_20210401_20210430.csv").read_bytes())
    built = pipeline.step()
    assert "fct_orders" in built and "dim_umkm" not in built
    assert "--full-refresh" not in pipeline.last_args


def test_corrected_report_inside_ppkm_darurat(pipeline):
    """Orders dropped, cancelled and changed inside PPKM darurat (3-20 July 2021): that period's
    figures are recomputed, the others kept; all equal a full rebuild."""
    gobiz_corrected(pipeline.zone, "gofood/gobiz_grp03_transactions_20210701_20210731.csv")
    built = pipeline.step()
    assert built["mart_restriction_periods"] == "incremental" and "--full-refresh" not in pipeline.last_args


def test_registry_file_moving_a_merchant(pipeline):
    con = duckdb.connect(str(pipeline.warehouse), read_only=True)
    orders = dict(con.execute("select platform_merchant_id, count(*) from marts.fct_orders "
                              "where platform = 'gofood' group by 1").fetchall())
    con.close()
    merchant = enrollment_moving(pipeline.zone, "enrollment/peserta_gofood_goshop_tambahan_2021-10.csv",
                                 "enrollment/peserta_pindah_2022-01.csv",
                                 lambda rows, at: max(rows, key=lambda row: orders.get(row[at].lstrip("'"), 0)))
    assert orders.get(merchant)
    built = pipeline.step()
    assert {"fct_orders", "dim_umkm", "mart_turnover_monthly"} <= set(built)
    assert "--full-refresh" in pipeline.last_args       # any old order may have moved UMKM or program
    con = duckdb.connect(str(pipeline.warehouse), read_only=True)
    assert con.execute("select distinct dim_umkm.region_code from marts.fct_orders join marts.dim_umkm "
                       "using (umkm_key) where platform_merchant_id = ?", [merchant]).fetchall() == [("3372",)]
    con.close()


def test_new_survey_wave(pipeline):
    held_back(pipeline, "survey/*")
    built = pipeline.step()
    assert {"mart_impact_summary", "dim_umkm", "mart_turnover_monthly"} <= set(built)
    assert "--full-refresh" not in pipeline.last_args


def test_overlapping_and_corrected_shopee_exports(pipeline):
    held_back(pipeline, "shopee/*/*")
    shop = sorted((pipeline.zone.root / "shopee").glob("*/Order.all.2022*.csv"))[0]
    shopee_corrected(pipeline.zone, str(shop.relative_to(pipeline.zone.root)))
    built = pipeline.step()
    assert built["int_shopee_orders_summed"] == "incremental"
    assert "dim_umkm" not in built and "--full-refresh" not in pipeline.last_args


def test_training_form_and_lapak_ganjar_log(pipeline):
    """New registrations and promotions move event dates of UMKM whose orders did not change:
    the windows recompute every UMKM; then a corrected log drops promotions."""
    held_back(pipeline, "training/*")
    held_back(pipeline, "lapak_ganjar/*")
    built = pipeline.step()
    assert built["int_intervention_windows"] == "incremental" and "mart_intervention_outcomes" in built
    assert "fct_orders" in built and "--full-refresh" not in pipeline.last_args
    rows, delimiter = pipeline.zone.read_csv(LAPAK_LOG)
    pipeline.zone.write_csv(LAPAK_LOG, [rows[0], *rows[1::2]], delimiter)
    built = pipeline.step()
    assert built["int_intervention_windows"] == "incremental" and "--full-refresh" not in pipeline.last_args


def test_corrected_registry_file_and_a_broken_download(pipeline):
    enrollment_corrected(pipeline.zone, "enrollment/peserta_gofood_goshop_tambahan_2021-10.csv")
    pipeline.zone.write("gofood/gobiz_grp03_transactions_20210501_20210531.csv", b"\x00\x01 not a report")
    built = pipeline.step()
    assert "fct_orders" in built


def test_a_failed_build_leaves_its_change_set_for_the_next(tmp_path):
    """A build whose tests fail publishes nothing: its file versions stay in the change set, so
    the next build (after a corrected export) recomputes and tests them again."""
    from ingest.raw_schema import create_raw_schema
    from tests.test_dbt_marts_sql import fill_raw, insert, ledger_row, uvo_row

    warehouse = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(warehouse))
    create_raw_schema(con)
    fill_raw(con)
    mark_published(con, read_change_set(con))
    con.close()
    dbt(["build"], warehouse, tmp_path)

    # a transaction of a month the fx seed has no rate for: int_uvo_transactions_converted is
    # written, then its not_null test on amount_idr fails (the staging tests pass)
    late = "uvo/expo_2031.json"
    con = duckdb.connect(str(warehouse))
    insert(con, "uvo_transactions",
           [uvo_row(late, datetime(2031, 2, 1), 1, "V90", date(2031, 1, 5), "SG", "SGD", "10")])
    insert(con, "landing_files", [ledger_row(late, "uvo", "loaded", 1, 1, 0, datetime(2031, 2, 1))])
    args = dbt_build_args(read_change_set(con))
    con.close()
    assert args is not None and "source:raw.uvo_transactions+" in args[2].split()
    failed = start_dbt(args, warehouse, tmp_path)
    output, _ = failed.communicate(timeout=900)
    assert failed.returncode != 0 and "not_null_int_uvo_transactions_converted_amount_idr" in output

    con = duckdb.connect(str(warehouse))    # not published: still in the change set
    assert [v.landing_path for v in read_change_set(con).versions] == [late]
    # the office sends a corrected export: a 2021 date
    con.execute("update raw.uvo_transactions set transaction_date_wib = date '2021-07-05' where transaction_id = 'V90'")
    args = dbt_build_args(read_change_set(con))
    con.close()
    dbt(args, warehouse, tmp_path)
    con = duckdb.connect(str(warehouse), read_only=True)
    assert con.execute("select amount_idr from marts.fct_orders where order_id = 'V90'").fetchone()[0] is not None
    con.close()
