"""A realistic demo landing zone: what the SME office receives from its five sources in 2021-2022.

`write_demo_landing(landing_dir, scale, seed)` writes KoboToolbox survey exports, the program
registry, GoBiz transaction reports, Shopee Seller Centre order exports and UKM Virtual Expo
exports the way those tools write them (data contract, section 2), including the untidy parts:
mixed money and region spellings, duplicate submissions, re-run reports, overlapping exports,
a few bad rows of each kind, broken files, duplicate deliveries and temporary files.

Size: every volume grows linearly with `scale`. One scale unit is 2,600 UMKM, ~3,040 survey
submissions (two waves), 400 program enrollments and 23,600 orders: 20,000 GoBiz transactions,
3,000 Shopee orders (~4,950 order lines) and 600 UVO transactions (the *_PER_SCALE constants). So:

    scale 1    the small demo (`make demo`, the tests): 316 files, ~32k rows, ~10 MB
    scale 106  2.50M orders, 2,830 files, 0.8 GB          scale 212  5.00M orders, 4,047 files, 1.5 GB
    scale 425  the province benchmark (BENCHMARK_SCALES): 10.03M orders (8.5M GoBiz, 1.275M Shopee,
               255k UVO), 1.29M survey submissions, 170k enrollments, 5,847 files, 3.1 GB

How the data is cut into files follows how the office receives it, and so changes with size:
- GoBiz: below `PROVINCE_SCALE` (a pilot) each merchant-group account downloads its own monthly
  report (8 x round(sqrt(scale)) accounts; one of them daily in December). From `PROVINCE_SCALE`
  on, Gojek's partnership team sends one province-wide report per day (365 files a year).
- Kobo: one export per wave for a pilot; from `PROVINCE_SCALE` on, every kabupaten/kota office
  exports its own enumerators' submissions, so one export per region per wave.
- Shopee: one `Order.all` export per shop per month; round(10 x scale^0.6) shops send theirs.
`write_new_gobiz_day` adds one more day of GoBiz transactions on top of a written zone.

Determinism: the same (scale, seed) gives byte-identical files and identical mtimes. Every
random draw comes from a generator seeded with (seed, stream), GoBiz transactions are drawn one
day at a time from a generator of their own, xlsx files are written by a small zip/XML writer with
fixed timestamps, and each file's mtime is its (fixed, 2021-2022) delivery time, strictly
increasing in delivery order, so "latest landed wins" has a clear order. A file that already
holds the right bytes is not rewritten: running the demo again changes nothing.

Speed and memory: cells are built column-wise as Arrow string arrays (numbers cast, fixed-width
text assembled from digit matrices, no Python loop over rows) and a file's bytes are the joined
cells; only files (or batches of Shopee files) are looped over. GoBiz is generated and written a
day (pilot: a month) at a time, surveys a region at a time, Shopee a batch of shops at a time, so
memory follows the largest file, not the zone. From `PROVINCE_SCALE` on two processes share the
sources (same files as one process). xlsx files use shared strings, as Excel's own do, and a fast
deflate level (files ~20% larger than Excel's).
"""

from __future__ import annotations

import concurrent.futures
import io
import math
import multiprocessing
import os
import time
import zipfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

SEEDS_DIR = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds"
WIB = 7 * 3600                   # Asia/Jakarta, UTC+7, no daylight saving
DAY = 86400
XLSX_MAX_ROWS = 1_048_575        # Excel's limit below the header: bigger tables go to csv
XLSX_LEVEL = 1                   # deflate level: ~4x faster than Excel's (6), files ~20% larger
SOURCES = ("survey", "enrollment", "gofood", "shopee", "uvo")
PROVINCE_SCALE = 20              # from here on files are cut as the province receives them (above)
# per scale unit (survey submissions: 1,750 + 1,200 respondents, ~3% of whom answer twice)
UMKM_PER_SCALE, SURVEY_RESPONDENTS_PER_SCALE, ENROLLMENTS_PER_SCALE = 2_600, 2_950, 400
GOBIZ_PER_SCALE, SHOPEE_PER_SCALE, UVO_PER_SCALE = 20_000, 3_000, 600
ORDERS_PER_SCALE = GOBIZ_PER_SCALE + SHOPEE_PER_SCALE + UVO_PER_SCALE
BENCHMARK_SCALES = {"2.5M orders": 106, "5M orders": 212, "10M orders": 425}

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
# Cells are Arrow large_string arrays; parts may mix arrays and str literals (broadcast).

_LS = pa.large_string()
_EMPTY = pa.scalar("", _LS)


def _lit(text: str) -> pa.Scalar:
    return pa.scalar(text, _LS)


def _arrow(part):
    """str -> a literal; an Arrow array or scalar as it is; a list or object array of str -> an array."""
    if isinstance(part, str):
        return _lit(part)
    if isinstance(part, (pa.Array, pa.Scalar)):
        return part
    return pa.array(part, _LS)


def _np(values: pa.Array) -> np.ndarray:
    return values.to_numpy(zero_copy_only=False)


def _digits(values, width: int) -> np.ndarray:
    """Non-negative ints -> (n, width) matrix of ASCII digits, zero-padded."""
    v = np.asarray(values, dtype=np.int64)
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (v[:, None] // powers % 10 + 48).astype(np.uint8)


def _fixed(matrix: np.ndarray) -> pa.Array:
    """An (n, width) matrix of ASCII bytes -> n strings of that width, without copying."""
    matrix = np.ascontiguousarray(matrix, dtype=np.uint8)
    n, width = matrix.shape
    offsets = np.arange(n + 1, dtype=np.int64) * width
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(matrix))


def _join_chars(parts: list, n: int) -> pa.Array:
    """Concatenate digit matrices and literal strings column-wise -> fixed-width strings."""
    mats = []
    for part in parts:
        if isinstance(part, str):
            raw = np.frombuffer(part.encode("ascii"), dtype=np.uint8)
            mats.append(np.broadcast_to(raw, (n, len(raw))))
        else:
            mats.append(part)
    return _fixed(np.hstack(mats) if mats else np.zeros((n, 0), np.uint8))


def _cat(*parts) -> pa.Array:
    """Element-wise concatenation of arrays and literals."""
    return pc.binary_join_element_wise(*(_arrow(p) for p in parts), _EMPTY)


def _str(values) -> pa.Array:
    """Ints -> their plain decimal text."""
    return pc.cast(pa.array(np.asarray(values, dtype=np.int64)), _LS)


def _pick(vocabulary, index) -> pa.Array:
    vocab = pa.array(list(vocabulary), _LS)
    return vocab.take(pa.array(np.asarray(index) % len(vocab)))


def _where(cond, a, b) -> pa.Array:
    return pc.if_else(pa.array(np.asarray(cond, dtype=bool)), _arrow(a), _arrow(b))


def _select(conds: list, choices: list, default) -> pa.Array:
    """Like np.select: the first choice whose condition holds, else the default."""
    out = _arrow(default)
    for cond, choice in reversed(list(zip(conds, choices))):
        out = _where(cond, choice, out)
    return out


def _take(values: pa.Array, index) -> pa.Array:
    """Cells by position (ints) or by a boolean mask."""
    index = np.asarray(index)
    return values.filter(pa.array(index)) if index.dtype == bool else values.take(pa.array(index))


def _replace(values: pa.Array, positions, new_values) -> pa.Array:
    """`values` with the cells at `positions` replaced by `new_values`."""
    positions = np.asarray(positions, dtype=np.int64)
    if not len(positions):
        return values
    index = np.arange(len(values), dtype=np.int64)
    index[positions] = len(values) + np.arange(len(positions))
    return pa.concat_arrays([values, _arrow(new_values)]).take(pa.array(index))


def _buffer_bytes(values: pa.Array) -> bytes:
    """All cells of a string array, concatenated: the slice of its data buffer they occupy."""
    if len(values) == 0:
        return b""
    _, offsets, data = values.buffers()
    bounds = np.frombuffer(offsets, dtype=np.int64, count=len(values) + 1, offset=8 * values.offset)
    return data[int(bounds[0]):int(bounds[-1])].to_pybytes()


def _grouped(values, sep: str = ".") -> pa.Array:
    """Ints with thousands separators: 15000000 -> '15.000.000' (or '15,000,000')."""
    v = np.asarray(values, dtype=np.int64)
    n = len(v)
    groups = max(1, math.ceil(len(str(int(np.abs(v).max()))) / 3)) if n else 1
    digits = _digits(np.abs(v), 3 * groups).reshape(n, groups, 3)
    seps = np.full((n, groups, 1), ord(sep), dtype=np.uint8)
    matrix = np.concatenate([seps, digits], axis=2).reshape(n, 4 * groups)[:, 1:]
    text = pc.utf8_ltrim(_fixed(matrix), "0" + sep)
    text = pc.if_else(pc.equal(text, _EMPTY), _lit("0"), text)
    return _where(v < 0, _cat("-", text), text) if (v < 0).any() else text


def _contains_any(values: pa.Array, chars: str) -> bool:
    """Whether any cell may hold one of `chars` (ASCII): one pass over the data buffer, no per-cell work."""
    if len(values) == 0:
        return False
    lookup = np.zeros(256, bool)
    lookup[[ord(c) for c in chars]] = True
    return bool(lookup[np.frombuffer(values.buffers()[2], dtype=np.uint8)].any())


_ALNUM = np.frombuffer(b"0123456789ABCDEFGHJKLMNPQRSTUVWXYZ", dtype=np.uint8)
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def _random_chars(rng, n: int, width: int, alphabet=_ALNUM) -> np.ndarray:
    return alphabet[rng.integers(0, len(alphabet), (n, width))]


def _uuid_text(raw: np.ndarray) -> pa.Array:
    """(n, 16) random bytes -> version-4 UUID strings."""
    raw = raw.copy()
    n = len(raw)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    nibbles = np.empty((n, 32), dtype=np.uint8)
    nibbles[:, 0::2], nibbles[:, 1::2] = raw >> 4, raw & 15
    h = _HEX[nibbles]
    return _join_chars([h[:, :8], "-", h[:, 8:12], "-", h[:, 12:16], "-", h[:, 16:20], "-", h[:, 20:]], n)


def _uuid4(rng, n: int) -> pa.Array:
    return _uuid_text(rng.integers(0, 256, (n, 16), dtype=np.uint8))


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


def _ymd(day: int) -> str:
    return str(np.datetime64(int(day), "D")).replace("-", "")


def _fmt_time(secs, fmt: str, millis=None) -> pa.Array:
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


def _sample_days(rng, lo, hi, weights: np.ndarray) -> np.ndarray:
    """A day index in [lo, hi) per entity, following daily `weights`."""
    cumulative = np.concatenate([[0.0], np.cumsum(weights)])
    lo, hi = np.asarray(lo), np.asarray(hi)
    target = cumulative[lo] + rng.random(len(lo)) * (cumulative[hi] - cumulative[lo])
    return np.clip(np.searchsorted(cumulative, target, side="right") - 1, lo, hi - 1)


def _daily_weights(first_day: int, n_days: int, boosts: list[tuple[int, int, float]], weekend: float) -> np.ndarray:
    days = np.arange(first_day, first_day + n_days)
    weights = np.ones(n_days)
    weekday = (days + 3) % 7                     # 1970-01-01 was a Thursday: 0 = Monday
    weights[weekday >= 5] *= weekend
    for lo, hi, factor in boosts:
        weights[(days >= lo) & (days <= hi)] *= factor
    return weights


def _round_nice(values, rng, p_three: float = 0.3) -> np.ndarray:
    """Round to two (sometimes three) significant digits, as people state turnover."""
    v = np.maximum(np.asarray(values, dtype=float), 1000.0)
    digits = np.where(rng.random(len(v)) < p_three, 3, 2)
    unit = 10.0 ** np.maximum(np.floor(np.log10(v)) - digits + 1, 3)
    return (np.round(v / unit) * unit).astype(np.int64)


# ================================================================ file formats
# A table is a dict: column name -> Arrow string array (all of the same length).

