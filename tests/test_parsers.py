"""Every source parser on every layout the data contract names, with the tricky values."""

import json
from datetime import date, datetime
from decimal import Decimal

import pytest

from ingest.readers import QuarantineError
from ingest.sources import enrollment, gofood, shopee, survey, uvo
from tests.filemakers import csv_bytes, xlsx_bytes

NIK_1, NIK_2, NIK_15 = "3374011203850001", "3309015506900002", "337401120385000"

# ---------------------------------------------------------------- survey (KoboToolbox)

KOBO_HEADER = ["start", "end", "periode_survei", "nik_pemilik", "nama_pemilik", "no_hp", "nib",
               "nama_usaha", "kode_kabkota", "kabupaten_kota", "sektor_usaha", "skala_usaha",
               "terdampak_covid", "kendala_utama", "kendala", "kendala/pemasaran",
               "kendala/permodalan", "omzet_sebelum", "omzet_sesudah", "tenaga_kerja_sebelum",
               "tenaga_kerja_sesudah", "platform_digital", "platform_digital/gofood",
               "platform_digital/shopee", "_id", "_notes", "_status", "_submission_time",
               "_submitted_by", "_tags", "_uuid", "_validation_status", "_index"]


def kobo_row(**values):
    base = {"start": "2021-03-10T09:00:00.000+07:00", "end": "2021-03-10T09:12:00.000+07:00",
            "periode_survei": "2021-03", "nik_pemilik": f"'{NIK_1}", "nama_pemilik": "Siti Aminah",
            "no_hp": "081234567890", "nib": "", "nama_usaha": "Keripik Tempe Barokah",
            "kode_kabkota": "33.74", "kabupaten_kota": "", "sektor_usaha": "makanan_minuman",
            "skala_usaha": "mikro", "terdampak_covid": "ya", "kendala_utama": "pemasaran",
            "kendala": "pemasaran permodalan", "kendala/pemasaran": "1", "kendala/permodalan": "1",
            "omzet_sebelum": "Rp 15.000.000", "omzet_sesudah": "4,5 juta",
            "tenaga_kerja_sebelum": "4", "tenaga_kerja_sesudah": "2",
            "platform_digital": "gofood shopee", "platform_digital/gofood": "1",
            "platform_digital/shopee": "1", "_id": "101", "_notes": "", "_status": "submitted_via_web",
            "_submission_time": "2021-03-10T17:20:00", "_submitted_by": "enum01", "_tags": "",
            "_uuid": "a1b2", "_validation_status": "", "_index": "1"}
    base.update(values)
    return [base[column] for column in KOBO_HEADER]


def test_survey_kobo_csv():
    rows = [KOBO_HEADER,
            kobo_row(),
            kobo_row(nik_pemilik=NIK_2, kode_kabkota="", kabupaten_kota="Kab. Boyolali",
                     terdampak_covid="tidak", kendala_utama="", kendala="", omzet_sebelum="169.000",
                     _id="102", _submission_time="2021-03-11T02:00:00"),
            kobo_row(nik_pemilik=NIK_15, _id="103"),
            kobo_row(nik_pemilik=NIK_2, kode_kabkota="", kabupaten_kota="Semarang", _id="104"),
            kobo_row(sektor_usaha="tambang", _id="105")]
    data = csv_bytes(rows, delimiter=";", quote_all=True, bom=True)
    result = survey.parse(data, "survey/kobo_2021-03.csv")
    assert result.rows_read == 5 and result.rows_loaded == 2 and result.rows_rejected == 3
    first = result.rows.iloc[0]
    assert first.nik == NIK_1 and first.region_code == "3374" and first.sector_code == "food_beverage"
    assert first.turnover_before_idr == Decimal("15000000") and first.turnover_after_idr == Decimal("4500000")
    assert first.is_impacted and first.primary_constraint_code == "marketing"
    assert first.constraint_codes == "capital marketing" and first.digital_platforms == "gofood shopee"
    assert first.started_at_utc == datetime(2021, 3, 10, 2, 0)
    # _submission_time is UTC: 17:20Z is already 11 March in Semarang
    assert first.submitted_at_utc == datetime(2021, 3, 10, 17, 20)
    assert first.submitted_date_wib == date(2021, 3, 11)
    second = result.rows.iloc[1]
    assert second.region_code == "3309" and not second.is_impacted
    assert second.turnover_before_idr == Decimal("169000")
    reasons = dict(zip(result.rejects.row_number, result.rejects.reason_code))
    assert reasons == {3: "invalid_nik", 4: "ambiguous_region", 5: "unknown_sector"}
    assert json.loads(result.rejects.row_text.iloc[0])["_id"] == "103"


