"""Hostile text exports (issue 16): encoding decided per line, BOMs mid-file, required columns
empty on every row, the CSV limits, and a memory bound on files of millions of rows.

The 2 M-row files are parsed in a subprocess that reports its own peak RSS, so the bound can
fail the test; the subprocess uses the parse workers' memory pool (`ingest.memory`).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ingest import csv_reader
from ingest.readers import QuarantineError, decode_text, text_bytes
from ingest.sources import gofood, survey
from tests import hostile_text as hostile
from tests.filemakers import csv_bytes
from tests.test_parsers import GOBIZ_HEADER, KOBO_HEADER, gobiz_row, kobo_row

ROOT = Path(__file__).resolve().parents[1]
PEAK_LIMIT_MB = 1536   # 1.5 GiB for a 2 M-row file


def _parse_gofood(path: Path):
    return gofood.parse(path.read_bytes(), "gofood/hostile.csv")


def _accounted(result) -> bool:
    return result.rows_read == result.rows_loaded + result.rows_rejected


# ---------------------------------------------------------------- encoding per line

def test_pasted_exports_stay_utf8_and_reject_only_the_bad_row(tmp_path):
    path = tmp_path / "pasted.csv"
    built = hostile.make_pasted_exports_csv(path)
    result = _parse_gofood(path)
    assert result.rows_read == built["rows"] and result.rows_loaded == built["rows"] - 1 and _accounted(result)
    assert set(result.rows.merchant_name) == {hostile.CAFE}              # no 'CafÃ©'
    assert result.rows.transaction_date.notna().all()                    # the header's BOM is no part of a name
    assert any("repeated header" in note for note in result.notes)       # the second export's header, BOM and all
    assert not any("cp1252" in note for note in result.notes)
    reject = result.rejects.iloc[0]
    assert (reject.reason_code, reject.row_number) == ("invalid_encoding", built["rows"] + 1)
    assert json.loads(reject.row_text)["Transaction ID"] == built["bad_id"]
    assert "\ufffd" in reject.row_text and "Warung" not in reject.reason  # the reason quotes no cell


def test_a_cp1252_export_still_reads_as_cp1252(tmp_path):
    path = tmp_path / "excel.csv"
    built = hostile.make_cp1252_gobiz(path)
    result = _parse_gofood(path)
    assert result.rows_loaded == built["rows"] and result.rows_rejected == 0
    assert built["name"] in set(result.rows.merchant_name)
    assert any("decoded as cp1252" in note for note in result.notes)


def test_a_mostly_utf8_file_rejects_the_lines_that_are_not(tmp_path):
    path = tmp_path / "mostly.csv"
    built = hostile.make_mostly_utf8_gobiz(path)
    result = _parse_gofood(path)
    assert sorted(result.rejects.row_number) == built["bad_row_numbers"]
    assert set(result.rejects.reason_code) == {"invalid_encoding"}
    assert result.rows_loaded == built["rows"] - len(built["bad_row_numbers"]) and _accounted(result)
    assert set(result.rows.merchant_name) == {hostile.CAFE}


def test_a_valid_utf8_file_is_read_from_its_own_bytes():
    data = csv_bytes([GOBIZ_HEADER, gobiz_row("F-1", "2021-09-05T03:00:00Z", "45000")], bom=True)
    text, damaged = text_bytes(data, notes := [])
    assert text is data and damaged == 0 and notes == []


def test_json_text_reads_the_stray_bytes_as_cp1252_in_place():
    data = '[{"a": "Café"},\n {"a": "Señor"},\n {"a": "@"}]'.encode().replace(b"@", b"Caf\xe9")
    notes = []
    assert json.loads(decode_text(data, notes)) == [{"a": "Café"}, {"a": "Señor"}, {"a": "Café"}]
    assert any("not UTF-8" in note for note in notes)


def test_header_with_bytes_that_are_not_utf8_quarantines():
    data = csv_bytes([[*GOBIZ_HEADER[:-1], "Curr@ncy"], *[gobiz_row(f"F-{i}", "2021-09-05T03:00:00Z", "45000")
                                                          for i in range(3)]])
    data = data.replace(b"@", b"\xe9") + "9/5/2021,Café\r\n".encode() * 3
    with pytest.raises(QuarantineError, match="header line holds bytes that are not UTF-8"):
        gofood.parse(data, "gofood/x.csv")


def test_pasted_kobo_exports_with_a_bom_before_a_quoted_header():
    """Kobo quotes every field: the second export's line starts with a BOM and then a quote."""
    first = csv_bytes([KOBO_HEADER, kobo_row(_id="201", _uuid="u201")], delimiter=";", quote_all=True, bom=True)
    second = csv_bytes([KOBO_HEADER, kobo_row(_id="202", _uuid="u202")], delimiter=";", quote_all=True, bom=True)
    result = survey.parse(first + second, "survey/pasted.csv")
    assert (result.rows_read, result.rows_loaded) == (2, 2)
    assert any("repeated header" in note for note in result.notes)


# ---------------------------------------------------------------- required columns all empty

def test_required_columns_empty_on_every_row_quarantine_the_file(tmp_path):
    path = tmp_path / "empty_required.csv"
    built = hostile.make_empty_required_gobiz(path)
    with pytest.raises(QuarantineError) as caught:
        _parse_gofood(path)
    message = str(caught.value)
    assert all(f"'{name}'" in message for name in built["empty"]) and "every row" in message
    assert "G-HOSTILE" not in message and hostile.CAFE not in message


