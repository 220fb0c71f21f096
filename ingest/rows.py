"""Turn a Table of cells into typed rows and rejected rows, column by column.

Each column is converted once per distinct value (`pd.factorize`), so a file of a million
rows with a few thousand distinct amounts costs a few thousand parser calls, not a million.
A row's first failing cell decides its reason code; the rest of the file goes on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from ingest.readers import QuarantineError, Table, header_key
from ingest.values import CellError, clean_text

REJECT_COLUMNS = ["row_number", "reason_code", "reason", "row_text"]


@dataclass
class ParseResult:
    rows: pd.DataFrame                 # typed columns of the raw table, plus row_number
    rejects: pd.DataFrame              # REJECT_COLUMNS
    rows_read: int
    notes: list[str] = field(default_factory=list)

    @property
    def rows_loaded(self) -> int:
        return len(self.rows)

    @property
    def rows_rejected(self) -> int:
        return len(self.rejects)


def resolve_columns(frame: pd.DataFrame, required: list[str], optional: list[str] = ()) -> dict[str, str]:
    """Map contract column names to the file's headers, by name (case/space-insensitive)."""
    by_key = {}
    for header in frame.columns:
        by_key.setdefault(header_key(header), header)
    duplicates = frame.attrs.get("duplicate_headers", set())
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
        size = len(table.frame)
        self.error_code = np.full(size, None, dtype=object)
        self.error_reason = np.full(size, None, dtype=object)
        self.out: dict[str, object] = {}
        self._flagged_headers: set[str] = set()
        for row, (code, reason) in table.row_flags.items():   # the reader's findings come first
            self._fail_one(row, code, reason)

    def __len__(self) -> int:
        return len(self.table.frame)

    def cells(self, name: str) -> np.ndarray:
        """The raw cells of a contract column; all None when an optional column is absent."""
        header = self.columns.get(name)
        if header is None:
            return np.full(len(self), None, dtype=object)
        if header not in self._flagged_headers:   # cells whose value the file does not hold
            self._flagged_headers.add(header)
            for row, (code, reason) in self.table.cell_flags.get(header, {}).items():
                self._fail_one(row, code, f"column '{name}': {reason}")
        return self.table.frame[header].to_numpy(dtype=object)

    def convert(self, name: str, parser: Callable, cells: np.ndarray | None = None) -> np.ndarray:
        """Parse every cell of a column; failing rows get the parser's reason code."""
        cells = self.cells(name) if cells is None else cells
        codes, uniques = pd.factorize(cells, use_na_sentinel=False)
        parsed = np.empty(len(uniques), dtype=object)
        failed = np.full(len(uniques), None, dtype=object)
        for index, value in enumerate(uniques):
            try:
                parsed[index] = parser(value)
            except CellError as error:
                failed[index] = error
        errors = failed[codes]
        bad = np.flatnonzero(pd.notna(errors))
        for row in bad:
            error = errors[row]
            detail = f" ({_shorten(error.detail, 120)})" if error.detail else ""
            self._fail_one(row, error.code, f"column '{name}': {error.code.replace('_', ' ')}{detail}")
        return parsed[codes]

    def text(self, name: str) -> np.ndarray:
        return self.convert(name, clean_text)

    def require(self, name: str, values: np.ndarray, code: str = "missing_value") -> None:
        """Rows where `values` is None are rejected: the contract needs this column."""
        self.reject(pd.isna(values), code, f"column '{name}' is empty")

    def reject_duplicates(self, label: str, *keys: np.ndarray) -> None:
        """Reject rows whose key repeats an earlier accepted row of this file (`duplicate_id`).

        The file's first row with a key is kept; the later ones would be counted twice or
        silently override it. Rows already rejected, or with an empty key, take no part.
        """
        present = np.logical_and.reduce([pd.notna(key) for key in keys])
        positions = np.flatnonzero(pd.isna(self.error_code) & present)
        if len(positions) < 2:
            return
        values = keys[0][positions] if len(keys) == 1 else \
            pd.Series(list(zip(*(key[positions] for key in keys))), dtype=object).to_numpy()
        codes, _ = pd.factorize(values)               # codes in order of first appearance
        _, first_index = np.unique(codes, return_index=True)
        first_position = positions[first_index[codes]]
        later = positions != first_position
        for position, first in zip(positions[later], first_position[later]):
            self._fail_one(position, "duplicate_id",
                           f"{label} repeats row {self.table.row_numbers[first]} of this file")

    def reject(self, mask: np.ndarray, code: str, reason: str) -> None:
        for row in np.flatnonzero(mask):
            self._fail_one(row, code, reason)

    def _fail_one(self, row: int, code: str, reason: str) -> None:
        if self.error_code[row] is None:  # the first problem of a row is its reason
            self.error_code[row] = code
            self.error_reason[row] = reason

    def result(self, columns: dict[str, object]) -> ParseResult:
        """Split into loaded rows (typed `columns`) and rejected rows (original cells)."""
        ok = pd.isna(self.error_code)
        rows = pd.DataFrame({"row_number": self.table.row_numbers, **columns})[ok]
        bad_positions = np.flatnonzero(~ok)
        original = self.table.frame.iloc[bad_positions]
        rejects = pd.DataFrame({
            "row_number": self.table.row_numbers[bad_positions],
            "reason_code": self.error_code[bad_positions],
            "reason": self.error_reason[bad_positions],
            "row_text": [self.table.row_texts.get(int(p)) or _row_json(record)
                         for p, record in zip(bad_positions, original.to_dict("records"))],
        }, columns=REJECT_COLUMNS)
        return ParseResult(rows.reset_index(drop=True), rejects, len(self), list(self.table.notes))


def _row_json(record: dict) -> str:
    return json.dumps({key: (None if value is None else _shorten(str(value))) for key, value in record.items()},
                      ensure_ascii=False)


def _shorten(text: str, limit: int = 1000) -> str:
    """Cells and details are cut: a 100 MB cell must not become a 100 MB reject record."""
    return text if len(text) <= limit else f"{text[:limit]}… [{len(text) - limit} more characters]"
