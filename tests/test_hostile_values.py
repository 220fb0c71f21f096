"""Hostile values (issue 16): each class of `tests.hostile_values` becomes row errors with the
right reason code, never an exception, and no reason quotes personal data.

Each file is parsed in a fresh worker process (forked from a forkserver that imported the
parsers), which reports the parse's time and its peak memory above the worker's start.
"""

from __future__ import annotations

import multiprocessing
import pickle
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest

from ingest.readers import QuarantineError
from ingest.sources import SOURCES
from tests import hostile_values as hostile

PEAK_LIMIT = 256 << 20   # bytes above the worker's start: the largest file here is a few hundred kB
TIME_LIMIT = 20.0        # seconds, on a loaded shared machine; each takes well under one


def parse(path: Path, landing_path: str):
    return SOURCES[landing_path.split("/")[0]].parse(Path(path).read_bytes(), landing_path)


def _memory_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))


def _parse_in_worker(path: str, landing_path: str):
    """In the worker: (the result, or the exception it raised; seconds; peak bytes above the start)."""
    start_kb, start = _memory_kb("VmRSS"), time.perf_counter()
    try:
        outcome = parse(Path(path), landing_path)
    except Exception as error:   # reported, so a test shows it rather than a dead worker
        outcome = error
    return outcome, time.perf_counter() - start, (_memory_kb("VmHWM") - start_kb) << 10


@pytest.fixture(scope="module")
def worker():
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["ingest.sources.uvo", "ingest.sources.shopee", "ingest.sources.enrollment",
                                    "ingest.sources.gofood", "ingest.sources.survey", "tests.test_hostile_values"])
    with ProcessPoolExecutor(max_workers=1, mp_context=context, max_tasks_per_child=1) as pool:
        yield pool


def parse_measured(pool, path: Path, landing_path: str):
    outcome, seconds, peak = pool.submit(_parse_in_worker, str(path), landing_path).result()
    print(f"{Path(path).name}: {seconds * 1000:.0f} ms, peak {peak / 2**20:.1f} MiB")
    if isinstance(outcome, Exception):
        raise outcome
    assert seconds < TIME_LIMIT and peak < PEAK_LIMIT, (seconds, peak)
    return outcome


def outcome_of(result) -> tuple[int, int, dict]:
    return result.rows_read, result.rows_loaded, dict(Counter(result.rejects.reason_code))


CLASSES = {
    "huge_digits.json": (hostile.make_huge_digits_json, {}),
    "lone_surrogate.json": (hostile.make_lone_surrogate_json, {}),
    "underflow.json": (hostile.make_underflow_json, {}),
    "nonfinite.json": (hostile.make_nonfinite_json, {}),
    "negative_zero.json": (hostile.make_negative_zero_json, {}),
    "amounts_uvo.csv": (hostile.make_hostile_amounts_csv, {"source": "uvo"}),
    "amounts_gofood.csv": (hostile.make_hostile_amounts_csv, {"source": "gofood"}),
    "amounts_shopee.csv": (hostile.make_hostile_amounts_csv, {"source": "shopee"}),
    "amounts_shopee.xlsx": (hostile.make_hostile_amounts_shopee_xlsx, {}),
    "shifted_enrollment.csv": (hostile.make_shifted_enrollment, {}),
    "shifted_enrollment.xlsx": (hostile.make_shifted_enrollment, {"xlsx": True}),
}


@pytest.mark.parametrize("name", CLASSES)
def test_each_class_is_rows_and_row_errors(tmp_path, worker, name):
    build, options = CLASSES[name]
    path = tmp_path / name
    expected = build(path, **options)
    result = parse_measured(worker, path, expected["landing_path"])
    assert outcome_of(result) == (expected["rows"], expected["loaded"], expected["rejects"])
    pickle.loads(pickle.dumps(result))   # what a parse worker sends back: Arrow IPC, so only valid UTF-8
    amounts = [value for column in ("amount", "price_after_discount") if column in result.rows
               for value in result.rows[column]]
    assert all(isinstance(v, Decimal) and Decimal(0) <= v < Decimal("1e16") for v in amounts), amounts
    for reason in result.rejects.reason:
        assert not any(value in reason for value in expected.get("personal", ())), reason


