"""The dbt models, seeds and tests as Dagster assets (dagster-dbt)."""


import importlib.metadata
import json
import os
import shutil
import sys
from functools import cached_property
from pathlib import Path

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets
from packaging import version

from orchestration.automation import WAREHOUSE_POOL
from orchestration.dbt_paths import DBT_PROJECT_DIR, manifest_is_current
from orchestration.dbt_plan import as_exclusion, dbt_build_args, planned_models
from orchestration.progress import dbt_planned, dbt_tested
from orchestration.resources import UmkmSettings
from orchestration.run_change_set import record_full_build, run_change_set

RECONCILIATION_KEY = dg.AssetKey("landing_reconciliation")

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
# The dbt next to this interpreter: works without an activated virtualenv.
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")
# Each build writes its own target folder (dbt.log, manifest, compiled SQL: about 8 MB); the
# newest are kept for reading a failed build's log, the older ones would fill the disk.
KEEP_BUILD_FOLDERS = 20


def prepare_manifest(project: DbtProject = dbt_project) -> Path:
    """Run `dbt parse` when the manifest is missing or older than any project file.

    Dagster needs the manifest to build the asset graph; a fresh clone has none.
    """
    manifest = Path(project.manifest_path)
    if not manifest_is_current(manifest):
        dbt_cli_resource().cli(["parse", "--quiet"],
                                                 target_path=Path(project.target_path)).wait()
    return manifest


class UmkmDbtCliResource(DbtCliResource):
    """dagster-dbt's CLI resource without two start-up costs of each build.

    - For every `cli()` call dagster-dbt builds a dbt adapter in this process (about 3 s), used
      only to fetch row counts and column metadata afterwards; we fetch neither, and the dbt
      subprocess has its own adapter.
    - It learns dbt's version by running `dbt --version` (2,3 s: a whole dbt start-up); our dbt
      is the dbt-core installed next to this interpreter (DBT_EXECUTABLE).
    (Private members of the pinned dagster-dbt; tests/test_dbt_resource.py fails if an upgrade
    renames them.)
    """

    def _initialize_dbt_core_adapter(self, args):
        return None

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))


def dbt_cli_resource() -> DbtCliResource:
    return UmkmDbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)


def keep_partial_parse(invocation_target: Path, project: DbtProject = dbt_project) -> None:
    """Make a build's parse state the one the next build starts from.

    dagster-dbt copies `target/partial_parse.msgpack` into each invocation's own target folder.
    dbt reuses it only when it was written with the same profile (warehouse path included), so
    the one `dbt parse` wrote at import time is rejected and every build re-parsed in full. The
    copy back is atomic: a concurrent build reads the old file or the new one, never half of
    one, and dbt still falls back to a full parse when a project file or the profile differs.
    """
    written = invocation_target / "partial_parse.msgpack"
    if not written.exists():
        return
    shared = Path(project.project_dir) / project.target_path / "partial_parse.msgpack"
    staging = shared.with_name(f".partial_parse.{os.getpid()}.msgpack")
    shutil.copyfile(written, staging)
    os.replace(staging, shared)


def prune_build_folders(current: Path, keep: int = KEEP_BUILD_FOLDERS) -> list[Path]:
    """Remove the target folders of older builds of the same asset, all but the `keep` newest.

    dagster-dbt names them `<op>-<run id>-<random>` next to each other and never removes them.
    A concurrent build's folder is being written, hence among the newest, and is kept.
    """
    prefix = current.name.split("-")[0] + "-"
    ages = {}
    for folder in current.parent.glob(f"{prefix}*"):
        try:
            if folder.is_dir() and folder != current:
                ages[folder] = folder.stat().st_mtime
        except OSError:   # removed meanwhile by a concurrent build's pruning
            continue
    removed = sorted(ages, key=ages.get, reverse=True)[max(keep - 1, 0):]
    for folder in removed:
        shutil.rmtree(folder, ignore_errors=True)
    return removed


# The dbt tests are not Dagster asset checks: the GX suites are (an error and a warn check on every raw
# table and mart, quality/). Every Dagster check costs two or three event writes in each run that
# plans it, run or not, about 12 ms each: the 226 dbt tests were 5 s of a new day's run. They still
# run in every `dbt build`: an error stops the build, and the step with it (nothing is published);
# their results are in the build's dbt log.
TRANSLATOR_SETTINGS = DagsterDbtTranslatorSettings(enable_asset_checks=False)


