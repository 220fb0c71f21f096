"""Reference 2 of the benchmark: the marts from one hand-written DuckDB SQL script.

    .venv/bin/python benchmarks/reference_duckdb.py LANDING_DIR SALT OUT_DIR

This runner only does the file plumbing that SQL cannot: it lists the landing zone with mtimes
(the landing order, which DuckDB's glob does not give), decides the file-level rules the
pipeline applies (temporary names, byte-identical duplicate deliveries, quarantined files:
empty, binary, wrong folder, missing required columns), sniffs each CSV's delimiter from its
header line and registers views `src_<source>` that name each file's columns by the data
contract. All row-level work (money, dates, WIB/UTC, identifiers, rejects, dedup, programs,
FX, marts) is `reference_duckdb.sql`, run with all threads.

Where the time went, and what keeps it low (issue 12). On `umkm demo --scale 10` (2 cores, shared):
5.1 s wall / 6.3 s CPU / 0.56 GiB before, 3.4 s / 4.8 s / 0.42 GiB after; on `--scale 20` (the
province layout) 9.5 s / 11.4 s / 0.82 GiB before, 6.7 s / 8.3 s / 0.57 GiB after; the SQL alone,
one thread, 6.7 s CPU before and 3.9 s after. `make bench` measures the province zone:
- xlsx: no DuckDB extension can be downloaded here, so xlsx sheets are read with python-calamine,
  whose sheet-to-Python step holds the GIL (its XML parsing does not): the sheets are read by
  worker processes (one per core, `FileWork`), each turning a batch of files into one Arrow
  table per source, the contract columns only (number cells as their plain text, date cells as
  ISO text). On the xlsx zone this is now the largest part: calamine's own parse is about half.
- CSV: one `read_csv` per source and header layout (delimiter, width, column positions) over
  the list of its files, explicit all-VARCHAR columns, no sniffing and no `union_by_name`
  (which costs a schema pass per file: 15x slower on thousands of small files). The file of a
  row is the reader's `file_index`, joined on an integer, not the file name. DuckDB still pays
  about 0.4 ms per file (thousands of 100-row Shopee csv exports: a few seconds).
- The Python checks of a CSV work on its bytes: a file that is ASCII (after a BOM) is valid
  UTF-8 without being decoded; the quote count, the first line and the control-character test
  need no full decode either. They run beside the xlsx reading, in the same workers.
- SQL (`reference_duckdb.sql`): a text cell was cleaned by a long macro in every row (250 ns a
  cell, 14 cells a GoBiz row); timestamps (almost all distinct) went through three regexes and a
  list of strptime formats each, then a join; chained left joins to lookups were planned as
  right joins hashing the wide rows; a filter on computed columns computed them twice. Now: an
  exact fast path cleans the few high-cardinality cells per row, everything else is cleaned and
  parsed once per distinct raw text and joined back on it; timestamps of the export shapes are
  one strptime; the joins keep the lookup as the hash table; dedup sorts only the keys that
  occur more than once.
Phases are timed separately in the JSON it writes.

Malformed CSV lines (a wrong field count) are skipped by `read_csv(ignore_errors, strict_mode)`,
as the pipeline rejects them. Not replicated (none occurs in the demo data; each would cost a
byte-level pass or a rule that only damaged files need): CSV rows with NUL bytes; xlsx cells
holding an Excel error or an uncalculated formula (calamine reads them as empty, the pipeline
rejects the row); an xlsx count cell holding a fraction (3.5 workers reads as 35 here); JSON keys
in another case than the contract's; the `kendala/<choice>` columns when the `kendala` summary
column is missing; values at the very edge of the rules (a fraction beyond 18 digits, an amount
that rounds up to 1e16); in a training list or the Lapak Ganjar log, a region typed as an xlsx
number with a fraction (33.74: the pipeline reads the whole part) or with non-ASCII digits or
spaces inside a code; a Google Forms zone of a day or more (GMT+24).

The small sources (Mbizmarket exports, training lists, the Lapak Ganjar log: a few thousand rows
on the province zone) take the simple paths: every cell cleaned and parsed once per distinct text.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import multiprocessing
import os
import re
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from operator import itemgetter
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
    "mbizmarket": ["No. Pesanan", "Tanggal Pesanan", "ID Vendor", "Subtotal", "Status Pesanan", "PPN", "Ongkos Kirim",
                   "Total Pesanan"],
    "training": ["Timestamp", "Kode Kegiatan", "Nama Usaha", "NIK", "NIB (jika ada)", "Kabupaten/Kota", "Bidang Usaha",
                 "Kehadiran"],
    "lapak_ganjar": ["Tanggal Tayang", "Nama Usaha", "NIK Pemilik", "NIB", "Kabupaten/Kota", "Bidang Usaha"],
}
REQUIRED = {
    "survey": ["periode_survei", "nama_usaha", "sektor_usaha", "terdampak_covid", "_submission_time"],
    "enrollment": ["program_id", "nama_usaha", "sektor_usaha", "platform_merchant_id", "tanggal_bergabung"],
    "gofood": ["Transaction ID", "Transaction time", "Amount", "Transaction Status", "Feature", "Merchant ID"],
    "shopee": ["No. Pesanan", "Status Pesanan", "Waktu Pesanan Dibuat", "Jumlah"],
    "uvo": ["id_transaksi", "id_peserta", "tanggal_transaksi", "negara_pembeli", "mata_uang", "nilai", "status"],
    "mbizmarket": ["No. Pesanan", "Tanggal Pesanan", "ID Vendor", "Subtotal", "Status Pesanan"],
    "training": ["Timestamp", "Kode Kegiatan", "Nama Usaha"],
    "lapak_ganjar": ["Tanggal Tayang", "Nama Usaha"],
}
ONE_OF = {"survey": [["nik_pemilik", "nib"], ["kode_kabkota", "kabupaten_kota"]],
          "enrollment": [["nik_pemilik", "nib"], ["kode_kabkota", "kabupaten_kota"]],
          "shopee": [["Harga Setelah Diskon", "Total Harga Produk"]],
          "lapak_ganjar": [["NIK Pemilik", "NIB"]]}
# Columns the parsers map without needing them: a header naming one of these twice is ambiguous.
OTHER_MAPPED = {"survey": ["nama_pemilik", "no_hp", "platform_digital"],
                "gofood": ["Transaction Reference", "Order ID", "Stan", "Payment Type", "Merchant name",
                           "Promo Type", "Promo Name"],
                "shopee": ["Nama Produk", "Kota/Kabupaten", "Provinsi", "Username (Pembeli)", "Nama Penerima",
                           "No. Telepon", "Alamat Pengiriman"],
                "uvo": ["nama_peserta"],
                "mbizmarket": ["Nama Vendor", "Instansi Pembeli", "Satuan Kerja", "Nama PIC Pembeli", "Email PIC",
                               "No. HP PIC"],
                "training": ["Nama Lengkap", "Nomor WhatsApp"],
                "lapak_ganjar": ["Produk", "Tautan Unggahan"]}
# Per file, whether a column is in its header (some rules depend on the layout, not on the cell).
FLAGS = {"has_id": "_id", "has_uuid": "_uuid", "has_price": "Harga Setelah Diskon",
         "has_total_payment": "Total Pembayaran"}
EXTENSIONS = {"survey": (".csv", ".xlsx"), "enrollment": (".csv", ".xlsx"), "gofood": (".csv",),
              "shopee": (".csv", ".xlsx"), "uvo": (".csv", ".json"), "mbizmarket": (".csv", ".xlsx"),
              "training": (".csv", ".xlsx"), "lapak_ganjar": (".csv", ".xlsx")}
CONTROL = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")    # mostly these: binary data named .csv
NOT_BLANK = re.compile(rb"[^ \t\n\r\x0b\x0c\x1c-\x1f]")       # str.strip()'s ASCII whitespace
TEMP_SUFFIXES = (".tmp", ".part", ".crdownload", ".partial", ".swp")
BINARY_SIGNATURES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"\x1f\x8b",
                     b"Rar!", b"7z\xbc\xaf")
BOM = b"\xef\xbb\xbf"
HEAD = 1 << 16
THREADS = max(2, os.cpu_count() or 1)
# Worker processes for the per-file Python work from this much of it on (below, this process does it).
POOL_XLSX_FILES, POOL_XLSX_BYTES, POOL_TEXT_BYTES = 16, 4 << 20, 256 << 20


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
    sample = data[:HEAD]
    if data.startswith(BINARY_SIGNATURES) or (sample.count(0) > 8 and sample.count(0) * 1000 > len(sample)):
        return None, False
    try:
        text, as_is = data.decode("utf-8-sig"), True
    except UnicodeDecodeError:
        try:
            text, as_is = data.decode("cp1252"), False
        except UnicodeDecodeError:
            return None, False
    head = text[:HEAD]
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


def header_columns(source: str, header: list[str]) -> tuple[dict, int] | None:
    """Contract columns -> header positions, and the header's width; None when the file is
    quarantined for its header."""
    names = [str(name).strip().lstrip("\ufeff").strip() for name in header]
    positions = defaultdict(list)
    for index, name in enumerate(names):
        positions[header_key(name)].append(index)
    for name in COLUMNS[source] + OTHER_MAPPED.get(source, []):
        if len(positions.get(header_key(name), [])) > 1:
            return None
    found = {name: positions[header_key(name)][0] for name in COLUMNS[source] if positions.get(header_key(name))}
    if any(name not in found for name in REQUIRED[source]):
        return None
    if any(not any(name in found for name in names) for names in ONE_OF.get(source, [])):
        return None
    return found, len(names)


def map_header(landing_file: LandingFile, header: list[str]) -> bool:
    mapped = header_columns(landing_file.source, header)
    if mapped is None:
        return False
    landing_file.columns, landing_file.width = mapped
    return True


def check_csv(landing_file: LandingFile, scratch: Path, fast: bool = True) -> bool:
    """Header checks of a CSV; a non-UTF-8 file gets a UTF-8 copy for DuckDB to read.

    The common case (ASCII after an optional BOM: valid UTF-8) is decided on the bytes, without
    decoding the file; anything else (or `fast=False`) goes through `decoded`, the full rules."""
    data = landing_file.absolute.read_bytes()
    if len(data) > 1 << 20 and b"\n" not in data[:1 << 20] and b"\r" not in data[:1 << 20]:
        return False
    body = data[3:] if data.startswith(BOM) else data
    if fast and body.isascii() and not (data.startswith(BINARY_SIGNATURES) or body[:HEAD].count(0) > 8):
        # the same decisions as `decoded` + the checks below, on bytes (ASCII: one byte a character)
        head = body[:HEAD].decode("ascii")
        if CONTROL.search(head) and len(CONTROL.findall(head)) * 20 > len(head):
            return False
        if NOT_BLANK.search(body) is None:
            return False
        first = first_line(head)
        if not first or (len(body) > HEAD and len(first) + head.find(first) >= len(head)):
            first = first_line(body.decode("ascii"))      # blank lines or a header beyond the head
        landing_file.delimiter = sniff_delimiter(first)
        if body.count(b'"') % 2 and unclosed_quote(body.decode("ascii"), landing_file.delimiter):
            return False
    else:
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


def texts_of(cells) -> list[str | None]:
    """`cell_text` of a column, without a call per cell for text cells and whole numbers."""
    return [(value or None) if value.__class__ is str
            else str(int(value)) if value.__class__ is float and value.is_integer() else cell_text(value)
            for value in cells]


def read_xlsx(path: str, source: str) -> tuple[dict, list] | None:
    """(contract column -> header position, the data rows) of the first (Shopee: `orders`)
    sheet; None when the file is quarantined."""
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(path)
        names = workbook.sheet_names
        sheet = "orders" if source == "shopee" and "orders" in names else names[0]
        rows = workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    except Exception:
        return None
    rows = [row for row in rows if row.count("") != len(row)]     # rows with any non-empty cell
    if not rows:
        return None
    header = [str(cell) for cell in rows[0]]
    mapped = header_columns(source, header)
    if mapped is None:
        return None
    names = [name.strip() for name in header]
    body = rows[1:]
    first = names[0] if names else None
    # a repeated header row is dropped: only rows whose first cell could be the first name are tested
    repeated = [i for i, row in enumerate(body) if row and (row[0].__class__ is not str or first in row[0])
                and all(str(c).strip() == n for c, n in zip(row, names))]
    if repeated:
        drop = set(repeated)
        body = [row for i, row in enumerate(body) if i not in drop]
    return mapped[0], body


def xlsx_batch(jobs: list[tuple[str, str, int]]) -> tuple[dict, list]:
    """A batch of xlsx files -> one Arrow table per source (contract columns as text, file_rank,
    row_order) and, per file, (rank, the contract columns present), or (rank, None) when quarantined.
    Runs in a worker process (or in a thread)."""
    columns_of = {source: {column_name(name): [] for name in COLUMNS[source]} | {"row_order": [], "file_rank": []}
                  for source in COLUMNS}
    meta = []
    for path, source, rank in jobs:
        sheet = read_xlsx(path, source)
        if sheet is None:
            meta.append((rank, None))
            continue
        columns, body = sheet
        meta.append((rank, sorted(columns)))
        n = len(body)
        names = list(columns)
        width = max(map(len, body), default=0)
        if any(len(row) != width for row in body):      # the rows of a sheet have one width; if not, pad
            body = [list(row) + [""] * (width - len(row)) for row in body]
        if not n:
            picked = [()] * len(names)
        elif len(names) == 1:
            picked = [tuple(row[columns[names[0]]] for row in body)]
        else:       # the contract columns only, one tuple each (a C-level transpose)
            picked = list(zip(*map(itemgetter(*[columns[name] for name in names]), body)))
        out = columns_of[source]
        for name, cells in zip(names, picked):
            out[column_name(name)] += texts_of(cells)
        for name in COLUMNS[source]:
            if name not in columns:
                out[column_name(name)] += [None] * n
        out["row_order"] += range(1, n + 1)
        out["file_rank"] += [rank] * n
    tables = {}
    for source, out in columns_of.items():
        if out["file_rank"]:
            tables[source] = pa.table({name: pa.array(values, pa.int64() if name in ("row_order", "file_rank")
                                                     else pa.string()) for name, values in out.items()})
    return tables, meta


def check_batch(jobs: list[tuple[str, str, str, int, str]], scratch: str) -> list[tuple]:
    """The file checks of a batch of CSV / JSON files: per file (rank, readable, delimiter, width,
    contract column -> header position, the UTF-8 copy's path). Runs in a worker process."""
    out = []
    for path, relative, source, rank, suffix in jobs:
        landing_file = LandingFile(relative, Path(path), source, 0.0, 0, rank)
        ok = (check_csv if suffix == ".csv" else check_json)(landing_file, Path(scratch))
        out.append((rank, ok, landing_file.delimiter, landing_file.width, landing_file.columns,
                    landing_file.read_from))
    return out


def batches(items: list, sizes: list[int], count: int) -> list[list]:
    """`items` in `count` batches of about equal size: the next biggest to the lightest batch."""
    buckets, loads = [[] for _ in range(count)], [0] * count
    for size, item in sorted(zip(sizes, items), key=lambda pair: -pair[0]):
        lightest = loads.index(min(loads))
        buckets[lightest].append(item)
        loads[lightest] += size
    return [bucket for bucket in buckets if bucket]


class FileWork:
    """The per-file Python work, started at once: reading the xlsx sheets and checking the CSV /
    JSON files, in worker processes (one per core) when there is enough of it.

    calamine releases the GIL while it parses a sheet's XML, but not while it turns the sheet into
    Python objects, and the cells' text is Python too (together about half its time); the byte
    checks of a CSV hold the GIL as well: processes scale, threads do not. Work goes out in
    batches of about equal bytes, biggest first. Small zones are done in this process (a pool
    costs more to start than it saves): xlsx in turn, the checks in threads (reading releases the GIL)."""

    def __init__(self, candidates: list[tuple[LandingFile, str]], scratch: Path):
        self.scratch = scratch
        self.xlsx = [f for f, suffix in candidates if suffix == ".xlsx"]
        self.text = [(f, suffix) for f, suffix in candidates if suffix != ".xlsx"]
        xlsx_bytes, text_bytes = sum(f.size for f in self.xlsx), sum(f.size for f, _ in self.text)
        self.pool = None
        if THREADS > 1 and ((len(self.xlsx) >= POOL_XLSX_FILES and xlsx_bytes >= POOL_XLSX_BYTES)
                            or text_bytes >= POOL_TEXT_BYTES):
            context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods()
                                                  else None)
            self.pool = ProcessPoolExecutor(THREADS, mp_context=context)
            self.xlsx_futures = [self.pool.submit(xlsx_batch, batch) for batch in batches(
                [(str(f.absolute), f.source, f.rank) for f in self.xlsx], [f.size for f in self.xlsx], THREADS * 4)]
            self.text_futures = [self.pool.submit(check_batch, batch, str(scratch)) for batch in batches(
                [(str(f.absolute), f.path, f.source, f.rank, suffix) for f, suffix in self.text],
                [f.size for f, _ in self.text], THREADS * 4)]

    def checked(self) -> dict[int, bool]:
        """rank -> readable, for the CSV and JSON files (their LandingFile filled in)."""
        if self.pool is None:
            def check(item) -> bool:
                landing_file, suffix = item
                return (check_csv if suffix == ".csv" else check_json)(landing_file, self.scratch)

            with ThreadPoolExecutor(THREADS * 2) as threads:
                return {f.rank: ok for (f, _), ok in zip(self.text, threads.map(check, self.text))}
        by_rank = {f.rank: f for f, _ in self.text}
        readable = {}
        for future in self.text_futures:
            for rank, ok, delimiter, width, columns, read_from in future.result():
                landing_file = by_rank[rank]
                landing_file.delimiter, landing_file.width, landing_file.columns = delimiter, width, columns
                landing_file.read_from = read_from
                readable[rank] = ok
        return readable

    def sheets(self) -> tuple[dict, dict]:
        """({source: Arrow table of its xlsx rows}, {rank: contract columns present, or None when
        quarantined}); shuts the pool down."""
        try:
            if self.pool is None:
                results = [xlsx_batch([(str(f.absolute), f.source, f.rank) for f in self.xlsx])] if self.xlsx else []
            else:
                results = [future.result() for future in self.xlsx_futures]
        finally:
            if self.pool is not None:
                self.pool.shutdown()
        tables, present = defaultdict(list), {}
        for by_source, meta in results:
            for source, table in by_source.items():
                tables[source].append(table)
            present.update(meta)
        return {source: pa.concat_tables(parts) for source, parts in tables.items()}, present