def test_survey_kobo_xlsx_with_typed_cells():
    rows = [KOBO_HEADER, kobo_row()]
    row = rows[1]
    row[KOBO_HEADER.index("omzet_sebelum")] = 15000000         # number cell
    row[KOBO_HEADER.index("_submission_time")] = datetime(2021, 3, 10, 17, 20)  # date cell
    row[KOBO_HEADER.index("nik_pemilik")] = NIK_1
    result = survey.parse(xlsx_bytes(rows), "survey/kobo.xlsx")
    assert result.rows_loaded == 1, result.rejects.to_dict("records")
    assert result.rows.iloc[0].turnover_before_idr == Decimal("15000000")
    assert result.rows.iloc[0].submitted_date_wib == date(2021, 3, 11)


def test_survey_select_multiple_from_choice_columns_only():
    header = [c for c in KOBO_HEADER if c not in ("kendala", "platform_digital")]
    row = [v for c, v in zip(KOBO_HEADER, kobo_row(**{"kendala/permodalan": "0"})) if c in header]
    result = survey.parse(csv_bytes([header, row], delimiter=";"), "survey/x.csv")
    assert result.rows.iloc[0].constraint_codes == "marketing"


def test_survey_missing_required_column_quarantines():
    header = [c for c in KOBO_HEADER if c != "terdampak_covid"]
    with pytest.raises(QuarantineError, match="terdampak_covid"):
        survey.parse(csv_bytes([header, header]), "survey/x.csv")


# ---------------------------------------------------------------- enrollment

ENROLL_HEADER = ["program_id", "nik_pemilik", "nib", "nama_usaha", "kode_kabkota", "kabupaten_kota",
                 "sektor_usaha", "platform_merchant_id", "tanggal_bergabung"]


def test_enrollment_csv():
    rows = [ENROLL_HEADER,
            ["goshop", f"'{NIK_1}", "", "Keripik Tempe Barokah", "3374", "", "Kuliner", "'G100200300", "05/03/2021"],
            ["uvo_2021", "", "'9120001234567", "Batik Sekar", "", "kota surakarta", "fashion", "UVO-0007",
             "2021-04-01"],
            ["promo_x", NIK_2, "", "Toko", "3309", "", "jasa", "G1", "01/04/2021"],
            ["goshop", "", "", "Toko", "3309", "", "jasa", "G2", "01/04/2021"]]
    result = enrollment.parse(csv_bytes(rows), "enrollment/peserta.csv")
    assert result.rows_loaded == 2
    first, second = result.rows.iloc[0], result.rows.iloc[1]
    assert first.platform_merchant_id == "G100200300" and first.joined_date == date(2021, 3, 5)
    assert first.sector_code == "food_beverage" and first.region_code == "3374"
    assert second.nik is None and second.nib == "9120001234567" and second.region_code == "3372"
    assert list(result.rejects.reason_code) == ["unknown_program", "missing_identifier"]


def test_enrollment_xlsx_date_cells_and_excel_serials():
    rows = [ENROLL_HEADER,
            ["goshop", NIK_1, None, "A", 3374, None, "kuliner", "G1", datetime(2021, 3, 5)],
            ["goshop", NIK_2, None, "B", 3309, None, "kuliner", "G2", 44260]]  # serial 44260 = 2021-03-05
    result = enrollment.parse(xlsx_bytes(rows), "enrollment/peserta.xlsx")
    assert result.rows_loaded == 2, result.rejects.to_dict("records")
    assert list(result.rows.joined_date) == [date(2021, 3, 5), date(2021, 3, 5)]
    assert list(result.rows.region_code) == ["3374", "3309"]


# ---------------------------------------------------------------- GoBiz

GOBIZ_HEADER = ["Transaction Date", "Transaction time", "Transaction ID", "Transaction Reference",
                "Order ID", "Stan", "Amount", "Nett Amount", "Transaction Status", "Feature",
                "Payment Type", "Merchant name", "Merchant ID", "Promo Type", "Promo Name",
                "Gopay promo", "GoFood discount", "Voucher commission", "Tax", "Witholding tax",
                "Currency"]


