"""Run the suites of `quality.suites` against a DuckDB connection with Great Expectations 1.x.

DuckDB runs each suite's SQL (narrow projection, derived columns); the result comes over Arrow
into a compact pandas frame (strings as categoricals, dates as datetime64[ns] so GX compares
them vectorised, the DuckDB rowid as the index); GX validates it in an ephemeral context. GX's
own SQL datasource is not used: on DuckDB it fails every metric (docs/engineering.md).

For each failed expectation the result keeps the unexpected count and a few samples: the
offending values (from the narrowed, non-personal frame) and the rows they came from (landing
path and row number, or the mart's key), looked up by rowid.

`scopes` (from `quality.scope.plan_scopes`) narrow the scoped suites to the rows that changed;
without them every suite validates its whole relation.
"""

from __future__ import annotations

import logging
import os
import re
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from ingest.memory import DUCKDB_CONFIG
from ingest.raw_schema import PERSONAL_COLUMNS
from quality.scope import SCOPE_RELATION, Scope
from quality.suites import ALL_TARGETS, ERROR, TODAY, WARN, Expect, Suite, Target

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")   # no internet: never call home

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


# ---------------------------------------------------------------- frames

def _arrow(relation: duckdb.DuckDBPyRelation) -> pa.Table:
    for method in ("to_arrow_table", "fetch_arrow_table", "arrow"):   # duckdb 2.x, 1.x
        if hasattr(relation, method):
            table = getattr(relation, method)()
            return table.read_all() if isinstance(table, pa.RecordBatchReader) else table
    raise RuntimeError("this duckdb has no Arrow export")


def _compact(table: pa.Table) -> pa.Table:
    """Types GX's pandas engine handles vectorised: float64 money, int64 counts, ns timestamps."""
    columns = []
    for column in table.columns:
        kind = column.type
        if pa.types.is_decimal(kind):
            column = column.cast(pa.float64())
        elif pa.types.is_date(kind) or pa.types.is_timestamp(kind):
            column = column.cast(pa.timestamp("ns"))
        elif pa.types.is_integer(kind) and kind != pa.int64():
            column = column.cast(pa.int64())
        columns.append(column)
    return pa.Table.from_arrays(columns, names=table.column_names)


def load_frame(con: duckdb.DuckDBPyConnection, suite: Suite, scope: Scope | None = None) -> pd.DataFrame:
    """The suite's projection (of the scope's rows, when given) as a compact pandas frame;
    the index is the rowid when there is one."""
    if scope is None or not suite.scoped:
        table = _compact(_arrow(con.sql(suite.query())))
    else:
        con.register(SCOPE_RELATION, scope.relation())
        try:
            table = _compact(_arrow(con.sql(suite.query(scope.filter(suite.scoped)))))
        finally:
            con.unregister(SCOPE_RELATION)
    personal = PERSONAL_COLUMNS & set(table.column_names)
    if personal and table.num_rows:   # a `limit 0` schema probe carries names, never values
        raise ValueError(f"suite {suite.name} selects personal columns {sorted(personal)}")
    frame = table.to_pandas(strings_to_categorical=True, date_as_object=False, self_destruct=True)
    if "_rowid" in frame.columns:
        frame.index = pd.Index(frame.pop("_rowid").to_numpy())   # unnamed: GX then reports plain ids
    return frame


# ---------------------------------------------------------------- GX

def gx_context(docs_site: Path | None = None):
    """An ephemeral GX context without progress bars, optionally with a local Data Docs site."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    if docs_site is not None:
        context.add_data_docs_site(site_name="umkm", site_config={
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_site)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        })
    return context


def _resolve(value, today: date):
    if value == TODAY:
        return pd.Timestamp(today + timedelta(days=1))    # WIB dates run up to 7 hours ahead of UTC
    if isinstance(value, date):
        return pd.Timestamp(value)
    return value


def gx_expectation(expect: Expect, today: date):
    """The GX 1.x expectation object for one `Expect` (severity: critical = ERROR, warning = WARN)."""
    import great_expectations.expectations as gxe
    from great_expectations.expectations.metadata_types import FailureSeverity

    kwargs = {key: _resolve(value, today) for key, value in expect.kwargs.items()}
    severity = FailureSeverity.CRITICAL if expect.severity == ERROR else FailureSeverity.WARNING
    return getattr(gxe, expect.type)(**kwargs, severity=severity, notes=expect.notes,
                                     meta={"severity": expect.severity})


def _gx_suite(suite: Suite, today: date):
    import great_expectations as gx

    return gx.ExpectationSuite(name=suite.name,
                               expectations=[gx_expectation(e, today) for e in suite.expectations])


def _text(value) -> str:
    if isinstance(value, (pd.Timestamp, datetime)):
        return str(value.date()) if value == value.normalize() else str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float) and value == value:
        return f"{value:.2f}"
    if isinstance(value, tuple):
        return "(" + ", ".join(_text(v) for v in value) + ")"
    if value is None or (isinstance(value, float) and value != value):
        return "null"
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
                     scopes: dict[str, Scope] | None = None) -> list[TargetResult]:
    """Validate every suite of `targets` (scoped suites: only the rows of `scopes[relation]`
    when given); build Data Docs into `docs_site` when given."""
    import great_expectations as gx

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
                frame = load_frame(con, suite, scope)
            except duckdb.Error as error:
                outcomes += _not_run(suite, f"projection failed: {str(error).splitlines()[0][:200]}")
                continue
            rows[suite.name] = len(frame)
            if scope is not None and suite.scoped and frame.empty:   # nothing new: GX would say so, slower
                outcomes += _nothing_to_check(suite)
                continue
            gx_suite = context.suites.add(_gx_suite(suite, today))
            by_id = {gx_e.id: expect for gx_e, expect in zip(gx_suite.expectations, suite.expectations)}
            batch = source.add_dataframe_asset(suite.name).add_batch_definition_whole_dataframe("current")
            definition = context.validation_definitions.add(
                gx.ValidationDefinition(name=suite.name, data=batch, suite=gx_suite))
            validation = definition.run(batch_parameters={"dataframe": frame}, result_format={
                "result_format": "SUMMARY", "partial_unexpected_count": sample_size})
            suite_outcomes = [_outcome(con, suite, by_id[r.expectation_config.id], frame, r, sample_size)
                              for r in validation.results]
            outcomes += suite_outcomes
            schema_failures = [o for o in suite_outcomes if o.expectation == "expect_table_columns_to_match_set"
                               and not o.success]
            if schema_failures:
                missing_columns = f"required columns missing ({schema_failures[0].observed})"
            del frame
        results.append(TargetResult(target, outcomes, rows, time.perf_counter() - started,
                                    scope.describe() if scope is not None else "whole relation"))
    if docs_site is not None:
        from quality.docs import build_gx_site

        try:
            build_gx_site(context, docs_site, results)
        except Exception:   # the docs are a view of the results: never lose the results over them
            logger.warning("could not write the Data Docs to %s", docs_site, exc_info=True)
    _forget(context)
    return results


def _forget(context) -> None:
    """GX keeps the last context in a module global, and with it the frames it validated
    (at ten million orders, 1.5 GiB the next step would find still taken)."""
    from great_expectations.data_context.data_context.context_factory import project_manager

    context.data_sources.delete("umkm")
    project_manager.set_project(None)


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
