"""Settled means unchanged, not old (issue 16): the loader watches a file's size and times for
UMKM_SETTLE_SECONDS itself; a clock far off in either direction never hides a file, and an mtime
in the future is noted."""

import os
import threading
import time

import duckdb
import pytest

from ingest.landing import LandingFile, future_mtime_note, scan_landing, settle, stat_landing_file
from ingest.raw_load import connect_warehouse, load_new_files, pending_files
from tests.filemakers import csv_bytes
from tests.test_parsers import gobiz_row
from tests.test_raw_load import gobiz_file, write

SALT = "settle-salt"
YEAR_2100 = 4_102_444_800
YEARS_AGO = 1_500_000_000          # July 2017
SETTLE = 0.3


@pytest.fixture
def zone(tmp_path):
    landing, warehouse = tmp_path / "landing", tmp_path / "wh.duckdb"
    landing.mkdir()

    def load(settle_seconds=SETTLE):
        return load_new_files(warehouse, landing, SALT, settle_seconds=settle_seconds)

    def query(sql):
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()

    def pending(**kwargs):
        con = connect_warehouse(warehouse)
        try:
            return pending_files(con, landing, **kwargs)
        finally:
            con.close()

    return landing, load, query, pending


@pytest.mark.parametrize("mtime, ahead", [(YEAR_2100, "years"), (7 * 3600, "hours")],
                         ids=["year-2100", "7-hours-ahead"])
def test_a_file_stamped_in_the_future_loads_on_the_first_run(zone, mtime, ahead):
    landing, load, query, pending = zone
    if mtime < YEARS_AGO:
        mtime += time.time()
    write(landing, "gofood/future.csv", gobiz_file(gobiz_row("F-1", "2021-09-05T03:00:00Z", "10.000")), mtime)
    [listed] = pending(settle_seconds=SETTLE)
    assert ahead in listed.clock_note and "ahead of the loader's clock" in listed.clock_note
    note = stat_landing_file(landing, "gofood/future.csv").clock_note   # what the loader plans with
    assert note is not None and ahead in note
    if mtime == YEAR_2100:
        assert "2100-01-01 00:00:00 UTC" in note
    started = time.perf_counter()
    assert [(o.path, o.status) for o in load()] == [("gofood/future.csv", "loaded")]
    assert time.perf_counter() - started < 30
    assert query("select count(*) from raw.gofood_transactions") == [(1,)]
    assert load() == []   # its ledger row matches it: not pending again, not even read


def test_the_ledger_notes_a_future_mtime(zone):
    landing, load, query, _ = zone
    write(landing, "gofood/future.csv", gobiz_file(gobiz_row("F-1", "2021-09-05T03:00:00Z", "10.000")), YEAR_2100)
    write(landing, "gofood/today.csv", gobiz_file(gobiz_row("F-2", "2021-09-05T03:00:00Z", "10.000")), time.time())
    load()
    reasons = dict(query("select landing_path, reason from raw.landing_files"))
    assert "ahead of the loader's clock" in reasons["gofood/future.csv"]
    assert reasons["gofood/today.csv"] is None
    # the landing order is not pushed to 2100: a later correction of the file still wins
    assert query("select year(file_landed_at) from raw.landing_files where landing_path = 'gofood/future.csv'") \
        < [(2100,)]


def test_future_mtime_note_only_beyond_a_small_skew():
    now = 1_700_000_000.0
    assert future_mtime_note(now + 30, now) is None          # a small skew is no news
    assert future_mtime_note(now - 86400 * 3650, now) is None   # an old mtime is ordinary (copies keep theirs)
    assert "7.0 hours ahead" in future_mtime_note(now + 7 * 3600, now)
    assert "s after 1970" in future_mtime_note(1e20, now)   # beyond what a date can say: still a note


class Writer:
    """Appends a row every 50 ms to a file, putting its mtime back to years ago each time
    (a copy that keeps the source's mtime, or a share whose clock is years behind)."""

    def __init__(self, path):
        self.path, self.rows, self.stop = path, 0, threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop.is_set():
            with open(self.path, "ab") as handle:
                handle.write(csv_bytes([gobiz_row(f"G-{self.rows}", "2021-09-05T03:00:00Z", "1.000")]))
            self.rows += 1
            os.utime(self.path, (YEARS_AGO, YEARS_AGO))
            time.sleep(0.05)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def test_an_old_file_still_growing_waits_until_it_stops_changing(zone):
    landing, load, query, pending = zone
    path = write(landing, "gofood/growing.csv", gobiz_file(), YEARS_AGO)
    with Writer(path) as writer:
        time.sleep(0.1)
        assert load() == []                      # its mtime is years old, but it is changing
        assert pending(settle_seconds=SETTLE) == []
        assert query("select count(*) from raw.landing_files") == [(0,)]
    assert os.stat(path).st_mtime == YEARS_AGO
    [outcome] = load()                           # stopped changing: settled, loaded whole
    assert (outcome.status, outcome.rows_loaded) == ("loaded", writer.rows)
    assert stat_landing_file(landing, "gofood/growing.csv").clock_note is None


