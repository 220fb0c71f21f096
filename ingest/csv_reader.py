"""CSV exports read into cells: Arrow's reader for well-formed files, Python's csv module for the rest.

Both read the text's UTF-8 bytes (`text_bytes`: the file's own bytes when it is UTF-8), and both
give Arrow string columns. The limits of `ingest.limits` apply before the work they bound: a
file with more lines than MAX_ROWS or more columns than MAX_COLUMNS is refused; a row with a
cell longer than MAX_CELL_CHARS, or with bytes that were not UTF-8, is rejected. Reasons name a
cell by its column's position: a header cell is the file's text, maybe a person's data.
"""

from __future__ import annotations

import csv
import io
import json
import re
from array import array

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from ingest.limits import MAX_CELL_CHARS, MAX_COLUMNS, MAX_ROWS
from ingest.readers import (INVALID_MARK, MAX_FIRST_LINE_BYTES, Flag, QuarantineError, Table, _clean_name, _finish,
                            release_freed, text_bytes)

_BOM = "\ufeff".encode()
_NON_SPACE = re.compile(rb"\S")
_BARE_CR = re.compile(rb"\r(?!\n)")
CHUNK_RECORDS = 1 << 16   # the exact reader turns its records into Arrow columns this many at a time
SCAN_BYTES = 1 << 20      # `_plain_csv` looks at this many bytes at a time


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


def _first_line(text: bytes) -> str | None:
    """The first line that is not blank, or None."""
    position = 0
    while match := _NON_SPACE.search(text, position):
        start = max(text.rfind(b"\n", position, match.start()) + 1, position)
        end = text.find(b"\n", match.start())
        end = len(text) if end < 0 else end
        line = text[start:end].decode("utf-8").replace("\ufeff", "")
        if line.strip():
            return line
        position = end + 1
    return None


def _check_first_line(data: bytes) -> None:
    """A 100 MB file without a line break is not a CSV export: refuse it before decoding it."""
    if len(data) <= MAX_FIRST_LINE_BYTES:
        return
    if data.find(b"\n", 0, MAX_FIRST_LINE_BYTES) < 0 and data.find(b"\r", 0, MAX_FIRST_LINE_BYTES) < 0:
        raise QuarantineError(f"no line break in the first {MAX_FIRST_LINE_BYTES >> 20} MB of a "
                              f"{len(data) / 1e6:.0f} MB file: not a CSV export")


def _check_width(width: int) -> None:
    if width > MAX_COLUMNS:
        raise QuarantineError(f"the header has {width} columns: more than the {MAX_COLUMNS} a file may have "
                              "(limit MAX_COLUMNS)")


def read_csv_cells(data: bytes) -> Table:
    notes: list[str] = []
    _check_first_line(data)
    text, damaged_lines = text_bytes(data, notes)
    first = _first_line(text)
    if first is None:
        raise QuarantineError("empty file: no header and no rows")
    delimiter = sniff_delimiter(first)
    if delimiter != ",":
        notes.append(f"delimiter {delimiter!r}")
    bare_crs = text.count(b"\r") - text.count(b"\r\n") if _BARE_CR.search(text) else 0   # old Mac line ends
    lines = text.count(b"\n") + bare_crs + 1   # records are never more than lines
    if lines > MAX_ROWS + 1:
        raise QuarantineError(f"{lines} lines: more than the {MAX_ROWS} rows a file may have (limit MAX_ROWS)")
    has_nul = text.find(b"\x00") >= 0
    parsed = None if has_nul or bare_crs else _read_csv_fast(text, delimiter)
    if parsed is None:
        parsed = _read_csv_exact(text, delimiter)
    header, body, row_flags, row_texts, row_numbers, blank_rows = parsed
    release_freed(lines)
    if damaged_lines and any(INVALID_MARK in name for name in header):
        raise QuarantineError("the header line holds bytes that are not UTF-8: its column names cannot be read")
    if damaged_lines:
        _flag_rows(row_flags, body, _holding(INVALID_MARK), "invalid_encoding",
                   "bytes that are not UTF-8 (in a file that is UTF-8 elsewhere)")
    if has_nul:
        _flag_rows(row_flags, body, _holding("\x00"), "nul_byte", "NUL bytes: the file is damaged here")
    _flag_rows(row_flags, body, _too_long, "cell_too_long",
               f"a cell longer than {MAX_CELL_CHARS} characters (limit MAX_CELL_CHARS)")
    return _finish(header, body, notes, row_flags=row_flags, row_texts=row_texts, row_numbers=row_numbers,
                   blank_rows=blank_rows)


def _holding(mark: str):
    return lambda column: pc.match_substring(column, mark)


