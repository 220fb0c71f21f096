"""Turn a Table of cells into typed rows and rejected rows, column by column.

Columns are parsed whole (`ingest.vectorised`): the plain shapes in Arrow kernels, the rest
once per distinct value by the cell parsers. Typed columns are Arrow arrays and the loaded
rows an Arrow table, so nothing is converted value by value on the way to DuckDB.
A row's first failing cell decides its reason code; the rest of the file goes on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ingest.readers import INVALID_MARK, QuarantineError, Table, as_objects, header_key, release_freed
from ingest.vectorised import TEXT, ColumnParser, parse_column

REJECT_SCHEMA = pa.schema([("row_number", pa.int32()), ("reason_code", pa.string()), ("reason", pa.string()),
                           ("row_text", pa.string())])
REJECT_COLUMNS = REJECT_SCHEMA.names
# A rejected row keeps its whole text (as JSON of its cells) while a file's rejects hold less than
# WHOLE_TEXT_CHARS of them; each later one keeps a short text: its first cells, each cut. A file of
# two million rejects (one ID repeated) then costs under a hundred bytes a reject, not a kilobyte.
WHOLE_TEXT_CHARS = 4 << 20
SHORT_COLUMNS = 6
SHORT_CELL_CHARS = 16
SHORT_CHUNK = 1 << 18   # rows whose short texts are built at a time
PREPARE_TOGETHER_CELLS = 1 << 20   # `prepare` parses columns in one pass up to this many cells


@dataclass
class ParseResult:
    table: pa.Table                    # typed columns of the raw table, plus row_number
    reject_table: pa.Table             # REJECT_SCHEMA
    rows_read: int
    notes: list[str] = field(default_factory=list)

    @property
    def rows(self) -> pd.DataFrame:
        """The loaded rows as a DataFrame (for people and tests; the loader uses `table`)."""
        return self.table.to_pandas()

    @cached_property
    def rejects(self) -> pd.DataFrame:
        """The rejected rows as a DataFrame (for people and tests; the loader uses `reject_table`)."""
        return self.reject_table.to_pandas()

    @property
    def rows_loaded(self) -> int:
        return self.table.num_rows

    @property
    def rows_rejected(self) -> int:
        return self.reject_table.num_rows

    def __reduce__(self):
        """Pickled (to come back from a parse worker) as Arrow IPC streams: they hold only the
        values the columns show. Arrow's own pickling keeps every buffer whole, and a typed column
        is often a slice of one parsed with its neighbours (`RowBuilder.prepare`): a GoBiz file of
        240 kB came back as 3 MB."""
        return _restore_result, (_ipc_stream(self.table), _ipc_stream(self.reject_table), self.rows_read,
                                 list(self.notes))


def _ipc_stream(table: pa.Table) -> pa.Buffer:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def _restore_result(table: pa.Buffer, reject_table: pa.Buffer, rows_read: int, notes: list[str]) -> ParseResult:
    return ParseResult(pa.ipc.open_stream(table).read_all(), pa.ipc.open_stream(reject_table).read_all(),
                       rows_read, notes)


def resolve_columns(table: Table, required: list[str], optional: list[str] = ()) -> dict[str, str]:
    """Map contract column names to the file's headers, by name (case/space-insensitive)."""
    by_key = {}
    for header in table.columns:
        by_key.setdefault(header_key(header), header)
    duplicates = table.duplicate_headers
    found = {}
    for name in [*required, *optional]:
        if header_key(name) in duplicates:
            raise QuarantineError(f"the header names column '{name}' more than once: "
                                  "which one holds the data is ambiguous")
        header = by_key.get(header_key(name))
        if header is not None:
            found[name] = header
    missing = [name for name in required if name not in found]
    if missing and len(missing) == len(required) and len(required) > 1:
        raise QuarantineError("unknown layout: none of the required columns is in the header ("
                              + ", ".join(required) + ")")
    if missing:
        raise QuarantineError("missing required column(s): " + ", ".join(missing))
    return found


