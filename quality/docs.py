"""Data Docs (GX) and dbt docs as static folders that open from disk, without internet.

Layout under UMKM_DOCS_DIR (default: `docs/` next to the warehouse, i.e. ./data/docs):

    index.html                  links to the two below
    gx/index.html               every suite of the last validation of each layer, with its failures
    gx/raw/, gx/marts/          GX Data Docs sites, one per layer (refreshed by each check run)
    dbt/index.html              `dbt docs generate --static`: models, columns, tests, lineage

The GX sites are rendered by `quality.data_docs` (while `quality.validate` validates); this
module validates every suite for them and runs `dbt docs generate`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from ingest.settings import Settings
from quality.data_docs import write_home


def docs_dir_from_env(warehouse_path: Path) -> Path:
    """UMKM_DOCS_DIR, else `docs/` beside the warehouse (./data/docs with the default settings)."""
    return Settings.from_env().docs_beside(warehouse_path)


def build_gx_docs(warehouse: Path, docs_dir: Path, layers=("raw", "marts")) -> list:
    """Validate every suite of `layers` against the warehouse and write their Data Docs."""
    from quality.suites import ALL_TARGETS
    from quality.validate import connect_read_only, validate_targets

    results = []
    con = connect_read_only(warehouse)
    try:
        for layer in layers:
            targets = [t for t in ALL_TARGETS if t.layer == layer]
            results += validate_targets(con, targets, docs_site=docs_dir / "gx" / layer)
    finally:
        con.close()
    return results


# ---------------------------------------------------------------- dbt docs

def build_dbt_docs(docs_dir: Path, dbt_executable: str, project_dir: Path) -> Path:
    """`dbt docs generate --static` into a scratch target; the one-file site goes to docs_dir/dbt."""
    target = docs_dir / ".dbt_target"
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"}
    subprocess.run([dbt_executable, "docs", "generate", "--static", "--project-dir", str(project_dir),
                    "--profiles-dir", str(project_dir), "--target-path", str(target), "--quiet"],
                   check=True, env=env, cwd=project_dir)
    out = docs_dir / "dbt"
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(target / "static_index.html", out / "index.html")
    shutil.rmtree(target, ignore_errors=True)
    write_home(docs_dir)
    return out / "index.html"
