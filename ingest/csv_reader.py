"""CSV exports read into cells: Arrow's reader for well-formed files, Python's csv module for the rest."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

from ingest.readers import Flag, MAX_FIRST_LINE_BYTES, QuarantineError, Table, _columns_of, _decode_text, _finish


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
