"""PostgreSQL serving (marts-contract section 4) on a throwaway server (tests/pg_server.py).

- `umkm run` with UMKM_POSTGRES_URL on a closed port: the DuckDB serving copy is published, the
  run reports the failed PostgreSQL step (exit 1); the next run with PostgreSQL up catches up.
- Every published table equals the DuckDB serving copy row for row, exact decimals and types.
- A reader querying in a loop while publications alternate sees one whole publication or the
  other: no error, no empty table, no mix.
- The read-only role reads and cannot write.
"""

from __future__ import annotations

import shutil
import threading
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import duckdb
import psycopg
import pytest

from orchestration.postgres_serving import (PostgresPublishError, PostgresUnavailable, publish_to_postgres,
                                            published_version)
from orchestration.postgres_source import pg_type
from orchestration.serving import publish_marts
from tests.pg_server import ADMIN_PASSWORD, find_bin_dir, free_port, remove, start_server
from tests.runs import umkm_run

READER, READER_PASSWORD = "umkm_reader", "bi-reader-secret"


@pytest.fixture(scope="module")
def pg():
    # `make install` (which `make test` runs) installs Debian's postgresql: its absence is a broken set-up
    assert find_bin_dir() is not None, "PostgreSQL binaries (initdb, pg_ctl) missing: run `make install`"
    server = start_server()
    try:
        yield server
    finally:
        remove(server)


def publish(serving: Path, url: str, schema: str = "marts"):
    return publish_to_postgres(serving, url, schema, READER, READER_PASSWORD)


# ---------------------------------------------------------------- comparing PostgreSQL with the serving copy

def duckdb_tables(serving: Path) -> dict[str, dict]:
    """{table: {"columns": [(name, PostgreSQL type)], "rows": sorted reprs}} of marts.duckdb."""
    con = duckdb.connect(str(serving / "marts.duckdb"), read_only=True)
    try:
        tables = {}
        for (table,) in con.execute("select table_name from information_schema.tables order by 1").fetchall():
            columns = con.execute("select column_name, data_type from information_schema.columns "
                                  "where table_name = ? order by ordinal_position", [table]).fetchall()
            tables[table] = {"columns": [(c, pg_type(k)) for c, k in columns],
                             "rows": sorted(map(normalised, con.execute(f'select * from "{table}"').fetchall()))}
        return tables
    finally:
        con.close()


def postgres_tables(url: str, schema: str = "marts") -> dict[str, dict]:
    with psycopg.connect(url, autocommit=True) as conn:
        tables = {}
        for (table,) in conn.execute("select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                                     "where n.nspname = %s and c.relkind in ('r', 'p') order by 1", [schema]):
            columns = conn.execute("select a.attname, format_type(a.atttypid, a.atttypmod) from pg_attribute a "
                                   "where a.attrelid = %s::regclass and a.attnum > 0 and not a.attisdropped "
                                   "order by a.attnum", [f'"{schema}"."{table}"']).fetchall()
            rows = conn.execute(f'select * from "{schema}"."{table}"').fetchall()
            tables[table] = {"columns": columns, "rows": sorted(map(normalised, rows))}
        return tables


def normalised(row: tuple) -> str:
    """A row as text both drivers agree on: instants in UTC, whole numbers as digits."""
    def value(v):
        if isinstance(v, datetime) and v.tzinfo is not None:
            return v.astimezone(timezone.utc)
        if isinstance(v, Decimal) and v == v.to_integral_value() and v.as_tuple().exponent == 0:
            return int(v)
        return v
    return repr(tuple(value(v) for v in row))


def assert_same_as_serving(url: str, serving: Path, schema: str = "marts") -> dict[str, dict]:
    expected, published = duckdb_tables(serving), postgres_tables(url, schema)
    assert sorted(published) == sorted(expected)
    for table in expected:
        assert published[table]["columns"] == expected[table]["columns"], table
        assert published[table]["rows"] == expected[table]["rows"], f"{table} differs from the serving copy"
    return published


# ---------------------------------------------------------------- umkm run: PostgreSQL down, then up

@pytest.fixture(scope="module")
def run_down(tmp_path_factory):
    """`umkm run` on the hand-built zone of the e2e test, PostgreSQL on a closed port."""
    from tests.test_pipeline_e2e import build_landing

    root = tmp_path_factory.mktemp("pg_run")
    build_landing(root / "landing")
    closed = f"postgresql://umkm_admin:{ADMIN_PASSWORD}@127.0.0.1:{free_port()}/umkm"
    result = umkm_run(root, UMKM_POSTGRES_URL=closed)
    snapshot = root.parent / f"{root.name}_serving_after_first_run"
    if (root / "serving").exists():
        shutil.copytree(root / "serving", snapshot)
    return root, result, snapshot


def test_run_with_postgres_down_publishes_the_duckdb_copy_and_reports_the_failed_step(run_down):
    root, result, snapshot = run_down
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-3000:]
    [failed] = [line for line in result.stderr.splitlines() if line.startswith("FAILED: step")]
    assert failed.startswith("FAILED: step postgres_marts: ")       # only the PostgreSQL step failed
    assert "PostgreSQL publication failed: cannot connect to postgresql://umkm_admin@127.0.0.1:" in failed
    assert "Connection refused" in failed
    assert "The DuckDB serving copy is published" in result.stderr
    assert ADMIN_PASSWORD not in output
    con = duckdb.connect(str(snapshot / "marts.duckdb"), read_only=True)
    try:
        summary = con.execute("select program_id, turnover_idr from mart_program_summary order by 1").fetchall()
    finally:
        con.close()
    assert ("goshop", Decimal("1250000.00")) in summary


