"""`umkm run` with nothing to do: what it compares, checked against what Dagster would do."""

from datetime import datetime

import duckdb

from orchestration.dbt_paths import DBT_PROJECT_DIR
from orchestration.quiet_run import dbt_code_versions, work_to_do


def test_code_versions_are_the_ones_dagster_records():
    """The quiet check compares the same code versions the dbt asset materializes with."""
    from orchestration.assets.dbt import umkm_dbt_models

    ours = dbt_code_versions(DBT_PROJECT_DIR / "target" / "manifest.json")
    dagster = {tuple(key.path): version for key, version in umkm_dbt_models.code_versions_by_key.items()}
    assert ours == dagster


def test_there_is_work_until_the_change_set_is_published(tmp_path, monkeypatch):
    from ingest.change_set import mark_published, read_change_set
    from ingest.raw_schema import create_raw_schema
    from ingest.settings import Settings

    for key, value in {"UMKM_LANDING_DIR": tmp_path / "landing", "UMKM_WAREHOUSE_PATH": tmp_path / "w.duckdb",
                       "UMKM_SERVING_DIR": tmp_path / "serving", "UMKM_SETTLE_SECONDS": "0"}.items():
        monkeypatch.setenv(key, str(value))
    settings = Settings.from_env()
    assert work_to_do(settings) == "no warehouse or serving copy yet"
    (tmp_path / "landing").mkdir()
    (tmp_path / "serving").mkdir()
    duckdb.connect(str(tmp_path / "serving" / "marts.duckdb")).close()
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    create_raw_schema(con)
    con.execute("insert into raw.landing_files (landing_path, sha256, source, status, first_seen) "
                "values ('gofood/a.csv', 's', 'gofood', 'quarantined', ?)", [datetime(2021, 9, 1)])
    con.close()
    assert work_to_do(settings) == "file versions not yet published"
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    mark_published(con, read_change_set(con))
    con.close()
    (tmp_path / "landing" / "gofood").mkdir()
    (tmp_path / "landing" / "gofood" / "b.csv").write_text("Transaction ID\n")
    assert work_to_do(settings) == "new or changed landing files"
