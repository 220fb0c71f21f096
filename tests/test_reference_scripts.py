"""The benchmark's two reference implementations compute the same marts as `umkm run`.

benchmarks/reference_duckdb.py (+ .sql) and benchmarks/reference_pandas.py implement the data
contract's rules again, independently of ingest/ and dbt. On the scale-1 demo landing zone
(every source and layout, duplicate deliveries, quarantined files, rejected rows, re-runs,
overlapping exports) all three must give the same three marts, row for row, exact decimals;
and the same dim_umkm / fct_orders counts and sums. The cell parsers are also compared with
the pipeline's on tricky values.
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
from ingest.demo import write_demo_landing
from ingest.values import CellError, parse_money, parse_timestamp_utc
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


@pytest.mark.parametrize("script", ["reference_duckdb", "reference_pandas"])
def test_reference_dim_umkm_and_fct_orders_match(demo_runs, script):
    root, outputs = demo_runs
    report = json.loads((outputs[script] / f"{script}.json").read_text())
    con = duckdb.connect(str(root / "serving" / "marts.duckdb"), read_only=True)
    dim = con.execute("select count(*), count(nib), count(scale) from dim_umkm").fetchone()
    fct = con.execute("select count(*), count(umkm_key), count(*) filter (where is_counted), sum(amount_idr) "
                      "from fct_orders").fetchone()
    assert report["checks"] == {
        "dim_umkm_rows": dim[0], "dim_umkm_nib": dim[1], "dim_umkm_scale": dim[2], "fct_orders_rows": fct[0],
        "fct_orders_with_umkm": fct[1], "fct_orders_counted": fct[2], "fct_orders_amount_idr": str(fct[3])}


def test_the_demo_exercises_the_file_rules(demo_runs):
    """Equality above means something only if the zone holds what the rules are for."""
    root, _ = demo_runs
    con = duckdb.connect(str(root / "warehouse.duckdb"), read_only=True)
    statuses = dict(con.execute("select status, count(*) from raw.landing_files group by status").fetchall())
    assert statuses.get("duplicate", 0) >= 2 and statuses.get("quarantined", 0) >= 4
    assert con.execute("select count(distinct reason_code) from raw.rejected_rows").fetchone()[0] >= 5
    foreign = con.execute("select sum(turnover_foreign_idr) from marts.mart_program_summary").fetchone()[0]
    assert foreign > 0


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


def pipeline_outcome(parse, value):
    try:
        parsed = parse(value)
    except CellError:
        return "rejected"
    return "empty" if parsed is None else parsed


def test_sql_and_pandas_parsers_agree_with_the_pipeline(tmp_path):
    """Each tricky value in a GoBiz report's Amount / Transaction time, through the SQL script's
    money and moments tables, and through the pandas script's functions."""
    landing = tmp_path / "landing"
    (landing / "gofood").mkdir(parents=True)
    size = max(len(MONEY), len(TIMES))
    text = io.StringIO()
    writer = csv.writer(text, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(["Transaction ID", "Transaction time", "Amount", "Transaction Status", "Feature", "Merchant ID"])
    for i in range(size):
        writer.writerow([f"T{i}", TIMES[i % len(TIMES)], MONEY[i % len(MONEY)], "completed", "GoFood", "G1"])
    (landing / "gofood" / "tricky.csv").write_text(text.getvalue(), encoding="utf-8")

    con = duckdb.connect()
    reference_duckdb.build(con, landing, SALT, tmp_path)
    found = {row[0]: row[1:] for row in con.execute(
        "select c.transaction_id, c.amount is null, m.amount, c.tx_time is null, "
        "       utc_of(t.local, t.offset_minutes, 0) "
        "from gofood_cells c left join money m on m.t = c.amount left join moments t on t.t = c.tx_time").fetchall()}
    for i in range(size):
        money, moment = MONEY[i % len(MONEY)], TIMES[i % len(TIMES)]
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
