"""Read a file's bytes into a table of cells, whatever the format.

CSV cells come back as `str` (an Arrow string column, no Python object per cell); xlsx
cells keep their type (number, datetime, text) so the value parsers know a number cell is
exact; JSON values keep their JSON type (those two as object arrays). Problems that
make the whole file unusable raise `QuarantineError` with a sentence for the ledger.
Problems of one row (a line with the wrong number of fields, NUL bytes, bytes that are not
UTF-8 in a UTF-8 file, a cell over the size limit, an Excel error or an uncalculated formula in
a cell) are flagged on the `Table`; the row builder rejects those rows with a reason code and
the rest of the file loads. Blank rows (every cell empty) are no records: dropped, counted in a
note, and not among the rows read, so rows read = rows loaded + rows rejected still holds.

Reasons never quote cell contents: they end up in the data-quality mart, and a headerless file
would otherwise put a person's data there.
"""

from __future__ import annotations

import codecs
import re
from array import array
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

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

INVALID_MARK = "\ufdd0"   # a noncharacter (never text): stands in a cell for bytes that are not UTF-8
CP1252_SHARE = 0.8        # of the lines holding non-ASCII bytes that read as cp1252 only: the file is cp1252
_BOM_AT_LINE_START = re.compile(rb'(?<=[\r\n])("?)\xef\xbb\xbf')
_HIGH_BYTE = re.compile(rb"[\x80-\xff]")
_LINE_END = re.compile(rb"[\r\n]")
_ESCAPED = re.compile("[\udc80-\udcff]+")   # bytes kept by the surrogateescape error handler
_MULTIBYTE = re.compile("[^\x00-\x7f\udc80-\udcff]")   # a character UTF-8 writes in more than one byte


def decode_text(data: bytes, notes: list[str]) -> str:
    """The whole text (for JSON, where a line is no record): `text_bytes`, with the invalid bytes
    of a file that is otherwise UTF-8 read as cp1252 where they stand, with a note."""
    text = text_bytes(data, notes, fallback=True)[0]
    return str(memoryview(text)[len(codecs.BOM_UTF8) if text.startswith(codecs.BOM_UTF8) else 0:], "utf-8")


