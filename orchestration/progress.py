"""Where a `umkm run` stands, told as it goes: files loaded of the total, then each step.

The run is one in-process Dagster execution whose own logs go to a file (`orchestration.cli`),
so what the operator sees comes from two sources:
- the steps' start and end, and each dbt model built: Dagster's events, heard through
  `DagsterInstance.add_event_listener` for the run;
- the file counter and the dbt total, which no event carries: the load and dbt assets report
  them through the hooks below (`file_counter`, `dbt_planned`), no-ops when nobody listens
  (the sensor's runs, the UI's, tests).

On a terminal `rich` draws the steps live; anywhere else (cron, CI, a pipe) one plain line per
step is printed when it ends, without control characters; `--quiet` prints neither.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TextIO

# Dagster step keys of the `full_refresh` job, as an operator names them.
STEP_LABELS = {
    "landing_reconciliation": "load",
    "raw_quality_checks": "raw checks",
    "umkm_dbt_models": "dbt build",
    "dimension_quality_checks": "dim checks",
    "mart_quality_checks": "mart checks",
    "serving_marts": "publication",
    "serving_marts_marts_include_newest_load": "freshness",
    "postgres_marts": "postgres",
}
LOAD_STEP, DBT_STEP = "landing_reconciliation", "umkm_dbt_models"

_listener: Reporter | None = None


def file_counter(total: int, then: Callable | None = None) -> Callable:
    """An `on_outcome` for `ingest.raw_load.load_files` that counts each file for the listener,
    then calls `then` (the asset's own logging)."""
    if _listener is not None:
        _listener.files_pending(total)

    def on_outcome(outcome) -> None:
        if _listener is not None:
            _listener.file_loaded(outcome.rows_loaded)
        if then is not None:
            then(outcome)
    return on_outcome


def dbt_planned(models: int) -> None:
    """How many models and seeds this run's `dbt build` takes (`orchestration.dbt_plan`)."""
    if _listener is not None:
        _listener.dbt_total = models


def dbt_tested() -> None:
    """One dbt test of this run's build has a result (they are not Dagster events: orchestration/assets/dbt.py)."""
    if _listener is not None:
        _listener.dbt_tests += 1


def label(step_key: str) -> str:
    return STEP_LABELS.get(step_key, step_key)


def thousands(value: float) -> str:
    return f"{value:,.0f}"


class Reporter:
    """Follows one run: Dagster events in, lines or a live display out (subclasses). The base
    class shows nothing: `--quiet`."""

    def __init__(self) -> None:
        self.started: dict[str, float] = {}
        self.files_total = self.files_done = self.rows = 0
        self.load_started = self.load_last = 0.0   # rows/s over the loading itself, not the step
        self.dbt_total: int | None = None
        self.dbt_built = self.dbt_tests = 0

    def __enter__(self) -> Reporter:
        global _listener
        _listener = self
        return self

    def __exit__(self, *exc) -> None:
        global _listener
        _listener = None

    # --- hooks (the load asset) ------------------------------------------------------------
    def files_pending(self, total: int) -> None:
        self.files_total, self.files_done, self.rows = total, 0, 0
        self.load_started = self.load_last = time.monotonic()

    def file_loaded(self, rows: int) -> None:
        self.files_done += 1
        self.rows += rows
        self.load_last = time.monotonic()

    # --- Dagster events ---------------------------------------------------------------------
    def on_event(self, entry) -> None:
        """`DagsterInstance.add_event_listener` callback: every event of the run, as it is stored."""
        event = entry.dagster_event
        if event is None or event.step_key is None:
            return
        kind, step = event.event_type_value, event.step_key
        if kind == "STEP_START":
            self.started[step] = time.monotonic()
            self.step_started(step)
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED"):
            seconds = time.monotonic() - self.started.get(step, time.monotonic())
            self.step_ended(step, {"STEP_SUCCESS": "done", "STEP_FAILURE": "FAILED"}.get(kind, "skipped"), seconds)
        elif step == DBT_STEP and kind == "ASSET_MATERIALIZATION":
            self.dbt_built += 1

    def step_started(self, step: str) -> None:
        pass

    def step_ended(self, step: str, result: str, seconds: float) -> None:
        pass

    # --- what a step did, in words ----------------------------------------------------------
    def detail(self, step: str) -> str:
        if step == LOAD_STEP:
            seconds = self.load_last - self.load_started
            rate = self.rows / seconds if seconds > 0 else 0.0
            return (f"{self.files_done} of {self.files_total} files, {thousands(self.rows)} rows "
                    f"({thousands(rate)} rows/s)")
        if step == DBT_STEP:
            total = f" of {self.dbt_total}" if self.dbt_total is not None else ""
            return f"{self.dbt_built}{total} models and seeds, {self.dbt_tests} tests"
        return ""


class PlainReporter(Reporter):
    """One line per step when it ends: for logs, cron mail and CI (no control characters)."""

    def __init__(self, out: TextIO) -> None:
        super().__init__()
        self.out = out

    def step_ended(self, step: str, result: str, seconds: float) -> None:
        if result == "skipped":
            line = f"{label(step)}: skipped"
        else:
            detail = self.detail(step)
            line = f"{label(step)}: {result}" + (f", {detail}" if detail else "") + f" ({seconds:.1f}s)"
        self.out.write(line + "\n")
        self.out.flush()


class LiveReporter(Reporter):
    """A live display on the terminal: a row per step with its counter and elapsed time."""

    def __init__(self, out: TextIO) -> None:
        super().__init__()
        from rich.console import Console
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        class MarkColumn(SpinnerColumn):
            """A spinner while the step runs, then its mark: done, failed or skipped."""

            def render(self, task):
                return task.fields.get("mark") or super().render(task)

        # Dagster and dbt write to this process's stdout, sent to the log file: rich must not
        # take sys.stdout over (redirect_*), only draw on the terminal it is given.
        self.progress = Progress(
            MarkColumn(), TextColumn("{task.description:<12}"),
            BarColumn(bar_width=24), TextColumn("{task.fields[detail]}"), TimeElapsedColumn(),
            console=Console(file=out), redirect_stdout=False, redirect_stderr=False, refresh_per_second=4)
        self.tasks: dict[str, int] = {}
        self.ended: set[str] = set()

    def __enter__(self) -> LiveReporter:
        super().__enter__()
        self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.stop()
        super().__exit__(*exc)

    def step_started(self, step: str) -> None:
        self.tasks[step] = self.progress.add_task(label(step), total=None, detail="")   # a pulse until counted

    def files_pending(self, total: int) -> None:
        super().files_pending(total)
        self._update(LOAD_STEP, 0, total)

    def file_loaded(self, rows: int) -> None:
        super().file_loaded(rows)
        self._update(LOAD_STEP, self.files_done, self.files_total)

    def on_event(self, entry) -> None:
        super().on_event(entry)
        if DBT_STEP in self.tasks and self.dbt_total is not None:
            self._update(DBT_STEP, self.dbt_built, self.dbt_total)

    def _update(self, step: str, done: int, total: int) -> None:
        task = self.tasks.get(step)
        if task is None or step in self.ended:
            return
        self.progress.update(task, completed=done, total=max(total, done) or None, detail=self.detail(step))

    def step_ended(self, step: str, result: str, seconds: float) -> None:
        from rich.text import Text

        task = self.tasks.get(step)
        if task is None:   # skipped: it never started
            task = self.tasks[step] = self.progress.add_task(label(step), total=None, detail="")
        self.ended.add(step)
        detail = self.detail(step) if result != "skipped" else ""
        mark = {"done": Text("✓", style="green"), "FAILED": Text("✗", style="bold red")}.get(result, Text("-"))
        if result != "done":
            detail = f"{result} {detail}".strip()
        self.progress.update(task, detail=detail, mark=mark, total=1, completed=1)
        self.progress.stop_task(task)


def reporter_for(out: TextIO, quiet: bool) -> Reporter:
    """Live on a terminal, lines elsewhere, nothing with --quiet."""
    if quiet:
        return Reporter()
    if out.isatty() and os.environ.get("TERM", "") != "dumb":
        return LiveReporter(out)
    return PlainReporter(out)
