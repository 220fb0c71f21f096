"""Reference 3 of the benchmark: the marts as an analyst would compute them with pandas.

    .venv/bin/python benchmarks/reference_pandas.py LANDING_DIR SALT OUT_DIR

Straightforward on purpose, neither slowed down nor tuned: loop over the files, read each with
pd.read_csv / pd.read_excel(engine="calamine") / json + pd.DataFrame, concat, clean the cells
with small Python functions applied column by column, drop_duplicates, merge, groupby. The
rules are the pipeline's (data contract; ingest/values.py, ingest/sources/*.py, the dbt models),
written again here so that the equivalence test compares two independent implementations.
Writes the three marts as Parquet and reference_pandas.json (timings, row counts, checks).

Simpler than the pipeline where only damaged files differ (none in the demo data): the delimiter
is guessed from the header line without minding quotes; a CSV line with too few fields is padded
by pandas instead of rejected; NUL bytes, control characters and Excel error cells are not looked for.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
import sys
import time
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

SEEDS = Path(__file__).resolve().parents[1] / "dbt_project" / "seeds"
BAD = object()       # a cell that breaks a rule: its row is rejected
EMPTY = {"", "-", "--", "null", "none", "nan", "n/a", "na"}
CENT = Decimal("0.01")
WIB = timedelta(hours=7)


# ================================================================ reference data

REGIONS = pd.read_csv(SEEDS / "regions_jateng.csv", dtype=str)
PROGRAMS = pd.read_csv(SEEDS / "programs.csv", dtype=str, keep_default_na=False)
PROGRAMS["feature"] = PROGRAMS["feature"].map(lambda f: f.strip() or None)
PROGRAMS["platform"] = PROGRAMS["platform"].str.strip().str.lower()
PROGRAMS["start_date"] = pd.to_datetime(PROGRAMS["start_date"]).dt.date
PROGRAMS["end_date"] = pd.to_datetime(PROGRAMS["end_date"]).dt.date
FX = pd.read_csv(SEEDS / "fx_rates_monthly.csv", dtype=str)
FX_RATES = {(m, c): Decimal(r) for m, c, r in FX.itertuples(index=False)}


def labels(name: str, code_column: str) -> dict[str, str]:
    table = pd.read_csv(SEEDS / name, dtype=str, keep_default_na=False)
    found = {}
    for code, survey_labels in zip(table[code_column], table["survey_labels"]):
        for label in [code, *survey_labels.split("|")]:
            if label:
                found[label.strip().lower()] = code
    return found


SECTORS = labels("sectors.csv", "sector_code")
CONSTRAINTS = labels("constraints.csv", "constraint_code")


def split_region(name: str) -> tuple[str | None, str]:
    text = re.sub(r"\s+", " ", name.strip().lower())
    for prefix, kind in (("kabupaten", "Kabupaten"), ("kab.", "Kabupaten"), ("kab", "Kabupaten"), ("kota", "Kota")):
        if text.startswith(prefix + " ") or (prefix.endswith(".") and text.startswith(prefix)):
            return kind, text[len(prefix):].strip()
    return None, text


REGION_CODES = set(REGIONS["region_code"])
PROGRAM_IDS = set(PROGRAMS["program_id"])
ACTIVITY_IDS = set(pd.read_csv(SEEDS / "activities.csv", dtype=str)["activity_id"])
REGION_BY_NAME = {split_region(n): c for n, c in zip(REGIONS["region_name"], REGIONS["region_code"])}
REGION_BY_BASE = {}
for _name, _code in zip(REGIONS["region_name"], REGIONS["region_code"]):
    REGION_BY_BASE.setdefault(split_region(_name)[1], []).append(_code)


# ================================================================ cell parsers

def is_empty(v) -> bool:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return True
    return isinstance(v, str) and v.strip().strip("'").strip().lower() in EMPTY


def clean(v):
    """Text without spaces around it and without the leading apostrophe; None when empty."""
    if is_empty(v):
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    text = str(v).strip()
    if text.startswith("'"):
        text = text[1:].strip()
    return text or None


def money(v):
    """Indonesian money: '169.000', 'Rp 15.000.000', '2.273,67', '1,250,000', '2,5 juta'."""
    if is_empty(v):
        return None
    if isinstance(v, bool):
        return BAD
    if isinstance(v, (int, float)):
        if isinstance(v, float) and not math.isfinite(v):
            return BAD
        amount = Decimal(str(v))
    else:
        text = str(v).strip().lstrip("'").strip().lower().replace("\u00a0", " ").replace("\u2212", "-")
        negative = text.startswith("-")
        text = re.sub(r"^(rp\.?|idr)\s*", "", text.lstrip("-").strip())
        negative = negative or (text.startswith("(") and text.endswith(")"))
        text = text.strip("()").replace(" ", "")
        if text.endswith((",-", ".-")):
            text = text[:-2]
        elif text.endswith("-") and not text.startswith("-"):
            text, negative = text[:-1], True
        match = re.match(r"^(-)?([0-9][0-9.,]*)([a-z]+)?$", text.rstrip("."))
        units = {"ribu": 3, "rb": 3, "k": 3, "juta": 6, "jt": 6, "miliar": 9, "milyar": 9, "m": 9, "triliun": 12}
        if not match or (match[3] and match[3] not in units):
            return BAD
        number = plain_number(match[2], bool(match[3]))
        if number is None:
            return BAD
        amount = Decimal(number).scaleb(units.get(match[3], 0))
        if match[1] or negative:
            amount = -amount
    if amount < 0 or amount >= Decimal("1e16"):
        return BAD
    return amount.quantize(CENT)


def plain_number(number: str, has_unit: bool) -> str | None:
    """Digits with '.' and ',' -> a plain decimal string; one separator before exactly three
    digits is a thousands separator (169.000), unless a unit follows (2,5 juta)."""
    dots, commas = number.count("."), number.count(",")
    if dots and commas:
        decimal_sep = "," if number.rfind(",") > number.rfind(".") else "."
        thousands = "." if decimal_sep == "," else ","
        whole, _, frac = number.rpartition(decimal_sep)
        if not re.fullmatch(r"[0-9]{1,3}(" + re.escape(thousands) + r"[0-9]{3})*", whole):
            return None
        return whole.replace(thousands, "") + "." + frac
    if not dots and not commas:
        return number
    sep = "." if dots else ","
    if dots + commas > 1:
        grouped = re.fullmatch(r"[0-9]{1,3}(" + re.escape(sep) + r"[0-9]{3})*", number)
        return number.replace(sep, "") if grouped else None
    head, _, tail = number.partition(sep)
    if len(tail) == 3 and not has_unit:
        return head + tail
    return head + "." + tail if tail else None


def count(v):
    if is_empty(v):
        return None
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return int(v) if float(v).is_integer() and v >= 0 else BAD
    text = str(v).strip().lstrip("'").replace(".", "").replace(",", "")
    return int(text) if re.fullmatch(r"-?[0-9]+", text) and int(text) >= 0 else BAD


LOCAL_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d",
                 "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d-%m-%Y"]
US_FORMATS = ["%m/%d/%Y", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M"]


def moment(v, us=False):
    """A date/time cell -> (datetime, has_zone), or None when it is not one."""
    if isinstance(v, pd.Timestamp):
        v = v.to_pydatetime()
    if isinstance(v, datetime):
        return v, v.tzinfo is not None
    if isinstance(v, date):
        return datetime(v.year, v.month, v.day), False
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return (datetime(1899, 12, 30) + timedelta(days=float(v)), False) if 1 <= v < 2958466 else None
    text = str(v).strip().lstrip("'")
    if re.fullmatch(r"\d{5}(\.\d+)?", text):
        return datetime(1899, 12, 30) + timedelta(days=float(text)), False
    if re.search(r"(Z|[+-]\d{2}:?\d{2})$", text) and "-" in text[:10]:
        try:
            return datetime.fromisoformat(text.replace("Z", "+00:00")), True
        except ValueError:
            return None
    text = re.sub(r"\.\d+$", "", text)
    for fmt in US_FORMATS if us else LOCAL_FORMATS:
        try:
            return datetime.strptime(text, fmt), False
        except ValueError:
            pass
    return None


def utc(v, naive_hours: int):
    """A timestamp cell -> naive UTC; zone-less values are at UTC+naive_hours (7 = WIB)."""
    if is_empty(v):
        return None
    found = moment(v)
    if found is None:
        return BAD
    value, has_zone = found
    if not has_zone:
        value = value.replace(tzinfo=timezone(timedelta(hours=naive_hours)))
    value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value if 1990 <= value.year < 2050 else BAD


def day(v, us=False):
    if is_empty(v):
        return None
    found = moment(v, us)
    if found is None or not 1990 <= found[0].year < 2050:
        return BAD
    return found[0].date()


def digits(v, n: int):
    text = clean(v)
    if text is None:
        return None
    text = re.sub(r"[\s.\-]", "", text)
    return text if text.isascii() and text.isdigit() and len(text) == n else BAD


def region(code, name):
    code_text = clean(code)
    if code_text is not None:
        text = code_text.replace(".", "").replace(" ", "")
        return text if text in REGION_CODES else BAD
    name_text = clean(name)
    if name_text is None:
        return BAD
    kind, base = split_region(name_text)
    if kind is not None:
        return REGION_BY_NAME.get((kind, base), BAD)
    candidates = REGION_BY_BASE.get(base, [])
    return candidates[0] if len(candidates) == 1 else BAD


def region_cell(v):
    """One column holding a region name or a BPS code, as staff fill a form: empty is no region."""
    text = str(int(v)) if isinstance(v, (int, float)) and not isinstance(v, bool) and not is_empty(v) else clean(v)
    if text is None:
        return None
    if re.fullmatch(r"'?\s*\d{2}\s*\.?\s*\d{2}\s*", text):
        return region(text.lstrip("'"), None)
    return region(None, text)


FORMS_TIME = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2}) (\d{1,2}):(\d{2}):(\d{2}) ([AP]M) GMT([+-]\d{1,2})(?::?(\d{2}))?",
                        re.IGNORECASE)


def forms_utc(v):
    """Google Forms' csv timestamp `2021/08/10 9:03:22 AM GMT+7` -> naive UTC; else a WIB timestamp cell."""
    match = FORMS_TIME.fullmatch(clean(v) or "") if isinstance(v, str) else None
    if match is None:
        return utc(v, 7)
    year, month, mday, hour, minute, second = (int(part) for part in match.groups()[:6])
    if not 1 <= hour <= 12:
        return BAD
    hour = hour % 12 + (12 if match[7].upper() == "PM" else 0)
    zone_hours, zone_minutes = int(match[8]), int(match[9] or 0)
    try:
        local = datetime(year, month, mday, hour, minute, second,
                         tzinfo=timezone(timedelta(hours=zone_hours, minutes=zone_minutes if zone_hours >= 0
                                                   else -zone_minutes)))
    except ValueError:
        return BAD
    value = local.astimezone(timezone.utc).replace(tzinfo=None)
    return value if 1990 <= value.year < 2050 else BAD


