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

from ingest.readers import QuarantineError, Table
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
        by_key.setdefault(" ".join(header.lower().split()), header)
    found = {}
    for name in [*required, *optional]:
        header = by_key.get(" ".join(name.lower().split()))
        if header is not None:
            found[name] = header
    missing = [name for name in required if name not in found]
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

    def __len__(self) -> int:
        return len(self.table.frame)

    def cells(self, name: str) -> np.ndarray:
        """The raw cells of a contract column; all None when an optional column is absent."""
        header = self.columns.get(name)
        if header is None:
            return np.full(len(self), None, dtype=object)
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
            detail = f" ({error.detail})" if error.detail else ""
            self._fail_one(row, error.code, f"column '{name}': {error.code.replace('_', ' ')}{detail}")
        return parsed[codes]

    def text(self, name: str) -> np.ndarray:
        return self.convert(name, clean_text)

    def require(self, name: str, values: np.ndarray, code: str = "missing_value") -> None:
        """Rows where `values` is None are rejected: the contract needs this column."""
        self.reject(pd.isna(values), code, f"column '{name}' is empty")

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
            "row_text": [_row_json(record) for record in original.to_dict("records")],
        }, columns=REJECT_COLUMNS)
        return ParseResult(rows.reset_index(drop=True), rejects, len(self), list(self.table.notes))


def _row_json(record: dict) -> str:
    return json.dumps({key: (None if value is None else str(value)) for key, value in record.items()},
                      ensure_ascii=False)
