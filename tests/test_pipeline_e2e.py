"""The whole pipeline on a landing zone built by hand, marts checked against hand-worked figures.

One module-scoped warehouse: `umkm run` once, then again (nothing changes), then a corrected
file (its rows are replaced). Each test reads the serving copy, as a BI tool would.
"""

import csv
import json
import os
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.cli import main
from tests.filemakers import csv_bytes, xlsx_bytes
from tests.runs import pipeline_env
from tests.test_parsers import (ENROLL_HEADER, GOBIZ_HEADER, KOBO_HEADER, SHOPEE_NEW, gobiz_row,
                                kobo_row)

NIK_A, NIK_B, NIK_C, NIK_D, NIK_E = (f"33740112038500{i:02d}" for i in range(1, 6))
NIK_BAD = "337401120385009"                      # 15 digits: rejected
OWNER_NAMES = ["Siti Aminah", "Bambang Wijaya", "Dewi Lestari", "Agus Salim"]
PHONES = ["081234567890", "085700112233", "6281122334455"]
BUYER = ["KOTA SEMARANG", "JAWA TENGAH", "budi88", "Budi Santoso", "6281122334455", "Jl. Pemuda 12"]
SEEDS = Path(__file__).resolve().parents[1] / "dbt_project" / "seeds"


def fx(month: str, currency: str) -> Decimal:
    with open(SEEDS / "fx_rates_monthly.csv") as handle:
        for row in csv.DictReader(handle):
            if (row["month"], row["currency"]) == (month, currency):
                return Decimal(row["idr_per_unit"])
    raise KeyError((month, currency))


def put(landing: Path, relative: str, data: bytes, mtime: int) -> None:
    path = landing / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (mtime, mtime))


