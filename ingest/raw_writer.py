"""Writing planned file versions into the raw layer, on a thread of its own.

DuckDB releases the GIL while it writes, so the loader (`ingest.raw_load`) reads, hashes and
plans the next batch meanwhile, with the workers parsing it.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from ingest.sources import SOURCES

if TYPE_CHECKING:
    from ingest.raw_load import LoadOutcome, Plan

# Small batches in a long transaction: DuckDB writes each table's full row groups to the file as
# they fill, and only the last partial one at the commit. A commit per batch of 64 MB had logged
# every batch's rows to the WAL and compressed them again at the checkpoint (a quarter of the writes).
COMMIT_BYTES = 256 << 20


class Writer:
    """Writes batches of plans on its own thread, one at a time, into transactions that commit once
    they hold COMMIT_BYTES of files (or at `finish`): a transaction is whole or absent after a crash.

    `write` waits for the batch before to be written, so at most two batches of parsed rows are
    held; it and `finish` return the outcomes whose transaction has committed since."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        self.thread = ThreadPoolExecutor(1, thread_name_prefix="raw-writer")
        self.pending: Future | None = None
        self.open: list[LoadOutcome] = []   # in the open transaction
        self.open_bytes = 0
        self.in_transaction = False

    def write(self, plans: list[Plan], size: int) -> list[LoadOutcome]:
        committed = self._wait()
        self.pending = self.thread.submit(self._write, plans, size)
        return committed

    def finish(self) -> list[LoadOutcome]:
        committed = self._wait()
        self.thread.shutdown()
        return committed + self._commit()

    def abort(self) -> None:
        """After an error: let the write in flight end, take back the open transaction."""
        try:
            self._wait()
        except BaseException:   # the error being handled, or one of the writer's: the rollback follows
            pass
        self.thread.shutdown()
        if self.in_transaction:
            self.con.execute("rollback")
            self.in_transaction = False

    def _wait(self) -> list[LoadOutcome]:
        pending, self.pending = self.pending, None
        return pending.result() if pending is not None else []

    def _write(self, plans: list[Plan], size: int) -> list[LoadOutcome]:
        if plans and not self.in_transaction:
            self.con.execute("begin transaction")
            self.in_transaction = True
        write_plans(self.con, plans)
        self.open.extend(plan.outcome for plan in plans)
        self.open_bytes += size
        return self._commit() if self.open_bytes >= COMMIT_BYTES else []

    def _commit(self) -> list[LoadOutcome]:
        if self.in_transaction:
            self.con.execute("commit")
            self.in_transaction = False
        committed, self.open, self.open_bytes = self.open, [], 0
        return committed


def write_plans(con: duckdb.DuckDBPyConnection, plans: list[Plan]) -> None:
    """Write a batch of plans into the open transaction (`Writer` commits).

    Rows go in one insert per raw table, so the cost of a small file is not a DuckDB statement of its own.
    """
    plans = [plan for plan in plans if plan.outcome.status != "unchanged"]
    if not plans:
        return
    incoming: dict[str, list[pa.Table]] = {}
    for plan in plans:
        if plan.rows is not None:
            incoming.setdefault(SOURCES[plan.outcome.source].table, []).append(plan.rows)
        if plan.rejects is not None:
            incoming.setdefault("rejected_rows", []).append(plan.rejects)
    for plan in plans:
        outcome = plan.outcome
        if outcome.replaced:
            _retire_version(con, outcome.path, outcome.replaced, outcome.source)
        if plan.rewrites_record:   # replace that record
            con.execute("delete from raw.landing_files where landing_path = ? and sha256 = ?",
                        [outcome.path, outcome.sha256])
            con.execute("delete from raw.rejected_rows where landing_path = ? and sha256 = ?",
                        [outcome.path, outcome.sha256])
    for table, tables in incoming.items():
        _insert_rows(con, table, pa.concat_tables(tables))
    _insert_rows(con, "landing_files", _ledger_rows(con, [plan.ledger_row for plan in plans]))


def _ledger_rows(con: duckdb.DuckDBPyConnection, rows: list[tuple]) -> pa.Table:
    """`Plan.ledger_row`s (in the column order of raw.landing_files) as one Arrow table: one
    insert instead of one per file (1,4 ms each). The insert casts each column to the table's type."""
    names = [column[0] for column in con.execute("select * from raw.landing_files limit 0").description]
    return pa.table({name: pa.array(values) for name, values in zip(names, zip(*rows))})


def _retire_version(con, path: str, old_sha: str, source: str | None) -> None:
    """A corrected version arrived: the old one's rows go, its ledger row says superseded."""
    con.execute("update raw.landing_files set status = 'superseded' where landing_path = ? and sha256 = ?",
                [path, old_sha])
    if source is not None:
        con.execute(f"delete from raw.{SOURCES[source].table} where landing_path = ?", [path])


def _insert_rows(con, table: str, incoming: pa.Table) -> None:
    con.register("incoming_rows", incoming)
    try:
        con.execute(f"insert into raw.{table} by name select * from incoming_rows")
    finally:
        con.unregister("incoming_rows")