def test_a_run_with_nothing_new_catches_postgres_up(run_down, pg):
    """Nothing new to build: no Dagster run, but PostgreSQL, down at the last publication, is given
    the serving copy now; while it is still down the run says so and exits 1."""
    root, _, _ = run_down
    still_down = umkm_run(root, UMKM_POSTGRES_URL=pg.url().rsplit(":", 1)[0] + f":{free_port()}/umkm")
    assert still_down.returncode == 1 and "nothing new" in still_down.stdout, still_down.stdout[-2000:]
    assert "FAILED: PostgreSQL is behind the serving copy and could not catch up" in still_down.stderr
    assert ADMIN_PASSWORD not in still_down.stdout + still_down.stderr
    caught_up = umkm_run(root, UMKM_POSTGRES_URL=pg.url(), UMKM_POSTGRES_READER=READER,
                         UMKM_POSTGRES_READER_PASSWORD=READER_PASSWORD)
    assert caught_up.returncode == 0, (caught_up.stdout + caught_up.stderr)[-3000:]
    assert "nothing new" in caught_up.stdout and "PostgreSQL held serving version none: caught up" in caught_up.stdout
    assert_same_as_serving(pg.url(), root / "serving")
    again = umkm_run(root, UMKM_POSTGRES_URL=pg.url())
    assert again.returncode == 0 and "caught up" not in again.stdout      # current: nothing to copy


def test_next_run_with_postgres_up_publishes_everything(run_down, pg):
    from tests.filemakers import csv_bytes
    from tests.test_parsers import GOBIZ_HEADER, gobiz_row
    from tests.test_pipeline_e2e import put

    root, _, _ = run_down
    put(root / "landing", "gofood/gobiz_2021-10.csv",
        csv_bytes([GOBIZ_HEADER, gobiz_row("T40", "2021-10-15T03:00:00Z", "123.450", merchant="G-A")], bom=True),
        1_630_100_000)
    result = umkm_run(root, UMKM_POSTGRES_URL=pg.url(), UMKM_POSTGRES_READER=READER,
                      UMKM_POSTGRES_READER_PASSWORD=READER_PASSWORD)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    published = assert_same_as_serving(pg.url(), root / "serving")
    assert any("T40" in row for row in published["fct_orders"]["rows"])
    assert published_version(pg.url()) is not None


# ---------------------------------------------------------------- publications, readers, the reader role

@pytest.fixture(scope="module")
def warehouse(run_down, tmp_path_factory) -> Path:
    """A copy of the run's warehouse, whose marts the tests change and publish themselves."""
    root, _, _ = run_down
    copy = tmp_path_factory.mktemp("pg_warehouse") / "warehouse.duckdb"
    shutil.copy2(root / "warehouse.duckdb", copy)
    return copy


