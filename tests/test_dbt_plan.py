"""What dbt builds for a change set, and the exclusion form the dbt asset hands dagster-dbt."""

import json
import os
import subprocess
import sys
from datetime import datetime

from ingest.change_set import ChangedVersion, ChangeSet
from orchestration.dbt_paths import DBT_PROJECT_DIR
from orchestration.dbt_plan import as_exclusion, dbt_build_args

DBT = os.path.join(os.path.dirname(sys.executable), "dbt")


def changes(*sources: str) -> ChangeSet:
    return ChangeSet(tuple(ChangedVersion(f"{s}/f.csv", "sha", s, "loaded") for s in sources), datetime(2022, 1, 1))


def test_nothing_changed_builds_nothing():
    assert dbt_build_args(ChangeSet((), None)) is None


def test_a_gobiz_day_builds_downstream_of_its_table_and_the_ledger_incrementally():
    assert dbt_build_args(changes("gofood")) == [
        "build", "--select", "source:raw.gofood_transactions+ source:raw.landing_files+"]


def test_full_rebuilds():
    assert dbt_build_args(changes("enrollment"))[-1] == "--full-refresh"        # old orders may move
    assert dbt_build_args(ChangeSet((), None), {"dim_umkm"}) == [
        "build", "--select", "dim_umkm+ source:raw.landing_files+", "--full-refresh"]
    assert dbt_build_args(changes("gofood"), full_refresh=True) == ["build", "--full-refresh"]
    assert dbt_build_args(changes("unknown")) == ["build", "--select", "source:raw.landing_files+"]


def test_the_exclusion_runs_what_dbts_own_selection_runs(tmp_path):
    """dbt ls with the selection lists exactly the nodes the exclusion leaves in."""
    selection = "source:raw.gofood_transactions+ source:raw.landing_files+"
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    args = as_exclusion(["build", "--select", selection], manifest)
    assert "--select" not in args
    excluded = set(args[args.index("--exclude") + 1].split())
    built = {n["name"] for n in manifest["nodes"].values() if n["resource_type"] in ("model", "seed", "test")}
    listed = subprocess.run(
        [DBT, "ls", "--select", selection, "--resource-type", "model", "--resource-type", "seed",
         "--resource-type", "test", "--output", "name", "--project-dir", str(DBT_PROJECT_DIR),
         "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(tmp_path / "target"),
         "--log-path", str(tmp_path / "logs"), "--quiet"],
        env={**os.environ, "UMKM_WAREHOUSE_PATH": str(tmp_path / "w.duckdb")},
        capture_output=True, text=True, check=True).stdout.split()
    assert set(listed) == built - excluded
    assert {"fct_orders", "int_gofood_transactions_deduped"} <= set(listed)
    assert not {"dim_umkm", "mart_impact_summary", "int_survey_submissions_deduped"} & set(listed)


def test_the_publication_waits_only_for_the_marts_every_build_makes():
    """Dagster skips a step with a dep not materialized in the run: the serving asset's deps must
    be the marts downstream of the ledger, which every dbt build selects."""
    from orchestration.assets.serving import MARTS
    from orchestration.dbt_plan import _descendants

    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    always = {manifest["nodes"][uid]["name"] for uid in _descendants(manifest, {"source.umkm.raw.landing_files"})
              if uid.startswith("model.") and manifest["nodes"][uid]["schema"] == "marts"}
    assert set(MARTS) == always