def text_bytes(data: bytes, notes: list[str], *, fallback: bool = False) -> tuple[bytes, int]:
    """The file's text as UTF-8 bytes for a reader, and how many lines held bytes that are not UTF-8.

    UTF-16 (with a BOM, or recognised without) is re-encoded; binary data is refused; a few NUL
    bytes are left for the reader to reject the rows holding them. Otherwise the encoding is
    decided per line, not per file:
    - valid UTF-8 (checked by Arrow, no copy): the file's own bytes (its BOM too, which Arrow's
      CSV reader skips), the common case;
    - else, when at least CP1252_SHARE of the lines holding non-ASCII bytes are not UTF-8 and hold
      no UTF-8 character of several bytes either, the file is cp1252 (an old Excel export: its
      ASCII lines read the same either way);
    - else it is UTF-8 with a few damaged lines (a stray byte, an export in another encoding
      pasted in): each invalid byte sequence becomes INVALID_MARK, for the reader to reject the
      rows holding it (`invalid_encoding`); with `fallback` it is read as cp1252 where it stands.
    A BOM at the start of a line (a second export pasted in) is dropped.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise QuarantineError("not a text file: it starts like UTF-16 but is not valid UTF-16") from exc
        notes.append("decoded as UTF-16")
        return _checked(_without_boms(text.encode("utf-8"))), 0
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
                return _checked(_without_boms(text.encode("utf-8"))), 0
        if nuls > 8 and nuls * 1000 > len(sample):   # more than a few stray NULs, one per kilobyte
            raise QuarantineError(f"not a text file: binary data ({nuls} NUL bytes in its first "
                                  f"{len(sample)} bytes)")
    data = _without_boms(data)
    start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    if _is_utf8(data, start):
        return _checked(data), 0
    invalid, cp1252_only, non_ascii = _invalid_lines(data, start)
    if cp1252_only >= CP1252_SHARE * non_ascii:
        try:
            text = str(memoryview(data)[start:], "cp1252")
        except UnicodeDecodeError as exc:
            raise QuarantineError("not a text file: neither UTF-8 nor cp1252 text") from exc
        notes.append("decoded as cp1252 (not valid UTF-8)")
        return _checked(text.encode("utf-8")), 0
    pieces, position = [], start
    for line_start, line_end in zip(invalid[0::2], invalid[1::2]):
        pieces += [data[position:line_start], _mend(data[line_start:line_end], fallback)]
        position = line_end
    pieces.append(data[position:])
    lines = len(invalid) // 2
    notes.append(f"{lines} line(s) hold bytes that are not UTF-8 in a UTF-8 file"
                 + (": read as cp1252 there" if fallback else ""))
    return _checked(b"".join(pieces)), lines


def _without_boms(data: bytes) -> bytes:
    """A BOM at the start of a line (a second export pasted in) is dropped: a copy only then."""
    start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    if data.find(codecs.BOM_UTF8[:1], start) < 0 or data.find(codecs.BOM_UTF8, start) < 0:   # one byte: memchr
        return data
    return _BOM_AT_LINE_START.sub(rb"\1", data)


def _is_utf8(data: bytes, start: int) -> bool:
    """Arrow's UTF-8 check, on the file's own bytes: no copy of a large file (a small one is
    decoded: quicker than a call into Arrow)."""
    if len(data) < SAMPLE_BYTES * 16:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return True
    offsets = pa.py_buffer(np.array([start, len(data)], dtype=np.int64))
    try:
        pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(data)]).cast(pa.large_string())
    except pa.ArrowInvalid:
        return False
    return True


def _invalid_lines(data: bytes, start: int) -> tuple[array, int, int]:
    """Byte spans (start, end, start, end, ...) of the lines that are not valid UTF-8, how many of
    them hold no valid UTF-8 character of several bytes either (cp1252 text), and how many lines
    hold non-ASCII bytes at all. Only the lines with such bytes are decoded."""
    invalid, cp1252_only, non_ascii, position = array("q"), 0, 0, start
    view = memoryview(data)
    while match := _HIGH_BYTE.search(data, position):
        before = match.start()
        line_start = max(data.rfind(b"\n", position, before), data.rfind(b"\r", position, before), position - 1) + 1
        end = _LINE_END.search(data, match.end())
        line_end = end.start() if end else len(data)
        non_ascii += 1
        try:
            str(view[line_start:line_end], "utf-8")
        except UnicodeDecodeError:
            invalid += array("q", (line_start, line_end))
            cp1252_only += not _MULTIBYTE.search(str(view[line_start:line_end], "utf-8", "surrogateescape"))
        position = line_end
    return invalid, cp1252_only, non_ascii


def _mend(line: bytes, fallback: bool) -> bytes:
    """A line's invalid byte sequences as INVALID_MARK, or (`fallback`) read as cp1252."""
    def replace(match: re.Match) -> str:
        return bytes(ord(c) - 0xDC00 for c in match[0]).decode("cp1252", "replace") if fallback else INVALID_MARK
    return _ESCAPED.sub(replace, line.decode("utf-8", "surrogateescape")).encode("utf-8")


def _checked(text: bytes) -> bytes:
    """Refuse binary data named as text: mostly control characters in its first bytes."""
    head = text[:SAMPLE_BYTES]
    if head and (len(head) - len(head.translate(None, _CONTROL))) * 20 > len(head):
        raise QuarantineError("not a text file: mostly control characters (binary data named as text)")
    return text


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


# ---------------------------------------------------------------- shared

RELEASE_FROM_ROWS = 100_000


def release_freed(rows: int) -> None:
    """After the large transient buffers of a big file: give what the allocator kept back to the
    system (with the system pool, `ingest.memory`, this trims every malloc arena; the CSV reader's
    threads leave freed blocks in theirs), so the next step's peak does not stack on top of it."""
    if rows >= RELEASE_FROM_ROWS:
        pa.default_memory_pool().release_unused()


def _columns_of(rows: list[list], width: int) -> list[np.ndarray]:
    """Rows of cells (each `width` long) -> one object array per column."""
    columns = list(zip(*rows)) if rows else [()] * width
    return [np.fromiter(column, dtype=object, count=len(column)) for column in columns]


@lru_cache(maxsize=4096)
def header_key(name: str) -> str:
    """How headers are matched: case- and space-insensitive."""
    return " ".join(name.lower().split())