class RowBuilder:
    """Collects converted columns and the first error of every row of one Table."""

    def __init__(self, table: Table, columns: dict[str, str]):
        self.table = table
        self.columns = columns
        size = len(table)
        # Each row's first problem, as an index into `_problems` (-1: none): four bytes a row,
        # and one (code, reason) object per distinct problem, not per rejected row.
        self.problem = np.full(size, -1, dtype=np.int32)
        self._problems: dict[tuple[str, str], int] = {}
        self._flagged_headers: set[str] = set()
        self._prepared: dict[tuple[str, object], tuple[pa.Array, np.ndarray, list]] = {}
        self._invalid_cells: dict[str, int] = {}   # contract column -> cells refused (parser) or flagged (reader)
        self._empty_required: list[str] = []
        for row, (code, reason) in table.row_flags.items():   # the reader's findings come first
            self._fail_one(row, code, reason)
        self._read_whole = ~self.failed   # rows whose cells are as the file has them

    def __len__(self) -> int:
        return len(self.table)

    def cells(self, name: str) -> np.ndarray:
        """The raw cells of a contract column as Python values; all None when an optional column is absent."""
        return as_objects(self.column(name))

    def column(self, name: str) -> pa.Array | np.ndarray:
        """The cells as the reader holds them (Arrow strings for CSV)."""
        header = self.columns.get(name)
        if header is None:
            return np.full(len(self), None, dtype=object)
        if header not in self._flagged_headers:   # cells whose value the file does not hold
            self._flagged_headers.add(header)
            flags = self.table.cell_flags.get(header, {})
            self._invalid_cells[name] = self._invalid_cells.get(name, 0) + len(flags)
            for row, (code, reason) in flags.items():
                self._fail_one(row, code, f"column '{name}': {reason}")
        return self.table.columns[header]

    def prepare(self, parser: ColumnParser, *names: str) -> None:
        """Parse the columns that share a parser in one pass: a file of a few hundred rows then
        costs a few large Arrow calls instead of many small ones. `convert` takes each column
        from here, so a row's reason is still that of its first failing column in `convert` order."""
        names = [name for name in dict.fromkeys(names) if name in self.columns]
        if not names:
            return
        size = len(self)
        if size * len(names) > PREPARE_TOGETHER_CELLS:
            return   # a large file gains nothing, and one pass would hold a copy of all the columns
        columns = [self.table.columns[self.columns[name]] for name in names]
        values, bad_rows, errors = parse_column(parser, pa.concat_arrays(columns)
                                                if all(isinstance(c, pa.Array) for c in columns)
                                                else np.concatenate([as_objects(c) for c in columns]))
        column_of_bad = bad_rows // size if size else bad_rows
        for index, name in enumerate(names):
            mine = np.flatnonzero(column_of_bad == index)
            self._prepared[(name, parser)] = (values.slice(index * size, size), bad_rows[mine] - index * size,
                                              [errors[i] for i in mine])

    def convert(self, name: str, parser: ColumnParser | Callable, cells: np.ndarray | None = None,
                known: tuple[pa.Array, np.ndarray] | None = None) -> pa.Array:
        """Parse every cell of a column; failing rows get the parser's reason code.

        `known` is (values, mask) of rows a caller has decided set-wise already: only the other
        rows' cells are parsed."""
        prepared = self._prepared.pop((name, parser), None) if cells is None else None
        cells = self.column(name) if cells is None else cells
        if known is not None:
            values, bad_rows, errors = _parse_rest(parser, cells, *known)
        else:
            values, bad_rows, errors = parse_column(parser, cells) if prepared is None else prepared
        self._invalid_cells[name] = self._invalid_cells.get(name, 0) + len(bad_rows)
        problems: dict[int, int] = {}   # one per distinct error: a column repeats its bad values
        for error in errors:
            if id(error) not in problems:
                detail = f" ({_shorten(error.detail, 120)})" if error.detail else ""
                problems[id(error)] = self._problem(error.code,
                                                    f"column '{name}': {error.code.replace('_', ' ')}{detail}")
        self._fail_many(np.asarray(bad_rows, dtype=np.int64),
                        np.fromiter((problems[id(error)] for error in errors), dtype=np.int32, count=len(errors)))
        return values

    def text(self, name: str) -> pa.Array:
        return self.convert(name, TEXT)

    def require(self, name: str, values: pa.Array, code: str = "missing_value") -> None:
        """Rows where `values` is null are rejected: the contract needs this column. A column that
        is blank on every row the reader read whole (no cell refused or flagged: all empty) makes
        `result` quarantine the file: its header is not on its columns, or the export lost them."""
        null = _is_null(values)
        if (name in self.columns and not self._invalid_cells.get(name) and self._read_whole.any()
                and null[self._read_whole].all()):
            self._empty_required.append(name)
        self.reject(null, code, f"column '{name}' is empty")

    def reject_duplicates(self, label: str, *keys: pa.Array) -> None:
        """Reject rows whose key repeats an earlier accepted row of this file (`duplicate_id`).

        The file's first row with a key is kept; the later ones would be counted twice or
        silently override it. Rows already rejected, or with an empty key, take no part.
        Set-wise: a file of millions of one key costs a few arrays, not a Python object a row.
        """
        keys = [key if isinstance(key, pa.Array) else pa.array(key) for key in keys]
        present = np.logical_and.reduce([~_is_null(key) for key in keys])
        positions = np.flatnonzero(~self.failed & present)
        if len(positions) < 2:
            return
        codes = np.zeros(len(positions), dtype=np.int64)
        for key in keys:   # one code per distinct key tuple
            encoded = (key if len(positions) == len(key) else key.take(pa.array(positions))).dictionary_encode()
            if len(keys) == 1 and len(encoded.dictionary) == len(positions):
                return   # every key differs (the common case): no sort needed
            codes = codes * len(encoded.dictionary) + encoded.indices.to_numpy(zero_copy_only=False)
            codes = np.unique(codes, return_inverse=True)[1].reshape(-1)
        _, first_index, inverse = np.unique(codes, return_index=True, return_inverse=True)
        first_position = positions[first_index[inverse.reshape(-1)]]
        later = positions != first_position
        firsts, which = np.unique(first_position[later], return_inverse=True)
        problems = np.array([self._problem("duplicate_id", f"{label} repeats row {number} of this file")
                             for number in self.table.row_numbers[firsts]], dtype=np.int32)
        self._fail_many(positions[later], problems[which.reshape(-1)])

    @property
    def failed(self) -> np.ndarray:
        return self.problem >= 0

    @property
    def error_code(self) -> np.ndarray:
        """Each row's reason code, None for a row that loads."""
        return np.array([None, *(code for code, _ in self._problems)], dtype=object)[self.problem + 1]

    def reject(self, mask: np.ndarray, code: str, reason: str) -> None:
        fresh = np.asarray(mask, dtype=bool) & ~self.failed   # the first problem of a row is its reason
        if fresh.any():
            self.problem[fresh] = self._problem(code, reason)

    def _problem(self, code: str, reason: str) -> int:
        return self._problems.setdefault((code, reason), len(self._problems))

    def _fail_one(self, row: int, code: str, reason: str) -> None:
        if self.problem[row] < 0:
            self.problem[row] = self._problem(code, reason)

    def _fail_many(self, rows: np.ndarray, problems: np.ndarray) -> None:
        """`_fail_one` for many rows at once, each with its problem's index."""
        fresh = self.problem[rows] < 0
        self.problem[rows[fresh]] = problems[fresh]

    def result(self, columns: dict[str, pa.Array | np.ndarray]) -> ParseResult:
        """Split into loaded rows (typed `columns`) and rejected rows (original cells)."""
        if self._empty_required:
            names = ", ".join(f"'{name}'" for name in dict.fromkeys(self._empty_required))
            raise QuarantineError(f"required column(s) {names} empty on every row: the export lost their "
                                  "values, or its header is not on its columns")
        arrays = {"row_number": pa.array(self.table.row_numbers, pa.int32())}
        arrays |= {name: values if isinstance(values, (pa.Array, pa.ChunkedArray)) else pa.array(values)
                   for name, values in columns.items()}
        rows = pa.table(arrays)
        notes = list(self.table.notes)
        failed = self.failed
        if not failed.any():
            return ParseResult(rows, REJECT_SCHEMA.empty_table(), len(self), notes)
        rows = rows.filter(pa.array(~failed))
        release_freed(len(self))   # what the column parsers freed, before the rejects are built
        bad_positions = np.flatnonzero(failed)
        problems = pa.array(self.problem[bad_positions])
        texts = _whole_texts(self.table, bad_positions)
        if len(texts) < len(bad_positions):
            notes.append(f"row text shortened for {len(bad_positions) - len(texts)} rejected row(s): the file's "
                         f"rejects passed {WHOLE_TEXT_CHARS >> 20} M characters of row text")
        rest = bad_positions[len(texts):]   # short texts, a chunk at a time: no transient copy of them all
        row_text = pa.chunked_array([_strings(texts), *(_short_texts(self.table, rest[start:start + SHORT_CHUNK])
                                                        for start in range(0, len(rest), SHORT_CHUNK))], pa.string())
        if pc.any(pc.match_substring(row_text, INVALID_MARK)).as_py():
            row_text = pc.replace_substring(row_text, INVALID_MARK, "\ufffd")   # shown as Unicode shows bad bytes
        rejects = pa.table([
            pa.array(self.table.row_numbers[bad_positions], pa.int32()),
            pa.array([code for code, _ in self._problems], pa.string()).take(problems),
            pa.array([reason for _, reason in self._problems], pa.string()).take(problems),
            row_text,
        ], schema=REJECT_SCHEMA)
        return ParseResult(rows, rejects, len(self), notes)


