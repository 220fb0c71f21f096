"""The building blocks of the suites: one `Expect` per GX expectation, `Suite`s, `Target`s.

An `Expect` names a GX 1.x expectation class and its arguments; `quality.validate` builds the GX
object from it, and `quality.sql_rules` translates the row-level ones into DuckDB predicates.
Allowed values never appear here as literals: they come from the dbt seeds (`quality.seeds`).

This module is cheap to import (no GX import): Dagster reads the targets when it loads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import NamedTuple

SCOPE = "{scope}"                   # in a suite's SQL: the condition that picks the rows to validate
BY_FILE_VERSION = "file_version"    # raw rows of the change set's file versions
BY_LANDING_PATH = "landing_path"    # mart rows whose winning row came from a path of the change set
BY_UMKM = "umkm"                    # rows of the UMKM the build recomputed (intermediate.int_umkm_changed)

ERROR = "error"    # blocks: FailureSeverity.CRITICAL in GX, AssetCheckSeverity.ERROR in Dagster
WARN = "warn"      # annotates: FailureSeverity.WARNING, AssetCheckSeverity.WARN

# Plausible ranges. Dates: the survey and the programs are about the pandemic years; a date
# before 2019 or after today is a parsing error (US vs day-first dates, Excel serials, epochs).
DATE_MIN = date(2019, 1, 1)
TODAY = "<today>"                   # replaced by the validation date (plus one day of time zone slack)
MIN_ORDER_IDR = 1_000               # no GoBiz/Shopee/UVO order is below Rp 1.000: "100.000" read as 100
MAX_ORDER_IDR = 1_000_000_000       # one order above Rp 1 miliar is a column mix-up (an ID read as money)
TYPICAL_MAX_ORDER_IDR = 25_000_000  # WARN: unusual for a UMKM order, worth a look
MAX_MONTHLY_TURNOVER_IDR = 100_000_000_000   # survey omzet per month; "menengah" ends near Rp 4 miliar
TYPICAL_MAX_MONTHLY_TURNOVER_IDR = 5_000_000_000
MIN_MONTHLY_TURNOVER_IDR = 100_000  # WARN: a running business's monthly omzet below Rp 100.000
MAX_WORKERS = 100_000
TYPICAL_MAX_WORKERS = 300           # BPS: "menengah" is 20-99 workers


def resolve(value, today: date):
    """An argument as validated on `today`: `TODAY` becomes the next midnight (WIB dates run up to
    seven hours ahead of UTC). GX and the SQL translation both read bounds through this."""
    if value == TODAY:
        return today + timedelta(days=1)
    return value


def rp(amount: int) -> str:
    """Rupiah as the office writes it: 1000000 -> Rp 1.000.000."""
    return "Rp " + f"{amount:,}".replace(",", ".")


def one_of(values) -> str:
    """('a', 'b', 'c') -> 'a, b or c' (for the notes of a rule whose values come from a seed)."""
    values = [str(v) for v in values]
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " or " + values[-1]


def sql_list(values) -> str:
    return ", ".join("'" + str(v).replace("'", "''") + "'" for v in values)


# ---------------------------------------------------------------- expectations

@dataclass(frozen=True)
class Expect:
    """One GX expectation: its class in `great_expectations.expectations`, arguments, severity."""

    type: str
    severity: str
    notes: str
    kwargs: dict = field(default_factory=dict)

    @property
    def columns(self) -> tuple[str, ...]:
        found = [self.kwargs.get(k) for k in ("column", "column_A", "column_B")]
        return tuple(c for c in found if c)


def not_null(column: str, notes: str, severity: str = ERROR) -> Expect:
    return Expect("ExpectColumnValuesToNotBeNull", severity, notes, {"column": column})


def in_set(column: str, values, notes: str, severity: str = ERROR) -> Expect:
    return Expect("ExpectColumnValuesToBeInSet", severity, notes, {"column": column, "value_set": list(values)})


def not_in_set(column: str, values, notes: str, severity: str = ERROR) -> Expect:
    return Expect("ExpectColumnValuesToNotBeInSet", severity, notes,
                  {"column": column, "value_set": list(values)})


def between(column: str, notes: str, min_value=None, max_value=None, severity: str = ERROR) -> Expect:
    kwargs = {"column": column}
    if min_value is not None:
        kwargs["min_value"] = min_value
    if max_value is not None:
        kwargs["max_value"] = max_value
    return Expect("ExpectColumnValuesToBeBetween", severity, notes, kwargs)


def in_date_range(column: str, what: str, severity: str = ERROR) -> Expect:
    return between(column, f"{what} between {DATE_MIN} and today: outside it, a date was misread "
                           f"(day/month swapped, Excel serial, epoch)", DATE_MIN, TODAY, severity)


def matches(column: str, regex: str, notes: str, severity: str = ERROR) -> Expect:
    return Expect("ExpectColumnValuesToMatchRegex", severity, notes, {"column": column, "regex": regex})


def at_least(column_a: str, column_b: str, notes: str, severity: str = ERROR) -> Expect:
    """column_a >= column_b on every row where both are present."""
    return Expect("ExpectColumnPairValuesAToBeGreaterThanB", severity, notes,
                  {"column_A": column_a, "column_B": column_b, "or_equal": True,
                   "ignore_row_if": "either_value_is_missing"})


def equal(column_a: str, column_b: str, notes: str, severity: str = ERROR) -> Expect:
    return Expect("ExpectColumnPairValuesToBeEqual", severity, notes,
                  {"column_A": column_a, "column_B": column_b, "ignore_row_if": "neither"})


def columns_present(columns, notes: str) -> Expect:
    return Expect("ExpectTableColumnsToMatchSet", ERROR, notes,
                  {"column_set": list(columns), "exact_match": False})


def row_count(value: int, notes: str) -> Expect:
    return Expect("ExpectTableRowCountToEqual", ERROR, notes, {"value": value})


def unique_in_version(column: str, what: str) -> list[Expect]:
    """`column` holds how many rows of the same file version share the row's id (null: no id)."""
    return [not_null(column, f"{what} is required"),
            between(column, f"{what} is unique within a file version (the grain the marts dedup on)",
                    max_value=1)]


