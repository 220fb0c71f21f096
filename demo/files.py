"""The demo's file formats (csv, a small fixed-timestamp xlsx writer) and the landing-zone writer.

A table is a dict: column name -> Arrow string array (all of the same length)."""

from __future__ import annotations

import io
import os
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from demo.cells import (WIB, _EMPTY, _LS, _arrow, _buffer_bytes, _cat, _contains_any, _digits, _fmt_time, _join_chars,
                        _lit, _np, _str, _take, _where)

XLSX_MAX_ROWS = 1_048_575        # Excel's limit below the header: bigger tables go to csv
XLSX_LEVEL = 1                   # deflate level: ~4x faster than Excel's (6), files ~20% larger


# ================================================================ csv

def _rows_of(table: dict, index) -> dict:
    return {name: _take(values, index) for name, values in table.items()}


def _csv_quoted(values: pa.Array, sep: str, quote_all: bool) -> pa.Array:
    """Cells quoted as Python's csv module quotes them (QUOTE_MINIMAL or QUOTE_ALL)."""
    if quote_all:
        return _cat('"', pc.replace_substring(values, '"', '""'), '"')
    if not _contains_any(values, sep + '"\r\n'):
        return values
    needs = pc.match_substring_regex(values, f'[{sep}"\r\n]')
    return pc.if_else(needs, _cat('"', pc.replace_substring(values, '"', '""'), '"'), values)


def _csv_header(names, sep: str = ",", quote_all: bool = False, line: str = "\n", trailing_sep: bool = False) -> str:
    cells = [_np(_csv_quoted(pa.array([name], _LS), sep, quote_all))[0] for name in names]
    return sep.join(cells) + (sep if trailing_sep else "") + line


def _csv_lines(table: dict, sep: str = ",", quote_all: bool = False, line: str = "\n",
               trailing_sep: bool = False) -> pa.Array:
    """One CSV line (with its line end) per row."""
    cells = [_csv_quoted(values, sep, quote_all) for values in table.values()]
    end = _lit((sep if trailing_sep else "") + line)
    return pc.binary_join_element_wise(pc.binary_join_element_wise(*cells, _lit(sep)), end, _EMPTY)


def _csv_bytes(table: dict, sep: str = ",", quote_all: bool = False, bom: bool = False, line: str = "\n",
               encoding: str = "utf-8", header: bool = True, trailing_sep: bool = False) -> bytes:
    head = ("\ufeff" if bom else "") + (_csv_header(table, sep, quote_all, line, trailing_sep) if header else "")
    body = _buffer_bytes(_csv_lines(table, sep, quote_all, line, trailing_sep))
    if encoding == "utf-8":
        return head.encode("utf-8") + body
    return (head + body.decode("utf-8")).encode(encoding)


# ================================================================ xlsx

# xlsx cell kinds
EMPTY, TEXT, NUMBER, DATE, DATETIME = 0, 1, 2, 3, 4
_CELL = {TEXT: ('" t="s"><v>', "</v></c>"), NUMBER: ('"><v>', "</v></c>"),       # TEXT: a shared string
         DATE: ('" s="1"><v>', "</v></c>"), DATETIME: ('" s="2"><v>', "</v></c>")}


@dataclass
class _XCol:
    """One xlsx column: the cell text (number text for numbers) and a kind per cell."""
    values: pa.Array
    kind: np.ndarray

    @classmethod
    def text(cls, values) -> _XCol:
        values = _arrow(values)
        return cls(values, np.where(_np(pc.equal(values, _EMPTY)), EMPTY, TEXT).astype(np.int8))


_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_COLUMN_LETTERS = list(_LETTERS) + [a + b for a in "ABC" for b in _LETTERS]
_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CT_OFFICE = "application/vnd.openxmlformats-officedocument"
_NS_PACKAGE = "http://schemas.openxmlformats.org/package/2006"
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_CONTENT_TYPES = (
    _XML_HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_CT_OFFICE}.spreadsheetml.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_CT_OFFICE}.spreadsheetml.worksheet+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{_CT_OFFICE}.spreadsheetml.styles+xml"/>'
    f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_CT_OFFICE}.spreadsheetml.sharedStrings+xml"/>'
    '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    f'<Override PartName="/docProps/app.xml" ContentType="{_CT_OFFICE}.extended-properties+xml"/>'
    '</Types>')
