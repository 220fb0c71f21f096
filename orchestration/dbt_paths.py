"""Where the dbt project is, and whether its parsed manifest is current (no dbt import here)."""

from pathlib import Path

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
# what the manifest is made from: newer files mean it must be parsed again
SOURCES_OF_TRUTH = ("models", "macros", "seeds", "tests", "dbt_project.yml", "profiles.yml")


def manifest_is_current(manifest: Path, project_dir: Path = DBT_PROJECT_DIR) -> bool:
    if not manifest.exists():
        return False
    newest = max(path.stat().st_mtime for name in SOURCES_OF_TRUTH
                 for path in [project_dir / name, *(project_dir / name).rglob("*")] if path.exists())
    return manifest.stat().st_mtime >= newest
