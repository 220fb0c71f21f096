"""The benchmark's two reference implementations compute the same marts as `umkm run`.

benchmarks/reference_duckdb.py (+ .sql) and benchmarks/reference_pandas.py implement the data
contract's rules again, independently of ingest/ and dbt. On the scale-1 demo landing zone
(every source and layout, duplicate deliveries, quarantined files, rejected rows, re-runs,
overlapping exports) and on the broken-file corpus, all three must give the same three marts,
row for row, exact decimals, and the same dim_umkm / fct_orders counts and sums (the orders also
per platform, Mbizmarket's included). The cell parsers (and the SQL script's per-row fast paths)
are also compared with the pipeline's on tricky values, and so are the rows of the small sources
(Mbizmarket exports, training lists, the Lapak Ganjar log) that load or are refused.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import timezone
from pathlib import Path

import duckdb
import pytest

from benchmarks import reference_duckdb, reference_pandas
from demo.zone import write_demo_landing
from ingest.values import CellError, clean_text, parse_money, parse_timestamp_utc
from tests.runs import PROJECT
from tests.shared_runs import CORPUS_SALT, shared_runs, start_run

SALT = "reference-scripts-salt"
MARTS = ["mart_turnover_monthly", "mart_program_summary", "mart_impact_summary"]


@pytest.fixture(scope="module")
def demo_runs(tmp_path_factory):
    """`umkm run` on the scale-1 demo zone, and both reference scripts on the same files."""
    root = tmp_path_factory.mktemp("reference_demo")
    write_demo_landing(root / "landing", scale=1, seed=42)
    pipeline = start_run(root, UMKM_HASH_SALT=SALT)      # runs while the references run
    outputs = {name: run_script(name, root / "landing", SALT, root / name)
               for name in ("reference_duckdb", "reference_pandas")}
    pipeline.check()
    return root, outputs


def run_script(name: str, landing: Path, salt: str, out: Path) -> Path:
    done = subprocess.run([sys.executable, str(PROJECT / "benchmarks" / f"{name}.py"), str(landing), salt, str(out)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return out


def mart_rows(serving: Path, mart: str, parquet_dir: Path) -> tuple[list[tuple], list[tuple]]:
    """(the pipeline's rows, the reference's rows) of a mart, the pipeline's columns, sorted."""
    con = duckdb.connect()
    con.execute(f"attach '{serving / 'marts.duckdb'}' as pipeline (read_only)")
    columns = ", ".join(name for (name,) in con.execute(
        "select column_name from duckdb_columns() where database_name = 'pipeline' and table_name = ? "
        "order by column_index", [mart]).fetchall())
    expected = con.execute(f"select {columns} from pipeline.{mart}").fetchall()
    got = con.execute(f"select {columns} from '{parquet_dir / (mart + '.parquet')}'").fetchall()
    return sorted(expected, key=repr), sorted(got, key=repr)


@pytest.mark.parametrize("script", ["reference_duckdb", "reference_pandas"])
@pytest.mark.parametrize("mart", MARTS)
def test_reference_marts_equal_the_pipeline_marts(demo_runs, script, mart):
    root, outputs = demo_runs
    expected, got = mart_rows(root / "serving", mart, outputs[script])
    assert len(expected) > 3
    assert got == expected


@pytest.mark.parametrize("script", ["reference_duckdb", "reference_pandas"])
def test_reference_marts_equal_on_the_broken_file_corpus(tmp_path_factory, tmp_path, script):
    """The corpus run of tests/shared_runs.py: 52 broken files (quarantined, rejected rows, links,
    odd encodings) beside good ones; the marts still agree."""
    run = shared_runs(tmp_path_factory)["corpus"].check()
    out = run_script(script, run.root / "landing", CORPUS_SALT, tmp_path / script)
    for mart in MARTS:
        expected, got = mart_rows(run.root / "serving", mart, out)
        assert expected and got == expected, mart
    # and the orders and UMKM behind them (a Shopee xlsx line with an uncalculated price formula
    # is rejected, as the pipeline rejects it, not priced from the line total)
    report = json.loads((out / f"{script}.json").read_text())
    assert report["checks"] == pipeline_checks(run.root / "serving")


