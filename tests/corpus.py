"""A corpus of broken and hostile landing files, generated at test time (no binary blobs).

`CASES` is the table the tests check: for each file, what the pipeline must do with it —
quarantine it (the ledger reason says why), or load it with some rows rejected (reason code
per row), or load it whole. Every corpus row that loads belongs to a merchant, shop, exhibitor
or survey wave that none of the hand-built files of `tests/test_pipeline_e2e.py` use, so the
hand-worked program figures still hold when both land together.

`write_corpus(landing, outside)` writes every file; `outside` is a folder next to the landing
zone that symlinks point into and that nothing may ever read.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from tests.filemakers import csv_bytes, xlsx_bytes
from tests.test_parsers import ENROLL_HEADER, GOBIZ_HEADER, KOBO_HEADER, SHOPEE_NEW, gobiz_row, kobo_row

# Personal data only the corpus uses: no serving file, log or mart may ever show it.
NIKS = ["3374015501900011", "3374015501900022", "3374015501900033", "3374015501900044"]
NIK_15 = "337401550190005"
OWNERS = ["Rina Kurniasih", "Joko Susilo", "Wulan Sari Dewi"]
PHONES = ["081299887766", "0857-1122-3344"]
BUYER_PII = ["Hendra Gunawan", "6281377788899", "Jl. Diponegoro 7 RT 02 RW 05", "hendra_g77"]
PROCUREMENT_PIC = ["Yohanes Pranoto", "pranoto.y@pemkot-korpus.go.id", "0813-5566-7788"]   # Mbizmarket buyer contact
PARTICIPANTS = ["Larasati Widyaningrum", "0896-1234-5678"]                            # a training form
PERSONAL = [*NIKS, NIK_15, *OWNERS, *PHONES, *BUYER_PII, *PROCUREMENT_PIC, *PARTICIPANTS]
OUTSIDE_MARKER = "OUTSIDE-THE-LANDING-ZONE"   # a transaction id only the file outside holds

CORPUS_MERCHANT = "G-CORPUS"      # GoBiz merchant in no enrollment: its orders count nowhere
CORPUS_SHOP = "777"               # Shopee shop in no enrollment
CORPUS_EXHIBITOR = "UVO-CORPUS"   # UVO exhibitor in no enrollment
CORPUS_WAVE = "2020-06"           # survey wave the hand-built files do not use
CORPUS_VENDOR = "MBZ-CORPUS"      # Mbizmarket vendor in no enrollment


@dataclass(frozen=True)
class Case:
    path: str                      # landing path (the ledger shows the escaped form for odd names)
    what: str                      # the problem, in words
    status: str                    # expected ledger status: loaded | quarantined
    reason: str = ""               # loaded: a note the ledger reason must contain; quarantined: the reason
    rejects: dict[str, int] = field(default_factory=dict)  # reason code -> rows rejected
    loaded: int | None = None      # rows loaded (None: not checked beyond the accounting)
    fs_only: bool = False          # a file-system case (link, pipe, name): no bytes to parse
    ledger_path: str | None = None  # how the ledger spells the path, when it differs

    @property
    def source(self) -> str:
        return self.path.split("/", 1)[0] if "/" in self.path else "-"


# ---------------------------------------------------------------- good rows per source

def gobiz(*rows, header=GOBIZ_HEADER, **options) -> bytes:
    return csv_bytes([header, *rows], **options)


def g(tid: str, amount="45.000", time="2021-09-05T03:00:00Z", **kw) -> list:
    return gobiz_row(tid, time, amount, merchant=kw.pop("merchant", CORPUS_MERCHANT), **kw)


def kobo(*rows, **options) -> bytes:
    return csv_bytes([KOBO_HEADER, *rows], delimiter=";", quote_all=True, **options)


def k(i: int, **values) -> list:
    base = dict(periode_survei=CORPUS_WAVE, nik_pemilik=NIKS[i % len(NIKS)], nama_pemilik=OWNERS[i % len(OWNERS)],
                no_hp=PHONES[i % len(PHONES)], _id=f"C{i}", _uuid=f"corpus-{i}",
                _submission_time="2020-06-10T03:00:00", nama_usaha=f"Usaha Korpus {i}")
    base.update(values)
    return kobo_row(**base)


def enrol_row(i: int, **values) -> list:
    base = dict(program_id="uvo_2021", nik_pemilik=NIKS[i % len(NIKS)], nib="", nama_usaha=f"Usaha Korpus {i}",
                kode_kabkota="3374", kabupaten_kota="", sektor_usaha="kuliner",
                platform_merchant_id=f"UVO-ENROL-C{i}", tanggal_bergabung="01/03/2021")
    base.update(values)
    return [base[c] for c in ENROLL_HEADER]


SHOPEE_BUYER = ["KOTA SEMARANG", "JAWA TENGAH", BUYER_PII[3], BUYER_PII[0], BUYER_PII[1], BUYER_PII[2]]


def s(order: str, sku="SKU-1", price="25.000", qty=1, **kw) -> list:
    return [order, kw.get("status", "Selesai"), kw.get("created", "2021-09-10 10:00"), "", "Keripik", sku, "",
            price, price, qty, 0, price, price, *SHOPEE_BUYER, ""]


UVO_FIELDS = ["id_transaksi", "id_peserta", "nama_peserta", "tanggal_transaksi", "negara_pembeli",
              "mata_uang", "nilai", "status"]


def u(tid: str, **values) -> dict:
    base = dict(id_transaksi=tid, id_peserta=CORPUS_EXHIBITOR, nama_peserta=OWNERS[0],
                tanggal_transaksi="2021-05-03 10:00", negara_pembeli="SG", mata_uang="SGD", nilai="100",
                status="lunas")
    base.update(values)
    return base


def uvo_csv(*records, delimiter=",") -> bytes:
    return csv_bytes([UVO_FIELDS, *[[r[f] for f in UVO_FIELDS] for r in records]], delimiter=delimiter)


# ---------------------------------------------------------------- xlsx surgery

def xlsx_with_cells(rows: list[list], replace: dict[str, bytes], sheet="Sheet1") -> bytes:
    """An xlsx whose cells (by reference, e.g. 'H2') get hand-written XML: formulas, errors."""
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes(rows, sheet=sheet)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "xl/worksheets/sheet1.xml":
                for ref, cell in replace.items():
                    start = data.index(f'<c r="{ref}"'.encode())
                    end = data.index(b"</c>", start) + 4
                    data = data[:start] + cell + data[end:]
            target.writestr(name, data)
    return out.getvalue()


def shopee_rows(*lines) -> list[list]:
    return [SHOPEE_NEW, *lines]


MBIZ_FIELDS = ["No. Pesanan", "Tanggal Pesanan", "ID Vendor", "Nama Vendor", "Instansi Pembeli", "Satuan Kerja",
               "Subtotal", "PPN", "Ongkos Kirim", "Total Pesanan", "Status Pesanan", "Nama PIC Pembeli", "Email PIC",
               "No. HP PIC"]


def m(order: str, subtotal="Rp 1.000.000", vat="Rp 100.000", total="Rp 1.100.000", status="Selesai") -> list:
    return [order, "10/09/2021 14:05", CORPUS_VENDOR, "Usaha Korpus", "Dinas Korpus", "Bagian Umum", subtotal, vat,
            "0", total, status, *PROCUREMENT_PIC]


FORMS_FIELDS = ["Timestamp", "Kode Kegiatan", "Nama Lengkap", "NIK", "Nomor WhatsApp", "Nama Usaha", "NIB (jika ada)",
                "Kabupaten/Kota", "Bidang Usaha", "Kehadiran"]


def f(i: int, activity="mbiz-pbj-2021-08", nik=None, attendance="Hadir") -> list:
    return ["2021/08/02 9:03:22 AM GMT+7", activity, PARTICIPANTS[0], NIKS[i % len(NIKS)] if nik is None else nik,
            PARTICIPANTS[1], f"Usaha Korpus {i}", "", "Kota Semarang", "kuliner", attendance]


LAPAK_FIELDS = ["Tanggal Tayang", "NIK Pemilik", "NIB", "Nama Usaha", "Kabupaten/Kota", "Bidang Usaha", "Produk",
                "Tautan Unggahan"]


def lg(i: int, day="05/09/2021", nik=None) -> list:
    return [day, NIKS[i % len(NIKS)] if nik is None else nik, "", f"Usaha Korpus {i}", "Kab. Boyolali", "kuliner",
            "Keripik", f"https://www.instagram.com/p/korpus{i}/"]


# ---------------------------------------------------------------- the cases

BIG_LINE_BYTES = 100 * 1000 * 1000


def _files() -> list[tuple[Case, object]]:
    """(case, bytes or a writer) for every corpus file; order = landing order."""
    cp1252 = csv_bytes([ENROLL_HEADER, enrol_row(0, nama_usaha="Kedai Kopi Café Señor", platform_merchant_id="UVO-CP")],
                       encoding="cp1252")
    repeated = (kobo(k(1), k(2)) + csv_bytes([KOBO_HEADER, k(3)], delimiter=";", quote_all=True))
    nul_rows = kobo(k(4), k(5, nama_usaha="Warung\x00\x00Rusak"), k(6))
    formula_cached = xlsx_with_cells(
        shopee_rows(s("C-F1", price=20000, qty=2), s("C-F2", price=15000)),
        {"L2": b'<c r="L2"><f>I2*J2</f><v>40000</v></c>'}, sheet="orders")
    formula_uncached = xlsx_with_cells(
        shopee_rows(s("C-U1", price=20000), s("C-U2", price=15000), s("C-U3", price=10000)),
        {"I2": b'<c r="I2"><f>H2*0.9</f><v></v></c>', "I3": b'<c r="I3"><f>H3*0.9</f></c>',
         "I4": b'<c r="I4" t="e"><f>H4/0</f><v>#DIV/0!</v></c>'}, sheet="orders")
    shopee_repeated = xlsx_bytes(shopee_rows(s("C-R1"), s("C-R2")) + shopee_rows(s("C-R3"))[0:2], sheet="orders")
    truncated_xlsx = xlsx_bytes(shopee_rows(s("C-T1")), sheet="orders")
    headerless = csv_bytes([k(7), k(8)], delimiter=";", quote_all=True)
    ragged = (gobiz(g("C-RG1")) + b"09/05/2021,2021-09-05T03:00:00Z,C-RG2,ref,F-1,1,45.000\r\n"
              + b"09/05/2021,2021-09-05T03:00:00Z,C-RG3,ref,F-1,1,45000,45000,settlement,GoFood,GOPAY,"
                b"Warung, Bu Sri,G-CORPUS,,,0,0,0,0,0,IDR\r\n")
    nested = [u("C-N1"), u("C-N2", nilai={"jumlah": 100, "mata_uang": "SGD"}), u("C-N3", id_transaksi=["x", "y"])]
    utf16 = kobo(k(9), k(10)).decode("utf-8").encode("utf-16")
    utf16_nobom = kobo(k(11)).decode("utf-8").encode("utf-16-le")

    def write_big_line(path: Path) -> None:
        chunk = b"x;" * (1 << 19)
        with open(path, "wb") as handle:
            for _ in range(BIG_LINE_BYTES // len(chunk)):
                handle.write(chunk)

    return [
        # ---- survey/
        (Case("survey/empty.csv", "empty file (0 bytes)", "quarantined", "empty file"), b""),
        (Case("survey/kobo utf16.csv", "UTF-16 text with BOM", "loaded", "decoded as UTF-16", loaded=2), utf16),
        (Case("survey/kobo_utf16_nobom.csv", "UTF-16 text without BOM", "loaded", "decoded as UTF-16", loaded=1),
         utf16_nobom),
        (Case("survey/kobo_concatenated.csv", "two exports pasted together: repeated header row",
              "loaded", "repeated header", loaded=3), repeated),
        (Case("survey/kobo_nul.csv", "NUL bytes inside one row", "loaded", rejects={"nul_byte": 1}, loaded=2),
         nul_rows),
        (Case("survey/kobo_nik.csv", "15-digit NIK, NIK with letters", "loaded",
              rejects={"invalid_nik": 2}, loaded=1),
         kobo(k(12), k(13, nik_pemilik=NIK_15), k(14, nik_pemilik="33740155019000AB"))),
        (Case("survey/kobo_headerless.csv", "no header row: the first row is a person's answers",
              "quarantined", "unknown layout"), headerless),
        (Case("survey/kobo_truncated.xlsx", "xlsx cut short (half the bytes)", "quarantined", "unreadable xlsx"),
         xlsx_bytes([KOBO_HEADER, k(15)])[:1500]),
        (Case("survey/wave 2020-06 ..final.csv", "file name with spaces and '..'", "loaded", loaded=1),
         kobo(k(16))),
        (Case("survey/kobo_dup_submission.csv", "the same submission twice in one file", "loaded",
              rejects={"duplicate_id": 1}, loaded=2), kobo(k(17), k(18), k(17))),
        # ---- enrollment/
        (Case("enrollment/header_only.csv", "header only, no rows", "loaded", "header only", loaded=0),
         csv_bytes([ENROLL_HEADER])),
        (Case("enrollment/peserta_cp1252.csv", "cp1252 (Windows) text", "loaded", "cp1252", loaded=1), cp1252),
        (Case("enrollment/peserta_program.csv", "unknown program", "loaded", rejects={"unknown_program": 1},
              loaded=1),
         csv_bytes([ENROLL_HEADER, enrol_row(1), enrol_row(2, program_id="program_fiktif")])),
        (Case("enrollment/peserta_no_merchant.csv", "missing required column (platform_merchant_id)",
              "quarantined", "platform_merchant_id"),
         csv_bytes([[c for c in ENROLL_HEADER if c != "platform_merchant_id"]])),
        (Case("enrollment/peserta_dates.csv", "dates in 1900 and 2099", "loaded", rejects={"implausible_date": 2},
              loaded=1),
         csv_bytes([ENROLL_HEADER, enrol_row(3, platform_merchant_id="UVO-D1"),
                    enrol_row(0, tanggal_bergabung="01/01/1900", platform_merchant_id="UVO-D2"),
                    enrol_row(1, tanggal_bergabung="2099-12-31", platform_merchant_id="UVO-D3")])),
        (Case("enrollment/peserta_dup.csv", "the same enrollment twice in one file", "loaded",
              rejects={"duplicate_id": 1}, loaded=1),
         csv_bytes([ENROLL_HEADER, enrol_row(2, platform_merchant_id="UVO-DUP"),
                    enrol_row(2, platform_merchant_id="UVO-DUP", tanggal_bergabung="02/03/2021")])),
        (Case("enrollment/peserta_dup_header.csv", "a column named twice in the header", "quarantined",
              "more than once"),
         csv_bytes([[*ENROLL_HEADER, "program_id"], [*enrol_row(3), "goshop"]])),
        # ---- gofood/
        (Case("gofood/garbage.csv", "binary garbage named .csv", "quarantined", "not a text file"),
         bytes((i * 7919 + 13) % 256 for i in range(20000))),
        (Case("gofood/laporan.xlsx.csv", "an xlsx workbook renamed to .csv", "quarantined", "zip archive"),
         xlsx_bytes([GOBIZ_HEADER])),
        (Case("gofood/one_line_100mb.csv", "a 100 MB single line", "quarantined", "no line break"), write_big_line),
        (Case("gofood/negative.csv", "negative amounts (-45000, (5.000), -Rp 5.000, 5.000-)", "loaded",
              rejects={"negative_amount": 4}, loaded=1),
         gobiz(g("C-N0"), g("C-N1", "-45000"), g("C-N2", "(5.000)"), g("C-N3", "-Rp 5.000"), g("C-N4", "5.000-"))),
        (Case("gofood/not_numbers.csv", "non-numeric amounts, a formula typed as text", "loaded",
              rejects={"invalid_amount": 3}, loaded=1),
         gobiz(g("C-X0"), g("C-X1", "empat puluh ribu"), g("C-X2", "=SUM(G2:G3)"), g("C-X3", "#VALUE!"))),
        (Case("gofood/dup_ids.csv", "duplicate Transaction IDs inside one file", "loaded",
              rejects={"duplicate_id": 2}, loaded=2),
         gobiz(g("C-D1"), g("C-D2"), g("C-D1"), g("C-D2", "99.000"))),
        (Case("gofood/currency.csv", "unknown currency (USD in a rupiah report)", "loaded",
              rejects={"unsupported_currency": 1}, loaded=1),
         gobiz(g("C-C1"), [*g("C-C2")[:-1], "USD"])),
        (Case("gofood/dates.csv", "dates in 1900 and 2099", "loaded", rejects={"implausible_date": 2}, loaded=1),
         gobiz(g("C-T1"), g("C-T2", time="1900-01-01T03:00:00Z"), g("C-T3", time="2099-01-01T03:00:00Z"))),
        (Case("gofood/ragged.csv", "a line cut short and a line with an unquoted comma", "loaded",
              rejects={"wrong_field_count": 2}, loaded=1), ragged),
        (Case("gofood/unclosed_quote.csv", "a quote that never closes", "quarantined", "unclosed quote"),
         gobiz(g("C-Q1")) + b'09/05/2021,2021-09-05T03:00:00Z,"C-Q2,ref\r\n' + gobiz(g("C-Q3"))[300:]),
        (Case("gofood/laporan transaksi Mei 2021.csv", "file name with spaces", "loaded", loaded=1),
         gobiz(g("C-S1"))),
        (Case("gofood/laporan...2021.csv", "file name with '...'", "loaded", loaded=1), gobiz(g("C-S2"))),
        (Case("gofood/report.xlsx", "wrong file type for the source", "quarantined", "takes .csv"),
         xlsx_bytes([GOBIZ_HEADER, g("C-W1")])),
        (Case("gofood/link_outside.csv", "symlink to a file outside the landing zone", "quarantined",
              "symbolic link", fs_only=True), None),
        (Case("gofood/pipe.csv", "a named pipe (reading it would hang)", "quarantined", "not a regular file",
              fs_only=True), None),
        (Case("gofood/bad-name-\udcff.csv", "file name that is not valid UTF-8", "quarantined", "UTF-8",
              fs_only=True, ledger_path="gofood/bad-name-\\xff.csv"), gobiz(g("C-BADNAME"))),
        # ---- shopee/
        (Case(f"shopee/{CORPUS_SHOP}/Order.all.20210901_20210930.xlsx", "truncated xlsx", "quarantined",
              "unreadable xlsx"), truncated_xlsx[: len(truncated_xlsx) // 2]),
        (Case(f"shopee/{CORPUS_SHOP}/Order.all.20211001_20211031.xlsx", "CSV bytes named .xlsx", "quarantined",
              "unreadable xlsx"), csv_bytes(shopee_rows(s("C-X")))),
        (Case(f"shopee/{CORPUS_SHOP}/Order.all.20211101_20211130.xlsx", "formula cells with stored values",
              "loaded", loaded=2), formula_cached),
        (Case(f"shopee/{CORPUS_SHOP}/Order.all.20211201_20211231.xlsx",
              "formulas never calculated, an Excel error cell", "loaded",
              rejects={"formula_without_value": 2, "formula_error": 1}, loaded=0), formula_uncached),
        (Case(f"shopee/{CORPUS_SHOP}/Order.all.20220101_20220131.xlsx", "repeated header row in a workbook",
              "loaded", "repeated header", loaded=3), shopee_repeated),
        (Case("shopee/Order.all.20210101_20210131.csv", "export outside a shop folder", "quarantined",
              "shopee/<shop_id>/"), csv_bytes(shopee_rows(s("C-O1")))),
        (Case(f"shopee/{CORPUS_SHOP}/Order.all.ñandú 東京.csv", "unicode file name", "loaded", loaded=1),
         csv_bytes(shopee_rows(s("C-UNI")))),
        (Case("shopee/888", "symlinked shop folder pointing outside", "quarantined", "symbolic link",
              fs_only=True), None),
        (Case(f"shopee/{CORPUS_SHOP}/Order.all.qty.csv", "non-numeric and negative quantities", "loaded",
              rejects={"invalid_number": 1, "negative_number": 1}, loaded=1),
         csv_bytes(shopee_rows(s("C-Q1"), s("C-Q2", qty="dua"), s("C-Q3", qty=-1)))),
        # ---- uvo/
        (Case("uvo/bank_statement.csv", "unknown layout (a bank statement)", "quarantined", "unknown layout"),
         csv_bytes([["Tanggal", "Keterangan", "Debet", "Kredit", "Saldo"], ["01/05", "TRSF", "", "100.000", "1"]])),
        (Case("uvo/currency.json", "unknown currencies (XYZ, BTC) and a month without a rate", "loaded",
              rejects={"unknown_currency": 2, "missing_fx_rate": 1}, loaded=1),
         json.dumps([u("C-K1"), u("C-K2", mata_uang="XYZ"), u("C-K3", mata_uang="btc"),
                     u("C-K4", tanggal_transaksi="2019-01-05 10:00")]).encode()),
        (Case("uvo/nested.json", "nested objects and arrays as values", "loaded",
              rejects={"nested_value": 2}, loaded=1), json.dumps(nested).encode()),
        (Case("uvo/deep.json", "JSON nested 100 000 levels deep", "quarantined", "nested too deeply"),
         b"[" * 100_000 + b"]" * 100_000),
        (Case("uvo/cut.json", "JSON cut short", "quarantined", "unreadable JSON"),
         json.dumps({"transaksi": [u("C-J1"), u("C-J2")]}).encode()[:-40]),
        (Case("uvo/scalar.json", "JSON that is not a list of records", "quarantined", "must be an array"),
         b'{"data": 42}'),
        (Case("uvo/dup.csv", "duplicate id_transaksi inside one file", "loaded", rejects={"duplicate_id": 1},
              loaded=2), uvo_csv(u("C-V1"), u("C-V2"), u("C-V1", nilai="200"), delimiter=";")),
        (Case("uvo/dates.csv", "dates in 1900 and 2099, a date that is not one", "loaded",
              rejects={"implausible_date": 2, "invalid_date": 1}, loaded=1),
         uvo_csv(u("C-DT1"), u("C-DT2", tanggal_transaksi="1900-01-01 10:00"),
                 u("C-DT3", tanggal_transaksi="2099-06-01"), u("C-DT4", tanggal_transaksi="kemarin"))),
        (Case("uvo/ekspor..2021 (salinan).csv", "file name with '..', spaces and brackets", "loaded", loaded=1),
         uvo_csv(u("C-E1"))),
        # ---- mbizmarket/, training/, lapak_ganjar/
        (Case("mbizmarket/pesanan_korpus.csv", "Total Pesanan the parts do not make, an unknown status",
              "loaded", rejects={"inconsistent_total": 1, "unknown_status": 1}, loaded=2),
         csv_bytes([MBIZ_FIELDS, m("C-M1"), m("C-M2", status="Diterima"), m("C-M3", total="Rp 1.000.000"),
                    m("C-M4", status="Lunas")], delimiter=";")),
        (Case("mbizmarket/tanpa_subtotal.csv", "no Subtotal column: Total Pesanan is never turnover",
              "quarantined", "missing required column(s): Subtotal"),
         csv_bytes([[c for c in MBIZ_FIELDS if c != "Subtotal"], [c for i, c in enumerate(m("C-M5")) if i != 6]])),
        (Case("training/pendaftaran_korpus.csv", "unknown activity, a 15-digit NIK, a duplicate registration",
              "loaded", rejects={"unknown_activity": 1, "invalid_nik": 1}, loaded=3),
         csv_bytes([FORMS_FIELDS, f(0), f(0, attendance="Tidak Hadir"), f(1, attendance=""),
                    f(2, activity="kelas-korpus"), f(3, nik=NIK_15)])),
        (Case("training/formulir.xlsx", "CSV bytes named .xlsx", "quarantined", "unreadable xlsx"),
         csv_bytes([FORMS_FIELDS, f(0)])),
        (Case("lapak_ganjar/log_korpus.csv", "the same UMKM twice a day, a 2031 date, no NIK nor NIB", "loaded",
              rejects={"implausible_date": 1, "missing_identifier": 1}, loaded=2),
         csv_bytes([LAPAK_FIELDS, lg(0), lg(0), lg(1, day="05/09/2031"), lg(2, nik="")])),
        (Case("lapak_ganjar/log.json", "wrong file type for the source", "quarantined", "takes .csv"), b"[]"),
        # ---- outside the source folders
        (Case("catatan/notes.csv", "a file outside the source folders", "quarantined", "source folder"),
         b"a,b\n1,2\n"),
    ]


def hostile_cases() -> list[tuple[Case, bytes]]:
    """The files of issue 16 that each took a whole run down (tests/hostile_*.py build them).

    Kept out of the corpus run that the reference scripts replay (benchmarks, not hardened):
    tests/test_hostile_zone.py runs `umkm run` over them beside the good files."""
    from tests import hostile_text, hostile_values, hostile_xlsx

    def built(path: str, what: str, builder, status: str, reason: str = "", **expected) -> tuple[Case, bytes]:
        data, info = _build(builder)
        info = {**info, **expected}
        return Case(path, what, status, reason, rejects=info.get("rejects", {}), loaded=info.get("loaded")), data

    return [
        built("shopee/9001/Order.all.20210801_20210831.xlsx", "xlsx with a cell at XFD1048576",
              hostile_xlsx.make_last_cell_xlsx, "quarantined", "XFD1048576"),
        built("shopee/9002/Order.all.20210801_20210831.xlsx", "xlsx whose sheet inflates to 2 GB",
              hostile_xlsx.make_xlsx_bomb, "quarantined", "XLSX_MAX_MEMBER_BYTES"),
        built("uvo/huge_digits.json", "amounts of thousands of digits", hostile_values.make_huge_digits_json, "loaded"),
        built("uvo/surrogate.json", "lone surrogate escapes", hostile_values.make_lone_surrogate_json, "loaded",
              "lone UTF-16 surrogate"),
        built("uvo/underflow.json", "amounts that underflow to 0 (1e-400)", hostile_values.make_underflow_json,
              "loaded"),
        built("enrollment/shifted.csv", "columns shifted by one: a NIK in program_id",
              hostile_values.make_shifted_enrollment, "loaded"),
        built("gofood/pasted.csv", "two exports pasted, a second BOM and header, one stray byte",
              hostile_text.make_pasted_exports_csv, "loaded", "not UTF-8", rejects={"invalid_encoding": 1}, loaded=5),
        built("gofood/empty_required.csv", "required columns empty on every row",
              hostile_text.make_empty_required_gobiz, "quarantined", "empty on every row"),
    ]


_BUILT: dict = {}


def _build(builder) -> tuple[bytes, dict]:
    """A builder's file as bytes, with what it says of it (built once: `_files` runs often)."""
    if builder not in _BUILT:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "file"
            info = builder(path)
            _BUILT[builder] = (path.read_bytes(), info if isinstance(info, dict) else {})
    return _BUILT[builder]


