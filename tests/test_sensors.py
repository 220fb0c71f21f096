"""The landing sensor on real temp landing zones, and files-in to marts-out through Dagster."""

import os
import time
from decimal import Decimal

import dagster as dg
import duckdb
import pytest

from ingest.landing import ArrivalCursor, LandingFile, arrivals_since
from ingest.sighting import Sighting
from orchestration.partitions import landing_files, path_of
from orchestration.resources import UmkmSettings
from orchestration.sensors import QUIET_SECONDS, landing_file_sensor
from tests.filemakers import csv_bytes
from tests.test_parsers import GOBIZ_HEADER, gobiz_row


def gobiz(*rows):
    return csv_bytes([GOBIZ_HEADER, *rows])


def settings_for(root, settle=0.0) -> UmkmSettings:
    return UmkmSettings(landing_dir=str(root / "landing"), warehouse_path=str(root / "warehouse.duckdb"),
                        serving_dir=str(root / "serving"), hash_salt="sensor-salt", settle_seconds=settle)


class Sensor:
    """Evaluates the sensor tick after tick, keeping its cursor, as the daemon does."""

    def __init__(self, root, settle=0.0):
        self.instance = dg.DagsterInstance.ephemeral()
        self.settings = settings_for(root, settle)
        self.cursor = None

    def tick(self):
        """The run requests of one tick; `self.added` holds the file versions it registered."""
        context = dg.build_sensor_context(instance=self.instance, cursor=self.cursor,
                                          resources={"umkm": self.settings})
        result = landing_file_sensor(context)
        self.cursor = result.cursor
        self.added = []
        for request in result.dynamic_partitions_requests:
            self.added += list(request.partition_keys)
            self.instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
        return result.run_requests


def drop(root, relative, data, age=60):
    path = root / "landing" / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def test_new_file_then_same_file_then_changed_version(tmp_path):
    sensor = Sensor(tmp_path)
    drop(tmp_path, "gofood/day1.csv", gobiz(gobiz_row("T1", "2021-09-05T03:00:00Z", "1000")))
    [request] = sensor.tick()
    [key] = sensor.added
    assert path_of(key) == "gofood/day1.csv" and request.partition_key is None   # one run loads, builds, publishes
    assert request.run_key.startswith("landing:")
    assert sensor.tick() == []                                   # nothing new: nothing requested
    # Same bytes written again (a re-copy): a new ctime, but a version already registered.
    drop(tmp_path, "gofood/day1.csv", gobiz(gobiz_row("T1", "2021-09-05T03:00:00Z", "1000")))
    assert sensor.tick() == []
    assert sensor.instance.get_dynamic_partitions(landing_files.name) == [key]
    # A corrected version: a new partition and a new run.
    drop(tmp_path, "gofood/day1.csv", gobiz(gobiz_row("T1", "2021-09-05T03:00:00Z", "2000")))
    [changed] = sensor.tick()
    assert sensor.added != [key] and changed.run_key != request.run_key
    assert len(sensor.instance.get_dynamic_partitions(landing_files.name)) == 2


