"""Crash safety, replay, concurrent BI readers and the DuckDB 1.4 client, on real `umkm run`s.

The runs (subprocesses on temporary folders, see tests/shared_runs.py): `base` (the hand-built
landing zone of tests/test_pipeline_e2e.py), `clean_big` (the same plus a large GoBiz report,
from nothing) and `replay` start together with the corpus run; then `crashed` takes a copy of
`base`, lands the large report, kills `umkm run` with SIGKILL while it loads that report, and
runs it again while BI reader processes query the serving copy.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from tests import serving_reader
from tests.runs import serving_snapshot, serving_tables, umkm_run
from tests.shared_runs import BIG_MTIME, BIG_PATH, BIG_ROWS, Run, copy_state, put, shared_runs, start_run

@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The shared runs, each waited for only when a test needs it (the crash starts once `base` is done)."""
    return shared_runs(tmp_path_factory)


# ---------------------------------------------------------------- crash safety + concurrent readers

def published_state(serving: Path) -> dict:
    """The signatures of one published version, as the reader computes them."""
    tables = serving_tables(serving)
    con = duckdb.connect(str(serving / "marts.duckdb"), read_only=True)
    try:
        return {"duckdb": serving_reader.duckdb_state(con, tables),
                "parquet": {t: serving_reader.parquet_state(str(serving), t) for t in tables},
                "versioned": serving_reader.versioned_parquet_state(str(serving), tables)}
    finally:
        con.close()


