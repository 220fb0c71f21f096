"""Superset for real (issue 14): `make bi`'s start script on a serving copy, every chart's data
checked against the marts through Superset's REST API, every dashboard drawn in headless Chromium.

One Superset for the module, started by `bi/start.py` as `make bi` starts it, on its own BI home,
port and copy of a serving copy, with `UMKM_POSTGRES_URL` set: a throwaway PostgreSQL server
(tests/pg_server.py, Debian's `postgresql`) holding `marts.mart_program_summary` and the read-only
role `umkm_reader`, or, without PostgreSQL binaries, a port where nothing listens. The serving
copy is, in this order: `UMKM_BI_TEST_SERVING`
(a serving folder, e.g. `data/serving` after `make demo`), the `base` run of tests/shared_runs.py
when this session already started it, else a run of tests/test_pipeline_e2e.py's landing zone.
Needs `.venv-bi` (`make bi-install`, which `make test` runs); the browser test needs Chromium.
"""

from __future__ import annotations

import csv
import http.cookiejar
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest
import yaml

from tests.runs import PROJECT, umkm_run
from tests.test_pipeline_e2e import build_landing

BI_PYTHON = PROJECT / ".venv-bi" / "bin" / "python"
ASSETS = PROJECT / "bi" / "assets"
SEEDS = PROJECT / "dbt_project" / "seeds"
DASHBOARD_SLUGS = {"dampak-covid", "omzet-program", "kualitas-data"}

pytestmark = pytest.mark.skipif(not BI_PYTHON.exists(), reason="no .venv-bi: run `make bi-install` (make test does)")


# ---------------------------------------------------------------- the bundle in bi/assets

def bundle(kind: str) -> dict[str, dict]:
    return {p.relative_to(ASSETS).as_posix(): yaml.safe_load(p.read_text(encoding="utf-8"))
            for p in sorted((ASSETS / kind).rglob("*.yaml"))}


def chart_named(name: str) -> dict:
    return next(c for c in bundle("charts").values() if c["slice_name"] == name)


def seed_labels(name: str, code: str, label: str) -> dict[str, str]:
    with open(SEEDS / name, newline="", encoding="utf-8") as handle:
        return {row[code]: row[label] for row in csv.DictReader(handle)}


def test_the_bundle_hangs_together():
    """Every chart carries a query context made from its own params (the chart data API reads it),
    sits on a dashboard and reads a dataset of the bundle; the labels come from the seeds."""
    charts, datasets, dashboards = bundle("charts"), bundle("datasets"), bundle("dashboards")
    dataset_uuids = {d["uuid"] for d in datasets.values()}
    on_dashboards = [node["meta"]["uuid"] for d in dashboards.values() for node in d["position"].values()
                     if isinstance(node, dict) and node.get("type") == "CHART"]
    assert {d["slug"] for d in dashboards.values()} == DASHBOARD_SLUGS
    assert sorted(on_dashboards) == sorted(c["uuid"] for c in charts.values())
    for name, chart in charts.items():
        assert chart["dataset_uuid"] in dataset_uuids, name
        assert chart["query_context"], f"{name}: no query context (open it in Explore, then bi/export.py)"
        form_data = json.loads(chart["query_context"])["form_data"]
        for key in ("viz_type", "metrics", "metric", "groupby", "x_axis", "all_columns", "contributionMode",
                    "adhoc_filters", "query_mode"):
            assert form_data.get(key) == chart["params"].get(key), f"{name}: query context is stale on {key}"
    sql = {d["table_name"]: d["sql"] or "" for d in datasets.values()}
    for code, label in seed_labels("sectors.csv", "sector_code", "sector_label").items():
        assert f"when '{code}' then '{label}'" in sql["dampak_covid"]
        assert f"when '{code}' then '{label}'" in sql["omzet_program_bulanan"]
    for code, label in seed_labels("constraints.csv", "constraint_code", "constraint_label").items():
        assert f"'{code}' as constraint_code,\n       '{label}' as constraint_label" in sql["kendala_utama"]