_ROOT_RELS = (
    _XML_HEAD + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_NS_REL}/officeDocument" Target="xl/workbook.xml"/>'
    f'<Relationship Id="rId2" Type="{_NS_PACKAGE}/relationships/metadata/core-properties" Target="docProps/core.xml"/>'
    f'<Relationship Id="rId3" Type="{_NS_REL}/extended-properties" Target="docProps/app.xml"/>'
    '</Relationships>')
_WORKBOOK_RELS = (
    _XML_HEAD + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_NS_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_NS_REL}/styles" Target="styles.xml"/>'
    f'<Relationship Id="rId3" Type="{_NS_REL}/sharedStrings" Target="sharedStrings.xml"/>'
    '</Relationships>')
_STYLES = (
    _XML_HEAD + f'<styleSheet xmlns="{_NS_MAIN}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '</styleSheet>')


def _xml_escape(values: pa.Array) -> pa.Array:
    if not _contains_any(values, "&<>"):
        return values
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        values = pc.replace_substring(values, char, entity)
    return values


def _xlsx_cells(letter: str, row_numbers: pa.Array, column: _XCol, shared: np.ndarray | None):
    """The <c> element of every cell of a column ('' for empty cells); text cells point at `shared`."""
    out, ref = _EMPTY, None
    for kind, (head, tail) in _CELL.items():
        mask = column.kind == kind
        if not mask.any():
            continue
        ref = _cat(f'<c r="{letter}', row_numbers) if ref is None else ref
        cells = _cat(ref, head, _str(shared) if kind == TEXT else column.values, tail)
        out = cells if mask.all() else _where(mask, cells, out)
    return out


@dataclass
class _Sheets:
    """Several sheets rendered together: the <row> elements of all their rows, one after the other,
    and each sheet's shared-string table."""
    rows: pa.Array
    strings: list[bytes]             # the <si> elements of each sheet
    counts: list[tuple[int, int]]    # (text cells, distinct strings) of each sheet


def _shared_strings(columns: list[_XCol], starts: np.ndarray, sizes: np.ndarray):
    """Each sheet's shared-string table, and per column the table index of each of its text cells.

    A sheet's strings are numbered in first-use order, column by column. All sheets are encoded
    at once: the text cells are put in sheet order and prefixed by the sheet number, so one
    dictionary encoding gives every sheet a run of consecutive codes."""
    sheets = len(sizes)
    positions = [np.flatnonzero(column.kind == TEXT) for column in columns]
    offsets = np.cumsum([len(pos) for pos in positions]) - [len(pos) for pos in positions]
    # the cells of sheet k in column j are a run of column j's text cells: reorder those runs sheet-major
    lo = np.stack([np.searchsorted(pos, starts) for pos in positions], axis=1)            # (sheet, column)
    hi = np.stack([np.searchsorted(pos, starts + sizes) for pos in positions], axis=1)
    run_start, run_len = (offsets[None, :] + lo).ravel(), (hi - lo).ravel()
    total = int(run_len.sum())
    order = np.repeat(run_start - (np.cumsum(run_len) - run_len), run_len) + np.arange(total)
    texts = pa.concat_arrays([_take(column.values, pos) for column, pos in zip(columns, positions)]).take(order)
    text_sheet = np.repeat(np.repeat(np.arange(sheets), len(columns)), run_len)
    width = len(str(sheets))
    encoded = pc.dictionary_encode(_cat(_join_chars([_digits(text_sheet, width)], total), texts))
    codes = _np(encoded.indices).astype(np.int64)
    cells = np.bincount(text_sheet, minlength=sheets)
    bounds = np.full(sheets + 1, len(encoded.dictionary), np.int64)   # sheet k: codes bounds[k]..bounds[k+1]
    for k in range(sheets - 1, -1, -1):
        bounds[k] = codes[np.searchsorted(text_sheet, k)] if cells[k] else bounds[k + 1]
    local = np.empty(total, np.int64)
    local[order] = codes - bounds[text_sheet]
    indexes = [local[offset:offset + len(pos)] for offset, pos in zip(offsets, positions)]
    words = pc.utf8_slice_codeunits(encoded.dictionary, width)
    spaced = pc.or_(pc.starts_with(words, " "), pc.ends_with(words, " "))
    words = _xml_escape(words)
    entries = pc.if_else(spaced, _cat('<si><t xml:space="preserve">', words, "</t></si>"),
                         _cat("<si><t>", words, "</t></si>"))
    distinct = np.diff(bounds)
    strings = [_buffer_bytes(entries.slice(bounds[k], distinct[k])) for k in range(sheets)]
    return positions, indexes, strings, list(zip(cells.tolist(), distinct.tolist()))


def _xlsx_sheets(columns: list[_XCol], sizes) -> _Sheets:
    """Render sheets of `sizes` rows whose cells are `columns`, laid end to end."""
    sizes = np.asarray(sizes, dtype=np.int64)
    starts = np.cumsum(sizes) - sizes
    n = int(sizes.sum())
    positions, indexes, strings, counts = _shared_strings(columns, starts, sizes)
    numbers = _str(np.arange(n) - np.repeat(starts, sizes) + 2)
    parts = [_cat('<row r="', numbers, '">')]
    for letter, column, pos, index in zip(_COLUMN_LETTERS, columns, positions, indexes):
        shared = np.zeros(n, np.int64)
        shared[pos] = index
        parts.append(_xlsx_cells(letter, numbers, column, shared))
    rows = pc.binary_join_element_wise(*parts, _lit("</row>"), _EMPTY)
    return _Sheets(rows, strings, counts)


def _xlsx_bytes(header: list[str], columns: list[_XCol], sheet: str, when: int,
                creator: str = "Microsoft Office User") -> bytes:
    """A minimal, valid xlsx (shared strings), byte-identical for the same input and `when`."""
    n = len(columns[0].values) if columns else 0
    sheets = _xlsx_sheets(columns, [n])
    return _xlsx_package(header, n, _buffer_bytes(sheets.rows), sheets.strings[0], sheets.counts[0], sheet, when,
                         creator)


def _xlsx_package(header: list[str], n: int, rows: bytes, strings: bytes, counts: tuple[int, int], sheet: str,
                  when: int, creator: str = "Microsoft Office User") -> bytes:
    """The xlsx zip around the <row> elements of the n data rows and their shared strings.

    The header row is written as inline strings (as some exporters do), so it needs no table entry."""
    stamp = _np(_fmt_time(np.array([when]), "%Y-%m-%dT%H:%M:%SZ"))[0]
    core = (_XML_HEAD + f'<cp:coreProperties xmlns:cp="{_NS_PACKAGE}/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f'<dc:creator>{creator}</dc:creator><cp:lastModifiedBy>{creator}</cp:lastModifiedBy>'
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified></cp:coreProperties>')
    app = (_XML_HEAD + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
           '<Application>Microsoft Excel</Application></Properties>')
    workbook = (_XML_HEAD + f'<workbook xmlns="{_NS_MAIN}" xmlns:r="{_NS_REL}"><bookViews><workbookView/></bookViews>'
                f'<sheets><sheet name="{sheet}" sheetId="1" r:id="rId1"/></sheets></workbook>')
    last = f"{_COLUMN_LETTERS[len(header) - 1]}{n + 1}"
    escaped = [name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") for name in header]
    head_cells = "".join(f'<c r="{letter}1" t="inlineStr" s="3"><is><t>{name}</t></is></c>'
                         for letter, name in zip(_COLUMN_LETTERS, escaped))
    sheet_head = (_XML_HEAD + f'<worksheet xmlns="{_NS_MAIN}" xmlns:r="{_NS_REL}"><dimension ref="A1:{last}"/>'
                  '<sheetViews><sheetView workbookViewId="0"/></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
                  f'<sheetData><row r="1">{head_cells}</row>')
    sheet_tail = ('</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
                  'footer="0.3"/></worksheet>')
    date_time = time.gmtime(when + WIB)[:6]  # zip entries carry local wall-clock time

    def info(name: str) -> zipfile.ZipInfo:
        entry = zipfile.ZipInfo(name, date_time=date_time)
        entry.compress_type = zipfile.ZIP_DEFLATED
        entry._compresslevel = XLSX_LEVEL          # a ZipInfo of its own ignores the archive's level
        entry.create_system = 0
        entry.external_attr = 0
        return entry

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=XLSX_LEVEL) as archive:
        for name, text in (("[Content_Types].xml", _CONTENT_TYPES), ("_rels/.rels", _ROOT_RELS),
                           ("docProps/app.xml", app), ("docProps/core.xml", core),
                           ("xl/workbook.xml", workbook), ("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS),
                           ("xl/styles.xml", _STYLES)):
            archive.writestr(info(name), text.encode("utf-8"))
        with archive.open(info("xl/worksheets/sheet1.xml"), "w", force_zip64=n > 2_000_000) as sheet_file:
            sheet_file.write(sheet_head.encode("utf-8"))
            sheet_file.write(rows)
            sheet_file.write(sheet_tail.encode("utf-8"))
        with archive.open(info("xl/sharedStrings.xml"), "w") as strings_file:
            strings_file.write((_XML_HEAD + f'<sst xmlns="{_NS_MAIN}" count="{counts[0]}" '
                                f'uniqueCount="{counts[1]}">').encode("utf-8"))
            strings_file.write(strings)
            strings_file.write(b"</sst>")
    return buffer.getvalue()


def _table_xcols(table: dict, numeric: dict[str, np.ndarray] | None = None) -> list[_XCol]:
    """Every column as text cells, except those given in `numeric` (name -> bool mask of number cells)."""
    columns = []
    for name, values in table.items():
        col = _XCol.text(values)
        if numeric and name in numeric:
            mask = np.asarray(numeric[name], dtype=bool) & (col.kind == TEXT)
            col.kind[mask] = NUMBER
        columns.append(col)
    return columns


# ================================================================ the landing zone

@dataclass
class _Landing:
    """Writes files (only when their bytes differ), then gives each its delivery mtime."""
    root: Path
    deliveries: list = field(default_factory=list)      # (when, order, path)
    stats: dict = field(default_factory=dict)

    def put(self, relative: str, data: bytes, when: int, rows: int = 0, kind: str = "data") -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if not (path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data):
            temporary = path.with_name(f".{path.name}.demo-writing")  # a dot-file: never picked up
            temporary.write_bytes(data)
            os.replace(temporary, path)
        self.deliveries.append((int(when), len(self.deliveries), path))
        source = relative.split("/", 1)[0]
        entry = self.stats.setdefault(source, {"files": 0, "rows": 0})
        entry["files"] += 1
        entry["rows"] += int(rows)
        entry["bytes"] = entry.get("bytes", 0) + len(data)
        if kind != "data":
            entry[kind] = entry.get(kind, 0) + 1

    def count(self, source: str, **entities: int) -> None:
        entry = self.stats.setdefault(source, {"files": 0, "rows": 0})
        for name, value in entities.items():
            entry[name] = entry.get(name, 0) + int(value)

    def finish(self) -> None:
        _set_mtimes([(when, 0, order, path) for when, order, path in self.deliveries])


def _set_mtimes(deliveries: list) -> None:
    """mtime = delivery time, strictly increasing in delivery order (ties: the order the entries sort in)."""
    previous = None
    for *key, path in sorted(deliveries):
        when = key[0]
        stamp = when if previous is None else max(when, previous + 1)
        os.utime(path, ns=(stamp * 1_000_000_000, stamp * 1_000_000_000))
        previous = stamp
