"""Reference 2 of the benchmark: the marts from one hand-written DuckDB SQL script.

    .venv/bin/python benchmarks/reference_duckdb.py LANDING_DIR SALT OUT_DIR

This runner only does the file plumbing that SQL cannot: it lists the landing zone with mtimes
(the landing order, which DuckDB's glob does not give), decides the file-level rules the
pipeline applies (temporary names, byte-identical duplicate deliveries, quarantined files:
empty, binary, wrong folder, missing required columns), sniffs each CSV's delimiter from its
header line and registers views `src_<source>` that name each file's columns by the data
contract. All row-level work (money, dates, WIB/UTC, identifiers, rejects, dedup, programs,
FX, marts) is `reference_duckdb.sql`, run with all threads.

CSV files are read by DuckDB's `read_csv` (one call per delimiter and header layout, many files
each); JSON by `read_text` + DuckDB's JSON functions (inside the SQL). xlsx cannot be: no DuckDB
extension can be downloaded here, so xlsx sheets are read with python-calamine, and only the
contract columns are turned into Arrow string columns and registered (number cells as their
plain text, date cells as ISO text). This Python part is the lean minimum, and it is timed
separately in the JSON it writes (`xlsx_seconds`).

Malformed CSV lines (a wrong field count) are skipped by `read_csv(ignore_errors, strict_mode)`,
as the pipeline rejects them. Not replicated (none occurs in the demo data; each would cost a
byte-level pass or a rule that only damaged files need): CSV rows with NUL bytes; xlsx cells
holding an Excel error or an uncalculated formula (calamine reads them as empty, the pipeline
rejects the row); an xlsx count cell holding a fraction (3.5 workers reads as 35 here); JSON keys
in another case than the contract's; the `kendala/<choice>` columns when the `kendala` summary
column is missing; values at the very edge of the rules (a fraction beyond 18 digits, an amount
that rounds up to 1e16).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, time as dtime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa

HERE = Path(__file__).resolve().parent
SEEDS = HERE.parent / "dbt_project" / "seeds"
MARTS = ["mart_turnover_monthly", "mart_program_summary", "mart_impact_summary"]

# The data contract, section 2: the columns each source's SQL reads (matched by name,
# case- and space-insensitive), which of them a file must have, and the file types.
COLUMNS = {
    "survey": ["periode_survei", "nama_usaha", "sektor_usaha", "terdampak_covid", "_submission_time",
               "start", "end", "nik_pemilik", "nib", "kode_kabkota", "kabupaten_kota", "skala_usaha",
               "kendala_utama", "kendala", "omzet_sebelum", "omzet_sesudah", "tenaga_kerja_sebelum",
               "tenaga_kerja_sesudah", "_id", "_uuid", "_validation_status"],
    "enrollment": ["program_id", "nama_usaha", "sektor_usaha", "platform_merchant_id", "tanggal_bergabung",
                   "nik_pemilik", "nib", "kode_kabkota", "kabupaten_kota"],
    "gofood": ["Transaction ID", "Transaction time", "Amount", "Transaction Status", "Feature", "Merchant ID",
               "Transaction Date", "Nett Amount", "Gopay promo", "GoFood discount", "Voucher commission", "Tax",
               "Witholding tax", "Currency"],
    "shopee": ["No. Pesanan", "Status Pesanan", "Waktu Pesanan Dibuat", "Jumlah", "Waktu Pesanan Selesai",
               "Nomor Referensi SKU", "Nama Variasi", "Harga Setelah Diskon", "Total Harga Produk",
               "Returned quantity", "Total Pembayaran", "Dibayar Pembeli"],
    "uvo": ["id_transaksi", "id_peserta", "tanggal_transaksi", "negara_pembeli", "mata_uang", "nilai", "status"],
}
REQUIRED = {
    "survey": ["periode_survei", "nama_usaha", "sektor_usaha", "terdampak_covid", "_submission_time"],
    "enrollment": ["program_id", "nama_usaha", "sektor_usaha", "platform_merchant_id", "tanggal_bergabung"],
    "gofood": ["Transaction ID", "Transaction time", "Amount", "Transaction Status", "Feature", "Merchant ID"],
    "shopee": ["No. Pesanan", "Status Pesanan", "Waktu Pesanan Dibuat", "Jumlah"],
    "uvo": ["id_transaksi", "id_peserta", "tanggal_transaksi", "negara_pembeli", "mata_uang", "nilai", "status"],
}
ONE_OF = {"survey": [["nik_pemilik", "nib"], ["kode_kabkota", "kabupaten_kota"]],
          "enrollment": [["nik_pemilik", "nib"], ["kode_kabkota", "kabupaten_kota"]],
          "shopee": [["Harga Setelah Diskon", "Total Harga Produk"]]}
# Columns the parsers map without needing them: a header naming one of these twice is ambiguous.
OTHER_MAPPED = {"survey": ["nama_pemilik", "no_hp", "platform_digital"],
                "gofood": ["Transaction Reference", "Order ID", "Stan", "Payment Type", "Merchant name",
                           "Promo Type", "Promo Name"],
                "shopee": ["Nama Produk", "Kota/Kabupaten", "Provinsi", "Username (Pembeli)", "Nama Penerima",
                           "No. Telepon", "Alamat Pengiriman"],
                "uvo": ["nama_peserta"]}
EXTENSIONS = {"survey": (".csv", ".xlsx"), "enrollment": (".csv", ".xlsx"), "gofood": (".csv",),
              "shopee": (".csv", ".xlsx"), "uvo": (".csv", ".json")}
CONTROL = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")    # mostly these: binary data named .csv
TEMP_SUFFIXES = (".tmp", ".part", ".crdownload", ".partial", ".swp")
BINARY_SIGNATURES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"\x1f\x8b",
                     b"Rar!", b"7z\xbc\xaf")


def column_name(name: str) -> str:
    """A contract column as a SQL identifier: lower case, non-alphanumerics as '_'."""
    return "".join(c if c.isalnum() else "_" for c in name.lower())


def header_key(name: str) -> str:
    return " ".join(name.lower().split())


@dataclass
class LandingFile:
    path: str                        # relative, '/'-separated: the file's identity
    absolute: Path
    source: str | None
    mtime: float
    size: int
    rank: int = 0                    # position in the landing order (mtime, path)
    read_from: Path | None = None    # a UTF-8 copy, when the file is cp1252 / UTF-16
    columns: dict = field(default_factory=dict)   # contract column -> index in the header
    delimiter: str = ","
    width: int = 0


# ---------------------------------------------------------------- listing and file-level rules

def scan(landing: Path) -> list[LandingFile]:
    """Regular, non-temporary files, in the landing order the pipeline loads them in."""
    found = []
    for folder, dirs, names in os.walk(landing):
        dirs[:] = [d for d in dirs if not d.startswith((".", "~$")) and not d.lower().endswith(TEMP_SUFFIXES)
                   and not os.path.islink(os.path.join(folder, d))]
        for name in names:
            if name.startswith(("~$", ".")) or name.lower().endswith(TEMP_SUFFIXES):
                continue
            absolute = Path(folder, name)
            stat = absolute.lstat()
            if not absolute.is_file() or absolute.is_symlink():
                continue    # links and pipes are quarantined by the pipeline: never read
            relative = absolute.relative_to(landing).as_posix()
            try:
                relative.encode("utf-8")
            except UnicodeEncodeError:
                continue    # a name that is not UTF-8: quarantined by the pipeline, never read
            first, _, rest = relative.partition("/")
            found.append(LandingFile(relative, absolute, first if first in EXTENSIONS and rest else None,
                                     stat.st_mtime, stat.st_size))
    found.sort(key=lambda f: (f.mtime, f.path))
    for rank, landing_file in enumerate(found):
        landing_file.rank = rank
    return found


def drop_duplicates(files: list[LandingFile]) -> list[LandingFile]:
    """A later delivery of the same bytes is recorded, not loaded: hash only files whose size
    another file shares (identical bytes need identical sizes)."""
    by_size = defaultdict(list)
    for landing_file in files:
        by_size[landing_file.size].append(landing_file)
    later = set()
    for group in by_size.values():
        seen = set()
        for landing_file in group:      # already in landing order
            if len(group) == 1:
                break
            digest = hashlib.sha256(landing_file.absolute.read_bytes()).digest()
            if digest in seen:
                later.add(landing_file.path)
            seen.add(digest)
    return [f for f in files if f.path not in later]


def decoded(data: bytes) -> tuple[str | None, bool]:
    """The pipeline's text rules: UTF-8 (BOM or not), UTF-16 with BOM, else cp1252; None for
    binary data, which is quarantined. The flag says whether DuckDB can read the bytes as they are."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), False
        except UnicodeDecodeError:
            return None, False
    sample = data[:1 << 16]
    if data.startswith(BINARY_SIGNATURES) or (sample.count(0) > 8 and sample.count(0) * 1000 > len(sample)):
        return None, False
    try:
        text, as_is = data.decode("utf-8-sig"), True
    except UnicodeDecodeError:
        try:
            text, as_is = data.decode("cp1252"), False
        except UnicodeDecodeError:
            return None, False
    head = text[:1 << 16]
    return (None if head and len(CONTROL.findall(head)) * 20 > len(head) else text), as_is