def _too_long(column: pa.Array) -> pa.Array | None:
    if len(column.buffers()[2] or b"") <= MAX_CELL_CHARS or pc.max(pc.binary_length(column)).as_py() <= MAX_CELL_CHARS:
        return None
    return pc.greater(pc.utf8_length(column), MAX_CELL_CHARS)


def _flag_rows(row_flags: dict[int, Flag], columns: list[pa.Array], test, code: str, what: str) -> None:
    """Flag the rows holding a cell that fails `test`, naming the first such column by position;
    a row keeps its first flag."""
    for index, column in enumerate(columns):
        hits = test(column)
        if hits is None or not pc.any(hits).as_py():
            continue
        flag = (code, f"column {index + 1}: {what}")
        for row in np.flatnonzero(hits.fill_null(False).to_numpy(zero_copy_only=False)).tolist():
            row_flags.setdefault(row, flag)


def _read_csv_fast(text: bytes, delimiter: str):
    """Arrow's CSV reader (straight into Arrow string columns), trusted only on the CSV every
    reader agrees on: quotes only around whole fields, LF or CRLF line ends (the caller's
    check), and every record
    with the header's number of fields (given the column names, Arrow refuses a record with
    another count, so no field count of our own is needed). Anything else, or a file Arrow
    refuses, is left to the exact reader.

    `text` is UTF-8: the file's own bytes when it was UTF-8 (Arrow reads them as they are, no
    copy, and skips a BOM). DuckDB's CSV reader was measured too: 3 ms for a 170 kB GoBiz report
    against Arrow's 0.7-1 ms (11 ms when it sniffs), and a connection takes 11 ms to open.
    """
    if not _plain_csv(text, delimiter):
        return None
    width = _header_width(text, delimiter)
    if not width:
        return None
    _check_width(width)
    names = [str(i) for i in range(width)]
    try:
        table = pa_csv.read_csv(
            pa.BufferReader(pa.py_buffer(text)),
            read_options=pa_csv.ReadOptions(column_names=names, use_threads=len(text) > (8 << 20),
                                            block_size=max(1 << 20, min(len(text) + 1, 64 << 20))),
            parse_options=pa_csv.ParseOptions(delimiter=delimiter, quote_char='"', double_quote=True,
                                              escape_char=False, newlines_in_values=True, ignore_empty_lines=True),
            convert_options=pa_csv.ConvertOptions(column_types={name: pa.string() for name in names},
                                                  strings_can_be_null=False, quoted_strings_can_be_null=False,
                                                  check_utf8=False))   # `text` is UTF-8: checked already
    except (pa.ArrowException, OverflowError):
        return None
    if table.num_rows == 0:
        return None
    columns = table.columns
    del table
    for i, column in enumerate(columns):   # each column's blocks freed as it is combined: never two copies
        columns[i] = column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
        del column
    header = [column[0].as_py() for column in columns]
    return header, [column.slice(1) for column in columns], {}, {}, None, 0


def _header_width(text: bytes, delimiter: str) -> int | None:
    """Fields of the first non-blank record, as the csv module reads it (None when it cannot)."""
    try:
        for record in csv.reader(_lines(text), delimiter=delimiter, strict=True):
            if record:
                return len(record)
    except csv.Error:
        return None
    return None


def _lines(text: bytes):
    """The lines of the text, ends kept, one at a time (the csv module needs only the first few)."""
    start = len(_BOM) if text.startswith(_BOM) else 0
    while start < len(text):
        end = text.find(b"\n", start)
        end = len(text) if end < 0 else end + 1
        yield text[start:end].decode("utf-8")
        start = end


def _plain_csv(text: bytes, delimiter: str) -> bool:
    """Quotes only around whole fields (or doubled inside them), each one closed: the CSV on
    which every reader agrees. A stray quote ('12" screen') is left to the exact reader, as are
    bare CR line ends (`read_csv_cells`).

    An opening quote (one after an even number of quotes) follows a delimiter, a line end, the
    file's start or the closing quote it doubles; a closing quote is followed by a delimiter, a
    line end, the end or a doubling quote. Checked in NumPy a MB at a time: a file of two
    million quoted Kobo records holds a hundred million quotes."""
    quotes = text.count(b'"')
    if quotes % 2 or not quotes:
        return not quotes % 2
    raw = np.frombuffer(text, dtype=np.uint8)
    start = len(_BOM) if text.startswith(_BOM) else 0
    if quotes * 64 < len(raw):   # few quotes (a GoBiz amount): at their positions, an eighth of the bytes at most
        return _quotes_in_place(raw, start, delimiter)
    inside = False   # the quotes before the chunk are odd
    for low in range(start, len(raw), SCAN_BYTES):
        byte = raw[low:low + SCAN_BYTES]
        quote = byte == ord('"')
        if not quote.any():
            continue
        near = raw[max(low - 1, 0):low + len(byte) + 1]   # the chunk with a byte either side
        # what may stand next to a quote (comparisons: faster than a lookup table in NumPy)
        fence = (near == ord(delimiter)) | (near == ord("\n")) | (near == ord("\r")) | (near == ord('"'))
        if low == start:
            fence = np.concatenate(([True], fence[1:] if low else fence))   # the start: a line start
        if low + len(byte) == len(raw):
            fence = np.append(fence, True)                                  # the end: a line end
        opening = np.bitwise_xor.accumulate(quote) ^ inside   # odd so far, this one included
        # (a > b is a and not b)
        if ((quote & opening) > fence[:-2]).any() or ((quote > opening) > fence[2:]).any():
            return False
        inside = bool(opening[-1])
    return not inside