@pytest.mark.parametrize("script", ["reference_duckdb", "reference_pandas"])
def test_reference_dim_umkm_and_fct_orders_match(demo_runs, script):
    root, outputs = demo_runs
    report = json.loads((outputs[script] / f"{script}.json").read_text())
    assert report["checks"] == pipeline_checks(root / "serving")


def pipeline_checks(serving: Path) -> dict:
    """The counts and sums of the pipeline's dim_umkm and fct_orders that the scripts report (the
    orders also per platform), read from its serving copy with the DuckDB script's own query."""
    con = duckdb.connect(str(serving / "marts.duckdb"), read_only=True)
    try:
        return reference_duckdb.checks(con)
    finally:
        con.close()


def test_worker_processes_read_the_files_as_this_process_does(tmp_path, monkeypatch):
    """On a large zone the xlsx sheets and the CSV checks go to worker processes: same rows."""
    write_demo_landing(tmp_path / "landing", scale=1, seed=7)
    files = reference_duckdb.drop_duplicates(reference_duckdb.scan(tmp_path / "landing"))
    rows = {}
    for pool in (False, True):
        monkeypatch.setattr(reference_duckdb, "POOL_XLSX_FILES", 1 if pool else 10 ** 9)
        monkeypatch.setattr(reference_duckdb, "POOL_XLSX_BYTES", 0)
        con = duckdb.connect()
        scratch = tmp_path / str(pool)
        scratch.mkdir()
        info = reference_duckdb.register_sources(con, files, scratch)
        assert info["worker_processes"] == (reference_duckdb.THREADS if pool else 0)
        rows[pool] = {source: sorted(con.execute(f"select * from src_{source}").fetchall(), key=repr)
                      for source in reference_duckdb.COLUMNS}
        rows[pool]["files"] = con.execute("select * exclude (read_path) from files order by file_rank").fetchall()
    assert rows[True] == rows[False]
    assert len(rows[True]["shopee"]) > 1000
    assert all(rows[True][source] for source in reference_duckdb.COLUMNS)     # every source, the new ones too


def test_both_scripts_agree_on_the_csv_only_demo(tmp_path):
    """`umkm demo --shopee-csv`: every Shopee export in the csv layout. The pipeline's marts on the
    xlsx demo are checked above; here the two scripts (independent of each other) must agree."""
    write_demo_landing(tmp_path / "landing", scale=1, seed=42, shopee_csv=True)
    assert not list((tmp_path / "landing" / "shopee").rglob("*.xlsx"))
    outputs = {name: run_script(name, tmp_path / "landing", SALT, tmp_path / name)
               for name in ("reference_duckdb", "reference_pandas")}
    con = duckdb.connect()
    for mart in MARTS:
        duck, pand = (f"'{outputs[name] / (mart + '.parquet')}'" for name in ("reference_duckdb", "reference_pandas"))
        columns = ", ".join(name for (name,) in con.execute(
            f"select column_name from (describe select * from {duck})").fetchall())
        assert con.execute(f"select count(*) from {duck}").fetchone()[0] > 3
        assert sorted(con.execute(f"select {columns} from {duck}").fetchall(), key=repr) == \
            sorted(con.execute(f"select {columns} from {pand}").fetchall(), key=repr), mart
    reports = [json.loads((outputs[name] / f"{name}.json").read_text())["checks"]
               for name in ("reference_duckdb", "reference_pandas")]
    assert reports[0] == reports[1]


def test_the_demo_exercises_the_file_rules(demo_runs):
    """Equality above means something only if the zone holds what the rules are for."""
    root, _ = demo_runs
    con = duckdb.connect(str(root / "warehouse.duckdb"), read_only=True)
    statuses = dict(con.execute("select status, count(*) from raw.landing_files group by status").fetchall())
    assert statuses.get("duplicate", 0) >= 2 and statuses.get("quarantined", 0) >= 4
    assert con.execute("select count(distinct reason_code) from raw.rejected_rows").fetchone()[0] >= 5
    foreign = con.execute("select sum(turnover_foreign_idr) from marts.mart_program_summary").fetchone()[0]
    assert foreign > 0
    # Mbizmarket orders in a program (Subtotal, not Total Pesanan), some refused for their totals
    mbizmarket = "select n_orders from marts.mart_program_summary where platform = 'mbizmarket'"
    assert con.execute(mbizmarket).fetchone()[0] > 0
    assert con.execute("select count(*) from raw.rejected_rows where reason_code = 'inconsistent_total'").fetchone()[0]
    # UMKM known only from a training list or the Lapak Ganjar log
    assert con.execute("select count(*) from marts.dim_umkm where umkm_key not in "
                       "(select umkm_key from intermediate.int_enrollments_deduped union all "
                       "select umkm_key from intermediate.int_survey_submissions_deduped)").fetchone()[0] > 0


