"""A realistic demo landing zone: what the SME office receives from its five sources in 2021-2022.

`write_demo_landing(landing_dir, scale, seed)` writes KoboToolbox survey exports, the program
registry, GoBiz transaction reports, Shopee Seller Centre order exports and UKM Virtual Expo
exports the way those tools write them (data contract, section 2), including the untidy parts:
mixed money and region spellings, duplicate submissions, re-run reports, overlapping exports,
a few bad rows of each kind, broken files, duplicate deliveries and temporary files.

Determinism: the same (scale, seed) gives byte-identical files and identical mtimes. Every
random draw comes from a generator seeded with (seed, stream), xlsx files are written by a small
zip/XML writer with fixed timestamps, and each file's mtime is its (fixed, 2021-2022) delivery
time, strictly increasing in delivery order, so "latest landed wins" has a clear order. A file
that already holds the right bytes is not rewritten: running the demo again changes nothing.

Speed: tables are built column-wise with numpy (strings assembled from digit matrices, not
formatted row by row); only files are looped over. Scale 1 writes ~30k rows in a few seconds.
"""

from __future__ import annotations

import csv
import io
import math
import os
import time
import zipfile
from dataclasses import dataclass, field
from functools import reduce
from pathlib import Path

import numpy as np
import pandas as pd

SEEDS_DIR = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds"
WIB = 7 * 3600                   # Asia/Jakarta, UTC+7, no daylight saving
DAY = 86400
XLSX_MAX_ROWS = 1_048_575        # Excel's limit below the header: bigger tables go to csv
SOURCES = ("survey", "enrollment", "gofood", "shopee", "uvo")


# ================================================================ vocabularies
# Owner and buyer names (personal data) and business names come from disjoint word lists, so a
# business name can never contain an owner's name (checked by `_check_vocabularies`).

MALE_FIRST = ["Agus", "Budi", "Bambang", "Joko", "Slamet", "Eko", "Heru", "Wahyu", "Teguh", "Hadi",
              "Sugeng", "Yusuf", "Rudi", "Andi", "Arif", "Dedi", "Hendra", "Imam", "Ahmad", "Muhammad",
              "Rizky", "Fajar", "Bayu", "Dimas", "Gilang", "Yoga", "Anton", "Darmaji", "Suparno", "Tri"]
FEMALE_FIRST = ["Sri", "Siti", "Dewi", "Endang", "Rina", "Wulan", "Ani", "Yuni", "Ratna", "Nurul",
                "Fitri", "Indah", "Rini", "Ayu", "Diah", "Eni", "Tutik", "Umi", "Puji", "Retno", "Maya",
                "Novi", "Dian", "Lina", "Ika", "Yanti", "Ningsih", "Kartika", "Susi", "Erna"]
MALE_LAST = ["Santoso", "Wijaya", "Setiawan", "Susanto", "Prasetyo", "Hidayat", "Nugroho", "Wibowo",
             "Saputra", "Kurniawan", "Haryanto", "Sulistyo", "Sutrisno", "Permana", "Firmansyah",
             "Hartono", "Widodo", "Subagyo", "Purnomo", "Gunawan", "Siswanto", "Hermawan"]
FEMALE_LAST = ["Rahayu", "Wahyuni", "Handayani", "Pratiwi", "Suryani", "Utami", "Purnamasari",
               "Mulyani", "Rahmawati", "Anggraini", "Astuti", "Susilowati", "Kusumawati", "Lestiani",
               "Fitriani", "Wulandari", "Setyaningsih", "Hastuti", "Maharani", "Safitri"]

SECTOR_CHOICES = ["makanan_minuman", "perdagangan", "jasa", "kerajinan", "fashion", "pertanian", "lainnya"]
SECTOR_WEIGHTS = [0.61, 0.12, 0.08, 0.07, 0.07, 0.03, 0.02]
# what the office's staff type into the registry for the same sectors
SECTOR_TYPED = [["Makanan dan Minuman", "Kuliner", "makanan_minuman", "Makanan & Minuman"],
                ["Perdagangan", "perdagangan"], ["Jasa", "jasa"], ["Kerajinan", "kerajinan"],
                ["Fashion", "Busana", "fashion"], ["Pertanian", "Pertanian dan Perikanan"], ["Lainnya"]]
BIZ_PREFIX = [
    ["Warung", "Keripik", "Bakso", "Soto", "Dapur", "Kedai", "Sambal", "Kopi", "Roti", "Kue",
     "Bandeng Presto", "Lumpia", "Wingko", "Jenang", "Nasi Kucing", "Mie Ayam", "Pecel", "Dawet",
     "Catering", "Frozen Food", "Tahu Bakso", "Emping", "Rengginang", "Gethuk", "Brem", "Geplak"],
    ["Toko", "Toko Kelontong", "Grosir", "Warung Sembako", "Agen", "Toko Plastik", "Kios"],
    ["Laundry", "Bengkel", "Salon", "Penjahit", "Fotocopy", "Servis HP", "Rias Pengantin", "Percetakan"],
    ["Kerajinan", "Anyaman", "Ukir", "Gerabah", "Mebel", "Kriya", "Tenun", "Souvenir"],
    ["Batik", "Konveksi", "Butik", "Lurik", "Hijab", "Sablon", "Tas", "Sepatu"],
    ["Tani", "Ternak", "Budidaya Lele", "Kebun", "Jamur", "Madu", "Tambak"],
    ["Usaha", "UD", "CV", "Jasa Umum"],
]
BIZ_SUFFIX = ["Barokah", "Berkah", "Sederhana", "Sumber Rejeki", "Makmur", "Sehati", "Rasa",
              "Mulya", "Sentosa", "Lancar", "Sejahtera", "Nusantara", "Kenanga", "Melati",
              "Cempaka", "Mawar", "Gurih", "Nikmat", "Manunggal", "Pelangi", "Tentrem", "Ayem",
              "Rejo", "Sakinah", "Amanah", "Mekar", "Jempol", "Kencana", "Lumintu", "Mandala"]
BIZ_EXTRA = ["Jaya", "Abadi", "Mandiri", "Putra", "Putri", "Asli", "Joss", "Mantap", "Sejati", "Prima"]

CONSTRAINT_CHOICES = ["pemasaran", "permodalan", "bahan_baku", "distribusi", "produksi", "sdm", "lainnya"]
CONSTRAINT_WEIGHTS = [0.53, 0.22, 0.09, 0.07, 0.04, 0.03, 0.02]
PLATFORM_CHOICES = ["gofood", "shopee", "tokopedia", "grabfood", "whatsapp", "instagram", "lainnya"]
SCALE_CHOICES = ["mikro", "kecil", "menengah"]

KOBO_COLUMNS = (["start", "end", "periode_survei", "nik_pemilik", "nama_pemilik", "no_hp", "nib",
                 "nama_usaha", "kode_kabkota", "kabupaten_kota", "sektor_usaha", "skala_usaha",
                 "terdampak_covid", "kendala_utama", "kendala"]
                + [f"kendala/{c}" for c in CONSTRAINT_CHOICES]
                + ["omzet_sebelum", "omzet_sesudah", "tenaga_kerja_sebelum", "tenaga_kerja_sesudah",
                   "platform_digital"]
                + [f"platform_digital/{p}" for p in PLATFORM_CHOICES]
                + ["_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status",
                   "_submitted_by", "__version__", "_tags", "_index"])
KOBO_FILE = "Pendataan_UMKM_Terdampak_Covid-19_-_all_versions_-_False_-_{stamp}"

ENROLL_COLUMNS = ["program_id", "nik_pemilik", "nib", "nama_usaha", "kode_kabkota", "kabupaten_kota",
                  "sektor_usaha", "platform_merchant_id", "tanggal_bergabung"]

GOBIZ_COLUMNS = ["Transaction Date", "Transaction time", "Transaction ID", "Transaction Reference",
                 "Order ID", "Stan", "Amount", "Nett Amount", "Transaction Status", "Feature",
                 "Payment Type", "Merchant name", "Merchant ID", "Promo Type", "Promo Name",
                 "Gopay promo", "GoFood discount", "Voucher commission", "Tax", "Witholding tax",
                 "Currency"]
GOBIZ_FEATURES = ["GoFood", "GoShop", "GoPay"]

SHOPEE_NEW = ["No. Pesanan", "Status Pesanan", "Alasan Pembatalan", "Status Pembatalan/ Pengembalian",
              "No. Resi", "Opsi Pengiriman", "Waktu Pesanan Dibuat", "Waktu Pembayaran Dilakukan",
              "Metode Pembayaran", "SKU Induk", "Nama Produk", "Nomor Referensi SKU", "Nama Variasi",
              "Harga Awal", "Harga Setelah Diskon", "Jumlah", "Returned quantity", "Total Harga Produk",
              "Total Diskon", "Diskon Dari Penjual", "Berat Produk", "Jumlah Produk di Pesan",
              "Voucher Ditanggung Penjual", "Ongkos Kirim Dibayar oleh Pembeli", "Total Pembayaran",
              "Catatan dari Pembeli", "Username (Pembeli)", "Nama Penerima", "No. Telepon",
              "Alamat Pengiriman", "Kota/Kabupaten", "Provinsi", "Waktu Pesanan Selesai"]
SHOPEE_OLD = [c for c in SHOPEE_NEW if c not in ("Returned quantity", "Status Pembatalan/ Pengembalian",
                                                  "Diskon Dari Penjual")]
SHOPEE_OLD[SHOPEE_OLD.index("Total Pembayaran")] = "Dibayar Pembeli"
SHOPEE_PRODUCTS = [  # (name, base price) by sector index
    [("Keripik Tempe Original 250gr", 18000), ("Sambal Bawang Botol 150ml", 25000),
     ("Bandeng Presto Vakum isi 3", 65000), ("Kopi Robusta Temanggung 200gr", 45000),
     ("Wingko Babat isi 10", 30000), ("Lumpia Semarang Frozen isi 5", 55000),
     ("Madu Randu 500gr", 85000), ("Emping Melinjo 500gr", 60000), ("Brownies Kukus", 40000),
     ("Kerupuk Rambak 200gr", 22000), ("Teh Tubruk Slawi 100gr", 15000), ("Jenang Kudus 500gr", 35000)],
    [("Paket Sembako Hemat", 120000), ("Minyak Goreng 2L", 32000), ("Gula Aren Cair 500ml", 28000),
     ("Beras Organik 5kg", 95000), ("Sabun Cuci Piring 800ml", 14000), ("Tisu Wajah 250s", 12000)],
    [("Voucher Laundry Kiloan 5kg", 35000), ("Jasa Jahit Kemeja", 90000), ("Cetak Undangan 100pcs", 250000),
     ("Servis Ganti LCD", 350000), ("Paket Rias Wisuda", 300000)],
    [("Tas Anyaman Pandan", 125000), ("Vas Gerabah Kasongan", 75000), ("Ukiran Jepara Mini", 175000),
     ("Topi Bambu", 45000), ("Tempat Tisu Kayu Jati", 65000), ("Miniatur Kapal Kayu", 210000),
     ("Dompet Tenun Troso", 85000), ("Keranjang Rotan", 95000)],
    [("Batik Tulis Lasem", 450000), ("Kemeja Batik Pria", 165000), ("Hijab Segi Empat Voal", 55000),
     ("Kain Lurik Klaten 2m", 120000), ("Daster Batik Cap", 75000), ("Sarung Tenun Goyor", 185000),
     ("Kaos Sablon Semarangan", 85000), ("Masker Kain Batik isi 3", 25000)],
    [("Bibit Cabai Rawit isi 50", 30000), ("Jamur Tiram Segar 1kg", 28000), ("Pupuk Organik Cair 1L", 40000),
     ("Lele Asap 250gr", 45000), ("Madu Klanceng 250ml", 120000)],
    [("Paket Usaha Rumahan", 150000), ("Stiker Custom 50pcs", 35000), ("Souvenir Gantungan Kunci", 8000)],
]
SHOPEE_VARIATIONS = ["", "Original", "Pedas", "Merah,L", "Hitam,M", "Biru,XL", "Navy,All Size",
                     "250gr", "500gr", "Small", "Large", "Coklat", "Motif A", "Motif B", "Hijau,S"]
SHOPEE_COURIERS = ["J&T Express", "JNE Reguler (Cashless)", "SiCepat REG", "Shopee Xpress Standard",
                   "AnterAja Reguler", "Ninja Xpress", "GrabExpress Instant"]
SHOPEE_PAYMENTS = ["ShopeePay", "COD (Bayar di Tempat)", "Transfer Bank", "SPayLater", "Indomaret", "Alfamart"]
BUYER_CITIES = [  # (Kota/Kabupaten, Provinsi, postal code prefix)
    ("KOTA SEMARANG", "JAWA TENGAH", 50), ("KOTA SURAKARTA (SOLO)", "JAWA TENGAH", 57),
    ("KAB. SEMARANG", "JAWA TENGAH", 50), ("KAB. KLATEN", "JAWA TENGAH", 57),
    ("KAB. BANYUMAS", "JAWA TENGAH", 53), ("KAB. KUDUS", "JAWA TENGAH", 59),
    ("KOTA JAKARTA SELATAN", "DKI JAKARTA", 12), ("KOTA JAKARTA TIMUR", "DKI JAKARTA", 13),
    ("KOTA JAKARTA BARAT", "DKI JAKARTA", 11), ("KOTA BANDUNG", "JAWA BARAT", 40),
    ("KOTA BEKASI", "JAWA BARAT", 17), ("KOTA DEPOK", "JAWA BARAT", 16), ("KAB. BOGOR", "JAWA BARAT", 16),
    ("KOTA TANGERANG", "BANTEN", 15), ("KOTA SURABAYA", "JAWA TIMUR", 60), ("KOTA MALANG", "JAWA TIMUR", 65),
    ("KAB. SLEMAN", "DI YOGYAKARTA", 55), ("KOTA YOGYAKARTA", "DI YOGYAKARTA", 55),
    ("KOTA MEDAN", "SUMATERA UTARA", 20), ("KOTA MAKASSAR", "SULAWESI SELATAN", 90),
    ("KOTA DENPASAR", "BALI", 80), ("KOTA BALIKPAPAN", "KALIMANTAN TIMUR", 76),
    ("KOTA PALEMBANG", "SUMATERA SELATAN", 30)]