def _finish(header: list[str], columns: list[Column], notes: list[str], *, row_flags=None, row_texts=None,
            cell_flags=None, row_numbers: np.ndarray | None = None, blank_rows: int = 0) -> Table:
    """Name the columns, drop repeated header rows and blank rows, and carry the flags over to the
    kept rows.

    `columns` match `header` by position; flags use row positions and, for cells, column positions.
    `row_numbers` are the records' numbers when the reader dropped some already (`blank_rows` of them).
    A blank row (every cell empty or whitespace: a line of delimiters, an empty Kobo record) is
    no record: dropped, counted in a note, and not among the rows read.
    """
    row_flags, row_texts, cell_flags = row_flags or {}, row_texts or {}, cell_flags or {}
    names = [_clean_name(name) for name in header]
    # A trailing delimiter gives a nameless, empty column: tolerate it.
    keep = [i for i, name in enumerate(names) if name or not _all_blank(columns[i])]
    original = [names[i] for i in keep]
    names = [names[i] or f"column {i + 1}" for i in keep]
    columns = [columns[i] for i in keep]
    if not keep:
        raise QuarantineError("no header row")
    seen: dict[str, int] = {}
    duplicates, repeated_at = set(), []
    for index, name in enumerate(names):
        key = header_key(name)
        if key in seen:
            duplicates.add(key)
            repeated_at.append(keep[index] + 1)
            seen[key] += 1
            names[index] = f"{name} ({seen[key]})"
        else:
            seen[key] = 1
    if duplicates:   # by position: in a file without a header, the "header" is a row of data
        notes.append("the header repeats an earlier column's name in column(s) " + ", ".join(map(str, repeated_at)))
    cell_flags = {names[keep.index(c)]: flags for c, flags in cell_flags.items() if c in keep}

    if row_numbers is None:
        row_numbers = np.arange(1, len(columns[0]) + 1)
    # A header row repeated inside the data (concatenated exports) is not a record.
    blank = _blank_rows(columns)   # first: the exact CSV reader drops them as it reads
    flagged = [*row_flags, *(row for flags in cell_flags.values() for row in flags)]
    blank[np.array(flagged, dtype=np.int64)] = False   # a flagged cell (an uncalculated formula) is no blank
    repeated = _repeated_header_rows(columns, original) & ~blank
    if repeated.any():
        notes.append(f"dropped {int(repeated.sum())} repeated header row(s)")
    if blank.any() or blank_rows:
        notes.append(f"dropped {int(blank.sum()) + blank_rows} blank row(s) (every field empty): "
                     "not counted as rows read")
    if repeated.any() or blank.any():
        kept_rows = ~(repeated | blank)
        new_position = np.cumsum(kept_rows) - 1
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


def _clean_name(name) -> str:
    """A header cell as a name: spaces and a BOM (a file's, or a pasted export's) around it dropped."""
    return str(name).strip().lstrip("\ufeff").strip()


def _all_blank(column: Column) -> bool:
    return bool(_blank_cells(column).all())


def _blank_cells(cells: Column) -> np.ndarray:
    if isinstance(cells, pa.Array):
        return pc.equal(pc.utf8_trim(cells, PY_SPACE), "").fill_null(True).to_numpy(zero_copy_only=False)
    return np.fromiter((cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells),
                       dtype=bool, count=len(cells))


def _blank_rows(columns: list[Column]) -> np.ndarray:
    """Rows whose every cell is empty or whitespace. Column by column, each on the rows still
    blank: a real export is decided by its first column."""
    blank = np.ones(len(columns[0]), dtype=bool)
    for column in columns:
        rows = np.flatnonzero(blank)
        if not len(rows):
            break
        if len(rows) * 4 < len(blank):   # few left: look at those only
            blank[rows] = _blank_cells(_take(column, rows))
        else:
            blank &= _blank_cells(column)
    return blank


def _take(column: Column, rows: np.ndarray) -> Column:
    return column.take(pa.array(rows)) if isinstance(column, pa.Array) else column[rows]


def _repeated_header_rows(columns: list[Column], header: list[str]) -> np.ndarray:
    """Rows whose every cell is the header's text (cheap first test on the first column)."""
    repeated = np.zeros(len(columns[0]), dtype=bool)
    if not len(repeated):
        return repeated
    first = columns[0]
    if isinstance(first, pa.Array):
        if header[0] and not pc.any(pc.match_substring(first, header[0])).as_py():
            return repeated
        candidates = np.arange(len(repeated))
    else:   # xlsx, JSON: the first column's distinct values first
        matching = [v for v in pd.unique(first) if isinstance(v, str) and _clean_name(v) == header[0]]
        if not matching:
            return repeated
        candidates = np.flatnonzero(np.isin(first, np.array(matching, dtype=object)))
    for column, name in zip(columns, header):   # narrowed column by column: few rows after the first
        cells = _take(column, candidates) if len(candidates) < len(repeated) else column
        if isinstance(cells, pa.Array):   # all strings: compare as `_clean_name` does
            same = pc.equal(pc.utf8_trim(pc.utf8_ltrim(pc.utf8_trim(cells, PY_SPACE), "\ufeff"), PY_SPACE), name)
            same = same.fill_null(False).to_numpy(zero_copy_only=False)
        else:
            same = np.fromiter((_clean_name("" if cell is None else cell) == name for cell in cells), dtype=bool,
                               count=len(cells))
        candidates = candidates[same]
        if not len(candidates):
            return repeated
    repeated[candidates] = True
    return repeated
