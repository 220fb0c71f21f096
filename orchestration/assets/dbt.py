"""The dbt models, seeds and tests as Dagster assets (dagster-dbt)."""


import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
# The dbt next to this interpreter: works without an activated virtualenv.
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")
_SOURCES_OF_TRUTH = ("models", "macros", "seeds", "dbt_project.yml", "profiles.yml")


def prepare_manifest(project: DbtProject = dbt_project) -> Path:
    """Run `dbt parse` when the manifest is missing or older than any project file.

    Dagster needs the manifest to build the asset graph; a fresh clone has none.
    """
    manifest = Path(project.manifest_path)
    newest = max(path.stat().st_mtime for name in _SOURCES_OF_TRUTH
                 for path in [DBT_PROJECT_DIR / name, *(DBT_PROJECT_DIR / name).rglob("*")]
                 if path.exists())
    if not manifest.exists() or manifest.stat().st_mtime < newest:
        dbt_cli_resource().cli(["parse", "--quiet"],
                                                 target_path=Path(project.target_path)).wait()
    return manifest


def dbt_cli_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)


class UmkmDbtTranslator(DagsterDbtTranslator):
    def get_group_name(self, dbt_resource_props) -> str:
        return "dbt"

    def get_owners(self, dbt_resource_props):
        return ["team:data-platform"]


@dbt_assets(manifest=prepare_manifest(), project=dbt_project,
            dagster_dbt_translator=UmkmDbtTranslator(), pool="duckdb_warehouse")
def umkm_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """Seeds, staging, intermediate and marts, with their dbt tests, in one `dbt build`."""
    yield from dbt.cli(["build"], context=context).stream()