def build_landing(landing: Path) -> None:
    t = 1_630_000_000
    survey = [KOBO_HEADER,
              # A answered twice; the later submission (omzet_sesudah 5 juta) wins
              kobo_row(nik_pemilik=NIK_A, nama_pemilik=OWNER_NAMES[0], no_hp=PHONES[0], omzet_sesudah="6 juta",
                       _submission_time="2021-03-10T01:00:00", _id="1"),
              kobo_row(nik_pemilik=NIK_A, nama_pemilik=OWNER_NAMES[0], no_hp=PHONES[0], omzet_sebelum="Rp 15.000.000",
                       omzet_sesudah="5.000.000", tenaga_kerja_sebelum="4", tenaga_kerja_sesudah="2",
                       _submission_time="2021-03-12T01:00:00", _id="2"),
              kobo_row(nik_pemilik=NIK_B, nama_pemilik=OWNER_NAMES[1], no_hp=PHONES[1], nama_usaha="Bakso Pak Kumis",
                       kendala_utama="permodalan", omzet_sebelum="10 juta", omzet_sesudah="4 juta",
                       tenaga_kerja_sebelum="3", tenaga_kerja_sesudah="3", _id="3"),
              kobo_row(nik_pemilik=NIK_C, nama_pemilik=OWNER_NAMES[2], nama_usaha="Batik Sekar Jagad",
                       kode_kabkota="", kabupaten_kota="Kab. Boyolali", sektor_usaha="fashion",
                       skala_usaha="kecil", terdampak_covid="tidak", kendala_utama="", kendala="",
                       omzet_sebelum="20.000.000", omzet_sesudah="20.000.000", _id="4"),
              kobo_row(nik_pemilik=NIK_D, nama_pemilik=OWNER_NAMES[3], _id="5",
                       _validation_status="validation_status_not_approved"),
              kobo_row(nik_pemilik=NIK_BAD, _id="6")]
    put(landing, "survey/kobo_2021-03.csv", csv_bytes(survey, ";", quote_all=True, bom=True), t)

    enrol = [ENROLL_HEADER,
             ["gofood_banner_promo", NIK_A, "", "Keripik Tempe Barokah", "3374", "", "kuliner", "G-A", "01/03/2021"],
             ["goshop", NIK_A, "", "Keripik Tempe Barokah", "3374", "", "kuliner", "G-A", "01/06/2021"],
             ["shopee_kampus_umkm", NIK_B, "", "Bakso Pak Kumis", "3374", "", "kuliner", "5001", "01/09/2021"],
             ["uvo_2021", NIK_C, "", "Batik Sekar Jagad", "", "Kab. Boyolali", "fashion", "UVO-C", "01/01/2021"],
             ["gofood_banner_promo", NIK_E, "", "Toko Kelontong Makmur", "", "Kota Surakarta", "perdagangan",
              "G-E", "2021-01-01"]]
    put(landing, "enrollment/peserta.csv", csv_bytes(enrol), t + 1)

    gobiz = [GOBIZ_HEADER,
             gobiz_row("T1", "2021-09-05T03:00:00Z", "100.000", merchant="'G-A"),
             gobiz_row("T2", "2021-09-05T04:00:00Z", "50.000", status="cancel", merchant="G-A"),
             gobiz_row("T3", "2021-09-05T17:30:00Z", "1,250,000", status="completed", feature="GoShop", merchant="G-A"),
             gobiz_row("T4", "2021-05-31T10:00:00Z", "70000", feature="GoShop", merchant="G-A"),  # before goshop
             gobiz_row("T5", "2021-09-01T03:00:00Z", "30000", merchant="G-E"),
             gobiz_row("T6", "2021-09-01T03:00:00Z", "99000", merchant="G-X"),   # not enrolled
             gobiz_row("T7", "2021-09-01T03:00:00Z", "10000", feature="GoPay", merchant="G-A"),
             gobiz_row("T8", "2021-09-10T03:00:00Z", "40000", status="pending", merchant="G-A")]
    put(landing, "gofood/gobiz_2021-09.csv", csv_bytes(gobiz, bom=True), t + 2)
    # The report re-run for 10 September: T8 has settled since.
    rerun = [GOBIZ_HEADER, gobiz_row("T8", "2021-09-10T03:00:00Z", "40000", merchant="G-A")]
    put(landing, "gofood/gobiz_2021-09-10_rerun.csv", csv_bytes(rerun), t + 3)

    export_1 = [SHOPEE_NEW,
                ["O1", "Sedang Dikirim", "2021-09-10 10:00", "", "Keripik", "SKU-A", "", 200000, "169.000", 2, 0,
                 338000, "388.000", *BUYER, ""],
                ["O1", "Sedang Dikirim", "2021-09-10 10:00", "", "Sambal", "SKU-B", "", 50000, 50000, 1, 1,
                 50000, "388.000", *BUYER, ""],
                ["O2", "Selesai", "2021-08-20 10:00", "2021-08-22 10:00", "Keripik", "SKU-A", "", 100000, 100000,
                 1, 0, 100000, 100000, *BUYER, ""]]
    put(landing, "shopee/5001/Order.all.20210801_20210930.xlsx", xlsx_bytes(export_1, sheet="orders"), t + 4)
    export_2 = [SHOPEE_NEW,   # overlapping export: O1 has been delivered since
                ["O1", "Selesai", "2021-09-10 10:00", "2021-09-14 10:00", "Keripik", "SKU-A", "", 200000, "169.000",
                 2, 0, 338000, "388.000", *BUYER, ""],
                ["O1", "Selesai", "2021-09-10 10:00", "2021-09-14 10:00", "Sambal", "SKU-B", "", 50000, 50000,
                 1, 1, 50000, "388.000", *BUYER, ""],
                ["O3", "Selesai", "2021-10-01 09:00", "2021-10-03 09:00", "Keripik", "SKU-C", "Pedas", 25000,
                 25000, 4, 0, 100000, "100.000", *BUYER, ""]]
    put(landing, "shopee/5001/Order.all.20210915_20211015.csv", csv_bytes(export_2), t + 5)

    uvo = {"transaksi": [
        {"id_transaksi": "V1", "id_peserta": "UVO-C", "nama_peserta": "Batik Sekar Jagad",
         "tanggal_transaksi": "2021-05-03 10:00", "negara_pembeli": "SG", "mata_uang": "SGD",
         "nilai": 1000, "status": "lunas"},
        {"id_transaksi": "V2", "id_peserta": "UVO-C", "nama_peserta": "Batik Sekar Jagad",
         "tanggal_transaksi": "2021-05-04 10:00", "negara_pembeli": "ID", "mata_uang": "IDR",
         "nilai": "Rp 2.000.000", "status": "lunas"},
        {"id_transaksi": "V3", "id_peserta": "UVO-C", "nama_peserta": "Batik Sekar Jagad",
         "tanggal_transaksi": "2021-05-05 10:00", "negara_pembeli": "US", "mata_uang": "USD",
         "nilai": 500, "status": "batal"},
        {"id_transaksi": "V4", "id_peserta": "UVO-C", "nama_peserta": "Batik Sekar Jagad",
         "tanggal_transaksi": "2021-06-01 10:00", "negara_pembeli": "JP", "mata_uang": "JPY",
         "nilai": 100000, "status": "lunas"}]}
    put(landing, "uvo/expo_2021.json", json.dumps(uvo).encode(), t + 6)
    put(landing, "gofood/broken.csv", b"\x00\x01binary", t + 7)


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    with pipeline_env(root, "e2e-salt"):
        build_landing(root / "landing")
        assert main(["run"]) == 0
        yield root


