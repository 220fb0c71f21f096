"""Write the dashboards of a running Superset back to bi/assets (after changing them in Superset).

    .venv-bi/bin/python bi/export.py [--url http://127.0.0.1:8088] [--all]

Exports the office's dashboards (those whose slug bi/assets already holds; `--all` for every
dashboard) with Superset's own export (`/api/v1/dashboard/export/`, the YAML bundle that
`make bi` imports) and rewrites bi/assets with it, made stable for review:
- file names without Superset's ids; keys sorted;
- the DuckDB database keeps the relative default path (`make bi` puts the real one in);
- ids that differ from one Superset to the next (`slice_id`, `dashboards`, `datasource`) are
  dropped from the charts (the importer finds them by uuid).
A chart without a stored query context is refused: open it once in Explore (or run
`bi/browser.py --explore`), so the chart data API (and the tests) can read it.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import shutil
import sys
import urllib.request
import zipfile
from pathlib import Path

import yaml

ASSETS = Path(__file__).resolve().parent / "assets"
sys.path.insert(0, str(Path(__file__).resolve().parent))
from browser import api, api_token  # noqa: E402
from start import DUCKDB_DATABASE_FILE  # noqa: E402

DEFAULT_DUCKDB_URI = "duckdb:///data/serving/marts.duckdb"
VOLATILE_PARAMS = ("slice_id", "dashboards", "datasource")


def slugs_in_assets() -> set[str]:
    return {yaml.safe_load(path.read_text(encoding="utf-8")).get("slug")
            for path in (ASSETS / "dashboards").glob("*.yaml")}


def stable_name(name: str) -> str:
    """`charts/Omzet_program_per_bulan_9.yaml` -> `charts/Omzet_program_per_bulan.yaml`."""
    folder, _, file = name.rpartition("/")
    if folder.startswith(("charts", "dashboards", "datasets")):
        file = re.sub(r"_\d+\.yaml$", ".yaml", file)
    return f"{folder}/{file}" if folder else file


def normalise(name: str, config: dict) -> dict:
    if name.startswith("databases/"):
        if name == DUCKDB_DATABASE_FILE:
            config["sqlalchemy_uri"] = DEFAULT_DUCKDB_URI
    elif name.startswith("charts/"):
        if not config.get("query_context"):
            raise SystemExit(f"{config['slice_name']!r} has no stored query context: open it once in Explore "
                             "(or run bi/browser.py --explore) and export again")
        for key in VOLATILE_PARAMS:
            config["params"].pop(key, None)
        context = json.loads(config["query_context"])
        context.pop("datasource", None)
        context.get("form_data", {}).pop("datasource", None)
        for key in ("slice_id", "dashboards", "dashboardId"):
            context.get("form_data", {}).pop(key, None)
        for query in context.get("queries", []):
            query.pop("datasource", None)
        config["query_context"] = json.dumps(context, sort_keys=True, ensure_ascii=False)
    elif name == "metadata.yaml":
        config.pop("timestamp", None)       # the time of the export: noise in a review
    return config


def export(base: str, username: str, password: str, everything: bool) -> list[str]:
    token = api_token(base, username, password)
    dashboards = api(base, token, "/api/v1/dashboard/?q=(page_size:100)")["result"]
    wanted = slugs_in_assets()
    ids = [d["id"] for d in dashboards if everything or d["slug"] in wanted]
    if not ids:
        raise SystemExit("no dashboard to export")
    request = urllib.request.Request(f"{base}/api/v1/dashboard/export/?q=!({','.join(map(str, ids))})",
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=120) as answer:
        archive = zipfile.ZipFile(io.BytesIO(answer.read()))
    files: dict[str, dict] = {}
    for member in archive.namelist():
        if not member.endswith(".yaml"):
            continue
        name = stable_name(member.split("/", 1)[1])
        files[name] = normalise(name, yaml.safe_load(archive.read(member)))
    shutil.rmtree(ASSETS, ignore_errors=True)
    for name, config in sorted(files.items()):
        path = ASSETS / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=True, width=110), encoding="utf-8")
    return sorted(files)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8088")
    parser.add_argument("--user", default="admin")
    parser.add_argument("--all", action="store_true", help="every dashboard, not only those bi/assets holds")
    args = parser.parse_args()
    names = export(args.url, args.user, os.environ.get("UMKM_BI_ADMIN_PASSWORD") or "admin", args.all)
    print(f"wrote {len(names)} files to {ASSETS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
