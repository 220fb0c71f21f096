"""What a check run validates: the rows that changed since the last check that passed.

Raw tables (`BY_FILE_VERSION`): every raw row carries its file version (landing_path, sha256).
A version counts as checked once the ERROR rules of its table passed on it; the warehouse table
`quality.checked_versions` records that (the watermark), with the version's load time. A run
validates the current versions of the file ledger that are not recorded there: new files,
corrected re-exports, versions that failed before, and versions loaded again (a forced reload,
perhaps by a newer parser). So a bad file keeps blocking until a corrected version replaces it,
and a run that was blocked or killed never leaves rows unchecked.

`fct_orders` (`BY_ORDER_DATE`): its rows change for reasons no file version names (a new
enrollment gives old orders a umkm_key, an FX rate or a model changes amount_idr, a superseded
file takes rows away). Each order date gets a fingerprint, the row count and the sum of the
row hashes (`day_fingerprints`, one scan that only hashes); the rows of the dates whose
fingerprint differs from the one recorded at the last check that passed
(`quality.checked_days`) are validated. The serving copy uses the same fingerprints to find
what to republish.

The other targets (the file ledger, the small marts and their reconciliations) are validated
whole, but only when something they read changed since they last passed: every relation named
in their SQL is fingerprinted (row count and sum of row hashes; fct_orders' from its per-date
fingerprints) and compared with `quality.checked_relations`.

Each record carries the hash of the target's suites: a changed rule checks everything again.
The state lives in the warehouse, so it travels with the data (a restored backup brings its own).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

import duckdb
import pyarrow as pa

from quality.suites import BY_FILE_VERSION, BY_ORDER_DATE, ERROR, Target

WHOLE = "whole"                      # a target validated whole (its inputs are fingerprinted)
_RELATION = re.compile(r"\b(?:raw|staging|intermediate|marts|reference)\.\w+\b")

STATE_SCHEMA = "quality"
SCOPE_RELATION = "quality_scope"     # the scope's keys, registered on the connection while a suite loads
_STATE_DDL = (
    f"create schema if not exists {STATE_SCHEMA}",
    f"""create table if not exists {STATE_SCHEMA}.checked_versions (
        relation varchar not null,          -- raw.<table>
        suites_hash varchar not null,       -- the suites the version passed
        landing_path varchar not null,
        sha256 varchar not null,
        loaded_at timestamp,                -- of the version, in the file ledger
        checked_at timestamp not null)""",
    f"""create table if not exists {STATE_SCHEMA}.checked_days (
        relation varchar not null,          -- marts.fct_orders
        suites_hash varchar not null,
        day date,                           -- null: the rows without a date
        n_rows bigint not null,
        fingerprint varchar not null,       -- sum of the row hashes (a hugeint, as text)
        checked_at timestamp not null)""",
    f"""create table if not exists {STATE_SCHEMA}.checked_relations (
        relation varchar not null,          -- a target validated whole
        suites_hash varchar not null,
        inputs varchar not null,            -- fingerprint of every relation its suites read
        checked_at timestamp not null)""",
)
ORDER_DATE = "order_date"

Fingerprints = dict  # {date | None: (row count, sum of row hashes)}


@dataclass(frozen=True)
class Scope:
    """The rows of one target that a check run validates."""

    kind: str                                   # BY_FILE_VERSION | BY_ORDER_DATE | WHOLE
    keys: tuple = ()                            # (landing_path, sha256, loaded_at), or dates (None: no date)
    fingerprints: Fingerprints = field(default_factory=dict, compare=False)   # BY_ORDER_DATE: all days now
    everything: bool = False                    # every row is in scope (a first check): no filter needed
    inputs: str = ""                            # WHOLE: fingerprint of what the suites read
    unchanged: bool = False                     # WHOLE: nothing it reads changed since it last passed

    def filter(self, alias: str) -> str:
        """The SQL condition on `alias` (rows of the scoped table) that keeps the scope's rows."""
        if self.everything:
            return "true"
        if not self.keys:
            return "false"
        if self.kind == BY_FILE_VERSION:
            return f"({alias}.landing_path, {alias}.sha256) in (select landing_path, sha256 from {SCOPE_RELATION})"
        condition = f"{alias}.{ORDER_DATE} in (select day from {SCOPE_RELATION})"
        return f"({condition} or {alias}.{ORDER_DATE} is null)" if None in self.keys else condition

    def relation(self) -> pa.Table:
        if self.kind == BY_FILE_VERSION:
            return pa.table({"landing_path": pa.array([k[0] for k in self.keys], pa.string()),
                             "sha256": pa.array([k[1] for k in self.keys], pa.string()),
                             "loaded_at": pa.array([k[2] for k in self.keys], pa.timestamp("us"))})
        return pa.table({"day": pa.array([k for k in self.keys if k is not None], pa.date32())})

    def describe(self) -> str:
        if self.kind == WHOLE:
            return "nothing it reads changed since it last passed" if self.unchanged else "whole relation"
        if self.everything:
            return f"every row (none checked yet by these rules: {len(self.keys)} {self.kind.replace('_', ' ')}s)"
        if self.kind == BY_FILE_VERSION:
            return f"rows of {len(self.keys)} file version(s) not yet checked"
        return f"rows of {len(self.keys)} order date(s) changed since the last check (of {len(self.fingerprints)})"


