"""The GX suites of `quality/` on small DuckDB tables, their Dagster wiring, and the Data Docs."""

import json
import re
from datetime import date, datetime

import dagster as dg
import duckdb
import pytest

from ingest.raw_schema import PERSONAL_COLUMNS, create_raw_schema
from quality import suites
from quality.suites import ERROR, WARN
from quality.validate import validate_targets

NIK = "3374011203850001"
NEEDLES = [NIK, "Siti Aminah", "081234567890", "budi88", "Budi Santoso", "Jl. Pemuda 12"]
LINEAGE = {"landing_path": "x/file.csv", "sha256": "v1", "row_number": 1,
           "file_landed_at": datetime(2021, 10, 1), "loaded_at": datetime(2021, 10, 1)}
GOOD = {
    "survey_submissions": dict(
        submission_id="1", survey_period="2021-03", submitted_at_utc=datetime(2021, 3, 10, 2),
        submitted_date_wib=date(2021, 3, 10), umkm_key="a" * 32, nik=NIK, owner_name="Siti Aminah",
        phone="081234567890", region_code="3374", sector_code="food_beverage", scale="mikro", is_impacted=True,
        primary_constraint_code="marketing", turnover_before_idr=15_000_000, turnover_after_idr=5_000_000,
        workers_before=4, workers_after=2, validation_status=""),
    "enrollments": dict(program_id="gofood_banner_promo", umkm_key="a" * 32, nik=NIK, region_code="3374",
                        sector_code="food_beverage", platform_merchant_id="G-A", joined_date=date(2021, 3, 1)),
    "gofood_transactions": dict(transaction_id="T1", transaction_ts_utc=datetime(2021, 9, 5, 3),
                                transaction_date_wib=date(2021, 9, 5), amount=100_000, nett_amount=90_000,
                                transaction_status="settlement", feature="GoFood", merchant_id="G-A", currency="IDR"),
    "shopee_order_lines": dict(shop_id="5001", order_id="O1", order_status="Selesai", sku_ref="SKU-A",
                               variation_name="", order_created_ts_utc=datetime(2021, 9, 10, 3),
                               order_created_date_wib=date(2021, 9, 10), price_after_discount=169_000, quantity=2,
                               returned_quantity=0, order_total_payment=388_000, buyer_username="budi88",
                               recipient_name="Budi Santoso", recipient_phone="081234567890",
                               shipping_address="Jl. Pemuda 12"),
    "uvo_transactions": dict(transaction_id="V1", participant_id="UVO-C", participant_name="Siti Aminah",
                             transaction_ts_utc=datetime(2021, 5, 3, 3), transaction_date_wib=date(2021, 5, 3),
                             buyer_country="SG", currency="SGD", amount=1000, status="lunas"),
    "mbizmarket_orders": dict(order_id="PO-1", order_ts_utc=datetime(2021, 9, 10, 7), order_date_wib=date(2021, 9, 10),
                              vendor_id="MBZ-1", subtotal=12_500_000, vat=1_250_000, shipping=50_000,
                              order_total=13_800_000, order_status="Selesai", buyer_contact_name="Budi Santoso",
                              buyer_contact_phone="081234567890"),
    "training_registrations": dict(activity_id="mbiz-pbj-2021-08", registered_ts_utc=datetime(2021, 8, 2, 2),
                                   registered_date_wib=date(2021, 8, 2), umkm_key="a" * 32, nik=NIK,
                                   participant_name="Siti Aminah", whatsapp="081234567890", business_name="Keripik",
                                   region_code="3374", sector_code="food_beverage", attendance="Hadir",
                                   attended=True),
    "lapak_ganjar_promotions": dict(shown_date=date(2021, 9, 5), umkm_key="a" * 32, nik=NIK, business_name="Keripik",
                                    region_code="3374", sector_code="food_beverage"),
}


def insert(con, table: str, **values) -> None:
    row = {**LINEAGE, **GOOD[table], **values}
    con.execute(f"insert into raw.{table} ({', '.join(row)}) values ({', '.join('?' for _ in row)})",
                list(row.values()))


@pytest.fixture
def con():
    con = duckdb.connect()
    create_raw_schema(con)
    yield con
    con.close()