def test_every_table_equals_the_serving_copy(pg, run_down):
    _, _, snapshot = run_down
    first = publish(snapshot, pg.url(), schema="marts_first")
    published = assert_same_as_serving(pg.url(), snapshot, schema="marts_first")
    assert ("amount_idr", "numeric(18,2)") in published["fct_orders"]["columns"]
    assert first.months_kept == 0 and first.rows_copied == sum(first.counts.values())
    again = publish(snapshot, pg.url(), schema="marts_first")      # nothing changed: nothing copied
    assert again.months_copied == [] and again.months_kept == len(first.months_copied)
    assert again.rows_copied == 0 and sorted(again.tables_kept) == sorted(set(first.counts) - {"fct_orders"})
    assert_same_as_serving(pg.url(), snapshot, schema="marts_first")


def fingerprint_query(tables: list[str]) -> str:
    """One statement over every table (one snapshot): rows and a hash of their text, per table."""
    return "select t, n, s from ({}) x order by t".format(" union all ".join(
        f"select '{t}' as t, count(*) as n, coalesce(sum(hashtext(r::text)::bigint), 0) as s from marts.\"{t}\" r"
        for t in tables))


def change(warehouse: Path, sign: str) -> None:
    """Publication B differs from A in one month of fct_orders (the GoBiz September report) and in
    two small marts; `-` takes it back to A."""
    region_type = "region_type || 'x'" if sign == "+" else "rtrim(region_type, 'x')"
    con = duckdb.connect(str(warehouse))
    try:
        con.execute(f"update marts.fct_orders set amount_idr = amount_idr {sign} 1000 "
                    "where landing_path = 'gofood/gobiz_2021-09.csv'")
        con.execute(f"update marts.mart_program_summary set n_orders = n_orders {sign} 7")
        con.execute(f"update marts.dim_region set region_type = {region_type}")
    finally:
        con.close()