def first_line(text: str) -> str:
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        if text[start:end].strip():
            return text[start:end]
        start = end + 1
    return ""


def sniff_delimiter(line: str) -> str:
    counts, quoted = {",": 0, ";": 0, "\t": 0}, False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def map_header(landing_file: LandingFile, header: list[str]) -> bool:
    """Contract columns -> header positions; False when the file is quarantined for its header."""
    source = landing_file.source
    names = [str(name).strip().lstrip("\ufeff").strip() for name in header]
    positions = defaultdict(list)
    for index, name in enumerate(names):
        positions[header_key(name)].append(index)
    for name in COLUMNS[source] + OTHER_MAPPED.get(source, []):
        if len(positions.get(header_key(name), [])) > 1:
            return False
    found = {name: positions[header_key(name)][0] for name in COLUMNS[source] if positions.get(header_key(name))}
    if any(name not in found for name in REQUIRED[source]):
        return False
    if any(not any(name in found for name in names) for names in ONE_OF.get(source, [])):
        return False
    landing_file.columns, landing_file.width = found, len(names)
    return True


def check_csv(landing_file: LandingFile, scratch: Path) -> bool:
    """Header checks of a CSV; a non-UTF-8 file gets a UTF-8 copy for DuckDB to read."""
    data = landing_file.absolute.read_bytes()
    if len(data) > 1 << 20 and b"\n" not in data[:1 << 20] and b"\r" not in data[:1 << 20]:
        return False
    text, as_is = decoded(data)
    if text is None or not text.strip():
        return False
    if not as_is:
        landing_file.read_from = scratch / f"{landing_file.rank}.csv"
        landing_file.read_from.write_text(text, encoding="utf-8")
    first = first_line(text)
    landing_file.delimiter = sniff_delimiter(first)
    if text.count('"') % 2 and unclosed_quote(text, landing_file.delimiter):
        return False    # a quoted field that never ends: the file is cut short
    header = next(csv.reader(io.StringIO(first), delimiter=landing_file.delimiter))
    # a trailing delimiter gives a nameless, empty column: it is tolerated, not a problem
    return map_header(landing_file, header)