def wait_for_loading(run: Run, warehouse: Path, baseline: int, timeout: float = 300) -> float:
    """Until the warehouse file grows: the large report's rows are being written, not committed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if warehouse.stat().st_size > baseline:
            return time.monotonic()
        if run.process.poll() is not None:
            run.wait()
            raise AssertionError("umkm run ended before the large file was loading:\n" + run.stdout[-3000:])
        time.sleep(0.001)
    raise AssertionError("the large file never started loading")


def ledger_of(warehouse: Path, path: str) -> tuple[list, int]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        ledger = con.execute("select status, rows_loaded from raw.landing_files where landing_path = ?",
                             [path]).fetchall()
        [(rows,)] = con.execute("select count(*) from raw.gofood_transactions where landing_path = ?",
                                [path]).fetchall()
        return ledger, rows
    finally:
        con.close()


@pytest.fixture(scope="module")
def crashed(tmp_path_factory, runs):
    """`base` + the large report: SIGKILL mid-load, then a rerun with a BI reader querying throughout."""
    root = tmp_path_factory.mktemp("crash")
    attempts = []
    for _attempt in range(3):   # the kill must land between the first row written and the commit
        if root.exists():
            shutil.rmtree(root)
        root.mkdir()
        copy_state(runs["base"].check().root, root)
        put(root, BIG_PATH, runs["clean_big"].extra["big_report"], BIG_MTIME)
        warehouse = root / "warehouse.duckdb"
        run = start_run(root)
        wait_for_loading(run, warehouse, warehouse.stat().st_size)
        os.killpg(run.process.pid, signal.SIGKILL)
        run.wait()
        ledger, rows = ledger_of(warehouse, BIG_PATH)
        attempts.append((ledger, rows))
        if not ledger:
            break
    old_serving = root / "serving_before"
    shutil.copytree(root / "serving", old_serving)
    work = root / "reader"
    work.mkdir()
    out, stop = work / "seen.json", work / "stop"
    tables = ",".join(serving_tables(root / "serving"))
    readers = [subprocess.Popen([sys.executable, serving_reader.__file__, str(root / "serving"), str(work / name),
                                 str(stop), tables, mode], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
               for name, mode in ((out.name, "loop"), ("held.json", "held"))]
    reader = readers[0]
    time.sleep(1.0)   # the reader is querying before the rebuild starts
    started = time.monotonic()
    rerun = umkm_run(root)
    rerun_seconds = time.monotonic() - started
    progress = Path(str(out) + ".progress")
    done = int(progress.read_text() or 0) if progress.exists() else 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and reader.poll() is None:   # two more whole loops on the new version
        if progress.exists() and int(progress.read_text() or 0) >= done + 2:
            break
        time.sleep(0.1)
    stop.touch()
    seen = {"seen": [], "errors": [], "iterations": 0}
    for process, path in zip(readers, (out, work / "held.json")):
        output, _ = process.communicate(timeout=120)
        found = json.loads(path.read_text()) if path.exists() else {"seen": [], "errors": [output], "iterations": 0}
        seen["seen"] += found["seen"]
        seen["errors"] += found["errors"]
        seen["iterations"] += found["iterations"]
    return dict(root=root, attempts=attempts, rerun=rerun, rerun_seconds=rerun_seconds, seen=seen,
                old=published_state(old_serving), new=published_state(root / "serving"), old_serving=old_serving)


def test_sigkill_mid_load_then_rerun_gives_the_clean_marts(crashed, runs):
    ledger, rows = crashed["attempts"][-1]
    assert ledger == [] and rows == 0, f"the kill left part of the file behind: {crashed['attempts']}"
    rerun = crashed["rerun"]
    assert rerun.returncode == 0, rerun.stdout[-3000:] + rerun.stderr[-3000:]
    assert serving_snapshot(crashed["root"] / "serving") == serving_snapshot(runs["clean_big"].check().root / "serving")
    ledger, rows = ledger_of(crashed["root"] / "warehouse.duckdb", BIG_PATH)
    assert ledger == [("loaded", BIG_ROWS)] and rows == BIG_ROWS
    con = duckdb.connect(str(crashed["root"] / "warehouse.duckdb"), read_only=True)
    try:
        assert con.execute("select count(*) - count(distinct (landing_path, transaction_id)) "
                           "from raw.gofood_transactions").fetchone() == (0,)
    finally:
        con.close()
    assert not [p.name for p in (crashed["root"] / "serving").iterdir() if p.name.endswith(".tmp")]


def test_bi_readers_never_error_nor_see_a_half_published_mart(crashed):
    seen, old, new = crashed["seen"], crashed["old"], crashed["new"]
    assert seen["errors"] == [], seen["errors"][:5]
    assert old["duckdb"] != new["duckdb"]
    by_kind = {kind: [s for s in seen["seen"] if s["kind"] == kind] for kind in ("duckdb", "held", "versioned")}
    for kind, version in (("duckdb", "duckdb"), ("versioned", "versioned")):
        states = [s["state"] for s in by_kind[kind]]
        # a whole version, every mart of it, never a mix of two
        assert states and all(state in (old[version], new[version]) for state in states), kind
        assert old[version] in states and new[version] in states, f"{kind}: the reader did not span the rebuild"
    assert all(s["state"] == old["duckdb"] for s in by_kind["held"]), "an open connection must keep its version"
    for item in (s for s in seen["seen"] if s["kind"] == "parquet"):
        table = item["table"]
        assert item["state"] in (old["parquet"][table], new["parquet"][table]), f"half-written {table}.parquet"
    # the pipeline was not held up by the readers: it finished, in the time a run takes
    assert crashed["rerun"].returncode == 0 and crashed["rerun_seconds"] < 300
    assert seen["iterations"] > 10


# ---------------------------------------------------------------- replay

def test_replay_twice_shuffled_with_corrections_gives_the_clean_marts(runs):
    """Every file delivered twice (another name, same bytes), in shuffled batches, and three files
    first in a wrong version that a corrected one replaces: the marts of the clean delivery
    (see tests/shared_runs.py, prepare_replay)."""
    clean, replay = runs["base"].check().root, runs["replay"].check()
    root, wrong = replay.root, replay.extra["wrong"]
    assert {o.status for o in replay.extra["first_outcomes"]} <= {"loaded", "duplicate", "quarantined"}

    assert serving_snapshot(root / "serving", drop_lineage=True) == \
        serving_snapshot(clean / "serving", drop_lineage=True)
    con = duckdb.connect(str(root / "warehouse.duckdb"), read_only=True)
    try:
        per_version = dict(con.execute("select sha256, count(*) from raw.landing_files where status = 'loaded' "
                                       "group by 1").fetchall())
        superseded = {p for (p,) in con.execute("select landing_path from raw.landing_files "
                                                "where status = 'superseded'").fetchall()}
    finally:
        con.close()
    assert set(per_version.values()) == {1}, "a file version loaded twice"
    assert superseded == set(wrong)
    quality = duckdb.connect(str(root / "serving" / "marts.duckdb"), read_only=True)
    reference = duckdb.connect(str(clean / "serving" / "marts.duckdb"), read_only=True)
    try:
        totals = "select sum(rows_loaded), sum(rows_rejected) from mart_data_quality where status = 'loaded'"
        assert quality.execute(totals).fetchall() == reference.execute(totals).fetchall()
    finally:
        quality.close()
        reference.close()


# ---------------------------------------------------------------- DuckDB 1.4 client

DUCKDB_14_VENV = Path(tempfile.gettempdir()) / "umkm-duckdb14-venv"


def duckdb_14_python() -> Path:
    """A virtualenv with duckdb 1.4.x, made once and cached (skips when pip cannot reach PyPI)."""
    python = DUCKDB_14_VENV / "bin" / "python"
    DUCKDB_14_VENV.parent.mkdir(parents=True, exist_ok=True)
    with open(str(DUCKDB_14_VENV) + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        check = subprocess.run([str(python), "-c", "import duckdb; print(duckdb.__version__)"],
                               capture_output=True, text=True) if python.exists() else None
        if check is None or check.returncode != 0 or not check.stdout.startswith("1.4."):
            shutil.rmtree(DUCKDB_14_VENV, ignore_errors=True)
            subprocess.run([sys.executable, "-m", "venv", str(DUCKDB_14_VENV)], check=True)
            pip = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                                  "duckdb==1.4.*"], capture_output=True, text=True, timeout=600)
            if pip.returncode != 0:
                shutil.rmtree(DUCKDB_14_VENV, ignore_errors=True)
                pytest.skip("pip could not install duckdb==1.4.* (no package registry?): "
                            + (pip.stderr.strip().splitlines() or ["no output"])[-1])
    return python


def test_serving_copy_opens_read_only_in_duckdb_1_4(runs):
    serving = runs["base"].check().root / "serving"
    python = duckdb_14_python()
    script = textwrap.dedent("""
        import json, sys, duckdb
        con = duckdb.connect(sys.argv[1] + "/marts.duckdb", read_only=True)
        tables = [t for (t,) in con.execute("select table_name from information_schema.tables").fetchall()]
        counts = {t: con.execute(f'select count(*) from "{t}"').fetchone()[0] for t in tables}
        files = json.load(open(sys.argv[1] + "/current.json"))["parquet"]   # fct_orders: a glob of month files
        parquet = {t: duckdb.sql(f"select count(*) from read_parquet('{sys.argv[1]}/{files[t]}')").fetchone()[0]
                   for t in tables}
        print(json.dumps({"version": duckdb.__version__, "counts": counts, "parquet": parquet}))
    """)
    result = subprocess.run([str(python), "-c", script, str(serving)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    seen = json.loads(result.stdout)
    assert seen["version"].startswith("1.4.")
    con = duckdb.connect(str(serving / "marts.duckdb"), read_only=True)
    try:
        expected = {t: con.execute(f'select count(*) from "{t}"').fetchone()[0] for t in serving_tables(serving)}
    finally:
        con.close()
    assert seen["counts"] == expected and seen["parquet"] == expected