def test_a_reader_sees_one_whole_publication_or_the_other(pg, warehouse, tmp_path):
    url, serving = pg.url(), tmp_path / "serving"
    changed = ["gofood/gobiz_2021-09.csv"]
    publish_marts(warehouse, serving)
    full = publish(serving, url)
    assert full.months_kept == 0
    tables = sorted(full.counts)
    query = fingerprint_query(tables)
    with psycopg.connect(url, autocommit=True) as conn:
        a = conn.execute(query).fetchall()
    # every mart holds rows, but the PPKM one: no order of this zone falls in or before a PPKM period
    assert {name for name, n, _ in a if n == 0} == {"mart_restriction_periods"}
    change(warehouse, "+")
    written = publish_marts(warehouse, serving, changed).months_written     # the report's months only
    assert 0 < len(written) < len(full.months_copied)
    incremental = publish(serving, url)
    assert incremental.months_copied == written
    assert incremental.months_kept == len(full.months_copied) - len(written)
    assert sorted(incremental.tables_kept) == sorted(set(tables) - {"fct_orders", "mart_program_summary", "dim_region"})
    assert_same_as_serving(url, serving)
    with psycopg.connect(url, autocommit=True) as conn:
        b = conn.execute(query).fetchall()
    assert a != b

    seen, errors, stop = [], [], threading.Event()

    def read(query: str) -> None:
        try:
            with psycopg.connect(pg.url(READER, READER_PASSWORD), autocommit=True) as conn:
                while not stop.is_set():
                    seen.append(conn.execute(query).fetchall())
        except Exception as error:   # noqa: BLE001 - any error a BI tool would get
            errors.append(repr(error))

    # two readers taking the tables in opposite orders (what a deadlock with the swap needs)
    readers = [threading.Thread(target=read, args=(q,)) for q in (query, fingerprint_query(tables[::-1]))]
    for reader in readers:
        reader.start()
    try:
        for sign in "-+-+-":
            change(warehouse, sign)
            publish_marts(warehouse, serving, changed)
            publish(serving, url)
            time.sleep(0.2)
    finally:
        stop.set()
        for reader in readers:
            reader.join(timeout=60)
    assert not errors
    assert len(seen) > 10
    mixed = [s for s in seen if s not in (a, b)]
    assert not mixed, f"{len(mixed)} of {len(seen)} reads saw neither publication, e.g. {mixed[0]}"
    assert a in seen and b in seen
    assert_same_as_serving(url, serving)                 # back to A, by incremental publications
    with psycopg.connect(url, autocommit=True) as conn:
        assert conn.execute(query).fetchall() == a
        partitions = conn.execute("select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                                  "where n.nspname = 'marts_partitions'").fetchone()[0]
    assert partitions == len(full.months_copied)         # the replaced months' partitions went


def test_the_reader_role_reads_and_cannot_write(pg, run_down):
    _, _, snapshot = run_down
    publish(snapshot, pg.url())
    with psycopg.connect(pg.url(READER, READER_PASSWORD), autocommit=True) as conn:
        assert conn.execute("select count(*) from marts.fct_orders").fetchone()[0] > 0
        conn.execute("set default_transaction_read_only = off")      # not the only protection
        for statement in ["insert into marts.dim_region values ('9999', 'x', 'Kota')",
                          "update marts.mart_program_summary set n_orders = 0",
                          "delete from marts.fct_orders",
                          "truncate marts.dim_region",
                          "drop table marts.dim_region",
                          "create table marts.mine (x int)",
                          "create table public.mine (x int)",
                          "alter schema marts rename to gone",
                          "select * from marts_partitions.\"" + next(iter(partition_names(pg))) + "\""]:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
    with psycopg.connect(pg.url(READER, READER_PASSWORD)) as conn:
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("create temporary table t (x int)")


def partition_names(pg) -> list[str]:
    with psycopg.connect(pg.url(), autocommit=True) as conn:
        return [r[0] for r in conn.execute("select c.relname from pg_class c join pg_namespace n "
                                           "on n.oid = c.relnamespace where n.nspname = 'marts_partitions'")]


# ---------------------------------------------------------------- types, bad input

def test_types_and_values_arrive_exactly(pg, tmp_path):
    """Every DuckDB type the marts may use, with the values CSV gets wrong most easily."""
    serving = tmp_path / "serving"
    serving.mkdir()
    con = duckdb.connect(str(serving / "marts.duckdb"))
    con.execute("""create table odd_values as select * from (values
        (1::tinyint, 2::smallint, 3::integer, 4::bigint, 170141183460469231731687303715884105727::hugeint,
         18446744073709551615::ubigint, 0.1::float, 0.1::double, 123456789012345.67::decimal(18,2),
         0.000001::decimal(10,6), true, date '2021-01-31', timestamp '2021-09-05 17:30:00.123456',
         timestamptz '2021-09-05 17:30:00+07', time '23:59:59', interval 3 day,
         'a"b,c' || chr(10) || 'Kota Semarang; ñ €', '', uuid '12345678-1234-5678-1234-567812345678',
         '\\x00\\xFF'::blob, [1, 2]),
        (null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
         null, null, null, null, null)
        ) t(ti, si, i, bi, hi, ubi, f, d, money, small_dec, b, dt, ts, tstz, tm, iv, s, empty, u, bl, lst)""")
    con.close()
    publication = publish(serving, pg.url(), schema="marts_types")
    assert publication.counts == {"odd_values": 2}
    with psycopg.connect(pg.url(), autocommit=True) as conn:
        types = dict(conn.execute("select a.attname, format_type(a.atttypid, a.atttypmod) from pg_attribute a "
                                  "where a.attrelid = 'marts_types.odd_values'::regclass and a.attnum > 0"))
        row = conn.execute("select * from marts_types.odd_values where ti is not null").fetchone()
        nulls = conn.execute("select * from marts_types.odd_values where ti is null").fetchone()
    assert types == {"ti": "smallint", "si": "smallint", "i": "integer", "bi": "bigint", "hi": "numeric(39,0)",
                     "ubi": "numeric(20,0)", "f": "real", "d": "double precision", "money": "numeric(18,2)",
                     "small_dec": "numeric(10,6)", "b": "boolean", "dt": "date",
                     "ts": "timestamp without time zone", "tstz": "timestamp with time zone",
                     "tm": "time without time zone", "iv": "interval", "s": "text", "empty": "text", "u": "uuid",
                     "bl": "bytea", "lst": "text"}
    assert row[:6] == (1, 2, 3, 4, Decimal(2**127 - 1), Decimal(2**64 - 1))
    assert row[6] == pytest.approx(0.1, rel=1e-7) and row[7] == 0.1
    assert row[8:11] == (Decimal("123456789012345.67"), Decimal("0.000001"), True)
    assert row[11:13] == (date(2021, 1, 31), datetime(2021, 9, 5, 17, 30, 0, 123456))
    assert row[13] == datetime(2021, 9, 5, 10, 30, tzinfo=timezone.utc)
    assert str(row[14]) == "23:59:59" and row[15] == timedelta(days=3)
    assert row[16] == 'a"b,c\nKota Semarang; ñ €' and row[17] == ""          # '' stays '', not null
    assert row[18] == uuid.UUID("12345678-1234-5678-1234-567812345678") and bytes(row[19]) == b"\x00\xff"
    assert row[20] == "[1, 2]"
    assert all(v is None for v in nulls)


def test_postgres_down_gives_a_clear_error(run_down):
    _, _, snapshot = run_down
    closed = f"postgresql://umkm_admin:{ADMIN_PASSWORD}@127.0.0.1:{free_port()}/umkm"
    with pytest.raises(PostgresUnavailable) as raised:
        publish(snapshot, closed)
    message = str(raised.value)
    assert message.startswith("PostgreSQL publication failed: cannot connect to postgresql://umkm_admin@127.0.0.1:")
    assert "refused" in message and ADMIN_PASSWORD not in message and "\n" not in message


def test_wrong_password_and_missing_serving_copy_give_clear_errors(pg, tmp_path, run_down):
    _, _, snapshot = run_down
    with pytest.raises(PostgresUnavailable, match="password authentication failed"):
        publish(snapshot, pg.url(password="wrong"))
    with pytest.raises(PostgresPublishError, match="no serving copy at .*the DuckDB publication must run first"):
        publish(tmp_path / "nothing", pg.url())


def test_a_schema_it_did_not_make_is_left_alone(pg, run_down):
    _, _, snapshot = run_down
    with psycopg.connect(pg.url(), autocommit=True) as conn:
        conn.execute("create schema finance")
        conn.execute("create table finance.budget (x int)")
    with pytest.raises(PostgresPublishError, match="schema finance exists with objects this publication did not make"):
        publish(snapshot, pg.url(), schema="finance")
    with psycopg.connect(pg.url(), autocommit=True) as conn:
        assert conn.execute("select count(*) from finance.budget").fetchone() == (0,)


def test_an_older_publication_does_not_replace_a_newer_one(pg, run_down, tmp_path):
    _, _, snapshot = run_down
    publish(snapshot, pg.url(), schema="marts_order")
    older = tmp_path / "older"
    shutil.copytree(snapshot, older)
    con = duckdb.connect(str(older / "marts.duckdb"))
    con.execute("comment on table fct_orders is 'One row per order (serving version 19990101T000000000000Z-0)'")
    con.execute("delete from mart_program_summary")
    con.close()
    skipped = publish(older, pg.url(), schema="marts_order")
    assert skipped.counts == {} and "newer publication" in skipped.notes[0]
    assert_same_as_serving(pg.url(), snapshot, schema="marts_order")



# ---------------------------------------------------------------- Dagster: the step and the freshness policies

def test_definitions_add_the_postgres_step_and_freshness_policies(monkeypatch):
    import dagster as dg

    from orchestration.definitions import build_definitions

    monkeypatch.setenv("UMKM_POSTGRES_URL", f"postgresql://umkm_admin:{ADMIN_PASSWORD}@127.0.0.1:1/umkm")
    monkeypatch.setenv("UMKM_FEED_STALE_DAYS", "4")
    defs = build_definitions()
    graph = defs.resolve_asset_graph()
    postgres, serving = dg.AssetKey("postgres_marts"), dg.AssetKey("serving_marts")
    assert graph.get(postgres).parent_keys == {serving}
    assert "postgres_marts" in defs.resolve_job_def("full_refresh").graph.node_names()
    assert ADMIN_PASSWORD not in repr(defs.resources["postgres"])        # read when the step runs
    fresh = {key.to_user_string(): graph.get(key).freshness_policy for key in graph.get_all_asset_keys()
             if graph.get(key).freshness_policy is not None}
    assert set(fresh) == {"raw/gofood_transactions", "raw/shopee_order_lines", "raw/uvo_transactions",
                          "marts/fct_orders", "marts/mart_turnover_monthly", "marts/mart_program_summary",
                          "marts/mart_data_quality", "marts/mart_rejected_rows", "marts/mart_intervention_outcomes",
                          "marts/mart_restriction_periods", "serving_marts", "postgres_marts"}
    policy = fresh["serving_marts"]
    assert isinstance(policy, dg.FreshnessPolicy)
    assert policy.fail_window.to_timedelta() == timedelta(days=4)
    assert policy.warn_window.to_timedelta() == timedelta(days=2)
    monkeypatch.delenv("UMKM_POSTGRES_URL")
    assert postgres not in build_definitions().resolve_asset_graph().get_all_asset_keys()
