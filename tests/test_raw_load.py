"""The raw loader: ledger, idempotency, duplicates, corrected versions, quarantine, atomicity."""

import os

import duckdb
import pytest

from ingest import parse_ahead, raw_load, raw_writer
from ingest.isolation import ParseLimits
from ingest.raw_load import load_new_files
from tests.filemakers import csv_bytes
from tests.test_parsers import GOBIZ_HEADER, gobiz_row

SALT = "test-salt"


def write(landing, relative, data, mtime):
    path = landing / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (mtime, mtime))
    return path


def gobiz_file(*rows):
    return csv_bytes([GOBIZ_HEADER, *rows], bom=True)


@pytest.fixture
def zone(tmp_path):
    landing, warehouse = tmp_path / "landing", tmp_path / "wh.duckdb"
    landing.mkdir()

    def load(**kwargs):
        return load_new_files(warehouse, landing, SALT, **kwargs)

    def query(sql):
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()

    return landing, load, query


def test_load_then_same_again_changes_nothing(zone):
    landing, load, query = zone
    write(landing, "gofood/day1.csv", gobiz_file(gobiz_row("F-1", "2021-09-05T03:00:00Z", "10.000"),
                                                 gobiz_row("F-2", "2021-09-05T03:00:00Z", "-1")), 1_600_000_000)
    first = load()
    assert [(o.status, o.rows_read, o.rows_loaded, o.rows_rejected) for o in first] == [("loaded", 2, 1, 1)]
    before = query("select * from raw.gofood_transactions")
    assert load() == []   # nothing pending: the file is not even read again
    assert query("select * from raw.gofood_transactions") == before
    assert query("select count(*) from raw.rejected_rows") == [(1,)]
    assert query("select status, rows_read, rows_loaded, rows_rejected from raw.landing_files") == [
        ("loaded", 2, 1, 1)]


def test_corrected_version_replaces_rows(zone):
    landing, load, query = zone
    write(landing, "gofood/day1.csv", gobiz_file(gobiz_row("F-1", "2021-09-05T03:00:00Z", "10.000"),
                                                 gobiz_row("F-2", "2021-09-05T03:00:00Z", "20.000")), 1_600_000_000)
    load()
    write(landing, "gofood/day1.csv", gobiz_file(gobiz_row("F-1", "2021-09-05T03:00:00Z", "11.000")), 1_600_000_100)
    [outcome] = load()
    assert outcome.status == "loaded" and outcome.replaced is not None
    assert query("select transaction_id, amount from raw.gofood_transactions") == [("F-1", 11000)]
    assert sorted(query("select status from raw.landing_files")) == [("loaded",), ("superseded",)]


def test_same_bytes_under_another_name_is_a_duplicate(zone):
    landing, load, query = zone
    data = gobiz_file(gobiz_row("F-1", "2021-09-05T03:00:00Z", "10.000"))
    write(landing, "gofood/day1.csv", data, 1_600_000_000)
    write(landing, "gofood/day1 (1).csv", data, 1_600_000_100)
    outcomes = load()
    assert [o.status for o in outcomes] == ["loaded", "duplicate"]
    assert "day1.csv" in outcomes[1].reason
    assert query("select count(*) from raw.gofood_transactions") == [(1,)]


def test_broken_files_are_quarantined_and_others_load(zone):
    landing, load, query = zone
    write(landing, "gofood/empty.csv", b"", 1_600_000_000)
    write(landing, "gofood/garbage.csv", bytes(range(256)) * 10, 1_600_000_001)
    write(landing, "shopee/1/Order.all.20210101_20210131.xlsx", b"PK\x03\x04truncated", 1_600_000_002)
    write(landing, "gofood/no_amount.csv", csv_bytes([[c for c in GOBIZ_HEADER if c != "Amount"]]), 1_600_000_003)
    write(landing, "misc/notes.csv", b"a,b\n1,2\n", 1_600_000_004)
    write(landing, "gofood/good.csv", gobiz_file(gobiz_row("F-1", "2021-09-05T03:00:00Z", "10.000")), 1_600_000_005)
    write(landing, "gofood/~$lock.csv", b"x", 1_600_000_006)           # temp names are ignored
    write(landing, "gofood/half.csv.part", b"x", 1_600_000_007)
    outcomes = {o.path: o for o in load()}
    assert set(outcomes) == {"gofood/empty.csv", "gofood/garbage.csv", "gofood/no_amount.csv",
                             "shopee/1/Order.all.20210101_20210131.xlsx", "misc/notes.csv", "gofood/good.csv"}
    assert outcomes["gofood/good.csv"].status == "loaded"
    reasons = {path: o.reason for path, o in outcomes.items() if o.status == "quarantined"}
    assert "empty" in reasons["gofood/empty.csv"]
    assert "NUL" in reasons["gofood/garbage.csv"]
    assert "xlsx" in reasons["shopee/1/Order.all.20210101_20210131.xlsx"]
    assert "Amount" in reasons["gofood/no_amount.csv"]
    assert "source folder" in reasons["misc/notes.csv"]
    assert query("select count(*) from raw.landing_files where status = 'quarantined'") == [(5,)]