def test_negative_zero_is_zero(tmp_path):
    expected = hostile.make_negative_zero_json(tmp_path / "negzero.json")
    result = parse(tmp_path / "negzero.json", expected["landing_path"])
    hostile_rows = result.rows[result.rows.transaction_id.str.fullmatch(r"NEGZERO-[0-9]+")]
    assert [str(amount) for amount in hostile_rows.amount] == ["0.00"] * 3   # not -0.00


def test_lone_surrogates_reject_their_rows_only(tmp_path):
    expected = hostile.make_lone_surrogate_json(tmp_path / "s.json")
    result = parse(tmp_path / "s.json", expected["landing_path"])
    rejected = sorted(result.rejects.row_text.map(lambda text: text.split('"id_transaksi": "')[1].split('"')[0]))
    assert rejected == expected["rejected_ids"]
    assert all("surrogate" in reason and "\ud800" not in reason for reason in result.rejects.reason)
    assert "Batik \U0001F600 Sekar" in set(result.rows.participant_name)   # a pair is one character
    assert any("lone UTF-16 surrogate" in note for note in result.notes)


def test_xlsx_number_that_underflows_is_rejected(tmp_path):
    expected = hostile.make_xlsx_underflow_shopee(tmp_path / "u.xlsx")
    result = parse(tmp_path / "u.xlsx", expected["landing_path"])
    assert outcome_of(result) == (expected["rows"], expected["loaded"], expected["rejects"])


def test_shifted_enrollment_reason_names_the_column_and_rule_not_the_nik(tmp_path):
    expected = hostile.make_shifted_enrollment(tmp_path / "shifted.csv")
    result = parse(tmp_path / "shifted.csv", expected["landing_path"])
    assert set(result.rejects.reason) == {"column 'program_id': unknown program (not in the programs seed)"}


# ---------------------------------------------------------------- no reason quotes personal data

def quoted(texts: list[str], personal: list[str]) -> list[tuple[str, str]]:
    """(text, value) where a text holds a personal value, or its first six characters (a reason
    that cut the value short, "unknown program (337401…)", quotes it all the same)."""
    return [(text, value) for text in texts for value in personal if value in text or value[:6] in text]


def test_the_leak_check_catches_a_quoted_value():
    assert quoted(["column 'program_id': unknown program (3374015501900011)"], hostile.PERSONAL)
    assert quoted(["column 'program_id': unknown program (337401…)"], hostile.PERSONAL)
    assert not quoted(["column 'program_id': unknown program (not in the programs seed)"], hostile.PERSONAL)


@pytest.mark.parametrize("source", ["enrollment", "survey", "gofood", "shopee", "uvo", "uvo_json", "mbizmarket",
                                    "training", "lapak_ganjar"])
def test_no_reason_quotes_personal_data(tmp_path, source):
    """A NIK, name, phone or address in every column in turn: the reasons of the rejected rows, the
    notes (and a quarantine reason) name columns and rules only."""
    expected = hostile.make_personal_data_everywhere(tmp_path / source, source)
    try:
        result = parse(tmp_path / source, expected["landing_path"])
    except QuarantineError as error:
        texts = [str(error)]
    else:
        assert result.rows_rejected > len(hostile.PERSONAL_CELLS)   # the values did reach the parsers
        texts = [*result.rejects.reason, *result.notes]
    assert not quoted(texts, expected["personal"])


def test_json_numbers_keep_their_source_text():
    from ingest.json_reader import read_json_records

    table = read_json_records(b'[{"a": 1e-400, "b": NaN, "c": 12}, {"a": 123456789012345678901234567890, '
                              b'"d": {"x": 1}}]', "transaksi")
    assert list(table.columns) == ["a", "b", "c", "d"]
    assert table.cells("a").tolist() == [Decimal("1e-400"), Decimal("123456789012345678901234567890")]
    assert table.cells("b")[0].is_nan() and table.cells("b")[1] is None   # a missing key is None, NaN stays
    assert table.cells("c").tolist() == [Decimal(12), None]
    assert table.cell_flags == {"d": {1: ("nested_value", "a JSON object or array where one value belongs")}}