def suites_hash(target: Target) -> str:
    """Changes when a suite's SQL or expectations change."""
    text = repr([(s.name, s.sql, s.expectations) for s in target.suites])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def ensure_state(con: duckdb.DuckDBPyConnection) -> None:
    for ddl in _STATE_DDL:
        con.execute(ddl)


def day_fingerprints(con: duckdb.DuckDBPyConnection, relation: str, column: str = ORDER_DATE) -> Fingerprints:
    """Per date of `column`: (rows, sum of the hashes of whole rows). Order-independent."""
    return {day: (n, int(total)) for day, n, total in con.execute(
        f"select {column}, count(*), sum(hash(t)) from {relation} t group by 1").fetchall()}


def changed_days(current: Fingerprints, previous: Fingerprints) -> list:
    """The dates whose rows differ between two fingerprintings (dates gone included)."""
    return sorted((d for d in current.keys() | previous.keys() if current.get(d) != previous.get(d)),
                  key=lambda d: (d is None, d or date.min))


def plan_scopes(con: duckdb.DuckDBPyConnection, targets) -> dict[str, Scope]:
    """The scope of every target: what changed since its last passing check."""
    ensure_state(con)
    scopes, relations = {}, {}   # relations: whole-table fingerprints, computed once per run
    for target in sorted(targets, key=lambda t: t.scope != BY_ORDER_DATE):   # their days give fct_orders' own
        try:
            scopes[target.relation] = _plan(con, target, relations)
        except duckdb.CatalogException:   # a relation is missing: validated whole, its suite says so
            continue
    return scopes


def _plan(con, target: Target, relations: dict) -> Scope:
    digest = suites_hash(target)
    if target.scope == BY_FILE_VERSION:
        unchecked, current = _unchecked_versions(con, target)
        return Scope(BY_FILE_VERSION, unchecked, everything=len(unchecked) == current > 0)
    if target.scope == BY_ORDER_DATE:
        current = day_fingerprints(con, target.relation)
        relations[target.relation] = (sum(n for n, _ in current.values()), sum(fp for _, fp in current.values()))
        recorded = {day: (n, int(fp)) for day, n, fp in con.execute(
            f"select day, n_rows, fingerprint from {STATE_SCHEMA}.checked_days "
            f"where relation = ? and suites_hash = ?", [target.relation, digest]).fetchall()}
        changed = [d for d in changed_days(current, recorded) if d in current]   # gone: nothing to check
        return Scope(BY_ORDER_DATE, tuple(changed), current, everything=len(changed) == len(current) > 0)
    read = sorted({name for suite in target.suites for name in _RELATION.findall(suite.sql)})
    for name in read:
        if name not in relations:
            n, total = con.execute(f"select count(*), coalesce(sum(hash(t)), 0) from {name} t").fetchone()
            relations[name] = (n, int(total))
    inputs = hashlib.sha256(repr([(name, relations[name]) for name in read]).encode()).hexdigest()
    recorded = con.execute(f"select inputs from {STATE_SCHEMA}.checked_relations where relation = ? "
                           f"and suites_hash = ?", [target.relation, digest]).fetchall()
    return Scope(WHOLE, inputs=inputs, unchanged=recorded == [(inputs,)])


