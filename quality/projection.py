"""A suite's projection, read from DuckDB: whole as a pandas frame, or counted in SQL.

- `load_frame`: the projection (of the scope's rows, when given) over Arrow into a compact pandas
  frame (strings as categoricals, dates as datetime64[ns] so GX compares them vectorised, the
  DuckDB rowid as the index). For suites with table-level expectations, and for anything
  `quality.sql_rules` does not translate.
- `count_in_sql`: the row-level expectations counted by DuckDB in one pass, plus the few rows
  that fail them as the same kind of frame: all GX has to look at.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd
import pyarrow as pa

from ingest.raw_schema import PERSONAL_COLUMNS
from quality.rules import Suite
from quality.scope import SCOPE_RELATION, Scope
from quality.sql_rules import NotTranslatable, SqlRule, count_query, flag_query, kind_of, tally, translate

SAMPLE_RELATION = "quality_samples"   # the sampled rows, registered while their flags are counted


def _arrow(relation: duckdb.DuckDBPyRelation) -> pa.Table:
    for method in ("to_arrow_table", "fetch_arrow_table", "arrow"):   # duckdb 2.x, 1.x
        if hasattr(relation, method):
            table = getattr(relation, method)()
            return table.read_all() if isinstance(table, pa.RecordBatchReader) else table
    raise RuntimeError("this duckdb has no Arrow export")


def compact(table: pa.Table) -> pa.Table:
    """Types GX's pandas engine handles vectorised: float64 money, int64 counts, ns timestamps
    (microseconds for a date beyond what nanoseconds can hold, e.g. year 9999)."""
    columns = []
    for column in table.columns:
        kind = column.type
        if pa.types.is_decimal(kind):
            column = column.cast(pa.float64())
        elif pa.types.is_date(kind) or pa.types.is_timestamp(kind):
            try:
                column = column.cast(pa.timestamp("ns"))
            except pa.ArrowInvalid:
                column = column.cast(pa.timestamp("us"))
        elif pa.types.is_integer(kind) and kind != pa.int64():
            column = column.cast(pa.int64())
        columns.append(column)
    return pa.Table.from_arrays(columns, names=table.column_names)


def to_frame(table: pa.Table) -> pd.DataFrame:
    """A compact Arrow table as the frame GX validates; the index is the rowid when there is one."""
    frame = compact(table).to_pandas(strings_to_categorical=True, date_as_object=False, self_destruct=True)
    if "_rowid" in frame.columns:
        frame.index = pd.Index(frame.pop("_rowid").to_numpy())   # unnamed: GX then reports plain ids
    return frame


@contextmanager
def scoped_query(con: duckdb.DuckDBPyConnection, suite: Suite, scope: Scope | None = None):
    """The suite's SQL, narrowed to the scope's rows (registered on `con` meanwhile) when given."""
    if scope is None or not suite.scoped:
        yield suite.query()
        return
    con.register(SCOPE_RELATION, scope.relation())
    try:
        yield suite.query(scope.filter(suite.scoped))
    finally:
        con.unregister(SCOPE_RELATION)


def _refuse_personal(suite: Suite, columns, rows: int) -> None:
    personal = PERSONAL_COLUMNS & set(columns)
    if personal and rows:   # a `limit 0` schema probe carries names, never values
        raise ValueError(f"suite {suite.name} selects personal columns {sorted(personal)}")


def load_frame(con: duckdb.DuckDBPyConnection, suite: Suite, scope: Scope | None = None) -> pd.DataFrame:
    """The suite's projection (of the scope's rows, when given) as a compact pandas frame."""
    with scoped_query(con, suite, scope) as query:
        table = _arrow(con.sql(query))
    _refuse_personal(suite, table.column_names, table.num_rows)
    return to_frame(table)


@dataclass
class Counted:
    """A suite's row-level expectations counted in SQL, and the rows GX is to see."""

    rules: list[SqlRule]
    element_count: int
    ignored: list[int]
    unexpected: list[int]
    samples: pd.DataFrame               # the first unexpected rows of every rule, in rowid order (GX's frame)
    sample_unexpected: list[int]        # per rule, how many of those rows SQL finds unexpected


def sql_rules(suite: Suite, relation: duckdb.DuckDBPyRelation, today: date) -> list[SqlRule] | None:
    """The suite's expectations as SQL rules over `relation` (its projection), or None when one
    does not translate (a table-level expectation, a column type or argument without an exact
    translation)."""
    kinds = {name: kind_of(kind) for name, kind in zip(relation.columns, relation.types)}
    try:
        return [translate(expect, kinds, today) for expect in suite.expectations]
    except NotTranslatable:
        return None


def count_in_sql(con: duckdb.DuckDBPyConnection, suite: Suite, today: date, sample_size: int,
                 scope: Scope | None = None) -> Counted | None:
    """Count the suite's row-level expectations in one DuckDB pass (None: GX must see it whole)."""
    with scoped_query(con, suite, scope) as query:
        projection = con.sql(query)       # bound, not run: names and types
        rules = sql_rules(suite, projection, today)
        if not rules:
            return None
        columns = list(projection.columns)
        order_by = "_rowid" if "_rowid" in columns else None
        result = _arrow(con.sql(count_query(query, columns, rules, sample_size, order_by)))
    counts = tally(result, len(rules), order_by)
    _refuse_personal(suite, columns, counts.element_count)
    con.register(SAMPLE_RELATION, counts.samples)
    try:
        found = con.execute(flag_query(SAMPLE_RELATION, rules)).fetchall()[0]
    finally:
        con.unregister(SAMPLE_RELATION)
    return Counted(rules, counts.element_count, counts.ignored, counts.unexpected, to_frame(counts.samples),
                   list(found))
