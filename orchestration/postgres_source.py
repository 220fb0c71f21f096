"""The serving copy as PostgreSQL serving reads it: tables, types, fct_orders by month, CSV batches.

Pure DuckDB and Arrow (no PostgreSQL here): `orchestration.postgres_serving` copies what this
module reads. Types map to PostgreSQL's own, named as its format_type() names them, so a
published table can be compared with the serving copy column by column.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pyarrow.csv as pacsv

from orchestration.serving_files import FCT, SERVING_DB, VERSIONS_DIR

PARTITION_COLUMN = "order_date"     # fct_orders is partitioned by month of this column
UNDATED = "undated"                 # the month of orders without a date (the DEFAULT partition)
BATCH_ROWS = 200_000

# DuckDB type -> PostgreSQL type, as PostgreSQL's format_type() names it; and, where Arrow's CSV
# writer cannot render the DuckDB value, the cast DuckDB makes first.
PG_TYPES = {
    "VARCHAR": "text", "BOOLEAN": "boolean", "TINYINT": "smallint", "SMALLINT": "smallint",
    "INTEGER": "integer", "BIGINT": "bigint", "UTINYINT": "smallint", "USMALLINT": "integer",
    "UINTEGER": "bigint", "UBIGINT": "numeric(20,0)", "HUGEINT": "numeric(39,0)", "UHUGEINT": "numeric(39,0)",
    "FLOAT": "real", "DOUBLE": "double precision", "DATE": "date", "TIME": "time without time zone",
    "TIMESTAMP": "timestamp without time zone", "TIMESTAMP_S": "timestamp(0) without time zone",
    "TIMESTAMP_MS": "timestamp(3) without time zone", "TIMESTAMP_NS": "timestamp without time zone",
    "TIMESTAMP WITH TIME ZONE": "timestamp with time zone", "INTERVAL": "interval", "UUID": "uuid",
    "BLOB": "bytea", "JSON": "json",
}
CASTS = {"HUGEINT": "{}::varchar", "UHUGEINT": "{}::varchar", "UBIGINT": "{}::varchar", "INTERVAL": "{}::varchar",
         "UUID": "{}::varchar", "JSON": "{}::varchar", "TIMESTAMP_NS": "{}::timestamp",
         "BLOB": "'\\x' || hex({})"}


def pg_type(duckdb_type: str) -> str:
    """PostgreSQL's type for a DuckDB column type; other types (lists, structs, enums) become text."""
    kind = duckdb_type.upper()
    if kind.startswith("DECIMAL"):
        return "numeric" + kind.removeprefix("DECIMAL").replace(" ", "")
    return PG_TYPES.get(kind, "text")


def select_expr(column: str, duckdb_type: str) -> str:
    quoted = '"' + column.replace('"', '""') + '"'
    kind = duckdb_type.upper()
    cast = CASTS.get(kind) or ("{}::varchar" if kind not in PG_TYPES and not kind.startswith("DECIMAL") else "{}")
    return f"{cast.format(quoted)} as {quoted}"


@dataclass
class Source:
    duck: duckdb.DuckDBPyConnection
    tables: dict[str, list[tuple[str, str]]]    # table -> [(column, DuckDB type)]
    version: str | None
    months: dict[str, int]                       # fct_orders: rows per month ({} when not partitioned)
    files: dict[str, str]                        # fct_orders: the identity of each month's Parquet file(s)

    @property
    def partitioned(self) -> bool:
        return (PARTITION_COLUMN, "DATE") in self.tables.get(FCT, [])


def read_source(serving_dir: Path) -> Source:
    """The serving copy's tables and, for fct_orders, its rows and Parquet files per month (opened
    read-only: the connection holds one whole version, whatever is published meanwhile)."""
    path = serving_dir / SERVING_DB
    if not path.exists():
        raise FileNotFoundError(f"no serving copy at {path}: the DuckDB publication must run first")
    duck = duckdb.connect(str(path), read_only=True, config={"memory_limit": "1GB"})
    duck.execute("set enable_progress_bar = false")
    tables: dict[str, list[tuple[str, str]]] = {}
    columns = duck.execute("select table_name, column_name, data_type from information_schema.columns "
                           "where table_schema = 'main' order by table_name, ordinal_position").fetchall()
    for table, column, kind in columns:
        tables.setdefault(table, []).append((column, kind))
    source = Source(duck, tables, None, {}, {})
    if FCT in tables:
        [(comment,)] = duck.execute("select comment from duckdb_tables() where schema_name = 'main' "
                                    "and table_name = ?", [FCT]).fetchall()
        source.version = (comment or "").rpartition("serving version ")[2].rstrip(")") or None
    if source.partitioned:
        source.months = dict(duck.execute(
            f"select coalesce(strftime({PARTITION_COLUMN}, '%Y-%m'), '{UNDATED}'), count(*) from {FCT} group by 1"
        ).fetchall())
        source.files = month_files(serving_dir, source.version)
    return source


def month_files(serving_dir: Path, version: str | None) -> dict[str, str]:
    """{month: identity of its Parquet file(s)} of a serving version; {} when that version is gone."""
    folder = serving_dir / VERSIONS_DIR / (version or "-") / FCT
    files: dict[str, list[str]] = {}
    for path in sorted(folder.glob("*.parquet")) if version else []:
        stat = path.stat()
        files.setdefault(path.name.split(".")[0], []).append(
            f"{path.name}:{stat.st_ino}:{stat.st_size}:{stat.st_mtime_ns}")
    return {month: ";".join(parts) for month, parts in files.items()}


def month_range(month: str) -> tuple[date, date]:
    year, number = map(int, month.split("-"))
    return date(year, number, 1), date(year + number // 12, number % 12 + 1, 1)



def fingerprint(source: Source, table: str) -> tuple[int, str]:
    """Rows, and a fingerprint of a table's rows whatever their order (~0,4 s a million rows)."""
    [(rows, total)] = source.duck.execute(f'select count(*), coalesce(sum(hash(t)), 0) from "{table}" t').fetchall()
    return rows, f"{rows}:{total}"


def csv_batches(source: Source, table: str, where: str = "true") -> Iterator[tuple[memoryview, int]]:
    """The rows of a serving table (those `where` selects) as CSV for `COPY ... (format csv)`, one
    Arrow batch at a time: (bytes, rows). Nulls are empty fields, strings are quoted ("" is '')."""
    select = ", ".join(select_expr(c, k) for c, k in source.tables[table])
    batches = source.duck.sql(f'select {select} from "{table}" where {where}').to_arrow_reader(BATCH_ROWS)
    options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
    for batch in batches:
        buffer = io.BytesIO()
        pacsv.write_csv(batch, buffer, write_options=options)
        yield buffer.getbuffer(), batch.num_rows