def test_a_required_cell_empty_on_some_rows_rejects_those_rows():
    rows = [gobiz_row("F-1", "2021-09-05T03:00:00Z", "45000"), gobiz_row("F-2", "2021-09-05T03:00:00Z", "")]
    result = gofood.parse(csv_bytes([GOBIZ_HEADER, *rows]), "gofood/x.csv")
    assert list(result.rejects.reason_code) == ["missing_value"] and result.rows_loaded == 1


# ---------------------------------------------------------------- blank rows and the limits

@pytest.mark.parametrize("stray_quote", [False, True], ids=["arrow", "exact"])
def test_blank_rows_are_dropped_counted_and_not_read(stray_quote):
    row = gobiz_row("F-1", "2021-09-05T03:00:00Z", "45000")
    if stray_quote:   # a quote inside a value: the exact reader
        row[GOBIZ_HEADER.index("Merchant name")] = 'Toko 12" Layar'
    blank = b"," * (len(GOBIZ_HEADER) - 1) + b"\r\n"
    data = (csv_bytes([GOBIZ_HEADER, row]) + blank * 3 + b" , ,\t\r\n"
            + csv_bytes([gobiz_row("F-2", "2021-09-05T03:00:00Z", "-5")]))
    result = gofood.parse(data, "gofood/x.csv")
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (2, 1, 1)
    assert list(result.rejects.row_number) == [6]   # the record's position, blank rows included
    assert any("dropped 4 blank row(s)" in note for note in result.notes)


def test_the_csv_limits(monkeypatch):
    row = gobiz_row("F-1", "2021-09-05T03:00:00Z", "45000")
    long_row = gobiz_row("F-2", "2021-09-05T03:00:00Z", "45000")
    long_row[GOBIZ_HEADER.index("Promo Name")] = "x" * (csv_reader.MAX_CELL_CHARS + 1)
    result = gofood.parse(csv_bytes([GOBIZ_HEADER, row, long_row]), "gofood/x.csv")
    assert list(result.rejects.reason_code) == ["cell_too_long"] and "MAX_CELL_CHARS" in result.rejects.reason[0]
    assert len(result.rejects.row_text[0]) < 25_000 and "xxx" not in result.rejects.reason[0]

    monkeypatch.setattr(csv_reader, "MAX_ROWS", 5)
    with pytest.raises(QuarantineError, match="MAX_ROWS"):
        gofood.parse(csv_bytes([GOBIZ_HEADER, *[row] * 6]), "gofood/x.csv")
    monkeypatch.setattr(csv_reader, "MAX_COLUMNS", len(GOBIZ_HEADER) - 1)
    for quote_all in (False, True):   # the fast reader and, with a stray quote, the exact one
        data = csv_bytes([GOBIZ_HEADER, row], quote_all=quote_all) + (b'"x' if quote_all else b"")
        with pytest.raises(QuarantineError, match="MAX_COLUMNS"):
            gofood.parse(data, "gofood/x.csv")


# ---------------------------------------------------------------- memory bound on millions of rows

_MEASURE = """
import json, resource, sys, time
import ingest.memory   # the parse workers' memory pool
from ingest.readers import QuarantineError
from ingest.sources import gofood, survey
path, source = sys.argv[1], sys.argv[2]
data = open(path, "rb").read()
start, cpu = time.perf_counter(), sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
result = {"gofood": gofood, "survey": survey}[source].parse(data, source + "/hostile.csv")
print(json.dumps({
    "seconds": time.perf_counter() - start,
    "cpu_seconds": sum(resource.getrusage(resource.RUSAGE_SELF)[:2]) - cpu,
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "counts": [result.rows_read, result.rows_loaded, result.rows_rejected],
    "codes": sorted(set(result.reject_table.column("reason_code").to_pylist())),
    "last_text": result.reject_table.column("row_text")[-1].as_py() if result.rows_rejected else None,
    "notes": result.notes,
}))
"""


def _measure(path: Path, source: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", _MEASURE, str(path), source], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_two_million_rows_of_one_transaction_id_stay_within_the_memory_bound(tmp_path):
    path = tmp_path / "repeated.csv"
    rows = hostile.make_repeated_id_gofood(path)["rows"]
    measured = _measure(path, "gofood")
    print(f"repeated id: {measured['seconds']:.1f} s ({measured['cpu_seconds']:.1f} s CPU), "
          f"peak {measured['peak_mb']:.0f} MB")
    assert measured["counts"] == [rows, 1, rows - 1] and measured["codes"] == ["duplicate_id"]
    assert json.loads(measured["last_text"])[2] == "F-SAME"   # a short row text, still JSON
    assert any("row text shortened" in note for note in measured["notes"])
    assert measured["peak_mb"] < PEAK_LIMIT_MB


def test_two_million_empty_kobo_records_are_blank_rows_within_the_memory_bound(tmp_path):
    path = tmp_path / "empty.csv"
    built = hostile.make_empty_kobo(path)
    measured = _measure(path, "survey")
    print(f"empty kobo: {measured['seconds']:.1f} s ({measured['cpu_seconds']:.1f} s CPU), "
          f"peak {measured['peak_mb']:.0f} MB")
    assert measured["counts"] == [built["loaded"], built["loaded"], 0]
    assert any(f"dropped {built['rows']} blank row(s)" in note for note in measured["notes"])
    assert measured["peak_mb"] < PEAK_LIMIT_MB