class RowsInVersion(NamedTuple):
    column: str   # select expression
    join: str     # the join it reads, after the FROM


def rows_in_version(table: str, alias: str, keys: tuple[str, ...], name: str, when: str | None = None,
                    ) -> RowsInVersion:
    """The column `name` for `unique_in_version` (how many rows of the row's file version share
    its key; null when `when`, by default "the first key is there", is false) and the join it needs.

    Only the keys that repeat are counted and joined back: at ten million rows a window over
    every row took twice as long. `is not distinct from`: a missing SKU is a key value too.
    """
    repeats = f"{name}_repeats"
    key_columns = ", ".join(f"{alias}.{key}" for key in ("sha256", *keys))
    on = " and ".join(f"{repeats}.{key} is not distinct from {alias}.{key}" for key in ("sha256", *keys))
    column = f"case when {when or f'{alias}.{keys[0]} is not null'} then coalesce({repeats}.n, 1) end as {name}"
    join = (f"left join (select {key_columns}, count(*) as n from {table} {alias} where {SCOPE} "
            f"group by all having count(*) > 1) {repeats} on {on}")
    return RowsInVersion(column, join)


# ---------------------------------------------------------------- suites and targets

@dataclass(frozen=True)
class Suite:
    """A GX suite and the SQL projection it validates.

    `row_table`: when set, the SQL selects `_rowid` (the DuckDB rowid of that table) and the
    samples of a failed expectation are looked up there by rowid, reading `sample_columns`;
    big frames then carry no identifiers at all. Otherwise `sample_columns` are frame columns.
    `scoped`: the SQL says `where {scope}` and only row-level rules run on it, so validating a
    subset of rows (see `quality.suites`) gives the same verdict for those rows.
    """

    name: str
    sql: str
    expectations: tuple[Expect, ...]
    row_table: str | None = None
    sample_columns: tuple[str, ...] = ()
    scoped: str | None = None       # alias of the table whose rows `where {scope}` narrows

    def query(self, scope_filter: str | None = None) -> str:
        """The SQL, narrowed by `scope_filter` (a condition on the `scoped` alias) or whole."""
        return self.sql.replace(SCOPE, scope_filter or "true")


@dataclass(frozen=True)
class Target:
    """What one Dagster asset check pair (ERROR, WARN) validates: a raw table or a mart."""

    layer: str                      # raw | marts
    table: str
    suites: tuple[Suite, ...]
    reads: tuple[str, ...] = ()     # other relations the suites read, "schema.table"
    description: str = ""
    scope: str | None = None        # BY_FILE_VERSION | BY_LANDING_PATH | BY_UMKM: how a check run narrows its rows

    @property
    def relation(self) -> str:
        return f"{self.layer}.{self.table}"

    @property
    def asset_path(self) -> list[str]:
        return [self.layer, self.table]

    def expectations(self, severity: str | None = None) -> list[Expect]:
        return [e for s in self.suites for e in s.expectations if severity in (None, e.severity)]


LINEAGE = ("landing_path", "sha256", "row_number", "file_landed_at", "loaded_at")
RAW_SAMPLE = ("landing_path", "row_number")


def schema_suite(table: str, required: tuple[str, ...]) -> Suite:
    return Suite(f"raw.{table}.columns", f"select * from raw.{table} limit 0",
                 (columns_present(LINEAGE + required,
                                  "the columns the staging models read exist (lineage included)"),))