def _rows_of(table: dict, index) -> dict:
    return {name: _take(values, index) for name, values in table.items()}


def _csv_quoted(values: pa.Array, sep: str, quote_all: bool) -> pa.Array:
    """Cells quoted as Python's csv module quotes them (QUOTE_MINIMAL or QUOTE_ALL)."""
    if quote_all:
        return _cat('"', pc.replace_substring(values, '"', '""'), '"')
    if not _contains_any(values, sep + '"\r\n'):
        return values
    needs = pc.match_substring_regex(values, f'[{sep}"\r\n]')
    return pc.if_else(needs, _cat('"', pc.replace_substring(values, '"', '""'), '"'), values)


def _csv_header(names, sep: str = ",", quote_all: bool = False, line: str = "\n", trailing_sep: bool = False) -> str:
    cells = [_np(_csv_quoted(pa.array([name], _LS), sep, quote_all))[0] for name in names]
    return sep.join(cells) + (sep if trailing_sep else "") + line


def _csv_lines(table: dict, sep: str = ",", quote_all: bool = False, line: str = "\n",
               trailing_sep: bool = False) -> pa.Array:
    """One CSV line (with its line end) per row."""
    cells = [_csv_quoted(values, sep, quote_all) for values in table.values()]
    end = _lit((sep if trailing_sep else "") + line)
    return pc.binary_join_element_wise(pc.binary_join_element_wise(*cells, _lit(sep)), end, _EMPTY)


def _csv_bytes(table: dict, sep: str = ",", quote_all: bool = False, bom: bool = False, line: str = "\n",
               encoding: str = "utf-8", header: bool = True, trailing_sep: bool = False) -> bytes:
    head = ("\ufeff" if bom else "") + (_csv_header(table, sep, quote_all, line, trailing_sep) if header else "")
    body = _buffer_bytes(_csv_lines(table, sep, quote_all, line, trailing_sep))
    if encoding == "utf-8":
        return head.encode("utf-8") + body
    return (head + body.decode("utf-8")).encode(encoding)


# xlsx cell kinds
EMPTY, TEXT, NUMBER, DATE, DATETIME = 0, 1, 2, 3, 4
_CELL = {TEXT: ('" t="s"><v>', "</v></c>"), NUMBER: ('"><v>', "</v></c>"),       # TEXT: a shared string
         DATE: ('" s="1"><v>', "</v></c>"), DATETIME: ('" s="2"><v>', "</v></c>")}


@dataclass
class _XCol:
    """One xlsx column: the cell text (number text for numbers) and a kind per cell."""
    values: pa.Array
    kind: np.ndarray

    @classmethod
    def text(cls, values) -> "_XCol":
        values = _arrow(values)
        return cls(values, np.where(_np(pc.equal(values, _EMPTY)), EMPTY, TEXT).astype(np.int8))


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
    f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_CT_OFFICE}.spreadsheetml.sharedStrings+xml"/>'
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
    f'<Relationship Id="rId3" Type="{_NS_REL}/sharedStrings" Target="sharedStrings.xml"/>'
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


def _xml_escape(values: pa.Array) -> pa.Array:
    if not _contains_any(values, "&<>"):
        return values
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        values = pc.replace_substring(values, char, entity)
    return values


def _xlsx_cells(letter: str, row_numbers: pa.Array, column: _XCol, shared: np.ndarray | None):
    """The <c> element of every cell of a column ('' for empty cells); text cells point at `shared`."""
    out, ref = _EMPTY, None
    for kind, (head, tail) in _CELL.items():
        mask = column.kind == kind
        if not mask.any():
            continue
        ref = _cat(f'<c r="{letter}', row_numbers) if ref is None else ref
        cells = _cat(ref, head, _str(shared) if kind == TEXT else column.values, tail)
        out = cells if mask.all() else _where(mask, cells, out)
    return out


@dataclass
class _Sheets:
    """Several sheets rendered together: the <row> elements of all their rows, one after the other,
    and each sheet's shared-string table."""
    rows: pa.Array
    strings: list[bytes]             # the <si> elements of each sheet
    counts: list[tuple[int, int]]    # (text cells, distinct strings) of each sheet


def _shared_strings(columns: list[_XCol], starts: np.ndarray, sizes: np.ndarray):
    """Each sheet's shared-string table, and per column the table index of each of its text cells.

    A sheet's strings are numbered in first-use order, column by column. All sheets are encoded
    at once: the text cells are put in sheet order and prefixed by the sheet number, so one
    dictionary encoding gives every sheet a run of consecutive codes."""
    sheets = len(sizes)
    positions = [np.flatnonzero(column.kind == TEXT) for column in columns]
    offsets = np.cumsum([len(pos) for pos in positions]) - [len(pos) for pos in positions]
    # the cells of sheet k in column j are a run of column j's text cells: reorder those runs sheet-major
    lo = np.stack([np.searchsorted(pos, starts) for pos in positions], axis=1)            # (sheet, column)
    hi = np.stack([np.searchsorted(pos, starts + sizes) for pos in positions], axis=1)
    run_start, run_len = (offsets[None, :] + lo).ravel(), (hi - lo).ravel()
    total = int(run_len.sum())
    order = np.repeat(run_start - (np.cumsum(run_len) - run_len), run_len) + np.arange(total)
    texts = pa.concat_arrays([_take(column.values, pos) for column, pos in zip(columns, positions)]).take(order)
    text_sheet = np.repeat(np.repeat(np.arange(sheets), len(columns)), run_len)
    width = len(str(sheets))
    encoded = pc.dictionary_encode(_cat(_join_chars([_digits(text_sheet, width)], total), texts))
    codes = _np(encoded.indices).astype(np.int64)
    cells = np.bincount(text_sheet, minlength=sheets)
    bounds = np.full(sheets + 1, len(encoded.dictionary), np.int64)   # sheet k: codes bounds[k]..bounds[k+1]
    for k in range(sheets - 1, -1, -1):
        bounds[k] = codes[np.searchsorted(text_sheet, k)] if cells[k] else bounds[k + 1]
    local = np.empty(total, np.int64)
    local[order] = codes - bounds[text_sheet]
    indexes = [local[offset:offset + len(pos)] for offset, pos in zip(offsets, positions)]
    words = pc.utf8_slice_codeunits(encoded.dictionary, width)
    spaced = pc.or_(pc.starts_with(words, " "), pc.ends_with(words, " "))
    words = _xml_escape(words)
    entries = pc.if_else(spaced, _cat('<si><t xml:space="preserve">', words, "</t></si>"),
                         _cat("<si><t>", words, "</t></si>"))
    distinct = np.diff(bounds)
    strings = [_buffer_bytes(entries.slice(bounds[k], distinct[k])) for k in range(sheets)]
    return positions, indexes, strings, list(zip(cells.tolist(), distinct.tolist()))


def _xlsx_sheets(columns: list[_XCol], sizes) -> _Sheets:
    """Render sheets of `sizes` rows whose cells are `columns`, laid end to end."""
    sizes = np.asarray(sizes, dtype=np.int64)
    starts = np.cumsum(sizes) - sizes
    n = int(sizes.sum())
    positions, indexes, strings, counts = _shared_strings(columns, starts, sizes)
    numbers = _str(np.arange(n) - np.repeat(starts, sizes) + 2)
    parts = [_cat('<row r="', numbers, '">')]
    for letter, column, pos, index in zip(_COLUMN_LETTERS, columns, positions, indexes):
        shared = np.zeros(n, np.int64)
        shared[pos] = index
        parts.append(_xlsx_cells(letter, numbers, column, shared))
    rows = pc.binary_join_element_wise(*parts, _lit("</row>"), _EMPTY)
    return _Sheets(rows, strings, counts)


def _xlsx_bytes(header: list[str], columns: list[_XCol], sheet: str, when: int,
                creator: str = "Microsoft Office User") -> bytes:
    """A minimal, valid xlsx (shared strings), byte-identical for the same input and `when`."""
    n = len(columns[0].values) if columns else 0
    sheets = _xlsx_sheets(columns, [n])
    return _xlsx_package(header, n, _buffer_bytes(sheets.rows), sheets.strings[0], sheets.counts[0], sheet, when,
                         creator)


