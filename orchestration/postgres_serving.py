"""Publish the serving copy to PostgreSQL (marts-contract section 4), for the BI tools that speak it.

Source: the DuckDB serving copy (`marts.duckdb`, one whole publication), never the warehouse.
Target: schema `marts` (UMKM_POSTGRES_SCHEMA), the same tables, columns and types
(decimal(18,2) -> numeric(18,2), DATE -> date, TIMESTAMP -> timestamp, ...).

One transaction does it all, so a failure anywhere leaves PostgreSQL as it was:
1. `pg_advisory_xact_lock`: one publication at a time per schema;
2. a new schema `<schema>__new` is filled by `COPY ... FROM STDIN` (CSV made from Arrow batches
   of DuckDB query results), read-only grants given, invisible to readers until the commit;
3. the swap: every old table locked at once (waiting less than `deadlock_timeout`, tried again
   while a BI query holds one), the old schema renamed away, the new one renamed in, the old one
   dropped. Readers see the whole previous publication or the whole new one: never a mix, never
   an empty table (a statement that waited on the swap's locks reads the new tables).

fct_orders is the one mart that grows with the orders; in PostgreSQL it is partitioned by month of
order_date (orders without a date in the DEFAULT partition), its partitions kept in schema
`<schema>_partitions`, where readers have no access: they query `marts.fct_orders` only. Each
partition's comment names the Parquet month file(s) of the serving copy it was loaded from (same
inode, size and mtime: the DuckDB publication hard-links the months it did not rewrite) and its row
count. A month that the DuckDB publication did not rewrite, and that PostgreSQL already holds, is
detached from the old table and attached to the new one at the swap (catalog changes: CHECK
constraints spare the scans); only the other months are copied. The other tables are copied
whole, unless their rows did not change (a fingerprint of their rows, kept in the table's
comment): then the table itself moves to the new schema at the swap. So a new day of orders
copies one month and the marts it changed, whatever the history. PostgreSQL does not depend on the last
publication having reached it: a publication that failed (PostgreSQL down) is caught up by the
next one, which compares what PostgreSQL holds with the serving copy.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import psycopg
from psycopg import sql

from orchestration.postgres_source import (PARTITION_COLUMN, UNDATED, Source, csv_batches, fingerprint, month_range,
                                           pg_type, read_source)
from orchestration.serving_files import FCT, SERVING_DB

MARK = "UMKM marts"                 # the schema comment that says the schema is ours
LOCK_WAIT_MS = 200                  # each try of the swap waits this long for readers' locks at most ...
SWAP_PATIENCE_SECONDS = 300         # ... and tries again until this has passed
CONNECT_TIMEOUT_SECONDS = 10
KEPT = ("The DuckDB serving copy is published; PostgreSQL keeps its previous publication until a run "
        "reaches it again.")


class PostgresUnavailable(RuntimeError):
    """PostgreSQL cannot be reached (down, wrong host or port, wrong password)."""


class PostgresPublishError(RuntimeError):
    """PostgreSQL was reached but the publication could not be made."""


@dataclass
class PgPublication:
    version: str | None                          # the serving version published
    target: str                                  # the URL without its password, and the schema
    counts: dict[str, int]                       # rows per table
    months_copied: list[str] = field(default_factory=list)
    months_kept: int = 0                         # fct_orders months taken over from the previous publication
    tables_kept: list[str] = field(default_factory=list)   # other tables taken over (the same rows)
    rows_copied: int = 0
    seconds: float = 0.0
    swap_retries: int = 0
    notes: list[str] = field(default_factory=list)


def describe(url: str) -> str:
    """The URL without its password (for messages and metadata)."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "an invalid UMKM_POSTGRES_URL"
    return (f"postgresql://{info.get('user', '')}@{info.get('host', 'localhost')}:{info.get('port', 5432)}"
            f"/{info.get('dbname', '')}")