def lookup(table: dict, required: bool):
    def parse(v):
        text = clean(v)
        if text is None:
            return BAD if required else None
        return table.get(text.lower(), BAD)
    return parse


def choice(options: dict):
    def parse(v):
        text = clean(v)
        return None if text is None else options.get(text.lower(), BAD)
    return parse


def constraint_list(v):
    text = clean(v)
    if text is None:
        return None
    codes = [lookup(CONSTRAINTS, False)(part) for part in text.split()]
    return BAD if any(code is BAD for code in codes) else text


def umkm_key(nik, nib, salt: str):
    material = f"{salt}|nik|{nik}" if nik is not None else f"{salt}|nib|{nib}"
    return hashlib.sha256(material.encode()).hexdigest()[:32]


# ================================================================ reading the landing zone

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
OPTIONAL = {
    "survey": ["start", "end", "nik_pemilik", "nib", "kode_kabkota", "kabupaten_kota", "skala_usaha", "kendala_utama",
               "kendala", "omzet_sebelum", "omzet_sesudah", "tenaga_kerja_sebelum", "tenaga_kerja_sesudah", "_id",
               "_uuid", "_validation_status"],
    "enrollment": ["nik_pemilik", "nib", "kode_kabkota", "kabupaten_kota"],
    "gofood": ["Transaction Date", "Nett Amount", "Gopay promo", "GoFood discount", "Voucher commission", "Tax",
               "Witholding tax", "Currency"],
    "shopee": ["Waktu Pesanan Selesai", "Nomor Referensi SKU", "Nama Variasi", "Harga Setelah Diskon",
               "Total Harga Produk", "Returned quantity", "Total Pembayaran", "Dibayar Pembeli"],
    "uvo": ["nama_peserta"],
    "mbizmarket": ["Nama Vendor", "Instansi Pembeli", "Satuan Kerja", "PPN", "Ongkos Kirim", "Total Pesanan",
                   "Nama PIC Pembeli", "Email PIC", "No. HP PIC"],
    "training": ["Nama Lengkap", "NIK", "Nomor WhatsApp", "NIB (jika ada)", "Kabupaten/Kota", "Bidang Usaha",
                 "Kehadiran"],
    "lapak_ganjar": ["NIK Pemilik", "NIB", "Kabupaten/Kota", "Bidang Usaha", "Produk", "Tautan Unggahan"],
}
EXTENSIONS = {"survey": (".csv", ".xlsx"), "enrollment": (".csv", ".xlsx"), "gofood": (".csv",),
              "shopee": (".csv", ".xlsx"), "uvo": (".csv", ".json"), "mbizmarket": (".csv", ".xlsx"),
              "training": (".csv", ".xlsx"), "lapak_ganjar": (".csv", ".xlsx")}


