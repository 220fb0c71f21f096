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
from typing import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ingest.readers import QuarantineError, Table, as_objects, header_key
from ingest.vectorised import TEXT, ColumnParser, parse_column

REJECT_SCHEMA = pa.schema([("row_number", pa.int32()), ("reason_code", pa.string()), ("reason", pa.string()),
                           ("row_text", pa.string())])
REJECT_COLUMNS = REJECT_SCHEMA.names


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
        self.failed = np.zeros(size, dtype=bool)
        self.error_code = np.full(size, None, dtype=object)
        self.error_reason = np.full(size, None, dtype=object)
        self._flagged_headers: set[str] = set()
        self._prepared: dict[tuple[str, object], tuple[pa.Array, np.ndarray, list]] = {}
        for row, (code, reason) in table.row_flags.items():   # the reader's findings come first
            self._fail_one(row, code, reason)

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
            for row, (code, reason) in self.table.cell_flags.get(header, {}).items():
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
        for row, error in zip(bad_rows, errors):
            detail = f" ({_shorten(error.detail, 120)})" if error.detail else ""
            self._fail_one(row, error.code, f"column '{name}': {error.code.replace('_', ' ')}{detail}")
        return values

    def text(self, name: str) -> pa.Array:
        return self.convert(name, TEXT)

    def require(self, name: str, values: pa.Array, code: str = "missing_value") -> None:
        """Rows where `values` is null are rejected: the contract needs this column."""
        self.reject(_is_null(values), code, f"column '{name}' is empty")

    def reject_duplicates(self, label: str, *keys: pa.Array) -> None:
        """Reject rows whose key repeats an earlier accepted row of this file (`duplicate_id`).

        The file's first row with a key is kept; the later ones would be counted twice or
        silently override it. Rows already rejected, or with an empty key, take no part.
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
        for position, first in zip(positions[later], first_position[later]):
            self._fail_one(position, "duplicate_id",
                           f"{label} repeats row {self.table.row_numbers[first]} of this file")

    def reject(self, mask: np.ndarray, code: str, reason: str) -> None:
        fresh = np.asarray(mask, dtype=bool) & ~self.failed   # the first problem of a row is its reason
        self.failed |= fresh
        self.error_code[fresh] = code
        self.error_reason[fresh] = reason

    def _fail_one(self, row: int, code: str, reason: str) -> None:
        if not self.failed[row]:
            self.failed[row] = True
            self.error_code[row] = code
            self.error_reason[row] = reason

    def result(self, columns: dict[str, pa.Array | np.ndarray]) -> ParseResult:
        """Split into loaded rows (typed `columns`) and rejected rows (original cells)."""
        arrays = {"row_number": pa.array(self.table.row_numbers, pa.int32())}
        arrays |= {name: values if isinstance(values, (pa.Array, pa.ChunkedArray)) else pa.array(values)
                   for name, values in columns.items()}
        rows = pa.table(arrays)
        if not self.failed.any():
            return ParseResult(rows, REJECT_SCHEMA.empty_table(), len(self), list(self.table.notes))
        rows = rows.filter(pa.array(~self.failed))
        bad_positions = np.flatnonzero(self.failed)
        original = {header: column.take(pa.array(bad_positions)).to_pylist() if isinstance(column, pa.Array)
                    else column[bad_positions] for header, column in self.table.columns.items()}
        rejects = pa.table([
            pa.array(self.table.row_numbers[bad_positions], pa.int32()),
            pa.array(self.error_code[bad_positions], pa.string()),
            pa.array(self.error_reason[bad_positions], pa.string()),
            pa.array([self.table.row_texts.get(int(p)) or
                      _row_json({header: cells[i] for header, cells in original.items()})
                      for i, p in enumerate(bad_positions)], pa.string()),
        ], schema=REJECT_SCHEMA)
        return ParseResult(rows, rejects, len(self), list(self.table.notes))


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