def unclosed_quote(text: str, delimiter: str) -> bool:
    """Only for the rare file with an odd number of quotes: does a quoted field run to the end?"""
    try:
        for _ in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True):
            pass
    except csv.Error as error:
        return "unexpected end of data" in str(error)
    return False


def check_json(landing_file: LandingFile, scratch: Path) -> bool:
    """Only the text rules here: whether the document holds records with the required keys is
    checked in SQL (a file failing there gives no rows, as a quarantined file)."""
    text, as_is = decoded(landing_file.absolute.read_bytes())
    if text is None or not text.strip():
        return False
    if not as_is:
        landing_file.read_from = scratch / f"{landing_file.rank}.json"
        landing_file.read_from.write_text(text, encoding="utf-8")
    return True


# ---------------------------------------------------------------- xlsx (python-calamine)

def cell_text(value) -> str | None:
    """An xlsx cell as the text the SQL parses: a whole number without '.0', a date as ISO."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        # exactly three decimals would read as a thousands separator (1.234 -> 1234): a fourth
        # digit keeps the number's value for the money and date parsers
        text = f"{Decimal(repr(value)):f}"
        return text + "0" if len(text.partition(".")[2]) == 3 else text
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == dtime() else value.isoformat(sep=" ")
    if isinstance(value, (date, timedelta, dtime)):
        return str(value)
    return str(value)


def read_xlsx(landing_file: LandingFile) -> dict[str, list] | None:
    """The contract columns of the first (Shopee: `orders`) sheet; None when quarantined."""
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(landing_file.absolute))
        names = workbook.sheet_names
        sheet = "orders" if landing_file.source == "shopee" and "orders" in names else names[0]
        rows = workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    except Exception:
        return None
    rows = [row for row in rows if any(cell != "" for cell in row)]
    if not rows:
        return None
    header = [str(cell) for cell in rows[0]]
    if not map_header(landing_file, header):
        return None
    names = [name.strip() for name in header]
    body = [row for row in rows[1:] if not all(str(c).strip() == n for c, n in zip(row, names))]
    columns = {column_name(name): [cell_text(row[i]) if i < len(row) else None for row in body]
               for name, i in landing_file.columns.items()}
    columns["row_order"] = list(range(1, len(body) + 1))
    return columns


def xlsx_table(source: str, files: list[LandingFile]) -> pa.Table | None:
    """One Arrow table of a source's xlsx files; calamine releases the GIL, so threads help."""
    parts = []
    with ThreadPoolExecutor(os.cpu_count()) as pool:
        sheets = list(pool.map(read_xlsx, files))
    for landing_file, columns in zip(files, sheets):
        if columns is None:
            continue
        n = len(columns["row_order"])
        arrays = {column_name(c): pa.array(columns.get(column_name(c), [None] * n), pa.string())
                  for c in COLUMNS[source]}
        arrays["row_order"] = pa.array(columns["row_order"], pa.int64())
        arrays["file_rank"] = pa.array([landing_file.rank] * n, pa.int64())
        parts.append(pa.table(arrays))
    return pa.concat_tables(parts) if parts else None


