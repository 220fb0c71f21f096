"""xlsx limits before work (issue 16): each hostile class is refused quickly, in little memory, with
the limit and the cell named; good workbooks read exactly as before the checks."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from ingest import xlsx_reader
from ingest.readers import QuarantineError
from ingest.sources import SOURCES
from ingest.xlsx_flags import flag_cells
from ingest.xlsx_reader import SheetExtent, check_workbook, check_zip_directory, fast_cells, scan_sheet, walk_cells
from tests import hostile_xlsx
from tests.corpus import xlsx_with_cells
from tests.filemakers import xlsx_bytes

ROOT = Path(__file__).resolve().parents[1]
CAP_BYTES = 3 << 30           # address space of the parse process: past it, a regression aborts, not the machine
MAX_EXTRA_MIB = 128           # memory the refusal itself may take, over the file's bytes
MAX_SECONDS = 10.0

_PARSE = """
import json, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, ({cap}, {cap}))
from ingest.readers import QuarantineError
from ingest.sources import SOURCES
data = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
try:
    SOURCES[sys.argv[2]].parse(data, sys.argv[3])
    outcome, reason = "loaded", ""
except QuarantineError as error:
    outcome, reason = "quarantined", str(error)
print(json.dumps({{"outcome": outcome, "reason": reason, "seconds": time.perf_counter() - start,
                  "extra_mib": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024}}))
