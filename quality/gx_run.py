"""Great Expectations 1.x as the suites use it: an ephemeral context, the expectation objects,
one validation per suite, and the SQL counts written into GX's results.

GX stays the rule book: every outcome, Dagster's check metadata and the Data Docs come from
GX's result objects. When the row-level rules were counted in DuckDB (`quality.sql_rules`), GX
validated only the rows that fail; `patch_counts` then puts the whole projection's statistics
into each result (and the suite's statistics), and stores the result again for the Data Docs.
"""

from __future__ import annotations

import os
import threading
from datetime import date
from pathlib import Path

import pandas as pd

from quality.projection import Counted
from quality.rules import ERROR, Expect, Suite, resolve
from quality.sql_rules import statistics


def import_gx():
    """Great Expectations, its usage statistics off before it is first imported (it reads the
    variable then): no internet, never call home. An explicit GX_ANALYTICS_ENABLED is kept."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx

    return gx


def import_gx_meanwhile() -> None:
    """Import GX (about 3 s) on a thread while the caller loads files: the checks that follow in
    the same process find it imported. The load waits on its parse workers, so both progress."""
    threading.Thread(target=import_gx, name="import-gx", daemon=True).start()


def gx_context(docs_site: Path | None = None):
    """An ephemeral GX context without progress bars, optionally with a local Data Docs site."""
    gx = import_gx()
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


def gx_value(value, today: date):
    """An argument as GX's pandas engine compares it (dates as Timestamps)."""
    value = resolve(value, today)
    return pd.Timestamp(value) if isinstance(value, date) else value


def gx_expectation(expect: Expect, today: date):
    """The GX 1.x expectation object for one `Expect` (severity: critical = ERROR, warning = WARN)."""
    import_gx()
    import great_expectations.expectations as gxe
    from great_expectations.expectations.metadata_types import FailureSeverity

    kwargs = {key: gx_value(value, today) for key, value in expect.kwargs.items()}
    severity = FailureSeverity.CRITICAL if expect.severity == ERROR else FailureSeverity.WARNING
    return getattr(gxe, expect.type)(**kwargs, severity=severity, notes=expect.notes,
                                     meta={"severity": expect.severity})


def run_suite(context, source, suite: Suite, frame: pd.DataFrame, today: date, sample_size: int):
    """Validate `frame` with the suite's GX suite: the result, and {GX expectation id: position
    of its `Expect` in the suite}."""
    gx = import_gx()
    gx_suite = context.suites.add(gx.ExpectationSuite(
        name=suite.name, expectations=[gx_expectation(e, today) for e in suite.expectations]))
    positions = {gx_e.id: i for i, gx_e in enumerate(gx_suite.expectations)}
    batch = source.add_dataframe_asset(suite.name).add_batch_definition_whole_dataframe("current")
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=suite.name, data=batch, suite=gx_suite))
    validation = definition.run(batch_parameters={"dataframe": frame}, result_format={
        "result_format": "SUMMARY", "partial_unexpected_count": sample_size})
    return validation, positions


def patch_counts(context, validation, positions: dict, counted: Counted) -> None:
    """Write the SQL counts of the whole projection into GX's results of the sampled rows.

    A guard: on the rows it was handed, GX must find exactly the unexpected rows SQL found; if
    not, the result fails with the disagreement as its exception (never a silent pass)."""
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier, ValidationResultIdentifier,
    )
    from great_expectations.validator.validation_statistics import calc_validation_statistics

    for result in validation.results:
        i = positions[result.expectation_config.id]
        rule, info = counted.rules[i], dict(result.result or {})
        raised = (result.exception_info or {}).get("raised_exception")
        success, stats = statistics(rule, counted.element_count, counted.ignored[i], counted.unexpected[i])
        result.result = {**info, **stats}
        result.success = success and not raised
        found = info.get("unexpected_count")
        if not raised and found != counted.sample_unexpected[i]:
            result.success = False
            result.exception_info = {
                "raised_exception": True, "exception_traceback": None,
                "exception_message": f"SQL translation and GX disagree: on the {len(counted.samples)} sampled "
                                     f"rows GX finds {found} unexpected, SQL {counted.sample_unexpected[i]}"}
    stats = calc_validation_statistics(validation.results)
    validation.success = stats.success
    validation.statistics = {"evaluated_expectations": stats.evaluated_expectations,
                             "successful_expectations": stats.successful_expectations,
                             "unsuccessful_expectations": stats.unsuccessful_expectations,
                             "success_percent": stats.success_percent}
    suite_id = ExpectationSuiteIdentifier(name=validation.suite_name)
    key = ValidationResultIdentifier(expectation_suite_identifier=suite_id, run_id=validation.meta["run_id"],
                                     batch_identifier=validation.batch_id)
    context.validation_results_store.set(key, validation)   # the Data Docs render the stored copy


def forget(context) -> None:
    """GX keeps the last context in a module global, and with it the frames it validated
    (at ten million orders, 1.5 GiB the next step would find still taken)."""
    from great_expectations.data_context.data_context.context_factory import project_manager

    context.data_sources.delete("umkm")
    project_manager.set_project(None)
