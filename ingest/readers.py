"""Read a file's bytes into a table of cells, whatever the format.

CSV cells come back as `str`; xlsx cells keep their type (number, datetime, text) so the
value parsers know a number cell is exact; JSON values keep their JSON type. Problems that
make the whole file unusable raise `QuarantineError` with a sentence for the ledger.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd


class QuarantineError(Exception):
    """The file cannot be loaded at all; the message is shown to operators."""


@dataclass
class Table:
    frame: pd.DataFrame             # one column per header name, object cells
    row_numbers: np.ndarray          # 1-based position of each record among the data rows
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- text

def decode_text(data: bytes, notes: list[str]) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else cp1252 (recorded in notes)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        notes.append("decoded as UTF-16")
        return data.decode("utf-16")
    if b"\x00" in data[:65536]:
        raise QuarantineError("not a text file: it contains NUL bytes (binary data named as text)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise QuarantineError("not a text file: neither UTF-8 nor cp1252") from exc
    notes.append("decoded as cp1252 (not valid UTF-8)")
    return text


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


def read_csv_cells(data: bytes) -> Table:
    notes: list[str] = []
    text = decode_text(data, notes)
    if not text.strip():
        raise QuarantineError("empty file: no header and no rows")
    delimiter = sniff_delimiter(text.lstrip().split("\n", 1)[0])
    try:
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False,
                            na_filter=False, index_col=False, skip_blank_lines=True,
                            skipinitialspace=False, engine="c")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise QuarantineError(f"unreadable CSV: {str(exc).splitlines()[0][:200]}") from exc
    if delimiter != ",":
        notes.append(f"delimiter {delimiter!r}")
    return _finish(frame.astype(object), notes)


# ---------------------------------------------------------------- xlsx

def read_xlsx_cells(data: bytes, preferred_sheet: str | None = None) -> Table:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = workbook.sheet_names
        name = preferred_sheet if preferred_sheet in names else names[0]
        rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=True)
    except (CalamineError, ValueError, IndexError, OSError) as exc:
        raise QuarantineError(f"unreadable xlsx: {str(exc)[:200]}") from exc
    except Exception as exc:  # calamine raises its own zip/xml errors for truncated files
        raise QuarantineError(f"unreadable xlsx: {type(exc).__name__}: {str(exc)[:200]}") from exc
    rows = [row for row in rows if any(cell != "" for cell in row)]
    if not rows:
        raise QuarantineError("empty workbook: no header and no rows")
    header = [str(cell).strip() for cell in rows[0]]
    frame = pd.DataFrame(rows[1:], columns=header, dtype=object)
    return _finish(frame, [f"sheet {name!r}"])


# ---------------------------------------------------------------- json

def read_json_records(data: bytes, list_key: str) -> Table:
    notes: list[str] = []
    try:
        document = json.loads(decode_text(data, notes))
    except json.JSONDecodeError as exc:
        raise QuarantineError(f"unreadable JSON: {exc}") from exc
    records = document.get(list_key) if isinstance(document, dict) else document
    if not isinstance(records, list):
        raise QuarantineError(f"JSON must be an array of objects or {{\"{list_key}\": [...]}}")
    if not records:
        raise QuarantineError("empty file: no records")
    if not all(isinstance(record, dict) for record in records):
        raise QuarantineError("JSON array holds something other than objects")
    frame = pd.DataFrame.from_records(records).astype(object)
    frame = frame.where(frame.notna(), None)
    return _finish(frame, notes)


# ---------------------------------------------------------------- shared

def _finish(frame: pd.DataFrame, notes: list[str]) -> Table:
    frame.columns = [str(column).strip().lstrip("\ufeff") for column in frame.columns]
    # A trailing delimiter gives a nameless, empty column: tolerate it.
    nameless = [c for c in frame.columns if c == "" or c.startswith("Unnamed: ")]
    empty = [c for c in nameless if frame[c].map(lambda v: v is None or v == "").all()]
    frame = frame.drop(columns=empty)
    if len(frame.columns) == 0:
        raise QuarantineError("no header row")
    row_numbers = np.arange(1, len(frame) + 1)
    # A header row repeated inside the data (concatenated exports) is not a record.
    header = np.array(frame.columns, dtype=object)
    repeated = (frame.to_numpy(dtype=object) == header).all(axis=1) if len(frame) else np.array([], bool)
    if repeated.any():
        notes.append(f"dropped {int(repeated.sum())} repeated header row(s)")
        frame, row_numbers = frame[~repeated], row_numbers[~repeated]
    return Table(frame.reset_index(drop=True), row_numbers, notes)
