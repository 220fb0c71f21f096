"""The expectation suites, as code: one `Target` per raw table and per mart.

Each `Suite` is one GX 1.x ExpectationSuite plus the SQL that feeds it. The SQL selects only the
columns its expectations read, and does in DuckDB what pandas would do slowly or would need
every row's identifiers for: per-file-version duplicate counts, "is the merchant enrolled"
(semi-joins), FX look-ups, reconciliations across marts. The row-level expectations are then
counted in DuckDB (`quality.sql_rules`) and GX sees only the rows that fail; table-level ones
are validated by GX on the projection. No suite ever selects a personal column
(`ingest.raw_schema.PERSONAL_COLUMNS`): the samples a failed expectation reports come from these
projections and from `sample_columns`.

Where things live:
- `quality.rules`: the building blocks (`Expect` and its helpers, `Suite`, `Target`), constants.
- `quality.seeds`: the allowed values, read from the dbt seeds (the dbt tests read the same).
- `quality.raw_suites`, `quality.mart_suites`: the targets.

Severity: `ERROR` rules block (the marts are not rebuilt from a raw layer that fails them, nor
published when a mart fails them); `WARN` rules annotate.

Scope: a suite whose SQL has `where {scope}` validates only the rows a check run hands it
(`quality.scope`, from the change set of `ingest.change_set`): on the raw tables the rows of the
file versions not yet published, on `fct_orders` the orders whose winning row came from a path
of the change set. A bad file keeps blocking until a corrected version of it replaces its rows:
nothing is published while a blocking check fails, so every run looks at it again. Without a
scope (`umkm docs`, tests) the whole table is validated. Table-level suites (columns, the file
ledger, the small marts and their reconciliations) look at the whole relation, in a run whose
change set is not empty.

This module is cheap to import (no GX import): Dagster reads the targets when it loads.
"""

from __future__ import annotations

from quality.mart_suites import (  # noqa: F401
    DATA_QUALITY, DIM_PROGRAM, DIM_REGION, DIM_UMKM, FCT_ORDERS, IMPACT, MART_TARGETS, PROGRAM_SUMMARY,
    TURNOVER_MONTHLY,
)
from quality.raw_suites import ENROLLMENT, GOFOOD, LEDGER, RAW_TARGETS, SHOPEE, SURVEY, UVO  # noqa: F401
from quality.rules import (  # noqa: F401
    BY_FILE_VERSION, BY_LANDING_PATH, BY_UMKM, DATE_MIN, ERROR, SCOPE, TODAY, WARN, Expect, Suite, Target,
)

ALL_TARGETS = RAW_TARGETS + MART_TARGETS


def expectation_counts() -> dict[str, dict[str, int]]:
    """How many expectations per layer and severity (for the README and the issue note)."""
    counts: dict[str, dict[str, int]] = {}
    for target in ALL_TARGETS:
        layer = counts.setdefault(target.layer, {ERROR: 0, WARN: 0, "suites": 0})
        layer["suites"] += len(target.suites)
        for expectation in target.expectations():
            layer[expectation.severity] += 1
    return counts