def _unchecked_versions(con, target: Target) -> tuple[tuple, int]:
    """The versions of the target's source that can have rows (superseded ones' rows are gone)
    and are not checked yet, and how many such versions there are in all."""
    from ingest.sources import SOURCES   # (lazy: the serving copy imports this module for fingerprints)

    sources = [s.name for s in SOURCES.values() if s.table == target.table]
    versions = con.execute(
        f"""select l.landing_path, l.sha256, l.loaded_at, c.landing_path is not null as checked
            from raw.landing_files l
            left join (select distinct landing_path, sha256, loaded_at from {STATE_SCHEMA}.checked_versions
                       where relation = ? and suites_hash = ?) c
                   on c.landing_path = l.landing_path and c.sha256 = l.sha256
                  and c.loaded_at is not distinct from l.loaded_at
            where l.status <> 'superseded' and list_contains(?, l.source)
            order by l.landing_path, l.sha256""",
        [target.relation, suites_hash(target), sources]).fetchall()
    return tuple((path, sha, loaded) for path, sha, loaded, checked in versions if not checked), len(versions)


def record_passed(con: duckdb.DuckDBPyConnection, results, scopes: dict[str, Scope]) -> list[str]:
    """Move the watermark of each scoped target whose ERROR rules all passed; returns their relations.

    A target that failed keeps its scope unchecked: the next run validates those rows again.
    """
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    recorded = []
    for result in results:
        target = result.target
        scope = scopes.get(target.relation)
        if scope is None or not result.passed(ERROR):
            continue
        digest = suites_hash(target)
        con.execute("begin transaction")
        try:
            if scope.kind == BY_FILE_VERSION:
                _record_versions(con, target, digest, scope, now)
            elif scope.kind == BY_ORDER_DATE:
                _record_days(con, target, digest, scope, now)
            else:
                con.execute(f"delete from {STATE_SCHEMA}.checked_relations where relation = ?", [target.relation])
                con.execute(f"insert into {STATE_SCHEMA}.checked_relations values (?, ?, ?, ?)",
                            [target.relation, digest, scope.inputs, now])
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
        recorded.append(target.relation)
    return recorded


def _record_versions(con, target: Target, digest: str, scope: Scope, now: datetime) -> None:
    con.register("checked_now", scope.relation())
    try:
        con.execute(f"insert into {STATE_SCHEMA}.checked_versions "
                    f"select ?, ?, landing_path, sha256, loaded_at, ? from checked_now", [target.relation, digest, now])
    finally:
        con.unregister("checked_now")
    # Forget versions that are gone (superseded, reloaded) and records of older suites.
    con.execute(f"""delete from {STATE_SCHEMA}.checked_versions c where c.relation = ?
                    and (c.suites_hash <> ? or not exists (
                        select 1 from raw.landing_files l where l.landing_path = c.landing_path
                        and l.sha256 = c.sha256 and l.loaded_at is not distinct from c.loaded_at
                        and l.status <> 'superseded'))""", [target.relation, digest])


def _record_days(con, target: Target, digest: str, scope: Scope, now: datetime) -> None:
    con.execute(f"delete from {STATE_SCHEMA}.checked_days where relation = ?", [target.relation])
    days = list(scope.fingerprints.items())
    con.register("checked_now", pa.table({
        "day": pa.array([d for d, _ in days], pa.date32()),
        "n_rows": pa.array([v[0] for _, v in days], pa.int64()),
        "fingerprint": pa.array([str(v[1]) for _, v in days], pa.string())}))
    try:
        con.execute(f"insert into {STATE_SCHEMA}.checked_days "
                    f"select ?, ?, day, n_rows, fingerprint, ? from checked_now", [target.relation, digest, now])
    finally:
        con.unregister("checked_now")