def serving(root: Path, sql: str):
    con = duckdb.connect(str(root / "serving" / "marts.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def program_summary(root):
    rows = serving(root, "select program_id, n_enrolled_umkm, n_active_umkm, n_orders, turnover_idr, "
                         "turnover_foreign_idr, n_buyer_countries from mart_program_summary")
    return {row[0]: row[1:] for row in rows}


def test_program_turnover_worked_by_hand(pipeline):
    uvo_foreign = (1000 * fx("2021-05", "SGD") + 100000 * fx("2021-06", "JPY")).quantize(Decimal("0.01"))
    assert program_summary(pipeline) == {
        # T1 100.000 + T5 30.000 + T8 40.000 (settled in the re-run); T2 cancelled, T7 is GoPay
        "gofood_banner_promo": (2, 2, 3, Decimal("170000.00"), Decimal("0.00"), 0),
        # T3 1.250.000; T4 came before A joined Go-Shop
        "goshop": (1, 1, 1, Decimal("1250000.00"), Decimal("0.00"), 0),
        # O1 169.000 x 2 + 50.000 x (1 - 1 returned) = 338.000, now Selesai; O3 25.000 x 4; O2 before the window
        "shopee_kampus_umkm": (1, 1, 2, Decimal("438000.00"), Decimal("0.00"), 0),
        # V1 SGD and V4 JPY at their month's rate + V2 Rp 2.000.000; V3 cancelled
        "uvo_2021": (1, 1, 3, uvo_foreign + Decimal("2000000.00"), uvo_foreign, 2),
        "mbizmarket_pbj": (0, 0, 0, Decimal("0.00"), Decimal("0.00"), 0),   # nobody enrolled here
    }


def test_impact_summary_worked_by_hand(pipeline):
    rows = serving(pipeline, "select region_code, sector_code, scale, n_respondents, n_impacted, "
                             "n_constraint_marketing, n_constraint_capital, turnover_before_idr, "
                             "turnover_after_idr, workers_before, workers_after from mart_impact_summary "
                             "where survey_period = '2021-03' order by region_code")
    assert rows == [
        # C: not impacted, so no turnover or workers counted
        ("3309", "fashion", "kecil", 1, 0, 0, 0, Decimal("0.00"), Decimal("0.00"), 0, 0),
        # A (latest submission only) and B; D was not approved; the 15-digit NIK was rejected
        ("3374", "food_beverage", "mikro", 2, 2, 1, 1, Decimal("25000000.00"), Decimal("9000000.00"), 7, 5),
    ]


def test_monthly_turnover_and_orders(pipeline):
    monthly = serving(pipeline, "select month, region_code, sector_code, n_active_umkm, n_orders, turnover_idr "
                                "from mart_turnover_monthly where program_id = 'gofood_banner_promo' order by 2")
    assert monthly == [(date(2021, 9, 1), "3372", "trade", 1, 1, Decimal("30000.00")),
                       (date(2021, 9, 1), "3374", "food_beverage", 1, 2, Decimal("140000.00"))]
    orders = dict(serving(pipeline, "select order_id, is_counted from fct_orders"))
    assert orders == {"T1": True, "T2": False, "T3": True, "T4": True, "T5": True, "T6": True, "T7": True,
                      "T8": True, "O1": True, "O2": True, "O3": True, "V1": True, "V2": True, "V3": False,
                      "V4": True}
    [(t3_date, t6_key)] = serving(pipeline, "select (select order_date from fct_orders where order_id = 'T3'), "
                                            "(select umkm_key from fct_orders where order_id = 'T6')")
    assert t3_date == date(2021, 9, 6) and t6_key is None   # 17:30Z is the next WIB day; G-X not enrolled


def test_dims_and_data_quality(pipeline):
    assert serving(pipeline, "select count(*) from dim_region") == [(35,)]
    # A, B, C from the survey and enrollment, E from enrollment only; D's only answer was not approved
    assert serving(pipeline, "select count(*) from dim_umkm") == [(4,)]
    assert serving(pipeline, "select region_code, sector_code, scale from dim_umkm where region_code = '3372'") == [
        ("3372", "trade", None)]
    statuses = dict(serving(pipeline, "select landing_path, status from mart_data_quality"))
    assert statuses["gofood/broken.csv"] == "quarantined"
    assert serving(pipeline, "select rows_read, rows_loaded, rows_rejected from mart_data_quality "
                             "where landing_path = 'survey/kobo_2021-03.csv'") == [(6, 5, 1)]


def test_no_personal_data_outside_raw(pipeline):
    needles = [NIK_A, NIK_B, NIK_C, NIK_D, NIK_E, *OWNER_NAMES, *PHONES, *BUYER[2:]]
    con = duckdb.connect(str(pipeline / "warehouse.duckdb"), read_only=True)
    try:
        relations = con.execute("select table_schema, table_name from information_schema.tables "
                                "where table_schema not in ('raw')").fetchall()
        assert len(relations) > 15
        for schema, table in relations:
            text = str(con.execute(f'select * from "{schema}"."{table}"').fetchall())
            assert not [n for n in needles if n in text], f"personal data in {schema}.{table}"
    finally:
        con.close()
    serving_files = [*(pipeline / "serving").iterdir(), *(pipeline / "serving" / "fct_orders").iterdir()]
    assert {p.name for p in serving_files} >= {"marts.duckdb", "fct_orders", "dim_umkm.parquet"}
    for path in serving_files:
        con = duckdb.connect()
        text = str(con.execute(f"select * from '{path}'").fetchall()) if path.suffix == ".parquet" else ""
        con.close()
        assert not [n for n in needles if n in text], f"personal data in {path.name}"
    for (table,) in serving(pipeline, "select table_name from information_schema.tables"):
        text = str(serving(pipeline, f'select * from "{table}"'))
        assert not [n for n in needles if n in text], f"personal data in serving {table}"


def snapshot(root):
    tables = [t for (t,) in serving(root, "select table_name from information_schema.tables order by 1")]
    return {t: sorted(map(repr, serving(root, f'select * exclude (loaded_at) from "{t}"' if t == "mart_data_quality"
                                         else f'select * from "{t}"'))) for t in tables}


def test_second_run_loads_nothing_and_changes_nothing(pipeline, capsys):
    from ingest.settings import Settings
    from orchestration.quiet_run import work_to_do

    before = snapshot(pipeline)
    con = duckdb.connect(str(pipeline / "warehouse.duckdb"), read_only=True)
    ledger = con.execute("select * from raw.landing_files order by all").fetchall()
    con.close()
    assert work_to_do(Settings.from_env()) is None
    capsys.readouterr()
    assert main(["run"]) == 0
    assert "nothing new" in capsys.readouterr().out      # no Dagster run, no dbt, no GX
    con = duckdb.connect(str(pipeline / "warehouse.duckdb"), read_only=True)
    assert con.execute("select * from raw.landing_files order by all").fetchall() == ledger
    con.close()
    assert snapshot(pipeline) == before


def test_corrected_file_replaces_its_rows(pipeline):
    landing = pipeline / "landing"
    corrected = [GOBIZ_HEADER,
                 gobiz_row("T1", "2021-09-05T03:00:00Z", "200.000", merchant="G-A"),   # was 100.000
                 gobiz_row("T5", "2021-09-01T03:00:00Z", "30000", merchant="G-E")]
    put(landing, "gofood/gobiz_2021-09.csv", csv_bytes(corrected), 1_630_000_100)
    assert main(["run"]) == 0
    summary = program_summary(pipeline)
    # T1 200.000 + T5 30.000 + T8 40.000 (still in the re-run file); T3 left with the old version
    assert summary["gofood_banner_promo"][2:4] == (3, Decimal("270000.00"))
    assert summary["goshop"][2:4] == (0, Decimal("0.00"))
    statuses = serving(pipeline, "select status from mart_data_quality where landing_path = 'gofood/gobiz_2021-09.csv'")
    assert statuses == [("loaded",)]
