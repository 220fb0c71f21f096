"""GX Data Docs sites that open from disk, without internet, and the docs home page.

GX renders its pages server-side but pulls Bootstrap, jQuery and fonts from CDNs, and its index
page is filled in by JavaScript. Offline, we strip the remote references, add a small local
stylesheet, and write our own static index pages (`quality.docs` says what goes where).
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
from datetime import datetime, timezone
from pathlib import Path

_REMOTE = re.compile(r"""<(script|link)\b[^>]*\b(?:src|href)\s*=\s*["']https?://[^>]*>(?:\s*</script>)?""",
                     re.IGNORECASE)
_OFFLINE_CSS = """
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #222; max-width: 80rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
th, td { border: 1px solid #ccc; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
.fail, .text-danger { color: #b00020; } .ok, .text-success { color: #1b7f3b; } .warn { color: #a15c00; }
img[src^="http"], .ge-footer, .modal { display: none; }
code { background: #f6f6f6; padding: 0 .2rem; }
"""


def build_gx_site(context, site_dir: Path, results) -> None:
    """Render the stored validations of `context` into `site_dir`, offline, with our index."""
    site_dir.mkdir(parents=True, exist_ok=True)
    for stale in ("validations", "expectations"):
        shutil.rmtree(site_dir / stale, ignore_errors=True)
    context.build_data_docs(site_names=["umkm"])
    (site_dir / "static" / "styles").mkdir(parents=True, exist_ok=True)
    (site_dir / "static" / "styles" / "offline.css").write_text(_OFFLINE_CSS)
    for page in site_dir.rglob("*.html"):
        make_offline(page, site_dir)
    _write_layer_index(site_dir, results)
    _write_gx_index(site_dir.parent)


def make_offline(page: Path, site_dir: Path) -> None:
    text = page.read_text(encoding="utf-8")
    stylesheet = os.path.relpath(site_dir / "static" / "styles" / "offline.css", page.parent)
    text = _REMOTE.sub("", text)
    if "offline.css" not in text:
        text = text.replace("</head>", f'<link rel="stylesheet" href="{stylesheet}"/>\n</head>', 1)
    page.write_text(text, encoding="utf-8")


def _validation_page(site_dir: Path, suite: str) -> str | None:
    # validations/<suite as path>/<run name>/<run time>/<page>.html; deeper ones belong to other suites
    pages = sorted((site_dir / "validations").joinpath(*suite.split(".")).glob("*/*/*.html"))
    return os.path.relpath(pages[-1], site_dir) if pages else None


def _write_layer_index(site_dir: Path, results) -> None:
    """index.html of one layer's site, plus summary.json that the top index reads."""
    summary = {"layer": site_dir.name, "validated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "targets": []}
    rows = []
    for result in results:
        errors = result.failures("error")
        warns = result.failures("warn")
        state = "FAIL" if errors else ("warn" if warns else "ok")
        summary["targets"].append({"relation": result.target.relation, "state": state,
                                   "expectations": len(result.outcomes), "errors": len(errors),
                                   "warnings": len(warns), "rows": sum(result.rows.values()),
                                   "scope": result.scope})
        suites = []
        for suite in result.target.suites:
            page = _validation_page(site_dir, suite.name)
            expectations = os.path.join("expectations", *suite.name.split(".")) + ".html"
            link = f'<a href="{html.escape(page)}">{suite.name}</a>' if page else suite.name
            suites.append(f'{link} (<a href="{html.escape(expectations)}">expectations</a>)')
        failures = "".join(f'<li class="{o.severity if o.severity == "warn" else "fail"}">'
                           f'{o.severity.upper()}: {html.escape(o.summary())}</li>' for o in errors + warns)
        rows.append(f'<tr><td class="{"fail" if errors else ("warn" if warns else "ok")}">{state}</td>'
                    f'<td>{result.target.relation}</td><td>{"<br>".join(suites)}</td>'
                    f'<td>{len(result.outcomes)}</td><td>{sum(result.rows.values()):,}<br>'
                    f'<small>{html.escape(result.scope)}</small></td>'
                    f'<td><ul>{failures}</ul></td></tr>')
    body = ("<table><tr><th>state</th><th>table</th><th>suites (GX validation result)</th>"
            "<th>expectations</th><th>rows</th><th>failed expectations</th></tr>" + "".join(rows) + "</table>")
    _page(site_dir / "index.html", f"Data Docs: {site_dir.name} layer",
          f"<p>Validated {summary['validated_at']}. ERROR expectations block the marts; "
          f"WARN ones annotate.</p>{body}<p><a href='../index.html'>all layers</a></p>",
          "static/styles/offline.css")
    (site_dir / "summary.json").write_text(json.dumps(summary, indent=2))


def _write_gx_index(gx_dir: Path) -> None:
    rows = []
    for summary_file in sorted(gx_dir.glob("*/summary.json")):
        summary = json.loads(summary_file.read_text())
        for target in summary["targets"]:
            rows.append(f'<tr><td class="{"fail" if target["state"] == "FAIL" else target["state"]}">'
                        f'{target["state"]}</td><td><a href="{summary["layer"]}/index.html">'
                        f'{target["relation"]}</a></td><td>{target["expectations"]}</td>'
                        f'<td>{target["errors"]}</td><td>{target["warnings"]}</td><td>{target["rows"]:,}</td>'
                        f'<td>{summary["validated_at"]}</td></tr>')
    _page(gx_dir / "index.html", "Great Expectations Data Docs",
          "<table><tr><th>state</th><th>table</th><th>expectations</th><th>failed ERROR</th>"
          "<th>failed WARN</th><th>rows</th><th>validated</th></tr>" + "".join(rows) + "</table>"
          "<p><a href='../index.html'>docs home</a></p>", None)
    write_home(gx_dir.parent)


def write_home(docs_dir: Path) -> None:
    links = []
    if (docs_dir / "gx" / "index.html").exists():
        links.append('<li><a href="gx/index.html">Data quality</a>: Great Expectations suites and their '
                     'last results, per layer</li>')
    if (docs_dir / "dbt" / "index.html").exists():
        links.append('<li><a href="dbt/index.html">dbt docs</a>: models, columns, tests and lineage</li>')
    _page(docs_dir / "index.html", "UMKM data platform docs", f"<ul>{''.join(links)}</ul>", None)


def _page(path: Path, title: str, body: str, stylesheet: str | None) -> None:
    style = f'<link rel="stylesheet" href="{stylesheet}"/>' if stylesheet else f"<style>{_OFFLINE_CSS}</style>"
    path.write_text(f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
                    f"{style}</head><body><h1>{html.escape(title)}</h1>{body}</body></html>", encoding="utf-8")