def _whole_texts(table: Table, positions: np.ndarray) -> list[str]:
    """The rows' texts as JSON of their cells (or as the reader kept them), while they fit in
    WHOLE_TEXT_CHARS; a few thousand rows' cells at a time."""
    texts: list[str] = []
    used = 0
    for start in range(0, len(positions), 4096):
        chunk = positions[start:start + 4096]
        cells = {header: _objects_at(column, chunk) for header, column in table.columns.items()}
        for i, position in enumerate(chunk.tolist()):
            text = table.row_texts.get(position) or _row_json({header: values[i] for header, values in cells.items()})
            used += len(text)
            if used > WHOLE_TEXT_CHARS:
                return texts
            texts.append(text)
    return texts


def _short_texts(table: Table, positions: np.ndarray) -> pa.Array:
    """`["cell", "cell", …]`: the rows' first SHORT_COLUMNS cells, each cut to SHORT_CELL_CHARS,
    built in Arrow (one join, no Python object per row). Control characters become spaces: a
    short text is a glimpse, the file version keeps the row."""
    if not len(positions):
        return pa.array([], pa.string())
    parts: list = ["["]
    for index, column in enumerate(list(table.columns.values())[:SHORT_COLUMNS]):
        cells = column.take(pa.array(positions)) if isinstance(column, pa.Array) else _objects_at(column, positions)
        cells = pc.utf8_slice_codeunits(_strings(cells), 0, SHORT_CELL_CHARS)
        data = np.frombuffer(cells.buffers()[2] or b"", dtype=np.uint8)   # escapes only when needed
        if (data == ord("\\")).any():
            cells = pc.replace_substring(cells, "\\", "\\\\")
        if (data == ord('"')).any():
            cells = pc.replace_substring(cells, '"', '\\"')
        if (data < 0x20).any():
            cells = pc.replace_substring_regex(cells, r"[\x00-\x1f]", " ")
        if cells.null_count:
            cells = pc.binary_join_element_wise('"', cells, '"', "").fill_null("null")
            parts += [", " if index else "", cells]
        else:
            parts += [', "' if index else '"', cells, '"']
    parts.append("]" if len(table.columns) <= SHORT_COLUMNS else ', "…"]')
    return pc.binary_join_element_wise(*parts, "")