def test_forced_reload_of_the_same_version_is_idempotent(zone):
    from ingest.raw_load import load_files
    landing, load, query = zone
    write(landing, "gofood/day1.csv", gobiz_file(gobiz_row("F-1", "2021-09-05T03:00:00Z", "10.000"),
                                                 gobiz_row("F-2", "2021-09-05T03:00:00Z", "-1")), 1_600_000_000)
    load()
    before = query("select * exclude (loaded_at) from raw.gofood_transactions")
    [outcome] = load_files(landing.parent / "wh.duckdb", landing, ["gofood/day1.csv"], SALT, force=True)
    assert outcome.status == "loaded"
    assert query("select * exclude (loaded_at) from raw.gofood_transactions") == before
    assert query("select count(*) from raw.rejected_rows") == [(1,)]
    assert query("select status from raw.landing_files") == [("loaded",)]


def test_touched_file_with_same_bytes_is_not_pending(zone):
    landing, load, query = zone
    path = write(landing, "gofood/day1.csv", gobiz_file(gobiz_row("F-1", "2021-09-05T03:00:00Z", "1")), 1_600_000_000)
    load()
    os.utime(path, (1_600_000_500, 1_600_000_500))   # copied again with a new mtime, same bytes
    assert load() == []


def test_crash_mid_file_leaves_nothing_half_loaded(zone, monkeypatch):
    landing, load, query = zone
    write(landing, "gofood/day1.csv", gobiz_file(gobiz_row("F-1", "2021-09-05T03:00:00Z", "10.000")), 1_600_000_000)
    original = raw_writer._insert_rows

    def insert_then_fail(con, *args):
        original(con, *args)
        raise RuntimeError("power cut")

    monkeypatch.setattr(raw_writer, "_insert_rows", insert_then_fail)
    with pytest.raises(RuntimeError):
        load()
    assert query("select count(*) from raw.gofood_transactions") == [(0,)]
    assert query("select count(*) from raw.landing_files") == [(0,)]
    monkeypatch.setattr(raw_writer, "_insert_rows", original)
    assert [o.status for o in load()] == ["loaded"]
    assert query("select count(*) from raw.gofood_transactions") == [(1,)]


def test_a_failure_takes_back_only_the_uncommitted_batches(zone, monkeypatch):
    """Batches share a transaction until COMMIT_BYTES of files are in it. A failure in a later batch
    takes back every file of its transaction, none committed before it, and `on_outcome` heard of
    the committed files only."""
    landing, load, query = zone
    for number in range(1, 6):
        write(landing, f"gofood/day{number}.csv",
              gobiz_file(gobiz_row(f"F-{number}", "2021-09-05T03:00:00Z", "10.000")), 1_600_000_000 + number)
    size = (landing / "gofood/day1.csv").stat().st_size
    monkeypatch.setattr(raw_load, "BATCH_FILES", 1)
    monkeypatch.setattr(raw_writer, "COMMIT_BYTES", 2 * size)   # day1+day2, day3+day4, day5
    original, inserts = raw_writer._insert_rows, []

    def fail_on_day4(con, table, incoming):
        if table == "gofood_transactions" and "F-4" in incoming.column("transaction_id").to_pylist():
            raise RuntimeError("power cut")
        original(con, table, incoming)

    monkeypatch.setattr(raw_writer, "_insert_rows", fail_on_day4)
    with pytest.raises(RuntimeError):
        load(on_outcome=lambda outcome: inserts.append(outcome.path))
    assert inserts == ["gofood/day1.csv", "gofood/day2.csv"]
    assert query("select transaction_id from raw.gofood_transactions order by 1") == [("F-1",), ("F-2",)]
    assert query("select landing_path from raw.landing_files order by 1") == [("gofood/day1.csv",),
                                                                              ("gofood/day2.csv",)]
    monkeypatch.setattr(raw_writer, "_insert_rows", original)
    assert [o.path for o in load()] == ["gofood/day3.csv", "gofood/day4.csv", "gofood/day5.csv"]
    assert query("select count(*) from raw.gofood_transactions") == [(5,)]