# ---------------------------------------------------------------- the cell parsers, value by value

MONEY = ["169.000", "1,250,000", "2.273,67", "Rp 15.000.000", "Rp. 100000", "Rp15.000.000", "15 juta", "2,5 miliar",
         "1.5 juta", "12 ribu", "3k", "2 rb", "-5.000", "-Rp 5.000", "(5.000)", "5.000-", "Rp 15.000,-", "1,234.56",
         "1.234.567,89", "12.34.56", "1,2,3", "1.2345", "1234.", "1234,", "1.000,", ".5", "0,5", "0.125", "-0",
         "abc", "1e5", "5 x", "IDR 5.000", "rp5.000", "'169.000", "  169.000 ", "\u00a0Rp\u00a05.000\u3000",
         "\u22125", "9999999999999999", "10000000000000000", "99.999.999.999.999,99", "10 triliun", "5 m",
         "", "-", "null", "N/A", "'", "''", "#VALUE!", "USD 242.15", "1.234,5.6", "١٢٣"]
TIMES = ["2021-09-05T14:03:04.000+07:00", "2021-09-05T14:03:04Z", "2021-09-05T14:03:04.123456789Z",
         "2021-09-05T14:03:04,5+0700", "2021-09-05T14:03:04.000-05:30", "2021-09-05 14:03+07:00", "2021-09-05 14:03",
         "2021-09-05 14:03:04.25", "05/09/2021 14:03", "5/9/2021", "05-09-2021", "2021-09-05", "44350", "44350.5",
         "1900-01-01", "2099-01-01", "2021-13-01", "2021-09-05T24:00:00Z", "2021-9-5 9:03", "x", "", "'2021-09-05",
         "2021-09-05T14:03:04+07:00:30", "20210905"]
# The shapes reference_duckdb.sql parses per row (`moment_kind`), at and around their edges;
# anything else goes to its per-distinct-text rules.
FAST_TIMES = ["2021-02-29T10:00:00Z", "2020-02-29T23:59:59Z", "2021-09-05T14:03:04.1Z", "2021-09-05T14:03:04.123456Z",
              "2021-09-05T14:03:04.1234567Z", "2021-09-05T14:03:60Z", "2021-09-05T24:00:00+07:00",
              "2021-09-05T14:03:04.5-05:30", "2021-09-05T14:03:04+07:00", "2021-09-05T14:03:04-00:00",
              "2021-09-05T14:03:04.999+14:00", "1989-12-31T23:59:59Z", "1990-01-01T06:59:59+07:00",
              "2049-12-31T23:00:00-05:00", "2021-09-05T14:03:04", "2021-09-05T14:03:04.5", "2021-09-05 14:03:04",
              "2021-09-05 24:03", "2021-09-05 14:3", "2021-09-05  14:03", " 2021-09-05 14:03", "'2021-09-05 14:03",
              "2021-09-05T14:03:04Z ", "+2021-09-05T14:03:04Z", "2021-09-05t14:03:04Z", "2021-09-05T14:03:04z",
              "0000-01-01T00:00:00Z", "2021-00-05T14:03:04Z", "2021-09-00 14:03"]
# Cells for the text cleaning fast path (`fclean` = the full rule = ingest.values.clean_text).
TEXTS = ["", " ", "'", "''", "' '", "'a", "a'", " a", "a ", "\u00a0a", "a\u00a0", "'-", "'NULL", "NULL", "null ", "Na",
         "n/a", "N/A", "-", "--", "---", "'--", "'x'", "' x", "'\u00a0x", "x\u3000", "1", "12", "'12345", "'1234",
         "'abcde", "''abcde", "'abcd'", "ab'c", "\x1cab", "\u00e9", "\u00e9a", "a\u00e9", "'\u00e9", "'ab cd", "' null",
         "'null'", "nan", "NaN", "none1", "a b", "'F-852457710", "G600669681", "'G600669681 ", "\t'G6\t", "2021"]