def validate(con, *targets):
    return {r.target.table: r for r in validate_targets(con, targets, today=date(2022, 6, 30))}


def failed(result, severity=ERROR) -> dict[str, object]:
    return {o.rule: o for o in result.failures(severity)}


def test_empty_raw_layer_passes(con):
    for result in validate(con, *suites.RAW_TARGETS).values():
        assert not result.failures(), result.failures()
        assert not [o for o in result.outcomes if o.error]


def test_good_rows_pass_every_expectation(con):
    for table in GOOD:
        insert(con, table)
    insert(con, "enrollments", program_id="shopee_kampus_umkm", platform_merchant_id="5001")
    insert(con, "enrollments", program_id="uvo_2021", platform_merchant_id="UVO-C")
    insert(con, "enrollments", program_id="mbizmarket_pbj", platform_merchant_id="MBZ-1")
    for result in validate(con, *suites.RAW_TARGETS).values():
        assert not result.failures(ERROR) and not result.failures(WARN), result.failures()


def test_wrong_figures_of_the_new_sources_block(con):
    """A Total Pesanan its parts do not make, an attendee who registered after the activity ended,
    a promotion dated 2031, an unknown activity: each would publish a wrong figure."""
    insert(con, "mbizmarket_orders", order_total=12_500_000)               # PPN and shipping not in it
    insert(con, "mbizmarket_orders", order_id="PO-2", order_status="Lunas")
    insert(con, "training_registrations", registered_ts_utc=datetime(2021, 8, 20, 2),
           registered_date_wib=date(2021, 8, 20))                          # after 12 Aug, marked Hadir
    insert(con, "training_registrations", registered_date_wib=date(2021, 8, 20), attended=False, attendance=None)
    insert(con, "training_registrations", activity_id="kelas-rahasia")
    insert(con, "lapak_ganjar_promotions", shown_date=date(2031, 1, 5))
    results = validate(con, *suites.RAW_TARGETS)
    mbiz = failed(results["mbizmarket_orders"])
    assert set(mbiz) == {"expect_column_values_to_be_between(total_gap)",
                         "expect_column_values_to_be_in_set(order_status)"}, mbiz
    assert mbiz["expect_column_values_to_be_between(total_gap)"].sample_values == ["1300000"]
    training = failed(results["training_registrations"])
    assert set(training) == {"expect_column_values_to_be_in_set(registered_before_attending)",
                             "expect_column_values_to_be_in_set(activity_id)"}, training
    assert training["expect_column_values_to_be_in_set(registered_before_attending)"].unexpected_count == 1
    assert set(failed(results["lapak_ganjar_promotions"])) == {"expect_column_values_to_be_between(shown_year)",
                                                               "expect_column_values_to_be_between(shown_date)"}


def test_amounts_in_thousands_fail_with_counts_and_samples(con):
    insert(con, "enrollments")
    insert(con, "gofood_transactions", transaction_id="T1", amount=100, nett_amount=90)
    insert(con, "gofood_transactions", transaction_id="T2", row_number=2, amount=45, nett_amount=40)
    insert(con, "gofood_transactions", transaction_id="T3", row_number=3)
    result = validate(con, suites.GOFOOD)["gofood_transactions"]
    outcome = failed(result)["expect_column_values_to_be_between(amount)"]
    assert (outcome.unexpected_count, outcome.element_count) == (2, 3)
    assert sorted(outcome.sample_values) == ["100", "45"]
    assert sorted(outcome.sample_rows) == ["landing_path=x/file.csv row_number=1 transaction_id=T1",
                                           "landing_path=x/file.csv row_number=2 transaction_id=T2"]
    assert "thousands" in outcome.summary() and "Rp 1.000" in outcome.summary()


def test_ids_unique_within_a_file_version_not_across_versions(con):
    insert(con, "uvo_transactions", sha256="v1")
    insert(con, "uvo_transactions", sha256="v2", landing_path="uvo/other.csv")   # same id, other file: fine
    assert not validate(con, suites.UVO)["uvo_transactions"].failures(ERROR)
    insert(con, "uvo_transactions", sha256="v2", landing_path="uvo/other.csv", row_number=2)
    outcome = failed(validate(con, suites.UVO)["uvo_transactions"])[
        "expect_column_values_to_be_between(transaction_rows_in_version)"]
    assert outcome.unexpected_count == 2 and outcome.sample_values == ["2", "2"]


