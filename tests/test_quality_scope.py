"""Check runs look at the change set (the file versions not yet published): raw row rules at
its versions' rows, fct_orders rules at the orders from its paths. Nothing is published while a
blocking rule fails, so a bad version is checked again until a corrected one replaces it."""

from datetime import date, datetime

import duckdb
import pytest

from ingest.change_set import mark_published, read_change_set
from ingest.raw_schema import create_raw_schema
from quality import suites
from quality.scope import WHOLE, Scope, plan_scopes
from quality.suites import BY_FILE_VERSION, BY_LANDING_PATH, ERROR, WARN
from quality.validate import validate_targets
from tests.test_quality_suites import GOOD

TODAY = date(2022, 6, 30)
AMOUNT_RULE = "expect_column_values_to_be_between(amount)"


@pytest.fixture
def con():
    con = duckdb.connect()
    create_raw_schema(con)
    con.execute("insert into raw.enrollments (landing_path, sha256, row_number, file_landed_at, loaded_at, "
                "program_id, platform_merchant_id, umkm_key, region_code, sector_code, joined_date) values "
                "('enrollment/e.csv', 'e1', 1, '2021-01-01', '2021-01-01', 'gofood_banner_promo', 'G-A', ?, "
                "'3374', 'food_beverage', '2021-03-01')", ["a" * 32])
    ledger(con, "enrollment/e.csv", "e1", "enrollment", 1)
    publish(con)
    yield con
    con.close()


def ledger(con, path: str, sha: str, source: str, rows: int, status: str = "loaded") -> None:
    con.execute("insert into raw.landing_files (landing_path, sha256, source, status, rows_read, rows_loaded, "
                "size_bytes, file_landed_at, first_seen, loaded_at) "
                "values (?, ?, ?, ?, ?, ?, 100, now(), now(), now())",
                [path, sha, source, status, rows, rows])


def gobiz_version(con, path: str, sha: str, amounts: list[int], merchant: str = "G-A") -> None:
    """A GoBiz file version: its rows in raw and its ledger row (the loader's job, in short)."""
    old = con.execute("select sha256 from raw.landing_files where landing_path = ? and status = 'loaded'",
                      [path]).fetchall()
    if old:   # a corrected re-export replaces the old version's rows
        con.execute("update raw.landing_files set status = 'superseded' where landing_path = ?", [path])
        con.execute("delete from raw.gofood_transactions where landing_path = ?", [path])
    for number, amount in enumerate(amounts, 1):
        row = {**GOOD["gofood_transactions"], "transaction_id": f"{sha}-{number}", "amount": amount,
               "nett_amount": amount, "merchant_id": merchant, "landing_path": path, "sha256": sha,
               "row_number": number, "file_landed_at": datetime(2021, 10, 1), "loaded_at": datetime.now()}
        con.execute(f"insert into raw.gofood_transactions ({', '.join(row)}) values ({', '.join('?' for _ in row)})",
                    list(row.values()))
    ledger(con, path, sha, "gofood", len(amounts))


def publish(con) -> int:
    return mark_published(con, read_change_set(con))


def check(con, *targets):
    """One check run, as the asset check step does it: the change set's scope, validated."""
    scopes = plan_scopes(targets, read_change_set(con))
    results = validate_targets(con, targets, today=TODAY, scopes=scopes)
    return {r.target.table: r for r in results}, scopes


def failed(result, severity=ERROR):
    return {o.rule: o for o in result.failures(severity)}


def validated_rows(result) -> int:
    return sum(n for suite, n in result.rows.items() if not suite.endswith(".columns"))