def connect(url: str) -> psycopg.Connection:
    try:
        return psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_SECONDS, client_encoding="utf8",
                               application_name="umkm-publish")
    except psycopg.Error as error:
        reason = " ".join(str(error).split()) or type(error).__name__
        raise PostgresUnavailable(f"PostgreSQL publication failed: cannot connect to {describe(url)} ({reason}). "
                                  f"{KEPT}") from None


def published_version(url: str, schema: str = "marts") -> str | None:
    """The serving version PostgreSQL holds (from the schema's comment), None when it holds none."""
    with connect(url) as conn:
        row = conn.execute("select obj_description(oid, 'pg_namespace') from pg_namespace where nspname = %s",
                           [schema]).fetchone()
    return version_in((row or [None])[0] or "")


# ---------------------------------------------------------------- the publication

def publish_to_postgres(serving_dir: Path, url: str, schema: str = "marts", reader: str | None = None,
                        reader_password: str | None = None) -> PgPublication:
    """Publish every table of the serving copy in `serving_dir` to `schema` (see the module docstring).
    `reader`: a role given read-only access to the marts (created when missing, with `reader_password`)."""
    started = time.perf_counter()
    try:
        source = read_source(serving_dir)
    except FileNotFoundError as error:
        raise PostgresPublishError(f"PostgreSQL publication failed: {error}") from None
    try:
        if not source.tables:
            raise PostgresPublishError(f"the serving copy {serving_dir / SERVING_DB} holds no table")
        with connect(url) as conn:
            publication = _publish(conn, source, schema, reader, reader_password)
            publication.target = f"{describe(url)} schema {schema}"
    except psycopg.OperationalError as error:   # e.g. the server went away mid-way
        raise PostgresUnavailable(f"PostgreSQL publication failed at {describe(url)} "
                                  f"({' '.join(str(error).split())}). {KEPT}") from None
    except psycopg.Error as error:
        raise PostgresPublishError(f"PostgreSQL publication failed at {describe(url)} "
                                   f"({' '.join(str(error).split())}). {KEPT}") from None
    finally:
        source.duck.close()
    publication.seconds = time.perf_counter() - started
    return publication


def _publish(conn: psycopg.Connection, source: Source, schema: str, reader: str | None,
             reader_password: str | None) -> PgPublication:
    new, old, parts = f"{schema}__new", f"{schema}__old", f"{schema}_partitions"
    publication = PgPublication(source.version, "", {})
    conn.execute("select pg_advisory_xact_lock(hashtext(%s))", [f"umkm-publish:{schema}"])
    held = _held_version(conn, schema)
    if held and source.version and held > source.version:   # versions start with their UTC time
        publication.notes.append(f"PostgreSQL already holds a newer publication ({held}) than this run's "
                                 f"({source.version}): left as it is")
        return publication
    conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(new)))
    conn.execute(sql.SQL("create schema {}").format(sql.Identifier(new)))
    conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(parts)))
    kept = _kept_months(conn, source, schema, parts)
    prints = {t: fingerprint(source, t) for t in source.tables if t != FCT or not source.partitioned}
    kept_tables = _kept_tables(conn, source, schema, prints)
    token = uuid.uuid4().hex[:8]
    moves = []
    for table, columns in source.tables.items():
        columns_sql = sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(pg_type(k)))
                                         for c, k in columns)
        target = sql.Identifier(new, table)
        if table == FCT and source.partitioned:
            conn.execute(sql.SQL("create table {} ({}) partition by range ({})").format(
                target, columns_sql, sql.Identifier(PARTITION_COLUMN)))
            for month, rows in sorted(source.months.items()):
                if month in kept:
                    moves.append((kept[month], month))
                    publication.months_kept += 1
                    continue
                _copy_month(conn, source, new, parts, month, rows, token)
                publication.months_copied.append(month)
                publication.rows_copied += rows
            publication.counts[table] = sum(source.months.values())
        elif table in kept_tables:   # the same rows: the table moves to the new schema at the swap
            publication.counts[table] = prints[table][0]
            publication.tables_kept.append(table)
        else:
            conn.execute(sql.SQL("create table {} ({})").format(target, columns_sql))
            count = _copy(conn, source, target, table)
            if count != prints[table][0]:
                raise PostgresPublishError(f"{table}: copied {count} rows, the serving copy counts {prints[table][0]}")
            conn.execute(sql.SQL("analyze {}").format(target))
            conn.execute(sql.SQL("comment on table {} is {}").format(target, sql.Literal(json.dumps(
                {"fingerprint": prints[table][1], "columns": _columns(source, table), "version": source.version}))))
            publication.counts[table] = count
            publication.rows_copied += count
    if reader:
        _grant_reader(conn, new, reader, reader_password, publication)
    stamp = f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S} UTC"
    conn.execute(sql.SQL("comment on schema {} is {}").format(
        sql.Identifier(new), sql.Literal(f"{MARK}: serving version {source.version or 'unknown'}, "
                                         f"published {stamp}")))
    publication.swap_retries = _swap(conn, schema, new, old, parts, moves, publication.tables_kept, reader)
    conn.commit()
    return publication