class UmkmDbtTranslator(DagsterDbtTranslator):
    """Group `dbt`; models that read raw sources also wait for the batch load."""

    def get_asset_spec(self, manifest, unique_id, project) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props["resource_type"] in ("model", "seed", "snapshot"):
            spec = spec.replace_attributes(group_name="dbt", owners=["team:data-platform"])
            if any(dep.startswith("source.") for dep in props.get("depends_on", {}).get("nodes", [])):
                # `umkm run` and the nightly run load files in `landing_reconciliation`, then
                # build: this edge puts the build after the load inside one run.
                spec = spec.merge_attributes(deps=[RECONCILIATION_KEY])
        return spec


class DbtBuildConfig(dg.Config):
    """`full_refresh`: rebuild every model and seed from all rows instead of what changed."""

    full_refresh: bool = False


def changed_code(context: dg.AssetExecutionContext) -> set[str]:
    """Models and seeds whose code differs from their last materialization (Dagster's code
    versions: dagster-dbt sets each to the checksum of its file), or that were never built."""
    code_versions = context.assets_def.code_versions_by_key
    keys = [key for key in context.selected_asset_keys if code_versions.get(key)]
    last = context.instance.get_latest_materialization_code_versions(keys)
    return {key.path[-1] for key in keys if last.get(key) != code_versions[key]}


def missing_relations(con, manifest: dict) -> list[str]:
    """Models and seeds of the manifest with no table or view in the warehouse."""
    wanted = {(node["schema"], node["alias"]) for node in manifest["nodes"].values()
              if node["resource_type"] in ("model", "seed")}
    present = set(con.execute("select table_schema, table_name from information_schema.tables").fetchall())
    return sorted(f"{schema}.{name}" for schema, name in wanted - present)


@dbt_assets(manifest=prepare_manifest(), project=dbt_project,
            dagster_dbt_translator=UmkmDbtTranslator(settings=TRANSLATOR_SETTINGS), pool=WAREHOUSE_POOL)
def umkm_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig,
                    umkm: UmkmSettings):
    """Seeds, staging, intermediate and marts, with their dbt tests: only what is downstream of
    the run's change set (orchestration/dbt_plan.py), and nothing at all when nothing changed.
    Incremental models recompute the keys the change set touches; a full rebuild is decided
    here (code versions, an enrollment file, missing tables, the `full_refresh` flag).
    """
    import duckdb

    con = duckdb.connect(str(umkm.warehouse), read_only=True)
    try:
        change_set = run_change_set(context, con)
        manifest = json.loads(Path(dbt_project.manifest_path).read_text())
        missing = missing_relations(con, manifest)
    finally:
        con.close()
    code = changed_code(context)
    args = dbt_build_args(change_set, code, full_refresh=config.full_refresh or bool(missing))
    context.log.info(f"change set: {change_set.describe()}; code changed: {', '.join(sorted(code)) or 'none'}; "
                     f"missing: {', '.join(missing[:5]) or 'none'}; "
                     f"dbt: {' '.join(args) if args else 'nothing to build'}")
    if args is None:
        return   # every output is optional: the marts keep their last materialization
    dbt_planned(planned_models(args, manifest))
    if "--full-refresh" in args:
        record_full_build(context)   # the checks and the publication then take every row
    # dbt's profile reads the warehouse from the environment: hand it this resource's absolute path
    # (a relative UMKM_WAREHOUSE_PATH would be read from dbt_project/).
    os.environ["UMKM_WAREHOUSE_PATH"] = str(umkm.warehouse)
    # Unit tests check the SQL on fixed inputs: `make test` runs them (tests/test_dbt_marts_sql.py);
    # in production they would only repeat the same result (dbt's advice).
    invocation = dbt.cli([*as_exclusion(args, manifest), "--exclude-resource-type", "unit_test"], context=context)
    try:
        for event in invocation.stream():
            if isinstance(event, dg.AssetObservation):   # a test's result: counted, not stored as an event
                dbt_tested()
            else:
                yield event
        keep_partial_parse(invocation.target_path)
    finally:
        prune_build_folders(invocation.target_path)
