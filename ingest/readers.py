"""Read a file's bytes into a table of cells, whatever the format.

CSV cells come back as `str` (an Arrow string column, no Python object per cell); xlsx
cells keep their type (number, datetime, text) so the value parsers know a number cell is
exact; JSON values keep their JSON type (those two as object arrays). Problems that
make the whole file unusable raise `QuarantineError` with a sentence for the ledger.
Problems of one row (a line with the wrong number of fields, NUL bytes, an Excel error or an
uncalculated formula in a cell) are flagged on the `Table`; the row builder rejects those rows
with a reason code and the rest of the file loads.

Reasons never quote cell contents: they end up in the data-quality mart, and a headerless file
would otherwise put a person's data there.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from xml.etree import ElementTree

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from ingest.vectorised import PY_SPACE


class QuarantineError(Exception):
    """The file cannot be loaded at all; the message is shown to operators."""


Flag = tuple[str, str]   # (reason code, reason sentence)


Column = pa.Array | np.ndarray   # Arrow strings (CSV) or an object array (xlsx, JSON)


@dataclass
class Table:
    columns: dict[str, Column]       # header name -> cells, in the file's order
    row_numbers: np.ndarray          # 1-based position of each record among the data rows
    notes: list[str] = field(default_factory=list)
    row_flags: dict[int, Flag] = field(default_factory=dict)              # row position -> problem
    cell_flags: dict[str, dict[int, Flag]] = field(default_factory=dict)  # header -> position -> problem
    row_texts: dict[int, str] = field(default_factory=dict)  # the record as read, when the cells differ
    duplicate_headers: set[str] = field(default_factory=set)  # header keys naming more than one column

    def __len__(self) -> int:
        return len(self.row_numbers)

    def cells(self, header: str) -> np.ndarray:
        """A column as an object array of Python values."""
        return as_objects(self.columns[header])

    @cached_property
    def frame(self) -> pd.DataFrame:
        """All cells as a DataFrame of Python values (for people and tests; parsers use `columns`)."""
        return pd.DataFrame({header: self.cells(header) for header in self.columns}, columns=list(self.columns),
                            dtype=object)


def as_objects(column: Column) -> np.ndarray:
    """Cells as an object array of Python values (Arrow strings converted, object arrays as they are)."""
    return column.to_numpy(zero_copy_only=False) if isinstance(column, pa.Array) else column


MAX_FIRST_LINE_BYTES = 1 << 20   # a header line longer than 1 MB is not an export's header
SAMPLE_BYTES = 1 << 16
BINARY_SIGNATURES = {
    b"PK\x03\x04": "a zip archive (an .xlsx workbook saved with the wrong extension?)",
    b"\xd0\xcf\x11\xe0": "an old-style Office file (.xls or .doc)",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"\x1f\x8b": "a gzip archive",
    b"Rar!": "a RAR archive",
    b"7z\xbc\xaf": "a 7-Zip archive",
}
_CONTROL = bytes([*range(0x01, 0x09), 0x0b, 0x0c, *range(0x0e, 0x20), 0x7f])   # control characters but \t \n \r


# ---------------------------------------------------------------- text

def decode_text(data: bytes, notes: list[str]) -> str:
    """UTF-8 (with or without BOM), UTF-16 (with a BOM, or recognised without), else cp1252.

    Binary data is refused; a few NUL bytes in real text are left in place for the reader to
    reject the rows holding them.
    """
    return _decode_text(data, notes)[0]


def _decode_text(data: bytes, notes: list[str]) -> tuple[str, bytes | None]:
    """`decode_text`, and the text's UTF-8 bytes when the file was UTF-8 (its own bytes, BOM
    dropped: no copy), else None."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise QuarantineError("not a text file: it starts like UTF-16 but is not valid UTF-16") from exc
        notes.append("decoded as UTF-16")
        return text, None
    for signature, what in BINARY_SIGNATURES.items():
        if data.startswith(signature):
            raise QuarantineError(f"not a text file: it is {what}")
    sample = data[:SAMPLE_BYTES]
    nuls = sample.count(0)
    if nuls:
        encoding = _utf16_without_bom(sample)
        if encoding:
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                pass
            else:
                notes.append("decoded as UTF-16 (no byte order mark)")
                return text, None
        if nuls > 8 and nuls * 1000 > len(sample):   # more than a few stray NULs, one per kilobyte
            raise QuarantineError(f"not a text file: binary data ({nuls} NUL bytes in its first "
                                  f"{len(sample)} bytes)")
    utf8 = None
    try:
        text = data.decode("utf-8-sig")
        utf8 = data[len(codecs.BOM_UTF8):] if data.startswith(codecs.BOM_UTF8) else data
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise QuarantineError("not a text file: neither UTF-8 nor cp1252 text") from exc
        notes.append("decoded as cp1252 (not valid UTF-8)")
    head = text[:SAMPLE_BYTES]
    if head and _control_characters(head) * 20 > len(head):
        raise QuarantineError("not a text file: mostly control characters (binary data named as text)")
    return text, utf8