def test_a_missing_sku_is_a_key_value_for_order_line_uniqueness(con):
    insert(con, "shopee_order_lines", sku_ref=None, variation_name=None)
    insert(con, "shopee_order_lines", sku_ref="SKU-B", row_number=2)           # another line of the order
    insert(con, "shopee_order_lines", sku_ref=None, variation_name="Merah", row_number=3)
    assert not validate(con, suites.SHOPEE)["shopee_order_lines"].failures(ERROR)
    insert(con, "shopee_order_lines", sku_ref=None, variation_name=None, row_number=4)   # the first line again
    outcome = failed(validate(con, suites.SHOPEE)["shopee_order_lines"])[
        "expect_column_values_to_be_between(order_line_rows_in_version)"]
    assert outcome.unexpected_count == 2
    assert sorted(outcome.sample_rows) == ["landing_path=x/file.csv row_number=1 shop_id=5001 order_id=O1",
                                           "landing_path=x/file.csv row_number=4 shop_id=5001 order_id=O1"]


def test_unknown_statuses_currencies_and_regions_fail(con):
    insert(con, "gofood_transactions", transaction_status="Berhasil")
    insert(con, "uvo_transactions", currency="XYZ")
    insert(con, "shopee_order_lines", order_status="Completed")
    insert(con, "enrollments", region_code="3199")
    results = validate(con, suites.GOFOOD, suites.UVO, suites.SHOPEE, suites.ENROLLMENT)
    assert failed(results["gofood_transactions"])["expect_column_values_to_be_in_set(transaction_status)"] \
        .sample_values == ["berhasil"]
    uvo = failed(results["uvo_transactions"])
    assert {"expect_column_values_to_be_in_set(currency)",
            "expect_column_values_to_not_be_null(idr_per_unit)"} <= set(uvo)
    assert "expect_column_values_to_be_in_set(order_status)" in failed(results["shopee_order_lines"])
    assert "expect_column_values_to_be_in_set(region_code)" in failed(results["enrollments"])


def test_uvo_month_without_fx_rate_fails(con):
    insert(con, "uvo_transactions", transaction_date_wib=date(2020, 1, 15))   # the seeds start in 2021
    assert "expect_column_values_to_not_be_null(idr_per_unit)" in failed(validate(con, suites.UVO)["uvo_transactions"])


def test_dates_outside_the_plausible_range_fail(con):
    insert(con, "gofood_transactions", transaction_date_wib=date(2031, 9, 5))
    insert(con, "gofood_transactions", transaction_id="T2", transaction_date_wib=date(2012, 5, 9))
    outcome = failed(validate(con, suites.GOFOOD)["gofood_transactions"])[
        "expect_column_values_to_be_between(transaction_date_wib)"]
    assert sorted(outcome.sample_values) == ["2012-05-09", "2031-09-05"]


def test_unenrolled_merchant_is_a_warning_not_an_error(con):
    insert(con, "gofood_transactions", merchant_id="G-X")
    insert(con, "gofood_transactions", transaction_id="T2", merchant_id="G-X", transaction_status="cancel")
    result = validate(con, suites.GOFOOD)["gofood_transactions"]
    assert not result.failures(ERROR)
    outcome = failed(result, WARN)["expect_column_values_to_be_in_set(counted_merchant_enrolled)"]
    assert outcome.unexpected_count == 1   # only the counted (settled) transaction is looked at


def test_missing_required_column_is_reported_and_the_row_suite_skipped(con):
    con.execute("alter table raw.gofood_transactions drop column amount")
    result = validate(con, suites.GOFOOD)["gofood_transactions"]
    errors = result.failures(ERROR)
    assert errors[0].observed == "missing columns: amount"
    assert all("required columns missing" in (o.error or "") for o in errors[1:]) and len(errors) > 5