def _held_version(conn: psycopg.Connection, schema: str) -> str | None:
    """The serving version the schema holds. A schema of that name that this publication did not
    make, and that holds something, is left alone."""
    row = conn.execute("select obj_description(n.oid, 'pg_namespace'), "
                       "(select count(*) from pg_class c where c.relnamespace = n.oid) "
                       "from pg_namespace n where n.nspname = %s", [schema]).fetchone()
    comment = (row[0] or "") if row else ""
    if row and not comment.startswith(MARK) and row[1]:
        raise PostgresPublishError(f"schema {schema} exists with objects this publication did not make: set "
                                   f"UMKM_POSTGRES_SCHEMA to another schema, or drop it")
    return version_in(comment)


def version_in(comment: str) -> str | None:
    version = comment.partition("serving version ")[2].split(",")[0]
    return None if version in ("", "unknown") else version


def _kept_months(conn: psycopg.Connection, source: Source, schema: str, parts: str) -> dict[str, str]:
    """{month: partition} of the published fct_orders that hold what the serving copy holds now."""
    if not source.partitioned or not source.files:
        return {}
    parent = f'"{schema}"."{FCT}"'
    old_columns = conn.execute("select a.attname, format_type(a.atttypid, a.atttypmod) from pg_attribute a "
                               "join pg_class c on c.oid = a.attrelid where a.attrelid = to_regclass(%s) "
                               "and c.relkind = 'p' and a.attnum > 0 and not a.attisdropped order by a.attnum",
                               [parent]).fetchall()
    if [tuple(c) for c in old_columns] != [(c, pg_type(k)) for c, k in source.tables[FCT]]:
        return {}   # no partitioned fct_orders yet, or other columns: every month is copied
    kept = {}
    for name, comment in conn.execute(
            "select c.relname, obj_description(c.oid, 'pg_class') from pg_inherits i "
            "join pg_class c on c.oid = i.inhrelid join pg_namespace n on n.oid = c.relnamespace "
            "where i.inhparent = to_regclass(%s) and n.nspname = %s", [parent, parts]).fetchall():
        try:
            held = json.loads(comment or "")
        except ValueError:
            continue
        month = held.get("month")
        if (month in source.months and source.files.get(month) and held.get("files") == source.files[month]
                and held.get("rows") == source.months[month]):
            kept[month] = name
    return kept


def _columns(source: Source, table: str) -> list[list[str]]:
    return [[column, pg_type(kind)] for column, kind in source.tables[table]]


def _kept_tables(conn: psycopg.Connection, source: Source, schema: str,
                 prints: dict[str, tuple[int, str]]) -> set[str]:
    """The published tables (but a partitioned fct_orders) whose rows and columns are the serving copy's."""
    kept = set()
    for name, comment in conn.execute(
            "select c.relname, obj_description(c.oid, 'pg_class') from pg_class c "
            "join pg_namespace n on n.oid = c.relnamespace where n.nspname = %s and c.relkind = 'r'", [schema]):
        try:
            held = json.loads(comment or "")
        except ValueError:
            continue
        if (name in prints and held.get("fingerprint") == prints[name][1]
                and held.get("columns") == _columns(source, name)):
            kept.add(name)
    return kept


