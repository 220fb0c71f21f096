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


# ---------------------------------------------------------------- shared

def _columns_of(rows: list[list], width: int) -> list[np.ndarray]:
    """Rows of cells (each `width` long) -> one object array per column."""
    columns = list(zip(*rows)) if rows else [()] * width
    return [np.fromiter(column, dtype=object, count=len(column)) for column in columns]


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