def test_make_bi_without_a_serving_copy_says_run_make_demo(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("UMKM_")}
    env.update(UMKM_SERVING_DIR=str(tmp_path / "nothing"), UMKM_BI_HOME=str(tmp_path / "bi"))
    result = subprocess.run([str(BI_PYTHON), str(PROJECT / "bi" / "start.py"), "--setup-only"], env=env,
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "no serving copy at" in result.stderr and "make demo" in result.stderr


def test_make_bi_with_postgres_down_says_so_and_still_sets_up(tmp_path):
    serving = tmp_path / "serving"
    serving.mkdir()
    duckdb.connect(str(serving / "marts.duckdb")).close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("UMKM_")}
    env.update(UMKM_SERVING_DIR=str(serving), UMKM_BI_HOME=str(tmp_path / "bi"),
               UMKM_POSTGRES_URL=f"postgres://umkm_publisher:x@127.0.0.1:{free_port()}/umkm")
    result = subprocess.run([str(BI_PYTHON), str(PROJECT / "bi" / "start.py"), "--setup-only"], env=env,
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "WARNING: PostgreSQL at 127.0.0.1:" in result.stdout and "does not answer" in result.stdout
    assert "The dashboards read the DuckDB serving copy" in result.stdout


# ---------------------------------------------------------------- one Superset for the module

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Api:
    """Superset's REST API as a logged-in user: a bearer token, plus the session and CSRF token
    that writes need."""

    def __init__(self, base: str, password: str):
        self.base = base
        self.csrf: str | None = None
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.token = self.call("POST", "/api/v1/security/login", {"username": "admin", "password": password,
                                                                   "provider": "db", "refresh": False},
                               auth=False)["access_token"]

    def call(self, method: str, path: str, body=None, auth: bool = True):
        headers = {"Referer": self.base}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if auth:
            headers["Authorization"] = f"Bearer {self.token}"
        if self.csrf:
            headers["X-CSRFToken"] = self.csrf
        request = urllib.request.Request(f"{self.base}{path}", method=method, headers=headers,
                                         data=None if body is None else json.dumps(body).encode())
        with self.opener.open(request, timeout=180) as answer:
            return json.load(answer)

    def get(self, path: str):
        return self.call("GET", path)

    def post(self, path: str, body):
        if self.csrf is None:
            self.csrf = self.get("/api/v1/security/csrf_token/")["result"]
        return self.call("POST", path, body)

    def put(self, path: str, body):
        if self.csrf is None:
            self.csrf = self.get("/api/v1/security/csrf_token/")["result"]
        return self.call("PUT", path, body)


@dataclass
class Superset:
    base: str
    password: str
    serving: Path                       # the serving folder it reads (marts.duckdb inside)
    env: dict
    output: Path
    postgres: object = None             # tests/pg_server.Server, or None: a port where nothing listens
    api: Api | None = None
    chart_data: dict = field(default_factory=dict)     # chart name -> (first result, seconds)

    def log(self) -> str:
        return self.output.read_text(errors="replace")


def source_serving(tmp_path_factory) -> Path:
    if os.environ.get("UMKM_BI_TEST_SERVING"):
        return Path(os.environ["UMKM_BI_TEST_SERVING"])
    from tests import shared_runs
    if "base" in shared_runs._RUNS:                      # started by other tests of this session: free
        return shared_runs._RUNS["base"].check().root / "serving"
    root = tmp_path_factory.mktemp("bi_run")
    build_landing(root / "landing")
    result = umkm_run(root)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return root / "serving"


READER_PASSWORD = "reader-secret"


def postgres_with_program_summary(serving: Path):
    """A throwaway PostgreSQL with `marts.mart_program_summary` (from the serving copy) and the
    read-only role umkm_reader, as the PostgreSQL publication leaves them; None without binaries."""
    try:
        from tests import pg_server
    except ImportError:
        return None
    if pg_server.find_bin_dir() is None:
        return None
    import psycopg
    server = pg_server.start_server()
    rows = duckdb.connect(str(serving / "marts.duckdb"), read_only=True).execute(
        "select program_id, program_name, turnover_idr from mart_program_summary").fetchall()
    with psycopg.connect(server.url(), autocommit=True) as conn:
        conn.execute("create schema marts")
        conn.execute("create table marts.mart_program_summary (program_id text, program_name text, "
                     "turnover_idr numeric(18,2))")
        with conn.cursor().copy("copy marts.mart_program_summary from stdin") as copy:
            for row in rows:
                copy.write_row(row)
        conn.execute(f"create role umkm_reader login password '{READER_PASSWORD}'")
        conn.execute("grant usage on schema marts to umkm_reader")
        conn.execute("grant select on all tables in schema marts to umkm_reader")
    return server


@pytest.fixture(scope="module")
def superset(tmp_path_factory):
    serving = tmp_path_factory.mktemp("bi_serving")
    shutil.copy2(source_serving(tmp_path_factory) / "marts.duckdb", serving / "marts.duckdb")
    root = tmp_path_factory.mktemp("bi")
    port, password = free_port(), secrets.token_urlsafe(12)
    postgres = postgres_with_program_summary(serving)
    env = {k: v for k, v in os.environ.items() if not k.startswith("UMKM_")}
    env.update(UMKM_SERVING_DIR=str(serving), UMKM_BI_HOME=str(root / "home"), UMKM_BI_ADMIN_PASSWORD=password,
               UMKM_BI_WORKERS="1", UMKM_POSTGRES_READER_PASSWORD=READER_PASSWORD,
               UMKM_POSTGRES_URL=postgres.url() if postgres else f"postgresql://a:x@127.0.0.1:{free_port()}/umkm")
    output = root / "start.log"
    started = time.monotonic()
    with open(output, "wb") as out:
        process = subprocess.Popen([str(BI_PYTHON), str(PROJECT / "bi" / "start.py"), "--port", str(port)],
                                   env=env, cwd=root, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    instance = Superset(f"http://127.0.0.1:{port}", password, serving, env, output, postgres=postgres)
    try:
        while "Superset is up" not in instance.log():
            assert process.poll() is None, f"bi/start.py ended ({process.returncode}):\n{instance.log()[-3000:]}"
            assert time.monotonic() - started < 300, f"Superset not up in 300 s:\n{instance.log()[-3000:]}"
            time.sleep(0.5)
        print(f"\nbi/start.py: Superset up in {time.monotonic() - started:.0f} s")
        instance.api = Api(instance.base, password)
        yield instance
    finally:
        os.killpg(process.pid, signal.SIGINT)           # Ctrl-C, as `make bi` is stopped: gunicorn quits at once
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        if postgres is not None:
            from tests import pg_server
            pg_server.remove(postgres)


def marts(superset: Superset, sql: str) -> list[tuple]:
    con = duckdb.connect(str(superset.serving / "marts.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_start_registers_the_serving_copy_read_only_and_postgres(superset):
    databases = {d["database_name"]: d for d in superset.api.get("/api/v1/database/?q=(page_size:100)")["result"]}
    assert set(databases) == {"UMKM marts (DuckDB)", "UMKM marts (PostgreSQL)"}
    duck = superset.api.get(f"/api/v1/database/{databases['UMKM marts (DuckDB)']['id']}/connection")["result"]
    assert duck["sqlalchemy_uri"] == f"duckdb:///{superset.serving.resolve() / 'marts.duckdb'}"
    assert json.loads(duck["extra"])["engine_params"]["connect_args"]["read_only"] is True
    assert not duck["allow_dml"]
    log = superset.log()
    assert "UMKM_BI_ADMIN_PASSWORD" not in log            # a password was set: no demo-default warning
    if superset.postgres is None:
        assert "WARNING: PostgreSQL at 127.0.0.1:" in log and "does not answer" in log
        return
    assert "registered PostgreSQL" in log and "read-only role umkm_reader" in log, log
    pg = superset.api.get(f"/api/v1/database/{databases['UMKM marts (PostgreSQL)']['id']}/connection")["result"]
    assert pg["sqlalchemy_uri"].startswith("postgresql://umkm_reader:XXXXXXXXXX@")   # the reader, password hidden

    def sql_lab(sql: str) -> dict:
        try:
            return superset.api.post("/api/v1/sqllab/execute/", {
                "database_id": databases["UMKM marts (PostgreSQL)"]["id"], "sql": sql, "runAsync": False,
                "schema": "marts", "client_id": secrets.token_hex(5)})
        except urllib.error.HTTPError as error:
            return {"error": error.read().decode(errors="replace")}

    answer = sql_lab("select program_name, turnover_idr from mart_program_summary")   # search_path: marts
    assert {row["program_name"]: rupiah(row["turnover_idr"]) for row in answer["data"]} == {
        name: rupiah(turnover) for name, turnover in
        marts(superset, "select program_name, turnover_idr from mart_program_summary")}
    refused = sql_lab("delete from marts.mart_program_summary")
    assert "error" in refused and "DML" in refused["error"], refused


@pytest.fixture(scope="module")
def chart_data(superset):
    """The data of every chart of every dashboard, as the chart data API gives it (no cache)."""
    if not superset.chart_data:
        dashboards = superset.api.get("/api/v1/dashboard/?q=(page_size:100)")["result"]
        assert {d["slug"] for d in dashboards} == DASHBOARD_SLUGS
        for dashboard in dashboards:
            charts = superset.api.get(f"/api/v1/dashboard/{dashboard['id']}/charts")["result"]
            assert charts, dashboard["slug"]
            for chart in charts:
                started = time.monotonic()
                try:
                    answer = superset.api.get(f"/api/v1/chart/{chart['id']}/data/?force=true")
                except urllib.error.HTTPError as error:
                    pytest.fail(f"{chart['slice_name']}: HTTP {error.code} {error.read()[:500]!r}")
                superset.chart_data[chart["slice_name"]] = (answer["result"][0], time.monotonic() - started)
    return superset.chart_data


def test_every_chart_of_every_dashboard_answers(chart_data):
    assert set(chart_data) == {c["slice_name"] for c in bundle("charts").values()}
    for name, (result, _seconds) in chart_data.items():
        assert result["status"] == "success" and not result.get("error"), (name, result.get("error"))
        assert result["rowcount"] > 0 and result["data"], f"{name}: no rows"
    slowest = max(chart_data.items(), key=lambda item: item[1][1])
    print(f"\nslowest chart: {slowest[0]!r} {slowest[1][1]:.2f} s (HTTP, no cache)")
    ppkm = chart_data["Omzet program per bulan (arsiran: periode PPKM)"][0]
    assert ppkm["annotation_data"]["Periode PPKM"]["records"], "the PPKM periods are not marked"


def rupiah(value) -> float:
    return round(float(value), 2)


def test_program_turnover_equals_mart_program_summary(superset, chart_data):
    mart = {name: rupiah(turnover) for name, turnover in
            marts(superset, "select program_name, turnover_idr from mart_program_summary")}
    table = chart_data["Ringkasan program"][0]["data"]
    assert {row["program_name"]: rupiah(row["turnover_idr"]) for row in table} == mart
    monthly = chart_data["Omzet program per bulan (arsiran: periode PPKM)"][0]["data"]
    per_program = {name: rupiah(sum(row.get(name) or 0 for row in monthly)) for name in mart}
    assert per_program == mart            # the months of each line add up to the program's turnover
    total = chart_data["Omzet seluruh program"][0]["data"][0]["omzet"]
    assert rupiah(total) == rupiah(sum(mart.values()))


def test_sector_and_constraint_shares_equal_those_of_mart_impact_summary(superset, chart_data):
    sectors = seed_labels("sectors.csv", "sector_code", "sector_label")
    impacted = dict(marts(superset, "select survey_period, sum(n_impacted) from mart_impact_summary group by 1"))
    rows = marts(superset, "select survey_period, sector_code, sum(n_impacted) from mart_impact_summary group by 1, 2")
    expected = {(period, sectors.get(code, code)): n / impacted[period] for period, code, n in rows}
    chart = chart_data["UMKM terdampak per sektor usaha (% dari UMKM terdampak, per gelombang)"][0]["data"]
    shown = {(period, row["sector_label"]): share for row in chart for period, share in row.items()
             if period != "sector_label" and share is not None}
    assert shown.keys() == expected.keys()
    assert all(abs(shown[key] - expected[key]) < 1e-12 for key in expected), (shown, expected)
    constraints = seed_labels("constraints.csv", "constraint_code", "constraint_label")
    chart = chart_data["Kendala utama UMKM terdampak (% dari UMKM terdampak, per gelombang)"][0]["data"]
    shown = {(period, row["constraint_label"]): share for row in chart for period, share in row.items()
             if period != "constraint_label" and share is not None}
    for code, label in constraints.items():        # the contract's share: n_constraint_<code> / n_impacted
        for period, n in marts(superset, f"select survey_period, sum(n_constraint_{code}) from mart_impact_summary "
                                         "group by 1"):
            assert abs(shown.get((period, label), 0.0) - n / impacted[period]) < 1e-12, (period, label)


def test_every_dashboard_draws_in_chromium_without_an_error(superset, tmp_path):
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        pytest.skip("no chromium: `make bi-install` installs Debian's chromium where apt is available")
    # a control: a chart that fails, on a dashboard of its own, must be reported as failing
    dataset = next(d for d in superset.api.get("/api/v1/dataset/?q=(page_size:100)")["result"]
                   if d["table_name"] == "kualitas_file")
    params = {"viz_type": "big_number_total", "datasource": f"{dataset['id']}__table", "adhoc_filters": [],
              "metric": {"expressionType": "SQL", "sqlExpression": "SUM(no_such_column)", "label": "rusak"}}
    chart = superset.api.post("/api/v1/chart/", {"slice_name": "Kontrol rusak", "viz_type": "big_number_total",
                                                 "datasource_id": dataset["id"], "datasource_type": "table",
                                                 "params": json.dumps(params)})["id"]
    position = {"DASHBOARD_VERSION_KEY": "v2", "ROOT_ID": {"type": "ROOT", "id": "ROOT_ID", "children": ["GRID_ID"]},
                "GRID_ID": {"type": "GRID", "id": "GRID_ID", "children": ["ROW-1"], "parents": ["ROOT_ID"]},
                "ROW-1": {"type": "ROW", "id": "ROW-1", "children": ["CHART-1"], "parents": ["ROOT_ID", "GRID_ID"],
                          "meta": {"background": "BACKGROUND_TRANSPARENT"}},
                "CHART-1": {"type": "CHART", "id": "CHART-1", "children": [],
                            "parents": ["ROOT_ID", "GRID_ID", "ROW-1"],
                            "meta": {"chartId": chart, "width": 4, "height": 30}}}
    control = superset.api.post("/api/v1/dashboard/", {"dashboard_title": "Kontrol rusak", "slug": "kontrol-rusak",
                                                       "position_json": json.dumps(position), "published": True})["id"]
    superset.api.put(f"/api/v1/chart/{chart}", {"dashboards": [control]})
    out = tmp_path / "screenshots"
    result = subprocess.run([str(BI_PYTHON), str(PROJECT / "bi" / "browser.py"), "--url", superset.base,
                             "--out", str(out), "--seconds", "180"], env=superset.env, capture_output=True,
                            text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert set(report) == DASHBOARD_SLUGS | {"kontrol-rusak"}
    broken = report.pop("kontrol-rusak")
    assert [c["name"] for c in broken["charts"] if c["error"]] == ["Kontrol rusak"], broken
    for slug, page in report.items():
        expected = {c["slice_name"] for c in bundle("charts").values()
                    if c["uuid"] in json.dumps(next(d for d in bundle("dashboards").values() if d["slug"] == slug))}
        assert not page.get("login") and not page.get("timeout"), (slug, page)
        assert {c["name"] for c in page["charts"]} == expected, slug
        assert [c for c in page["charts"] if c["error"] or not c["drawn"] or c["loading"]] == [], (slug, page)
        assert (out / f"dashboard-{slug}.png").stat().st_size > 20_000
    print("\n" + ", ".join(f"{slug}: {page['seconds']} s" for slug, page in report.items()))


def test_a_new_publication_shows_at_the_next_query_and_superset_holds_no_lock(superset, chart_data, tmp_path):
    """The serving copy is replaced by a rename, as a publication does: the next chart query reads
    the new file (a new read-only connection per query, no pool), and between queries nothing of
    Superset holds the file (a writer could open it)."""
    path = superset.serving / "marts.duckdb"
    original = tmp_path / "original.duckdb"
    shutil.copy2(path, original)
    name = "Ringkasan program"
    before = {row["program_name"]: rupiah(row["turnover_idr"]) for row in chart_data[name][0]["data"]}
    program = sorted(before)[0]
    replacement = tmp_path / "replacement.duckdb"
    shutil.copy2(path, replacement)
    con = duckdb.connect(str(replacement))
    con.execute("update mart_program_summary set turnover_idr = turnover_idr + 1000 where program_name = ?", [program])
    con.close()
    chart_id = next(c["id"] for c in superset.api.get("/api/v1/chart/?q=(page_size:100)")["result"]
                    if c["slice_name"] == name)
    try:
        os.replace(replacement, path)
        after = superset.api.get(f"/api/v1/chart/{chart_id}/data/?force=true")["result"][0]["data"]
        assert {row["program_name"]: rupiah(row["turnover_idr"]) for row in after} == {
            **before, program: rupiah(before[program] + 1000)}
        duckdb.connect(str(path)).close()                 # read-write: no lock left behind by Superset
    finally:
        os.replace(original, path)
