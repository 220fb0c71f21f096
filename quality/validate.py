"""Run the suites of `quality.suites` against a DuckDB connection with Great Expectations 1.x.

Per suite, DuckDB runs the suite's SQL (narrow projection, derived columns). Row-level
expectations are counted in DuckDB (`quality.sql_rules`: one aggregate query per suite, GX's
semantics) and GX validates only the rows that fail, its results then carrying the counts of the
whole projection (`quality.gx_run.patch_counts`). A suite with a table-level expectation (column
set, row count), or an expectation without an exact SQL translation, goes to GX whole as a
compact pandas frame (`quality.projection`). GX's own SQL datasource is not used: on DuckDB it
fails every metric (docs/engineering.md).

For each failed expectation the result keeps the unexpected count and a few samples: the
offending values (from the narrowed, non-personal projection) and the rows they came from
(landing path and row number, or the mart's key), looked up by rowid.

`scopes` (from `quality.scope.plan_scopes`) narrow the scoped suites to the rows that changed;
without them every suite validates its whole relation.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from ingest.memory import DUCKDB_CONFIG, freeze_long_lived
from quality.data_docs import build_gx_site
from quality.gx_run import forget, gx_context, gx_expectation, import_gx, patch_counts, run_suite  # noqa: F401
from quality.projection import count_in_sql, load_frame  # noqa: F401
from quality.scope import Scope
from quality.suites import ALL_TARGETS, ERROR, WARN, Expect, Suite, Target

SAMPLE_SIZE = 5
logger = logging.getLogger(__name__)


@dataclass
class Outcome:
    """The result of one expectation."""

    suite: str
    expectation: str                  # GX type, e.g. expect_column_values_to_be_between
    columns: tuple[str, ...]
    severity: str                     # error | warn
    notes: str
    success: bool
    element_count: int | None = None
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    sample_values: list[str] = field(default_factory=list)
    sample_rows: list[str] = field(default_factory=list)
    observed: str | None = None       # table-level expectations: what was seen
    error: str | None = None          # the expectation could not be evaluated

    @property
    def rule(self) -> str:
        return f"{self.expectation}({', '.join(self.columns)})" if self.columns else self.expectation

    def summary(self) -> str:
        """One line an operator can act on."""
        if self.error:
            found = f"not evaluated: {self.error}"
        elif self.unexpected_count is not None:
            found = f"{self.unexpected_count:,} of {self.element_count:,} rows unexpected"
            if self.unexpected_percent is not None:
                found += f" ({self.unexpected_percent:.1f}%)"
            if self.sample_values:
                found += f"; e.g. {', '.join(self.sample_values)}"
            if self.sample_rows:
                found += f"; rows {'; '.join(self.sample_rows)}"
        else:
            found = f"observed {self.observed}"
        return f"{self.suite}: {self.notes} [{self.rule}]: {found}"

    def as_dict(self) -> dict:
        return {"suite": self.suite, "expectation": self.rule, "severity": self.severity, "rule": self.notes,
                "success": self.success, "rows": self.element_count, "unexpected_count": self.unexpected_count,
                "unexpected_percent": None if self.unexpected_percent is None else round(self.unexpected_percent, 3),
                "sample_values": self.sample_values, "sample_rows": self.sample_rows,
                "observed": self.observed, "error": self.error}


@dataclass
class TargetResult:
    target: Target
    outcomes: list[Outcome]
    rows: dict[str, int]              # rows validated, per suite
    seconds: float
    scope: str = "whole relation"     # which rows the scoped suites validated

    def failures(self, severity: str | None = None) -> list[Outcome]:
        return [o for o in self.outcomes if not o.success and severity in (None, o.severity)]

    def passed(self, severity: str) -> bool:
        return not self.failures(severity)

    def of(self, severity: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.severity == severity]


def _text(value) -> str:
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return "null"
    if isinstance(value, (pd.Timestamp, datetime)):
        return str(value.date()) if value == value.normalize() else str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float) and value == value:
        return f"{value:.2f}"
    if isinstance(value, tuple):
        return "(" + ", ".join(_text(v) for v in value) + ")"
    text = str(value)
    return text if len(text) <= 80 else text[:30] + "..." + text[-47:]   # keep a path's file name


def _sample_rows(con, suite: Suite, frame: pd.DataFrame, index: list) -> list[str]:
    if not index or not suite.sample_columns:
        return []
    columns = list(suite.sample_columns)
    if suite.row_table:
        rowids = [int(i) for i in index]
        placeholders = ", ".join("?" for _ in rowids)
        quoted = ", ".join(f'"{c}"' for c in columns)
        found = {row[0]: row[1:] for row in con.execute(
            f"select rowid, {quoted} from {suite.row_table} where rowid in ({placeholders})", rowids).fetchall()}
        rows = [found[i] for i in rowids if i in found]
    else:
        rows = [tuple(frame.loc[i, c] for c in columns) for i in index if i in frame.index]
    return [" ".join(f"{c}={_text(v)}" for c, v in zip(columns, row)) for row in rows]


def _outcome(con, suite: Suite, expect: Expect, frame: pd.DataFrame, result, sample_size: int) -> Outcome:
    info = dict(result.result or {})
    exception = result.exception_info or {}
    raised = exception.get("raised_exception") if isinstance(exception, dict) else None
    outcome = Outcome(suite=suite.name, expectation=result.expectation_config.type, columns=expect.columns,
                      severity=expect.severity, notes=expect.notes, success=bool(result.success),
                      element_count=info.get("element_count"), unexpected_count=info.get("unexpected_count"),
                      unexpected_percent=info.get("unexpected_percent"))
    if raised:
        outcome.success = False
        outcome.error = (exception.get("exception_message") or "exception").splitlines()[0][:300]
    if "observed_value" in info:
        outcome.observed = _text(info["observed_value"]) if not isinstance(info["observed_value"], list) \
            else ", ".join(map(str, info["observed_value"]))
        details = (info.get("details") or {}).get("mismatched") or {}
        if details.get("missing"):
            outcome.observed = f"missing columns: {', '.join(map(str, details['missing']))}"
    if not outcome.success:
        outcome.sample_values = [_text(v) for v in (info.get("partial_unexpected_list") or [])[:sample_size]]
        index = list(info.get("partial_unexpected_index_list") or [])[:sample_size]
        outcome.sample_rows = _sample_rows(con, suite, frame, index)
    return outcome


def _not_run(suite: Suite, reason: str) -> list[Outcome]:
    return [Outcome(suite=suite.name, expectation=e.type, columns=e.columns, severity=e.severity, notes=e.notes,
                    success=e.severity != ERROR, error=reason) for e in suite.expectations]


def _nothing_to_check(suite: Suite) -> list[Outcome]:
    return [Outcome(suite=suite.name, expectation=re.sub(r"(?<!^)(?=[A-Z])", "_", e.type).lower(),
                    columns=e.columns, severity=e.severity, notes=e.notes, success=True, element_count=0,
                    unexpected_count=0) for e in suite.expectations]


def validate_targets(con: duckdb.DuckDBPyConnection, targets=ALL_TARGETS, *, today: date | None = None,
                     docs_site: Path | None = None, sample_size: int = SAMPLE_SIZE,
                     scopes: dict[str, Scope] | None = None, sql_counts: bool = True) -> list[TargetResult]:
    """Validate every suite of `targets` (scoped suites: only the rows of `scopes[relation]`
    when given); build Data Docs into `docs_site` when given. `sql_counts=False`: GX validates
    every projection whole, as a pandas frame (slow; the reference the SQL counts must equal)."""
    import_gx()
    freeze_long_lived()   # GX's modules, imported meanwhile on a thread (quality.gx_run)

    today = today or date.today()
    context = gx_context(docs_site)
    source = context.data_sources.add_pandas("umkm")
    results = []
    for target in targets:
        started = time.perf_counter()
        outcomes, rows, missing_columns = [], {}, None
        scope = (scopes or {}).get(target.relation)
        if scope is not None and scope.unchanged:   # nothing it reads changed since its rules passed
            outcomes = [o for suite in target.suites for o in _nothing_to_check(suite)]
            results.append(TargetResult(target, outcomes, {}, time.perf_counter() - started, scope.describe()))
            continue
        for suite in target.suites:
            if missing_columns:
                outcomes += _not_run(suite, missing_columns)
                continue
            try:
                counted = count_in_sql(con, suite, today, sample_size, scope) if sql_counts else None
                frame = counted.samples if counted else load_frame(con, suite, scope)
            except duckdb.Error as error:
                outcomes += _not_run(suite, f"projection failed: {str(error).splitlines()[0][:200]}")
                continue
            rows[suite.name] = counted.element_count if counted else len(frame)
            if scope is not None and suite.scoped and not rows[suite.name]:   # nothing new: GX would say so
                outcomes += _nothing_to_check(suite)
                continue
            validation, positions = run_suite(context, source, suite, frame, today, sample_size)
            if counted:
                patch_counts(context, validation, positions, counted)
            suite_outcomes = [_outcome(con, suite, suite.expectations[positions[r.expectation_config.id]], frame, r,
                                       sample_size) for r in validation.results]
            outcomes += suite_outcomes
            schema_failures = [o for o in suite_outcomes if o.expectation == "expect_table_columns_to_match_set"
                               and not o.success]
            if schema_failures:
                missing_columns = f"required columns missing ({schema_failures[0].observed})"
            del frame, counted
        results.append(TargetResult(target, outcomes, rows, time.perf_counter() - started,
                                    scope.describe() if scope is not None else "whole relation"))
    if docs_site is not None:
        try:
            build_gx_site(context, docs_site, results)
        except Exception:   # the docs are a view of the results: never lose the results over them
            logger.warning("could not write the Data Docs to %s", docs_site, exc_info=True)
    forget(context)
    return results


def connect_read_only(warehouse: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(warehouse), read_only=True, config=DUCKDB_CONFIG)


def summarize(results: list[TargetResult]) -> str:
    """A plain-text report (CLI, logs)."""
    lines = []
    for result in results:
        errors, warns = result.failures(ERROR), result.failures(WARN)
        state = "FAIL" if errors else ("warn" if warns else "ok")
        lines.append(f"{state:<4} {result.target.relation}: {len(result.outcomes)} expectations, "
                     f"{sum(result.rows.values()):,} rows ({result.scope}), {result.seconds:.2f}s")
        lines += [f"     ERROR {o.summary()}" for o in errors]
        lines += [f"     WARN  {o.summary()}" for o in warns]
    return "\n".join(lines)