def test_raw_rules_look_at_the_change_set_and_a_blocked_version_stays_in_it(con):
    gobiz_version(con, "gofood/sep.csv", "s1", [100_000, 250_000])
    results, scopes = check(con, suites.GOFOOD)
    assert scopes["raw.gofood_transactions"].keys == (("gofood/sep.csv", "s1"),)
    assert results["gofood_transactions"].passed(ERROR) and validated_rows(results["gofood_transactions"]) == 2
    assert publish(con) == 1

    results, scopes = check(con, suites.GOFOOD)   # nothing new: nothing to look at
    assert scopes["raw.gofood_transactions"].unchanged and validated_rows(results["gofood_transactions"]) == 0

    gobiz_version(con, "gofood/oct.csv", "o1", [100, 45, 70_000])   # amounts in thousands
    for _ in range(2):   # blocked, and blocked again: not published, so still in the change set
        results, scopes = check(con, suites.GOFOOD)
        assert scopes["raw.gofood_transactions"].keys == (("gofood/oct.csv", "o1"),)
        outcome = failed(results["gofood_transactions"])[AMOUNT_RULE]
        assert (outcome.unexpected_count, outcome.element_count) == (2, 3)   # September's rows not re-read
        assert all("gofood/oct.csv" in row for row in outcome.sample_rows)

    gobiz_version(con, "gofood/oct.csv", "o2", [100_000, 45_000, 70_000])   # the corrected re-export
    results, scopes = check(con, suites.GOFOOD)
    assert scopes["raw.gofood_transactions"].keys == (("gofood/oct.csv", "o2"),)   # the superseded one has no rows
    assert results["gofood_transactions"].passed(ERROR) and validated_rows(results["gofood_transactions"]) == 3


def test_warn_rules_annotate_and_the_table_rules_look_at_everything(con):
    gobiz_version(con, "gofood/sep.csv", "s1", [100_000], merchant="G-UNENROLLED")
    results, scopes = check(con, suites.GOFOOD, suites.ENROLLMENT, suites.LEDGER)
    enrolled = "expect_column_values_to_be_in_set(counted_merchant_enrolled)"
    assert enrolled in failed(results["gofood_transactions"], WARN)
    assert scopes["raw.enrollments"].keys == ()          # published before: not looked at again
    assert scopes["raw.enrollments"].unchanged and not results["enrollments"].rows   # not even its columns
    assert scopes["raw.landing_files"].kind == WHOLE and not scopes["raw.landing_files"].unchanged
    # `umkm docs` and the tests validate whole tables: no scope, every row
    [whole] = validate_targets(con, [suites.GOFOOD], today=TODAY)
    assert whole.scope == "whole relation"


def fct_orders(con, rows) -> None:
    con.execute("create schema if not exists marts")
    con.execute("create or replace table marts.fct_orders (platform varchar, order_id varchar, "
                "platform_merchant_id varchar, umkm_key varchar, order_date date, is_counted boolean, "
                "buyer_country varchar, currency varchar, amount_idr decimal(18, 2), landing_path varchar)")
    con.executemany("insert into marts.fct_orders values ('gofood', ?, 'G-A', ?, ?, true, 'ID', 'IDR', ?, ?)", rows)


def test_fct_orders_rules_look_at_the_orders_from_the_change_sets_paths(con):
    k = "a" * 32
    gobiz_version(con, "gofood/new.csv", "n1", [100_000])
    fct_orders(con, [("O1", k, date(2021, 9, 1), 1000, "gofood/old.csv"),
                     ("O2", k, date(2021, 9, 2), None, "gofood/old.csv"),      # bad, but published long ago
                     ("O3", k, date(2021, 9, 3), None, "gofood/new.csv")])     # bad, and new: blocks
    results, scopes = check(con, suites.FCT_ORDERS)
    assert scopes["marts.fct_orders"] == Scope(BY_LANDING_PATH, ("gofood/new.csv",))
    assert validated_rows(results["fct_orders"]) == 1
    assert failed(results["fct_orders"])["expect_column_values_to_not_be_null(amount_idr)"].unexpected_count == 1

    ledger(con, "enrollment/more.csv", "m1", "enrollment", 1)   # may move any old order: every row
    results, scopes = check(con, suites.FCT_ORDERS)
    assert scopes["marts.fct_orders"].everything and validated_rows(results["fct_orders"]) == 3


def test_scope_filters():
    assert Scope(BY_LANDING_PATH, ()).filter("f") == "false"
    assert Scope(BY_LANDING_PATH, ("a.csv",), everything=True).filter("f") == "true"
    assert "f.landing_path in" in Scope(BY_LANDING_PATH, ("a.csv",)).filter("f")
    assert "(g.landing_path, g.sha256) in" in Scope(BY_FILE_VERSION, (("a.csv", "s"),)).filter("g")
