"""A bad feed is stopped before it reaches a mart, and the operator sees why.

`umkm run` on a small landing zone builds the marts; then a GoBiz report whose amounts are in
thousands (read as units: Rp 100 for Rp 100.000) lands. The blocking GX check on
raw/gofood_transactions fails with the reason and samples in its metadata, dbt and the serving
copy do not run (the marts keep their last good state), `umkm run` exits non-zero naming the
check. A corrected re-export of the same file replaces its rows and the next run recovers.
The raw checks look only at file versions not yet checked (the watermark in the warehouse):
the new report's rows, not the September ones, and again next run while it stays blocked.
"""

import json
import os
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.assets.serving import MARTS as SERVING_MARTS
from orchestration.cli import main
from quality.suites import MART_TARGETS, RAW_TARGETS
from tests.filemakers import csv_bytes
from tests.runs import pipeline_env
from tests.test_parsers import ENROLL_HEADER, GOBIZ_HEADER, gobiz_row

NIK = "3374011203850001"
OWNER = "Siti Aminah"
BAD_PATH = "gofood/gobiz_2021-10.csv"


def put(landing: Path, relative: str, data: bytes, mtime: int) -> None:
    path = landing / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (mtime, mtime))


def gobiz_report(amounts: list[str]) -> bytes:
    rows = [GOBIZ_HEADER] + [gobiz_row(f"T10-{i}", f"2021-10-0{i + 1}T03:00:00Z", amount, merchant="G-A")
                             for i, amount in enumerate(amounts)]
    return csv_bytes(rows)


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp("quality")
    with pipeline_env(root, "quality-salt", unset=("UMKM_DOCS_DIR",)):
        landing = root / "landing"
        put(landing, "enrollment/peserta.csv", csv_bytes([
            ENROLL_HEADER, ["gofood_banner_promo", NIK, "", "Keripik Tempe Barokah", "3374", "", "kuliner", "G-A",
                            "01/03/2021"]]), 1_630_000_000)
        put(landing, "gofood/gobiz_2021-09.csv", csv_bytes([
            GOBIZ_HEADER, gobiz_row("T1", "2021-09-05T03:00:00Z", "100.000", merchant="G-A"),
            gobiz_row("T2", "2021-09-06T03:00:00Z", "1,250,000", merchant="G-A")]), 1_630_000_001)
        yield root


def serving_rows(root: Path) -> dict[str, list]:
    con = duckdb.connect(str(root / "serving" / "marts.duckdb"), read_only=True)
    try:
        tables = [t for (t,) in con.execute("select table_name from information_schema.tables").fetchall()]
        return {t: sorted(map(repr, con.execute(f'select * from "{t}"').fetchall())) for t in tables}
    finally:
        con.close()


def warehouse_marts(root: Path) -> dict[str, list]:
    con = duckdb.connect(str(root / "warehouse.duckdb"), read_only=True)
    try:
        tables = [t for (t,) in con.execute("select table_name from information_schema.tables "
                                            "where table_schema = 'marts'").fetchall()]
        return {t: sorted(map(repr, con.execute(f'select * from marts."{t}"').fetchall())) for t in tables}
    finally:
        con.close()


def program_turnover(root: Path) -> Decimal:
    con = duckdb.connect(str(root / "serving" / "marts.duckdb"), read_only=True)
    try:
        return con.execute("select turnover_idr from mart_program_summary "
                           "where program_id = 'gofood_banner_promo'").fetchone()[0]
    finally:
        con.close()


def published(root: Path) -> set[str]:
    """The landing paths whose current version reached the published marts (the ledger says)."""
    con = duckdb.connect(str(root / "warehouse.duckdb"), read_only=True)
    try:
        return {path for (path,) in con.execute("select landing_path from raw.landing_files "
                                                "where status = 'loaded' and published_at is not null").fetchall()}
    finally:
        con.close()


