"""Test-session settings: a throwaway DAGSTER_HOME, no telemetry."""

import os

import pytest


@pytest.fixture(scope="session", autouse=True)
def dagster_home(tmp_path_factory):
    """Tests never write runs into the project's .dagster_home (the operators' instance)."""
    home = tmp_path_factory.mktemp("dagster_home")
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    saved = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(home)
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    yield home
    if saved is None:
        os.environ.pop("DAGSTER_HOME", None)
    else:
        os.environ["DAGSTER_HOME"] = saved
