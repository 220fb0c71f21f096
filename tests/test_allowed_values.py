"""A rule lives once: allowed values come from the dbt seeds, for the dbt tests and GX alike."""

from __future__ import annotations

import csv
import glob
import re
from pathlib import Path

import pytest
import yaml

from ingest.reference import SEEDS_DIR
from ingest.sources import SOURCES
from quality import suites
from quality.seeds import PROGRAMS, allowed, counted, read_seed

MODELS_DIR = Path(__file__).resolve().parents[1] / "dbt_project" / "models"
QUALITY_DIR = Path(__file__).resolve().parents[1] / "quality"


def _model_tests():
    """(model, column, test name, arguments) of every data test in the models' yml files."""
    for path in glob.glob(str(MODELS_DIR / "**" / "_*__models.yml"), recursive=True):
        for model in yaml.safe_load(Path(path).read_text()).get("models", []):
            for test in model.get("data_tests") or []:
                yield from _entries(model["name"], None, test)
            for column in model.get("columns") or []:
                for test in column.get("data_tests") or []:
                    yield from _entries(model["name"], column["name"], test)


def _entries(model, column, test):
    if isinstance(test, str):
        yield model, column, test, {}
    else:
        for name, body in test.items():
            yield model, column, name, (body or {}).get("arguments") or {}


def test_no_literal_value_lists_in_dbt_tests():
    tests = list(_model_tests())
    assert not [t for t in tests if t[2] == "accepted_values"]
    domains = {row["domain"] for row in read_seed("allowed_values")}
    used = {args["domain"] for _, _, name, args in tests if name == "allowed_value"}
    assert used and used <= domains
    assert {"scale", "platform", "ledger_status", "landing_source", "region_type"} <= used


def test_allowed_values_seed_is_well_formed():
    with open(SEEDS_DIR / "allowed_values.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [tuple(rows[0])] == [("domain", "value", "counted", "meaning")]
    pairs = [(r["domain"], r["value"]) for r in rows]
    assert len(pairs) == len(set(pairs)) and all(r["value"] and r["meaning"] for r in rows)
    assert {r["counted"] for r in rows} <= {"", "true", "false"}
    order_statuses = ("gobiz_status", "shopee_status", "uvo_status", "mbizmarket_status")
    assert all(bool(r["counted"]) == (r["domain"] in order_statuses) for r in rows)


def test_the_seeds_agree_with_each_other_and_the_code():
    assert set(allowed("landing_source")) == set(SOURCES) | {"unknown"}
    assert {row["platform"] for row in PROGRAMS.values()} <= set(allowed("platform"))
    assert {row["region_type"] for row in read_seed("regions_jateng")} <= set(allowed("region_type"))
    assert counted("gobiz_status") == ("settlement", "completed")
    assert counted("shopee_status") == ("Selesai",) and counted("uvo_status") == ("lunas",)
    assert counted("mbizmarket_status") == ("Selesai",)
    with pytest.raises(KeyError):
        allowed("no_such_domain")


@pytest.mark.parametrize("domain", ["scale", "platform", "gobiz_status", "gobiz_feature", "gobiz_currency",
                                    "shopee_status", "uvo_status", "kobo_validation_status", "ledger_status",
                                    "landing_source"])
def test_gx_value_sets_come_from_the_seed(domain):
    values = sorted(allowed(domain))
    rules = [e for t in suites.ALL_TARGETS for e in t.expectations() if e.type == "ExpectColumnValuesToBeInSet"
             and sorted(e.kwargs["value_set"]) == values]
    assert rules, f"no GX rule checks the {domain} values"


def test_no_allowed_values_are_typed_in_the_quality_code():
    """The seed's values of the enumerated domains appear in no quality module as a literal list."""
    literals = re.compile(r"\(\s*(['\"][^'\"]+['\"]\s*,\s*)+['\"][^'\"]+['\"]\s*,?\s*\)|\[\s*(['\"][^'\"]+['\"]"
                          r"\s*,\s*)+['\"][^'\"]+['\"]\s*\]")
    values = {row["value"] for row in read_seed("allowed_values")}
    for path in QUALITY_DIR.glob("*.py"):
        for match in literals.finditer(path.read_text()):
            found = set(re.findall(r"['\"]([^'\"]+)['\"]", match.group(0))) & values
            assert len(found) < 2, f"{path.name}: {match.group(0)}"
