"""xlsx workbooks read into cells (python-calamine), with the cells Excel holds no value for flagged."""

from __future__ import annotations

import io
import re
import zipfile
from xml.etree import ElementTree


from ingest.readers import Flag, QuarantineError, Table, _columns_of, _finish


def read_xlsx_cells(data: bytes, preferred_sheet: str | None = None) -> Table:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = workbook.sheet_names
        if not names:
            raise QuarantineError("the workbook has no sheets")
        name = preferred_sheet if preferred_sheet in names else names[0]
        rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except QuarantineError:
        raise
    except CalamineError as exc:
        detail = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise QuarantineError(f"unreadable xlsx: damaged, cut short or not an Excel workbook ({detail})") from exc
    except Exception as exc:  # calamine raises its own zip/xml errors for truncated files
        raise QuarantineError(f"unreadable xlsx: damaged, cut short or not an Excel workbook "
                              f"({type(exc).__name__})") from exc
    kept = [(index, row) for index, row in enumerate(rows) if any(cell != "" for cell in row)]
    if not kept:
        raise QuarantineError("empty workbook: no header and no rows")
    header_index, header = kept[0]
    body = [row for _, row in kept[1:]]
    sheet_rows = {index: position for position, (index, _) in enumerate(kept[1:])}
    cell_flags: dict[int, dict[int, Flag]] = {}
    for (row, column), flag in _unknown_cell_values(data, name).items():
        if row in sheet_rows and column < len(header):
            cell_flags.setdefault(column, {})[sheet_rows[row]] = flag
    return _finish([str(cell) for cell in header], _columns_of(body, len(header)), [f"sheet {name!r}"],
                   cell_flags=cell_flags)


_CELL_RE = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_REF_RE = re.compile(rb'\br="([A-Z]{1,3})([0-9]+)"')
_ERROR_TYPE_RE = re.compile(rb'\bt="e"')
_FORMULA_RE = re.compile(rb"<(?:\w+:)?f\b")
_VALUE_RE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")


def _unknown_cell_values(data: bytes, sheet_name: str) -> dict[tuple[int, int], Flag]:
    """Cells whose value the workbook does not hold: Excel errors and uncalculated formulas.

    Calamine reads both as empty cells, which would make a wrong value look like a missing
    one (or like zero). Keyed by 0-based (row, column).
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        path = _sheet_xml_path(archive, sheet_name)
        xml = archive.read(path) if path else b""
    except Exception:  # not a zip (an .xls), or no such part: calamine has read it anyway
        return {}
    if b"<f" not in xml and b'"e"' not in xml:
        return {}
    flags = {}
    for match in _CELL_RE.finditer(xml):
        attributes, inner = match[1], match[2] or b""
        ref = _REF_RE.search(attributes)
        if ref is None:
            continue
        value = _VALUE_RE.search(inner)
        if _ERROR_TYPE_RE.search(attributes):
            error = value[1].decode("utf-8", "replace").strip() if value else "error"
            flag = ("formula_error", f"the cell holds the Excel error {error}")
        elif _FORMULA_RE.search(inner) and not (value and value[1].strip()):
            flag = ("formula_without_value", "the cell is a formula whose value was never calculated "
                                             "(open and save the file in Excel, then deliver it again)")
        else:
            continue
        flags[(int(ref[2]) - 1, _column_index(ref[1]))] = flag
    return flags


def _sheet_xml_path(archive: zipfile.ZipFile, sheet_name: str) -> str | None:
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rel_id = None
    for sheet in workbook.iterfind(".//{*}sheet"):
        if sheet.get("name") == sheet_name:
            rel_id = next((v for k, v in sheet.attrib.items() if k.endswith("}id")), None)
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    for rel in rels.iterfind(".//{*}Relationship"):
        if rel.get("Id") == rel_id:
            target = rel.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else "xl/" + target
    return None


def _column_index(letters: bytes) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + letter - ord("A") + 1
    return index - 1
