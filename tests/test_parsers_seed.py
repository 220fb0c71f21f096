"""The parsers of the rest of the seed (data contract 2.6-2.8): Mbizmarket orders, training
registrations (Google Forms) and the Lapak Ganjar log, on every layout the contract names."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from ingest.readers import QuarantineError
from ingest.sources import lapak_ganjar, mbizmarket, training
from ingest.sources.training import parse_forms_timestamp
from ingest.values import CellError
from tests.filemakers import csv_bytes, xlsx_bytes

NIK_1, NIK_2 = "3374011203850001", "3309015506900002"

# ---------------------------------------------------------------- Mbizmarket

MBIZ_HEADER = ["No. Pesanan", "Tanggal Pesanan", "ID Vendor", "Nama Vendor", "Instansi Pembeli", "Satuan Kerja",
               "Subtotal", "PPN", "Ongkos Kirim", "Total Pesanan", "Status Pesanan", "Nama PIC Pembeli",
               "Email PIC", "No. HP PIC"]


def mbiz_row(order, when, subtotal, vat, shipping, total, status="Selesai", vendor="'MBZ-000123"):
    return [order, when, vendor, "Keripik Barokah", "Dinas Pendidikan Kota Semarang", "SD Negeri 1",
            subtotal, vat, shipping, total, status, "Ibu Ratna", "ratna@semarangkota.go.id", "081298765432"]


def test_mbizmarket_semicolon_csv_rupiah_text_and_statuses():
    rows = [MBIZ_HEADER,
            mbiz_row("PO-1", "10/09/2021 14:05", "Rp 12.500.000", "Rp 1.250.000", "Rp 50.000", "Rp 13.800.000"),
            mbiz_row("PO-2", "2021-09-11 10:00", "12.500.000,00", "1.250.000,00", "0", "13.750.000,00", "dikirim"),
            mbiz_row("PO-3", "2021-09-12 08:00", "1000000", "100000", "0", "1100000", "Hilang"),
            mbiz_row("PO-4", "2021-09-12 08:00", "1000000", "110000", "0", "1100000"),     # PPN added wrong
            mbiz_row("PO-5", "2021-09-12 08:00", "1000000", "100000", "0", "1100000,50"),  # within Rp 1
            mbiz_row("PO-1", "2021-09-13 08:00", "1", "0", "0", "1")]
    result = mbizmarket.parse(csv_bytes(rows, delimiter=";", bom=True), "mbizmarket/pesanan_2021-09.csv")
    loaded = result.rows.set_index("order_id")
    assert list(loaded.index) == ["PO-1", "PO-2", "PO-5"]
    first = loaded.loc["PO-1"]
    assert first.vendor_id == "MBZ-000123"                      # the apostrophe is stripped
    assert first.subtotal == Decimal("12500000.00") and first.order_total == Decimal("13800000.00")
    assert first.order_ts_utc == datetime(2021, 9, 10, 7, 5) and first.order_date_wib == date(2021, 9, 10)
    assert loaded.loc["PO-2"].order_status == "Dikirim"         # the status as Mbizmarket spells it
    assert dict(zip(result.rejects.row_number, result.rejects.reason_code)) == {
        3: "unknown_status", 4: "inconsistent_total", 6: "duplicate_id"}
    assert result.rows_read == result.rows_loaded + result.rows_rejected


def test_mbizmarket_xlsx_date_cells_numbers_and_without_optional_amounts():
    rows = [MBIZ_HEADER, mbiz_row("PO-7", datetime(2022, 3, 1, 9, 30), 2_000_000, 220_000, 30_000, 2_250_000,
                                  "Diterima", vendor="MBZ-9")]
    result = mbizmarket.parse(xlsx_bytes(rows), "mbizmarket/pesanan.xlsx")
    assert result.rows_loaded == 1 and result.rows.iloc[0].order_ts_utc == datetime(2022, 3, 1, 2, 30)
    lean = [["No. Pesanan", "Tanggal Pesanan", "ID Vendor", "Subtotal", "Status Pesanan"],
            ["PO-8", "01/02/2022 09:00", "MBZ-9", "Rp 5.000", "Selesai"]]
    result = mbizmarket.parse(csv_bytes(lean), "mbizmarket/lean.csv")
    assert result.rows_loaded == 1 and result.rows.iloc[0].order_total is None


def test_mbizmarket_missing_subtotal_quarantines_never_total_as_turnover():
    header = [name for name in MBIZ_HEADER if name != "Subtotal"]
    with pytest.raises(QuarantineError, match="Subtotal"):
        mbizmarket.parse(csv_bytes([header, ["PO-1"] * len(header)]), "mbizmarket/x.csv")


# ---------------------------------------------------------------- training (Google Forms)

FORMS_HEADER = ["Timestamp", "Kode Kegiatan", "Nama Lengkap", "NIK", "Nomor WhatsApp", "Nama Usaha",
                "NIB (jika ada)", "Kabupaten/Kota", "Bidang Usaha", "Kehadiran"]


def forms_row(when, activity="mbiz-pbj-2021-08", nik=NIK_1, region="Kota Semarang", attendance="Hadir", **extra):
    return [when, activity, "Siti Aminah", nik, "0812-3456-7890", "Keripik Barokah", extra.get("nib", ""),
            region, extra.get("sector", "Makanan dan Minuman"), attendance]


@pytest.mark.parametrize("text, utc", [
    ("2021/08/10 9:03:22 AM GMT+7", datetime(2021, 8, 10, 2, 3, 22)),
    ("2021/08/10 12:03:22 AM GMT+7", datetime(2021, 8, 9, 17, 3, 22)),   # midnight is 12 AM
    ("2021/08/10 12:03:22 PM GMT+7", datetime(2021, 8, 10, 5, 3, 22)),   # noon is 12 PM
    ("2021/08/10 9:03:22 PM GMT+8", datetime(2021, 8, 10, 13, 3, 22)),   # a form set to WITA
    ("2021-08-10 09:03:22", datetime(2021, 8, 10, 2, 3, 22)),            # a sheet's text: WIB
    (datetime(2021, 8, 10, 9, 3, 22), datetime(2021, 8, 10, 2, 3, 22)),  # an xlsx date cell: WIB
])
def test_forms_timestamps(text, utc):
    assert parse_forms_timestamp(text) == utc


@pytest.mark.parametrize("text", ["2021/08/10 13:03:22 PM GMT+7", "2021/02/30 9:03:22 AM GMT+7"])
def test_forms_timestamps_that_are_no_time(text):
    with pytest.raises(CellError):
        parse_forms_timestamp(text)


def test_training_forms_csv_attendance_duplicates_and_a_question_added_mid_way():
    header = [*FORMS_HEADER[:-1], "Kehadiran ", "Apakah usaha Anda sudah memiliki akun marketplace? "]
    rows = [header,
            forms_row("2021/08/02 9:03:22 AM GMT+7", attendance="Tidak Hadir") + [""],
            forms_row("2021/08/05 7:10:00 PM GMT+7", region="33.74", attendance="hadir") + ["Sudah, Shopee"],
            forms_row("2021/08/06 8:00:00 AM GMT+7", nik=NIK_2, region="Kab. Boyolali", attendance="") + ["Belum"],
            forms_row("2021/08/06 8:00:00 AM GMT+7", activity="kelas-rahasia", nik=NIK_2) + [""],
            forms_row("2021/08/06 8:00:00 AM GMT+7", nik="12345") + [""],
            forms_row("2021/08/06 8:00:00 AM GMT+7", region="Semarang") + [""],
            forms_row("2021/08/06 8:00:00 AM GMT+7", attendance="Izin") + [""]]
    result = training.parse(csv_bytes(rows), "training/pendaftaran_mbiz_pbj.csv")
    loaded = result.rows
    assert list(loaded.attendance) == ["Tidak Hadir", "Hadir", None]
    assert list(loaded.attended) == [False, True, False]
    assert list(loaded.nik) == [NIK_1, NIK_1, NIK_2]            # registered twice: both rows load
    assert list(loaded.region_code) == ["3374", "3374", "3309"]
    assert loaded.iloc[0].registered_date_wib == date(2021, 8, 2)
    assert '"Sudah, Shopee"' in loaded.iloc[1].extra_columns
    assert list(result.rejects.reason_code) == ["unknown_activity", "invalid_nik", "ambiguous_region",
                                                "invalid_attendance"]


def test_training_xlsx_date_cells_codes_and_no_attendance_column():
    rows = [FORMS_HEADER[:-1],
            [datetime(2021, 5, 3, 10, 0), "bimtek-gofood-2021-05", "x", None, None, "Warung", "9120000000001",
             3374, "jasa"]]
    result = training.parse(xlsx_bytes(rows), "training/bimtek.xlsx")
    row = result.rows.iloc[0]
    assert (row.nik, row.nib, row.region_code, row.sector_code) == (None, "9120000000001", "3374", "services")
    assert row.registered_ts_utc == datetime(2021, 5, 3, 3, 0) and not row.attended
    assert any("no Kehadiran column" in note for note in result.notes)


def test_training_without_activity_column_quarantines():
    with pytest.raises(QuarantineError, match="Kode Kegiatan"):
        training.parse(csv_bytes([["Timestamp", "Nama Usaha", "NIK"], ["2021/08/02 9:03:22 AM GMT+7", "A", NIK_1]]),
                       "training/x.csv")


# ---------------------------------------------------------------- Lapak Ganjar

LAPAK_HEADER = ["Tanggal Tayang", "NIK Pemilik", "NIB", "Nama Usaha", "Kabupaten/Kota", "Bidang Usaha", "Produk",
                "Tautan Unggahan"]


def test_lapak_ganjar_csv_same_umkm_twice_a_day_and_bad_dates():
    post = "https://www.instagram.com/p/CRx1/"
    rows = [LAPAK_HEADER,
            ["05/09/2021", f"'{NIK_1}", "", "Keripik Barokah", "Kota Semarang", "kuliner", "Keripik tempe", post],
            ["05/09/2021", NIK_1, "", "Keripik Barokah", "Kota Semarang", "kuliner", "Keripik tempe", post],
            ["06/09/2021", "", "9120001234567", "Batik Sekar", "", "", "Batik tulis", ""],
            ["05/09/2031", NIK_2, "", "Toko", "", "", "", ""],
            ["05/09/2021", "", "", "Toko", "", "", "", ""]]
    result = lapak_ganjar.parse(csv_bytes(rows), "lapak_ganjar/log_2021-09.csv")
    assert list(result.rows.shown_date) == [date(2021, 9, 5)] * 2 + [date(2021, 9, 6)]   # one promotion: marts
    assert list(result.rows.region_code) == ["3374", "3374", None]
    assert list(result.rows.sector_code) == ["food_beverage", "food_beverage", None]
    assert list(result.rejects.reason_code) == ["implausible_date", "missing_identifier"]


def test_lapak_ganjar_xlsx_date_cells():
    rows = [LAPAK_HEADER, [datetime(2021, 9, 5), NIK_1, None, "Keripik", "Kab. Boyolali", None, "Keripik", None]]
    result = lapak_ganjar.parse(xlsx_bytes(rows), "lapak_ganjar/log.xlsx")
    assert result.rows.iloc[0].shown_date == date(2021, 9, 5) and result.rows.iloc[0].region_code == "3309"


def test_lapak_ganjar_without_any_identifier_column_quarantines():
    with pytest.raises(QuarantineError, match="NIK Pemilik / NIB"):
        lapak_ganjar.parse(csv_bytes([["Tanggal Tayang", "Nama Usaha"], ["05/09/2021", "A"]]), "lapak_ganjar/x.csv")