"""


def parse_in_a_process(path: Path, source: str = "shopee", landing_path: str = hostile_xlsx.SHOPEE_PATH) -> dict:
    """Parse in a child process under an address-space cap: a reader that aborts or balloons fails
    the test instead of taking pytest (or the machine) with it. Peak memory is the child's own."""
    done = subprocess.run([sys.executable, "-c", _PARSE.format(cap=CAP_BYTES), str(path), source, landing_path],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"the parse process died ({done.returncode}): {done.stderr[-800:]}"
    return json.loads(done.stdout.splitlines()[-1])


@pytest.mark.parametrize("make", list(hostile_xlsx.HOSTILE), ids=lambda make: make.__name__)
def test_each_hostile_class_is_refused_quickly_in_bounded_memory(make, tmp_path):
    start = time.perf_counter()
    path = make(tmp_path / "hostile.xlsx")
    assert time.perf_counter() - start < MAX_SECONDS, "a builder must take seconds at most"
    result = parse_in_a_process(path)
    assert result["outcome"] == "quarantined"
    for word in hostile_xlsx.HOSTILE[make]:
        assert word in result["reason"]
    assert result["seconds"] < MAX_SECONDS and result["extra_mib"] < MAX_EXTRA_MIB, result


def test_a_lying_dimension_is_not_trusted(tmp_path):
    result = parse_in_a_process(hostile_xlsx.make_huge_dimension_xlsx(tmp_path / "dimension.xlsx"))
    assert result["outcome"] == "loaded" and result["extra_mib"] < MAX_EXTRA_MIB, result


def test_reasons_name_the_cell_never_its_content(tmp_path):
    """A far cell holding a NIK: the reason gives its position only."""
    nik = "3374011203850001"
    path = tmp_path / "nik.xlsx"
    head, tail = hostile_xlsx._sheet(hostile_xlsx._good_rows() + hostile_xlsx._row(1048576, [("XFD", nik)]))
    hostile_xlsx._write(path, (head, tail))
    with pytest.raises(QuarantineError) as refused:
        SOURCES["shopee"].parse(path.read_bytes(), hostile_xlsx.SHOPEE_PATH)
    assert "XFD1048576" in str(refused.value) and nik not in str(refused.value)


# ---------------------------------------------------------------- the scan itself

def _cell(ref: str, value: str = "1") -> str:
    return f'<c r="{ref}"><v>{value}</v></c>'


def _rows_xml(rows: int, columns: int) -> bytes:
    return "".join(f'<row r="{r}">' + "".join(_cell(xlsx_reader.cell_ref(r, c)) for c in range(1, columns + 1))
                   + "</row>" for r in range(1, rows + 1)).encode()


def test_the_vectorised_scan_agrees_with_the_walk():
    xml = _rows_xml(300, 30) + _cell("XFD7").encode() + _cell("AB1048576").encode()
    rows, columns = fast_cells(xml)
    walked = SheetExtent()
    walk_cells(xml, walked, "sheet")
    assert (rows.max(), columns.max()) == (walked.rows, walked.columns) == (1048576, 16384)
    assert len(rows) == 300 * 30 + 2


@pytest.mark.parametrize("spelling", [
    b"<c r='XFD9'><v>1</v></c>",                  # single quotes
    b'<c s="1" r="XFD9"><v>1</v></c>',            # r not the first attribute
    b'<c r = "XFD9"><v>1</v></c>',                # spaces around =
    b'<c\tr="XFD9"><v>1</v></c>',                 # a tab
    b'<x:c r="XFD9"><x:v>1</x:v></x:c>',          # a namespace prefix
    b'<c r="xfd9"><v>1</v></c>',                  # lower case, which calamine accepts
    b'<c r="XFD0000009"><v>1</v></c>',            # leading zeros
    b'<row r="9"><c r="XFC9"/><c><v>1</v></c></row>',  # no reference: the column after the last
])
def test_every_spelling_of_a_far_cell_is_caught(spelling):
    xml = _rows_xml(3, 5) + spelling
    fast = fast_cells(xml)
    assert fast is None or fast[1].max() == 16384   # walked, or read exactly
    with pytest.raises(QuarantineError, match="XFD9.*MAX_COLUMNS"):
        scan_sheet(lambda: [xml], "'sheet'")


def test_cells_without_references_are_placed_as_calamine_places_them():
    xml = b'<row r="5"><c><v>1</v></c><c><v>1</v></c></row><row><c r="C7"><v>1</v></c><c><v>1</v></c></row><row/>'
    extent = SheetExtent()
    walk_cells(xml, extent, "sheet")
    assert (extent.rows, extent.columns, extent.row_index) == (7, 4, 7)


def test_references_calamine_cannot_place_are_refused():
    for ref in (b"A0", b"7", b"", b"A 5"):
        with pytest.raises(QuarantineError, match="not one"):
            scan_sheet(lambda ref=ref: [b'<c r="' + ref + b'"><v>1</v></c>'], "'sheet'")


def test_any_chunking_gives_the_same_extent_and_flags():
    rows = [["a", "b", "c"], *[[r, r * 2, f"t{r}"] for r in range(1, 400)]]
    data = xlsx_with_cells(rows, {"B7": b'<c r="B7" t="e"><v>#N/A</v></c>', "C300": b'<c r="C300"><f>A1+1</f></c>',
                                  "A399": b'<c r="A399"><f>SUM(B1:B3)</f><v></v></c>'})
    xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    whole = scan_sheet(lambda: [xml], "'sheet'")
    assert set(whole) == {(6, 1), (299, 2), (398, 0)}
    for size in (7, 100, 1000, 4096):
        chunks = [xml[i:i + size] for i in range(0, len(xml), size)]
        assert scan_sheet(lambda chunks=chunks: chunks, "'sheet'") == whole


def test_the_directory_check_reads_declared_sizes_only():
    def info(size: int, packed: int) -> zipfile.ZipInfo:
        entry = zipfile.ZipInfo("xl/worksheets/sheet1.xml")
        entry.file_size, entry.compress_size = size, packed
        return entry

    check_zip_directory([info(50 << 20, 7 << 20), info(900 << 10, 1)])   # a real sheet; a small part
    with pytest.raises(QuarantineError, match="XLSX_MAX_RATIO"):
        check_zip_directory([info(500 << 20, 2 << 20)])
    with pytest.raises(QuarantineError, match="XLSX_MAX_TOTAL_BYTES"):
        check_zip_directory([info(900 << 20, 100 << 20)] * 2)


def test_old_style_and_other_workbooks_are_named():
    with pytest.raises(QuarantineError, match=r"\.xls\)"):
        check_workbook(b"\xd0\xcf\x11\xe0" + bytes(600))
    with pytest.raises(QuarantineError, match="unreadable xlsx"):
        check_workbook(b"No. Pesanan,Status\n1,Selesai\n")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    with pytest.raises(QuarantineError, match="OpenDocument"):
        check_workbook(buffer.getvalue())


# ---------------------------------------------------------------- good workbooks: nothing changes

@pytest.fixture(scope="module")
def demo_workbooks(tmp_path_factory) -> list[Path]:
    from demo.zone import write_demo_landing

    root = tmp_path_factory.mktemp("demo") / "landing"
    write_demo_landing(root, scale=1, seed=42)
    return sorted(path for source in ("survey", "enrollment", "shopee") for path in (root / source).rglob("*.xlsx"))


def _unchecked(data: bytes):
    """The reader as before the checks: flags from the whole sheet XML at once, no limits."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:   # calamine refuses it then
        return None, {}
    flags = {}
    for info in archive.infolist():
        if xlsx_reader.part_name(info.filename).startswith(xlsx_reader.SHEET_DIRS):
            xml = archive.read(info)
            flags[xlsx_reader.part_name(info.filename)] = found = {}
            flag_cells(xml, len(xml), found)
    return archive, flags


def _read(data: bytes, sheet: str | None):
    try:
        table = xlsx_reader.read_xlsx_cells(data, sheet)
    except QuarantineError as error:
        return str(error)
    return (list(table.columns), [list(table.cells(h)) for h in table.columns], table.cell_flags,
            list(table.row_numbers), table.notes)


def test_demo_workbooks_read_exactly_as_without_the_checks(demo_workbooks, monkeypatch):
    assert len(demo_workbooks) > 100
    sheets = {path: "orders" if "shopee" in path.parts else None for path in demo_workbooks}
    checked = {path: _read(path.read_bytes(), sheets[path]) for path in demo_workbooks}
    monkeypatch.setattr(xlsx_reader, "check_workbook", _unchecked)
    for path in demo_workbooks:
        unchecked = _read(path.read_bytes(), sheets[path])
        if isinstance(unchecked, str):   # the demo's broken files (a lock file, a cut-short export)
            assert isinstance(checked[path], str) and "unreadable xlsx" in checked[path], path
        else:
            assert checked[path] == unchecked, path


def test_openpyxl_workbooks_with_formulas_read_exactly_as_without_the_checks(monkeypatch):
    rows = [["No. Pesanan", "Jumlah", "Total"], *[[f"21{n:06d}", n, n * 1000] for n in range(1, 200)]]
    data = xlsx_with_cells(rows, {"C5": b'<c r="C5" t="e"><v>#DIV/0!</v></c>', "C9": b'<c r="C9"><f>B9*2</f></c>'})
    checked = _read(data, None)
    monkeypatch.setattr(xlsx_reader, "check_workbook", _unchecked)
    assert checked == _read(data, None) and len(checked[2]["Total"]) == 2
    assert _read(xlsx_bytes(rows), None) == _read(xlsx_bytes(rows), None)


def test_fast_cells_rejects_long_or_empty_references():
    assert fast_cells(b'<c r="A12345678"><v>1</v></c>') is None      # 8 digits: walked, not guessed
    assert fast_cells(b'<c r="ABCD1"><v>1</v></c>') is None          # 4 letters
    rows, columns = fast_cells(b'<c r="XFD1048576"/><col min="1"/><cols/>')
    assert list(rows) == [1048576] and list(columns) == [16384] and isinstance(rows, np.ndarray)


def test_flags_are_found_past_much_text():
    text = b'<c r="A1" t="inlineStr"><is><t>' + b"e f " * 400 + b"</t></is></c>"
    error = b'<c r="B1" t="e"><v>#N/A</v></c>'
    assert scan_sheet(lambda: [b'<row r="1">' + text + error + b"</row>"], "'sheet'") == {
        (0, 1): ("formula_error", "the cell holds the Excel error #N/A")}
    assert scan_sheet(lambda: [b'<row r="1">' + text + b"</row>"], "'sheet'") == {}


@pytest.mark.parametrize("before", [b"", b'<c r="A1"><v>-1.5E-3</v></c>', b'<c r="A1"><v>-2</v></c>' * 300])
def test_an_underflow_is_found_after_any_minus_signs(before):
    """The underflow regex runs from the first exponent's minus sign, or after 256 other minus signs."""
    underflow = b'<c r="B2"><v>1e-400</v></c>'
    assert scan_sheet(lambda: [b'<row r="2">' + before + underflow + b"</row>"], "'sheet'") == {
        (1, 1): ("invalid_amount", "the number is too small for the file to hold (it reads as 0)")}
    assert scan_sheet(lambda: [b'<row r="2">' + before + b'<c r="B2"><v>1e-300</v></c></row>'], "'sheet'") == {}