# ---------------------------------------------------------------- views for the SQL

def csv_select(source: str, files: list[LandingFile]) -> str:
    """One read_csv over files sharing a delimiter and header layout, columns by contract name."""
    first = files[0]
    paths = ", ".join("'" + str(f.read_from or f.absolute).replace("'", "''") + "'" for f in files)
    names = {f"c{i}": "VARCHAR" for i in range(first.width)}
    select = [f"c{first.columns[c]} as {column_name(c)}" if c in first.columns else f"null::varchar as {column_name(c)}"
              for c in COLUMNS[source]]
    delimiter = first.delimiter.replace("'", "''")
    return (f"select {', '.join(select)}, ordinality as row_order, files.file_rank "
            f"from read_csv([{paths}], delim = '{delimiter}', quote = '\"', escape = '\"', header = true, "
            f"auto_detect = false, columns = {names}, ignore_errors = true, strict_mode = true, "
            f"filename = true, encoding = 'utf-8') with ordinality "
            f"join files on files.read_path = filename")


def register_sources(con: duckdb.DuckDBPyConnection, files: list[LandingFile], scratch: Path) -> float:
    """Create the views src_<source>; returns the seconds spent reading xlsx in Python."""
    xlsx_seconds = 0.0
    readable = []
    by_layout = defaultdict(list)
    for landing_file in files:
        source, suffix = landing_file.source, landing_file.absolute.suffix.lower()
        if source is None or suffix not in EXTENSIONS[source]:
            continue
        parts = landing_file.path.split("/")
        if source == "shopee" and (len(parts) != 3 or not parts[1].strip()):
            continue    # the shop id comes from the folder: shopee/<shop_id>/<file>
        if suffix == ".csv" and check_csv(landing_file, scratch):
            key = (landing_file.delimiter, landing_file.width, tuple(sorted(landing_file.columns.items())))
            by_layout[(source, key)].append(landing_file)
        elif suffix == ".json" and check_json(landing_file, scratch):
            by_layout[(source, "json")].append(landing_file)
        elif suffix == ".xlsx":
            by_layout[(source, "xlsx")].append(landing_file)
        else:
            continue
        readable.append(landing_file)
    con.register("files_arrow", pa.table({
        "read_path": [str(f.read_from or f.absolute) for f in readable],
        "landing_path": [f.path for f in readable],
        "file_rank": pa.array([f.rank for f in readable], pa.int64()),
        "shop_id": [f.path.split("/")[1].strip() if f.source == "shopee" else None for f in readable],
        "present": pa.array([sorted(f.columns) for f in readable], pa.list_(pa.string())),
    }))
    con.execute("create table files as select * from files_arrow")
    for source in COLUMNS:
        selects = []
        for (layout_source, key), group in by_layout.items():
            if layout_source != source:
                continue
            if key == "xlsx":
                started = time.perf_counter()
                table = xlsx_table(source, group)
                xlsx_seconds += time.perf_counter() - started
                if table is not None:
                    con.register(f"xlsx_{source}", table)
                    con.execute(f"create table xlsx_{source}_rows as select * from xlsx_{source}")
                    selects.append(f"select * from xlsx_{source}_rows")
            elif key == "json":
                paths = ", ".join("'" + str(f.read_from or f.absolute).replace("'", "''") + "'" for f in group)
                con.execute(f"create table json_{source}_files as select filename, content from read_text([{paths}])")
            else:
                selects.append(csv_select(source, group))
        columns = ", ".join(f"null::varchar as {column_name(c)}" for c in COLUMNS[source])
        selects.append(f"select {columns}, 0::bigint as row_order, 0::bigint as file_rank where false")
        con.execute(f"create view src_{source} as " + " union all by name ".join(selects))
        if source == "uvo" and not any(k == (source, "json") for k in by_layout):
            con.execute("create table json_uvo_files (filename varchar, content varchar)")
    return xlsx_seconds