def test_umkm_key_is_salted_hash_not_nik(zone):
    from tests.test_parsers import ENROLL_HEADER, NIK_1
    landing, load, query = zone
    write(landing, "enrollment/a.csv", csv_bytes([ENROLL_HEADER, ["goshop", NIK_1, "", "A", "3374", "",
                                                                  "kuliner", "G1", "05/03/2021"]]), 1_600_000_000)
    load()
    [(key, nik)] = query("select umkm_key, nik from raw.enrollments")
    assert nik == NIK_1 and len(key) == 32 and NIK_1 not in key
    from ingest.identifiers import umkm_key
    assert key == umkm_key(NIK_1, None, SALT) != umkm_key(NIK_1, None, "other-salt")


def test_batches_give_the_same_ledger_and_rows_as_one_batch(tmp_path, monkeypatch):
    """The loader reads files in batches and asks the ledger once per batch; a duplicate, a
    corrected version and a quarantined file across batch boundaries load as with one batch."""
    def land(landing):
        write(landing, "gofood/a.csv", gobiz_file(gobiz_row("F-1", "2021-09-05T03:00:00Z", "10.000")), 1_600_000_000)
        write(landing, "gofood/b.csv", gobiz_file(gobiz_row("F-2", "2021-09-05T03:00:00Z", "-1")), 1_600_000_001)
        write(landing, "gofood/a copy.csv", gobiz_file(gobiz_row("F-1", "2021-09-05T03:00:00Z", "10.000")),
              1_600_000_002)
        write(landing, "gofood/empty.csv", b"", 1_600_000_003)
        write(landing, "gofood/c.csv", gobiz_file(gobiz_row("F-3", "2021-09-05T03:00:00Z", "5")), 1_600_000_004)

    def run(batch_files):
        monkeypatch.setattr(raw_load, "BATCH_FILES", batch_files)
        root = tmp_path / f"batch{batch_files}"
        landing, warehouse = root / "landing", root / "wh.duckdb"
        land(landing)
        first = load_new_files(warehouse, landing, SALT)
        write(landing, "gofood/a.csv", gobiz_file(gobiz_row("F-1", "2021-09-05T03:00:00Z", "11.000")), 1_600_000_100)
        second = load_new_files(warehouse, landing, SALT)
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            tables = [con.execute(f"select * {exclude} from raw.{table} order by all").fetchall()
                      for table, exclude in (("landing_files", "exclude (loaded_at, first_seen)"),
                                             ("gofood_transactions", "exclude (loaded_at)"), ("rejected_rows", ""))]
        finally:
            con.close()
        return [(o.path, o.status, o.reason, o.rows_loaded) for o in first + second], tables

    outcomes, tables = run(1000)
    assert [status for _, status, _, _ in outcomes] == ["loaded", "loaded", "duplicate", "quarantined", "loaded",
                                                        "loaded"]
    assert run(2) == (outcomes, tables) and run(1) == (outcomes, tables)
    monkeypatch.setattr(parse_ahead, "POOL_PER_CORE_BYTES", 0)   # now a parse worker per core
    assert parse_ahead.parse_workers(1, ParseLimits()).workers == (os.cpu_count() or 1)
    assert run(3) == (outcomes, tables)


def test_a_file_deleted_between_listing_and_reading_is_recorded_as_vanished(zone, monkeypatch):
    landing, load, query = zone
    write(landing, "gofood/a.csv", gobiz_file(gobiz_row("F-1", "2021-09-05T03:00:00Z", "10.000")), 1_600_000_000)
    write(landing, "gofood/gone.csv", gobiz_file(gobiz_row("F-2", "2021-09-05T03:00:00Z", "10.000")), 1_600_000_001)
    real_read = raw_load.read_landing_bytes

    def read_after_delete(landing_dir, path):
        if path == "gofood/gone.csv":
            (landing_dir / path).unlink()   # the listing saw it; the read does not
        return real_read(landing_dir, path)

    monkeypatch.setattr(raw_load, "read_landing_bytes", read_after_delete)
    outcomes = {o.path: o for o in load()}
    assert outcomes["gofood/a.csv"].status == "loaded"
    assert outcomes["gofood/gone.csv"].status == "quarantined"
    assert outcomes["gofood/gone.csv"].reason.startswith("vanished before it could be read")