# ---------------------------------------------------------------- views for the SQL

def csv_select(source: str, files: list[LandingFile], base: int) -> str:
    """One read_csv over files sharing a delimiter and header layout, columns by contract name;
    the row's file is `file_index`, read ids base, base + 1, ... in the order of the list."""
    first = files[0]
    paths = ", ".join("'" + str(f.read_from or f.absolute).replace("'", "''") + "'" for f in files)
    names = {f"c{i}": "VARCHAR" for i in range(first.width)}
    select = [f"c{first.columns[c]} as {column_name(c)}" if c in first.columns else f"null::varchar as {column_name(c)}"
              for c in COLUMNS[source]]
    delimiter = first.delimiter.replace("'", "''")
    return (f"select {', '.join(select)}, ordinality as row_order, reads.file_rank "
            f"from read_csv([{paths}], delim = '{delimiter}', quote = '\"', escape = '\"', header = true, "
            f"auto_detect = false, columns = {names}, ignore_errors = true, strict_mode = true, "
            f"encoding = 'utf-8') with ordinality "
            f"join reads on reads.read_id = file_index + {base}")


def readable_candidates(files: list[LandingFile]) -> list[tuple[LandingFile, str]]:
    """(file, suffix) of the files in a source folder with a type that source takes."""
    candidates = []
    for landing_file in files:
        source, suffix = landing_file.source, landing_file.absolute.suffix.lower()
        if source is None or suffix not in EXTENSIONS[source]:
            continue
        parts = landing_file.path.split("/")
        if source == "shopee" and (len(parts) != 3 or not parts[1].strip()):
            continue    # the shop id comes from the folder: shopee/<shop_id>/<file>
        candidates.append((landing_file, suffix))
    return candidates