def check_evaluation(asset_path: list[str], check_name: str = "gx_error_expectations"):
    _, evaluations = last_run_events(dg.DagsterEventType.ASSET_CHECK_EVALUATION)
    return next(e.event_specific_data for e in evaluations
                if e.event_specific_data.check_name == check_name
                and e.event_specific_data.asset_key == dg.AssetKey(asset_path))


def last_run_events(event_type: dg.DagsterEventType):
    instance = dg.DagsterInstance.get()
    run = instance.get_runs(limit=1)[0]
    return run, [record.dagster_event for record in instance.all_logs(run.run_id, of_type=event_type)]


def test_bad_feed_blocks_marts_and_a_fixed_file_recovers(root, capsys):
    assert main(["run"]) == 0
    assert program_turnover(root) == Decimal("1350000.00")
    good_serving, good_marts = serving_rows(root), warehouse_marts(root)
    assert "gofood/gobiz_2021-09.csv" in published(root)
    capsys.readouterr()

    # The October report arrives with amounts in thousands: 100 means Rp 100.000.
    put(root / "landing", BAD_PATH, gobiz_report(["100", "45", "70"]), 1_630_000_100)
    assert main(["run"]) == 1
    out = capsys.readouterr()
    printed = out.out + out.err
    assert "raw/gofood_transactions gx_error_expectations" in printed
    assert "Amount between Rp 1.000 and Rp 1.000.000.000" in printed
    assert BAD_PATH in printed

    # The check's metadata says why, with counts and samples, and no personal data.
    run, evaluations = last_run_events(dg.DagsterEventType.ASSET_CHECK_EVALUATION)
    evaluation = next(e.event_specific_data for e in evaluations
                      if e.event_specific_data.check_name == "gx_error_expectations"
                      and e.event_specific_data.asset_key == dg.AssetKey(["raw", "gofood_transactions"]))
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    failures = evaluation.metadata["failures_json"].value
    [amount] = [f for f in failures if f["expectation"] == "expect_column_values_to_be_between(amount)"]
    # only the new report's 3 rows were validated, not the 2 checked September ones
    assert amount["unexpected_count"] == 3 and amount["rows"] == 3
    assert evaluation.metadata["scope"].value == "rows of 1 file version(s) of the change set"
    assert BAD_PATH not in published(root)
    assert set(amount["sample_values"]) == {"100", "45", "70"}
    assert all(BAD_PATH in row for row in amount["sample_rows"])
    assert evaluation.metadata["unexpected_rows"].value == 3
    text = json.dumps({k: str(v.value) for k, v in evaluation.metadata.items()})
    assert NIK not in text and OWNER not in text

    # dbt and the serving copy did not run: the marts keep their last good state.
    _, failed_steps = last_run_events(dg.DagsterEventType.STEP_FAILURE)
    assert [e.step_key for e in failed_steps] == ["raw_quality_checks"]
    assert "gx_error_expectations" in failed_steps[0].step_failure_data.error.message
    _, started = last_run_events(dg.DagsterEventType.STEP_START)
    assert not {"umkm_dbt_models", "serving_marts"} & {e.step_key for e in started}
    _, materialized = last_run_events(dg.DagsterEventType.ASSET_MATERIALIZATION)
    assert not [e for e in materialized if e.asset_key.path[0] in ("marts", "staging", "serving_marts")]
    assert serving_rows(root) == good_serving
    assert warehouse_marts(root) == good_marts

    # Re-running without a fix stays blocked: the bad version was not published, so it is
    # still in the change set and validated again.
    assert main(["run"]) == 1
    assert serving_rows(root) == good_serving
    evaluation = check_evaluation(["raw", "gofood_transactions"])
    assert not evaluation.passed and evaluation.metadata["rows_validated"].value == 3
    assert BAD_PATH not in published(root)
    capsys.readouterr()

    # The corrected re-export replaces the file's rows; the next run builds and publishes.
    put(root / "landing", BAD_PATH, gobiz_report(["100.000", "45.000", "70.000"]), 1_630_000_200)
    assert main(["run"]) == 0
    assert program_turnover(root) == Decimal("1565000.00")
    _, evaluations = last_run_events(dg.DagsterEventType.ASSET_CHECK_EVALUATION)
    gx_errors = [e.event_specific_data for e in evaluations
                 if e.event_specific_data.check_name == "gx_error_expectations"]
    # every raw table and the marts every build makes (the publication's deps); the dims and the
    # impact summary were not rebuilt by a GoBiz correction, so their checks do not run
    every_build = [t for t in MART_TARGETS if t.table in SERVING_MARTS]
    assert len(gx_errors) == len(RAW_TARGETS) + len(every_build) and all(e.passed for e in gx_errors)
    assert {e.asset_key.path[-1] for e in gx_errors} == {t.table for t in (*RAW_TARGETS, *every_build)}
    assert (root / "docs" / "gx" / "index.html").exists()
    assert BAD_PATH in published(root)
    assert check_evaluation(["raw", "gofood_transactions"]).metadata["rows_validated"].value == 3

    # Nothing new: no Dagster run at all (no checks, no dbt), the marts stay as they are.
    runs = len(dg.DagsterInstance.get().get_runs())
    capsys.readouterr()
    assert main(["run"]) == 0
    assert "nothing new" in capsys.readouterr().out
    assert len(dg.DagsterInstance.get().get_runs()) == runs
    assert program_turnover(root) == Decimal("1565000.00")