def _xlsx_package(header: list[str], n: int, rows: bytes, strings: bytes, counts: tuple[int, int], sheet: str,
                  when: int, creator: str = "Microsoft Office User") -> bytes:
    """The xlsx zip around the <row> elements of the n data rows and their shared strings.

    The header row is written as inline strings (as some exporters do), so it needs no table entry."""
    stamp = _np(_fmt_time(np.array([when]), "%Y-%m-%dT%H:%M:%SZ"))[0]
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
        entry._compresslevel = XLSX_LEVEL          # a ZipInfo of its own ignores the archive's level
        entry.create_system = 0
        entry.external_attr = 0
        return entry

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=XLSX_LEVEL) as archive:
        for name, text in (("[Content_Types].xml", _CONTENT_TYPES), ("_rels/.rels", _ROOT_RELS),
                           ("docProps/app.xml", app), ("docProps/core.xml", core),
                           ("xl/workbook.xml", workbook), ("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS),
                           ("xl/styles.xml", _STYLES)):
            archive.writestr(info(name), text.encode("utf-8"))
        with archive.open(info("xl/worksheets/sheet1.xml"), "w", force_zip64=n > 2_000_000) as sheet_file:
            sheet_file.write(sheet_head.encode("utf-8"))
            sheet_file.write(rows)
            sheet_file.write(sheet_tail.encode("utf-8"))
        with archive.open(info("xl/sharedStrings.xml"), "w") as strings_file:
            strings_file.write((_XML_HEAD + f'<sst xmlns="{_NS_MAIN}" count="{counts[0]}" '
                                f'uniqueCount="{counts[1]}">').encode("utf-8"))
            strings_file.write(strings)
            strings_file.write(b"</sst>")
    return buffer.getvalue()


def _table_xcols(table: dict, numeric: dict[str, np.ndarray] | None = None) -> list[_XCol]:
    """Every column as text cells, except those given in `numeric` (name -> bool mask of number cells)."""
    columns = []
    for name, values in table.items():
        col = _XCol.text(values)
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
        entry["bytes"] = entry.get("bytes", 0) + len(data)
        if kind != "data":
            entry[kind] = entry.get(kind, 0) + 1

    def count(self, source: str, **entities: int) -> None:
        entry = self.stats.setdefault(source, {"files": 0, "rows": 0})
        for name, value in entities.items():
            entry[name] = entry.get(name, 0) + int(value)

    def finish(self) -> None:
        _set_mtimes([(when, 0, order, path) for when, order, path in self.deliveries])


def _set_mtimes(deliveries: list) -> None:
    """mtime = delivery time, strictly increasing in delivery order (ties: the order the entries sort in)."""
    previous = None
    for *key, path in sorted(deliveries):
        when = key[0]
        stamp = when if previous is None else max(when, previous + 1)
        os.utime(path, ns=(stamp * 1_000_000_000, stamp * 1_000_000_000))
        previous = stamp


# ================================================================ the UMKM population

_PREFIX_WORDS = [word for words in BIZ_PREFIX for word in words]
_PREFIX_COUNT = np.array([len(words) for words in BIZ_PREFIX])
_PREFIX_START = np.cumsum(_PREFIX_COUNT) - _PREFIX_COUNT


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
        self.region_base = np.array([name.split(" ", 1)[1] for name in ref.region_names], dtype=object)

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
    def owner_names(self, idx) -> pa.Array:
        f = self.female[idx]
        r_first, r_mid, r_last = self.r_first[idx], self.r_mid[idx], self.r_last[idx]
        first = _where(f, _pick(FEMALE_FIRST, r_first), _pick(MALE_FIRST, r_first))
        mid = _where(f, _pick(FEMALE_FIRST, r_first + 1 + r_mid % 7), _pick(MALE_FIRST, r_first + 1 + r_mid % 7))
        last = _where(f, _pick(FEMALE_LAST, r_last), _pick(MALE_LAST, r_last))
        return _cat(first, " ", _where(self.has_mid[idx], _cat(mid, " "), ""), last)

    def business_names(self, idx) -> pa.Array:
        sector, r_biz = self.sector[idx], self.r_biz[idx]
        prefix = _pick(_PREFIX_WORDS, _PREFIX_START[sector] + r_biz[:, 0] % _PREFIX_COUNT[sector])
        name = _cat(prefix, " ", _pick(BIZ_SUFFIX, r_biz[:, 1]))
        extra = self.biz_extra[idx]
        return _select([extra == 1, extra == 2],
                       [_cat(name, " ", _pick(BIZ_EXTRA, r_biz[:, 2])),
                        _cat(name, " ", _pick(self.region_base, self.region[idx]))], name)

    def phones(self, idx, rng) -> pa.Array:
        number = self.phone[idx]
        form = rng.choice(4, len(idx), p=[0.72, 0.1, 0.13, 0.05])
        national = _str(number)
        d = _digits(number, 11)
        dashed = _join_chars(["0", d[:, :3], "-", d[:, 3:7], "-", d[:, 7:]], len(idx))
        return _select([form == 0, form == 1, form == 2],
                       [_cat("0", national), _cat("+62", national), _cat("62", national)], dashed)

    def nik_text(self, idx, rng, p_apostrophe: float = 0.03, p_spaced: float = 0.02) -> pa.Array:
        nik = self.nik[idx]
        plain = _str(nik)
        d = _digits(nik, 16)
        spaced = _join_chars([d[:, :4], " ", d[:, 4:8], " ", d[:, 8:12], " ", d[:, 12:]], len(idx))
        u = rng.random(len(idx))
        return _select([u < p_apostrophe, u < p_apostrophe + p_spaced], [_cat("'", plain), spaced], plain)

    @cached_property
    def _region_forms(self) -> tuple[list, list]:
        """Per region: the ways people write its code (plain, dotted) and its name (five forms)."""
        ref = self.ref
        codes = [str(int(c)) for c in ref.region_codes]
        dotted = [f"{c[:2]}.{c[2:]}" for c in codes]
        bases = list(self.region_base)
        ambiguous = pd.Series(bases).duplicated(keep=False).to_numpy()
        official = list(ref.region_names)
        names = (official + [o if k else f"Kab. {b}" for o, k, b in zip(official, ref.region_kota, bases)]
                 + [o.lower() for o in official] + [o.upper() for o in official]
                 + [o if a else b for o, a, b in zip(official, ambiguous, bases)])
        return codes + dotted, names

    def region_cells(self, idx, rng, p_code: float, p_both: float, p_dotted: float = 0.15):
        """(kode_kabkota, kabupaten_kota) as people fill them: code, code and name, or name only."""
        codes, names = self._region_forms
        regions = len(self.ref.region_codes)
        region = self.region[idx]
        n = len(idx)
        code_text = _pick(codes, region + regions * (rng.random(n) < p_dotted))
        name = _pick(names, region + regions * rng.choice(5, n, p=[0.4, 0.25, 0.15, 0.1, 0.1]))
        u = rng.random(n)
        return _where(u < p_code + p_both, code_text, ""), _where(u >= p_code, name, "")


def _money_text(values, rng, weights=(0.25, 0.27, 0.15, 0.04, 0.04, 0.25)) -> pa.Array:
    """Money as people type it: '15000000', '15.000.000', 'Rp 15.000.000', 'Rp. 15000000',
    'Rp15.000.000', '15 juta' / '2,5 juta' / '2,5 miliar'."""
    v = np.asarray(values, dtype=np.int64)
    form = rng.choice(6, len(v), p=np.asarray(weights) / sum(weights))
    dotted = _grouped(v)
    plain = _str(v)
    millions, tenths = v // 10**6, (v // 10**5) % 10
    juta = _cat(_str(millions), _where(tenths > 0, _cat(",", _str(tenths)), ""), " juta")
    billions, b_tenths = v // 10**9, (v // 10**8) % 10
    miliar = _cat(_str(billions), _where(b_tenths > 0, _cat(",", _str(b_tenths)), ""), " miliar")
    words = _select([(v >= 10**9) & (v % 10**8 == 0), (v >= 10**6) & (v % 10**5 == 0) & (v < 10**9)],
                    [miliar, juta], dotted)
    return _select([form == 0, form == 1, form == 2, form == 3, form == 4],
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


def _const(text: str, n: int) -> pa.Array:
    return pa.repeat(_lit(text), n)


# ================================================================ survey (KoboToolbox)

VALIDATION = ["validation_status_approved", "", "validation_status_on_hold", "validation_status_not_approved"]


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
    validation: np.ndarray           # index into VALIDATION
    submitted_by: np.ndarray         # enumerator number, 0 for none
    uuid: pa.Array
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

    validation = rng.choice(len(VALIDATION), n, p=[0.8, 0.14, 0.03, 0.03])
    submitted_by = np.where(rng.random(n) < 0.7, rng.integers(10, 60, n), 0)
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


def _survey_frame(wave: _Wave, pop: _Population, rng, sel: np.ndarray) -> tuple[dict, dict[str, np.ndarray]]:
    """The Kobo export of submissions `sel` of a wave, with its deliberate bad rows: the answers as
    typed, so every export of the same submission shows the same cells.

    Returns the table and the xlsx number-cell masks."""
    idx = wave.pop[sel]
    n = len(sel)
    code, name = pop.region_cells(idx, rng, p_code=0.25, p_both=0.4)
    impacted = wave.impacted[sel]
    constraints = wave.constraints[sel]
    platforms = wave.platforms[sel]
    after = wave.after[sel]
    table = {
        "start": _fmt_time(wave.start[sel] + WIB, "%Y-%m-%dT%H:%M:%S.%f+07:00", wave.start_ms[sel]),
        "end": _fmt_time(wave.end[sel] + WIB, "%Y-%m-%dT%H:%M:%S.%f+07:00", wave.end_ms[sel]),
        "periode_survei": _const(wave.period, n),
        "nik_pemilik": pop.nik_text(idx, rng),
        "nama_pemilik": pop.owner_names(idx),
        "no_hp": pop.phones(idx, rng),
        "nib": _where(wave.reports_nib[sel], _str(pop.nib[idx]), ""),
        "nama_usaha": pop.business_names(idx),
        "kode_kabkota": code,
        "kabupaten_kota": name,
        "sektor_usaha": _pick(SECTOR_CHOICES, pop.sector[idx]),
        "skala_usaha": _pick(SCALE_CHOICES, pop.scale[idx]),
        "terdampak_covid": _where(impacted, "ya", "tidak"),
        "kendala_utama": _where(impacted, _pick(CONSTRAINT_CHOICES, np.maximum(wave.primary[sel], 0)), ""),
        "kendala": _multi_summary(constraints, CONSTRAINT_CHOICES),
    }
    for j, choice in enumerate(CONSTRAINT_CHOICES):   # a skipped question leaves its columns empty
        table[f"kendala/{choice}"] = _select([~impacted, constraints[:, j]], ["", "1"], "0")
    table |= {
        "omzet_sebelum": _money_text(wave.before[sel], rng),
        "omzet_sesudah": _money_text(after, rng),
        "tenaga_kerja_sebelum": _str(wave.workers_before[sel]),
        "tenaga_kerja_sesudah": _str(wave.workers_after[sel]),
        "platform_digital": _multi_summary(platforms, PLATFORM_CHOICES),
    }
    for j, choice in enumerate(PLATFORM_CHOICES):
        table[f"platform_digital/{choice}"] = _where(platforms[:, j], "1", "0")
    enumerator = wave.submitted_by[sel]
    table |= {
        "_id": _str(wave.ids[sel]),
        "_uuid": _take(wave.uuid, sel),
        "_submission_time": _fmt_time(wave.submitted[sel], "%Y-%m-%dT%H:%M:%S"),
        "_validation_status": _pick(VALIDATION, wave.validation[sel]),
        "_notes": _const("", n),
        "_status": _const("submitted_via_web", n),
        "_submitted_by": _where(enumerator > 0, _cat("pendamping_umkm", _str(enumerator)), ""),
        "__version__": _const(wave.version, n),
        "_tags": _const("", n),
        "_index": _str(np.arange(1, n + 1)),
    }
    # deliberate bad rows: 15-digit NIK, bare ambiguous region, amounts that are not amounts
    bad_nik, bad_region, bad_text, bad_negative = _bad_rows(rng, n, _few(n, 700), _few(n, 700),
                                                            _few(n, 1500, 1), _few(n, 1500, 1))
    table["nik_pemilik"] = _replace(table["nik_pemilik"], bad_nik, _str(pop.nik[idx[bad_nik]] // 10))
    table["kode_kabkota"] = _replace(table["kode_kabkota"], bad_region, [""] * len(bad_region))
    table["kabupaten_kota"] = _replace(table["kabupaten_kota"], bad_region,
                                       _pick(["Semarang", "Magelang", "Tegal", "Pekalongan"],
                                             np.arange(len(bad_region))))
    sesudah = _replace(table["omzet_sesudah"], bad_text,
                       _pick(["tidak tahu", "belum ada", "sekitar lima juta"], np.arange(len(bad_text))))
    table["omzet_sesudah"] = _replace(sesudah, bad_negative, _cat("-", _grouped(after[bad_negative])))
    table = {c: table[c] for c in KOBO_COLUMNS}
    numeric = {c: np.ones(n, bool) for c in ["_id", "_index", "tenaga_kerja_sebelum", "tenaga_kerja_sesudah"]
               + [c for c in KOBO_COLUMNS if "/" in c]}
    for money in ("omzet_sebelum", "omzet_sesudah"):  # a number question answered with digits only
        numeric[money] = _np(pc.match_substring_regex(table[money], r"^\d+$"))
    return table, numeric


def _multi_summary(mask: np.ndarray, choices: list[str]) -> pa.Array:
    """Select-multiple summary: the ticked choice names, space-separated."""
    ticked = [_where(mask[:, j], choice, "") for j, choice in enumerate(choices)]
    joined = pc.binary_join_element_wise(*ticked, _lit(" "))
    return pc.utf8_trim(pc.replace_substring_regex(joined, " {2,}", " "), " ")


# ================================================================ the world: population, waves, programs

PROGRAMS = ["gofood_banner_promo", "goshop", "shopee_kampus_umkm", "uvo_2021"]
BANNER, GOSHOP, SHOPEE, UVO = range(4)


class _World:
    def __init__(self, ref: _Reference, scale: int, seed: int, province: bool | None = None):
        self.ref, self.scale, self.seed = ref, scale, seed
        self.province = scale >= PROVINCE_SCALE if province is None else province
        rng = self.rng("population")
        self.pop = pop = _Population(rng, UMKM_PER_SCALE * scale, ref)
        n_a, n_b = 1750 * scale, 1200 * scale
        order = rng.permutation(pop.n)
        self.wave_a = np.sort(order[:n_a])
        from_a = rng.choice(self.wave_a, int(n_b * 0.55), replace=False)
        self.wave_b = np.sort(np.concatenate([from_a, order[n_a:n_a + n_b - len(from_a)]]))
        self.respondent = np.zeros(pop.n, bool)
        self.respondent[self.wave_a] = self.respondent[self.wave_b] = True
        self._enroll(self.rng("enrollment"))

    def rng(self, stream: str) -> np.random.Generator:
        """An independent generator per part of the demo, so one part's draws never shift another's."""
        return np.random.default_rng([self.seed, *stream.encode()])

    def survey_waves(self) -> list[_Wave]:
        """The two survey waves (made when the survey files are written, not kept)."""
        rng, pop = self.rng("survey"), self.pop
        return [_survey_wave(rng, pop, self.wave_a, "2020-06", _day(2020, 6, 2), 29, 0.90, 0.75, 1.0),
                _survey_wave(rng, pop, self.wave_b, "2021-03", _day(2021, 3, 1), 31, 0.75, 0.60, 1.4)]

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

    def merchant_ids(self, rows: pd.DataFrame) -> pa.Array:
        program, merchant = rows["program"].to_numpy(), rows["merchant"].to_numpy()
        uvo = _cat("UVO-", _join_chars([_digits(merchant, self.uvo_width)], len(merchant)))
        return _select([program <= GOSHOP, program == SHOPEE], [_cat("G", _str(merchant)), _str(merchant)], uvo)


# ================================================================ writers, per source

KOBO_REGION_FILE = "Pendataan_UMKM_Terdampak_Covid-19_{code}_-_all_versions_-_False_-_{stamp}"


def _survey_parts(world: _World, wave: _Wave) -> list[tuple[str | None, np.ndarray]]:
    """What one export holds: the whole wave, or (province scale) one kabupaten/kota's submissions."""
    if not world.province:
        return [(None, np.arange(len(wave.pop)))]
    region = world.pop.region[wave.pop]
    codes = world.ref.region_codes
    return [(str(int(codes[r])), np.flatnonzero(region == r)) for r in range(len(codes)) if (region == r).any()]


def _kobo_export(code: str | None, when: int, seconds: int) -> str:
    """Kobo names an export after the form and the (UTC) time it was made."""
    stamp = _np(_fmt_time(np.array([when + seconds]), "%Y-%m-%d-%H-%M-%S"))[0]
    name = KOBO_FILE.format(stamp=stamp) if code is None else KOBO_REGION_FILE.format(code=code, stamp=stamp)
    return f"survey/{name}"


def _kobo_csv(table: dict) -> bytes:
    return _csv_bytes(table, sep=";", quote_all=True, bom=True, line="\r\n")


def _write_survey(out: _Landing, world: _World) -> None:
    wave_a, wave_b = world.survey_waves()
    out.count("survey", submissions=len(wave_a.pop) + len(wave_b.pop))
    # wave 2020-06: Kobo CSV exported when the platform started, then downloaded again by mistake
    for i, (code, sel) in enumerate(_survey_parts(world, wave_a)):
        table, _ = _survey_frame(wave_a, world.pop, world.rng(f"survey-files-2020-06-{code}"), sel)
        when = _at(2021, 1, 11, 9, 15) + i * 240
        name, data = _kobo_export(code, when, 7), _kobo_csv(table)
        out.put(f"{name}.csv", data, when, len(sel))
        if i == 0:
            out.put(f"{name} (1).csv", data, when + 120, len(sel), kind="duplicate")
    # wave 2021-03: a CSV taken mid-wave (nothing validated yet), then the final xlsx export
    cutoff = _at(2021, 3, 19, 17, 0)
    for i, (code, sel) in enumerate(_survey_parts(world, wave_b)):
        table, numeric = _survey_frame(wave_b, world.pop, world.rng(f"survey-files-2021-03-{code}"), sel)
        early_rows = np.flatnonzero(wave_b.submitted[sel] <= cutoff)
        early = _rows_of(table, early_rows)
        early["_validation_status"] = _const("", len(early_rows))
        early["_index"] = _str(np.arange(1, len(early_rows) + 1))
        when = cutoff + 120 + i * 240
        out.put(f"{_kobo_export(code, when, 41)}.csv", _kobo_csv(early), when, len(early_rows))
        when = _at(2021, 4, 5, 8, 48) + i * 240
        final_name = _kobo_export(code, when, 13)
        if len(sel) <= XLSX_MAX_ROWS:
            # Kobo names the sheet after the form title, cut to Excel's 31 characters
            out.put(f"{final_name}.xlsx", _xlsx_bytes(KOBO_COLUMNS, _table_xcols(table, numeric),
                                                      "Pendataan UMKM Terdampak Covid-", when, creator="KoboToolbox"),
                    when, len(sel))
        else:
            out.put(f"{final_name}.csv", _kobo_csv(table), when, len(sel))


_TYPED_WORDS = [label for labels in SECTOR_TYPED for label in labels]
_TYPED_COUNT = np.array([len(labels) for labels in SECTOR_TYPED])
_TYPED_START = np.cumsum(_TYPED_COUNT) - _TYPED_COUNT


def _enrollment_frame(world: _World, rows: pd.DataFrame, rng, date_style: str) -> tuple[dict, list]:
    pop = world.pop
    idx = rows["pop"].to_numpy()
    n = len(rows)
    code, name = pop.region_cells(idx, rng, p_code=0.45, p_both=0.15, p_dotted=0.1)
    business = pop.business_names(idx)
    business = _where(rng.random(n) < 0.12, pc.utf8_upper(business), business)
    sector = pop.sector[idx]
    typed = _pick(_TYPED_WORDS, _TYPED_START[sector] + rng.integers(0, 100, n) % _TYPED_COUNT[sector])
    merchant = world.merchant_ids(rows)
    merchant = _where(rng.random(n) < 0.04, _cat(merchant, " "), merchant)
    nib_only = rows["nib_only"].to_numpy()
    has_nib = pop.has_nib[idx] & (nib_only | (rng.random(n) < 0.5))
    joined = rows["joined"].to_numpy()
    nik = pop.nik_text(idx, rng, p_apostrophe=0.08 if date_style != "xlsx" else 0, p_spaced=0)
    table = {
        "program_id": _pick(PROGRAMS, rows["program"].to_numpy()),
        "nik_pemilik": _where(nib_only, "", nik),
        "nib": _where(has_nib, _str(pop.nib[idx]), ""),
        "nama_usaha": business,
        "kode_kabkota": code,
        "kabupaten_kota": name,
        "sektor_usaha": typed,
        "platform_merchant_id": merchant,
        "tanggal_bergabung": _fmt_time(joined * DAY, "%Y-%m-%d" if date_style == "iso" else "%d/%m/%Y"),
    }
    columns = []
    if date_style == "xlsx":  # real date cells, some raw serial numbers, codes typed as numbers
        columns = _table_xcols(table, {"kode_kabkota": _np(pc.match_substring_regex(code, r"^\d{4}$"))})
        serial = _str(joined - _day(1899, 12, 30))
        raw_serial = rng.random(n) < 0.15
        columns[-1] = _XCol(serial, np.where(raw_serial, NUMBER, DATE).astype(np.int8))
    return table, columns


def _one_row(table: dict, position: int, **changes) -> dict:
    row = {name: _np(values.slice(position, 1))[0] for name, values in table.items()} | changes
    return {name: pa.array([value], _LS) for name, value in row.items()}


def _write_enrollment(out: _Landing, world: _World) -> None:
    rng = world.rng("enrollment-files")
    e = world.enrolled
    out.count("enrollment", participants=len(e))
    gofood = e[e["program"] <= GOSHOP].sort_values(["joined", "program"], kind="stable")
    early_cut = _day(2021, 5, 31)

    # 1. the GoFood / Go-Shop registry as kept in Excel
    rows = gofood[gofood["joined"] <= early_cut]
    table, columns = _enrollment_frame(world, rows, rng, "xlsx")
    when = _at(2021, 6, 3, 10, 15)
    out.put("enrollment/peserta_gofood_goshop_2021.xlsx",
            _xlsx_bytes(ENROLL_COLUMNS, columns, "Peserta", when, creator="Bidang UMKM"), when, len(rows))
    # Excel's owner file while someone has the registry open: a temporary name, never read
    lock = b"\x0bBidang UMKM" + b"\x00" * 43 + b"\x0b\x00B\x00i\x00d\x00a\x00n\x00g\x00" + b"\x00" * 100
    out.put("enrollment/~$peserta_gofood_goshop_2021.xlsx", lock[:165], _at(2022, 1, 20, 8, 1), kind="ignored")

    # 2. later joiners as a csv saved by Excel on Windows: ';', cp1252, a trailing ';',
    #    one corrected row (a better sector) and two mistakes
    rows = gofood[gofood["joined"] > early_cut]
    table, _ = _enrollment_frame(world, rows, rng, "dmy")
    first, _ = _enrollment_frame(world, gofood[gofood["joined"] <= early_cut].iloc[:1], rng, "dmy")
    business = _np(first["nama_usaha"])[0]
    fixed = _one_row(first, 0, sektor_usaha="Makanan dan Minuman",
                     nama_usaha="Kopi Café " + (business.split(" ", 1)[1] if " " in business else ""))
    unknown = _one_row(table, 0, program_id="gofood_promo_2020")
    last = _np(table["nik_pemilik"].slice(len(rows) - 1, 1))[0]
    short_nik = _one_row(table, len(rows) - 1, nik_pemilik=last.lstrip("'")[:15],
                         platform_merchant_id=f"G{int(rng.integers(100_000_000, 999_999_999))}")
    parts = [table, fixed, unknown, short_nik]
    table = {name: pa.concat_arrays([part[name] for part in parts]) for name in table}
    out.put("enrollment/peserta_gofood_goshop_tambahan_2021-10.csv",
            _csv_bytes(table, sep=";", line="\r\n", encoding="cp1252", trailing_sep=True),
            _at(2021, 10, 4, 14, 30), len(rows) + 3)

    # 3. UKM Virtual Expo exhibitors: plain csv, one bare ambiguous region
    rows = e[e["program"] == UVO].sort_values("merchant", kind="stable")
    table, _ = _enrollment_frame(world, rows, rng, "dmy")
    bad = [int(rng.integers(0, len(rows)))]
    table["kode_kabkota"] = _replace(table["kode_kabkota"], bad, [""])
    table["kabupaten_kota"] = _replace(table["kabupaten_kota"], bad, ["Semarang"])
    out.put("enrollment/peserta_uvo_2021.csv", _csv_bytes(table), _at(2021, 7, 12, 11, 5), len(rows))

    # 4. Shopee Kampus UMKM: a 2021 batch in xlsx, the 2022 batch as csv with ISO dates
    shopee = e[e["program"] == SHOPEE].sort_values("joined", kind="stable")
    cut = _day(2021, 12, 31)
    rows = shopee[shopee["joined"] <= cut]
    _, columns = _enrollment_frame(world, rows, rng, "xlsx")
    when = _at(2022, 1, 6, 9, 40)
    out.put("enrollment/peserta_shopee_kampus_umkm_batch1.xlsx",
            _xlsx_bytes(ENROLL_COLUMNS, columns, "Sheet1", when, creator="Bidang UMKM"), when, len(rows))
    rows = shopee[shopee["joined"] > cut]
    table, _ = _enrollment_frame(world, rows, rng, "iso")
    out.put("enrollment/peserta_shopee_kampus_umkm_batch2.csv", _csv_bytes(table), _at(2022, 7, 4, 13, 20),
            len(rows))


# ================================================================ GoBiz (GoFood, GoShop, GoPay)

GOBIZ_FIRST_DAY = _day(2021, 1, 1)
GOBIZ_DAYS = 365                  # the zone holds 2021; day GOBIZ_DAYS (2022-01-01) is `write_new_gobiz_day`'s
GOBIZ_STATUS = {  # feature -> (statuses, weights) of the final status
    "GoFood": (["completed", "cancel", "expire", "refund", "pending"], [0.885, 0.07, 0.025, 0.015, 0.005]),
    "GoShop": (["completed", "cancel", "expire", "refund", "pending"], [0.89, 0.06, 0.03, 0.015, 0.005]),
    "GoPay": (["settlement", "expire", "cancel", "pending", "deny", "refund"], [0.91, 0.04, 0.02, 0.01, 0.01, 0.01]),
}
GOBIZ_PAYMENT = {"GoFood": (["GOPAY", "CASH", "GOPAY_LATER", "CREDIT_CARD"], [0.55, 0.3, 0.1, 0.05]),
                 "GoShop": (["GOPAY", "CASH", "GOPAY_LATER"], [0.7, 0.2, 0.1]),
                 "GoPay": (["QRIS", "GOPAY"], [0.8, 0.2])}
STATUS_NAMES = sorted({s for statuses, _ in GOBIZ_STATUS.values() for s in statuses})
PAYMENT_NAMES = sorted({p for options, _ in GOBIZ_PAYMENT.values() for p in options})
GOFOOD_F, GOSHOP_F, GOPAY_F = range(3)                                      # index into GOBIZ_FEATURES
# feature shares by merchant kind: banner promo only, Go-Shop only, both programs, in no program
FEATURE_BY_KIND = [[0.85, 0, 0.15], [0, 0.8, 0.2], [0.55, 0.3, 0.15], [0.9, 0, 0.1]]


def _draw_by_group(rng, group: np.ndarray, choices: list[tuple[list, list]], vocabulary: list) -> np.ndarray:
    """Per row, one option of its group's (options, weights), as an index into `vocabulary`."""
    out = np.zeros(len(group), np.int8)
    for g, (options, weights) in enumerate(choices):
        mask = group == g
        codes = np.array([vocabulary.index(option) for option in options], dtype=np.int8)
        out[mask] = codes[rng.choice(len(options), int(mask.sum()), p=np.asarray(weights) / sum(weights))]
    return out


def _gobiz_groups(scale: int) -> int:
    """GoBiz accounts (merchant groups), each downloading its own reports: grows slower than the data."""
    return 8 * max(1, round(math.sqrt(scale)))


class _GoBiz:
    """The GoBiz merchants and their transactions. A day's transactions come from a generator of
    their own (day 0 = 2021-01-01), so any day can be made without the others, the new day too."""

    def __init__(self, world: _World):
        self.world = world
        rng = world.rng("gobiz")
        pop, e, s = world.pop, world.enrolled, world.scale
        g = e[e["program"] <= GOSHOP].assign(bit=lambda f: np.left_shift(1, f["program"]))
        merchants = g.groupby("merchant", sort=True).agg(pop=("pop", "first"), joined=("joined", "min"),
                                                         programs=("bit", "sum"))
        kind = np.select([merchants["programs"] == 1, merchants["programs"] == 2], [0, 1], 2)
        # a few merchants on GoBiz that are in no program
        outsiders = np.flatnonzero(~np.isin(np.arange(pop.n), e["pop"]) & (pop.sector == 0))
        n_extra = 4 * s
        extra_pop = rng.choice(outsiders, n_extra, replace=False)
        extra_gid = _distinct_ints(rng, n_extra, 900_000_000, 1_000_000_000)
        self.gid = np.concatenate([merchants.index.to_numpy(), extra_gid])
        m_pop = np.concatenate([merchants["pop"].to_numpy(), extra_pop])
        self.kind = np.concatenate([kind, np.full(n_extra, 3)])
        self.joined = np.concatenate([merchants["joined"].to_numpy(), np.full(n_extra, GOBIZ_FIRST_DAY + 30)])
        m = len(self.gid)
        self.start = np.clip(self.joined - rng.integers(0, 120, m) - GOBIZ_FIRST_DAY, 0, GOBIZ_DAYS - 30)
        end = np.where(rng.random(m) < 0.1, self.start + rng.integers(30, 300, m), GOBIZ_DAYS)
        self.end = np.minimum(end, GOBIZ_DAYS)                 # GOBIZ_DAYS: still selling when 2021 ends
        self.rate = np.exp(rng.normal(0, 0.9, m)) * (rng.random(m) > 0.12)   # some never sell
        self.group = rng.integers(0, _gobiz_groups(s), m)
        name = pop.business_names(m_pop)
        name = _where(rng.random(m) < 0.4, _cat(name, ", ", _pick(pop.region_base, pop.region[m_pop])), name)
        self.name, self.merchant_id = name, _cat("G", _str(self.gid))

        # transactions per day: GOBIZ_PER_SCALE per scale unit in 2021, following the calendar and who sells
        ramadan, ppkm = (_day(2021, 4, 13), _day(2021, 5, 12)), (_day(2021, 7, 3), _day(2021, 7, 25))
        december = (_day(2021, 12, 1), _day(2021, 12, 31))
        daily = _daily_weights(GOBIZ_FIRST_DAY, GOBIZ_DAYS + 1, [(*ramadan, 1.3), (*ppkm, 0.7), (*december, 1.1)], 1.2)
        change = np.zeros(GOBIZ_DAYS + 2)
        np.add.at(change, self.start, self.rate)
        np.add.at(change, self.end, -self.rate * (self.end < GOBIZ_DAYS))
        expected = daily * np.cumsum(change)[:GOBIZ_DAYS + 1]
        total = GOBIZ_PER_SCALE * s
        year = rng.multinomial(total, expected[:-1] / expected[:-1].sum())
        self.counts = np.append(year, round(total * expected[-1] / expected[:-1].sum()))
        self.first_index = np.cumsum(self.counts) - self.counts          # position of a day's first transaction
        # a few rows that break the contract: negative and non-numeric amounts
        self.bad_negative, self.bad_text = _bad_rows(rng, total, _few(total, 8000), _few(total, 8000))

    @property
    def transactions(self) -> int:
        return int(self.counts[:GOBIZ_DAYS].sum())

    def day(self, d: int) -> pd.DataFrame:
        """The transactions of day d (WIB), in time order."""
        rng = self.world.rng(f"gobiz-day-{d}")
        active = np.flatnonzero((self.start <= d) & ((self.end == GOBIZ_DAYS) | (d < self.end)) & (self.rate > 0))
        weight = self.rate[active]
        n = int(self.counts[d])
        merchant = np.repeat(active, rng.multinomial(n, weight / weight.sum())) if n else np.zeros(0, np.int64)
        kind = self.kind[merchant]
        feature = _draw_by_group(rng, kind, [(GOBIZ_FEATURES, w) for w in FEATURE_BY_KIND], GOBIZ_FEATURES)
        # local time of day: lunch and dinner peaks; a few orders just after midnight WIB (17:xx Z the day before)
        slot = rng.choice(5, n, p=[0.05, 0.38, 0.12, 0.40, 0.05])
        lo = np.array([6, 10, 14, 17, 0])[slot] * 3600
        hi = np.array([10, 14, 17, 21.5, 1.5])[slot] * 3600
        tod = (lo + rng.random(n) * (hi - lo)).astype(np.int64)
        tod = np.where(feature == GOFOOD_F, tod, rng.integers(7 * 3600, 21 * 3600, n))
        ts = (GOBIZ_FIRST_DAY + d) * DAY + tod - WIB
        median = np.select([feature == GOFOOD_F, feature == GOSHOP_F], [55_000, 180_000], 35_000)
        amount = np.round(median * np.exp(rng.normal(0, 0.6, n)) / 500) * 500
        amount = np.clip(amount, 5_000, 5_000_000).astype(np.int64)
        status = _draw_by_group(rng, feature, [GOBIZ_STATUS[f] for f in GOBIZ_FEATURES], STATUS_NAMES)
        payment = _draw_by_group(rng, feature, [GOBIZ_PAYMENT[f] for f in GOBIZ_FEATURES], PAYMENT_NAMES)
        in_banner = np.isin(kind, [0, 2]) & (feature == GOFOOD_F) & (GOBIZ_FIRST_DAY + d >= self.joined[merchant])
        promo = np.select([in_banner & (rng.random(n) < 0.35), rng.random(n) < 0.06], [1, 2], 0)
        discount = np.where(promo == 1, np.minimum(np.round(amount * 0.1 / 500) * 500, 20_000), 0).astype(np.int64)
        rate = np.select([feature == GOFOOD_F, feature == GOSHOP_F], [0.20, 0.15], 0.007)
        commission = np.round(amount * rate).astype(np.int64)
        uuid = rng.integers(0, np.iinfo(np.uint64).max, (n, 2), dtype=np.uint64, endpoint=True)
        tx = pd.DataFrame({
            "merchant": merchant, "group": self.group[merchant], "day": np.full(n, d), "ts": ts,
            "ms": rng.integers(0, 1000, n), "feature": feature, "amount": amount, "status": status,
            "payment": payment, "promo": promo, "discount": discount, "commission": commission,
            "tax": np.round(commission * 0.11).astype(np.int64),
            "gopay_promo": np.where((promo == 2) & (feature != GOSHOP_F), np.minimum(amount // 10, 10_000), 0),
            "reference": rng.integers(10**11, 10**12, n), "stan": rng.integers(0, 10**6, n),
            "pending_draw": rng.random(n), "uuid_hi": uuid[:, 0], "uuid_lo": uuid[:, 1],
        }).iloc[np.argsort(ts, kind="stable")].reset_index(drop=True)
        # numbered in time order through the year; the new day's numbers follow the year's
        index = self.first_index[d] + np.arange(n)
        tx["order_number"] = 1_200_000_000 + 7 * index + rng.integers(0, 7, n)
        tx["bad"] = np.select([np.isin(index, self.bad_negative), np.isin(index, self.bad_text)], [1, 2], 0)
        return tx


def _gobiz_frame(gobiz: _GoBiz, rows: pd.DataFrame, style: dict, pending_after: int | None = None) -> dict:
    """A GoBiz transaction report. When it was pulled before the day was over (`pending_after`),
    about half the transactions done after that time still show `pending`."""
    n = len(rows)
    ts = rows["ts"].to_numpy()
    feature = rows["feature"].to_numpy()
    status = rows["status"].to_numpy().copy()
    if pending_after is not None:
        settled = np.isin(status, [STATUS_NAMES.index("completed"), STATUS_NAMES.index("settlement")])
        late = (ts >= pending_after) & settled & (rows["pending_draw"].to_numpy() < 0.5)
        status[late] = STATUS_NAMES.index("pending")

    def money(values):
        return _grouped(values, ",") if style["comma"] else _str(values)

    amount = rows["amount"].to_numpy()
    amount_text = money(amount)
    bad = rows["bad"].to_numpy()
    amount_text = _select([bad == 1, bad == 2], [_cat("-", amount_text), "#VALUE!"], amount_text)
    quote = "'" if style["apostrophe"] else ""
    order_no = _str(rows["order_number"].to_numpy())
    uuid = _uuid_text(np.ascontiguousarray(rows[["uuid_hi", "uuid_lo"]].to_numpy(np.uint64)).view(np.uint8))
    merchant = rows["merchant"].to_numpy()
    promo = rows["promo"].to_numpy()
    commission, tax = rows["commission"].to_numpy(), rows["tax"].to_numpy()
    time_format = "%Y-%m-%dT%H:%M:%S.%fZ" if style["millis"] else "%Y-%m-%dT%H:%M:%SZ"
    table = {
        "Transaction Date": _fmt_time(ts + WIB, "%m/%d/%Y"),
        "Transaction time": _fmt_time(ts, time_format, rows["ms"].to_numpy()),
        "Transaction ID": _cat(quote, uuid),
        "Transaction Reference": _cat("A12", _str(rows["reference"].to_numpy())),
        "Order ID": _select([feature == GOFOOD_F, feature == GOSHOP_F],
                            [_cat(quote, "F-", order_no), _cat(quote, "GS-", order_no)], ""),
        "Stan": _where(feature == GOPAY_F, _join_chars([_digits(rows["stan"].to_numpy(), 6)], n), ""),
        "Amount": amount_text,
        "Nett Amount": money(amount - commission - tax),
        "Transaction Status": _pick(STATUS_NAMES, status),
        "Feature": _pick(GOBIZ_FEATURES, feature),
        "Payment Type": _pick(PAYMENT_NAMES, rows["payment"].to_numpy()),
        "Merchant name": _take(gobiz.name, merchant),
        "Merchant ID": _cat(quote, _take(gobiz.merchant_id, merchant)),
        "Promo Type": _pick(["", "Discount", "Voucher"], promo),
        "Promo Name": _pick(["", "Promo Banner UMKM Jateng", "Diskon Ongkir"], promo),
        "Gopay promo": money(rows["gopay_promo"].to_numpy()),
        "GoFood discount": money(rows["discount"].to_numpy()),
        "Voucher commission": money(commission),
        "Tax": money(tax),
        "Witholding tax": _const("0", n),
        "Currency": _const("IDR", n),
    }
    return {c: table[c] for c in GOBIZ_COLUMNS}


def _gobiz_report(gobiz: _GoBiz, rows: pd.DataFrame, style: dict, pending_after: int | None = None,
                  bom: bool = True) -> bytes:
    return _csv_bytes(_gobiz_frame(gobiz, rows, style, pending_after), bom=style["bom"] and bom)


def _gobiz_style(rng) -> dict:
    return {"bom": rng.random() < 0.8, "apostrophe": rng.random() < 0.35, "comma": rng.random() < 0.5,
            "millis": rng.random() < 0.5}


def _write_gofood(out: _Landing, world: _World) -> None:
    gobiz = _GoBiz(world)
    out.count("gofood", transactions=gobiz.transactions, merchants=len(gobiz.gid))
    (_write_gobiz_feed if world.province else _write_gobiz_accounts)(out, world, gobiz)


def _write_gobiz_accounts(out: _Landing, world: _World, gobiz: _GoBiz) -> None:
    """A pilot: every merchant-group account downloads its monthly report, a month at a time."""
    rng = world.rng("gobiz-files")
    n_groups = _gobiz_groups(world.scale)
    styles = [_gobiz_style(rng) for _ in range(n_groups)]

    def name(group: int, lo_day: int, hi_day: int, suffix: str = "") -> str:
        return f"gofood/gobiz_grp{group + 1:02d}_transactions_{_ymd(lo_day)}_{_ymd(hi_day)}{suffix}.csv"

    daily_group = 2 % n_groups                     # grp03 downloads daily reports in December
    for mo in range(1, 13):
        lo, hi = _day(2021, mo, 1), _day(2021 + mo // 12, mo % 12 + 1, 1) - 1
        block = pd.concat([gobiz.day(d - GOBIZ_FIRST_DAY) for d in range(lo, hi + 1)], ignore_index=True)
        block = block.sort_values("group", kind="stable").reset_index(drop=True)   # (group, day, time)
        key = block["group"].to_numpy() * 1000 + block["day"].to_numpy()

        def rows_for(group: int, lo_day: int, hi_day: int, block=block, key=key) -> pd.DataFrame:
            """Transactions of a group whose WIB date is in [lo_day, hi_day] (days since the epoch)."""
            a = np.searchsorted(key, group * 1000 + lo_day - GOBIZ_FIRST_DAY, side="left")
            b = np.searchsorted(key, group * 1000 + hi_day - GOBIZ_FIRST_DAY, side="right")
            return block.iloc[a:b]

        for group in range(n_groups):
            style = styles[group]
            when = (hi + 1 + group % 4 + 1) * DAY - WIB + 8 * 3600 + group * 7 * 60  # days after month end, 08:xx
            rows = rows_for(group, lo, hi)
            if group == daily_group and mo == 12:
                for day in range(lo, hi + 1):
                    day_rows = rows_for(group, day, day)
                    # reports for the last days were pulled early: late rows still pending
                    pending_after = (day + 1) * DAY - WIB - 6 * 3600 if day >= hi - 2 else None
                    out.put(name(group, day, day), _gobiz_report(gobiz, day_rows, style, pending_after),
                            (day + 1) * DAY - WIB + 6 * 3600 + 30 * 60, len(day_rows))
                rerun_rows = rows_for(group, hi - 2, hi)
                out.put(name(group, hi - 2, hi, "_rerun"), _gobiz_report(gobiz, rerun_rows, style),
                        _at(2022, 1, 5, 10, 0), len(rerun_rows), kind="rerun")
                continue
            if group == 0 and mo == 6:
                # pulled right at month end, re-run two weeks later: pending rows have settled
                out.put(name(group, lo, hi), _gobiz_report(gobiz, rows, style, (hi + 1) * DAY - WIB - 20 * 3600),
                        (hi + 1) * DAY - WIB + 3600, len(rows))
                out.put(name(group, lo, hi, "_rerun"), _gobiz_report(gobiz, rows, style), _at(2021, 7, 15, 9, 30),
                        len(rows), kind="rerun")
                continue
            if group == 4 % n_groups and mo == 10:
                # a failed download (empty file), downloaded again a few minutes later
                out.put(name(group, lo, hi), b"", when, 0, kind="broken")
                out.put(name(group, lo, hi, " (1)"), _gobiz_report(gobiz, rows, style), when + 20 * 60, len(rows))
                continue
            if group == 3 % n_groups and mo == 8:
                # two half-month reports pasted into one file: the header row repeats inside
                half = len(rows) // 2
                data = (_gobiz_report(gobiz, rows.iloc[:half], style)
                        + _gobiz_report(gobiz, rows.iloc[half:], style, bom=False))
                out.put(name(group, lo, hi), data, when, len(rows), kind="repeated_header")
                continue
            data = _gobiz_report(gobiz, rows, style)
            out.put(name(group, lo, hi), data, when, len(rows))
            if group == 1 % n_groups and mo == 5:
                # the same report delivered twice: identical bytes under the browser's copy name
                out.put(name(group, lo, hi, " (1)"), data, when + 3 * 60, len(rows), kind="duplicate")
            if group == 1 % n_groups and mo == 2:
                # a payout export of the same month: 'Gross Amount' instead of 'Amount' -> quarantined
                _put_payout(out, gobiz, rows, style, f"gofood/gobiz_grp{group + 1:02d}_payout_20210201_20210228.csv",
                            when + DAY)
            if group == 5 % n_groups and mo == 12:
                # a download still in progress: a temporary name, never read
                out.put(name(group, lo, hi) + ".part", data[: len(data) * 2 // 5], _at(2022, 1, 3, 8, 0),
                        kind="ignored")


def _put_payout(out: _Landing, gobiz: _GoBiz, rows: pd.DataFrame, style: dict, path: str, when: int) -> None:
    table = _gobiz_frame(gobiz, rows, style)
    table = {("Gross Amount" if c == "Amount" else c): values for c, values in table.items()}
    out.put(path, _csv_bytes(table, bom=True), when, len(rows), kind="broken")


def _feed_name(day: int, last_day: int | None = None, suffix: str = "") -> str:
    return f"gofood/gobiz_jateng_transactions_{_ymd(day)}_{_ymd(day if last_day is None else last_day)}{suffix}.csv"


def _feed_styles(world: _World) -> list[dict]:
    """The province feed's CSV style, month by month (2021 and January 2022): GoBiz changes it now and then."""
    rng = world.rng("gobiz-feed")
    return [_gobiz_style(rng) for _ in range(13)]


def _feed_delivery(day: int) -> int:
    return (day + 1) * DAY - WIB + 6 * 3600 + 30 * 60          # 06:30 WIB the next morning


def _write_gobiz_feed(out: _Landing, world: _World, gobiz: _GoBiz) -> None:
    """The province: one report a day of all program merchants, a day at a time."""
    styles = _feed_styles(world)
    last_days = []
    for d in range(GOBIZ_DAYS):
        day = GOBIZ_FIRST_DAY + d
        rows = gobiz.day(d)
        style = styles[int(_month_index(day)) - int(_month_index(GOBIZ_FIRST_DAY))]
        when, name = _feed_delivery(day), _feed_name(day)
        if day == _day(2021, 6, 30):
            # pulled the same evening, re-run two weeks later: pending rows have settled
            out.put(name, _gobiz_report(gobiz, rows, style, (day + 1) * DAY - WIB - 20 * 3600),
                    (day + 1) * DAY - WIB - 3 * 3600, len(rows))
            out.put(_feed_name(day, suffix="_rerun"), _gobiz_report(gobiz, rows, style), _at(2021, 7, 15, 9, 30),
                    len(rows), kind="rerun")
            continue
        if day == _day(2021, 10, 15):
            # a failed download (empty file), downloaded again a few minutes later
            out.put(name, b"", when, 0, kind="broken")
            out.put(_feed_name(day, suffix=" (1)"), _gobiz_report(gobiz, rows, style), when + 20 * 60, len(rows))
            continue
        if day == _day(2021, 8, 14):
            # the morning and afternoon halves pasted into one file: the header row repeats inside
            half = len(rows) // 2
            data = (_gobiz_report(gobiz, rows.iloc[:half], style)
                    + _gobiz_report(gobiz, rows.iloc[half:], style, bom=False))
            out.put(name, data, when, len(rows), kind="repeated_header")
            continue
        last_three = day >= GOBIZ_FIRST_DAY + GOBIZ_DAYS - 3
        if last_three:  # the year's last reports were pulled early: late rows still pending
            last_days.append(rows)
        data = _gobiz_report(gobiz, rows, style, (day + 1) * DAY - WIB - 6 * 3600 if last_three else None)
        out.put(name, data, when, len(rows))
        if day == _day(2021, 5, 10):
            # the same report delivered twice: identical bytes under the browser's copy name
            out.put(_feed_name(day, suffix=" (1)"), data, when + 3 * 60, len(rows), kind="duplicate")
        if day == _day(2021, 2, 15):
            # a payout export of the same day: 'Gross Amount' instead of 'Amount' -> quarantined
            _put_payout(out, gobiz, rows, style, f"gofood/gobiz_jateng_payout_{_ymd(day)}_{_ymd(day)}.csv", when + DAY)
        if day == GOBIZ_FIRST_DAY + GOBIZ_DAYS - 1:
            # a download still in progress: a temporary name, never read
            out.put(name + ".part", data[: len(data) * 2 // 5], when - 10 * 60, kind="ignored")
    rerun = pd.concat(last_days, ignore_index=True)
    first = GOBIZ_FIRST_DAY + GOBIZ_DAYS - 3
    out.put(_feed_name(first, first + 2, "_rerun"), _gobiz_report(gobiz, rerun, styles[11]),
            _at(2022, 1, 5, 10, 0), len(rerun), kind="rerun")


# ================================================================ Shopee Seller Centre

@dataclass
class _Shopee:
    shop_ids: np.ndarray             # per shop folder
    orders: pd.DataFrame             # one row per order (numbers), sorted by (shop, created)
    sn: np.ndarray                   # (orders, 14) ASCII order numbers, in the same order
    lines: pd.DataFrame              # one row per order line, sorted like the orders
    items: pd.DataFrame              # the shops' catalogues (numbers)
    item_text: dict                  # product, variation, sku, parent_sku of every item
    line_bounds: np.ndarray          # first line of each order, then the number of lines


def _shopee_shops(scale: int) -> int:
    """How many participating shops send their exports: the earlier joiners, mostly."""
    return round(10 * scale ** 0.6)


def _shopee_data(world: _World) -> _Shopee:
    rng = world.rng("shopee")
    e, pop, s = world.enrolled, world.pop, world.scale
    enrolled = e[e["program"] == SHOPEE].sort_values("joined", kind="stable")
    # only some participants send their exports; plus one shop in no program
    candidates = enrolled[enrolled["joined"] <= _day(2022, 3, 31)]
    n_folders = min(len(candidates), _shopee_shops(s))
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
    product = np.zeros(len(item_shop), np.int64)
    catalogue = [p for products in SHOPEE_PRODUCTS for p in products]
    offset = np.cumsum([len(p) for p in SHOPEE_PRODUCTS]) - [len(p) for p in SHOPEE_PRODUCTS]
    for sec, products in enumerate(SHOPEE_PRODUCTS):
        mask = sector == sec
        product[mask] = offset[sec] + rng.integers(0, len(products), int(mask.sum()))
    base_price = np.array([p[1] for p in catalogue], dtype=float)[product]
    variation = rng.integers(0, 1000, len(item_shop))
    price = (np.round(base_price * rng.uniform(0.8, 1.3, len(item_shop)) / 500) * 500).astype(np.int64)
    shop_code = _join_chars([_random_chars(rng, n_shops, 3, _ALNUM[10:])], n_shops)
    item_code = _take(shop_code, item_shop)
    item_text = {"product": _pick([p[0] for p in catalogue], product), "variation": _pick(SHOPEE_VARIATIONS, variation),
                 "sku": _cat(item_code, "-", _join_chars([_digits(item_no, 3)], len(item_no))),
                 "parent_sku": _cat(item_code, "-", _str(item_no // 3 + 1))}
    items = pd.DataFrame({"shop": item_shop, "price": price,
                          "weight": rng.choice([100, 250, 300, 500, 750, 1000], len(item_shop))})
    item_offset = np.cumsum(n_items) - n_items

    weight = np.exp(rng.normal(0, 0.7, n_shops)) * (n_days - start)
    counts = rng.multinomial(SHOPEE_PER_SCALE * s, weight / weight.sum())
    shop = np.repeat(np.arange(n_shops), counts)
    n = len(shop)
    d = _day
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
    by_shop = np.lexsort((created, shop))
    orders = {
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
    }
    sn = np.hstack([_stamp_digits(created + WIB), _random_chars(rng, n, 8)])[by_shop]
    wide = {"shop", "created", "phone", "resi_digits"}  # the others fit in 32 bits: half the memory
    orders = pd.DataFrame({name: values[by_shop] if name in wide else values[by_shop].astype(np.int32)
                           for name, values in orders.items()}, copy=False)
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
    order_total = np.bincount(line_order, weights=discounted * quantity, minlength=n).astype(np.int64)
    # a seller's voucher never takes more than half the goods (a payment under Rp 1.000 reads as a misparse)
    orders["voucher"] = np.where(orders["voucher"].to_numpy() * 2 > order_total, 0, orders["voucher"].to_numpy())
    orders["payment_total"] = order_total + orders["shipping"].to_numpy() - orders["voucher"].to_numpy()
    return _Shopee(shop_ids, orders, sn, lines, items, item_text, np.append(line_start, n_l))


def _stamp_digits(local_secs: np.ndarray) -> np.ndarray:
    """yymmdd of local epoch seconds, as an (n, 6) digit matrix (the start of a Shopee order number)."""
    days = np.floor_divide(local_secs, DAY).astype("datetime64[D]")
    month = days.astype("datetime64[M]")
    year = days.astype("datetime64[Y]").astype(np.int64) + 1970
    day_of_month = (days - month.astype("datetime64[D]")).astype(np.int64) + 1
    return np.hstack([_digits(year % 100, 2), _digits(month.astype(np.int64) % 12 + 1, 2), _digits(day_of_month, 2)])


SHOPEE_NEW_LAYOUT_FROM = _at(2022, 3, 1)            # Seller Centre changed its export layout
SHOPEE_MONEY = ["Harga Awal", "Harga Setelah Diskon", "Total Harga Produk", "Total Diskon", "Diskon Dari Penjual",
                "Voucher Ditanggung Penjual", "Ongkos Kirim Dibayar oleh Pembeli", "Total Pembayaran",
                "Dibayar Pembeli"]
SHOPEE_COUNTS = ["Jumlah", "Returned quantity", "Jumlah Produk di Pesan"]
SELESAI, DIKIRIM, BELUM_BAYAR, BATAL = range(4)
SHOPEE_STATUS = ["Selesai", "Sedang Dikirim", "Belum Bayar", "Batal"]


@dataclass
class _Export:
    """One Order.all export: orders [a, b) of the sorted orders, as they looked at `as_of`."""
    path: str
    a: int
    b: int
    as_of: int
    kind: str
    csv: bool
    money_text: bool                 # money as '169.000' text (else plain numbers)
    bom: bool
    cut: float | None = None         # a download cut short: this share of the bytes

    @property
    def new_layout(self) -> bool:
        return self.as_of >= SHOPEE_NEW_LAYOUT_FROM


def _shopee_table(data: _Shopee, line: np.ndarray, as_of: np.ndarray, new_layout: bool,
                  money_text: np.ndarray) -> dict:
    """The Order.all columns of the given order lines, each line seen at its own `as_of`."""
    lines = data.lines
    o = lines["order"].to_numpy()[line]
    orders = data.orders

    def per_line(name: str) -> np.ndarray:
        return orders[name].to_numpy()[o]

    created, fate = per_line("created"), per_line("fate")
    paid, completed = created + per_line("paid_after"), created + per_line("complete_after")
    cancelled = created + per_line("cancel_after")
    status = np.select(
        [(fate == 0) & (as_of >= completed), (fate == 0) & (as_of >= paid), fate == 0,
         (fate == 1) & (as_of >= cancelled), fate == 1, as_of >= created + DAY],
        [SELESAI, DIKIRIM, BELUM_BAYAR, BATAL, BELUM_BAYAR, BATAL], BELUM_BAYAR)
    reason = _select([status != BATAL, fate == 1], ["", "Dibatalkan oleh Pembeli. Alasan: Ingin mengubah pesanan"],
                     "Dibatalkan otomatis oleh sistem. Pembeli tidak melakukan pembayaran")
    is_paid = (status == SELESAI) | (status == DIKIRIM)
    done = status == SELESAI
    n = len(line)
    female, r_first, r_last = per_line("female"), per_line("r_first"), per_line("r_last")
    first = _where(female, _pick(FEMALE_FIRST, r_first), _pick(MALE_FIRST, r_first))
    last = _where(female, _pick(FEMALE_LAST, r_last), _pick(MALE_LAST, r_last))
    lower_first = _where(female, _pick([w.lower() for w in FEMALE_FIRST], r_first),
                         _pick([w.lower() for w in MALE_FIRST], r_first))
    lower_last = _where(female, _pick([w.lower() for w in FEMALE_LAST], r_last),
                        _pick([w.lower() for w in MALE_LAST], r_last))
    form = per_line("user_form")
    digits = _str(per_line("user_digits"))
    username = _select([form == 0, form == 1, form == 2],
                       [_cat(lower_first, lower_last, digits), _cat(lower_first, ".", lower_last),
                        _cat(lower_first, "_", digits)], _cat(lower_last, lower_first))
    city = per_line("city")
    city_name = _pick([c[0] for c in BUYER_CITIES], city)
    province = _pick([c[1] for c in BUYER_CITIES], city)
    postal = np.array([c[2] for c in BUYER_CITIES])[city] * 1000 + per_line("zip")
    address = _cat(_pick(STREETS, per_line("street")), " No. ", _str(per_line("house")),
                   ", RT ", _join_chars([_digits(per_line("rt"), 3)], n), "/RW ",
                   _join_chars([_digits(per_line("rw"), 3)], n), ", ", city_name, ", ", province, ", ID, ",
                   _str(postal))
    item = lines["item"].to_numpy()[line]
    price, discounted = lines["price"].to_numpy()[line], lines["discounted"].to_numpy()[line]
    quantity = lines["quantity"].to_numpy()[line]
    returned = np.where(done, lines["returned"].to_numpy()[line], 0)

    def money(values):
        if money_text.all():
            return _grouped(values)
        return _where(money_text, _grouped(values), _str(values)) if money_text.any() else _str(values)

    none = "" if new_layout else "-"
    table = {
        "No. Pesanan": _fixed(data.sn[o]),
        "Status Pesanan": _pick(SHOPEE_STATUS, status),
        "Alasan Pembatalan": reason,
        "Status Pembatalan/ Pengembalian": _where(returned > 0, "Pengembalian Dana Diterima", ""),
        "No. Resi": _where(is_paid, _cat("JP", _str(per_line("resi_digits"))), ""),
        "Opsi Pengiriman": _pick(SHOPEE_COURIERS, per_line("courier")),
        "Waktu Pesanan Dibuat": _fmt_time(created + WIB, "%Y-%m-%d %H:%M"),
        "Waktu Pembayaran Dilakukan": _where(is_paid, _fmt_time(paid + WIB, "%Y-%m-%d %H:%M"), none),
        "Metode Pembayaran": _pick(SHOPEE_PAYMENTS, per_line("payment")),
        "SKU Induk": _take(data.item_text["parent_sku"], item),
        "Nama Produk": _take(data.item_text["product"], item),
        "Nomor Referensi SKU": _take(data.item_text["sku"], item),
        "Nama Variasi": _take(data.item_text["variation"], item),
        "Harga Awal": money(price),
        "Harga Setelah Diskon": money(discounted),
        "Jumlah": _str(quantity),
        "Returned quantity": _str(returned),
        "Total Harga Produk": money(discounted * quantity),
        "Total Diskon": money((price - discounted) * quantity),
        "Diskon Dari Penjual": money((price - discounted) * quantity),
        "Berat Produk": _cat(_str(data.items["weight"].to_numpy()[item]), " gr"),
        "Jumlah Produk di Pesan": _str(per_line("n_lines")),
        "Voucher Ditanggung Penjual": money(per_line("voucher")),
        "Ongkos Kirim Dibayar oleh Pembeli": money(per_line("shipping")),
        "Total Pembayaran": money(per_line("payment_total")),
        "Catatan dari Pembeli": _pick(BUYER_NOTES, per_line("note")),
        "Username (Pembeli)": username,
        "Nama Penerima": _cat(first, " ", last),
        "No. Telepon": _str(per_line("phone")),
        "Alamat Pengiriman": address,
        "Kota/Kabupaten": city_name,
        "Provinsi": province,
        "Waktu Pesanan Selesai": _where(done, _fmt_time(completed + WIB, "%Y-%m-%d %H:%M"), none),
    }
    table["Dibayar Pembeli"] = table["Total Pembayaran"]
    return {c: table[c] for c in (SHOPEE_NEW if new_layout else SHOPEE_OLD)}


def _render_shopee(data: _Shopee, exports: list[_Export]) -> list[bytes]:
    """The bytes of each export. Exports of the same format and layout are rendered together,
    column by column, and then cut into files."""
    rendered: list[bytes] = [b""] * len(exports)
    for csv_file in (True, False):
        for new_layout in (True, False):
            members = [i for i, e in enumerate(exports) if e.csv == csv_file and e.new_layout == new_layout]
            if not members:
                continue
            bounds = [(data.line_bounds[exports[i].a], data.line_bounds[exports[i].b]) for i in members]
            sizes = np.array([hi - lo for lo, hi in bounds])
            starts = np.cumsum(sizes) - sizes
            line = np.concatenate([np.arange(lo, hi) for lo, hi in bounds])
            export_of = np.repeat(np.arange(len(members)), sizes)
            money_text = np.array([exports[i].money_text for i in members])[export_of]
            table = _shopee_table(data, line, np.array([exports[i].as_of for i in members])[export_of],
                                  new_layout, money_text)
            header = list(table)
            if csv_file:
                lines, head = _csv_lines(table), _csv_header(header)
                for k, i in enumerate(members):
                    body = _buffer_bytes(lines.slice(starts[k], sizes[k]))
                    rendered[i] = (("\ufeff" if exports[i].bom else "") + head).encode("utf-8") + body
                continue
            numeric = {c: np.ones(len(line), bool) for c in SHOPEE_COUNTS} | {c: ~money_text for c in SHOPEE_MONEY}
            sheets = _xlsx_sheets(_table_xcols(table, numeric), sizes)
            for k, i in enumerate(members):
                body = _buffer_bytes(sheets.rows.slice(starts[k], sizes[k]))
                xlsx = _xlsx_package(header, int(sizes[k]), body, sheets.strings[k], sheets.counts[k], "orders",
                                     exports[i].as_of, creator="Shopee")
                rendered[i] = xlsx if exports[i].cut is None else xlsx[: int(len(xlsx) * exports[i].cut)]
    return rendered


def _shopee_exports(data: _Shopee, world: _World):
    """Every export, shop by shop, in the order the office received them."""
    rng = world.rng("shopee-files")
    orders = data.orders
    shop = orders["shop"].to_numpy()
    created = orders["created"].to_numpy()
    key = shop * 10**11 + created
    last_month = _month_index(_day(2022, 11, 1))
    overlap_shops = {0, 1 % len(data.shop_ids)}
    truncated_shop = 2 % len(data.shop_ids)

    def export(s: int, lo_day: int, hi_day: int, as_of: int, suffix: str = "", kind: str = "data",
               fmt: str | None = None, cut: float | None = None):
        a = int(np.searchsorted(key, s * 10**11 + lo_day * DAY - WIB, side="left"))
        b = int(np.searchsorted(key, s * 10**11 + (hi_day + 1) * DAY - WIB, side="left"))
        csv_file = (fmt or ("csv" if rng.random() < (0.5 if s % 4 == 3 else 0.1) else "xlsx")) == "csv"
        text_money = rng.random() < (0.7 if as_of >= SHOPEE_NEW_LAYOUT_FROM else 0.3)
        grouped_csv, bom = rng.random() < 0.5, rng.random() < 0.5
        if b <= a:
            return None
        csv_file = csv_file or data.line_bounds[b] - data.line_bounds[a] > XLSX_MAX_ROWS
        extension = "csv" if csv_file else "xlsx"
        path = f"shopee/{data.shop_ids[s]}/Order.all.{_ymd(lo_day)}_{_ymd(hi_day)}{suffix}.{extension}"
        return _Export(path, a, b, as_of, kind, csv_file, grouped_csv if csv_file else text_money, bom, cut)

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
                yield export(s, lo, hi, _at(2021, 10, 1, 9, 0) + s * 60)
                # ... so an overlapping export two weeks later shows them `Selesai`
                yield export(s, _day(2021, 9, 15), _day(2021, 10, 15), _at(2021, 10, 25, 10, 0) + s * 60,
                             kind="overlap")
                continue
            if s == truncated_shop and month == _month_index(_day(2022, 6, 1)):
                # a download cut short (quarantined), then downloaded again
                yield export(s, lo, hi, as_of, kind="broken", fmt="xlsx", cut=0.55)
                yield export(s, lo, hi, as_of + 15 * 60, suffix=" (1)", fmt="xlsx")
                continue
            yield export(s, lo, hi, as_of)
        # the first half of December 2022, pulled mid-month
        yield export(s, _day(2022, 12, 1), _day(2022, 12, 15), _at(2022, 12, 16, 9, 0) + s * 60)


def _write_shopee(out: _Landing, world: _World, batch_lines: int = 50_000) -> None:
    data = _shopee_data(world)
    out.count("shopee", orders=len(data.orders), order_lines=len(data.lines), shops=len(data.shop_ids))
    batch: list[_Export] = []

    def flush():
        for e, payload in zip(batch, _render_shopee(data, batch)):
            out.put(e.path, payload, e.as_of, int(data.line_bounds[e.b] - data.line_bounds[e.a]), e.kind)
        batch.clear()

    size = 0
    for e in _shopee_exports(data, world):
        if e is None:
            continue
        batch.append(e)
        size += data.line_bounds[e.b] - data.line_bounds[e.a]
        if size >= batch_lines:
            flush()
            size = 0
    flush()
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
    n = UVO_PER_SCALE * world.scale
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
    month = _np(_fmt_time(local, "%Y-%m"))
    rate = fx.to_numpy()[fx.index.get_indexer(pd.MultiIndex.from_arrays([month, currency]))]
    value_idr = 2_500_000 * np.exp(rng.normal(0, 1.0, n)) * np.where(country_i == 0, 0.5, 1.5)
    value = value_idr / rate
    value = np.select([currency == "IDR", currency == "JPY"],
                      [np.round(value / 1000) * 1000, np.round(value / 10) * 10], np.round(value, 2))
    status = rng.choice(np.array(["lunas", "menunggu", "batal"], dtype=object), n, p=[0.82, 0.08, 0.10])
    order = np.argsort(local, kind="stable")
    serial = np.arange(1, n + 1) * 7 + 100_000
    ids = _cat("UVO21-", _join_chars([_digits(serial, len(str(int(serial[-1]))))], n))
    frame = pd.DataFrame({
        "id_transaksi": _np(ids),
        "id_peserta": _np(_take(world.merchant_ids(exhibitors), who[order])),
        "nama_peserta": _np(pop.business_names(exhibitors["pop"].to_numpy()[who[order]])),
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


def _uvo_values(frame: pd.DataFrame, style: str) -> pa.Array:
    """nilai as text: 'plain' (1250.5, 15000000) or 'id' (2.273,67 / 15.000.000)."""
    value = frame["value"].to_numpy()
    n = len(value)
    whole = np.floor(value).astype(np.int64)
    cents = np.round((value - whole) * 100).astype(np.int64)
    cents_text = _join_chars([_digits(cents, 2)], n)
    if style == "id":
        text = _where(cents > 0, _cat(_grouped(whole), ",", cents_text), _grouped(whole))
    else:
        text = _where(cents > 0, _cat(_str(whole), ".", cents_text), _str(whole))
    bad = frame["bad"].to_numpy()
    currency = _arrow(frame["mata_uang"].to_numpy())
    return _select([bad == 1, bad == 2], [_cat("-", text), _cat(currency, " ", text)], text)


def _write_uvo(out: _Landing, world: _World) -> None:
    frame = _uvo_frame(world)
    out.count("uvo", transactions=len(frame))
    local = frame["local"].to_numpy()
    quarter = (_month_index(local // DAY) - _month_index(_day(2021, 1, 1))) // 3
    for q in range(4):
        part = frame[quarter == q]
        when = _at(2021 + (q + 1) // 4, (3 * (q + 1)) % 12 + 1, 11, 10, 0)      # ~10 days after the quarter
        base = f"uvo/transaksi_uvo_2021_q{q + 1}"

        def table(time_format: str, style: str, part=part) -> dict:
            return {"id_transaksi": _arrow(part["id_transaksi"].to_numpy()),
                    "id_peserta": _arrow(part["id_peserta"].to_numpy()),
                    "nama_peserta": _arrow(part["nama_peserta"].to_numpy()),
                    "tanggal_transaksi": _fmt_time(part["local"].to_numpy(), time_format),
                    "negara_pembeli": _arrow(part["negara_pembeli"].to_numpy()),
                    "mata_uang": _arrow(part["mata_uang"].to_numpy()),
                    "nilai": _uvo_values(part, style),
                    "status": _arrow(part["status"].to_numpy())}

        if q == 0:    # comma csv, ISO local times
            out.put(base + ".csv", _csv_bytes(table("%Y-%m-%d %H:%M:%S", "plain")), when, len(part))
        elif q == 1:  # semicolon csv from Excel: dd/mm/yyyy and Indonesian number format
            out.put(base + ".csv", _csv_bytes(table("%d/%m/%Y %H:%M", "id"), sep=";", bom=True, line="\r\n"),
                    when, len(part))
        else:         # the expo platform's API: JSON, numbers as numbers (text where broken)
            bad = part["bad"].to_numpy()
            value = part["value"].to_numpy()
            number = value.astype(object)
            whole = value == np.floor(value)
            number[whole] = value[whole].astype(np.int64).astype(object)
            number[bad == 1] = -number[bad == 1]
            records = part[UVO_COLUMNS[:3]].assign(
                tanggal_transaksi=_np(_fmt_time(part["local"].to_numpy(), "%Y-%m-%dT%H:%M:%S+07:00")),
                negara_pembeli=part["negara_pembeli"], mata_uang=part["mata_uang"],
                nilai=np.where(bad == 2, _np(_uvo_values(part, "plain")), number), status=part["status"])
            body = records.to_json(orient="records", force_ascii=False, indent=2 if q == 2 else 0)
            text = body if q == 2 else '{"sumber": "uvo.kemenkopukm.go.id", "transaksi": ' + body + "}"
            out.put(base + ".json", text.encode("utf-8"), when, len(records))
    # an old .xls workbook saved under a .csv name: binary, quarantined
    rng = world.rng("uvo-broken")
    garbage = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + rng.integers(0, 256, 4088, dtype=np.uint8).tobytes()
    out.put("uvo/rekap_transaksi_uvo_november.csv", garbage, _at(2021, 12, 2, 15, 40), kind="broken")


# ================================================================ entry points

_WRITERS = {"survey": _write_survey, "enrollment": _write_enrollment, "gofood": _write_gofood,
            "shopee": _write_shopee, "uvo": _write_uvo}
# two halves of about equal work at large scales, for two processes
_HALVES = (("survey", "gofood"), ("enrollment", "shopee", "uvo"))


def _write_sources(landing_dir: Path, scale: int, seed: int, province: bool, sources: tuple) -> tuple[list, dict]:
    """Write the files of some sources; return their deliveries (mtimes not set yet) and stats."""
    world = _World(_Reference.load(), scale, seed, province)
    out = _Landing(Path(landing_dir))
    for source in sources:
        _WRITERS[source](out, world)
    deliveries = [(when, SOURCES.index(path.relative_to(out.root).parts[0]), order, path)
                  for when, order, path in out.deliveries]
    return deliveries, out.stats


def write_demo_landing(landing_dir: Path, scale: int = 1, seed: int = 42, workers: int | None = None) -> dict:
    """Write the demo landing zone; return files, data rows and bytes written per source.

    `rows` counts data records in the files as written (so re-deliveries, overlaps and bad rows
    count each time they appear); the other counters name the files that are special on purpose.
    From `PROVINCE_SCALE` on, two processes write half the sources each (`workers`: 1 or 2 to
    choose); every source draws from its own generators, so the files are the same either way."""
    if int(scale) < 1:
        raise ValueError("scale must be a positive integer")
    landing_dir = Path(landing_dir)
    scale, seed, province = int(scale), int(seed), int(scale) >= PROVINCE_SCALE
    if workers is None:
        workers = 2 if province and (os.cpu_count() or 1) > 1 else 1
    for source in SOURCES:
        (landing_dir / source).mkdir(parents=True, exist_ok=True)
    jobs = [(landing_dir, scale, seed, province, half) for half in _HALVES]
    if workers > 1:
        # spawn, not fork: a forked copy of a process with Arrow's thread pools running can hang
        context = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(min(workers, len(jobs)), mp_context=context) as pool:
            results = list(pool.map(_write_sources, *zip(*jobs)))
    else:
        results = [_write_sources(*job) for job in jobs]
    _set_mtimes([delivery for deliveries, _ in results for delivery in deliveries])
    stats = {source: entry for _, part in results for source, entry in part.items()}
    return {source: stats.get(source, {"files": 0, "rows": 0}) for source in SOURCES}


NEW_DAY_DELIVERY = _feed_delivery(GOBIZ_FIRST_DAY + GOBIZ_DAYS)    # 2022-01-02 06:30 WIB
NEW_DAY_FILE = _feed_name(GOBIZ_FIRST_DAY + GOBIZ_DAYS)             # relative to the landing dir


def write_new_gobiz_day(landing_dir: Path, scale: int = 1, seed: int = 42) -> Path:
    """Land one more day of GoBiz on a zone written by `write_demo_landing(landing_dir, scale, seed)`.

    The file is the province-wide report of 2022-01-01, the day after the zone's last GoBiz day:
    `gofood/gobiz_jateng_transactions_20220101_20220101.csv`, in the province feed's layout. It
    holds the transactions of that day of the zone's GoBiz merchants still selling at the end of
    2021 (the merchants of the registry's GoFood programs, and the few outside any program that
    the zone has too), about a 365th of the year's volume, with new transaction and order ids.
    Its mtime is 06:30 WIB the next morning, or one minute after the newest other file of the
    zone if that is later, so it is always the last file landed.

    Deterministic and idempotent: the same (scale, seed) always gives the same day, bytes and
    mtime; when the file already exists with those bytes it is left as it is (calling this twice
    adds nothing). Returns the file's path."""
    landing_dir = Path(landing_dir)
    world = _World(_Reference.load(), int(scale), int(seed))
    gobiz = _GoBiz(world)
    rows = gobiz.day(GOBIZ_DAYS)
    relative = NEW_DAY_FILE
    target = landing_dir / relative
    newest = max((entry.stat().st_mtime for entry in landing_dir.rglob("*") if entry.is_file() and entry != target),
                 default=0.0)
    out = _Landing(landing_dir)
    out.put(relative, _gobiz_report(gobiz, rows, _feed_styles(world)[12]), max(NEW_DAY_DELIVERY, int(newest) + 60),
            len(rows))
    out.finish()
    return target