def gobiz_row(tid, time, amount, status="settlement", feature="GoFood", merchant="'G100200300"):
    return ["09/05/2021", time, tid, "ref", "F-1", "1", amount, amount, status, feature, "GOPAY",
            "Warung Bu Sri", merchant, "", "", "0", "0", "0", "0", "0", "IDR"]


def test_gobiz_csv():
    rows = [GOBIZ_HEADER,
            gobiz_row("'F-852457710", "2021-09-05T17:30:00.000Z", "1,250,000"),
            gobiz_row("F-2", "2021-09-05T03:00:00Z", "45000", status="cancel", feature="GoShop"),
            gobiz_row("F-3", "2021-09-05T03:00:00Z", "-45000"),
            gobiz_row("F-4", "yesterday", "45000")]
    result = gofood.parse(csv_bytes(rows, bom=True), "gofood/report_2021-09-05.csv")
    assert result.rows_loaded == 2
    first = result.rows.iloc[0]
    assert first.transaction_id == "F-852457710" and first.merchant_id == "G100200300"
    assert first.amount == Decimal("1250000")
    assert first.transaction_date == date(2021, 9, 5)          # as printed, m/d/Y
    assert first.transaction_date_wib == date(2021, 9, 6)      # 17:30Z is the next WIB day
    assert list(result.rejects.reason_code) == ["negative_amount", "invalid_date"]


def test_a_parse_result_travels_from_a_worker_compact_and_whole():
    """Parse workers send their results back pickled: the Arrow columns go as IPC streams, so a
    column that is a slice of a larger parsed array (`RowBuilder.prepare`) sends only its own values."""
    import pickle

    rows = [GOBIZ_HEADER, *(gobiz_row(f"F-{i}", "2021-09-05T03:00:00Z", f"{i},500") for i in range(2000))]
    for bad in ([], [gobiz_row("F-bad", "2021-09-05T03:00:00Z", "-45000")]):
        data = csv_bytes(rows + bad)
        result = gofood.parse(data, "gofood/report_2021-09-05.csv")
        assert result.rows_rejected == len(bad)
        _ = result.rejects   # a cached DataFrame does not travel
        travelled = pickle.loads(pickle.dumps(result))
        assert travelled.table.equals(result.table) and travelled.table.schema == result.table.schema
        assert travelled.reject_table.equals(result.reject_table)
        assert (travelled.rows_read, travelled.notes) == (result.rows_read, result.notes)
        assert len(pickle.dumps(result)) < 1.5 * result.table.nbytes + 10_000


def test_gobiz_missing_amount_quarantines():
    header = [c for c in GOBIZ_HEADER if c != "Amount"]
    with pytest.raises(QuarantineError, match="Amount"):
        gofood.parse(csv_bytes([header]), "gofood/x.csv")


# ---------------------------------------------------------------- Shopee

SHOPEE_NEW = ["No. Pesanan", "Status Pesanan", "Waktu Pesanan Dibuat", "Waktu Pesanan Selesai",
              "Nama Produk", "Nomor Referensi SKU", "Nama Variasi", "Harga Awal",
              "Harga Setelah Diskon", "Jumlah", "Returned quantity", "Total Harga Produk",
              "Total Pembayaran", "Kota/Kabupaten", "Provinsi", "Username (Pembeli)",
              "Nama Penerima", "No. Telepon", "Alamat Pengiriman", "Catatan dari Pembeli"]
SHOPEE_OLD = ["No. Pesanan", "Status Pesanan", "Waktu Pesanan Dibuat", "Waktu Pesanan Selesai",
              "Nama Produk", "Nomor Referensi SKU", "Nama Variasi", "Harga Setelah Diskon", "Jumlah",
              "Total Harga Produk", "Dibayar Pembeli", "Kota/Kabupaten", "Provinsi",
              "Username (Pembeli)", "Nama Penerima", "No. Telepon", "Alamat Pengiriman"]


