"""`umkm status` piece by piece: the ledger rules, the Dagster storage it reads without Dagster,
and the progress reporter's plain lines. tests/test_console.py runs both commands end to end."""

from __future__ import annotations

import io
import json
import os
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import dagster as dg
import duckdb
import pytest

from ingest.landing import is_temporary, scan_landing
from ingest.raw_schema import create_raw_schema
from ingest.settings import Settings
from orchestration import progress, status

NOW = datetime(2026, 3, 10, 2, 0)


def utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, timezone.utc).replace(tzinfo=None)


def put(landing: Path, path: str, data: bytes, mtime: float) -> Path:
    target = landing / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    os.utime(target, (mtime, mtime))
    return target


@pytest.fixture
def zone(tmp_path):
    """A warehouse whose ledger holds gofood and shopee files (uvo never delivered), one of
    them quarantined, a rejected row, and a serving copy published after the last load."""
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse.duckdb"
    files = {"gofood/a.csv": b"a,b\n1,2\n", "gofood/bad.csv": b"\x00\x01", "shopee/1/Order.all.x.csv": b"x\n"}
    con = duckdb.connect(str(warehouse))
    create_raw_schema(con)
    for i, (path, data) in enumerate(files.items()):
        mtime = 1_700_000_000 + i
        put(landing, path, data, mtime)
        state = "quarantined" if "bad" in path else "loaded"
        con.execute("insert into raw.landing_files (landing_path, sha256, source, status, reason, size_bytes, "
                    "file_landed_at, first_seen, loaded_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [path, f"sha{i}", path.split("/")[0], state, "binary data" if state == "quarantined" else None,
                     len(data), utc(mtime), NOW - timedelta(days=1), NOW - timedelta(days=1)])
    con.execute("insert into raw.rejected_rows values ('gofood/a.csv', 'sha0', 2, 'invalid_amount', 'x', '{}')")
    con.close()
    serving = tmp_path / "serving"
    serving.mkdir()
    (serving / "current.json").write_text(json.dumps({"published_at": (NOW - timedelta(hours=20)).replace(
        tzinfo=timezone.utc).isoformat()}))
    settings = Settings(landing_dir=landing, warehouse_path=warehouse, serving_dir=serving, hash_salt="s",
                        settle_seconds=0)
    return SimpleNamespace(root=tmp_path, landing=landing, settings=settings)


def test_the_ledger_rules(zone):
    found = status.collect(zone.settings, zone.root / "no_dagster", now=NOW)
    assert found.exit_code == 1 and found.error is None
    assert [q["path"] for q in found.quarantined] == ["gofood/bad.csv"]
    assert [f["feed"] for f in found.stale_feeds] == ["uvo"]
    assert found.rejected_rows_7d == {"invalid_amount": 1}
    assert found.not_loaded == []
    assert [item.split(":")[0] for item in found.needs_a_look] == ["1 quarantined file(s)", "stale feed uvo"]
    text = status.report(found, zone.settings)
    assert "gofood/bad.csv: binary data" in text and "NEEDS A LOOK" in text


def test_new_files_stale_copies_and_gone_quarantined_files(zone):
    put(zone.landing, "uvo/expo.json", b"[]", 1_800_000_000)                  # landed, not loaded yet
    put(zone.landing, "gofood/a.csv", b"a,b\n1,3\n", 1_800_000_001)           # a new version
    put(zone.landing, "gofood/~$a.csv", b"lock", 1_800_000_002)               # temporary: never read
    (zone.landing / "gofood" / "bad.csv").unlink()                            # removed: no longer a concern
    found = status.collect(zone.settings, zone.root / "no_dagster", now=NOW + timedelta(days=10))
    assert found.not_loaded == ["gofood/a.csv", "uvo/expo.json"]
    assert found.quarantined == []
    assert {f["feed"] for f in found.stale_feeds} == {"gofood", "shopee", "uvo"}   # 11 days > 7
    assert found.rejected_rows_7d == {}                                            # older than 7 days


def test_a_serving_copy_older_than_the_newest_load_needs_a_look(zone):
    (zone.settings.serving_dir / "current.json").unlink()
    found = status.collect(zone.settings, zone.root / "no_dagster", now=NOW)
    assert any("serving copy is older than the newest load (never published)" in i for i in found.needs_a_look)