def landing_files(landing: Path) -> list[tuple[str, str, Path]]:
    """(source, relative path, path) of every file, in the order they landed (mtime, path);
    temporary names (~$, dot-files, .part, ...) are skipped."""
    found = []
    for path in landing.rglob("*"):
        relative = path.relative_to(landing).as_posix()
        if any(p.startswith(("~$", ".")) or p.lower().endswith((".tmp", ".part", ".crdownload", ".partial", ".swp"))
               for p in relative.split("/")) or path.is_symlink() or not path.is_file() \
                or relative != relative.encode("utf-8", "replace").decode("utf-8"):
            continue
        found.append((path.stat().st_mtime, relative, path))
    found.sort()
    return [(relative.split("/")[0], relative, path) for _, relative, path in found]


def read_text(data: bytes) -> str | None:
    if data[:4] in (b"PK\x03\x04", b"\xd0\xcf\x11\xe0") or data[:3] == b"\xff\xd8\xff" or data[:4] == b"%PDF":
        return None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="strict")


def read_file(source: str, relative: str, path: Path) -> pd.DataFrame | None:
    """One landing file as a DataFrame with the contract's column names, or None when it
    cannot be used (the pipeline quarantines it)."""
    suffix = path.suffix.lower()
    if source not in EXTENSIONS or suffix not in EXTENSIONS[source]:
        return None
    try:
        if suffix == ".xlsx":
            sheets = pd.read_excel(path, sheet_name=None, engine="calamine", dtype=object, header=None)
            frame = sheets.get("orders") if source == "shopee" and "orders" in sheets else next(iter(sheets.values()))
            frame = frame.dropna(how="all")
            frame.columns = [str(c).strip() for c in frame.iloc[0]]
            frame = frame.iloc[1:]
        elif suffix == ".json":
            document = json.loads(read_text(path.read_bytes()))
            records = document.get("transaksi") if isinstance(document, dict) else document
            if not isinstance(records, list) or not records or not all(isinstance(r, dict) for r in records):
                return None
            frame = pd.DataFrame(records)
        else:
            data = path.read_bytes()
            if len(data) > 1 << 20 and b"\n" not in data[:1 << 20]:
                return None     # one huge line is no CSV export
            text = read_text(data)
            if text is None or not text.strip():
                return None
            first_line = next(line for line in text.splitlines() if line.strip())
            delimiter = max([",", ";", "\t"], key=lambda d: first_line.count(d))
            frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False,
                                on_bad_lines="skip", quoting=csv.QUOTE_MINIMAL)
            frame.columns = [c.strip().lstrip("\ufeff").strip() for c in frame.columns]
    except Exception:
        return None
    # columns by name, case- and space-insensitive
    wanted = {" ".join(c.lower().split()): c for c in REQUIRED[source] + OPTIONAL[source]}
    keys = [" ".join(str(c).lower().split()) for c in frame.columns]
    if any(keys.count(k) > 1 for k in wanted):
        return None
    frame = frame.rename(columns={c: wanted[k] for c, k in zip(frame.columns, keys) if k in wanted})
    frame = frame[[c for c in frame.columns if c in wanted.values()]]
    if not set(REQUIRED[source]) <= set(frame.columns):
        return None
    if source in ("survey", "enrollment") and not ({"nik_pemilik", "nib"} & set(frame.columns)
                                                   and {"kode_kabkota", "kabupaten_kota"} & set(frame.columns)):
        return None
    if source == "lapak_ganjar" and not {"NIK Pemilik", "NIB"} & set(frame.columns):
        return None
    if source == "shopee":
        if not {"Harga Setelah Diskon", "Total Harga Produk"} & set(frame.columns):
            return None
        parts = relative.split("/")
        if len(parts) != 3 or not parts[1].strip():
            return None
        frame["shop_id"] = parts[1].strip()
    frame = frame.reset_index(drop=True)
    frame["columns_present"] = [frozenset(frame.columns)] * len(frame)
    frame["row"] = np.arange(1, len(frame) + 1)
    return frame