def _objects_at(column: pa.Array | np.ndarray, rows: np.ndarray) -> list | np.ndarray:
    return column.take(pa.array(rows)).to_pylist() if isinstance(column, pa.Array) else column[rows]


def _strings(values) -> pa.Array:
    """Python values as Arrow strings (None stays null); a lone surrogate (from a JSON escape)
    is no UTF-8, and is written as U+FFFD."""
    if isinstance(values, pa.Array):
        return values
    values = [None if value is None else value if isinstance(value, str) else str(value) for value in values]
    try:
        return pa.array(values, pa.string())
    except (pa.ArrowException, UnicodeError):
        return pa.array([None if value is None else value.encode("utf-8", "replace").decode("utf-8")
                         for value in values], pa.string())


def _parse_rest(parser: ColumnParser | Callable, cells: pa.Array | np.ndarray, known: pa.Array,
                decided: np.ndarray) -> tuple[pa.Array, np.ndarray, list]:
    """`parse_column` of the undecided cells only, merged into the known values."""
    rest = np.flatnonzero(~decided)
    if not len(rest):
        return known, rest, []
    values, bad, errors = parse_column(parser, cells.take(pa.array(rest)) if isinstance(cells, pa.Array)
                                       else cells[rest])
    return pc.replace_with_mask(known, pa.array(~decided), values.cast(known.type)), rest[bad], errors


def _is_null(values) -> np.ndarray:
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values.is_null().to_numpy(zero_copy_only=False)
    return pd.isna(values)


def _row_json(record: dict) -> str:
    return json.dumps({key: (None if value is None else _shorten(str(value))) for key, value in record.items()},
                      ensure_ascii=False)


def _shorten(text: str, limit: int = 1000) -> str:
    """Cells and details are cut: a 100 MB cell must not become a 100 MB reject record."""
    return text if len(text) <= limit else f"{text[:limit]}… [{len(text) - limit} more characters]"