def test_a_file_that_changed_during_the_watch_is_left_for_the_next_run(zone, caplog):
    landing, _, _, _ = zone
    path = write(landing, "gofood/a.csv", gobiz_file(gobiz_row("F-1", "2021-09-05T03:00:00Z", "1")), YEARS_AGO)
    write(landing, "gofood/b.csv", gobiz_file(gobiz_row("F-2", "2021-09-05T03:00:00Z", "1")), YEARS_AGO)
    files = scan_landing(landing)
    timer = threading.Timer(SETTLE / 3, lambda: path.write_bytes(path.read_bytes() + b"\r\n"))
    timer.start()
    started = time.perf_counter()
    settled = settle(landing, files, SETTLE)
    elapsed = time.perf_counter() - started
    timer.join()
    assert [f.path for f in settled] == ["gofood/b.csv"]
    assert SETTLE <= elapsed < SETTLE + 2          # one wait for all the files
    assert "gofood/a.csv is still being written" in caplog.text
    # next time, it is watched afresh from the change it was last seen with
    assert sorted(f.path for f in settle(landing, scan_landing(landing), SETTLE)) == ["gofood/a.csv", "gofood/b.csv"]


def test_no_wait_when_nothing_is_pending_or_settle_is_zero(zone):
    landing, load, query, pending = zone
    write(landing, "gofood/day1.csv", gobiz_file(gobiz_row("F-1", "2021-09-05T03:00:00Z", "1")), time.time())
    started = time.perf_counter()
    assert [f.path for f in pending(settle_seconds=0)] == ["gofood/day1.csv"]   # 0: no waiting
    assert [o.status for o in load(settle_seconds=0)] == ["loaded"]
    assert time.perf_counter() - started < 20
    started = time.perf_counter()
    assert pending(settle_seconds=60) == [] and load(settle_seconds=60) == []   # nothing new: no waiting
    assert time.perf_counter() - started < 5


def test_a_checked_file_waits_only_for_what_is_left(zone):
    """`umkm run` looks for work (no wait), then loads in the same process: the load counts the
    time since the file was first seen, not a fresh settle time."""
    landing, load, _, pending = zone
    write(landing, "gofood/day1.csv", gobiz_file(gobiz_row("F-1", "2021-09-05T03:00:00Z", "1")), time.time())
    settle_seconds = 3.0
    started = time.perf_counter()
    assert [f.path for f in pending(settle_seconds=settle_seconds, wait=False)] == ["gofood/day1.csv"]
    assert time.perf_counter() - started < 2
    time.sleep(settle_seconds)
    started = time.perf_counter()
    assert [f.path for f in pending(settle_seconds=settle_seconds)] == ["gofood/day1.csv"]
    assert time.perf_counter() - started < settle_seconds / 2


def test_files_the_sensor_saw_wait_only_until_their_settle_time(zone):
    """A run the sensor requested loads the files it saw once their settle time since that look
    has passed, if unchanged; a file written since, or one it did not see, settles in the run."""
    from ingest.landing import stat_landing_file
    from ingest.sighting import Sighting

    landing, _, _, pending = zone
    write(landing, "gofood/seen.csv", gobiz_file(gobiz_row("F-1", "2021-09-05T03:00:00Z", "1")), YEARS_AGO)
    listed = stat_landing_file(landing, "gofood/seen.csv")
    sighted = Sighting.of([listed], {"gofood/seen.csv": time.time() + SETTLE})
    assert Sighting.from_tags(sighted.to_tags()) == sighted          # through the run's tags
    started = time.perf_counter()
    assert [f.path for f in pending(settle_seconds=60, sighted=sighted)] == ["gofood/seen.csv"]
    assert SETTLE * 0.9 <= time.perf_counter() - started < 5          # its settle time, not 60 s
    written = write(landing, "gofood/seen.csv", gobiz_file(gobiz_row("F-1", "2021-09-05T03:00:00Z", "2")),
                    YEARS_AGO)                                        # written again since the look
    write(landing, "gofood/other.csv", gobiz_file(gobiz_row("F-2", "2021-09-05T03:00:00Z", "1")), YEARS_AGO)
    started = time.perf_counter()
    assert [f.path for f in pending(settle_seconds=SETTLE, sighted=sighted)] == [
        "gofood/other.csv", "gofood/seen.csv"]
    assert time.perf_counter() - started >= SETTLE                    # both watched by the run itself
    assert not sighted.settled(stat_landing_file(landing, "gofood/seen.csv"))
    assert written.exists()


def test_links_and_pipes_are_listed_with_their_problem_without_waiting(zone):
    landing, _, _, pending = zone
    (landing / "gofood").mkdir()
    os.symlink("/etc/hostname", landing / "gofood" / "link.csv")
    os.mkfifo(landing / "gofood" / "pipe.csv")
    write(landing, "gofood/day1.csv.part", b"partial", YEARS_AGO)   # temporary: never listed
    started = time.perf_counter()
    listed = pending(settle_seconds=60)
    assert time.perf_counter() - started < 5
    assert sorted((f.path, f.problem is not None) for f in listed) == [
        ("gofood/link.csv", True), ("gofood/pipe.csv", True)]


def test_landing_files_compare_without_their_clock_note():
    plain = LandingFile("gofood/a.csv", "gofood", 1, 2.0, 3)
    assert plain == LandingFile("gofood/a.csv", "gofood", 1, 2.0, 3, clock_note="ahead")