def test_shopee_new_layout_xlsx():
    buyer = ["KOTA SEMARANG", "JAWA TENGAH", "budi88", "Budi Santoso", "6281234", "Jl. Pemuda 1"]
    rows = [SHOPEE_NEW,
            ["2109150001ABC", "Selesai", "2021-09-15 23:10", "2021-09-18 10:00", "Batik Tulis",
             "BTK-01", "Merah,L", 200000, "169.000", 2, 1, 338000, "507.000", *buyer, ""],
            ["2109150001ABC", "Selesai", "2021-09-15 23:10", "2021-09-18 10:00", "Syal",
             "SYL-01", "", 50000, 50000, 1, 0, 50000, "507.000", *buyer, "cepat ya"],
            ["2109150002XYZ", "Selesai", "2021-09-15 10:00", "", "Syal", "SYL-01", "", 50000, 50000,
             1, 3, 50000, 50000, *buyer, ""]]
    result = shopee.parse(xlsx_bytes(rows, sheet="orders"), "shopee/123456/Order.all.20210901_20210930.xlsx")
    assert result.rows_loaded == 2 and list(result.rejects.reason_code) == ["invalid_quantity"]
    line = result.rows.iloc[0]
    assert line.shop_id == "123456" and line.layout == "new"
    assert line.price_after_discount == Decimal("169000") and line.returned_quantity == 1
    assert line.order_total_payment == Decimal("507000")
    assert line.order_created_ts_utc == datetime(2021, 9, 15, 16, 10)
    assert line.order_created_date_wib == date(2021, 9, 15)
    assert result.rows.iloc[1].variation_name == ""
    assert json.loads(result.rows.iloc[1].extra_columns)["Catatan dari Pembeli"] == "cepat ya"


def test_shopee_old_layout_csv():
    buyer = ["KAB. KUDUS", "JAWA TENGAH", "ani", "Ani", "6285", "Jl. Sunan"]
    rows = [SHOPEE_OLD,
            ["2012010001AAA", "Selesai", "2021-01-02 08:00", "2021-01-05 08:00", "Jenang", "JNG", "",
             "25.000", "3", "75.000", "80.000", *buyer]]
    result = shopee.parse(csv_bytes(rows), "shopee/777/Order.all.20210101_20210131.csv")
    line = result.rows.iloc[0]
    assert line.layout == "old" and line.returned_quantity == 0
    assert line.price_after_discount == Decimal("25000") and line.quantity == 3
    assert line.order_total_payment == Decimal("80000")


def test_shopee_outside_shop_folder_quarantines():
    with pytest.raises(QuarantineError, match="shop_id"):
        shopee.parse(csv_bytes([SHOPEE_OLD]), "shopee/Order.all.20210101_20210131.csv")


# ---------------------------------------------------------------- UVO

UVO_FIELDS = ["id_transaksi", "id_peserta", "nama_peserta", "tanggal_transaksi", "negara_pembeli",
              "mata_uang", "nilai", "status"]


def test_uvo_csv_semicolon():
    rows = [UVO_FIELDS,
            ["UVO-T1", "UVO-0007", "Batik Sekar", "2021-06-30 23:30", "SG", "SGD", "1.250,50", "lunas"],
            ["UVO-T2", "UVO-0007", "Batik Sekar", "2021-06-01", "ID", "IDR", "Rp 2.500.000", "menunggu"],
            ["UVO-T3", "UVO-0007", "Batik Sekar", "2021-06-01", "US", "XYZ", "10", "lunas"],
            ["UVO-T4", "UVO-0007", "Batik Sekar", "2023-06-01", "US", "USD", "10", "lunas"]]
    result = uvo.parse(csv_bytes(rows, delimiter=";"), "uvo/expo.csv")
    assert result.rows_loaded == 2
    first = result.rows.iloc[0]
    assert first.amount == Decimal("1250.50") and first.currency == "SGD"
    assert first.transaction_date_wib == date(2021, 6, 30)
    assert list(result.rejects.reason_code) == ["unknown_currency", "missing_fx_rate"]


@pytest.mark.parametrize("wrap", [lambda records: records, lambda records: {"transaksi": records}])
def test_uvo_json_both_shapes(wrap):
    records = [{"id_transaksi": "T1", "id_peserta": "UVO-1", "nama_peserta": "A",
                "tanggal_transaksi": "2021-05-03T10:00:00+07:00", "negara_pembeli": "jp",
                "mata_uang": "JPY", "nilai": 120000, "status": "lunas"}]
    result = uvo.parse(json.dumps(wrap(records)).encode(), "uvo/expo.json")
    assert result.rows_loaded == 1 and result.rows.iloc[0].buyer_country == "JP"
    assert result.rows.iloc[0].amount == Decimal("120000")