def _quotes_in_place(raw: np.ndarray, start: int, delimiter: str) -> bool:
    """`_plain_csv` at the quotes' positions."""
    quotes = np.flatnonzero(raw == ord('"'))
    opening, closing = quotes[0::2], quotes[1::2]
    ends = np.zeros(256, dtype=bool)
    ends[[ord(delimiter), ord("\r"), ord("\n")]] = True
    opened = ends[raw[opening - 1]] | (opening == start)
    opened[1:] |= closing[:-1] == opening[1:] - 1
    closed = ends[raw[np.minimum(closing + 1, len(raw) - 1)]] | (closing == len(raw) - 1)
    closed[:-1] |= opening[1:] == closing[:-1] + 1
    return bool(opened.all() and closed.all())


def _read_csv_exact(text: bytes, delimiter: str):
    """The csv module, record by record: every record is kept, odd ones are flagged. Records
    become Arrow columns CHUNK_RECORDS at a time, so no Python object per cell outlives its chunk."""
    string = str(memoryview(text)[len(_BOM) if text.startswith(_BOM) else 0:], "utf-8")
    try:
        return _exact_pass(string, delimiter, strict=True)
    except csv.Error:   # a quote in the middle of a value ("12" screen"): read it as a literal quote
        return _exact_pass(string, delimiter, strict=False)


def _exact_pass(text: str, delimiter: str, strict: bool):
    header, width, named = None, 0, 0
    row_flags: dict[int, Flag] = {}
    row_texts: dict[int, str] = {}
    numbers, blank_rows = array("q"), 0
    chunks: list[list[pa.Array]] = []
    rows: list[list[str]] = []
    for record in _csv_records(text, delimiter, strict):
        if not record:
            continue   # a blank line is no record
        if header is None:
            header, width = record, len(record)
            _check_width(width)
            named = max((i + 1 for i, name in enumerate(header) if _clean_name(name)), default=width)
            continue
        number = len(numbers) + blank_rows + 1
        if not any(cell.strip() for cell in record):
            blank_rows += 1   # a line of delimiters: dropped here, counted by `_finish`
            continue
        size = len(record)
        if size != width:
            if size > width and not any(cell.strip() for cell in record[width:]):
                record = record[:width]                        # trailing delimiters: tolerated
            elif named <= size < width:
                record = record + [""] * (width - size)        # only nameless trailing columns missing
            else:
                row_flags[len(numbers)] = ("wrong_field_count",
                                           f"the line has {size} fields where the header has {named}: cut short, "
                                           f"or a '{delimiter}' inside a value that is not quoted")
                row_texts[len(numbers)] = _cells_json(record)
                record = (record + [""] * width)[:width]
        numbers.append(number)
        rows.append(record)
        if len(rows) == CHUNK_RECORDS:
            chunks.append(_arrow_columns(rows, width))
            rows = []
    if header is None:
        raise QuarantineError("empty file: no header and no rows")
    if rows or not chunks:
        chunks.append(_arrow_columns(rows, width))
    body = [pa.concat_arrays([chunk[i] for chunk in chunks]) for i in range(width)]
    return header, body, row_flags, row_texts, np.frombuffer(numbers, dtype=np.int64), blank_rows


def _arrow_columns(rows: list[list[str]], width: int) -> list[pa.Array]:
    return [pa.array([row[i] for row in rows], pa.string()) for i in range(width)]


def _csv_records(text: str, delimiter: str, strict: bool):
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, 1 << 30))  # long cells are flagged later, not a parse error
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=strict)
        line = 0
        try:
            for record in reader:
                yield record
                line = reader.line_num
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):
                raise QuarantineError(f"unclosed quote: the quoted field that starts on line {line + 1} "
                                      f"never ends (the file is cut short, or a stray '\"')") from exc
            raise
    finally:
        csv.field_size_limit(limit)


def _cells_json(cells: list) -> str:
    return json.dumps([_shorten(str(cell)) for cell in cells], ensure_ascii=False)


def _shorten(text: str, limit: int = 1000) -> str:
    return text if len(text) <= limit else f"{text[:limit]}… [{len(text) - limit} more characters]"
