"""The serving copy follows the change: an incremental publication gives the same marts as a
full one, through marts.duckdb and through every Parquet file, and leaves untouched what did
not change (tests/test_concurrency_crash_replay.py checks BI readers during publications)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import duckdb
import pytest

from orchestration.serving import FCT, publish_marts
from orchestration.serving_files import CURRENT

MONTHS = ("2021-08", "2021-09", "2021-10", "2021-11")


@pytest.fixture
def warehouse(tmp_path) -> Path:
    """Marts of a small warehouse: fct_orders over four months (and a few orders without a date),
    from one GoBiz report per month."""
    path = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute("""
        create table marts.fct_orders as
        select case i % 3 when 0 then 'gofood' when 1 then 'shopee' else 'uvo' end as platform,
               'O' || i as order_id, 'M' || (i % 40) as platform_merchant_id,
               case when i % 7 = 0 then null else md5('k' || (i % 40))[:32] end as umkm_key,
               case when i % 3 = 0 then 'GoFood' end as feature,
               case when i % 500 = 0 then null else date '2021-08-01' + (i % 120)::int end as order_date,
               timestamp '2021-08-01 03:00:00' + to_hours(i) as order_ts_utc, 'settlement' as status_raw,
               i % 5 <> 0 as is_counted, 'ID' as buyer_country, 'IDR' as currency,
               (1000 + i * 37 % 90000)::decimal(18, 2) as amount_original,
               (1000 + i * 37 % 90000)::decimal(18, 2) as amount_idr,
               'gofood/gobiz_' || coalesce(strftime(order_date, '%Y-%m'), 'undated') || '.csv' as landing_path
        from range(6000) t(i)""")
    con.execute("create table marts.dim_region as select * from (values ('3374', 'Kota Semarang', 'Kota'), "
                "('3301', 'Kabupaten Cilacap', 'Kabupaten')) t(region_code, region_name, region_type)")
    con.execute("create table marts.mart_program_summary as select 'goshop' as program_id, 10 as n_orders")
    con.close()
    return path


def change(warehouse: Path, *sql: str) -> None:
    con = duckdb.connect(str(warehouse))
    try:
        for statement in sql:
            con.execute(statement)
    finally:
        con.close()


def rows(con, relation: str) -> list[str]:
    return sorted(map(repr, con.execute(f"select * from {relation}").fetchall()))


def warehouse_marts(warehouse: Path) -> dict[str, list[str]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = [t for (t,) in con.execute("select table_name from information_schema.tables "
                                            "where table_schema = 'marts' order by 1").fetchall()]
        return {t: rows(con, f"marts.{t}") for t in tables}
    finally:
        con.close()


def served(serving: Path) -> dict[str, dict[str, list[str]]]:
    """Every mart as BI reads it: marts.duckdb, the Parquet files of current.json, the root files."""
    con = duckdb.connect(str(serving / "marts.duckdb"), read_only=True)
    try:
        tables = [t for (t,) in con.execute("select table_name from information_schema.tables order by 1").fetchall()]
        via_duckdb = {t: rows(con, f'"{t}"') for t in tables}
    finally:
        con.close()
    current = json.loads((serving / CURRENT).read_text())
    files = duckdb.connect()
    try:
        via_current = {t: rows(files, f"read_parquet('{serving / current['parquet'][t]}')") for t in tables}
        listed = [str(serving / f) for f in current["fct_orders_files"]]
        via_listed = rows(files, f"read_parquet({listed})")
        via_root = {t: rows(files, f"read_parquet('{serving / t}.parquet')") for t in tables if t != FCT}
        via_root[FCT] = rows(files, f"read_parquet('{serving / FCT}/*.parquet')")
    finally:
        files.close()
    assert via_listed == via_current[FCT]
    return {"duckdb": via_duckdb, "current.json": via_current, "root files": via_root}


def assert_serves(serving: Path, expected: dict[str, list[str]]) -> None:
    for how, marts in served(serving).items():
        assert marts == expected, f"{how} differs from the warehouse"


def month_files(folder: Path) -> dict[str, os.stat_result]:
    return {p.name: p.stat() for p in folder.glob("*.parquet")}


def test_an_incremental_publication_serves_what_a_full_one_does(warehouse, tmp_path):
    serving = tmp_path / "serving"
    first = publish_marts(warehouse, serving)
    assert first.duckdb_mode == "full" and first.months_written == [*MONTHS, "undated"]
    assert_serves(serving, warehouse_marts(warehouse))

    change(warehouse,
           # a new day of orders in November's report
           "insert into marts.fct_orders select * replace ('N' || order_id as order_id, "
           "date '2021-11-29' as order_date) "
           "from marts.fct_orders where order_date = date '2021-11-20'",
           # a corrected November report took a day's orders away and moved some to 31 October
           "delete from marts.fct_orders where order_date = date '2021-11-10'",
           "update marts.fct_orders set order_date = date '2021-10-31' where order_date = date '2021-11-11'",
           "update marts.fct_orders set amount_idr = amount_idr + 1 where order_date is null",
           "update marts.dim_region set region_name = 'Kota Semarang (baru)' where region_code = '3374'")
    second = publish_marts(warehouse, serving, ["gofood/gobiz_2021-11.csv", "gofood/gobiz_undated.csv"])
    assert second.duckdb_mode == "incremental"
    assert second.months_written == ["2021-10", "2021-11", "undated"] and second.months_linked == 2
    expected = warehouse_marts(warehouse)
    assert_serves(serving, expected)

    full = tmp_path / "full"
    assert publish_marts(warehouse, full).duckdb_mode == "full"
    assert served(full) == served(serving)

    unchanged = publish_marts(warehouse, serving, [])   # nothing changed: nothing of fct_orders written
    assert (unchanged.days_changed, unchanged.months_written, unchanged.months_linked) == (0, [], 5)
    assert_serves(serving, expected)


def test_unchanged_months_are_not_rewritten(warehouse, tmp_path):
    serving = tmp_path / "serving"
    (serving).mkdir()
    (serving / "fct_orders.parquet").write_bytes(b"the single file of earlier publications")
    publish_marts(warehouse, serving)
    assert not (serving / "fct_orders.parquet").exists()
    before_version = serving / json.loads((serving / CURRENT).read_text())["parquet"]["dim_region"]
    before = month_files(before_version.parent / FCT)
    root_before = month_files(serving / FCT)
    change(warehouse, "insert into marts.fct_orders select * replace ('N' || order_id as order_id) "
                      "from marts.fct_orders where order_date = date '2021-10-03'")
    publication = publish_marts(warehouse, serving, ["gofood/gobiz_2021-10.csv"])
    assert publication.months_written == ["2021-10"]
    current = json.loads((serving / CURRENT).read_text())
    after = month_files(serving / current["parquet"]["dim_region"].rpartition("/")[0] / FCT)
    root_after = month_files(serving / FCT)
    assert set(after) == set(before) == set(root_after) == {f"{m}.parquet" for m in (*MONTHS, "undated")}
    for name in after:
        same = name != "2021-10.parquet"
        assert (after[name].st_ino == before[name].st_ino) == same, name          # hard link, or written anew
        assert (root_after[name].st_ino == root_before[name].st_ino) == same, name
        if same:
            assert root_after[name].st_mtime_ns == root_before[name].st_mtime_ns
            assert after[name].st_nlink >= 3    # previous version, this version, the root folder


def test_marts_equal_to_the_served_ones_are_kept(warehouse, tmp_path):
    """A mart whose rows did not change is neither rewritten in marts.duckdb nor in Parquet (its
    file is a link to the previous version's); one that changed, even by a value, is."""
    serving = tmp_path / "serving"
    first = publish_marts(warehouse, serving)
    assert first.tables_kept == []                                   # written anew: nothing kept

    def parquet(name: str) -> os.stat_result:
        return (serving / json.loads((serving / CURRENT).read_text())["parquet"][name]).stat()

    region_before = parquet("dim_region")
    change(warehouse, "update marts.mart_program_summary set n_orders = 11")
    second = publish_marts(warehouse, serving, [])
    assert second.tables_kept == ["dim_region"] and second.kept_from == first.version
    assert parquet("dim_region").st_ino == region_before.st_ino      # linked, not written
    assert (serving / "dim_region.parquet").stat().st_ino == region_before.st_ino
    assert list(serving.rglob(".*.tmp")) == []                       # no temporary name left holding it
    assert_serves(serving, warehouse_marts(warehouse))               # the changed summary is served
    change(warehouse, "update marts.dim_region set region_type = 'Kab.' where region_code = '3301'",
           "alter table marts.mart_program_summary add column note varchar")
    third = publish_marts(warehouse, serving, [])
    assert third.tables_kept == []                                   # a value, a column: both rewritten
    assert parquet("dim_region").st_ino != region_before.st_ino
    assert_serves(serving, warehouse_marts(warehouse))


def test_what_cannot_be_built_on_is_written_anew(warehouse, tmp_path):
    serving = tmp_path / "serving"
    publish_marts(warehouse, serving)

    # fct_orders gains a column: everything is written anew, with it
    change(warehouse, "alter table marts.fct_orders add column order_completed_ts_utc timestamp")
    publication = publish_marts(warehouse, serving, ["gofood/gobiz_2021-10.csv"])
    assert publication.duckdb_mode == "full" and len(publication.months_written) == 5
    assert_serves(serving, warehouse_marts(warehouse))

    # more than half of the orders changed: a fresh file beats a patched one
    change(warehouse, "update marts.fct_orders set status_raw = 'completed' where order_date < date '2021-11-01'")
    assert publish_marts(warehouse, serving, [f"gofood/gobiz_2021-{m:02d}.csv" for m in (8, 9, 10)]
                         ).duckdb_mode == "full"
    assert_serves(serving, warehouse_marts(warehouse))

    # a publication cut short after marts.duckdb was renamed, before current.json was written:
    # the file is matched with its own version's manifest, not with current.json's
    old_current = (serving / CURRENT).read_text()
    change(warehouse, "delete from marts.fct_orders where order_date = date '2021-08-02'")
    publish_marts(warehouse, serving, ["gofood/gobiz_2021-08.csv"])
    (serving / CURRENT).write_text(old_current)
    change(warehouse, "insert into marts.fct_orders select * replace ('R' || order_id as order_id) "
                      "from marts.fct_orders where order_date = date '2021-08-03'")
    publication = publish_marts(warehouse, serving, ["gofood/gobiz_2021-08.csv"])
    assert publication.months_written == ["2021-08"]   # current.json's version lacked 08-02's deletion too
    assert_serves(serving, warehouse_marts(warehouse))


def test_incremental_marts_duckdb_opens_in_duckdb_1_4(warehouse, tmp_path):
    from tests.test_concurrency_crash_replay import duckdb_14_python

    serving = tmp_path / "serving"
    publish_marts(warehouse, serving)
    change(warehouse, "delete from marts.fct_orders where order_date = date '2021-10-10'")
    assert publish_marts(warehouse, serving, ["gofood/gobiz_2021-10.csv"]).duckdb_mode == "incremental"
    python = duckdb_14_python()
    script = textwrap.dedent("""
        import sys, duckdb
        con = duckdb.connect(sys.argv[1], read_only=True)
        print(duckdb.__version__, con.execute("select count(*), count(distinct order_date) from fct_orders").fetchone())
    """)
    result = subprocess.run([str(python), "-c", script, str(serving / "marts.duckdb")], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    con = duckdb.connect(str(warehouse), read_only=True)
    expected = con.execute("select count(*), count(distinct order_date) from marts.fct_orders").fetchone()
    con.close()
    assert result.stdout.startswith("1.4.") and result.stdout.split(" ", 1)[1].strip() == repr(expected)


def test_a_killed_publication_leaves_the_last_one_whole(warehouse, tmp_path, monkeypatch):
    import orchestration.serving as serving_module

    serving = tmp_path / "serving"
    publish_marts(warehouse, serving)
    before = served(serving)
    change(warehouse, "delete from marts.fct_orders where order_date = date '2021-10-10'")

    def killed(*args, **kwargs):
        raise KeyboardInterrupt("killed while writing month files")

    monkeypatch.setattr(serving_module, "_write_months", killed)
    with pytest.raises(KeyboardInterrupt):
        publish_marts(warehouse, serving, ["gofood/gobiz_2021-10.csv"])
    monkeypatch.undo()
    assert served(serving) == before
    assert not [p for p in serving.rglob("*") if ".tmp" in p.name]
    assert publish_marts(warehouse, serving, ["gofood/gobiz_2021-10.csv"]).months_written == ["2021-10"]
    assert_serves(serving, warehouse_marts(warehouse))
    shutil.rmtree(serving)