def test_half_written_and_temporary_files_wait(tmp_path):
    settle = 3.0   # long against a tick on a loaded machine: the test sleeps fractions of it
    sensor = Sensor(tmp_path, settle=settle)
    path = drop(tmp_path, "gofood/writing.csv", b"Transaction ID,Amount\nT1,", age=86400 * 900)  # an old mtime
    drop(tmp_path, "gofood/~$report.csv", b"lock", age=600)
    drop(tmp_path, "gofood/report.csv.part", b"partial", age=600)
    drop(tmp_path, "gofood/.hidden.csv", b"x", age=600)
    drop(tmp_path, "shopee/1/Order.all.20210101_20210131.xlsx.tmp", b"x", age=600)
    assert sensor.tick() == []            # first seen: watched, whatever its mtime says
    assert list(ArrivalCursor.from_json(sensor.cursor).watching) == ["gofood/writing.csv"]
    time.sleep(settle + 0.05)
    with open(path, "ab") as handle:      # still being written (its mtime kept old)
        handle.write(b"10")
    os.utime(path, (time.time() - 86400 * 900,) * 2)
    assert sensor.tick() == []            # changed since: watched again
    finished = time.time()
    path.write_bytes(gobiz(gobiz_row("T1", "2021-09-05T03:00:00Z", "1000")))   # finished
    assert sensor.tick() == []            # changed since the last look: watched again from this one
    time.sleep(QUIET_SECONDS + 0.05)
    second_look = time.time()
    [request] = sensor.tick()             # unchanged, nobody wrote it for QUIET_SECONDS: handed out
    assert [path_of(k) for k in sensor.added] == ["gofood/writing.csv"]
    # before its settle time has passed: the run waits for the rest of it, counted from the look
    # that first saw it finished, not from this one
    [(*_, settled_at)] = Sighting.from_tags(request.tags).files.values()
    assert finished + settle <= settled_at < second_look + settle - QUIET_SECONDS
    assert ArrivalCursor.from_json(sensor.cursor).watching == {}
    assert sensor.tick() == []


def test_a_wrong_clock_never_hides_a_file_from_the_sensor(tmp_path):
    """mtimes in 2100 or 7 hours ahead settle like any other file, on the second tick."""
    settle = 0.2
    sensor = Sensor(tmp_path, settle=settle)
    future = drop(tmp_path, "gofood/future.csv", gobiz(gobiz_row("T1", "2021-09-05T03:00:00Z", "1")))
    os.utime(future, (4_102_444_800, 4_102_444_800))      # 2100-01-01
    ahead = drop(tmp_path, "gofood/ahead.csv", gobiz(gobiz_row("T2", "2021-09-05T03:00:00Z", "1")))
    os.utime(ahead, (time.time() + 7 * 3600,) * 2)
    assert sensor.tick() == []
    time.sleep(settle + 0.05)
    assert len(sensor.tick()) == 1
    assert sorted(path_of(k) for k in sensor.added) == ["gofood/ahead.csv", "gofood/future.csv"]


def test_the_cursor_is_not_moved_by_a_ctime_ahead_of_the_clock():
    """A share with a wrong clock stamps ctimes too: one in 2100 must not hide every later file,
    and a new file stamped years back (a clock behind) is still new."""
    now = 1_700_000_000.0
    second = 1_000_000_000

    def at(path, seconds):
        return LandingFile(path, "gofood", 10, seconds, int(seconds * second))

    future, today = at("gofood/future.csv", 4_102_444_800), at("gofood/today.csv", now - 10)
    taken, cursor = arrivals_since([future, today], ArrivalCursor(), limit=10, now=now)
    assert taken == [today, future]
    assert cursor.ctime_ns == today.ctime_ns and cursor.handled[future.path] == future.ctime_ns
    cursor = ArrivalCursor.from_json(cursor.to_json())
    later, behind = at("gofood/later.csv", now + 5), at("gofood/behind.csv", now - 86400 * 700)
    files = [future, today, later, behind]
    registered = {future.path, today.path}
    taken, cursor = arrivals_since(files, cursor, limit=10, now=now + 6, registered=registered)
    assert taken == [behind, later]
    registered |= {later.path, behind.path}
    assert arrivals_since(files, cursor, limit=10, now=now + 7, registered=registered)[0] == []
    changed = at("gofood/future.csv", 4_102_444_900)      # a new version, still stamped ahead
    assert arrivals_since([changed, today, later, behind], cursor, limit=10, now=now + 8,
                          registered=registered)[0] == [changed]


def test_older_cursors_still_read():
    cursor = ArrivalCursor.from_json('{"ctime_ns": 5, "paths": ["gofood/a.csv"]}')
    assert cursor.ctime_ns == 5 and cursor.handled == {"gofood/a.csv": 5} and cursor.watching == {}


