"""The dbt resource: no in-process adapter, no `dbt --version`, the parse state kept, old build folders pruned."""

from __future__ import annotations

import os
import subprocess
from functools import cached_property
from types import SimpleNamespace

from dagster_dbt import DbtCliResource

from orchestration.assets.dbt import (DBT_EXECUTABLE, UmkmDbtCliResource, dbt_cli_resource, keep_partial_parse,
                                     prune_build_folders)


def test_the_adapter_hook_we_override_still_exists_in_dagster_dbt():
    # an upgrade that renames it would silently bring the 3 s per build back
    assert callable(getattr(DbtCliResource, "_initialize_dbt_core_adapter", None))
    resource = dbt_cli_resource()
    assert isinstance(resource, UmkmDbtCliResource)
    assert resource._initialize_dbt_core_adapter(["build"]) is None


def test_the_dbt_version_we_report_is_the_one_the_dbt_executable_reports():
    assert isinstance(DbtCliResource.__dict__.get("_cli_version"), cached_property)   # still there to override
    reported = subprocess.run([DBT_EXECUTABLE, "--version"], capture_output=True, text=True, check=True).stdout
    assert f"installed: {dbt_cli_resource()._cli_version}" in reported


def test_a_builds_parse_state_replaces_the_shared_one_whole(tmp_path):
    project = SimpleNamespace(project_dir=tmp_path, target_path="target")
    shared = tmp_path / "target" / "partial_parse.msgpack"
    shared.parent.mkdir()
    shared.write_bytes(b"old profile")
    build = tmp_path / "target" / "umkm_dbt_models-abc"
    build.mkdir()

    keep_partial_parse(build, project)             # the build wrote none (it failed early): keep the old
    assert shared.read_bytes() == b"old profile"

    (build / "partial_parse.msgpack").write_bytes(b"this build's profile" * 1000)
    keep_partial_parse(build, project)
    assert shared.read_bytes() == b"this build's profile" * 1000
    assert sorted(p.name for p in shared.parent.iterdir()) == ["partial_parse.msgpack", "umkm_dbt_models-abc"]


def test_only_the_newest_build_folders_are_kept(tmp_path):
    target = tmp_path / "target"
    target.mkdir()
    (target / "partial_parse.msgpack").write_bytes(b"shared")
    (target / "compiled").mkdir()                     # dbt's own folders are not builds
    builds = []
    for index in range(6):
        build = target / f"umkm_dbt_models-{index:07d}-abcdef"
        (build / "compiled").mkdir(parents=True)
        (build / "dbt.log").write_text("log")
        os.utime(build, (1_000_000 + index, 1_000_000 + index))
        builds.append(build)
    current = builds[2]                                # this build: kept whatever its age

    removed = prune_build_folders(current, keep=3)

    assert sorted(removed) == [builds[0], builds[1], builds[3]]
    assert sorted(p.name for p in target.iterdir()) == sorted(
        ["partial_parse.msgpack", "compiled", builds[2].name, builds[4].name, builds[5].name])