def _control_characters(text: str) -> int:
    """How many control characters (tab and line ends aside) a text holds: each is one byte of its UTF-8."""
    encoded = text.encode("utf-8", "surrogatepass")
    return len(encoded) - len(encoded.translate(None, _CONTROL))


def _utf16_without_bom(sample: bytes) -> str | None:
    """UTF-16 text of mostly ASCII has a NUL in every other byte."""
    half = len(sample) // 2
    if half < 2:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd > 0.4 * half and even < 0.05 * half:
        return "utf-16-le"
    if even > 0.4 * half and odd < 0.05 * half:
        return "utf-16-be"
    return None


def sniff_delimiter(header_line: str) -> str:
    """The delimiter that splits the header line into the most fields, outside quotes."""
    counts, quoted = {",": 0, ";": 0, "\t": 0}, False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _first_line(text: str) -> str:
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        line = text[start:end]
        if line.strip():
            return line
        start = end + 1
    return ""


def _check_first_line(data: bytes) -> None:
    """A 100 MB file without a line break is not a CSV export: refuse it before decoding it."""
    if len(data) <= MAX_FIRST_LINE_BYTES:
        return
    if data.find(b"\n", 0, MAX_FIRST_LINE_BYTES) < 0 and data.find(b"\r", 0, MAX_FIRST_LINE_BYTES) < 0:
        raise QuarantineError(f"no line break in the first {MAX_FIRST_LINE_BYTES >> 20} MB of a "
                              f"{len(data) / 1e6:.0f} MB file: not a CSV export")


def read_csv_cells(data: bytes) -> Table:
    notes: list[str] = []
    _check_first_line(data)
    text, utf8 = _decode_text(data, notes)
    if not text or text.isspace():
        raise QuarantineError("empty file: no header and no rows")
    delimiter = sniff_delimiter(_first_line(text))
    if delimiter != ",":
        notes.append(f"delimiter {delimiter!r}")
    parsed = None
    if "\x00" not in text:
        parsed = _read_csv_fast(text.encode("utf-8") if utf8 is None else utf8, text, delimiter)
    if parsed is None:
        parsed = _read_csv_exact(text, delimiter)
    header, body, row_flags, row_texts = parsed
    return _finish(header, body, notes, row_flags=row_flags, row_texts=row_texts)


def _read_csv_fast(data: bytes, text: str, delimiter: str):
    """Arrow's CSV reader (straight into Arrow string columns), trusted only on the CSV every
    reader agrees on: quotes only around whole fields, LF or CRLF line ends, and every record
    with the header's number of fields (given the column names, Arrow refuses a record with
    another count, so no field count of our own is needed). Anything else, or a file Arrow
    refuses, is left to the exact reader.

    `data` is the text's UTF-8: the file's own bytes when it was UTF-8 (Arrow reads them as they
    are, no copy). DuckDB's CSV reader was measured too: 3 ms for a 170 kB GoBiz report against
    Arrow's 0.7-1 ms (11 ms when it sniffs), and a connection takes 11 ms to open.
    """
    if "\r" in text and text.count("\r") != text.count("\r\n"):
        return None   # bare CR line ends: leave them to the exact reader
    if not _well_quoted(data, delimiter):
        return None
    width = _header_width(text, delimiter)
    if not width:
        return None
    names = [str(i) for i in range(width)]
    try:
        table = pa_csv.read_csv(
            io.BytesIO(data),
            read_options=pa_csv.ReadOptions(column_names=names, use_threads=len(data) > (8 << 20),
                                            block_size=max(1 << 20, min(len(data) + 1, 64 << 20))),
            parse_options=pa_csv.ParseOptions(delimiter=delimiter, quote_char='"', double_quote=True,
                                              escape_char=False, newlines_in_values=True, ignore_empty_lines=True),
            convert_options=pa_csv.ConvertOptions(column_types={name: pa.string() for name in names},
                                                  strings_can_be_null=False, quoted_strings_can_be_null=False,
                                                  check_utf8=False))   # `data` is UTF-8: Python decoded it
    except (pa.ArrowException, OverflowError):
        return None
    if table.num_rows == 0:
        return None
    columns = [table.column(i) for i in range(width)]
    columns = [column.chunk(0) if column.num_chunks == 1 else column.combine_chunks() for column in columns]
    header = [column[0].as_py() for column in columns]
    return header, [column.slice(1) for column in columns], {}, {}


def _header_width(text: str, delimiter: str) -> int | None:
    """Fields of the first non-blank record, as the csv module reads it (None when it cannot)."""
    try:
        for record in csv.reader(_lines(text), delimiter=delimiter, strict=True):
            if record:
                return len(record)
    except csv.Error:
        return None
    return None