def test_file_copied_in_with_an_old_mtime_is_still_seen(tmp_path):
    sensor = Sensor(tmp_path)
    drop(tmp_path, "gofood/new.csv", gobiz(gobiz_row("T1", "2021-09-05T03:00:00Z", "1")))
    assert len(sensor.tick()) == 1
    drop(tmp_path, "gofood/old.csv", gobiz(gobiz_row("T2", "2021-09-05T03:00:00Z", "1")), age=86400 * 900)
    assert len(sensor.tick()) == 1 and [path_of(k) for k in sensor.added] == ["gofood/old.csv"]


def test_a_thousand_files_in_one_tick(tmp_path, record_property):
    for index in range(1000):
        drop(tmp_path, f"gofood/day_{index:04d}.csv",
             gobiz(gobiz_row(f"T{index}", "2021-09-05T03:00:00Z", str(1000 + index))))
    sensor = Sensor(tmp_path)
    started = time.perf_counter()
    requests = sensor.tick()
    elapsed = time.perf_counter() - started
    record_property("thousand_file_tick_seconds", round(elapsed, 3))
    print(f"\n1000-file sensor tick: {elapsed:.2f}s")
    assert len(requests) == 1 and len(sensor.added) == 1000   # one run takes them all
    assert elapsed < 20, "a tick must stay well inside Dagster's 60 s sensor limit"
    assert len(sensor.cursor) < 100_000   # a time and the paths tied at that time, no file list
    assert sensor.tick() == []


def test_files_in_marts_out_in_one_run_per_event(tmp_path, monkeypatch):
    """Drop files, tick the sensor, run what it asks (load, checks, build, publication in one
    run); then one more file; then a tick and a run with nothing new."""
    for key, value in {"UMKM_LANDING_DIR": tmp_path / "landing", "UMKM_WAREHOUSE_PATH": tmp_path / "warehouse.duckdb",
                       "UMKM_SERVING_DIR": tmp_path / "serving", "UMKM_HASH_SALT": "sensor-salt",
                       "UMKM_SETTLE_SECONDS": "0"}.items():
        monkeypatch.setenv(key, str(value))
    from orchestration.definitions import build_definitions
    defs = build_definitions()
    from tests.test_pipeline_e2e import ENROLL_HEADER
    drop(tmp_path, "enrollment/peserta.csv", csv_bytes([ENROLL_HEADER, [
        "gofood_banner_promo", "3374011203850001", "", "Keripik Tempe", "3374", "", "kuliner", "G-A", "01/03/2021"]]))
    drop(tmp_path, "gofood/day1.csv", gobiz(gobiz_row("T1", "2021-09-05T03:00:00Z", "100.000", merchant="G-A")))

    sensor = Sensor(tmp_path)
    sensor.settings = defs.resources["umkm"]
    job = defs.resolve_job_def("full_refresh")

    checked = []

    def run_what_the_sensor_asks():
        requests = sensor.tick()
        for request in requests:
            result = job.execute_in_process(instance=sensor.instance, tags={"dagster/run_key": request.run_key})
            assert result.success
            checked[:] = [(e.asset_key.path[-1], e.check_name) for e in result.get_asset_check_evaluations()]
        return requests

    assert len(run_what_the_sensor_asks()) == 1

    def banner():
        con = duckdb.connect(str(tmp_path / "serving" / "marts.duckdb"), read_only=True)
        try:
            return con.execute("select n_orders, turnover_idr from mart_program_summary "
                               "where program_id = 'gofood_banner_promo'").fetchone()
        finally:
            con.close()

    assert banner() == (1, Decimal("100000.00"))

    drop(tmp_path, "gofood/day2.csv", gobiz(gobiz_row("T2", "2021-09-06T03:00:00Z", "50.000", merchant="G-A")))
    assert len(run_what_the_sensor_asks()) == 1
    assert [path_of(k) for k in sensor.added] == ["gofood/day2.csv"]
    assert banner() == (2, Decimal("150000.00"))
    # only the order marts were rebuilt, and their blocking checks ran before the publication
    assert {("fct_orders", "gx_error_expectations"), ("mart_program_summary", "gx_error_expectations")} <= set(checked)
    assert ("dim_umkm", "gx_error_expectations") not in checked
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True)
    loaded = con.execute("select landing_path, count(*), count(published_at) from raw.landing_files "
                         "group by all order by 1").fetchall()
    con.close()
    assert loaded == [("enrollment/peserta.csv", 1, 1), ("gofood/day1.csv", 1, 1), ("gofood/day2.csv", 1, 1)]

    # nothing new: no dbt, no publication; the run still succeeds
    assert sensor.tick() == []
    quiet = job.execute_in_process(instance=sensor.instance)
    assert quiet.success
    built = {e.asset_key.path[-1] for e in quiet.get_asset_materialization_events()}
    assert built == {"landing_reconciliation"}, built