def build(con: duckdb.DuckDBPyConnection, landing: Path, salt: str, scratch: Path) -> dict:
    """Every table of the SQL script in `con`; returns the seconds of each phase."""
    started = time.perf_counter()
    files = drop_duplicates(scan(landing))
    listed = time.perf_counter()
    xlsx_seconds = register_sources(con, files, scratch)
    registered = time.perf_counter()
    sql = (HERE / "reference_duckdb.sql").read_text()
    sql = sql.replace("{{seeds}}", str(SEEDS).replace("'", "''")).replace("{{salt}}", salt.replace("'", "''"))
    con.execute(sql)
    return {"list_seconds": round(listed - started, 3), "register_seconds": round(registered - listed, 3),
            "xlsx_seconds": round(xlsx_seconds, 3), "sql_seconds": round(time.perf_counter() - registered, 3),
            "files_listed": len(files)}


def run(landing: Path, salt: str, out: Path) -> dict:
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()   # in memory, all threads
    with tempfile.TemporaryDirectory() as scratch:
        phases = build(con, landing, salt, Path(scratch))
    for mart in MARTS:
        con.execute(f"copy {mart} to '{out / (mart + '.parquet')}' (format parquet)")
    report = {"seconds": round(time.perf_counter() - started, 3), **phases,
              "rows": {mart: con.execute(f"select count(*) from {mart}").fetchone()[0] for mart in MARTS},
              "checks": checks(con)}
    (out / "reference_duckdb.json").write_text(json.dumps(report, indent=2, default=str))
    return report


def checks(con: duckdb.DuckDBPyConnection) -> dict:
    """Row counts and sums of dim_umkm and fct_orders, to compare with the pipeline's."""
    dim = con.execute("select count(*), count(nib), count(scale) from dim_umkm").fetchone()
    fct = con.execute("select count(*), count(umkm_key), count(*) filter (where is_counted), "
                      "sum(amount_idr) from fct_orders").fetchone()
    return {"dim_umkm_rows": dim[0], "dim_umkm_nib": dim[1], "dim_umkm_scale": dim[2], "fct_orders_rows": fct[0],
            "fct_orders_with_umkm": fct[1], "fct_orders_counted": fct[2], "fct_orders_amount_idr": str(fct[3])}


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__.splitlines()[2].strip(), file=sys.stderr)
        return 2
    report = run(Path(argv[0]).resolve(), argv[1], Path(argv[2]).resolve())
    print(json.dumps(report, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
