"""Check runs look at what changed: raw row rules at the file versions not yet checked,
fct_orders rules at the order dates whose rows changed; the watermark lives in the warehouse
and moves only past what passed."""

from dataclasses import replace
from datetime import date, datetime

import duckdb
import pytest

from ingest.raw_schema import create_raw_schema
from quality import suites
from quality.scope import Scope, changed_days, day_fingerprints, plan_scopes, record_passed, suites_hash
from quality.scope import WHOLE
from quality.suites import BY_FILE_VERSION, BY_ORDER_DATE, ERROR, WARN
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
    yield con
    con.close()


def ledger(con, path: str, sha: str, source: str, rows: int, status: str = "loaded") -> None:
    con.execute("insert into raw.landing_files values (?, ?, ?, ?, null, ?, ?, 0, 100, now(), now(), now())",
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


def check(con, *targets):
    """One check run, as the asset check step does it: plan, validate the scope, move the watermark."""
    scopes = plan_scopes(con, targets)
    results = validate_targets(con, targets, today=TODAY, scopes=scopes)
    record_passed(con, results, scopes)
    return {r.target.table: r for r in results}, scopes


def failed(result, severity=ERROR):
    return {o.rule: o for o in result.failures(severity)}


def versions(scope) -> list:
    return [key[:2] for key in scope.keys]


def validated_rows(result) -> int:
    return sum(n for suite, n in result.rows.items() if not suite.endswith(".columns"))


def checked(con) -> set:
    return set(con.execute("select landing_path, sha256 from quality.checked_versions "
                           "where relation = 'raw.gofood_transactions'").fetchall())


def test_raw_rules_look_at_new_versions_only_and_a_blocked_version_stays_in_scope(con):
    gobiz_version(con, "gofood/sep.csv", "s1", [100_000, 250_000])
    results, scopes = check(con, suites.GOFOOD)
    assert versions(scopes["raw.gofood_transactions"]) == [("gofood/sep.csv", "s1")]
    assert results["gofood_transactions"].passed(ERROR) and validated_rows(results["gofood_transactions"]) == 2
    assert checked(con) == {("gofood/sep.csv", "s1")}

    results, _ = check(con, suites.GOFOOD)   # nothing new: nothing to look at
    assert validated_rows(results["gofood_transactions"]) == 0 and results["gofood_transactions"].passed(ERROR)

    gobiz_version(con, "gofood/oct.csv", "o1", [100, 45, 70_000])   # amounts in thousands
    for _ in range(2):   # blocked, and blocked again: the watermark did not move past it
        results, scopes = check(con, suites.GOFOOD)
        assert versions(scopes["raw.gofood_transactions"]) == [("gofood/oct.csv", "o1")]
        outcome = failed(results["gofood_transactions"])[AMOUNT_RULE]
        assert (outcome.unexpected_count, outcome.element_count) == (2, 3)   # September's rows not re-read
        assert all("gofood/oct.csv" in row for row in outcome.sample_rows)
        assert checked(con) == {("gofood/sep.csv", "s1")}

    gobiz_version(con, "gofood/oct.csv", "o2", [100_000, 45_000, 70_000])   # the corrected re-export
    results, scopes = check(con, suites.GOFOOD)
    assert versions(scopes["raw.gofood_transactions"]) == [("gofood/oct.csv", "o2")]
    assert results["gofood_transactions"].passed(ERROR) and validated_rows(results["gofood_transactions"]) == 3
    assert checked(con) == {("gofood/sep.csv", "s1"), ("gofood/oct.csv", "o2")}   # the bad version forgotten


def test_a_reloaded_version_is_checked_again(con):
    """A forced reload (same bytes, perhaps a newer parser) writes the rows again: check them again."""
    gobiz_version(con, "gofood/sep.csv", "s1", [100_000])
    check(con, suites.GOFOOD)
    assert versions(plan_scopes(con, [suites.GOFOOD])["raw.gofood_transactions"]) == []
    con.execute("update raw.landing_files set loaded_at = loaded_at + interval 1 hour where sha256 = 's1'")
    con.execute("update raw.gofood_transactions set amount = 100 where sha256 = 's1'")
    results, scopes = check(con, suites.GOFOOD)
    assert versions(scopes["raw.gofood_transactions"]) == [("gofood/sep.csv", "s1")]
    assert not results["gofood_transactions"].passed(ERROR)


def test_checked_rows_are_not_flagged_again(con):
    gobiz_version(con, "gofood/sep.csv", "s1", [100_000], merchant="G-UNENROLLED")
    results, _ = check(con, suites.GOFOOD)
    rule = "expect_column_values_to_be_in_set(counted_merchant_enrolled)"
    assert rule in failed(results["gofood_transactions"], WARN)
    assert checked(con) == {("gofood/sep.csv", "s1")}   # WARN rules do not hold the watermark back
    gobiz_version(con, "gofood/oct.csv", "o1", [100_000])
    results, _ = check(con, suites.GOFOOD)
    assert not results["gofood_transactions"].failures() and validated_rows(results["gofood_transactions"]) == 1


def test_each_table_keeps_its_own_watermark_and_the_whole_table_without_scopes(con):
    gobiz_version(con, "gofood/sep.csv", "s1", [100])
    results, scopes = check(con, suites.GOFOOD, suites.ENROLLMENT, suites.LEDGER)
    assert not results["gofood_transactions"].passed(ERROR) and results["enrollments"].passed(ERROR)
    assert versions(scopes["raw.enrollments"]) == [("enrollment/e.csv", "e1")]
    assert scopes["raw.landing_files"].kind == WHOLE and not scopes["raw.landing_files"].unchanged
    _, scopes = check(con, suites.GOFOOD, suites.ENROLLMENT)
    assert versions(scopes["raw.enrollments"]) == []
    assert versions(scopes["raw.gofood_transactions"]) == [("gofood/sep.csv", "s1")]
    # `umkm docs` and the tests validate whole tables: no scope, every row
    [whole] = validate_targets(con, [suites.GOFOOD], today=TODAY)
    assert whole.scope == "whole relation" and failed(whole)[AMOUNT_RULE].element_count == 1


def test_a_changed_suite_checks_every_version_again(con):
    gobiz_version(con, "gofood/sep.csv", "s1", [100_000])
    check(con, suites.GOFOOD)
    stricter = replace(suites.GOFOOD, suites=tuple(
        replace(s, expectations=s.expectations + (suites.between("amount", "a new rule", max_value=50_000),))
        if s.scoped else s for s in suites.GOFOOD.suites))
    assert suites_hash(stricter) != suites_hash(suites.GOFOOD)
    results, scopes = check(con, stricter)
    assert versions(scopes["raw.gofood_transactions"]) == [("gofood/sep.csv", "s1")]
    assert not results["gofood_transactions"].passed(ERROR)


# ---------------------------------------------------------------- fct_orders by order date

def fct_orders(con, rows) -> None:
    con.execute("create schema if not exists marts")
    con.execute("create or replace table marts.fct_orders (platform varchar, order_id varchar, "
                "platform_merchant_id varchar, umkm_key varchar, order_date date, is_counted boolean, "
                "buyer_country varchar, currency varchar, amount_idr decimal(18, 2), landing_path varchar)")
    con.executemany("insert into marts.fct_orders values ('gofood', ?, 'G-A', ?, ?, true, 'ID', 'IDR', ?, 'x.csv')",
                    rows)


def test_fct_orders_rules_look_at_the_order_dates_whose_rows_changed(con):
    k = "a" * 32
    fct_orders(con, [("O1", k, date(2021, 9, 1), 1000), ("O2", k, date(2021, 9, 2), 2000),
                     ("O3", None, date(2021, 9, 2), 3000), ("O4", k, None, 4000)])
    results, scopes = check(con, suites.FCT_ORDERS)
    assert set(scopes["marts.fct_orders"].keys) == {date(2021, 9, 1), date(2021, 9, 2), None}
    assert validated_rows(results["fct_orders"]) == 4
    _, scopes = check(con, suites.FCT_ORDERS)
    assert scopes["marts.fct_orders"].keys == ()

    # an enrollment gives an old order its UMKM (no file of orders changed), a new day lands
    con.execute("update marts.fct_orders set umkm_key = ? where order_id = 'O3'", [k])
    con.execute("insert into marts.fct_orders values ('gofood', 'O5', 'G-A', ?, '2021-09-03', true, 'ID', 'IDR', "
                "null, 'y.csv')", [k])   # no amount: ERROR
    for _ in range(2):   # blocked twice: the dates stay in scope
        results, scopes = check(con, suites.FCT_ORDERS)
        assert scopes["marts.fct_orders"].keys == (date(2021, 9, 2), date(2021, 9, 3))
        assert validated_rows(results["fct_orders"]) == 3
        assert failed(results["fct_orders"])["expect_column_values_to_not_be_null(amount_idr)"].unexpected_count == 1
    con.execute("update marts.fct_orders set amount_idr = 5000 where order_id = 'O5'")
    results, scopes = check(con, suites.FCT_ORDERS)
    assert results["fct_orders"].passed(ERROR) and len(scopes["marts.fct_orders"].keys) == 2
    assert check(con, suites.FCT_ORDERS)[1]["marts.fct_orders"].keys == ()


def test_day_fingerprints_see_any_change_of_a_row():
    con = duckdb.connect()
    con.execute("create table t as select * from (values (date '2021-09-01', 'a', 1.0), "
                "(date '2021-09-01', 'b', 2.0), (null, 'c', 3.0)) t(order_date, k, v)")
    before = day_fingerprints(con, "t")
    assert {d: n for d, (n, _) in before.items()} == {date(2021, 9, 1): 2, None: 1}
    con.execute("update t set k = 'B' where k = 'b'")
    con.execute("delete from t where order_date is null")
    after = day_fingerprints(con, "t")
    assert changed_days(after, before) == [date(2021, 9, 1), None]
    con.execute("update t set k = 'b' where k = 'B'")
    assert changed_days(day_fingerprints(con, "t"), before) == [None]   # same rows again: same fingerprint
    con.close()


def test_scope_filters():
    by_version = Scope(BY_FILE_VERSION, (("a.csv", "s1", datetime(2021, 10, 1)),))
    assert by_version.filter("g") == "(g.landing_path, g.sha256) in (select landing_path, sha256 from quality_scope)"
    assert by_version.relation().num_rows == 1
    assert Scope(BY_ORDER_DATE, ()).filter("f") == "false"
    days = Scope(BY_ORDER_DATE, (date(2021, 9, 1), None))
    assert days.filter("f") == "(f.order_date in (select day from quality_scope) or f.order_date is null)"
    assert days.relation().num_rows == 1


def test_whole_targets_are_validated_again_only_when_what_they_read_changed(con):
    from tests.test_quality_suites import _marts

    _marts(con)
    results, scopes = check(con, suites.TURNOVER_MONTHLY, suites.LEDGER)
    assert results["mart_turnover_monthly"].passed(ERROR) and validated_rows(results["mart_turnover_monthly"]) == 3
    results, scopes = check(con, suites.TURNOVER_MONTHLY, suites.LEDGER)   # nothing changed: nothing to do
    assert scopes["marts.mart_turnover_monthly"].unchanged and scopes["raw.landing_files"].unchanged
    assert validated_rows(results["mart_turnover_monthly"]) == 0 and results["mart_turnover_monthly"].passed(ERROR)
    assert results["mart_turnover_monthly"].scope == "nothing it reads changed since it last passed"

    # a relation it reads changes (the summary no longer matches the months): validated, and again
    con.execute("update marts.mart_program_summary set turnover_idr = turnover_idr + 1")
    for _ in range(2):
        results, scopes = check(con, suites.TURNOVER_MONTHLY, suites.LEDGER)
        assert not scopes["marts.mart_turnover_monthly"].unchanged and scopes["raw.landing_files"].unchanged
        assert not results["mart_turnover_monthly"].passed(ERROR)
    con.execute("update marts.mart_program_summary set turnover_idr = turnover_idr - 1")   # back as it passed
    results, scopes = check(con, suites.TURNOVER_MONTHLY)
    assert results["mart_turnover_monthly"].passed(ERROR) and scopes["marts.mart_turnover_monthly"].unchanged


def test_a_missing_relation_is_validated_whole_and_reported(con):
    """No marts yet (dbt failed): no scope; the suite reports the missing relation as an ERROR."""
    results, scopes = check(con, suites.FCT_ORDERS)
    assert scopes == {} and results["fct_orders"].scope == "whole relation"
    assert not results["fct_orders"].passed(ERROR)
    assert "projection failed" in results["fct_orders"].failures(ERROR)[0].error