def _copy_month(conn: psycopg.Connection, source: Source, new: str, parts: str, month: str, rows: int,
                token: str) -> None:
    """A new partition of fct_orders for `month`, with the CHECK constraint that spares the scan at
    a later ATTACH, filled by COPY, its comment saying where its rows came from."""
    name = f"{FCT}_{month.replace('-', '_')}_{token}"
    partition = sql.Identifier(parts, name)
    column = sql.Identifier(PARTITION_COLUMN)
    if month == UNDATED:
        bound, check = sql.SQL("default"), sql.SQL("{} is null").format(column)
        where = f"{PARTITION_COLUMN} is null"
    else:
        start, end = month_range(month)
        bound = sql.SQL("for values from ({}) to ({})").format(sql.Literal(start), sql.Literal(end))
        check = sql.SQL("{} is not null and {} >= {} and {} < {}").format(
            column, column, sql.Literal(start), column, sql.Literal(end))
        where = f"{PARTITION_COLUMN} >= date '{start}' and {PARTITION_COLUMN} < date '{end}'"
    conn.execute(sql.SQL("create table {} partition of {} {}").format(partition, sql.Identifier(new, FCT), bound))
    conn.execute(sql.SQL("alter table {} add constraint month_bound check ({})").format(partition, check))
    copied = _copy(conn, source, partition, FCT, where)
    if copied != rows:
        raise PostgresPublishError(f"fct_orders {month}: copied {copied} rows, the serving copy counts {rows}")
    conn.execute(sql.SQL("analyze {}").format(partition))
    conn.execute(sql.SQL("comment on table {} is {}").format(partition, sql.Literal(json.dumps(
        {"month": month, "rows": rows, "files": source.files.get(month), "version": source.version}))))


def _copy(conn: psycopg.Connection, source: Source, target: sql.Composable, table: str, where: str = "true") -> int:
    """COPY the rows of a serving table (those `where` selects) into `target`, a table this
    transaction created: FREEZE writes its rows as already visible to all (no rewrite of every page
    at the first reads or the next vacuum)."""
    count = 0
    with conn.cursor() as cur, cur.copy(sql.SQL("copy {} from stdin (format csv, freeze true)").format(target)) as copy:
        for data, rows in csv_batches(source, table, where):
            copy.write(data)
            count += rows
    return count


def _grant_reader(conn: psycopg.Connection, new: str, reader: str, password: str | None,
                  publication: PgPublication) -> None:
    """The read-only role: created when missing; USAGE on the new schema and SELECT on its tables,
    given before the swap, so they hold from the moment readers can see it."""
    role = sql.Identifier(reader)
    exists = conn.execute("select 1 from pg_roles where rolname = %s", [reader]).fetchone()
    try:
        with conn.transaction():
            if not exists:
                conn.execute(sql.SQL("create role {} login nosuperuser nocreatedb nocreaterole noinherit").format(role))
            if password:
                conn.execute(sql.SQL("alter role {} password {}").format(role, sql.Literal(password)))
            if not exists:
                conn.execute(sql.SQL("alter role {} set default_transaction_read_only = on").format(role))
    except psycopg.errors.InsufficientPrivilege:
        if not exists:
            raise PostgresPublishError(f"the publishing user may not create role {reader}: give it CREATEROLE, "
                                       f"or create the role yourself") from None
        publication.notes.append(f"role {reader}: its password was left as it is (no CREATEROLE)")
    conn.execute(sql.SQL("grant connect on database {} to {}").format(
        sql.Identifier(conn.info.dbname), role))
    conn.execute(sql.SQL("grant usage on schema {} to {}").format(sql.Identifier(new), role))
    conn.execute(sql.SQL("grant select on all tables in schema {} to {}").format(sql.Identifier(new), role))