def test_a_failing_mart_check_keeps_the_serving_copy(root):
    """Marts that do not reconcile are not published: the serving copy keeps the last good marts."""
    from orchestration.assets.dbt import umkm_dbt_models
    from orchestration.assets.quality import mart_quality_checks
    from orchestration.assets.serving import serving_marts
    from orchestration.definitions import build_resources

    if not (root / "serving" / "marts.duckdb").exists():
        assert main(["run"]) == 0
    published = serving_rows(root)
    con = duckdb.connect(str(root / "warehouse.duckdb"))
    try:   # a mart out of step with its orders, as a wrong model change would leave it
        con.execute("update marts.mart_program_summary set turnover_idr = turnover_idr + 1 "
                    "where program_id = 'gofood_banner_promo'")
    finally:
        con.close()
    from orchestration.run_change_set import FULL_BUILD_TAG

    result = dg.materialize(   # as after a full build (a model changed): every mart row is checked
        [umkm_dbt_models, serving_marts, mart_quality_checks], resources=build_resources(),
        selection=dg.AssetSelection.assets(serving_marts) | dg.AssetSelection.checks(mart_quality_checks),
        instance=dg.DagsterInstance.ephemeral(), raise_on_error=False, tags={FULL_BUILD_TAG: "true"})
    assert not result.success
    failed = {(e.asset_key.path[-1], e.check_name) for e in result.get_asset_check_evaluations() if not e.passed}
    assert {("mart_program_summary", "gx_error_expectations"),
            ("mart_turnover_monthly", "gx_error_expectations")} <= failed
    assert "serving_marts" not in {e.step_key for e in result.all_events if e.event_type_value == "STEP_START"}
    assert serving_rows(root) == published


def test_umkm_docs_writes_static_data_docs_and_dbt_docs(root):
    if not (root / "warehouse.duckdb").exists():
        assert main(["run"]) == 0
    assert main(["docs"]) == 0
    docs = root / "docs"
    for page in (docs / "index.html", docs / "gx" / "index.html", docs / "gx" / "raw" / "index.html",
                 docs / "gx" / "marts" / "index.html", docs / "dbt" / "index.html"):
        text = page.read_text()
        assert "<script src=\"http" not in text and "<link rel=\"stylesheet\" href=\"http" not in text, page
    assert "mart_program_summary" in (docs / "dbt" / "index.html").read_text()   # manifest and catalog inlined
    assert "raw.gofood_transactions" in (docs / "gx" / "index.html").read_text()