def load_landing(landing: Path) -> dict[str, pd.DataFrame]:
    """Every usable file, concatenated per source; a second delivery of the same bytes is skipped."""
    frames = {source: [] for source in REQUIRED}
    seen = set()
    for rank, (source, relative, path) in enumerate(landing_files(landing)):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest in seen:
            continue
        frame = read_file(source, relative, path)
        if frame is None:
            continue
        seen.add(digest)
        frame["file_rank"] = rank
        frames[source].append(frame)
    # a source without a usable file (a zone written before it existed): no rows, its columns
    empty = {source: pd.DataFrame({c: pd.Series(dtype=object) for c in REQUIRED[source] + OPTIONAL[source]
                                   + ["columns_present", "row", "file_rank", "shop_id"]}) for source in frames}
    return {source: pd.concat(parts, ignore_index=True) if parts else empty[source]
            for source, parts in frames.items()}


def col(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name] if name in frame else pd.Series([None] * len(frame), index=frame.index, dtype=object)


def rejected(*columns: pd.Series) -> pd.Series:
    return pd.concat([c.map(lambda v: v is BAD) for c in columns], axis=1).any(axis=1)


# ================================================================ sources -> clean rows

def survey_rows(raw: pd.DataFrame, salt: str) -> pd.DataFrame:
    df = pd.DataFrame({"file_rank": raw["file_rank"], "row": raw["row"]})
    df["survey_period"] = col(raw, "periode_survei").map(period)
    df["nik"] = col(raw, "nik_pemilik").map(lambda v: digits(v, 16))
    df["nib"] = col(raw, "nib").map(lambda v: digits(v, 13))
    df["region_code"] = [region(c, n) for c, n in zip(col(raw, "kode_kabkota"), col(raw, "kabupaten_kota"))]
    df["sector_code"] = col(raw, "sektor_usaha").map(lookup(SECTORS, True))
    df["is_impacted"] = col(raw, "terdampak_covid").map(choice({"ya": True, "yes": True, "1": True, "tidak": False,
                                                                "no": False, "0": False}))
    df["submitted_at_utc"] = col(raw, "_submission_time").map(lambda v: utc(v, 0))
    df["business_name"] = col(raw, "nama_usaha").map(clean)
    df["scale"] = col(raw, "skala_usaha").map(choice({"mikro": "mikro", "kecil": "kecil", "menengah": "menengah"}))
    df["primary_constraint_code"] = col(raw, "kendala_utama").map(lookup(CONSTRAINTS, False))
    df["turnover_before_idr"] = col(raw, "omzet_sebelum").map(money)
    df["turnover_after_idr"] = col(raw, "omzet_sesudah").map(money)
    df["workers_before"] = col(raw, "tenaga_kerja_sebelum").map(count)
    df["workers_after"] = col(raw, "tenaga_kerja_sesudah").map(count)
    df["validation_status"] = col(raw, "_validation_status").map(lambda v: clean(v) and clean(v).strip() or None)
    df["submission_id"] = col(raw, "_id").map(clean)
    df["submission_uuid"] = col(raw, "_uuid").map(clean)
    checks = [col(raw, "start").map(lambda v: utc(v, 7)), col(raw, "end").map(lambda v: utc(v, 7)),
              col(raw, "kendala").map(constraint_list)]
    bad = rejected(*[df[c] for c in df.columns], *checks)
    bad |= df["nik"].isna() & df["nib"].isna()
    bad |= df[["survey_period", "region_code", "sector_code", "is_impacted", "submitted_at_utc",
               "business_name"]].isna().any(axis=1)
    df = df[~bad].copy()
    # the same Kobo submission twice in one file counts once: keep the file's first row
    present = raw.loc[df.index, "columns_present"]
    has_id, has_uuid = present.map(lambda c: "_id" in c), present.map(lambda c: "_uuid" in c)
    df["dup_id"] = df["submission_id"].where(has_id)
    df["dup_uuid"] = df["submission_uuid"].where(has_uuid)
    keyed = (has_id | has_uuid) & (~has_id | df["submission_id"].notna()) & (~has_uuid | df["submission_uuid"].notna())
    repeated = df[keyed].sort_values("row").duplicated(["file_rank", "dup_id", "dup_uuid"])
    df = df.drop(repeated[repeated].index)
    df["umkm_key"] = [umkm_key(n, b, salt) for n, b in zip(df["nik"], df["nib"])]
    df["submitted_date_wib"] = (df["submitted_at_utc"] + WIB).map(lambda t: t.date())
    return df


def period(v):
    if isinstance(v, (datetime, date)):
        return v.strftime("%Y-%m")
    text = clean(v)
    if text is None:
        return None
    match = re.fullmatch(r"(\d{4})-(\d{1,2})(-\d{1,2})?", text)
    return f"{match[1]}-{int(match[2]):02d}" if match and 1 <= int(match[2]) <= 12 else BAD


def enrollment_rows(raw: pd.DataFrame, salt: str) -> pd.DataFrame:
    df = pd.DataFrame({"file_rank": raw["file_rank"], "row": raw["row"]})
    df["program_id"] = col(raw, "program_id").map(clean).map(lambda p: p if p is None or p in PROGRAM_IDS else BAD)
    df["nik"] = col(raw, "nik_pemilik").map(lambda v: digits(v, 16))
    df["nib"] = col(raw, "nib").map(lambda v: digits(v, 13))
    df["region_code"] = [region(c, n) for c, n in zip(col(raw, "kode_kabkota"), col(raw, "kabupaten_kota"))]
    df["sector_code"] = col(raw, "sektor_usaha").map(lookup(SECTORS, True))
    df["platform_merchant_id"] = col(raw, "platform_merchant_id").map(clean)
    df["joined_date"] = col(raw, "tanggal_bergabung").map(day)
    df["business_name"] = col(raw, "nama_usaha").map(clean)
    bad = rejected(*[df[c] for c in df.columns]) | (df["nik"].isna() & df["nib"].isna())
    bad |= df[["program_id", "platform_merchant_id", "joined_date", "business_name"]].isna().any(axis=1)
    df = df[~bad].copy()
    df["umkm_key"] = [umkm_key(n, b, salt) for n, b in zip(df["nik"], df["nib"])]
    return df