def _swap(conn: psycopg.Connection, schema: str, new: str, old: str, parts: str, moves: list[tuple[str, str]],
          kept_tables: list[str], reader: str | None) -> int:
    """Kept partitions move to the new fct_orders and kept tables to the new schema (granted to the
    reader again), the new schema takes the old one's name, the old one goes.

    First every old table is locked in one statement, waiting less than `deadlock_timeout`: a BI
    query that holds one old table and waits for another would otherwise meet the swap in a
    deadlock (and might be the one PostgreSQL cancels). Holding them all, the swap waits for
    nobody; queries arriving meanwhile wait for its commit, then read the new tables. When a
    query holds an old table longer than that, the swap lets go and tries again."""
    exists = conn.execute("select 1 from pg_namespace where nspname = %s", [schema]).fetchone()
    tables = [name for (name,) in conn.execute(
        "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = %s and c.relkind in ('r', 'p') and not c.relispartition", [schema]).fetchall()]
    statements = []
    if tables:
        statements.append(sql.SQL("lock table {} in access exclusive mode").format(
            sql.SQL(", ").join(sql.Identifier(schema, t) for t in tables)))
    for name, month in moves:
        partition = sql.Identifier(parts, name)
        if month == UNDATED:
            bound = sql.SQL("default")
        else:
            start, end = month_range(month)
            bound = sql.SQL("for values from ({}) to ({})").format(sql.Literal(start), sql.Literal(end))
        statements += [sql.SQL("alter table {} detach partition {}").format(sql.Identifier(schema, FCT), partition),
                       sql.SQL("alter table {} attach partition {} {}").format(sql.Identifier(new, FCT),
                                                                               partition, bound)]
    statements += [sql.SQL("alter table {} set schema {}").format(sql.Identifier(schema, t), sql.Identifier(new))
                   for t in kept_tables]
    if reader and kept_tables:
        statements.append(sql.SQL("grant select on all tables in schema {} to {}").format(
            sql.Identifier(new), sql.Identifier(reader)))
    if exists:
        statements.append(sql.SQL("alter schema {} rename to {}").format(sql.Identifier(schema), sql.Identifier(old)))
    statements.append(sql.SQL("alter schema {} rename to {}").format(sql.Identifier(new), sql.Identifier(schema)))
    dropped = [t for t in tables if t not in kept_tables]
    if dropped:   # no CASCADE: a view someone made on the marts stops the publication, it is not dropped
        statements.append(sql.SQL("drop table {}").format(sql.SQL(", ").join(sql.Identifier(old, t) for t in dropped)))
    if exists:
        statements.append(sql.SQL("drop schema {}").format(sql.Identifier(old)))
    [(deadlock_ms,)] = conn.execute("select setting::int from pg_settings where name = 'deadlock_timeout'")
    wait_ms = max(10, min(LOCK_WAIT_MS, deadlock_ms // 2))
    deadline, retries = time.monotonic() + SWAP_PATIENCE_SECONDS, 0
    while True:
        conn.execute("savepoint swap")
        try:
            conn.execute(f"set local lock_timeout = {wait_ms}")
            for statement in statements:
                conn.execute(statement)
            conn.execute("release savepoint swap")
            return retries
        except (psycopg.errors.LockNotAvailable, psycopg.errors.DeadlockDetected):
            conn.execute("rollback to savepoint swap")
            retries += 1
            if time.monotonic() > deadline:
                raise PostgresPublishError(f"BI queries held the tables of schema {schema} for more than "
                                           f"{SWAP_PATIENCE_SECONDS} s: the new publication could not be swapped in"
                                           ) from None
            time.sleep(random.uniform(0.05, 0.5))
        except psycopg.errors.DependentObjectsStillExist as error:
            raise PostgresPublishError(f"objects depend on the published marts ({error.diag.message_detail}): "
                                       f"each publication replaces the tables; define such views in the BI tool, "
                                       f"or in SQL there, instead") from None
