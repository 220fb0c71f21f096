"""Superset for real (issue 14): `make bi`'s start script on a serving copy, every chart's data
checked against the marts through Superset's REST API, every dashboard drawn in headless Chromium.

One Superset for the module (tests/superset_harness.py), started by `bi/start.py` as `make bi`
starts it, on its own BI home, port and copy of a serving copy, with `UMKM_POSTGRES_URL` set: a
throwaway PostgreSQL server holding the marts as the PostgreSQL publication leaves them, or,
without PostgreSQL binaries, a port where nothing listens. The serving copy is
`UMKM_BI_TEST_SERVING` (a serving folder, e.g. `data/serving` after `make demo`), else that of a
run on the demo's landing zone (every source, so every chart has rows).
Needs `.venv-bi` (`make bi-install`, which `make test` runs); the browser test needs Chromium.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import secrets
import shutil
import subprocess
import time
import urllib.error

import duckdb
import pytest
import yaml

from tests.runs import PROJECT
from tests.superset_harness import BI_PYTHON, READER, READER_PASSWORD, free_port, marts
from tests.superset_harness import superset_fixture  # noqa: F401 - the fixture `superset`

ASSETS = PROJECT / "bi" / "assets"
SEEDS = PROJECT / "dbt_project" / "seeds"
DASHBOARD_SLUGS = {"dampak-covid", "omzet-program", "kualitas-data", "setelah-intervensi"}


@pytest.fixture(autouse=True, scope="module")
def bi_installed():
    """`make test` installs .venv-bi (`make bi-install`): without it the set-up is broken, not the test moot."""
    assert BI_PYTHON.exists(), "no .venv-bi: `make bi-install` (which `make test` runs) failed or was not run"


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
    for dashboard in dashboards.values():   # a filter's scope names charts of its dashboard (by the bundle's ids)
        ids = {n["meta"]["chartId"] for n in dashboard["position"].values() if isinstance(n, dict) and "chartId" in
               n.get("meta", {})}
        assert all(set(f["scope"]["excluded"]) <= ids for f in dashboard["metadata"]["native_filter_configuration"])
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


# ---------------------------------------------------------------- the PPKM periods: the seed, one source of truth

def seed_periods() -> dict[str, dict]:
    with open(SEEDS / "restriction_periods.csv", newline="", encoding="utf-8") as handle:
        return {row["period_name"]: row for row in csv.DictReader(handle)}


def test_the_ppkm_periods_are_read_from_the_seed_only(tmp_path):
    spec = importlib.util.spec_from_file_location("ppkm_layer", PROJECT / "bi" / "ppkm_layer.py")
    spec.loader.exec_module(layer := importlib.util.module_from_spec(spec))
    assert layer.PERIODS_SEED == SEEDS / "restriction_periods.csv"
    assert not list((PROJECT / "bi").rglob("*.csv")), "a copy of the periods in bi/: the seed is the one source"
    assert {p["period_name"]: p for p in layer.ppkm_periods()} == seed_periods()
    with pytest.raises(ValueError, match="no PPKM periods at .*restriction_periods.csv is missing"):
        layer.ppkm_periods(tmp_path / "restriction_periods.csv")


def test_the_annotation_layer_and_mart_restriction_periods_hold_the_seeds_periods(superset, chart_data):
    periods = {name: (row["start_date"], row["end_date"]) for name, row in seed_periods().items()}
    layers = superset.api.get("/api/v1/annotation_layer/?q=(page_size:100)")["result"]
    [layer] = [layer for layer in layers if layer["name"] == "Periode PPKM"]
    assert "dbt_project/seeds/restriction_periods.csv" in layer["descr"]
    notes = superset.api.get(f"/api/v1/annotation_layer/{layer['id']}/annotation/?q=(page_size:100)")["result"]
    assert {a["short_descr"]: (a["start_dttm"][:10], a["end_dttm"][:10]) for a in notes} == periods
    for name in ("Omzet program per bulan (arsiran: periode PPKM)", "UMKM aktif per bulan (arsiran: periode PPKM)"):
        records = chart_data[name][0]["annotation_data"]["Periode PPKM"]["records"]
        assert {r["short_descr"] for r in records} == set(periods), name
    in_mart = marts(superset, "select distinct period_name, cast(start_date as varchar), cast(end_date as varchar) "
                              "from mart_restriction_periods")
    assert in_mart and {name: (start, end) for name, start, end in in_mart}.items() <= periods.items()


# ---------------------------------------------------------------- Kualitas data: rejected rows by reason code

REJECTED_COLUMNS = ["landing_path", "source", "sha256", "reason_code", "n_rows", "first_row_number", "reason",
                    "loaded_at"]
# the columns of rejected rows' text (raw.rejected_rows.row_text) that hold personal data in the demo's files
PERSONAL_KEYS = {"nik", "nik pemilik", "nik_pemilik", "nama_pemilik", "nama lengkap", "no_hp", "nomor whatsapp",
                 "nama pic pembeli", "no. hp pic", "email pic"}


def test_rejected_rows_by_reason_equal_mart_rejected_rows_and_mart_data_quality(superset, chart_data):
    shown = {(row["reason_code"], label): n for row in chart_data["Baris ditolak per alasan"][0]["data"]
             for label, n in row.items() if label != "reason_code" and n is not None}
    by_reason = dict(marts(superset, "select reason_code, sum(n_rows) from mart_rejected_rows group by 1"))
    assert by_reason and {code: sum(n for (c, _), n in shown.items() if c == code) for code in by_reason} == by_reason
    assert {c for c, _ in shown} == set(by_reason)
    per_source = {r["source_label"]: r["baris_ditolak"] for r in chart_data["Baris ditolak per sumber"][0]["data"]}
    for label in {label for _, label in shown}:       # the two marts agree, through Superset
        assert sum(n for (_, source), n in shown.items() if source == label) == per_source[label], label
    mismatched = marts(superset, """
        select q.landing_path, q.rows_rejected, coalesce(sum(r.n_rows), 0) from mart_data_quality as q
        left join mart_rejected_rows as r on r.landing_path = q.landing_path and r.sha256 = q.sha256
        where q.status = 'loaded' group by all having q.rows_rejected <> coalesce(sum(r.n_rows), 0)""")
    assert mismatched == []


def test_mart_rejected_rows_is_in_postgres_and_carries_no_personal_data(superset, chart_data):
    columns = [c for (c,) in marts(superset, "select column_name from information_schema.columns where "
                                             "table_name = 'mart_rejected_rows' order by ordinal_position")]
    assert columns == REJECTED_COLUMNS                  # row_text (the row's cells) never leaves raw
    rows = marts(superset, "select * from mart_rejected_rows")
    if superset.postgres is not None:
        import psycopg
        with psycopg.connect(superset.postgres.url(READER, READER_PASSWORD)) as conn:
            published = conn.execute("select * from marts.mart_rejected_rows").fetchall()
        assert sorted(map(repr, published)) == sorted(map(repr, rows))
        rows += published
    assert superset.warehouse is not None and superset.warehouse.exists(), superset.warehouse   # the rows' text
    con = duckdb.connect(str(superset.warehouse), read_only=True)
    try:
        texts = [t for (t,) in con.execute(
            "select r.row_text from raw.rejected_rows as r join raw.landing_files as f using (landing_path, sha256) "
            "where f.status <> 'superseded'").fetchall()]
    finally:
        con.close()
    personal = {str(value).strip() for text in texts for key, value in json.loads(text).items()
                if key.strip().lower() in PERSONAL_KEYS and value and len(str(value).strip()) >= 5}
    assert any(v.isdigit() and len(v) >= 15 for v in personal), "no NIK in the rejected rows: the test proves nothing"
    assert any(not v.replace(" ", "").isdigit() for v in personal), "no name in the rejected rows"
    text = repr(rows) + json.dumps(chart_data["Baris ditolak per alasan"][0]["data"])
    assert [v for v in personal if v in text] == []


# ---------------------------------------------------------------- Setelah intervensi

INTERVENTIONS = """
    select coalesce(p.program_name, a.activity_name, 'Lapak Ganjar') as name, sum(o.n_umkm), sum(o.n_registered),
           sum(o.n_active_before), sum(o.n_active_after), sum(o.turnover_before_idr), sum(o.turnover_after_idr)
    from mart_intervention_outcomes as o
    left join dim_program as p on o.intervention_type = 'program' and p.program_id = o.intervention_id
    left join dim_activity as a on o.intervention_type = 'activity' and a.activity_id = o.intervention_id
    {where} group by 1"""
PLATFORMS = {"gofood": "GoBiz (GoFood, Go-Shop)", "shopee": "Shopee", "uvo": "UKM Virtual Expo",
             "mbizmarket": "Mbizmarket"}


def test_setelah_intervensi_figures_equal_the_intervention_and_ppkm_marts(superset, chart_data):
    expected = {name: rest for name, *rest in marts(superset, INTERVENTIONS.format(where=""))}
    data = {name: chart_data[name][0]["data"] for name in (
        "Omzet 30 hari sebelum dan sesudah, per intervensi", "UMKM aktif 30 hari sebelum dan sesudah, per intervensi",
        "Ringkasan per intervensi", "Peserta pelatihan: terdaftar dan hadir")}
    turnover, active, table, trainings = data.values()
    assert {r["intervention_name"]: (rupiah(r["omzet_sebelum"]), rupiah(r["omzet_sesudah"])) for r in turnover} == {
        name: (rupiah(before), rupiah(after)) for name, (*_, before, after) in expected.items()}
    assert {r["intervention_name"]: (r["umkm_aktif_sebelum"], r["umkm_aktif_sesudah"]) for r in active} == {
        name: (before, after) for name, (_, _, before, after, *_) in expected.items()}
    assert {r["intervention_name"]: (r["umkm"], rupiah(r["omzet_sesudah"])) for r in table} == {
        name: (n, rupiah(after)) for name, (n, *_, after) in expected.items()}
    activities = marts(superset, INTERVENTIONS.format(where="where o.intervention_type = 'activity'"))
    assert {r["intervention_name"]: (r["umkm_terdaftar"], r["umkm"]) for r in trainings} == {
        name: (registered, n) for name, n, registered, *_ in activities}
    ppkm = marts(superset, "select period_name, platform, sum(n_orders_baseline), sum(n_orders_during), "
                           "sum(turnover_baseline_idr), sum(turnover_during_idr) from mart_restriction_periods "
                           "group by all")
    shown = {(r["period_name"], r["platform_label"]): (r["pesanan_sebelum_ppkm"], r["pesanan_selama"],
                                                        rupiah(r["omzet_sebelum_ppkm"]), rupiah(r["omzet_selama"]))
             for r in chart_data["Periode PPKM per platform"][0]["data"]}
    assert shown == {(period, PLATFORMS[platform]): (ob, od, rupiah(tb), rupiah(td))
                     for period, platform, ob, od, tb, td in ppkm}
    per_platform = {r["platform_label"]: (rupiah(r["omzet_sebelum_ppkm"]), rupiah(r["omzet_selama"]))
                    for r in chart_data["Omzet selama PPKM dan sebelumnya, per platform"][0]["data"]}
    assert per_platform == {label: (rupiah(sum(v[2] for k, v in shown.items() if k[1] == label)),
                                    rupiah(sum(v[3] for k, v in shown.items() if k[1] == label)))
                            for label in {k[1] for k in shown}}


def test_every_dashboard_draws_in_chromium_without_an_error(superset, tmp_path):
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "no chromium: `make bi-install` (which `make test` runs) installs Debian's chromium"
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