def test_results_never_carry_personal_data(con):
    for table in GOOD:   # rows that break rules, in rows full of personal data
        insert(con, table, row_number=1)
        insert(con, table, row_number=2, **({"region_code": "9999"} if "region_code" in GOOD[table] else {}))
    insert(con, "gofood_transactions", row_number=3, amount=5)
    results = validate(con, *suites.RAW_TARGETS)
    assert sum(len(r.failures()) for r in results.values()) > 3
    text = json.dumps([o.as_dict() for r in results.values() for o in r.outcomes], default=str)
    assert not [n for n in NEEDLES if n in text]
    for target in suites.ALL_TARGETS:
        for suite in target.suites:
            assert not PERSONAL_COLUMNS & set(suite.sample_columns), suite.name


def _marts(con, monthly_turnover=438_000, summary_turnover=438_000):
    con.execute("create schema marts; create schema intermediate")
    con.execute("create table marts.dim_program as select * from (values "
                "('shopee_kampus_umkm', 'Kampus UMKM', 'shopee', null, date '2021-09-01', date '2022-12-31')) "
                "t(program_id, program_name, platform, feature, start_date, end_date)")
    con.execute("create table intermediate.int_enrollments_deduped as select * from (values "
                "('shopee_kampus_umkm', '5001', 'k1', date '2021-09-01')) "
                "t(program_id, platform_merchant_id, umkm_key, joined_date)")
    con.execute("create table marts.fct_orders as select * from (values "
                "('shopee', 'O1', '5001', 'k1', null, date '2021-09-10', true, 338000.00::decimal(18,2)), "
                "('shopee', 'O3', '5001', 'k1', null, date '2021-10-01', true, 100000.00::decimal(18,2)), "
                "('shopee', 'O2', '5001', 'k1', null, date '2021-08-20', true, 100000.00::decimal(18,2))) "
                "t(platform, order_id, platform_merchant_id, umkm_key, feature, order_date, is_counted, amount_idr)")
    con.execute(f"create table marts.mart_program_summary as select * from (values "
                f"('shopee_kampus_umkm', 1, 1, 2, {summary_turnover}::decimal(18,2), 0::decimal(18,2))) "
                f"t(program_id, n_enrolled_umkm, n_active_umkm, n_orders, turnover_idr, turnover_foreign_idr)")
    con.execute(f"create table marts.mart_turnover_monthly as select * from (values "
                f"(date '2021-09-01', 'shopee_kampus_umkm', '3374', 'food_beverage', 1, 1, 338000::decimal(18,2), "
                f"0::decimal(18,2)), (date '2021-10-01', 'shopee_kampus_umkm', '3374', 'food_beverage', 1, 1, "
                f"{monthly_turnover - 338_000}::decimal(18,2), 0::decimal(18,2))) t(month, program_id, region_code, "
                f"sector_code, n_active_umkm, n_orders, turnover_idr, turnover_foreign_idr)")


def test_program_turnover_reconciles_with_orders_and_months(con):
    _marts(con)
    results = validate(con, suites.PROGRAM_SUMMARY, suites.TURNOVER_MONTHLY)
    # one program of four in this small programs table: only the row count fails
    assert list(failed(results["mart_program_summary"])) == ["expect_table_row_count_to_equal"]
    assert not results["mart_turnover_monthly"].failures()


def test_reconciliation_mismatches_fail_with_the_program_named(con):
    _marts(con, monthly_turnover=400_000, summary_turnover=538_000)
    results = validate(con, suites.PROGRAM_SUMMARY, suites.TURNOVER_MONTHLY)
    summary = failed(results["mart_program_summary"])[
        "expect_column_pair_values_to_be_equal(turnover_idr, turnover_of_counted_program_orders)"]
    assert summary.sample_values == ["(538000, 438000)"]
    assert summary.sample_rows == ["program_id=shopee_kampus_umkm"]
    monthly = failed(results["mart_turnover_monthly"])
    assert "expect_column_pair_values_to_be_equal(monthly_turnover_idr, program_summary_turnover_idr)" in monthly