def test_no_warehouse_or_a_locked_one_exits_2(zone, tmp_path):
    missing = Settings(landing_dir=zone.landing, warehouse_path=tmp_path / "none.duckdb", serving_dir=tmp_path,
                       hash_salt="s", settle_seconds=0)
    assert status.collect(missing, tmp_path).exit_code == 2
    writer = duckdb.connect(str(zone.settings.warehouse_path))   # another process's writer is the usual case;
    try:                                                            # here one in-process with another config
        found = status.collect(zone.settings, tmp_path)
    finally:
        writer.close()
    assert found.exit_code == 2 and "cannot be read now" in found.error


def test_the_temporary_name_rule_is_the_loaders(tmp_path):
    """status.py keeps its own copy of `ingest.landing.is_temporary` (importing that module costs a
    second): the same names are skipped, and the listing is the loader's."""
    names = ["a.csv", "~$a.xlsx", ".hidden.csv", "x.CSV.part", "y.tmp", "z.crdownload", "w.partial", "v.swp",
             "data.json", "tmp.csv"]
    for name in names:
        assert (name.startswith(status.TEMP_PREFIXES) or name.lower().endswith(status.TEMP_SUFFIXES)) \
            == is_temporary(name), name
        put(tmp_path, f"gofood/{name}", b"x", 1_700_000_000)
    assert sorted(status.landing_listing(tmp_path)) == sorted(f.path for f in scan_landing(tmp_path))


def test_the_last_run_is_read_from_dagster_storage_without_dagster(tmp_path, monkeypatch):
    """A real instance with a failed `full_refresh` run: the SQLite files say what Dagster says."""

    @dg.op
    def load_files():
        return 1

    @dg.op
    def build(rows):
        raise ValueError("dbt build failed: 2 of 30 models\nmore detail")

    @dg.job(name="full_refresh")
    def job():
        build(load_files())

    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    with dg.instance_for_test(temp_dir=str(home)) as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False)
        run = status.last_run(home)
        assert run.run_id == result.run_id and run.status == "FAILURE"
        assert run.failed_step == "build"
        assert run.error == "ValueError: dbt build failed: 2 of 30 models"
        assert run.seconds is not None and 0 <= run.seconds < 60
    assert status.last_run(tmp_path / "empty") is None
    # an instance configured with its own storage is read through Dagster: the same answer
    (home / "dagster.yaml").write_text(f"telemetry:\n  enabled: false\nstorage:\n  sqlite:\n    base_dir: {home}\n")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    again = status.last_run(home)
    assert (again.run_id, again.status, again.failed_step, again.error) == (run.run_id, "FAILURE", "build", run.error)


# ------------------------------------------------------------------ progress, without a run

def event(kind: str, step: str):
    return SimpleNamespace(dagster_event=SimpleNamespace(event_type_value=kind, step_key=step))


def test_plain_progress_is_one_line_per_step_without_control_characters():
    out = io.StringIO()
    with progress.PlainReporter(out) as reporter:
        reporter.on_event(event("STEP_START", "landing_reconciliation"))
        count = progress.file_counter(3, then=None)
        for rows in (10, 20, 0):
            count(SimpleNamespace(rows_loaded=rows))
        reporter.on_event(event("STEP_SUCCESS", "landing_reconciliation"))
        reporter.on_event(event("STEP_START", "umkm_dbt_models"))
        progress.dbt_planned(4)
        for _ in range(4):
            reporter.on_event(event("ASSET_MATERIALIZATION", "umkm_dbt_models"))
        reporter.on_event(event("STEP_FAILURE", "umkm_dbt_models"))
        reporter.on_event(event("STEP_SKIPPED", "serving_marts"))
    lines = out.getvalue().splitlines()
    assert re.fullmatch(r"load: done, 3 of 3 files, 30 rows \([\d,]+ rows/s\) \(\d+\.\ds\)", lines[0])
    assert re.fullmatch(r"dbt build: FAILED, 4 of 4 models and seeds, 0 tests \(\d+\.\ds\)", lines[1])
    assert lines[2:] == ["publication: skipped"]
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", out.getvalue())
    progress.file_counter(1)(SimpleNamespace(rows_loaded=1))   # nobody listens: a no-op


def test_the_reporter_follows_the_output():
    assert type(progress.reporter_for(io.StringIO(), quiet=False)) is progress.PlainReporter
    assert type(progress.reporter_for(io.StringIO(), quiet=True)) is progress.Reporter
