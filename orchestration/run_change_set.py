"""The change set a Dagster run works on, fixed by its load step (`landing_reconciliation`).

The load records, as a run tag, the newest ledger entry the change set then covers. The raw
checks, dbt, the mart checks and the publication of the same run read the change set up to that
entry, so a file another run loads meanwhile is not published by this one unchecked and
unbuilt: it stays in the change set for its own run.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import dagster as dg
import duckdb

from ingest.change_set import ChangeSet, read_change_set

LEDGER_UNTIL_TAG = "umkm/ledger_until"
FULL_BUILD_TAG = "umkm/full_build"      # set by the dbt step when it rebuilt the marts in full
NOTHING_NEW = "nothing new"


def record_run_change_set(context: dg.OpExecutionContext, change_set: ChangeSet) -> None:
    until = change_set.until.isoformat() if change_set.until else NOTHING_NEW
    context.instance.add_run_tags(context.run.run_id, {LEDGER_UNTIL_TAG: until})


def record_full_build(context: dg.OpExecutionContext) -> None:
    context.instance.add_run_tags(context.run.run_id, {FULL_BUILD_TAG: "true"})


def run_change_set(context: dg.OpExecutionContext, con: duckdb.DuckDBPyConnection) -> ChangeSet:
    """This run's change set; a run without a load step takes every unpublished version."""
    run = context.instance.get_run_by_id(context.run.run_id)
    tags = run.tags if run is not None else {}
    until = tags.get(LEDGER_UNTIL_TAG)
    change_set = ChangeSet((), None) if until == NOTHING_NEW else \
        read_change_set(con, datetime.fromisoformat(until) if until else None)
    return replace(change_set, rebuilt=tags.get(FULL_BUILD_TAG) == "true")