def group_layouts(text: list[tuple[LandingFile, str]], readable: dict[int, bool]) -> dict:
    """The readable CSV files by (source, delimiter, width, column positions); JSON by source."""
    by_layout = defaultdict(list)
    for landing_file, suffix in text:
        if not readable[landing_file.rank]:
            continue
        if suffix == ".csv":
            key = (landing_file.delimiter, landing_file.width, tuple(sorted(landing_file.columns.items())))
            by_layout[(landing_file.source, key)].append(landing_file)
        else:
            by_layout[(landing_file.source, "json")].append(landing_file)
    return by_layout


def register_sources(con: duckdb.DuckDBPyConnection, files: list[LandingFile], scratch: Path) -> dict:
    """Create the views src_<source>, the tables `files` and `json_uvo_files`; returns the
    seconds until the CSV checks and until the xlsx reading were done (both from the start: they
    run at the same time, in worker processes on a large zone)."""
    started = time.perf_counter()
    work = FileWork(readable_candidates(files), scratch)     # starts the worker processes
    text_ok = work.checked()
    by_layout = group_layouts(work.text, text_ok)
    checked = time.perf_counter()
    xlsx_tables, xlsx_present = work.sheets()
    xlsx_done = time.perf_counter()
    readable = [f for f, _ in work.text if text_ok[f.rank]]
    for landing_file in work.xlsx:
        if xlsx_present.get(landing_file.rank) is not None:
            landing_file.columns = {name: None for name in xlsx_present[landing_file.rank]}
            readable.append(landing_file)
    readable.sort(key=lambda f: f.rank)

    con.register("files_arrow", pa.table({
        "read_path": [str(f.read_from or f.absolute) for f in readable],
        "landing_path": [f.path for f in readable],
        "file_rank": pa.array([f.rank for f in readable], pa.int64()),
        "shop_id": [f.path.split("/")[1].strip() if f.source == "shopee" else None for f in readable],
        **{flag: pa.array([column in f.columns for f in readable], pa.bool_()) for flag, column in FLAGS.items()},
    }))
    con.execute("create table files as select * from files_arrow")
    con.unregister("files_arrow")

    read_ids, selects = [], defaultdict(list)
    for (source, key), group in by_layout.items():
        if key == "json":
            continue
        selects[source].append(csv_select(source, group, len(read_ids)))
        read_ids += [f.rank for f in group]
    con.register("reads_arrow", pa.table({"read_id": pa.array(range(len(read_ids)), pa.int64()),
                                          "file_rank": pa.array(read_ids, pa.int64())}))
    con.execute("create table reads as select * from reads_arrow")
    con.unregister("reads_arrow")
    for source in COLUMNS:
        if source in xlsx_tables:
            con.register(f"xlsx_{source}", xlsx_tables[source])
            con.execute(f"create table xlsx_{source}_rows as select * from xlsx_{source}")
            con.unregister(f"xlsx_{source}")
            selects[source].append(f"select * from xlsx_{source}_rows")
        columns = ", ".join(f"null::varchar as {column_name(c)}" for c in COLUMNS[source])
        selects[source].append(f"select {columns}, 0::bigint as row_order, 0::bigint as file_rank where false")
        con.execute(f"create view src_{source} as " + " union all by name ".join(selects[source]))
    json_files = by_layout.get(("uvo", "json"), [])
    if json_files:
        paths = ", ".join("'" + str(f.read_from or f.absolute).replace("'", "''") + "'" for f in json_files)
        con.execute(f"create table json_uvo_files as select filename, content from read_text([{paths}])")
    else:
        con.execute("create table json_uvo_files (filename varchar, content varchar)")
    return {"csv_check_seconds": round(checked - started, 3), "xlsx_seconds": round(xlsx_done - started, 3),
            "xlsx_files": len(work.xlsx), "csv_files": sum(len(g) for k, g in by_layout.items() if k[1] != "json"),
            "worker_processes": THREADS if work.pool is not None else 0}