@pytest.mark.parametrize("webhook", [False, True])
def test_failure_alert_sink(tmp_path, monkeypatch, webhook):
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from orchestration.alerts import send_alert
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    monkeypatch.setenv("UMKM_ALERT_LOG", str(tmp_path / "alerts.log"))
    if webhook:
        server = HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.handle_request, daemon=True).start()
        monkeypatch.setenv("UMKM_ALERT_WEBHOOK_URL", f"http://127.0.0.1:{server.server_port}/hook")
    else:
        monkeypatch.delenv("UMKM_ALERT_WEBHOOK_URL", raising=False)
    where = send_alert({"assets": ["raw/gofood_transactions"], "file": "gofood/x.csv", "error": "boom"})
    if webhook:
        server.server_close()
        assert received and received[0]["file"] == "gofood/x.csv" and where.startswith("http://127.0.0.1")
    else:
        line = json.loads((tmp_path / "alerts.log").read_text().splitlines()[0])
        assert line["error"] == "boom" and where == str(tmp_path / "alerts.log")


def test_files_loaded_by_umkm_run_are_not_requested_again(tmp_path):
    """`umkm run` (the reconciliation) registers what it loads; the sensor then skips it."""
    from orchestration.assets.ingest import landing_reconciliation
    drop(tmp_path, "gofood/day1.csv", gobiz(gobiz_row("T1", "2021-09-05T03:00:00Z", "1000")))
    sensor = Sensor(tmp_path)
    assert dg.materialize([landing_reconciliation], instance=sensor.instance,
                          resources={"umkm": sensor.settings}).success
    assert sensor.tick() == []
    drop(tmp_path, "gofood/day2.csv", gobiz(gobiz_row("T2", "2021-09-05T03:00:00Z", "1000")))
    assert len(sensor.tick()) == 1 and [path_of(k) for k in sensor.added] == ["gofood/day2.csv"]


def test_a_quiet_file_is_requested_on_its_first_tick_and_settled_by_the_run(tmp_path):
    """A file nobody has written for QUIET_SECONDS is handed out when first listed, with what the
    sensor saw in the run's tags; the run waits only for what is left of the settle time."""
    from ingest.raw_load import connect_warehouse, pending_files

    settle = 0.5
    sensor = Sensor(tmp_path, settle=settle)
    drop(tmp_path, "gofood/day1.csv", gobiz(gobiz_row("T1", "2021-09-05T03:00:00Z", "1000")))
    assert sensor.tick() == []                       # just written (its inode changed now): watched
    time.sleep(QUIET_SECONDS + 0.05)
    drop(tmp_path, "gofood/day2.csv", gobiz(gobiz_row("T2", "2021-09-05T03:00:00Z", "1000")))
    time.sleep(QUIET_SECONDS + 0.05)
    [request] = sensor.tick()                        # day1 settled across ticks, day2 quiet at first sight
    assert sorted(path_of(k) for k in sensor.added) == ["gofood/day1.csv", "gofood/day2.csv"]
    sighted = Sighting.from_tags(request.tags)
    assert sorted(sighted.files) == ["gofood/day1.csv", "gofood/day2.csv"]
    con = connect_warehouse(tmp_path / "warehouse.duckdb")
    try:
        started = time.perf_counter()
        assert [f.path for f in pending_files(con, tmp_path / "landing", 60, sighted=sighted)] == [
            "gofood/day1.csv", "gofood/day2.csv"]
        assert time.perf_counter() - started < 5     # not the run's own 60 s
    finally:
        con.close()
    assert sensor.tick() == []