def gofood_rows(raw: pd.DataFrame) -> pd.DataFrame:
    df = pd.DataFrame({"file_rank": raw["file_rank"], "row": raw["row"]})
    df["order_id"] = col(raw, "Transaction ID").map(clean)
    df["order_ts_utc"] = col(raw, "Transaction time").map(lambda v: utc(v, 0))
    df["amount_idr"] = col(raw, "Amount").map(money)
    df["status_raw"] = col(raw, "Transaction Status").map(clean)
    df["feature"] = col(raw, "Feature").map(clean)
    df["platform_merchant_id"] = col(raw, "Merchant ID").map(clean)
    checks = [col(raw, "Transaction Date").map(lambda v: day(v, us=True)),
              col(raw, "Currency").map(lambda v: "IDR" if (clean(v) or "IDR").upper() == "IDR" else BAD)]
    checks += [col(raw, c).map(money) for c in ["Nett Amount", "Gopay promo", "GoFood discount", "Voucher commission",
                                                "Tax", "Witholding tax"]]
    bad = rejected(*[df[c] for c in df.columns], *checks)
    bad |= df[["order_id", "order_ts_utc", "amount_idr", "status_raw", "platform_merchant_id"]].isna().any(axis=1)
    df = df[~bad].copy()
    df["platform"] = "gofood"
    df["order_date"] = (df["order_ts_utc"] + WIB).map(lambda t: t.date())
    df["is_counted"] = df["status_raw"].str.strip().str.lower().isin(["settlement", "completed"])
    df["buyer_country"], df["currency"] = "ID", "IDR"
    df["amount_original"] = df["amount_idr"]
    return latest_first(df, ["order_id"])


def shopee_rows(raw: pd.DataFrame) -> pd.DataFrame:
    df = pd.DataFrame({"file_rank": raw["file_rank"], "row": raw["row"], "shop_id": raw["shop_id"]})
    present = raw["columns_present"]
    df["order_id"] = col(raw, "No. Pesanan").map(clean)
    df["status"] = col(raw, "Status Pesanan").map(clean)
    df["created"] = col(raw, "Waktu Pesanan Dibuat").map(lambda v: utc(v, 7))
    df["quantity"] = col(raw, "Jumlah").map(count)
    df["returned"] = col(raw, "Returned quantity").map(count)
    df["sku_ref"] = col(raw, "Nomor Referensi SKU").map(clean).fillna("")
    df["variation_name"] = col(raw, "Nama Variasi").map(clean).fillna("")
    has_price = present.map(lambda c: "Harga Setelah Diskon" in c)
    price = col(raw, "Harga Setelah Diskon").map(money)
    line_total = col(raw, "Total Harga Produk").map(money)
    df["price"] = price.where(has_price, line_total)
    total = col(raw, "Total Pembayaran").map(money).where(present.map(lambda c: "Total Pembayaran" in c),
                                                          col(raw, "Dibayar Pembeli").map(money))
    checks = [col(raw, "Waktu Pesanan Selesai").map(lambda v: utc(v, 7)), total]
    bad = rejected(*[df[c] for c in df.columns], *checks)
    bad |= df[["order_id", "status", "created", "quantity", "price"]].isna().any(axis=1)
    df = df[~bad].copy()
    df["returned"] = df["returned"].fillna(0).astype(int)
    df["quantity"] = df["quantity"].astype(int)
    df = df[df["returned"] <= df["quantity"]]
    # the older layout may give only the line total: unit price = total / quantity, half-even
    old = ~has_price.loc[df.index]
    df.loc[old, "price"] = [(t / q).quantize(t) if q else None
                            for t, q in zip(df.loc[old, "price"], df.loc[old, "quantity"])]
    df = latest_first(df, ["shop_id", "order_id", "sku_ref", "variation_name"])
    df["line_turnover"] = [p * (q - r) if p is not None else None
                           for p, q, r in zip(df["price"], df["quantity"], df["returned"])]
    totals = df.groupby(["shop_id", "order_id"])["line_turnover"].apply(lambda s: sum(x for x in s if x is not None))
    latest = df.sort_values(["file_rank", "row"], ascending=False).drop_duplicates(["shop_id", "order_id"])
    orders = latest.merge(totals.rename("amount_idr").reset_index(), on=["shop_id", "order_id"])
    return pd.DataFrame({
        "platform": "shopee", "order_id": orders["order_id"], "platform_merchant_id": orders["shop_id"],
        "feature": None,
        "order_date": (orders["created"] + WIB).map(lambda t: t.date()), "order_ts_utc": orders["created"],
        "status_raw": orders["status"].str.strip(), "is_counted": orders["status"].str.strip() == "Selesai",
        "buyer_country": "ID", "currency": "IDR", "amount_original": orders["amount_idr"],
        "amount_idr": orders["amount_idr"]})


def uvo_rows(raw: pd.DataFrame) -> pd.DataFrame:
    df = pd.DataFrame({"file_rank": raw["file_rank"], "row": raw["row"]})
    df["order_id"] = col(raw, "id_transaksi").map(clean)
    df["platform_merchant_id"] = col(raw, "id_peserta").map(clean)
    df["order_ts_utc"] = col(raw, "tanggal_transaksi").map(lambda v: utc(v, 7))
    df["buyer_country"] = col(raw, "negara_pembeli").map(
        lambda v: None if clean(v) is None else clean(v).upper() if re.fullmatch(r"[A-Za-z]{2}", clean(v)) else BAD)
    df["currency"] = col(raw, "mata_uang").map(lambda v: None if clean(v) is None else clean(v).upper())
    df["amount_original"] = col(raw, "nilai").map(money)
    df["status_raw"] = col(raw, "status").map(choice({"lunas": "lunas", "batal": "batal", "menunggu": "menunggu"}))
    nested = raw[[c for c in REQUIRED["uvo"] + OPTIONAL["uvo"] if c in raw]] \
        .apply(lambda c: c.map(lambda v: isinstance(v, (dict, list))))
    bad = rejected(*[df[c] for c in df.columns]) | nested.any(axis=1) | df.drop(columns=["row"]).isna().any(axis=1)
    df = df[~bad].copy()
    df["order_date"] = (df["order_ts_utc"] + WIB).map(lambda t: t.date())
    df["rate"] = [FX_RATES.get((d.strftime("%Y-%m"), c)) for d, c in zip(df["order_date"], df["currency"])]
    df = df[df["rate"].notna()]     # a currency or month without a rate is a row error, never a zero
    df["amount_idr"] = [(a * r).quantize(CENT, ROUND_HALF_UP) for a, r in zip(df["amount_original"], df["rate"])]
    df["platform"], df["feature"] = "uvo", None
    df["is_counted"] = df["status_raw"] == "lunas"
    return latest_first(df, ["order_id"])