def pipeline_outcome(parse, value):
    try:
        parsed = parse(value)
    except CellError:
        return "rejected"
    return "empty" if parsed is None else parsed


def test_sql_and_pandas_parsers_agree_with_the_pipeline(tmp_path):
    """Each tricky value in a GoBiz report's Amount / Transaction time, through the SQL script
    (its per-row fast paths and its per-distinct-text rules), and through the pandas script's functions."""
    landing = tmp_path / "landing"
    (landing / "gofood").mkdir(parents=True)
    times = TIMES + FAST_TIMES
    size = max(len(MONEY), len(times))
    text = io.StringIO()
    writer = csv.writer(text, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(["Transaction ID", "Transaction time", "Amount", "Transaction Status", "Feature", "Merchant ID"])
    for i in range(size):
        writer.writerow([f"T{i}", times[i % len(times)], MONEY[i % len(MONEY)], "completed", "GoFood", "G1"])
    (landing / "gofood" / "tricky.csv").write_text(text.getvalue(), encoding="utf-8")

    con = duckdb.connect()
    reference_duckdb.build(con, landing, SALT, tmp_path, keep_raw=True)
    found = {row[0]: row[1:] for row in con.execute(
        "select transaction_id, amount_text is null, amount, tx_time is null, utc_of(tx_local, tx_offset, 0) "
        "from gofood_typed").fetchall()}
    assert con.execute("select count(*) filter (where k_time > 0), count(*) filter (where k_time = 0) "
                       "from gofood_raw").fetchone() >= (10, 10)     # both ways are exercised
    for i in range(size):
        money, moment = MONEY[i % len(MONEY)], times[i % len(times)]
        empty, amount, time_empty, utc = found[f"T{i}"]
        sql_money = "empty" if empty else "rejected" if amount is None else amount
        sql_time = "empty" if time_empty else "rejected" if utc is None else utc
        assert sql_money == pipeline_outcome(parse_money, money), money
        assert sql_time == pipeline_outcome(lambda v: parse_timestamp_utc(v, timezone.utc), moment), moment

    def pandas_outcome(value):
        return "empty" if value is None else "rejected" if value is reference_pandas.BAD else value

    for money in MONEY:
        assert pandas_outcome(reference_pandas.money(money)) == pipeline_outcome(parse_money, money), money
    for moment in TIMES:
        expected = pipeline_outcome(lambda v: parse_timestamp_utc(v, timezone.utc), moment)
        assert pandas_outcome(reference_pandas.utc(moment, 0)) == expected, moment


def test_sql_text_cleaning_fast_path_is_the_rule():
    """`fclean` (the per-row fast path) and `clean` (the full rule) of reference_duckdb.sql give
    ingest.values.clean_text's result on every tricky cell."""
    con = duckdb.connect()
    sql = (PROJECT / "benchmarks" / "reference_duckdb.sql").read_text()
    prelude = sql[sql.index("-- Python's str.strip()"):sql.index("-- Survey labels -> codes")]
    con.execute(prelude)
    for cell in TEXTS:
        fast, full = con.execute("select fclean(?), clean(?)", [cell, cell]).fetchone()
        assert fast == full == clean_text(cell), repr(cell)


H = b"Transaction ID,Transaction time,Amount,Transaction Status,Feature,Merchant ID"


@pytest.mark.parametrize("data", [
    H + b"\n1,2,3,4,5,6\n", b"\xef\xbb\xbf" + H.replace(b",", b";") + b"\r\n1;2;3;4;5;6\r\n",
    b"\n\n  \n " + H + b"\n1,2\n", H + b"\n\"1,2\n", H + b"\n\"1\",\"x\"\"\"\n", H + b",Amount\n1\n",
    b"\x1c\x1d\x1e\x1f\x0b\x0c\n\n", b"", b"\n \n", H + b"\n" + b"\x02" * 100, b"%PDF-1.4 " + H + b"\n",
    H + b"\n" + b"\x00" * 20, b"\n" * 70000 + H + b"\n1,2\n", b"x" * 70000 + H + b"\n1,2\n",
    H.replace(b",", b"\t") + b"\n1\t2\n", b"caf\xc3\xa9," + H + b"\n1,2\n", b"caf\xe9," + H + b"\n1,2\n",
    b"\xff\xfe" + (H.decode() + "\n").encode("utf-16-le")])
def test_csv_checks_on_bytes_decide_as_the_full_rules(tmp_path, data):
    """check_csv's fast path (ASCII bytes, no decode) decides as its full path (decode first)."""
    path = tmp_path / "gofood" / "f.csv"
    path.parent.mkdir()
    path.write_bytes(data)
    outcomes = []
    for fast in (True, False):
        landing_file = reference_duckdb.LandingFile("gofood/f.csv", path, "gofood", 0.0, len(data))
        ok = reference_duckdb.check_csv(landing_file, tmp_path, fast=fast)
        outcomes.append((ok, landing_file.delimiter, landing_file.width, landing_file.columns))
    assert outcomes[0] == outcomes[1]


# ---------------------------------------------------------------- the new sources' row rules, row by row

MBIZ_HEADER = ["No. Pesanan", "Tanggal Pesanan", "ID Vendor", "Subtotal", "PPN", "Ongkos Kirim", "Total Pesanan",
               "Status Pesanan", "Nama PIC Pembeli"]
MBIZ_ROWS = [   # (date, vendor, subtotal, PPN, shipping, total, status); the order id is the row's
    ("10/09/2021 14:05", "MBZ-1", "Rp 1.000.000", "Rp 100.000", "0", "Rp 1.100.000", "Selesai"),
    ("10/09/2021 14:05", "MBZ-1", "1000000", "100000", "0", "1100001", "Selesai"),            # Rp 1 apart: fine
    ("10/09/2021 14:05", "MBZ-1", "1.000.000,00", "100.000,00", "0", "1.100.001,01", "Selesai"),   # more: refused
    ("10/09/2021 14:05", "'MBZ-2", "Rp 1.000.000", "", "Rp 25.000", "Rp 1.025.000", "selesai "),
    ("10/09/2021 14:05", "MBZ-2", "Rp 1.000.000", "Rp 100.000", "", "", "DIKIRIM"),
    ("10/09/2021 14:05", "MBZ-2", "Rp 1.000.000", "Rp 100.000", "0", "Rp 1.100.000", "Lunas"),
    ("10/09/2021 14:05", "MBZ-2", "Rp 1.000.000", "Rp 100.000", "-25.000", "Rp 1.075.000", "Selesai"),
    ("2021-09-10T14:05:00+07:00", "MBZ-3", "2,5 juta", "", "", "", "Diterima"),
    ("2021-09-10 14:05", "MBZ-3", "Rp 15.000.000", "Rp 1.650.000", "0", "Rp 16.650.000", "Selesai"),
    ("31/02/2021 10:00", "MBZ-3", "Rp 1.000.000", "", "", "", "Selesai"),
    ("10/09/2021", "MBZ-3", "Rp 1.000.000", "", "", "", "Selesai"),
    ("1/9/2021 7:05", "MBZ-3", "Rp 1.000.000", "", "", "", "Selesai"),
    ("10/09/2021 14:05", "MBZ-3", "", "Rp 100.000", "0", "Rp 100.000", "Selesai"),
    ("10/09/2021 14:05", "", "Rp 1.000.000", "", "", "", "Selesai"),
    ("-", "MBZ-3", "Rp 1.000.000", "", "", "", "Selesai"),
]
FORMS_HEADER = ["Timestamp", "Kode Kegiatan", "Nama Lengkap", "NIK", "Nama Usaha", "NIB (jika ada)", "Kabupaten/Kota",
                "Bidang Usaha", "Apakah usaha Anda sudah memiliki akun marketplace? ", "Kehadiran "]
FORMS_ROWS = [  # (timestamp, activity, NIK, business, NIB, region, sector, attendance)
    ("2021/08/02 9:03:22 AM GMT+7", "mbiz-pbj-2021-08", "NIK", "Usaha A", "", "Kota Semarang", "kuliner", "Hadir"),
    ("2021/08/02 12:03:22 AM GMT+7", "mbiz-pbj-2021-08", "NIK", "Usaha A", "", "33.74", "", "hadir"),
    ("2021/08/02 12:03:22 PM GMT+7", "mbiz-pbj-2021-08", "NIK", "Usaha A", "", "3374", "Kuliner", ""),
    ("2021/08/02 13:03:22 PM GMT+7", "mbiz-pbj-2021-08", "NIK", "Usaha A", "", "3374", "", ""),
    ("2021/08/02 9:03:22 pm gmt+07:00", "mbiz-pbj-2021-08", "NIK", "Usaha A", "", "'3374", "", "Tidak Hadir"),
    ("2021/08/02 9:03:22 AM GMT-3", "mbiz-pbj-2021-08", "NIK", "Usaha A", "", "", "", ""),
    ("2021/02/30 9:03:22 AM GMT+7", "mbiz-pbj-2021-08", "NIK", "Usaha A", "", "", "", ""),
    ("2021-08-02 09:03", "mbiz-pbj-2021-08", "NIK", "Usaha A", "", "Kab. Boyolali", "", ""),
    ("02/08/2021 09:03:22", "mbiz-pbj-2021-08", "NIK", "Usaha A", "", "kabupaten  semarang", "", ""),
    ("kemarin", "mbiz-pbj-2021-08", "NIK", "Usaha A", "", "", "", ""),
    ("2021/08/02 9:03:22 AM GMT+7", "kelas-lain", "NIK", "Usaha A", "", "", "", ""),
    ("2021/08/02 9:03:22 AM GMT+7", "mbiz-pbj-2021-08", "337401550190001", "Usaha A", "", "", "", ""),
    ("2021/08/02 9:03:22 AM GMT+7", "mbiz-pbj-2021-08", "", "Usaha B", "9120001234567", "", "", ""),
    ("2021/08/02 9:03:22 AM GMT+7", "mbiz-pbj-2021-08", "", "Usaha B", "", "", "", ""),
    ("2021/08/02 9:03:22 AM GMT+7", "mbiz-pbj-2021-08", "NIK", "Usaha A", "", "Semarang", "", ""),
    ("2021/08/02 9:03:22 AM GMT+7", "mbiz-pbj-2021-08", "NIK", "Usaha A", "", "99.99", "", ""),
    ("2021/08/02 9:03:22 AM GMT+7", "mbiz-pbj-2021-08", "NIK", "Usaha A", "", "Kota Atlantis", "", ""),
    ("2021/08/02 9:03:22 AM GMT+7", "mbiz-pbj-2021-08", "NIK", "Usaha A", "", "", "perbengkelan", ""),
    ("2021/08/02 9:03:22 AM GMT+7", "mbiz-pbj-2021-08", "NIK", "Usaha A", "", "", "", "Izin"),
    ("2021/08/02 9:03:22 AM GMT+7", "mbiz-pbj-2021-08", "NIK", "", "", "", "", ""),
    ("2021/08/02 9:03:22 AM GMT+7", "lapak_ganjar", "'3374 0155 0190 0011", "Usaha A", "", "", "", ""),
]
LAPAK_HEADER = ["Tanggal Tayang", "NIK Pemilik", "NIB", "Nama Usaha", "Kabupaten/Kota", "Bidang Usaha", "Produk"]
LAPAK_ROWS = [  # (day, NIK, NIB, business, region, sector)
    ("05/09/2021", "NIK", "", "Usaha A", "Kab. Boyolali", "kuliner"),
    ("05/09/2031", "NIK", "", "Usaha A", "", ""),
    ("31/12/2019", "NIK", "", "Usaha A", "", ""),
    ("01/01/2020", "NIK", "9120001234567", "Usaha A", "3309", "Makanan dan Minuman"),
    ("2021-09-06", "NIK", "", "Usaha A", "", ""),
    ("31/02/2021", "NIK", "", "Usaha A", "", ""),
    ("07/09/2021", "", "", "Usaha A", "", ""),
    ("08/09/2021", "", "912000123456", "Usaha A", "", ""),
    ("09/09/2021", "NIK", "", "Usaha A", "Tegal", ""),
    ("10/09/2021", "NIK", "", "Usaha A", "", "bengkel"),
    ("11/09/2021", "NIK", "", "", "", ""),
    ("", "NIK", "", "Usaha A", "", ""),
]


def tricky_nik(i: int) -> str:
    """A different owner per row, so that no row is deduplicated away."""
    return f"33740155019{i:05d}"


def test_new_sources_rules_agree_with_the_pipeline(tmp_path):
    """Each tricky Mbizmarket, training-list and Lapak Ganjar row loads or is refused in the SQL
    script and in the pandas script as the pipeline's parsers decide, with the same values."""
    from ingest.sources import lapak_ganjar, mbizmarket, training

    def owner(i, nik):
        return tricky_nik(i) if nik == "NIK" else nik

    files = {
        "mbizmarket/tricky.csv": [MBIZ_HEADER] + [[f"PO-{i}", *row, "Nama PIC"] for i, row in enumerate(MBIZ_ROWS)]
        + [["PO-0", *MBIZ_ROWS[0], "Nama PIC"]],        # the same order again in one file: refused
        "training/tricky.csv": [FORMS_HEADER] + [[ts, act, "Peserta", owner(i, nik), name, nib, region, sector, "Belum",
                                                  attendance]
                                                 for i, (ts, act, nik, name, nib, region, sector, attendance)
                                                 in enumerate(FORMS_ROWS)],
        "lapak_ganjar/tricky.csv": [LAPAK_HEADER] + [[day, owner(i, nik), nib, name, region, sector, "Keripik"]
                                                     for i, (day, nik, nib, name, region, sector)
                                                     in enumerate(LAPAK_ROWS)],
    }
    landing = tmp_path / "landing"
    for relative, rows in files.items():
        text = io.StringIO()
        csv.writer(text, lineterminator="\n").writerows(rows)
        (landing / relative).parent.mkdir(parents=True, exist_ok=True)
        (landing / relative).write_text(text.getvalue(), encoding="utf-8")

    def parsed(module, relative, columns):
        table = module.parse((landing / relative).read_bytes(), relative).table.to_pylist()
        return sorted(tuple(row[c] for c in columns) for row in table)

    expected = {
        "mbizmarket": parsed(mbizmarket, "mbizmarket/tricky.csv",
                             ["row_number", "order_id", "vendor_id", "order_ts_utc", "subtotal", "order_status"]),
        "training": parsed(training, "training/tricky.csv",
                           ["row_number", "activity_id", "registered_ts_utc", "nib", "region_code", "sector_code",
                            "attended"]),
        "lapak_ganjar": parsed(lapak_ganjar, "lapak_ganjar/tricky.csv",
                               ["row_number", "shown_date", "nib", "region_code", "sector_code"]),
    }
    assert [len(rows) for rows in expected.values()] == [8, 9, 3]        # and the rest refused

    con = duckdb.connect()
    reference_duckdb.build(con, landing, SALT, tmp_path)
    sql = {
        "mbizmarket": "select row_order, order_id, vendor, ts_utc, subtotal, status from mbizmarket_rows",
        "training": "select row_order, activity_id, registered_utc, nib, region_code, sector_code, attended "
                    "from training_rows",
        "lapak_ganjar": "select row_order, shown_date, nib, region_code, sector_code from lapak_ganjar_rows",
    }
    for source, query in sql.items():
        assert sorted(con.execute(query).fetchall()) == expected[source], source

    def frame(source):
        relative = next(name for name in files if name.startswith(source + "/"))
        raw = reference_pandas.read_file(source, relative, landing / relative)
        raw["file_rank"] = 0
        return raw

    def plain(value):
        return value.to_pydatetime() if hasattr(value, "to_pydatetime") else value

    rows = {
        "mbizmarket": reference_pandas.mbizmarket_rows(frame("mbizmarket"))[
            ["row", "order_id", "platform_merchant_id", "order_ts_utc", "amount_idr", "status_raw"]],
        "training": reference_pandas.training_rows(frame("training"), SALT)[
            ["row", "activity_id", "registered_utc", "nib", "region_code", "sector_code", "attended"]],
        "lapak_ganjar": reference_pandas.lapak_ganjar_rows(frame("lapak_ganjar"), SALT)[
            ["row", "shown_date", "nib", "region_code", "sector_code"]],
    }
    for source, found in rows.items():
        found = found.astype(object).where(found.notna(), None)
        assert sorted(tuple(map(plain, row)) for row in found.itertuples(index=False)) == expected[source], source