def cases() -> list[Case]:
    return [case for case, _ in _files()]


def write_corpus(landing: Path, outside: Path, mtime: int = 1_640_000_000) -> list[Case]:
    """Write every corpus file (mtimes one second apart) and the folder outside the zone."""
    outside.mkdir(parents=True, exist_ok=True)
    secret = gobiz(g(OUTSIDE_MARKER, merchant="G-A"))
    (outside / "secret.csv").write_bytes(secret)
    (outside / "shop").mkdir(exist_ok=True)
    (outside / "shop" / "Order.all.20210101_20210131.csv").write_bytes(csv_bytes(shopee_rows(s(OUTSIDE_MARKER))))
    written = []
    for offset, (case, content) in enumerate(_files()):
        path = landing / case.path
        path.parent.mkdir(parents=True, exist_ok=True)
        if case.path == "gofood/link_outside.csv":
            os.symlink(outside / "secret.csv", path)
        elif case.path == "shopee/888":
            os.symlink(outside / "shop", path, target_is_directory=True)
        elif case.path == "gofood/pipe.csv":
            os.mkfifo(path)
        elif callable(content):
            content(path)
        else:
            path.write_bytes(content)
        os.utime(path, (mtime + offset, mtime + offset), follow_symlinks=False)
        written.append(case)
    return written


def corpus_bytes(case: Case) -> bytes | None:
    """The bytes of a parse-level case (None for file-system cases and the 100 MB line)."""
    for candidate, content in _files():
        if candidate == case:
            return content if isinstance(content, bytes) and not case.fs_only else None
    raise KeyError(case.path)