DROP_RAW = ("drop view gofood_typed; drop table gofood_raw; drop table shopee_raw; drop table survey_raw; "
            "drop table enrollment_raw; drop table uvo_raw; drop table mbizmarket_raw; drop table training_raw; "
            "drop table lapak_ganjar_raw;")


def build(con: duckdb.DuckDBPyConnection, landing: Path, salt: str, scratch: Path, keep_raw: bool = False) -> dict:
    """Every table of the SQL script in `con` (with `keep_raw`, the raw cells and gofood_typed
    too); returns the seconds of each phase."""
    started = time.perf_counter()
    files = drop_duplicates(scan(landing))
    listed = time.perf_counter()
    registered_info = register_sources(con, files, scratch)
    registered = time.perf_counter()
    sql = (HERE / "reference_duckdb.sql").read_text()
    sql = sql.replace("{{seeds}}", str(SEEDS).replace("'", "''")).replace("{{salt}}", salt.replace("'", "''"))
    con.execute(sql.replace("{{drop_raw}}", "" if keep_raw else DROP_RAW))
    return {"list_seconds": round(listed - started, 3), "register_seconds": round(registered - listed, 3),
            **registered_info, "sql_seconds": round(time.perf_counter() - registered, 3),
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
    """Row counts and sums of dim_umkm and fct_orders (also per platform), to compare with the pipeline's."""
    dim = con.execute("select count(*), count(nib), count(scale), count(region_code), count(sector_code) "
                      "from dim_umkm").fetchone()
    fct = con.execute("select count(*), count(umkm_key), count(*) filter (where is_counted), "
                      "sum(amount_idr) from fct_orders").fetchone()
    platforms = con.execute("select platform, count(*), count(umkm_key), count(*) filter (where is_counted), "
                            "sum(amount_idr) from fct_orders group by platform order by platform").fetchall()
    return {"dim_umkm_rows": dim[0], "dim_umkm_nib": dim[1], "dim_umkm_scale": dim[2], "dim_umkm_region": dim[3],
            "dim_umkm_sector": dim[4], "fct_orders_rows": fct[0], "fct_orders_with_umkm": fct[1],
            "fct_orders_counted": fct[2], "fct_orders_amount_idr": str(fct[3]),
            "fct_orders_by_platform": {platform: [rows, with_umkm, counted, str(amount)]
                                       for platform, rows, with_umkm, counted, amount in platforms}}


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__.splitlines()[2].strip(), file=sys.stderr)
        return 2
    report = run(Path(argv[0]).resolve(), argv[1], Path(argv[2]).resolve())
    print(json.dumps(report, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