def test_impact_shares_and_counts(con):
    con.execute("create schema marts")
    columns = ", ".join(f"n_constraint_{c}" for c in ("marketing", "capital", "raw_materials", "distribution",
                                                      "production", "labour", "other"))
    con.execute(f"create table marts.mart_impact_summary as select * from (values "
                f"('2021-03', '3374', 'food_beverage', 'mikro', 2, 2, 1, 1, 0, 0, 0, 0, 0, 1.0, 1.0, 1, 1), "
                f"('2021-03', '3309', 'fashion', 'kecil', 1, 2, 1, 0, 0, 0, 0, 0, 0, 1.0, 1.0, 1, 1)) "
                f"t(survey_period, region_code, sector_code, scale, n_respondents, n_impacted, {columns}, "
                f"turnover_before_idr, turnover_after_idr, workers_before, workers_after)")
    errors = failed(validate(con, suites.IMPACT)["mart_impact_summary"])
    assert set(errors) == {"expect_column_pair_values_a_to_be_greater_than_b(n_respondents, n_impacted)",
                           "expect_column_values_to_be_between(share_impacted)"}
    assert errors["expect_column_values_to_be_between(share_impacted)"].sample_values == ["2"]


BAD = {   # per raw table, rows that break rules (several per rule, some rules many times)
    "survey_submissions": [dict(survey_period="2021-3", scale="Mikro", region_code="9999", workers_before=500,
                                turnover_before_idr=50_000, validation_status="approved"),
                           dict(survey_period=None, sector_code=None, submitted_date_wib=date(2031, 1, 1),
                                validation_status=""),
                           dict(submission_id=None, primary_constraint_code="covid", turnover_after_idr=-1)],
    "enrollments": [dict(program_id="nope", joined_date=date(2012, 1, 1)), dict(platform_merchant_id=None),
                    dict(region_code=None, sector_code="mining")],
    "gofood_transactions": [dict(amount=100, nett_amount=90), dict(amount=45, nett_amount=50, feature="GoX"),
                            dict(transaction_status="Berhasil", currency="USD"), dict(merchant_id="G-X"),
                            dict(transaction_id=None, transaction_date_wib=None)],
    "shopee_order_lines": [dict(order_status="Completed", quantity=0, returned_quantity=2),
                           dict(order_total_payment=169, price_after_discount=None), dict(shop_id="9")],
    "uvo_transactions": [dict(currency="XYZ", buyer_country="sg"), dict(status=None, amount=-5),
                         dict(transaction_date_wib=date(2020, 1, 15)), dict(participant_id="UVO-X")],
    "mbizmarket_orders": [dict(order_total=1), dict(order_status="Lunas", subtotal=500), dict(vendor_id=None),
                          dict(vendor_id="MBZ-X", order_date_wib=date(2031, 1, 1))],
    "training_registrations": [dict(activity_id="nope", region_code="9999"), dict(umkm_key=None, attendance="hadir"),
                               dict(registered_date_wib=date(2021, 9, 1))],
    "lapak_ganjar_promotions": [dict(shown_date=date(2019, 5, 1)), dict(umkm_key=None, sector_code="mining")],
}


def _comparable(result):
    out = []
    for o in result.outcomes:
        samples = sorted(o.sample_values) if (o.unexpected_count or 0) <= 5 else None
        out.append((o.suite, o.rule, o.severity, o.success, o.element_count, o.unexpected_count,
                    o.unexpected_percent, samples, len(o.sample_rows), o.error, o.observed))
    return out


def test_sql_counts_and_gx_on_whole_frames_give_the_same_outcomes(con):
    """The fast path (row rules counted in DuckDB, GX on the failing rows) reports what GX
    reported when it validated every row, rule by rule, on rows that break most rules."""
    for table in GOOD:
        insert(con, table)
        for n, bad in enumerate(BAD[table] * 3, start=2):
            insert(con, table, row_number=n, **bad)
    insert(con, "uvo_transactions", transaction_id="V9", row_number=99)   # a duplicate id in the version
    _marts(con, monthly_turnover=400_000, summary_turnover=538_000)
    targets = [*suites.RAW_TARGETS, suites.PROGRAM_SUMMARY, suites.TURNOVER_MONTHLY]
    fast = validate_targets(con, targets, today=date(2022, 6, 30))
    whole = validate_targets(con, targets, today=date(2022, 6, 30), sql_counts=False)
    assert sum(len(r.failures()) for r in fast) > 40
    for f, w in zip(fast, whole):
        assert f.rows == w.rows
        assert _comparable(f) == _comparable(w)