MBIZ_STATUSES = {s.lower(): s for s in ("Menunggu Konfirmasi", "Diproses", "Dikirim", "Diterima", "Selesai",
                                          "Dibatalkan", "Ditolak")}


def mbizmarket_rows(raw: pd.DataFrame) -> pd.DataFrame:
    """Mbizmarket orders: Subtotal is the turnover; the parts must make Total Pesanan (within Rp 1)."""
    df = pd.DataFrame({"file_rank": raw["file_rank"], "row": raw["row"]})
    df["order_id"] = col(raw, "No. Pesanan").map(clean)
    df["order_ts_utc"] = col(raw, "Tanggal Pesanan").map(lambda v: utc(v, 7))
    df["platform_merchant_id"] = col(raw, "ID Vendor").map(clean)
    df["amount_idr"] = col(raw, "Subtotal").map(money)
    df["status_raw"] = col(raw, "Status Pesanan").map(choice(MBIZ_STATUSES))
    vat, shipping, total = (col(raw, c).map(money) for c in ("PPN", "Ongkos Kirim", "Total Pesanan"))
    bad = rejected(*[df[c] for c in df.columns], vat, shipping, total)
    bad |= df[["order_id", "order_ts_utc", "platform_merchant_id", "amount_idr", "status_raw"]].isna().any(axis=1)
    parts = [None if b or s is None or t is None else abs(s + (v or 0) + (h or 0) - t)
             for b, s, v, h, t in zip(bad, df["amount_idr"], vat, shipping, total)]
    bad |= pd.Series([p is not None and p > 1 for p in parts], index=df.index)
    df = df[~bad].copy()
    df["platform"], df["feature"], df["buyer_country"], df["currency"] = "mbizmarket", None, "ID", "IDR"
    df["order_date"] = (df["order_ts_utc"] + WIB).map(lambda t: t.date())
    df["is_counted"] = df["status_raw"] == "Selesai"
    df["amount_original"] = df["amount_idr"]
    return latest_first(df, ["order_id"])


def business_rows(raw: pd.DataFrame, df: pd.DataFrame, nik: str, nib: str, salt: str,
                  required: list[str]) -> pd.DataFrame:
    """The columns a training list and the Lapak Ganjar log share; the rows that break a rule left out."""
    df["nik"] = col(raw, nik).map(lambda v: digits(v, 16))
    df["nib"] = col(raw, nib).map(lambda v: digits(v, 13))
    df["business_name"] = col(raw, "Nama Usaha").map(clean)
    df["region_code"] = col(raw, "Kabupaten/Kota").map(region_cell)
    df["sector_code"] = col(raw, "Bidang Usaha").map(lookup(SECTORS, False))
    bad = rejected(*[df[c] for c in df.columns]) | (df["nik"].isna() & df["nib"].isna())
    bad |= df[required + ["business_name"]].isna().any(axis=1)
    df = df[~bad].copy()
    df["umkm_key"] = [umkm_key(n, b, salt) for n, b in zip(df["nik"], df["nib"])]
    return df


def training_rows(raw: pd.DataFrame, salt: str) -> pd.DataFrame:
    """Training lists, one row per (activity, UMKM): the latest landed row (a repeat inside a file is
    no error: its last row), attended when any of its rows says Hadir."""
    df = pd.DataFrame({"file_rank": raw["file_rank"], "row": raw["row"]})
    df["activity_id"] = col(raw, "Kode Kegiatan").map(clean).map(lambda a: a if a is None or a in ACTIVITY_IDS
                                                                   else BAD)
    df["registered_utc"] = col(raw, "Timestamp").map(forms_utc)
    df["attendance"] = col(raw, "Kehadiran").map(choice({"hadir": "Hadir", "tidak hadir": "Tidak Hadir"}))
    df = business_rows(raw, df, "NIK", "NIB (jika ada)", salt, ["activity_id", "registered_utc"])
    df["registered_date_wib"] = (df["registered_utc"] + WIB).map(lambda t: t.date())
    group = df.groupby(["activity_id", "umkm_key"])
    df["first_registered_date_wib"] = group["registered_date_wib"].transform("min")
    df["attended"] = (df["attendance"] == "Hadir").groupby([df["activity_id"], df["umkm_key"]]).transform("any")
    return df.sort_values(["file_rank", "row"], ascending=False).drop_duplicates(["activity_id", "umkm_key"])


def lapak_ganjar_rows(raw: pd.DataFrame, salt: str) -> pd.DataFrame:
    """The Lapak Ganjar log, one promotion per (day, UMKM): its latest landed row; days in 2020-2030."""
    df = pd.DataFrame({"file_rank": raw["file_rank"], "row": raw["row"]})
    df["shown_date"] = col(raw, "Tanggal Tayang").map(day).map(
        lambda d: d if d is None or d is BAD or date(2020, 1, 1) <= d <= date(2030, 12, 31) else BAD)
    df = business_rows(raw, df, "NIK Pemilik", "NIB", salt, ["shown_date"])
    return df.sort_values(["file_rank", "row"], ascending=False).drop_duplicates(["shown_date", "umkm_key"])