BUYER_CITY_WEIGHTS = [10, 5, 4, 3, 3, 2, 6, 5, 4, 5, 4, 3, 3, 4, 5, 2, 3, 2, 2, 2, 2, 1, 2]
STREETS = ["Jl. Pemuda", "Jl. Pandanaran", "Jl. Diponegoro", "Jl. Sudirman", "Jl. Ahmad Yani",
           "Jl. Gajah Mada", "Jl. Veteran", "Jl. Merdeka", "Jl. Pahlawan", "Jl. Kartini", "Jl. Anggrek",
           "Jl. Flamboyan", "Jl. Cendrawasih", "Jl. Kenari", "Gg. Mangga", "Jl. Raya Tlogosari",
           "Perum Griya Asri Blok C", "Jl. Kaliurang Km 7", "Jl. Dr. Cipto", "Jl. Imam Bonjol"]
BUYER_NOTES = ["", "", "", "", "", "", "", "", "Tolong dibungkus rapi ya kak", "Jangan pedas",
               "Kirim hari ini ya", "Warna sesuai foto kak", "Titip di pos satpam",
               "Bubble wrap tebal ya,\nterima kasih"]

UVO_COUNTRIES = [  # (country, currencies, currency weights, weight)
    ("ID", ["IDR"], [1.0], 0.40), ("SG", ["SGD", "USD"], [0.8, 0.2], 0.10), ("MY", ["MYR", "USD"], [0.85, 0.15], 0.10),
    ("JP", ["JPY"], [1.0], 0.07), ("US", ["USD"], [1.0], 0.08), ("AU", ["AUD", "USD"], [0.85, 0.15], 0.06),
    ("NL", ["EUR"], [1.0], 0.04), ("DE", ["EUR"], [1.0], 0.03), ("SA", ["SAR", "USD"], [0.6, 0.4], 0.04),
    ("HK", ["HKD", "USD"], [0.7, 0.3], 0.04), ("CN", ["CNY", "USD"], [0.7, 0.3], 0.04)]
UVO_COLUMNS = ["id_transaksi", "id_peserta", "nama_peserta", "tanggal_transaksi", "negara_pembeli",
               "mata_uang", "nilai", "status"]


def _check_vocabularies() -> None:
    person = {w.lower() for w in MALE_FIRST + FEMALE_FIRST + MALE_LAST + FEMALE_LAST}
    business = {w.lower() for words in BIZ_PREFIX for phrase in words for w in phrase.split()}
    business |= {w.lower() for phrase in BIZ_SUFFIX + BIZ_EXTRA for w in phrase.split()}
    overlap = person & business
    assert not overlap, f"business-name words that are also person names: {sorted(overlap)}"


_check_vocabularies()


# ================================================================ reference data

@dataclass(frozen=True)
class _Reference:
    region_codes: np.ndarray        # int, BPS codes
    region_names: np.ndarray        # official names
    region_kota: np.ndarray         # bool
    region_weights: np.ndarray
    fx: dict                        # (YYYY-MM, currency) -> idr per unit

    @classmethod
    def load(cls) -> "_Reference":
        regions = pd.read_csv(SEEDS_DIR / "regions_jateng.csv", dtype=str)
        fx = pd.read_csv(SEEDS_DIR / "fx_rates_monthly.csv", dtype={"month": str, "currency": str})
        codes = regions["region_code"].astype(int).to_numpy()
        kota = (regions["region_type"] == "Kota").to_numpy()
        # rough 2020 population (thousands) by BPS code; cities hold more UMKM per head
        population = {3301: 1944, 3302: 1776, 3303: 998, 3304: 1017, 3305: 1350, 3306: 769, 3307: 879,
                      3308: 1299, 3309: 1062, 3310: 1260, 3311: 907, 3312: 1043, 3313: 931, 3314: 976,
                      3315: 1453, 3316: 884, 3317: 645, 3318: 1324, 3319: 849, 3320: 1184, 3321: 1203,
                      3322: 1053, 3323: 790, 3324: 1018, 3325: 801, 3326: 968, 3327: 1471, 3328: 1596,
                      3329: 1978, 3371: 121, 3372: 523, 3373: 193, 3374: 1653, 3375: 307, 3376: 273}
        weights = np.array([population.get(int(c), 800) for c in codes], dtype=float) * np.where(kota, 1.8, 1.0)
        return cls(codes, regions["region_name"].to_numpy(dtype=object), kota, weights / weights.sum(),
                   {(m, c): float(r) for m, c, r in fx.itertuples(index=False)})


# ================================================================ vectorised string building