def _lines(text: str):
    """The lines of a text, ends kept, one at a time (the csv module needs only the first few)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        yield text[start:end]
        start = end


def _well_quoted(data: bytes, delimiter: str) -> bool:
    """Quotes only around whole fields (or doubled inside them), each one closed: the CSV on
    which every reader agrees. A stray quote ('12" screen') is left to the exact reader."""
    count = data.count(b'"')
    if count % 2:
        return False   # one is never closed
    if not count:
        return True
    raw = np.frombuffer(data, dtype=np.uint8)
    quotes = np.flatnonzero(raw == ord('"'))
    opening, closing = quotes[0::2], quotes[1::2]
    ends = np.zeros(256, dtype=bool)
    ends[[ord(delimiter), ord("\r"), ord("\n")]] = True
    # An opening quote starts a field (after a delimiter or line end), or doubles the closing
    # quote just before it ("" inside a quoted field); a closing quote ends one, or is doubled.
    opened = ends[raw[opening - 1]] | (opening == 0)
    opened[1:] |= closing[:-1] == opening[1:] - 1
    closed = ends[raw[np.minimum(closing + 1, len(raw) - 1)]] | (closing == len(raw) - 1)
    closed[:-1] |= opening[1:] == closing[:-1] + 1
    return bool(opened.all() and closed.all())


def _read_csv_exact(text: str, delimiter: str):
    """The csv module, record by record: every record is kept, odd ones are flagged."""
    records = _csv_records(text, delimiter)
    records = [record for record in records if record]   # blank lines are not records
    if not records:
        raise QuarantineError("empty file: no header and no rows")
    header, rows = records[0], records[1:]
    width = len(header)
    named = max((i + 1 for i, name in enumerate(header) if name.strip()), default=width)
    row_flags: dict[int, Flag] = {}
    row_texts: dict[int, str] = {}
    body = []
    for position, row in enumerate(rows):
        size = len(row)
        if size != width:
            if size > width and not any(cell.strip() for cell in row[width:]):
                row = row[:width]                        # trailing delimiters: tolerated
            elif named <= size < width:
                row = row + [""] * (width - size)        # only nameless trailing columns missing
            else:
                row_flags[position] = ("wrong_field_count",
                                       f"the line has {size} fields where the header has {named}: cut short, "
                                       f"or a '{delimiter}' inside a value that is not quoted")
                row_texts[position] = _cells_json(row)
                row = (row + [""] * width)[:width]
        if position not in row_flags and any("\x00" in cell for cell in row):
            row_flags[position] = ("nul_byte", "the line holds NUL bytes: the file is damaged here")
        body.append(row)
    return header, _columns_of(body, width), row_flags, row_texts


def _columns_of(rows: list[list], width: int) -> list[np.ndarray]:
    """Rows of cells (each `width` long) -> one object array per column."""
    columns = list(zip(*rows)) if rows else [()] * width
    return [np.fromiter(column, dtype=object, count=len(column)) for column in columns]


def _csv_records(text: str, delimiter: str) -> list[list[str]]:
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, 1 << 30))  # long cells are flagged later, not a parse error
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        records, line = [], 0
        try:
            for record in reader:
                records.append(record)
                line = reader.line_num
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):
                raise QuarantineError(f"unclosed quote: the quoted field that starts on line {line + 1} "
                                      f"never ends (the file is cut short, or a stray '\"')") from exc
            # a quote in the middle of a value ("12" screen"): read it as a literal quote
            return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False))
        return records
    finally:
        csv.field_size_limit(limit)


def _cells_json(cells: list) -> str:
    return json.dumps([_shorten(str(cell)) for cell in cells], ensure_ascii=False)


def _shorten(text: str, limit: int = 1000) -> str:
    return text if len(text) <= limit else f"{text[:limit]}… [{len(text) - limit} more characters]"


# ---------------------------------------------------------------- xlsx

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


# ---------------------------------------------------------------- json

def read_json_records(data: bytes, list_key: str) -> Table:
    notes: list[str] = []
    try:
        document = json.loads(decode_text(data, notes))
    except json.JSONDecodeError as exc:
        raise QuarantineError(f"unreadable JSON: {exc}") from exc
    except RecursionError as exc:
        raise QuarantineError("unreadable JSON: nested too deeply to be an export") from exc
    records = document.get(list_key) if isinstance(document, dict) else document
    if not isinstance(records, list):
        raise QuarantineError(f"JSON must be an array of objects or {{\"{list_key}\": [...]}}")
    if not records:
        raise QuarantineError("empty file: no records")
    if not all(isinstance(record, dict) for record in records):
        raise QuarantineError("JSON array holds something other than objects")
    frame = pd.DataFrame.from_records(records).astype(object)
    frame = frame.where(frame.notna(), None)
    header = [str(column) for column in frame.columns]
    frame.columns = range(len(header))
    cell_flags: dict[int, dict[int, Flag]] = {}
    for column in frame.columns:   # a nested object or array is not a cell value: kept as text, flagged
        values = frame[column]
        nested = values.map(lambda value: isinstance(value, (dict, list))).to_numpy(dtype=bool)
        if nested.any():
            frame.loc[nested, column] = [json.dumps(v, ensure_ascii=False) for v in values[nested]]
            cell_flags[column] = {int(row): ("nested_value", "a JSON object or array where one value belongs")
                                  for row in np.flatnonzero(nested)}
    return _finish(header, [frame[column].to_numpy(dtype=object) for column in frame.columns], notes,
                   cell_flags=cell_flags)


# ---------------------------------------------------------------- shared

@lru_cache(maxsize=4096)
def header_key(name: str) -> str:
    """How headers are matched: case- and space-insensitive."""
    return " ".join(name.lower().split())


def _finish(header: list[str], columns: list[Column], notes: list[str], *, row_flags=None, row_texts=None,
            cell_flags=None) -> Table:
    """Name the columns, drop repeated header rows, and carry the flags over to the kept rows.

    `columns` match `header` by position; flags use row positions and, for cells, column positions.
    """
    row_flags, row_texts, cell_flags = row_flags or {}, row_texts or {}, cell_flags or {}
    names = [str(name).strip().lstrip("\ufeff").strip() for name in header]
    # A trailing delimiter gives a nameless, empty column: tolerate it.
    keep = [i for i, name in enumerate(names) if name or not _all_blank(columns[i])]
    original = [names[i] for i in keep]
    names = [names[i] or f"column {i + 1}" for i in keep]
    columns = [columns[i] for i in keep]
    if not keep:
        raise QuarantineError("no header row")
    seen: dict[str, int] = {}
    duplicates = set()
    for index, name in enumerate(names):
        key = header_key(name)
        if key in seen:
            duplicates.add(key)
            seen[key] += 1
            names[index] = f"{name} ({seen[key]})"
        else:
            seen[key] = 1
    if duplicates:
        notes.append("header names a column more than once: " + ", ".join(sorted(duplicates)))
    cell_flags = {names[keep.index(c)]: flags for c, flags in cell_flags.items() if c in keep}

    row_numbers = np.arange(1, len(columns[0]) + 1)
    # A header row repeated inside the data (concatenated exports) is not a record.
    repeated = _repeated_header_rows(columns, original)
    if repeated.any():
        notes.append(f"dropped {int(repeated.sum())} repeated header row(s)")
        new_position = np.cumsum(~repeated) - 1
        kept_rows = ~repeated
        row_flags = {int(new_position[p]): f for p, f in row_flags.items() if kept_rows[p]}
        row_texts = {int(new_position[p]): t for p, t in row_texts.items() if kept_rows[p]}
        cell_flags = {c: {int(new_position[p]): f for p, f in flags.items() if kept_rows[p]}
                      for c, flags in cell_flags.items()}
        columns = [column.filter(pa.array(kept_rows)) if isinstance(column, pa.Array) else column[kept_rows]
                   for column in columns]
        row_numbers = row_numbers[kept_rows]
    if len(row_numbers) == 0:
        notes.append("no data rows (header only)")
    return Table(dict(zip(names, columns)), row_numbers, notes, row_flags, cell_flags, row_texts, duplicates)


def _all_blank(column: Column) -> bool:
    if isinstance(column, pa.Array):   # CSV strings: never null
        return pc.all(pc.equal(column, "")).as_py() is not False
    return all(value is None or value == "" for value in column)


def _repeated_header_rows(columns: list[Column], header: list[str]) -> np.ndarray:
    """Rows whose every cell is the header's text (cheap first test on the first column)."""
    repeated = np.zeros(len(columns[0]), dtype=bool)
    if not len(repeated):
        return repeated
    first = columns[0]
    if isinstance(first, pa.Array):   # all strings: compare after Python's strip()
        if header[0] and not pc.any(pc.match_substring(first, header[0])).as_py():
            return repeated
        candidates = np.flatnonzero(pc.equal(pc.utf8_trim(first, PY_SPACE), header[0]).to_numpy(zero_copy_only=False))
    else:
        uniques = pd.unique(first)
        matching = [v for v in uniques if isinstance(v, str) and v.strip() == header[0]]
        if not matching:
            return repeated
        candidates = np.flatnonzero(np.isin(first, np.array(matching, dtype=object)))
    for row in candidates:
        cells = [column[row].as_py() if isinstance(column, pa.Array) else column[row] for column in columns]
        repeated[row] = all(("" if cell is None else str(cell)).strip() == name for cell, name in zip(cells, header))
    return repeated