def latest_first(df: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    """The latest landed file wins; inside one file its first row (a repeat is rejected)."""
    return df.sort_values(["file_rank", "row"], ascending=[False, True]).drop_duplicates(key)


# ================================================================ marts

def build(landing: Path, salt: str) -> dict[str, pd.DataFrame]:
    raw = load_landing(landing)
    survey = survey_rows(raw["survey"], salt)
    survey = survey[survey["validation_status"].fillna("") != "validation_status_not_approved"].copy()
    survey["first_submitted_date_wib"] = survey.groupby(["survey_period", "umkm_key"])["submitted_date_wib"] \
                                               .transform("min")
    survey = survey.sort_values(["submitted_at_utc", "file_rank", "row"], ascending=False) \
                   .drop_duplicates(["survey_period", "umkm_key"])

    enrollments = latest_first(enrollment_rows(raw["enrollment"], salt), ["program_id", "platform_merchant_id"])
    enrollments = enrollments.merge(PROGRAMS[["program_id", "platform", "feature"]], on="program_id", how="left")

    columns = ["platform", "order_id", "platform_merchant_id", "feature", "order_date", "order_ts_utc", "status_raw",
               "is_counted", "buyer_country", "currency", "amount_original", "amount_idr"]
    orders = pd.concat([gofood_rows(raw["gofood"])[columns], shopee_rows(raw["shopee"])[columns],
                        uvo_rows(raw["uvo"])[columns], mbizmarket_rows(raw["mbizmarket"])[columns]],
                       ignore_index=True)
    merchants = enrollments.sort_values(["file_rank", "row"], ascending=False) \
                           .drop_duplicates(["platform", "platform_merchant_id"])
    orders = orders.merge(merchants[["platform", "platform_merchant_id", "umkm_key"]],
                          on=["platform", "platform_merchant_id"], how="left")

    matched = enrollments[["program_id", "platform_merchant_id", "umkm_key", "joined_date"]] \
        .merge(PROGRAMS, on="program_id").merge(orders[orders["is_counted"]].drop(columns="umkm_key"),
                                                on=["platform", "platform_merchant_id"], suffixes=("_program", ""))
    matched = matched[(matched["feature_program"].isna()
                       | (matched["feature"].str.lower() == matched["feature_program"].str.lower()))
                      & (matched["order_date"] >= matched["start_date"])
                      & (matched["order_date"] <= matched["end_date"])
                      & (matched["order_date"] >= matched["joined_date"])].copy()
    matched["month"] = matched["order_date"].map(lambda d: d.replace(day=1))
    matched["foreign_idr"] = [a if c != "ID" else Decimal(0)
                              for a, c in zip(matched["amount_idr"], matched["buyer_country"])]

    training = training_rows(raw["training"], salt)
    promotions = lapak_ganjar_rows(raw["lapak_ganjar"], salt)
    dim_umkm = build_dim_umkm(survey, enrollments, training, promotions)
    marts = {
        "mart_impact_summary": impact_summary(survey),
        "mart_turnover_monthly": turnover_monthly(matched, dim_umkm),
        "mart_program_summary": program_summary(matched, enrollments),
    }
    return marts | {"dim_umkm": dim_umkm, "fct_orders": orders}


def build_dim_umkm(survey: pd.DataFrame, enrollments: pd.DataFrame, training: pd.DataFrame,
                   promotions: pd.DataFrame) -> pd.DataFrame:
    """Every UMKM of the registry, the survey, a training list or the Lapak Ganjar log. Business name,
    region and sector each from the first of these sources (in that order) that has one, within a
    source the latest landed record; nib the latest landed of any source; scale from the survey."""
    keep = ["precedence", "umkm_key", "nib", "business_name", "region_code", "sector_code", "record_ts", "record_date",
            "file_rank", "row"]
    records = pd.concat([
        enrollments.assign(precedence=1, record_ts=pd.to_datetime(enrollments["joined_date"]),
                           record_date=enrollments["joined_date"])[keep],
        survey.assign(precedence=2, record_ts=survey["submitted_at_utc"],
                      record_date=survey["first_submitted_date_wib"])[keep],
        training.assign(precedence=3, record_ts=training["registered_utc"],
                        record_date=training["first_registered_date_wib"])[keep],
        promotions.assign(precedence=4, record_ts=pd.to_datetime(promotions["shown_date"]),
                          record_date=promotions["shown_date"])[keep],
    ], ignore_index=True)
    records["record_ts"] = pd.to_datetime(records["record_ts"])
    # latest landed first: file, then record time (missing last), then row; nulls of each attribute skipped
    records = records.sort_values(["file_rank", "record_ts", "row"], ascending=False, na_position="last")
    dim = records.groupby("umkm_key")["record_date"].min().rename("first_seen_date").reset_index()
    by_precedence = records.sort_values("precedence", kind="stable")
    for attribute, ordered in (("business_name", by_precedence), ("region_code", by_precedence),
                               ("sector_code", by_precedence), ("nib", records)):
        first = ordered[ordered[attribute].notna()].drop_duplicates("umkm_key")
        dim = dim.merge(first[["umkm_key", attribute]], on="umkm_key", how="left")
    scales = survey[survey["scale"].notna()].sort_values(["survey_period", "submitted_at_utc", "file_rank", "row"],
                                                         ascending=False).drop_duplicates("umkm_key")
    return dim.merge(scales[["umkm_key", "scale"]], on="umkm_key", how="left")


def decimal_sum(values) -> Decimal:
    return sum((v for v in values if v is not None), Decimal(0))


def impact_summary(survey: pd.DataFrame) -> pd.DataFrame:
    s = survey.copy()
    impacted = s["is_impacted"]
    for code in ["marketing", "capital", "raw_materials", "distribution", "production", "labour", "other"]:
        s[f"n_constraint_{code}"] = (impacted & (s["primary_constraint_code"] == code)).astype(int)
    s["n_impacted"] = impacted.astype(int)
    for column in ["turnover_before_idr", "turnover_after_idr", "workers_before", "workers_after"]:
        s[column] = s[column].where(impacted, None)
    grouped = s.groupby(["survey_period", "region_code", "sector_code", "scale"], dropna=False)
    out = grouped.agg(n_respondents=("umkm_key", "size"), n_impacted=("n_impacted", "sum"),
                      **{f"n_constraint_{c}": (f"n_constraint_{c}", "sum") for c in
                         ["marketing", "capital", "raw_materials", "distribution", "production", "labour", "other"]},
                      turnover_before_idr=("turnover_before_idr", decimal_sum),
                      turnover_after_idr=("turnover_after_idr", decimal_sum),
                      workers_before=("workers_before", lambda v: int(v.dropna().sum())),
                      workers_after=("workers_after", lambda v: int(v.dropna().sum())))
    return out.reset_index()


def turnover_monthly(matched: pd.DataFrame, dim_umkm: pd.DataFrame) -> pd.DataFrame:
    m = matched.merge(dim_umkm[["umkm_key", "region_code", "sector_code"]], on="umkm_key", how="left")
    out = m.groupby(["month", "program_id", "region_code", "sector_code"], dropna=False).agg(
        n_active_umkm=("umkm_key", "nunique"), n_orders=("order_id", "size"),
        turnover_idr=("amount_idr", decimal_sum), turnover_foreign_idr=("foreign_idr", decimal_sum))
    return out.reset_index()


def program_summary(matched: pd.DataFrame, enrollments: pd.DataFrame) -> pd.DataFrame:
    foreign = matched[matched["buyer_country"] != "ID"]
    summed = matched.groupby("program_id").agg(
        n_active_umkm=("umkm_key", "nunique"), n_orders=("order_id", "size"), turnover_idr=("amount_idr", decimal_sum),
        turnover_foreign_idr=("foreign_idr", decimal_sum), first_order_date=("order_date", "min"),
        last_order_date=("order_date", "max"))
    summed["n_buyer_countries"] = foreign.groupby("program_id")["buyer_country"].nunique()
    enrolled = enrollments.groupby("program_id")["umkm_key"].nunique().rename("n_enrolled_umkm")
    out = PROGRAMS[["program_id", "program_name", "platform"]].merge(enrolled, on="program_id", how="left") \
                                                           .merge(summed, on="program_id", how="left")
    for column in ["n_enrolled_umkm", "n_active_umkm", "n_orders", "n_buyer_countries"]:
        out[column] = out[column].fillna(0).astype(int)
    for column in ["turnover_idr", "turnover_foreign_idr"]:
        out[column] = out[column].map(lambda v: Decimal(0) if not isinstance(v, Decimal) else v)
    return out


# ================================================================ output

MONEY = pa.decimal128(18, 2)
SCHEMAS = {
    "mart_impact_summary": [("survey_period", pa.string()), ("region_code", pa.string()), ("sector_code", pa.string()),
                            ("scale", pa.string()), ("n_respondents", pa.int64()), ("n_impacted", pa.int64())]
    + [(f"n_constraint_{c}", pa.int64()) for c in ["marketing", "capital", "raw_materials", "distribution",
                                                   "production", "labour", "other"]]
    + [("turnover_before_idr", MONEY), ("turnover_after_idr", MONEY), ("workers_before", pa.int64()),
       ("workers_after", pa.int64())],
    "mart_turnover_monthly": [("month", pa.date32()), ("program_id", pa.string()), ("region_code", pa.string()),
                              ("sector_code", pa.string()), ("n_active_umkm", pa.int64()), ("n_orders", pa.int64()),
                              ("turnover_idr", MONEY), ("turnover_foreign_idr", MONEY)],
    "mart_program_summary": [("program_id", pa.string()), ("program_name", pa.string()), ("platform", pa.string()),
                             ("n_enrolled_umkm", pa.int64()), ("n_active_umkm", pa.int64()), ("n_orders", pa.int64()),
                             ("turnover_idr", MONEY), ("turnover_foreign_idr", MONEY),
                             ("n_buyer_countries", pa.int64()),
                             ("first_order_date", pa.date32()), ("last_order_date", pa.date32())],
}


def write_parquet(frame: pd.DataFrame, schema: list, path: Path) -> None:
    frame = frame.astype(object).where(frame.notna(), None)
    arrays = [pa.array(frame[name].tolist(), type=kind) for name, kind in schema]
    pq.write_table(pa.Table.from_arrays(arrays, schema=pa.schema(schema)), path)


def run(landing: Path, salt: str, out: Path) -> dict:
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    tables = build(landing, salt)
    for mart, schema in SCHEMAS.items():
        write_parquet(tables[mart], schema, out / f"{mart}.parquet")
    dim, fct = tables["dim_umkm"], tables["fct_orders"]
    report = {
        "seconds": round(time.perf_counter() - started, 3),
        "rows": {mart: len(tables[mart]) for mart in SCHEMAS},
        "checks": {"dim_umkm_rows": len(dim), "dim_umkm_nib": int(dim["nib"].notna().sum()),
                   "dim_umkm_scale": int(dim["scale"].notna().sum()),
                   "dim_umkm_region": int(dim["region_code"].notna().sum()),
                   "dim_umkm_sector": int(dim["sector_code"].notna().sum()), "fct_orders_rows": len(fct),
                   "fct_orders_with_umkm": int(fct["umkm_key"].notna().sum()),
                   "fct_orders_counted": int(fct["is_counted"].sum()),
                   "fct_orders_amount_idr": str(decimal_sum(fct["amount_idr"])),
                   "fct_orders_by_platform": {
                       platform: [len(orders), int(orders["umkm_key"].notna().sum()), int(orders["is_counted"].sum()),
                                  str(decimal_sum(orders["amount_idr"]))]
                       for platform, orders in sorted(fct.groupby("platform"), key=lambda pair: pair[0])}},
    }
    (out / "reference_pandas.json").write_text(json.dumps(report, indent=2))
    return report


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__.splitlines()[2].strip(), file=sys.stderr)
        return 2
    print(json.dumps(run(Path(argv[0]).resolve(), argv[1], Path(argv[2]).resolve()), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