def test_every_expectation_is_a_gx_expectation_with_a_severity():
    import great_expectations.expectations as gxe

    from quality.validate import gx_expectation

    for target in suites.ALL_TARGETS:
        for expect in target.expectations():
            assert expect.severity in (ERROR, WARN) and expect.notes
            assert gx_expectation(expect, date(2022, 1, 1)).severity.value in ("critical", "warning")
            assert hasattr(gxe, expect.type)
    counts = suites.expectation_counts()
    assert counts["raw"][ERROR] > 50 and counts["marts"][ERROR] > 30 and counts["raw"][WARN] > 5


def test_data_docs_are_static_and_offline(con, tmp_path):
    insert(con, "gofood_transactions", amount=100)
    insert(con, "gofood_transactions", transaction_id="T2", row_number=2)   # GX sees only the failing row
    site = tmp_path / "docs" / "gx" / "raw"
    validate_targets(con, [suites.GOFOOD, suites.LEDGER], docs_site=site)
    index = (site / "index.html").read_text()
    assert "raw.gofood_transactions" in index and "FAIL" in index and "thousands" in index
    pages = list(site.rglob("*.html"))
    assert len(pages) >= 5
    for page in pages:
        text = page.read_text()
        assert not [tag for tag in ("<script src=\"http", "<link rel=\"stylesheet\" href=\"http") if tag in text], page
    [validation] = [p for p in pages if "validations" in p.parts and p.name == "umkm-raw.gofood_transactions.html"]
    words = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", validation.read_text()))   # rendered server-side
    assert "values must be greater than or equal to 1000.0" in words and "1 unexpected values found" in words
    assert "of 2 total rows" in words   # the counts of the whole table, from SQL
    assert f'href="{validation.relative_to(site)}"' in index
    assert (tmp_path / "docs" / "gx" / "index.html").exists() and (tmp_path / "docs" / "index.html").exists()


# ---------------------------------------------------------------- Dagster wiring

def test_checks_target_assets_of_the_graph_and_block_the_right_steps():
    from orchestration.assets.quality import ERROR_CHECK, QUALITY_CHECKS, WARN_CHECK
    from orchestration.definitions import build_definitions

    defs = build_definitions()
    graph = defs.resolve_asset_graph()
    specs = [spec for checks in QUALITY_CHECKS for spec in checks.check_specs]
    keys = set(graph.get_all_asset_keys())
    assert {spec.asset_key for spec in specs} <= keys
    assert {dep.asset_key for spec in specs for dep in spec.additional_deps} <= keys
    assert all(spec.blocking == (spec.name == ERROR_CHECK) for spec in specs)
    assert {spec.name for spec in specs} == {ERROR_CHECK, WARN_CHECK}
    for job_name in ("full_refresh", "refresh_marts"):
        job = defs.resolve_job_def(job_name)
        nodes = {node.name for node in job.graph.nodes}
        assert {"raw_quality_checks", "mart_quality_checks"} <= nodes
        deps = job.graph.dependency_structure
        upstream = {o.node_name for o in deps.all_upstream_outputs_from_node("umkm_dbt_models")}
        assert "raw_quality_checks" in upstream
        serving = {o.node_name for o in deps.all_upstream_outputs_from_node("serving_marts")}
        assert "mart_quality_checks" in serving
        assert "dimension_quality_checks" in nodes
    assert "raw_quality_checks" not in {node.name for node in defs.resolve_job_def("load_landing_file").graph.nodes}


def test_check_results_carry_severity_counts_and_samples(con):
    from orchestration.assets.quality import ERROR_CHECK, WARN_CHECK, check_results, target_key

    insert(con, "gofood_transactions", amount=100, merchant_id="G-X")
    [result] = validate_targets(con, [suites.GOFOOD], today=date(2022, 6, 30))
    key = target_key(suites.GOFOOD)
    selected = {dg.AssetCheckKey(key, ERROR_CHECK), dg.AssetCheckKey(key, WARN_CHECK)}
    error, warn = check_results(result, selected)
    assert (error.passed, error.severity, warn.passed, warn.severity) == (
        False, dg.AssetCheckSeverity.ERROR, False, dg.AssetCheckSeverity.WARN)
    assert error.metadata["failed_expectations"].value == 1 and error.metadata["unexpected_rows"].value == 1
    assert "| raw.gofood_transactions |" in error.metadata["failures"].value
    assert "Amount between" in error.description and "transaction_id=T1" in error.description