def _digits(values, width: int) -> np.ndarray:
    """Non-negative ints -> (n, width) matrix of ASCII digits, zero-padded."""
    v = np.asarray(values, dtype=np.int64)
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (v[:, None] // powers % 10 + 48).astype(np.uint8)


def _join_chars(parts: list, n: int) -> np.ndarray:
    """Concatenate digit matrices and literal strings column-wise -> object array of str."""
    mats = []
    for part in parts:
        if isinstance(part, str):
            raw = np.frombuffer(part.encode("ascii"), dtype=np.uint8)
            mats.append(np.broadcast_to(raw, (n, len(raw))))
        else:
            mats.append(part)
    matrix = np.ascontiguousarray(np.hstack(mats)) if mats else np.zeros((n, 0), np.uint8)
    if n == 0:
        return np.array([], dtype=object)
    return matrix.view(f"S{matrix.shape[1]}").ravel().astype(str).astype(object)


def _cat(*parts) -> np.ndarray:
    """Element-wise string concatenation of object arrays and str scalars."""
    arrays = [p if isinstance(p, str) else np.asarray(p, dtype=object) for p in parts]
    return reduce(lambda a, b: a + b, arrays)


def _str(values) -> np.ndarray:
    """Numbers -> their plain decimal text, as an object array."""
    return np.asarray(values).astype(str).astype(object)


def _pick(vocabulary, index) -> np.ndarray:
    vocab = np.asarray(vocabulary, dtype=object)
    return vocab[np.asarray(index) % len(vocab)]


def _grouped(values, sep: str = ".") -> np.ndarray:
    """Ints with thousands separators: 15000000 -> '15.000.000' (or '15,000,000')."""
    v = np.asarray(values, dtype=np.int64)
    n = len(v)
    if n == 0:
        return np.array([], dtype=object)
    groups = _digits(np.abs(v), 18).reshape(n, 6, 3)
    seps = np.full((n, 6, 1), ord(sep), dtype=np.uint8)
    matrix = np.ascontiguousarray(np.concatenate([seps, groups], axis=2).reshape(n, 24)[:, 1:])
    text = np.strings.lstrip(matrix.view("S23").ravel().astype(str), "0" + sep)
    text = np.where(text == "", "0", text)
    return np.where(v < 0, np.strings.add("-", text), text).astype(object)


_ALNUM = np.frombuffer(b"0123456789ABCDEFGHJKLMNPQRSTUVWXYZ", dtype=np.uint8)
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def _random_chars(rng, n: int, width: int, alphabet=_ALNUM) -> np.ndarray:
    return alphabet[rng.integers(0, len(alphabet), (n, width))]


def _uuid4(rng, n: int) -> np.ndarray:
    raw = rng.integers(0, 256, (n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    nibbles = np.empty((n, 32), dtype=np.uint8)
    nibbles[:, 0::2], nibbles[:, 1::2] = raw >> 4, raw & 15
    h = _HEX[nibbles]
    return _join_chars([h[:, :8], "-", h[:, 8:12], "-", h[:, 12:16], "-", h[:, 16:20], "-", h[:, 20:]], n)


def _distinct_ints(rng, n: int, low: int, high: int) -> np.ndarray:
    """n distinct random ints in [low, high), in random order."""
    stride = (high - low) // max(n, 1)
    assert stride >= 1, "range too small"
    values = low + np.arange(n, dtype=np.int64) * stride + rng.integers(0, stride, n)
    return rng.permutation(values)


# ---------------------------------------------------------------- time

def _at(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> int:
    """Epoch seconds of a WIB wall-clock time."""
    return int(np.datetime64(f"{y:04d}-{m:02d}-{d:02d}T{hh:02d}:{mm:02d}:{ss:02d}", "s").astype(np.int64)) - WIB


def _day(y: int, m: int, d: int) -> int:
    """Days since the epoch of a calendar date."""
    return int(np.datetime64(f"{y:04d}-{m:02d}-{d:02d}", "D").astype(np.int64))


def _month_index(days) -> np.ndarray:
    """Months since 1970-01 of days since the epoch."""
    return np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def _month_start(month_index: int) -> int:
    return int(np.datetime64(int(month_index), "M").astype("datetime64[D]").astype(np.int64))


def _fmt_time(secs, fmt: str, millis=None) -> np.ndarray:
    """strftime for arrays of epoch seconds (already shifted to the wanted zone).

    Tokens: %Y %y %m %d %H %M %S and %f (3-digit milliseconds from `millis`)."""
    secs = np.asarray(secs, dtype=np.int64)
    n = len(secs)
    days = np.floor_divide(secs, DAY)
    d64 = days.astype("datetime64[D]")
    month_start = d64.astype("datetime64[M]")
    fields = {"Y": (d64.astype("datetime64[Y]").astype(np.int64) + 1970, 4),
              "m": (month_start.astype(np.int64) % 12 + 1, 2),
              "d": ((d64 - month_start.astype("datetime64[D]")).astype(np.int64) + 1, 2)}
    sod = secs - days * DAY
    fields |= {"H": (sod // 3600, 2), "M": (sod // 60 % 60, 2), "S": (sod % 60, 2)}
    fields["y"] = (fields["Y"][0] % 100, 2)
    fields["f"] = (np.zeros(n, np.int64) if millis is None else millis, 3)
    parts, literal, i = [], "", 0
    while i < len(fmt):
        if fmt[i] == "%" and i + 1 < len(fmt) and fmt[i + 1] in fields:
            if literal:
                parts.append(literal)
                literal = ""
            values, width = fields[fmt[i + 1]]
            parts.append(_digits(values, width))
            i += 2
        else:
            literal += fmt[i]
            i += 1
    if literal:
        parts.append(literal)
    return _join_chars(parts, n)


def _excel_serial(secs_local) -> np.ndarray:
    """Excel serial day numbers (1899-12-30 epoch) of local epoch seconds."""
    return np.asarray(secs_local, dtype=np.int64) / DAY + 25569.0


def _sample_days(rng, lo, hi, weights: np.ndarray) -> np.ndarray:
    """A day index in [lo, hi) per entity, following daily `weights`."""
    cumulative = np.concatenate([[0.0], np.cumsum(weights)])
    lo, hi = np.asarray(lo), np.asarray(hi)
    target = cumulative[lo] + rng.random(len(lo)) * (cumulative[hi] - cumulative[lo])
    return np.clip(np.searchsorted(cumulative, target, side="right") - 1, lo, hi - 1)


def _round_nice(values, rng, p_three: float = 0.3) -> np.ndarray:
    """Round to two (sometimes three) significant digits, as people state turnover."""
    v = np.maximum(np.asarray(values, dtype=float), 1000.0)
    digits = np.where(rng.random(len(v)) < p_three, 3, 2)
    unit = 10.0 ** np.maximum(np.floor(np.log10(v)) - digits + 1, 3)
    return (np.round(v / unit) * unit).astype(np.int64)


# ================================================================ file formats

def _csv_bytes(frame: pd.DataFrame, sep: str = ",", quote_all: bool = False, bom: bool = False,
               line: str = "\n", encoding: str = "utf-8", header: bool = True, trailing_sep: bool = False) -> bytes:
    text = frame.to_csv(index=False, sep=sep, lineterminator=line, header=header,
                        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    if trailing_sep:  # Excel-made files sometimes end every line with the delimiter
        text = text.replace(line, sep + line)
    return (("\ufeff" if bom else "") + text).encode(encoding)


# xlsx cell kinds
EMPTY, TEXT, NUMBER, DATE, DATETIME = 0, 1, 2, 3, 4


@dataclass
class _XCol:
    """One xlsx column: the cell text (number text for numbers) and a kind per cell."""
    values: np.ndarray
    kind: np.ndarray

    @classmethod
    def text(cls, values) -> "_XCol":
        values = np.asarray(values, dtype=object)
        return cls(values, np.where(values == "", EMPTY, TEXT).astype(np.int8))

    @classmethod
    def number(cls, values, empty=None) -> "_XCol":
        text = _str(values)
        kind = np.full(len(text), NUMBER, dtype=np.int8)
        if empty is not None:
            kind[np.asarray(empty, dtype=bool)] = EMPTY
        return cls(text, kind)


_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_COLUMN_LETTERS = list(_LETTERS) + [a + b for a in "ABC" for b in _LETTERS]
_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CT_OFFICE = "application/vnd.openxmlformats-officedocument"
_NS_PACKAGE = "http://schemas.openxmlformats.org/package/2006"
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_CONTENT_TYPES = (
    _XML_HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_CT_OFFICE}.spreadsheetml.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_CT_OFFICE}.spreadsheetml.worksheet+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{_CT_OFFICE}.spreadsheetml.styles+xml"/>'
    '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    f'<Override PartName="/docProps/app.xml" ContentType="{_CT_OFFICE}.extended-properties+xml"/>'
    '</Types>')
_ROOT_RELS = (
    _XML_HEAD + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_NS_REL}/officeDocument" Target="xl/workbook.xml"/>'
    f'<Relationship Id="rId2" Type="{_NS_PACKAGE}/relationships/metadata/core-properties" Target="docProps/core.xml"/>'
    f'<Relationship Id="rId3" Type="{_NS_REL}/extended-properties" Target="docProps/app.xml"/>'
    '</Relationships>')
_WORKBOOK_RELS = (
    _XML_HEAD + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_NS_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_NS_REL}/styles" Target="styles.xml"/>'
    '</Relationships>')
_STYLES = (
    _XML_HEAD + f'<styleSheet xmlns="{_NS_MAIN}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '</styleSheet>')


def _xml_escape(values: np.ndarray) -> np.ndarray:
    joined = "".join(values.tolist())
    if "&" not in joined and "<" not in joined and ">" not in joined:
        return values
    text = pd.Series(values, dtype=object)
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        text = text.str.replace(char, entity, regex=False)
    return text.to_numpy(dtype=object)


def _sheet_rows(columns: list[_XCol], first_row: int) -> str:
    """<row> elements for the data cells; each column is rendered for all rows at once."""
    n = len(columns[0].values)
    row_numbers = _str(np.arange(first_row, first_row + n))
    rows = _cat('<row r="', row_numbers, '">')
    for letter, column in zip(_COLUMN_LETTERS, columns):
        cells = np.full(n, "", dtype=object)
        ref = _cat(f'<c r="{letter}', row_numbers)
        for kind, template in ((TEXT, ('" t="inlineStr"><is><t xml:space="preserve">', "</t></is></c>")),
                               (NUMBER, ('"><v>', "</v></c>")), (DATE, ('" s="1"><v>', "</v></c>")),
                               (DATETIME, ('" s="2"><v>', "</v></c>"))):
            mask = column.kind == kind
            if mask.any():
                values = column.values[mask]
                if kind == TEXT:
                    values = _xml_escape(values)
                cells[mask] = _cat(ref[mask], template[0], values, template[1])
        rows = rows + cells
    return "".join((rows + "</row>").tolist())


def _xlsx_bytes(header: list[str], columns: list[_XCol], sheet: str, when: int,
                creator: str = "Microsoft Office User", chunk: int = 100_000) -> bytes:
    """A minimal, valid xlsx (inline strings), byte-identical for the same input and `when`."""
    n = len(columns[0].values) if columns else 0
    stamp = _fmt_time(np.array([when]), "%Y-%m-%dT%H:%M:%SZ")[0]
    core = (_XML_HEAD + f'<cp:coreProperties xmlns:cp="{_NS_PACKAGE}/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f'<dc:creator>{creator}</dc:creator><cp:lastModifiedBy>{creator}</cp:lastModifiedBy>'
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified></cp:coreProperties>')
    app = (_XML_HEAD + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
           '<Application>Microsoft Excel</Application></Properties>')
    workbook = (_XML_HEAD + f'<workbook xmlns="{_NS_MAIN}" xmlns:r="{_NS_REL}"><bookViews><workbookView/></bookViews>'
                f'<sheets><sheet name="{sheet}" sheetId="1" r:id="rId1"/></sheets></workbook>')
    last = f"{_COLUMN_LETTERS[len(header) - 1]}{n + 1}"
    escaped = [name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") for name in header]
    head_cells = "".join(f'<c r="{letter}1" t="inlineStr" s="3"><is><t>{name}</t></is></c>'
                         for letter, name in zip(_COLUMN_LETTERS, escaped))
    sheet_head = (_XML_HEAD + f'<worksheet xmlns="{_NS_MAIN}" xmlns:r="{_NS_REL}"><dimension ref="A1:{last}"/>'
                  '<sheetViews><sheetView workbookViewId="0"/></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
                  f'<sheetData><row r="1">{head_cells}</row>')
    sheet_tail = ('</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
                  'footer="0.3"/></worksheet>')
    date_time = time.gmtime(when + WIB)[:6]  # zip entries carry local wall-clock time

    def info(name: str) -> zipfile.ZipInfo:
        entry = zipfile.ZipInfo(name, date_time=date_time)
        entry.compress_type = zipfile.ZIP_DEFLATED
        entry.create_system = 0
        entry.external_attr = 0
        return entry

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for name, text in (("[Content_Types].xml", _CONTENT_TYPES), ("_rels/.rels", _ROOT_RELS),
                           ("docProps/app.xml", app), ("docProps/core.xml", core),
                           ("xl/workbook.xml", workbook), ("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS),
                           ("xl/styles.xml", _STYLES)):
            archive.writestr(info(name), text.encode("utf-8"))
        with archive.open(info("xl/worksheets/sheet1.xml"), "w", force_zip64=n > 2_000_000) as sheet_file:
            sheet_file.write(sheet_head.encode("utf-8"))
            for start in range(0, n, chunk):
                part = [_XCol(c.values[start:start + chunk], c.kind[start:start + chunk]) for c in columns]
                sheet_file.write(_sheet_rows(part, start + 2).encode("utf-8"))
            sheet_file.write(sheet_tail.encode("utf-8"))
    return buffer.getvalue()


def _text_frame_to_xcols(frame: pd.DataFrame, numeric: dict[str, np.ndarray] | None = None) -> list[_XCol]:
    """Every column as text cells, except those given in `numeric` (name -> bool mask of number cells)."""
    columns = []
    for name in frame.columns:
        col = _XCol.text(frame[name].to_numpy(dtype=object))
        if numeric and name in numeric:
            mask = np.asarray(numeric[name], dtype=bool) & (col.kind == TEXT)
            col.kind[mask] = NUMBER
        columns.append(col)
    return columns


# ================================================================ the landing zone

@dataclass
class _Landing:
    """Writes files (only when their bytes differ), then gives each its delivery mtime."""
    root: Path
    deliveries: list = field(default_factory=list)      # (when, order, path)
    stats: dict = field(default_factory=dict)

    def put(self, relative: str, data: bytes, when: int, rows: int = 0, kind: str = "data") -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if not (path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data):
            temporary = path.with_name(f".{path.name}.demo-writing")  # a dot-file: never picked up
            temporary.write_bytes(data)
            os.replace(temporary, path)
        self.deliveries.append((int(when), len(self.deliveries), path))
        source = relative.split("/", 1)[0]
        entry = self.stats.setdefault(source, {"files": 0, "rows": 0})
        entry["files"] += 1
        entry["rows"] += int(rows)
        if kind != "data":
            entry[kind] = entry.get(kind, 0) + 1

    def count(self, source: str, **entities: int) -> None:
        entry = self.stats.setdefault(source, {"files": 0, "rows": 0})
        for name, value in entities.items():
            entry[name] = entry.get(name, 0) + int(value)

    def finish(self) -> None:
        """mtime = delivery time, strictly increasing in delivery order (ties: writing order)."""
        previous = None
        for when, _, path in sorted(self.deliveries):
            stamp = when if previous is None else max(when, previous + 1)
            os.utime(path, ns=(stamp * 1_000_000_000, stamp * 1_000_000_000))
            previous = stamp


# ================================================================ the UMKM population

class _Population:
    """Every UMKM the demo knows, as numeric arrays; strings are rendered per file."""

    PHONE_OPERATORS = np.array([11, 12, 13, 21, 22, 23, 51, 52, 53, 55, 56, 57, 58, 77, 78, 81, 82, 83,
                                87, 88, 95, 96, 97, 98, 99])

    def __init__(self, rng, n: int, ref: _Reference):
        self.n = n
        self.ref = ref
        self.female = rng.random(n) < 0.55
        self.r_first, self.r_last, self.r_mid = (rng.integers(0, 1 << 30, n) for _ in range(3))
        self.has_mid = rng.random(n) < 0.12
        self.region = rng.choice(len(ref.region_codes), n, p=ref.region_weights)
        self.sector = rng.choice(len(SECTOR_CHOICES), n, p=SECTOR_WEIGHTS)
        self.scale = rng.choice(3, n, p=[0.85, 0.12, 0.03])
        self.nik = self._niks(rng)
        self.has_nib = rng.random(n) < 0.55
        self.nib = _distinct_ints(rng, n, 8_120_000_000_000, 9_129_999_999_999)
        self.phone = (8 * 10**10 + rng.choice(self.PHONE_OPERATORS, n) * 10**8
                      + rng.integers(0, 10**8, n)).astype(np.int64)
        self.r_biz = rng.integers(0, 1 << 30, (n, 3))
        self.biz_extra = rng.choice(3, n, p=[0.6, 0.25, 0.15])   # none / extra word / region word
        median = np.array([6e6, 60e6, 900e6])[self.scale]
        self.turnover = _round_nice(median * np.exp(rng.normal(0, 0.7, n)), rng)
        low, high = np.array([1, 5, 20])[self.scale], np.array([5, 20, 100])[self.scale]
        self.workers = (low + np.floor(rng.power(0.5, n) * (high - low))).astype(np.int64)
        self.digital = rng.random(n)                              # propensity to sell online

    def _niks(self, rng) -> np.ndarray:
        """16 digits: BPS region, district, birth date (women +40 on the day), sequence."""
        n = self.n
        region = self.ref.region_codes[self.region].astype(np.int64)
        district = rng.integers(1, 21, n)
        birth = rng.integers(_day(1958, 1, 1), _day(2000, 12, 31), n).astype("datetime64[D]")
        month_start = birth.astype("datetime64[M]")
        day = (birth - month_start.astype("datetime64[D]")).astype(np.int64) + 1 + np.where(self.female, 40, 0)
        month = month_start.astype(np.int64) % 12 + 1
        year = (birth.astype("datetime64[Y]").astype(np.int64) + 1970) % 100
        stem = region * 10**12 + district * 10**10 + day * 10**8 + month * 10**6 + year * 10**4
        sequence = rng.integers(1, 400, n)
        for _ in range(50):  # resolve the rare collisions
            nik = stem + sequence
            duplicated = pd.Series(nik).duplicated().to_numpy()
            if not duplicated.any():
                return nik
            sequence[duplicated] = rng.integers(1, 9999, int(duplicated.sum()))
        raise RuntimeError("could not draw distinct NIKs")

    # ---------------------------------------------------------------- rendering
    def owner_names(self, idx) -> np.ndarray:
        f = self.female[idx]
        first = np.where(f, _pick(FEMALE_FIRST, self.r_first[idx]), _pick(MALE_FIRST, self.r_first[idx]))
        mid = np.where(f, _pick(FEMALE_FIRST, self.r_first[idx] + 1 + self.r_mid[idx] % 7),
                       _pick(MALE_FIRST, self.r_first[idx] + 1 + self.r_mid[idx] % 7))
        last = np.where(f, _pick(FEMALE_LAST, self.r_last[idx]), _pick(MALE_LAST, self.r_last[idx]))
        return _cat(first, " ", np.where(self.has_mid[idx], _cat(mid, " "), ""), last)

    def business_names(self, idx) -> np.ndarray:
        sector = self.sector[idx]
        prefix = np.empty(len(idx), dtype=object)
        for s, words in enumerate(BIZ_PREFIX):
            mask = sector == s
            prefix[mask] = _pick(words, self.r_biz[idx, 0][mask])
        name = _cat(prefix, " ", _pick(BIZ_SUFFIX, self.r_biz[idx, 1]))
        region_word = self._region_base()[self.region[idx]]
        extra = self.biz_extra[idx]
        return np.where(extra == 1, _cat(name, " ", _pick(BIZ_EXTRA, self.r_biz[idx, 2])),
                        np.where(extra == 2, _cat(name, " ", region_word), name))

    def _region_base(self) -> np.ndarray:
        return np.array([name.split(" ", 1)[1] for name in self.ref.region_names], dtype=object)

    def phones(self, idx, rng) -> np.ndarray:
        number = self.phone[idx]
        form = rng.choice(4, len(idx), p=[0.72, 0.1, 0.13, 0.05])
        national = _str(number)
        d = _digits(number, 11)
        dashed = _join_chars(["0", d[:, :3], "-", d[:, 3:7], "-", d[:, 7:]], len(idx))
        return np.select([form == 0, form == 1, form == 2], [_cat("0", national), _cat("+62", national),
                                                             _cat("62", national)], dashed)

    def nik_text(self, idx, rng, p_apostrophe: float = 0.03, p_spaced: float = 0.02) -> np.ndarray:
        nik = self.nik[idx]
        plain = _str(nik)
        d = _digits(nik, 16)
        spaced = _join_chars([d[:, :4], " ", d[:, 4:8], " ", d[:, 8:12], " ", d[:, 12:]], len(idx))
        u = rng.random(len(idx))
        return np.where(u < p_apostrophe, _cat("'", plain), np.where(u < p_apostrophe + p_spaced, spaced, plain))

    def region_cells(self, idx, rng, p_code: float, p_both: float, p_dotted: float = 0.15):
        """(kode_kabkota, kabupaten_kota) as people fill them: code, code and name, or name only."""
        ref = self.ref
        region = self.region[idx]
        code = ref.region_codes[region]
        d = _digits(code, 4)
        code_text = np.where(rng.random(len(idx)) < p_dotted, _join_chars([d[:, :2], ".", d[:, 2:]], len(idx)),
                             _str(code))
        official = ref.region_names[region]
        base = self._region_base()[region]
        kota = ref.region_kota[region]
        ambiguous_bases = pd.Series(self._region_base()).duplicated(keep=False).to_numpy()[region]
        forms = np.column_stack([
            official,
            np.where(kota, official, _cat("Kab. ", base)),
            pd.Series(official).str.lower().to_numpy(dtype=object),
            pd.Series(official).str.upper().to_numpy(dtype=object),
            np.where(ambiguous_bases, official, base),
        ])
        name = forms[np.arange(len(idx)), rng.choice(5, len(idx), p=[0.4, 0.25, 0.15, 0.1, 0.1])]
        u = rng.random(len(idx))
        has_code = u < p_code + p_both
        has_name = u >= p_code
        return np.where(has_code, code_text, ""), np.where(has_name, name, "")


def _money_text(values, rng, weights=(0.25, 0.27, 0.15, 0.04, 0.04, 0.25)) -> np.ndarray:
    """Money as people type it: '15000000', '15.000.000', 'Rp 15.000.000', 'Rp. 15000000',
    'Rp15.000.000', '15 juta' / '2,5 juta' / '2,5 miliar'."""
    v = np.asarray(values, dtype=np.int64)
    form = rng.choice(6, len(v), p=np.asarray(weights) / sum(weights))
    dotted = _grouped(v)
    plain = _str(v)
    millions, tenths = v // 10**6, (v // 10**5) % 10
    juta = _cat(_str(millions), np.where(tenths > 0, _cat(",", _str(tenths)), ""), " juta")
    billions, b_tenths = v // 10**9, (v // 10**8) % 10
    miliar = _cat(_str(billions), np.where(b_tenths > 0, _cat(",", _str(b_tenths)), ""), " miliar")
    words = np.where((v >= 10**9) & (v % 10**8 == 0), miliar,
                     np.where((v >= 10**6) & (v % 10**5 == 0) & (v < 10**9), juta, dotted))
    return np.select([form == 0, form == 1, form == 2, form == 3, form == 4],
                     [plain, dotted, _cat("Rp ", dotted), _cat("Rp. ", plain), _cat("Rp", dotted)], words)


def _bad_rows(rng, n: int, *counts: int) -> list[np.ndarray]:
    """Disjoint random row positions, one array per requested count."""
    total = min(sum(counts), n)
    chosen = rng.choice(n, total, replace=False) if total else np.array([], dtype=np.int64)
    out, start = [], 0
    for count in counts:
        out.append(np.sort(chosen[start:start + count]))
        start += count
    return out


def _few(n: int, per: int, minimum: int = 2) -> int:
    """How many bad rows of one kind: a few, growing slowly with the data."""
    return max(minimum, n // per)


# ================================================================ survey (KoboToolbox)

@dataclass
class _Wave:
    period: str
    pop: np.ndarray                  # population index per submission
    start: np.ndarray                # epoch seconds (UTC)
    start_ms: np.ndarray
    end: np.ndarray
    end_ms: np.ndarray
    submitted: np.ndarray
    impacted: np.ndarray
    primary: np.ndarray              # constraint index or -1
    constraints: np.ndarray          # (n, 7) bool
    before: np.ndarray
    after: np.ndarray
    workers_before: np.ndarray
    workers_after: np.ndarray
    platforms: np.ndarray            # (n, 7) bool
    reports_nib: np.ndarray
    validation: np.ndarray           # object
    submitted_by: np.ndarray         # object
    uuid: np.ndarray
    ids: np.ndarray
    version: str


def _survey_wave(rng, pop: _Population, respondents: np.ndarray, period: str, first_day: int, n_days: int,
                 impact_food: float, impact_other: float, online_boost: float) -> _Wave:
    n0 = len(respondents)
    # some UMKM answer twice: the second submission comes days later with changed answers
    twice = rng.random(n0) < 0.03
    idx = np.concatenate([respondents, respondents[twice]])
    n = len(idx)
    day = first_day + rng.integers(0, n_days, n0)
    local_start = day * DAY + rng.integers(7 * 3600, 17 * 3600, n0)
    start = np.concatenate([local_start, local_start[twice] + rng.integers(1, 6, int(twice.sum())) * DAY
                            + rng.integers(-3 * 3600, 3 * 3600, int(twice.sum()))]) - WIB
    duration = rng.integers(4 * 60, 25 * 60, n)
    end = start + duration
    lag = np.where(rng.random(n) < 0.85, rng.integers(1, 600, n), rng.integers(3600, 3 * DAY, n))  # offline sync
    submitted = end + lag

    food = pop.sector[idx] == 0
    first_impacted = rng.random(n0) < np.where(food[:n0], impact_food, impact_other)
    impacted = np.concatenate([first_impacted, first_impacted[twice]])
    primary = rng.choice(len(CONSTRAINT_CHOICES), n, p=CONSTRAINT_WEIGHTS)
    keep_primary = np.concatenate([np.ones(n0, bool), rng.random(int(twice.sum())) < 0.6])
    primary = np.where(keep_primary, primary, np.concatenate([primary[:n0], primary[:n0][twice]]))
    extra = rng.random((n, len(CONSTRAINT_CHOICES))) < np.array([0.35, 0.35, 0.25, 0.2, 0.15, 0.1, 0.05])
    constraints = extra | (np.arange(len(CONSTRAINT_CHOICES)) == primary[:, None])
    primary = np.where(impacted, primary, -1)
    constraints &= impacted[:, None]

    before = pop.turnover[idx]
    factor = np.where(impacted, rng.uniform(0.2, 0.85, n), rng.uniform(0.9, 1.25, n))
    after = _round_nice(before * factor, rng)
    workers_before = pop.workers[idx]
    cut = rng.binomial(workers_before, np.where(impacted, 0.3, 0.0))
    workers_after = np.maximum(workers_before - cut, 1) + (~impacted & (rng.random(n) < 0.1))

    share = np.array([0.25, 0.2, 0.12, 0.18, 0.7, 0.35, 0.05]) * online_boost
    share = share * np.where(food[:, None], [1.6, 0.8, 0.8, 1.6, 1, 1, 1], [0.2, 1.4, 1.3, 0.2, 1, 1, 1])
    platforms = rng.random((n, len(PLATFORM_CHOICES))) < np.minimum(share * (0.5 + pop.digital[idx])[:, None], 0.95)

    validation = rng.choice(np.array(["validation_status_approved", "", "validation_status_on_hold",
                                      "validation_status_not_approved"], dtype=object), n,
                            p=[0.8, 0.14, 0.03, 0.03])
    submitted_by = np.where(rng.random(n) < 0.7,
                            _cat("pendamping_umkm", _str(rng.integers(10, 60, n))), "")
    order = np.argsort(submitted, kind="stable")
    ids = np.sort(_distinct_ints(rng, n, 10_000_000, 40_000_000) if period < "2021" else
                  _distinct_ints(rng, n, 90_000_000, 140_000_000))

    def o(a):
        return a[order]

    return _Wave(period, o(idx), o(start), rng.integers(0, 1000, n), o(end), rng.integers(0, 1000, n),
                 o(submitted), o(impacted), o(primary), o(constraints), o(before), o(after),
                 o(workers_before), o(workers_after), o(platforms), o(rng.random(n) < 0.8) & pop.has_nib[o(idx)],
                 o(validation), o(submitted_by), _uuid4(rng, n), ids,
                 "v" + "".join(_ALNUM[rng.integers(0, 34, 21)].view("S21").astype(str)))


def _survey_frame(wave: _Wave, pop: _Population, rng) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """The Kobo export of a whole wave, with its deliberate bad rows: the answers as typed, so
    every export of the same submission shows the same cells.

    Returns the frame (all text) and the xlsx number-cell masks."""
    sel = np.arange(len(wave.pop))
    idx = wave.pop[sel]
    n = len(sel)
    code, name = pop.region_cells(idx, rng, p_code=0.25, p_both=0.4)
    impacted = wave.impacted[sel]
    constraints = wave.constraints[sel]
    platforms = wave.platforms[sel]
    columns = {
        "start": _fmt_time(wave.start[sel] + WIB, "%Y-%m-%dT%H:%M:%S.%f+07:00", wave.start_ms[sel]),
        "end": _fmt_time(wave.end[sel] + WIB, "%Y-%m-%dT%H:%M:%S.%f+07:00", wave.end_ms[sel]),
        "periode_survei": np.full(n, wave.period, dtype=object),
        "nik_pemilik": pop.nik_text(idx, rng),
        "nama_pemilik": pop.owner_names(idx),
        "no_hp": pop.phones(idx, rng),
        "nib": np.where(wave.reports_nib[sel], _str(pop.nib[idx]), ""),
        "nama_usaha": pop.business_names(idx),
        "kode_kabkota": code,
        "kabupaten_kota": name,
        "sektor_usaha": np.array(SECTOR_CHOICES, dtype=object)[pop.sector[idx]],
        "skala_usaha": np.array(SCALE_CHOICES, dtype=object)[pop.scale[idx]],
        "terdampak_covid": np.where(impacted, "ya", "tidak"),
        "kendala_utama": np.where(impacted, np.array(CONSTRAINT_CHOICES, dtype=object)[wave.primary[sel]], ""),
        "kendala": _multi_summary(constraints, CONSTRAINT_CHOICES),
    }
    for j, choice in enumerate(CONSTRAINT_CHOICES):   # a skipped question leaves its columns empty
        columns[f"kendala/{choice}"] = np.where(impacted, np.where(constraints[:, j], "1", "0"), "")
    before, after = wave.before[sel], wave.after[sel]
    columns |= {
        "omzet_sebelum": _money_text(before, rng),
        "omzet_sesudah": _money_text(after, rng),
        "tenaga_kerja_sebelum": _str(wave.workers_before[sel]),
        "tenaga_kerja_sesudah": _str(wave.workers_after[sel]),
        "platform_digital": _multi_summary(platforms, PLATFORM_CHOICES),
    }
    for j, choice in enumerate(PLATFORM_CHOICES):
        columns[f"platform_digital/{choice}"] = np.where(platforms[:, j], "1", "0")
    columns |= {
        "_id": _str(wave.ids[sel]),
        "_uuid": wave.uuid[sel],
        "_submission_time": _fmt_time(wave.submitted[sel], "%Y-%m-%dT%H:%M:%S"),
        "_validation_status": wave.validation[sel],
        "_notes": np.full(n, "", dtype=object),
        "_status": np.full(n, "submitted_via_web", dtype=object),
        "_submitted_by": wave.submitted_by[sel],
        "__version__": np.full(n, wave.version, dtype=object),
        "_tags": np.full(n, "", dtype=object),
        "_index": _str(np.arange(1, n + 1)),
    }
    frame = pd.DataFrame({c: np.asarray(columns[c], dtype=object) for c in KOBO_COLUMNS})
    # deliberate bad rows: 15-digit NIK, bare ambiguous region, amounts that are not amounts
    bad_nik, bad_region, bad_text, bad_negative = _bad_rows(rng, n, _few(n, 700), _few(n, 700),
                                                            _few(n, 1500, 1), _few(n, 1500, 1))
    frame.loc[bad_nik, "nik_pemilik"] = _str(pop.nik[idx[bad_nik]] // 10)
    frame.loc[bad_region, "kode_kabkota"] = ""
    frame.loc[bad_region, "kabupaten_kota"] = _pick(["Semarang", "Magelang", "Tegal", "Pekalongan"],
                                                    np.arange(len(bad_region)))
    frame.loc[bad_text, "omzet_sesudah"] = _pick(["tidak tahu", "belum ada", "sekitar lima juta"],
                                                 np.arange(len(bad_text)))
    frame.loc[bad_negative, "omzet_sesudah"] = _cat("-", _grouped(after[bad_negative]))
    numeric = {c: np.ones(n, bool) for c in ["_id", "_index", "tenaga_kerja_sebelum", "tenaga_kerja_sesudah"]
               + [c for c in KOBO_COLUMNS if "/" in c]}
    for money in ("omzet_sebelum", "omzet_sesudah"):  # a number question answered with digits only
        numeric[money] = frame[money].str.fullmatch(r"\d+").to_numpy()
    return frame, numeric


def _multi_summary(mask: np.ndarray, choices: list[str]) -> np.ndarray:
    """Select-multiple summary: the ticked choice names, space-separated."""
    out = np.full(mask.shape[0], "", dtype=object)
    for j, choice in enumerate(choices):
        out = np.where(mask[:, j], np.where(out == "", choice, _cat(out, " ", choice)), out)
    return out


# ================================================================ the world: population, waves, programs

PROGRAMS = ["gofood_banner_promo", "goshop", "shopee_kampus_umkm", "uvo_2021"]
BANNER, GOSHOP, SHOPEE, UVO = range(4)


class _World:
    def __init__(self, ref: _Reference, scale: int, seed: int):
        self.ref, self.scale, self.seed = ref, scale, seed
        rng = self.rng("population")
        self.pop = pop = _Population(rng, 2600 * scale, ref)
        n_a, n_b = 1750 * scale, 1200 * scale
        order = rng.permutation(pop.n)
        wave_a = np.sort(order[:n_a])
        from_a = rng.choice(wave_a, int(n_b * 0.55), replace=False)
        wave_b = np.sort(np.concatenate([from_a, order[n_a:n_a + n_b - len(from_a)]]))
        rng = self.rng("survey")
        self.waves = [
            _survey_wave(rng, pop, wave_a, "2020-06", _day(2020, 6, 2), 29, 0.90, 0.75, 1.0),
            _survey_wave(rng, pop, wave_b, "2021-03", _day(2021, 3, 1), 31, 0.75, 0.60, 1.4),
        ]
        self.respondent = np.zeros(pop.n, bool)
        self.respondent[wave_a] = self.respondent[wave_b] = True
        self._enroll(self.rng("enrollment"))

    def rng(self, stream: str) -> np.random.Generator:
        """An independent generator per part of the demo, so one part's draws never shift another's."""
        return np.random.default_rng([self.seed, *stream.encode()])

    def _enroll(self, rng) -> None:
        pop, s = self.pop, self.scale
        counts = {BANNER: 130 * s, GOSHOP: 80 * s, SHOPEE: 110 * s, UVO: 80 * s}
        sector_pref = {BANNER: [1, 0.02, 0.02, 0, 0, 0.01, 0], GOSHOP: [0.3, 1, 0.1, 1, 1, 0.2, 0.1],
                       SHOPEE: [0.5, 0.6, 0.05, 1, 1, 0.3, 0.1], UVO: [0.4, 0.1, 0, 1, 1, 0.5, 0]}
        windows = {BANNER: (_day(2021, 1, 4), 270), GOSHOP: (_day(2021, 2, 1), 270),
                   SHOPEE: (_day(2021, 8, 16), 318), UVO: (_day(2021, 1, 11), 170)}
        rows = {"program": [], "pop": [], "joined": []}
        banner_members = None
        for program in (BANNER, GOSHOP, SHOPEE, UVO):
            n = counts[program]
            taken = np.zeros(pop.n, bool)
            chosen = []
            if program == GOSHOP:  # the same GoBiz merchant often joins both GoFood programs
                both = rng.choice(banner_members, int(n * 0.45), replace=False)
                chosen.append(both)
                taken[banner_members] = True
            n_rest = n - sum(len(c) for c in chosen)
            n_outside = int(round(n_rest * 0.1))             # UMKM that never answered the survey
            for in_survey, size in ((True, n_rest - n_outside), (False, n_outside)):
                pool = np.flatnonzero((self.respondent == in_survey) & ~taken)
                weight = np.asarray(sector_pref[program])[pop.sector[pool]] + 1e-9
                pick = rng.choice(pool, size, replace=False, p=weight / weight.sum())
                taken[pick] = True
                chosen.append(pick)
            members = np.concatenate(chosen)
            if program == BANNER:
                banner_members = members
            start, span = windows[program]
            rows["program"].append(np.full(n, program))
            rows["pop"].append(members)
            rows["joined"].append(start + np.floor(rng.beta(1.2, 2.2, n) * span).astype(np.int64))
        program = np.concatenate(rows["program"])
        member = np.concatenate(rows["pop"])
        joined = np.concatenate(rows["joined"])
        gofood = program <= GOSHOP
        # platform ids: one GoBiz merchant per UMKM (shared by both GoFood programs), shop ids, UVO ids
        merchant = np.zeros(len(program), np.int64)
        g_pop = np.unique(member[gofood])
        g_ids = _distinct_ints(rng, len(g_pop), 100_000_000, 900_000_000)   # 9xxxxxxxx: merchants in no program
        merchant[gofood] = g_ids[np.searchsorted(g_pop, member[gofood])]
        shop = program == SHOPEE
        merchant[shop] = _distinct_ints(rng, int(shop.sum()), 100_000_000, 900_000_000)
        uvo = program == UVO
        merchant[uvo] = np.argsort(np.argsort(joined[uvo], kind="stable"), kind="stable") + 1
        # some registry rows give only the NIB (UMKM outside the survey that have one)
        nib_only = ~self.respondent[member] & pop.has_nib[member] & (rng.random(len(member)) < 0.5)
        self.enrolled = pd.DataFrame({"program": program, "pop": member, "joined": joined,
                                      "merchant": merchant, "nib_only": nib_only})
        self.uvo_width = max(4, len(str(int(uvo.sum()))))

    def merchant_ids(self, rows: pd.DataFrame) -> np.ndarray:
        program, merchant = rows["program"].to_numpy(), rows["merchant"].to_numpy()
        uvo = _cat("UVO-", _join_chars([_digits(merchant, self.uvo_width)], len(merchant)))
        return np.where(program <= GOSHOP, _cat("G", _str(merchant)),
                        np.where(program == SHOPEE, _str(merchant), uvo))


# ================================================================ writers, per source

def _write_survey(out: _Landing, world: _World) -> None:
    rng = world.rng("survey-files")
    wave_a, wave_b = world.waves
    out.count("survey", submissions=len(wave_a.pop) + len(wave_b.pop))
    # wave 2020-06: Kobo CSV exported when the platform started, then downloaded again by mistake
    frame, _ = _survey_frame(wave_a, world.pop, rng)
    data = _csv_bytes(frame, sep=";", quote_all=True, bom=True, line="\r\n")
    name = KOBO_FILE.format(stamp="2021-01-11-02-15-07")
    out.put(f"survey/{name}.csv", data, _at(2021, 1, 11, 9, 15), len(frame))
    out.put(f"survey/{name} (1).csv", data, _at(2021, 1, 11, 9, 17), len(frame), kind="duplicate")
    # wave 2021-03: a CSV taken mid-wave (nothing validated yet), then the final xlsx export
    frame, numeric = _survey_frame(wave_b, world.pop, rng)
    cutoff = _at(2021, 3, 19, 17, 0)
    early = frame[wave_b.submitted <= cutoff].copy()
    early["_validation_status"] = ""
    early["_index"] = _str(np.arange(1, len(early) + 1))
    out.put(f"survey/{KOBO_FILE.format(stamp='2021-03-19-10-02-41')}.csv",
            _csv_bytes(early, sep=";", quote_all=True, bom=True, line="\r\n"), cutoff + 120, len(early))
    final_name = f"survey/{KOBO_FILE.format(stamp='2021-04-05-01-48-13')}"
    when = _at(2021, 4, 5, 8, 48)
    if len(frame) <= XLSX_MAX_ROWS:
        columns = _text_frame_to_xcols(frame, numeric)
        # Kobo names the sheet after the form title, cut to Excel's 31 characters
        out.put(f"{final_name}.xlsx", _xlsx_bytes(KOBO_COLUMNS, columns, "Pendataan UMKM Terdampak Covid-", when,
                                                  creator="KoboToolbox"), when, len(frame))
    else:
        out.put(f"{final_name}.csv", _csv_bytes(frame, sep=";", quote_all=True, bom=True, line="\r\n"),
                when, len(frame))


def _enrollment_frame(world: _World, rows: pd.DataFrame, rng, date_style: str) -> tuple[pd.DataFrame, list]:
    pop = world.pop
    idx = rows["pop"].to_numpy()
    n = len(rows)
    code, name = pop.region_cells(idx, rng, p_code=0.45, p_both=0.15, p_dotted=0.1)
    business = pop.business_names(idx)
    business = np.where(rng.random(n) < 0.12, pd.Series(business, dtype=object).str.upper().to_numpy(), business)
    sector = pop.sector[idx]
    typed = np.empty(n, dtype=object)
    for s, labels in enumerate(SECTOR_TYPED):
        mask = sector == s
        typed[mask] = _pick(labels, rng.integers(0, 100, int(mask.sum())))
    merchant = world.merchant_ids(rows)
    merchant = np.where(rng.random(n) < 0.04, _cat(merchant, " "), merchant)
    nib_only = rows["nib_only"].to_numpy()
    has_nib = pop.has_nib[idx] & (nib_only | (rng.random(n) < 0.5))
    joined = rows["joined"].to_numpy()
    frame = pd.DataFrame({
        "program_id": np.array(PROGRAMS, dtype=object)[rows["program"].to_numpy()],
        "nik_pemilik": np.where(nib_only, "", pop.nik_text(idx, rng, p_apostrophe=0.08 if date_style != "xlsx" else 0,
                                                          p_spaced=0)),
        "nib": np.where(has_nib, _str(pop.nib[idx]), ""),
        "nama_usaha": business,
        "kode_kabkota": code,
        "kabupaten_kota": name,
        "sektor_usaha": typed,
        "platform_merchant_id": merchant,
        "tanggal_bergabung": _fmt_time(joined * DAY, "%Y-%m-%d" if date_style == "iso" else "%d/%m/%Y"),
    })
    columns = []
    if date_style == "xlsx":  # real date cells, some raw serial numbers, codes typed as numbers
        columns = _text_frame_to_xcols(frame, {"kode_kabkota": frame["kode_kabkota"].str.fullmatch(r"\d{4}")})
        serial = _str(joined - _day(1899, 12, 30))
        raw_serial = rng.random(n) < 0.15
        columns[-1] = _XCol(serial, np.where(raw_serial, NUMBER, DATE).astype(np.int8))
    return frame, columns


def _write_enrollment(out: _Landing, world: _World) -> None:
    rng = world.rng("enrollment-files")
    e = world.enrolled
    out.count("enrollment", participants=len(e))
    gofood = e[e["program"] <= GOSHOP].sort_values(["joined", "program"], kind="stable")
    early_cut = _day(2021, 5, 31)

    # 1. the GoFood / Go-Shop registry as kept in Excel
    rows = gofood[gofood["joined"] <= early_cut]
    frame, columns = _enrollment_frame(world, rows, rng, "xlsx")
    when = _at(2021, 6, 3, 10, 15)
    out.put("enrollment/peserta_gofood_goshop_2021.xlsx",
            _xlsx_bytes(ENROLL_COLUMNS, columns, "Peserta", when, creator="Bidang UMKM"), when, len(frame))
    # Excel's owner file while someone has the registry open: a temporary name, never read
    lock = b"\x0bBidang UMKM" + b"\x00" * 43 + b"\x0b\x00B\x00i\x00d\x00a\x00n\x00g\x00" + b"\x00" * 100
    out.put("enrollment/~$peserta_gofood_goshop_2021.xlsx", lock[:165], _at(2022, 1, 20, 8, 1), kind="ignored")

    # 2. later joiners as a csv saved by Excel on Windows: ';', cp1252, a trailing ';',
    #    one corrected row (a better sector) and two mistakes
    rows = gofood[gofood["joined"] > early_cut]
    frame, _ = _enrollment_frame(world, rows, rng, "dmy")
    fixed, _ = _enrollment_frame(world, gofood[gofood["joined"] <= early_cut].iloc[:1], rng, "dmy")
    fixed["sektor_usaha"] = "Makanan dan Minuman"
    fixed["nama_usaha"] = "Kopi Café " + fixed["nama_usaha"].str.split(" ", n=1).str[1].fillna("")
    unknown = frame.iloc[:1].copy()
    unknown["program_id"] = "gofood_promo_2020"
    short_nik = frame.iloc[-1:].copy()
    short_nik["nik_pemilik"] = short_nik["nik_pemilik"].str.lstrip("'").str[:15]
    short_nik["platform_merchant_id"] = "G" + _str(rng.integers(100_000_000, 999_999_999, 1))
    frame = pd.concat([frame, fixed, unknown, short_nik], ignore_index=True)
    out.put("enrollment/peserta_gofood_goshop_tambahan_2021-10.csv",
            _csv_bytes(frame, sep=";", line="\r\n", encoding="cp1252", trailing_sep=True),
            _at(2021, 10, 4, 14, 30), len(frame))

    # 3. UKM Virtual Expo exhibitors: plain csv, one bare ambiguous region
    rows = e[e["program"] == UVO].sort_values("merchant", kind="stable")
    frame, _ = _enrollment_frame(world, rows, rng, "dmy")
    bad = rng.integers(0, len(frame))
    frame.loc[bad, ["kode_kabkota", "kabupaten_kota"]] = ["", "Semarang"]
    out.put("enrollment/peserta_uvo_2021.csv", _csv_bytes(frame), _at(2021, 7, 12, 11, 5), len(frame))

    # 4. Shopee Kampus UMKM: a 2021 batch in xlsx, the 2022 batch as csv with ISO dates
    shopee = e[e["program"] == SHOPEE].sort_values("joined", kind="stable")
    cut = _day(2021, 12, 31)
    frame, columns = _enrollment_frame(world, shopee[shopee["joined"] <= cut], rng, "xlsx")
    when = _at(2022, 1, 6, 9, 40)
    out.put("enrollment/peserta_shopee_kampus_umkm_batch1.xlsx",
            _xlsx_bytes(ENROLL_COLUMNS, columns, "Sheet1", when, creator="Bidang UMKM"), when, len(frame))
    frame, _ = _enrollment_frame(world, shopee[shopee["joined"] > cut], rng, "iso")
    out.put("enrollment/peserta_shopee_kampus_umkm_batch2.csv", _csv_bytes(frame), _at(2022, 7, 4, 13, 20),
            len(frame))


# ================================================================ GoBiz (GoFood, GoShop, GoPay)

GOBIZ_STATUS = {  # feature -> (statuses, weights) of the final status
    "GoFood": (["completed", "cancel", "expire", "refund", "pending"], [0.885, 0.07, 0.025, 0.015, 0.005]),
    "GoShop": (["completed", "cancel", "expire", "refund", "pending"], [0.89, 0.06, 0.03, 0.015, 0.005]),
    "GoPay": (["settlement", "expire", "cancel", "pending", "deny", "refund"], [0.91, 0.04, 0.02, 0.01, 0.01, 0.01]),
}
GOBIZ_PAYMENT = {"GoFood": (["GOPAY", "CASH", "GOPAY_LATER", "CREDIT_CARD"], [0.55, 0.3, 0.1, 0.05]),
                 "GoShop": (["GOPAY", "CASH", "GOPAY_LATER"], [0.7, 0.2, 0.1]),
                 "GoPay": (["QRIS", "GOPAY"], [0.8, 0.2])}
STATUS_NAMES = sorted({s for statuses, _ in GOBIZ_STATUS.values() for s in statuses})


def _daily_weights(first_day: int, n_days: int, boosts: list[tuple[int, int, float]], weekend: float) -> np.ndarray:
    days = np.arange(first_day, first_day + n_days)
    weights = np.ones(n_days)
    weekday = (days + 3) % 7                     # 1970-01-01 was a Thursday: 0 = Monday
    weights[weekday >= 5] *= weekend
    for lo, hi, factor in boosts:
        weights[(days >= lo) & (days <= hi)] *= factor
    return weights


def _draw_by_group(rng, group: np.ndarray, choices: dict) -> tuple[np.ndarray, np.ndarray]:
    """For each group name in `choices` -> (options, weights), draw an option index per row."""
    out = np.zeros(len(group), np.int64)
    for name, (options, weights) in choices.items():
        mask = group == name
        out[mask] = rng.choice(len(options), int(mask.sum()), p=np.asarray(weights) / sum(weights))
    return out


@dataclass
class _GoBiz:
    """All GoBiz transactions of 2021, sorted by (merchant group, WIB day, time)."""
    merchant_gid: np.ndarray         # per merchant: the number after 'G'
    merchant_name: np.ndarray
    merchant_group: np.ndarray
    tx: pd.DataFrame
    key: np.ndarray                  # group * 1000 + WIB day index, sorted
    first_day: int


def _gobiz_data(world: _World) -> _GoBiz:
    rng = world.rng("gobiz")
    pop, e, s = world.pop, world.enrolled, world.scale
    first_day, n_days = _day(2021, 1, 1), 365
    g = e[e["program"] <= GOSHOP].assign(bit=lambda f: np.left_shift(1, f["program"]))
    merchants = g.groupby("merchant", sort=True).agg(pop=("pop", "first"), joined=("joined", "min"),
                                                     programs=("bit", "sum"))
    kind = np.select([merchants["programs"] == 1, merchants["programs"] == 2], ["banner", "goshop"], "both")
    # a few merchants on GoBiz that are in no program
    outsiders = np.flatnonzero(~np.isin(np.arange(pop.n), e["pop"]) & (pop.sector == 0))
    n_extra = 4 * s
    extra_pop = rng.choice(outsiders, n_extra, replace=False)
    gid = np.concatenate([merchants.index.to_numpy(), _distinct_ints(rng, n_extra, 900_000_000, 1_000_000_000)])
    m_pop = np.concatenate([merchants["pop"].to_numpy(), extra_pop])
    m_kind = np.concatenate([kind, np.full(n_extra, "extra", dtype=object)])
    joined = np.concatenate([merchants["joined"].to_numpy(), np.full(n_extra, first_day + 30)])
    m = len(gid)
    start = np.clip(joined - rng.integers(0, 120, m) - first_day, 0, n_days - 30)
    end = np.where(rng.random(m) < 0.1, start + rng.integers(30, 300, m), n_days)
    end = np.minimum(end, n_days)
    weight = np.exp(rng.normal(0, 0.9, m)) * (end - start) * (rng.random(m) > 0.12)  # some never sell
    counts = rng.multinomial(20_000 * s, weight / weight.sum())
    merchant = np.repeat(np.arange(m), counts)
    n = len(merchant)
    ramadan, ppkm = (_day(2021, 4, 13), _day(2021, 5, 12)), (_day(2021, 7, 3), _day(2021, 7, 25))
    december = (_day(2021, 12, 1), _day(2021, 12, 31))
    daily = _daily_weights(first_day, n_days, [(*ramadan, 1.3), (*ppkm, 0.7), (*december, 1.1)], 1.2)
    day = _sample_days(rng, start[merchant], end[merchant], daily)

    feature_p = {"banner": [0.85, 0, 0.15], "goshop": [0, 0.8, 0.2], "both": [0.55, 0.3, 0.15], "extra": [0.9, 0, 0.1]}
    feature = _draw_by_group(rng, m_kind[merchant], {k: (GOBIZ_FEATURES, w) for k, w in feature_p.items()})
    fname = np.array(GOBIZ_FEATURES, dtype=object)[feature]
    # local time of day: lunch and dinner peaks; a few orders just after midnight WIB (17:xx Z the day before)
    slot = rng.choice(5, n, p=[0.05, 0.38, 0.12, 0.40, 0.05])
    lo = np.array([6, 10, 14, 17, 0])[slot] * 3600
    hi = np.array([10, 14, 17, 21.5, 1.5])[slot] * 3600
    tod = (lo + rng.random(n) * (hi - lo)).astype(np.int64)
    tod = np.where(fname == "GoFood", tod, rng.integers(7 * 3600, 21 * 3600, n))
    ts = (first_day + day) * DAY + tod - WIB
    median = np.select([fname == "GoFood", fname == "GoShop"], [55_000, 180_000], 35_000)
    amount = np.clip(np.round(median * np.exp(rng.normal(0, 0.6, n)) / 500) * 500, 5_000, 5_000_000).astype(np.int64)
    status = _draw_by_group(rng, fname, GOBIZ_STATUS)
    status_name = np.empty(n, dtype=object)
    for f, (statuses, _) in GOBIZ_STATUS.items():
        mask = fname == f
        status_name[mask] = np.array(statuses, dtype=object)[status[mask]]
    payment = _draw_by_group(rng, fname, GOBIZ_PAYMENT)
    payment_name = np.empty(n, dtype=object)
    for f, (options, _) in GOBIZ_PAYMENT.items():
        mask = fname == f
        payment_name[mask] = np.array(options, dtype=object)[payment[mask]]
    in_banner = (np.isin(m_kind[merchant], ["banner", "both"]) & (fname == "GoFood")
                 & (first_day + day >= joined[merchant]))
    promo = np.select([in_banner & (rng.random(n) < 0.35), rng.random(n) < 0.06], [1, 2], 0)
    discount = np.where(promo == 1, np.minimum(np.round(amount * 0.1 / 500) * 500, 20_000), 0).astype(np.int64)
    rate = np.select([fname == "GoFood", fname == "GoShop"], [0.20, 0.15], 0.007)
    commission = np.round(amount * rate).astype(np.int64)
    tax = np.round(commission * 0.11).astype(np.int64)
    gopay_promo = np.where((promo == 2) & (fname != "GoShop"), np.minimum(amount // 10, 10_000), 0)
    # a few rows that break the contract: negative and non-numeric amounts
    bad_negative, bad_text = _bad_rows(rng, n, _few(n, 8000), _few(n, 8000))
    bad = np.zeros(n, np.int8)
    bad[bad_negative], bad[bad_text] = 1, 2

    order_number = np.empty(n, np.int64)
    by_time = np.argsort(ts, kind="stable")
    order_number[by_time] = np.sort(_distinct_ints(rng, n, 1_200_000_000, 1_999_999_999))
    group_of = rng.integers(0, _gobiz_groups(s), m)
    tx = pd.DataFrame({
        "merchant": merchant, "group": group_of[merchant], "day": day, "ts": ts, "ms": rng.integers(0, 1000, n),
        "feature": fname, "amount": amount, "status": status_name, "payment": payment_name, "promo": promo,
        "discount": discount, "commission": commission, "tax": tax, "gopay_promo": gopay_promo, "bad": bad,
        "order_number": order_number, "reference": rng.integers(10**11, 10**12, n), "stan": rng.integers(0, 10**6, n),
        "pending_draw": rng.random(n),
    })
    tx["uuid"] = _uuid4(rng, n)
    tx = tx.sort_values(["group", "day", "ts"], kind="stable").reset_index(drop=True)
    name = pop.business_names(m_pop)
    region_word = pop._region_base()[pop.region[m_pop]]
    name = np.where(rng.random(m) < 0.4, _cat(name, ", ", region_word), name)
    return _GoBiz(gid, name, group_of, tx, tx["group"].to_numpy() * 1000 + tx["day"].to_numpy(), first_day)


def _gobiz_groups(scale: int) -> int:
    """GoBiz accounts (merchant groups), each downloading its own reports: grows slower than the data."""
    return 8 * max(1, round(math.sqrt(scale)))


def _gobiz_frame(data: _GoBiz, rows: pd.DataFrame, rng, pending_after: int | None = None,
                 apostrophe: bool = False, comma_amounts: bool = False, millis: bool = True) -> pd.DataFrame:
    """A GoBiz transaction report. Rows settled only recently show `pending` when the report was
    pulled before `pending_after`... i.e. those done after `pending_after` may still be pending."""
    n = len(rows)
    ts = rows["ts"].to_numpy()
    feature = rows["feature"].to_numpy()
    status = rows["status"].to_numpy().copy()
    if pending_after is not None:
        late = ((ts >= pending_after) & np.isin(status, ["completed", "settlement"])
                & (rows["pending_draw"].to_numpy() < 0.5))
        status[late] = "pending"

    def money(values):
        return _grouped(values, ",") if comma_amounts else _str(values)

    amount = rows["amount"].to_numpy()
    nett = amount - rows["commission"].to_numpy() - rows["tax"].to_numpy()
    amount_text = money(amount)
    bad = rows["bad"].to_numpy()
    amount_text = np.where(bad == 1, _cat("-", amount_text), np.where(bad == 2, "#VALUE!", amount_text))
    quote = "'" if apostrophe else ""
    order_no = _str(rows["order_number"].to_numpy())
    order_id = np.select([feature == "GoFood", feature == "GoShop"],
                         [_cat(quote, "F-", order_no), _cat(quote, "GS-", order_no)], "")
    time_format = "%Y-%m-%dT%H:%M:%S.%fZ" if millis else "%Y-%m-%dT%H:%M:%SZ"
    merchant = rows["merchant"].to_numpy()
    promo = rows["promo"].to_numpy()
    return pd.DataFrame({
        "Transaction Date": _fmt_time(ts + WIB, "%m/%d/%Y"),
        "Transaction time": _fmt_time(ts, time_format, rows["ms"].to_numpy()),
        "Transaction ID": _cat(quote, rows["uuid"].to_numpy()),
        "Transaction Reference": _cat("A12", _str(rows["reference"].to_numpy())),
        "Order ID": order_id,
        "Stan": np.where(feature == "GoPay", _join_chars([_digits(rows["stan"].to_numpy(), 6)], n), ""),
        "Amount": amount_text,
        "Nett Amount": money(nett),
        "Transaction Status": status,
        "Feature": feature,
        "Payment Type": rows["payment"].to_numpy(),
        "Merchant name": data.merchant_name[merchant],
        "Merchant ID": _cat(quote, "G", _str(data.merchant_gid[merchant])),
        "Promo Type": np.select([promo == 1, promo == 2], ["Discount", "Voucher"], ""),
        "Promo Name": np.select([promo == 1, promo == 2], ["Promo Banner UMKM Jateng", "Diskon Ongkir"], ""),
        "Gopay promo": money(rows["gopay_promo"].to_numpy()),
        "GoFood discount": money(rows["discount"].to_numpy()),
        "Voucher commission": money(rows["commission"].to_numpy()),
        "Tax": money(rows["tax"].to_numpy()),
        "Witholding tax": np.full(n, "0", dtype=object),
        "Currency": np.full(n, "IDR", dtype=object),
    }, columns=GOBIZ_COLUMNS)


def _write_gofood(out: _Landing, world: _World) -> None:
    data = _gobiz_data(world)
    out.count("gofood", transactions=len(data.tx), merchants=len(data.merchant_gid))
    rng = world.rng("gobiz-files")
    n_groups = _gobiz_groups(world.scale)
    d0 = data.first_day

    def rows_for(group: int, lo_day: int, hi_day: int) -> pd.DataFrame:
        """Transactions of a group whose WIB date is in [lo_day, hi_day] (days since the epoch)."""
        a = np.searchsorted(data.key, group * 1000 + lo_day - d0, side="left")
        b = np.searchsorted(data.key, group * 1000 + hi_day - d0, side="right")
        return data.tx.iloc[a:b]

    def name(group: int, lo_day: int, hi_day: int, suffix: str = "") -> str:
        lo, hi = _fmt_time(np.array([lo_day * DAY, hi_day * DAY]), "%Y%m%d")
        return f"gofood/gobiz_grp{group + 1:02d}_transactions_{lo}_{hi}{suffix}.csv"

    def report(rows, style, pending_after=None, bom=True) -> bytes:
        frame = _gobiz_frame(data, rows, rng, pending_after, style["apostrophe"], style["comma"], style["millis"])
        return _csv_bytes(frame, bom=style["bom"] and bom)

    months = [(_day(2021, mo, 1), _day(2021 + mo // 12, mo % 12 + 1, 1) - 1) for mo in range(1, 13)]
    daily_group = 2 % n_groups                     # grp03 downloads daily reports in December
    for group in range(n_groups):
        style = {"bom": rng.random() < 0.8, "apostrophe": rng.random() < 0.35, "comma": rng.random() < 0.5,
                 "millis": rng.random() < 0.5}
        lag = group % 4 + 1
        for mo, (lo, hi) in enumerate(months, start=1):
            when = (hi + 1 + lag) * DAY - WIB + 8 * 3600 + group * 7 * 60     # a few days after month end, 08:xx WIB
            rows = rows_for(group, lo, hi)
            if group == daily_group and mo == 12:
                for day in range(lo, hi + 1):
                    day_rows = rows_for(group, day, day)
                    rerun = day >= hi - 2
                    # reports for the last days were pulled early: late rows still pending
                    pending_after = (day + 1) * DAY - WIB - 6 * 3600 if rerun else None
                    out.put(name(group, day, day), report(day_rows, style, pending_after),
                            (day + 1) * DAY - WIB + 6 * 3600 + 30 * 60, len(day_rows))
                rerun_rows = rows_for(group, hi - 2, hi)
                out.put(name(group, hi - 2, hi, "_rerun"), report(rerun_rows, style), _at(2022, 1, 5, 10, 0),
                        len(rerun_rows), kind="rerun")
                continue
            if group == 0 and mo == 6:
                # pulled right at month end, re-run two weeks later: pending rows have settled
                out.put(name(group, lo, hi), report(rows, style, (hi + 1) * DAY - WIB - 20 * 3600),
                        (hi + 1) * DAY - WIB + 3600, len(rows))
                out.put(name(group, lo, hi, "_rerun"), report(rows, style), _at(2021, 7, 15, 9, 30), len(rows),
                        kind="rerun")
                continue
            if group == 4 % n_groups and mo == 10:
                # a failed download (empty file), downloaded again a few minutes later
                out.put(name(group, lo, hi), b"", when, 0, kind="broken")
                out.put(name(group, lo, hi, " (1)"), report(rows, style), when + 20 * 60, len(rows))
                continue
            if group == 3 % n_groups and mo == 8:
                # two half-month reports pasted into one file: the header row repeats inside
                half = len(rows) // 2
                data_bytes = report(rows.iloc[:half], style) + report(rows.iloc[half:], style, bom=False)
                out.put(name(group, lo, hi), data_bytes, when, len(rows), kind="repeated_header")
                continue
            data_bytes = report(rows, style)
            out.put(name(group, lo, hi), data_bytes, when, len(rows))
            if group == 1 % n_groups and mo == 5:
                # the same report delivered twice: identical bytes under the browser's copy name
                out.put(name(group, lo, hi, " (1)"), data_bytes, when + 3 * 60, len(rows), kind="duplicate")
            if group == 1 % n_groups and mo == 2:
                # a payout export of the same month: 'Gross Amount' instead of 'Amount' -> quarantined
                frame = _gobiz_frame(data, rows, rng, None, style["apostrophe"], style["comma"], style["millis"])
                frame = frame.rename(columns={"Amount": "Gross Amount"})
                out.put(f"gofood/gobiz_grp{group + 1:02d}_payout_20210201_20210228.csv", _csv_bytes(frame, bom=True),
                        when + DAY, len(rows), kind="broken")
            if group == 5 % n_groups and mo == 12:
                # a download still in progress: a temporary name, never read
                out.put(name(group, lo, hi) + ".part", data_bytes[: len(data_bytes) * 2 // 5], _at(2022, 1, 3, 8, 0),
                        kind="ignored")


# ================================================================ Shopee Seller Centre

@dataclass
class _Shopee:
    shop_ids: np.ndarray             # per shop folder
    orders: pd.DataFrame             # one row per order, sorted by (shop, created)
    lines: pd.DataFrame              # one row per order line, sorted like the orders
    items: pd.DataFrame              # the shops' catalogues
    line_start: np.ndarray           # first line of each order


def _shopee_data(world: _World) -> _Shopee:
    rng = world.rng("shopee")
    e, pop, s = world.enrolled, world.pop, world.scale
    enrolled = e[e["program"] == SHOPEE].sort_values("joined", kind="stable")
    # only some participants send their exports; the earlier joiners, mostly; plus one shop in no program
    n_folders = min(len(enrolled), 10 * max(1, round(math.sqrt(s))))
    candidates = enrolled[enrolled["joined"] <= _day(2022, 3, 31)]
    chosen = candidates.iloc[np.sort(rng.choice(len(candidates), n_folders, replace=False))]
    outsider = rng.choice(np.flatnonzero(~np.isin(np.arange(pop.n), e["pop"])), 1)
    shop_pop = np.concatenate([chosen["pop"].to_numpy(), outsider])
    shop_ids = np.concatenate([chosen["merchant"].to_numpy(), _distinct_ints(rng, 1, 900_000_000, 999_999_999)])
    joined = np.concatenate([chosen["joined"].to_numpy(), [_day(2021, 10, 1)]])
    n_shops = len(shop_ids)
    first_day, last_day = _day(2021, 8, 1), _day(2022, 12, 15)
    n_days = last_day - first_day + 1
    start = np.clip(joined - rng.integers(0, 30, n_shops) - first_day, 0, n_days - 60)

    # catalogue: 8-20 items per shop, products of the shop's sector, each with its own SKU
    n_items = rng.integers(8, 21, n_shops)
    item_shop = np.repeat(np.arange(n_shops), n_items)
    item_no = np.arange(len(item_shop)) - np.repeat(np.cumsum(n_items) - n_items, n_items)
    sector = pop.sector[shop_pop][item_shop]
    product_name = np.empty(len(item_shop), dtype=object)
    base_price = np.zeros(len(item_shop))
    for sec, products in enumerate(SHOPEE_PRODUCTS):
        mask = sector == sec
        pick = rng.integers(0, len(products), int(mask.sum()))
        product_name[mask] = np.array([p[0] for p in products], dtype=object)[pick]
        base_price[mask] = np.array([p[1] for p in products], dtype=float)[pick]
    variation = _pick(SHOPEE_VARIATIONS, rng.integers(0, 1000, len(item_shop)))
    price = (np.round(base_price * rng.uniform(0.8, 1.3, len(item_shop)) / 500) * 500).astype(np.int64)
    shop_code = _join_chars([_random_chars(rng, n_shops, 3, _ALNUM[10:])], n_shops)
    items = pd.DataFrame({"shop": item_shop, "product": product_name, "variation": variation, "price": price,
                          "sku": _cat(shop_code[item_shop], "-", _join_chars([_digits(item_no, 3)], len(item_no))),
                          "parent_sku": _cat(shop_code[item_shop], "-", _str(item_no // 3 + 1)),
                          "weight": rng.choice([100, 250, 300, 500, 750, 1000], len(item_shop))})
    item_offset = np.cumsum(n_items) - n_items

    weight = np.exp(rng.normal(0, 0.7, n_shops)) * (n_days - start)
    counts = rng.multinomial(3_000 * s, weight / weight.sum())
    shop = np.repeat(np.arange(n_shops), counts)
    n = len(shop)
    d = lambda y, m, dd: _day(y, m, dd)  # noqa: E731
    # twin-date sales (9.9, 10.10, 11.11, 12.12, ...) and Ramadan 2022
    boosts = [(d(y, m, m), d(y, m, m), 5 if m >= 11 else 4 if m >= 9 else 3)
              for y, m in [(2021, 9), (2021, 10), (2021, 11), (2021, 12), (2022, 6), (2022, 7), (2022, 8),
                           (2022, 9), (2022, 10), (2022, 11), (2022, 12)]] + [(d(2022, 4, 2), d(2022, 5, 1), 1.3)]
    daily = _daily_weights(first_day, n_days, boosts, 1.1)
    day = first_day + _sample_days(rng, start[shop], np.full(n, n_days), daily)
    tod = np.where(rng.random(n) < 0.6, rng.integers(18 * 3600, 23 * 3600 + 3599, n),
                   rng.integers(6 * 3600, 18 * 3600, n))
    created = day * DAY + tod - WIB
    created -= created % 60                       # Shopee shows minutes
    fate = rng.choice(3, n, p=[0.85, 0.10, 0.05])  # 0 completed, 1 cancelled, 2 never paid
    paid_after = np.where(rng.random(n) < 0.7, rng.integers(60, 1800, n), rng.integers(1800, 20 * 3600, n))
    complete_after = np.where(rng.random(n) < 0.97, rng.integers(2 * DAY, 9 * DAY, n),
                              rng.integers(9 * DAY, 20 * DAY, n))
    cancel_after = rng.integers(1800, 30 * 3600, n)
    n_lines = rng.choice([1, 2, 3, 4], n, p=[0.58, 0.25, 0.11, 0.06])
    city = rng.choice(len(BUYER_CITIES), n, p=np.array(BUYER_CITY_WEIGHTS) / sum(BUYER_CITY_WEIGHTS))
    orders = pd.DataFrame({
        "shop": shop, "created": created, "fate": fate, "paid_after": paid_after, "complete_after": complete_after,
        "cancel_after": cancel_after, "n_lines": n_lines, "first_item": rng.integers(0, 1000, n),
        "shipping": rng.choice([0, 9000, 10000, 12000, 15000, 18000, 22000, 35000], n),
        "voucher": rng.choice([0, 0, 0, 2000, 5000, 10000], n),
        "courier": rng.integers(0, len(SHOPEE_COURIERS), n), "payment": rng.integers(0, len(SHOPEE_PAYMENTS), n),
        "female": rng.random(n) < 0.6, "r_first": rng.integers(0, 1 << 30, n), "r_last": rng.integers(0, 1 << 30, n),
        "user_digits": rng.integers(0, 1000, n), "user_form": rng.integers(0, 4, n), "city": city,
        "street": rng.integers(0, len(STREETS), n), "house": rng.integers(1, 200, n), "rt": rng.integers(1, 15, n),
        "rw": rng.integers(1, 12, n), "zip": rng.integers(100, 999, n),
        "phone": 628 * 10**10 + rng.integers(11, 99, n) * 10**8 + rng.integers(0, 10**8, n),
        "note": rng.integers(0, len(BUYER_NOTES), n), "resi_digits": rng.integers(10**11, 10**12, n),
    })
    sn = _random_chars(rng, n, 8)
    orders["sn"] = _join_chars([_fmt_time(created + WIB, "%y%m%d").astype("S6").view(np.uint8).reshape(n, 6), sn], n)
    orders = orders.sort_values(["shop", "created"], kind="stable").reset_index(drop=True)
    # lines: consecutive catalogue items from a random start, so an order never repeats an item
    n_lines = orders["n_lines"].to_numpy()
    line_order = np.repeat(np.arange(n), n_lines)
    line_start = np.cumsum(n_lines) - n_lines
    j = np.arange(len(line_order)) - line_start[line_order]
    o_shop = orders["shop"].to_numpy()[line_order]
    item = item_offset[o_shop] + (orders["first_item"].to_numpy()[line_order] + j) % n_items[o_shop]
    n_l = len(item)
    price = items["price"].to_numpy()[item]
    discounted = np.where(rng.random(n_l) < 0.4, np.round(price * rng.uniform(0.7, 0.95, n_l) / 100) * 100,
                          price).astype(np.int64)
    quantity = rng.choice([1, 1, 1, 1, 1, 1, 2, 2, 3, 4, 5], n_l)
    returned = np.where(rng.random(n_l) < 0.015, 1, 0)
    lines = pd.DataFrame({"order": line_order, "item": item, "price": price, "discounted": discounted,
                          "quantity": quantity, "returned": returned})
    line_total = discounted * quantity
    order_total = np.bincount(line_order, weights=line_total, minlength=n).astype(np.int64)
    orders["products_total"] = order_total
    orders["payment_total"] = np.maximum(order_total + orders["shipping"].to_numpy() - orders["voucher"].to_numpy(), 0)
    orders["discount_total"] = np.bincount(line_order, weights=(price - discounted) * quantity,
                                           minlength=n).astype(np.int64)
    return _Shopee(shop_ids, orders, lines, items, line_start)


def _shopee_frame(data: _Shopee, order_lo: int, order_hi: int, as_of: int, new_layout: bool,
                  text_money: bool) -> pd.DataFrame:
    """The Order.all export of orders [order_lo, order_hi) as it looked at time `as_of`."""
    o = data.orders.iloc[order_lo:order_hi]
    n_lines = o["n_lines"].to_numpy()
    line_lo = data.line_start[order_lo] if order_hi > order_lo else 0
    lines = data.lines.iloc[line_lo:line_lo + int(n_lines.sum())]
    rep = lines["order"].to_numpy() - order_lo          # order position of each line
    created = o["created"].to_numpy()
    fate = o["fate"].to_numpy()
    paid = created + o["paid_after"].to_numpy()
    completed = created + o["complete_after"].to_numpy()
    cancelled = created + o["cancel_after"].to_numpy()
    status = np.select(
        [(fate == 0) & (as_of >= completed), (fate == 0) & (as_of >= paid), fate == 0,
         (fate == 1) & (as_of >= cancelled), fate == 1, as_of >= created + DAY],
        ["Selesai", "Sedang Dikirim", "Belum Bayar", "Batal", "Belum Bayar", "Batal"], "Belum Bayar").astype(object)
    reason = np.select([status != "Batal", fate == 1],
                       ["", "Dibatalkan oleh Pembeli. Alasan: Ingin mengubah pesanan"],
                       "Dibatalkan otomatis oleh sistem. Pembeli tidak melakukan pembayaran").astype(object)
    is_paid = np.isin(status, ["Selesai", "Sedang Dikirim"])
    done = status == "Selesai"
    n = len(o)
    female, r_first, r_last = o["female"].to_numpy(), o["r_first"].to_numpy(), o["r_last"].to_numpy()
    first = np.where(female, _pick(FEMALE_FIRST, r_first), _pick(MALE_FIRST, r_first))
    last = np.where(female, _pick(FEMALE_LAST, r_last), _pick(MALE_LAST, r_last))
    lower_first = pd.Series(first, dtype=object).str.lower().to_numpy()
    lower_last = pd.Series(last, dtype=object).str.lower().to_numpy()
    form = o["user_form"].to_numpy()
    digits = _str(o["user_digits"].to_numpy())
    username = np.select([form == 0, form == 1, form == 2],
                         [_cat(lower_first, lower_last, digits), _cat(lower_first, ".", lower_last),
                          _cat(lower_first, "_", digits)], _cat(lower_last, lower_first))
    city = o["city"].to_numpy()
    city_name = np.array([c[0] for c in BUYER_CITIES], dtype=object)[city]
    province = np.array([c[1] for c in BUYER_CITIES], dtype=object)[city]
    postal = np.array([c[2] for c in BUYER_CITIES])[city] * 1000 + o["zip"].to_numpy()
    address = _cat(_pick(STREETS, o["street"].to_numpy()), " No. ", _str(o["house"].to_numpy()),
                   ", RT ", _join_chars([_digits(o["rt"].to_numpy(), 3)], n), "/RW ",
                   _join_chars([_digits(o["rw"].to_numpy(), 3)], n), ", ", city_name, ", ", province, ", ID, ",
                   _str(postal))
    resi = np.where(is_paid, _cat("JP", _str(o["resi_digits"].to_numpy())), "")
    items = data.items.iloc[lines["item"].to_numpy()]
    price, discounted = lines["price"].to_numpy(), lines["discounted"].to_numpy()
    quantity = lines["quantity"].to_numpy()
    returned = np.where(done[rep], lines["returned"].to_numpy(), 0)
    n_l = len(lines)

    def money(values):
        return _grouped(values) if text_money else _str(values)

    none = "" if new_layout else "-"
    columns = {
        "No. Pesanan": o["sn"].to_numpy()[rep],
        "Status Pesanan": status[rep],
        "Alasan Pembatalan": reason[rep],
        "Status Pembatalan/ Pengembalian": np.where(returned > 0, "Pengembalian Dana Diterima", ""),
        "No. Resi": resi[rep],
        "Opsi Pengiriman": _pick(SHOPEE_COURIERS, o["courier"].to_numpy())[rep],
        "Waktu Pesanan Dibuat": _fmt_time(created + WIB, "%Y-%m-%d %H:%M")[rep],
        "Waktu Pembayaran Dilakukan": np.where(is_paid, _fmt_time(paid + WIB, "%Y-%m-%d %H:%M"), none)[rep],
        "Metode Pembayaran": _pick(SHOPEE_PAYMENTS, o["payment"].to_numpy())[rep],
        "SKU Induk": items["parent_sku"].to_numpy(),
        "Nama Produk": items["product"].to_numpy(),
        "Nomor Referensi SKU": items["sku"].to_numpy(),
        "Nama Variasi": items["variation"].to_numpy(),
        "Harga Awal": money(price),
        "Harga Setelah Diskon": money(discounted),
        "Jumlah": _str(quantity),
        "Returned quantity": _str(returned),
        "Total Harga Produk": money(discounted * quantity),
        "Total Diskon": money((price - discounted) * quantity),
        "Diskon Dari Penjual": money((price - discounted) * quantity),
        "Berat Produk": _cat(_str(items["weight"].to_numpy()), " gr"),
        "Jumlah Produk di Pesan": _str(n_lines[rep]),
        "Voucher Ditanggung Penjual": money(o["voucher"].to_numpy())[rep],
        "Ongkos Kirim Dibayar oleh Pembeli": money(o["shipping"].to_numpy())[rep],
        "Total Pembayaran": money(o["payment_total"].to_numpy())[rep],
        "Catatan dari Pembeli": _pick(BUYER_NOTES, o["note"].to_numpy())[rep],
        "Username (Pembeli)": username[rep],
        "Nama Penerima": _cat(first, " ", last)[rep],
        "No. Telepon": _str(o["phone"].to_numpy())[rep],
        "Alamat Pengiriman": address[rep],
        "Kota/Kabupaten": city_name[rep],
        "Provinsi": province[rep],
        "Waktu Pesanan Selesai": np.where(done, _fmt_time(completed + WIB, "%Y-%m-%d %H:%M"), none)[rep],
    }
    columns["Dibayar Pembeli"] = columns["Total Pembayaran"]
    header = SHOPEE_NEW if new_layout else SHOPEE_OLD
    frame = pd.DataFrame({c: np.asarray(columns[c], dtype=object) for c in header}, columns=header)
    assert len(frame) == n_l
    return frame


SHOPEE_NEW_LAYOUT_FROM = _at(2022, 3, 1)            # Seller Centre changed its export layout


def _write_shopee(out: _Landing, world: _World) -> None:
    data = _shopee_data(world)
    out.count("shopee", orders=len(data.orders), order_lines=len(data.lines), shops=len(data.shop_ids))
    rng = world.rng("shopee-files")
    orders = data.orders
    shop = orders["shop"].to_numpy()
    created = orders["created"].to_numpy()
    last_month = _month_index(_day(2022, 11, 1))
    money_cols = ["Harga Awal", "Harga Setelah Diskon", "Total Harga Produk", "Total Diskon",
                  "Diskon Dari Penjual", "Voucher Ditanggung Penjual", "Ongkos Kirim Dibayar oleh Pembeli",
                  "Total Pembayaran", "Dibayar Pembeli"]
    overlap_shops = {0, 1 % len(data.shop_ids)}
    truncated_shop = 2 % len(data.shop_ids)

    def export(s: int, lo_day: int, hi_day: int, as_of: int, suffix: str = "", kind: str = "data",
               fmt: str | None = None, cut: float | None = None) -> None:
        a = np.searchsorted(shop * 10**11 + created, s * 10**11 + lo_day * DAY - WIB, side="left")
        b = np.searchsorted(shop * 10**11 + created, s * 10**11 + (hi_day + 1) * DAY - WIB, side="left")
        if b <= a:
            return
        new_layout = as_of >= SHOPEE_NEW_LAYOUT_FROM
        csv_file = (fmt or ("csv" if rng.random() < (0.5 if s % 4 == 3 else 0.1) else "xlsx")) == "csv"
        text_money = rng.random() < (0.7 if new_layout else 0.3)
        frame = _shopee_frame(data, a, b, as_of, new_layout, text_money and not csv_file)
        lo, hi = _fmt_time(np.array([lo_day * DAY, hi_day * DAY]), "%Y%m%d")
        path = f"shopee/{data.shop_ids[s]}/Order.all.{lo}_{hi}{suffix}"
        if csv_file or len(frame) > XLSX_MAX_ROWS:
            if rng.random() < 0.5:
                for c in money_cols:
                    if c in frame:
                        frame[c] = _grouped(pd.to_numeric(frame[c]).to_numpy())
            out.put(path + ".csv", _csv_bytes(frame, bom=rng.random() < 0.5), as_of, len(frame), kind)
            return
        numeric = {c: np.ones(len(frame), bool) for c in ["Jumlah", "Returned quantity", "Jumlah Produk di Pesan"]}
        if not text_money:
            numeric |= {c: np.ones(len(frame), bool) for c in money_cols}
        xlsx = _xlsx_bytes(list(frame.columns), _text_frame_to_xcols(frame, numeric), "orders", as_of, creator="Shopee")
        if cut is not None:
            xlsx = xlsx[: int(len(xlsx) * cut)]
        out.put(path + ".xlsx", xlsx, as_of, len(frame), kind)

    for s in range(len(data.shop_ids)):
        first = np.searchsorted(shop, s)          # orders are sorted by (shop, created)
        if first == len(shop) or shop[first] != s:
            continue
        first_month = _month_index((created[first] + WIB) // DAY)
        for month in range(int(first_month), int(last_month) + 1):
            lo, hi = _month_start(month), _month_start(month + 1) - 1
            as_of = (hi + 1 + 8 + s % 5) * DAY - WIB + 9 * 3600 + s * 11 * 60   # pulled ~10 days after month end
            if s in overlap_shops and month == _month_index(_day(2021, 9, 1)):
                # pulled on the 1st: late September orders still on their way ...
                export(s, lo, hi, _at(2021, 10, 1, 9, 0) + s * 60)
                # ... so an overlapping export two weeks later shows them `Selesai`
                export(s, _day(2021, 9, 15), _day(2021, 10, 15), _at(2021, 10, 25, 10, 0) + s * 60, kind="overlap")
                continue
            if s == truncated_shop and month == _month_index(_day(2022, 6, 1)):
                # a download cut short (quarantined), then downloaded again
                export(s, lo, hi, as_of, kind="broken", fmt="xlsx", cut=0.55)
                export(s, lo, hi, as_of + 15 * 60, suffix=" (1)", fmt="xlsx")
                continue
            export(s, lo, hi, as_of)
        # the first half of December 2022, pulled mid-month
        export(s, _day(2022, 12, 1), _day(2022, 12, 15), _at(2022, 12, 16, 9, 0) + s * 60)
    # a macOS folder file and a LibreOffice lock: never read
    out.put("shopee/.DS_Store", b"\x00\x00\x00\x01Bud1" + bytes(range(256)) * 2, _at(2022, 12, 20, 8, 0),
            kind="ignored")
    out.put(f"shopee/{data.shop_ids[0]}/.~lock.Order.all.20221201_20221215.xlsx#",
            "Bidang UMKM,bidang-umkm,PC-UMKM-03,16.12.2022 09:05,file:///C:/Users/umkm/AppData/Roaming/LibreOffice/4;".encode(),
            _at(2022, 12, 16, 9, 5), kind="ignored")


# ================================================================ UKM Virtual Expo

def _uvo_frame(world: _World) -> pd.DataFrame:
    rng = world.rng("uvo")
    e, pop, ref = world.enrolled, world.pop, world.ref
    exhibitors = e[e["program"] == UVO].sort_values("merchant", kind="stable")
    m = len(exhibitors)
    weight = np.exp(rng.normal(0, 1.0, m)) * (rng.random(m) > 0.15)
    n = 600 * world.scale
    who = np.repeat(np.arange(m), rng.multinomial(n, weight / weight.sum()))
    first_day, last_day = _day(2021, 1, 1), _day(2021, 12, 31)
    joined = exhibitors["joined"].to_numpy()[who]
    expo = [(_day(2021, 4, 19), _day(2021, 4, 25), 6), (_day(2021, 8, 16), _day(2021, 8, 22), 6),
            (_day(2021, 11, 22), _day(2021, 11, 28), 6)]     # the three virtual expo weeks
    day = first_day + _sample_days(rng, joined - first_day, np.full(n, last_day - first_day + 1),
                                   _daily_weights(first_day, last_day - first_day + 1, expo, 1.0))
    local = day * DAY + rng.integers(8 * 3600, 22 * 3600, n)
    country_i = rng.choice(len(UVO_COUNTRIES), n, p=[c[3] for c in UVO_COUNTRIES])
    currency = np.empty(n, dtype=object)
    for i, (_, currencies, weights, _) in enumerate(UVO_COUNTRIES):
        mask = country_i == i
        currency[mask] = rng.choice(np.array(currencies, dtype=object), int(mask.sum()), p=weights)
    fx = pd.Series(ref.fx)
    rate = fx.to_numpy()[fx.index.get_indexer(pd.MultiIndex.from_arrays([_fmt_time(local, "%Y-%m"), currency]))]
    value_idr = 2_500_000 * np.exp(rng.normal(0, 1.0, n)) * np.where(country_i == 0, 0.5, 1.5)
    value = value_idr / rate
    value = np.select([currency == "IDR", currency == "JPY"],
                      [np.round(value / 1000) * 1000, np.round(value / 10) * 10], np.round(value, 2))
    status = rng.choice(np.array(["lunas", "menunggu", "batal"], dtype=object), n, p=[0.82, 0.08, 0.10])
    order = np.argsort(local, kind="stable")
    serial = np.arange(1, n + 1) * 7 + 100_000
    ids = _cat("UVO21-", _join_chars([_digits(serial, len(str(int(serial[-1]))))], n))
    frame = pd.DataFrame({
        "id_transaksi": ids,
        "id_peserta": world.merchant_ids(exhibitors)[who][order],
        "nama_peserta": pop.business_names(exhibitors["pop"].to_numpy()[who])[order],
        "local": local[order],
        "negara_pembeli": np.array([c[0] for c in UVO_COUNTRIES], dtype=object)[country_i][order],
        "mata_uang": currency[order],
        "value": value[order],
        "status": status[order],
        "bad": np.zeros(n, np.int8),
    })
    xyz, negative, text = _bad_rows(rng, n, _few(n, 2000), _few(n, 2000), _few(n, 2000))
    frame.loc[xyz, "mata_uang"] = "XYZ"
    frame.loc[negative, "bad"] = 1
    frame.loc[text, "bad"] = 2
    return frame


def _uvo_values(frame: pd.DataFrame, style: str) -> np.ndarray:
    """nilai as text: 'plain' (1250.5, 15000000) or 'id' (2.273,67 / 15.000.000)."""
    value = frame["value"].to_numpy()
    whole = np.floor(value).astype(np.int64)
    cents = np.round((value - whole) * 100).astype(np.int64)
    has_cents = cents > 0
    if style == "id":
        text = np.where(has_cents, _cat(_grouped(whole), ",", _join_chars([_digits(cents, 2)], len(value))),
                        _grouped(whole))
    else:
        text = np.where(has_cents, _cat(_str(whole), ".", _join_chars([_digits(cents, 2)], len(value))), _str(whole))
    bad = frame["bad"].to_numpy()
    return np.where(bad == 1, _cat("-", text), np.where(bad == 2, _cat(frame["mata_uang"].to_numpy(), " ", text), text))


def _write_uvo(out: _Landing, world: _World) -> None:
    frame = _uvo_frame(world)
    out.count("uvo", transactions=len(frame))
    local = frame["local"].to_numpy()
    quarter = (_month_index(local // DAY) - _month_index(_day(2021, 1, 1))) // 3
    for q in range(4):
        part = frame[quarter == q]
        when = _at(2021 + (q + 1) // 4, (3 * (q + 1)) % 12 + 1, 11, 10, 0)      # ~10 days after the quarter
        base = f"uvo/transaksi_uvo_2021_q{q + 1}"
        if q == 0:    # comma csv, ISO local times
            table = part[UVO_COLUMNS[:3]].assign(tanggal_transaksi=_fmt_time(part["local"], "%Y-%m-%d %H:%M:%S"),
                                                  negara_pembeli=part["negara_pembeli"], mata_uang=part["mata_uang"],
                                                  nilai=_uvo_values(part, "plain"), status=part["status"])
            out.put(base + ".csv", _csv_bytes(table), when, len(table))
        elif q == 1:  # semicolon csv from Excel: dd/mm/yyyy and Indonesian number format
            table = part[UVO_COLUMNS[:3]].assign(tanggal_transaksi=_fmt_time(part["local"], "%d/%m/%Y %H:%M"),
                                                  negara_pembeli=part["negara_pembeli"], mata_uang=part["mata_uang"],
                                                  nilai=_uvo_values(part, "id"), status=part["status"])
            out.put(base + ".csv", _csv_bytes(table, sep=";", bom=True, line="\r\n"), when, len(table))
        else:         # the expo platform's API: JSON, numbers as numbers (text where broken)
            bad = part["bad"].to_numpy()
            value = part["value"].to_numpy()
            number = value.astype(object)
            whole = value == np.floor(value)
            number[whole] = value[whole].astype(np.int64).astype(object)
            number[bad == 1] = -number[bad == 1]
            records = part[UVO_COLUMNS[:3]].assign(
                tanggal_transaksi=_fmt_time(part["local"], "%Y-%m-%dT%H:%M:%S+07:00"),
                negara_pembeli=part["negara_pembeli"], mata_uang=part["mata_uang"],
                nilai=np.where(bad == 2, _uvo_values(part, "plain"), number), status=part["status"])
            body = records.to_json(orient="records", force_ascii=False, indent=2 if q == 2 else 0)
            text = body if q == 2 else '{"sumber": "uvo.kemenkopukm.go.id", "transaksi": ' + body + "}"
            out.put(base + ".json", text.encode("utf-8"), when, len(records))
    # an old .xls workbook saved under a .csv name: binary, quarantined
    rng = world.rng("uvo-broken")
    garbage = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + rng.integers(0, 256, 4088, dtype=np.uint8).tobytes()
    out.put("uvo/rekap_transaksi_uvo_november.csv", garbage, _at(2021, 12, 2, 15, 40), kind="broken")


# ================================================================ entry point

def write_demo_landing(landing_dir: Path, scale: int = 1, seed: int = 42) -> dict:
    """Write the demo landing zone; return files and data rows written per source.

    `rows` counts data records in the files as written (so re-deliveries, overlaps and bad rows
    count each time they appear); the other counters name the files that are special on purpose."""
    if int(scale) < 1:
        raise ValueError("scale must be a positive integer")
    landing_dir = Path(landing_dir)
    world = _World(_Reference.load(), int(scale), int(seed))
    out = _Landing(landing_dir)
    for source in SOURCES:
        (landing_dir / source).mkdir(parents=True, exist_ok=True)
    _write_survey(out, world)
    _write_enrollment(out, world)
    _write_gofood(out, world)
    _write_shopee(out, world)
    _write_uvo(out, world)
    out.finish()
    return {source: out.stats.get(source, {"files": 0, "rows": 0}) for source in SOURCES}
