"""The rest of the seed through the whole pipeline: a landing zone built by hand with every new
source (Mbizmarket, training forms, the Lapak Ganjar log) beside a registry and a GoBiz report,
`umkm run`, and the marts checked against figures worked out here by hand.

Then the guarantees of the other sources: a re-run changes nothing, a corrected export replaces
its rows, the same bytes under another name are recorded as a duplicate.
"""

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.cli import main
from tests.corpus import FORMS_FIELDS, LAPAK_FIELDS, MBIZ_FIELDS
from tests.filemakers import csv_bytes, xlsx_bytes
from tests.runs import pipeline_env, serving_snapshot
from tests.test_parsers import ENROLL_HEADER, GOBIZ_HEADER, gobiz_row
from tests.test_pipeline_e2e import put

NIK = {k: f"33720215069000{i:02d}" for i, k in enumerate("ABCDE", start=1)}
PARTICIPANT, WHATSAPP = "Larasati Widyaningrum", "0896-1234-5678"
PIC = ["Yohanes Pranoto", "pranoto.y@pemkot.go.id", "0813-5566-7788"]
T = 1_640_000_000


def gobiz(tid: str, day: str, amount: int, status="settlement", merchant="G-B") -> list:
    return gobiz_row(tid, f"{day}T03:00:00Z", str(amount), status=status, merchant=merchant)   # 10:00 WIB


def mbiz(order: str, day: str, subtotal: int, vat: int, shipping: int, total: int, status="Selesai") -> list:
    return [order, f"{day[8:10]}/{day[5:7]}/{day[:4]} 10:00", "MBZ-A", "Keripik Barokah", "Dinas Pendidikan",
            "SD Negeri 1", f"Rp {subtotal:,}".replace(",", "."), str(vat), str(shipping),
            f"Rp {total:,}".replace(",", "."), status, *PIC]


def form(key: str, activity: str, attendance: str, region="Kab. Boyolali", sector="Fashion",
         when="2021/08/02 9:03:22 AM GMT+7") -> list:
    return [when, activity, PARTICIPANT, NIK[key], WHATSAPP, f"Usaha {key}", "", region, sector, attendance]


def build_landing(landing: Path) -> None:
    put(landing, "enrollment/peserta.csv", csv_bytes([
        ENROLL_HEADER,
        ["mbizmarket_pbj", NIK["A"], "", "Keripik Barokah", "3374", "", "kuliner", "MBZ-A", "20/08/2021"],
        ["gofood_banner_promo", NIK["B"], "", "Bakso Pak Kumis", "3374", "", "kuliner", "G-B", "01/03/2021"]]), T)
    put(landing, "gofood/gobiz_2021.csv", csv_bytes([
        GOBIZ_HEADER,
        gobiz("B1", "2021-04-10", 200_000),                    # bimtek day -31: in neither window
        gobiz("B2", "2021-04-11", 100_000),                    # day -30: before
        gobiz("B3", "2021-05-10", 300_000),                    # day -1: before
        gobiz("B4", "2021-05-11", 400_000),                    # the event day: after
        gobiz("B5", "2021-06-09", 500_000),                    # day +29: after
        gobiz("B6", "2021-06-10", 600_000),                    # day +30: in neither
        gobiz("B7", "2021-06-20", 700_000),                    # PPKM darurat baseline (15 Jun - 2 Jul)
        gobiz("B8", "2021-07-05", 800_000),                    # PPKM darurat (3 - 20 Jul)
        gobiz("B9", "2021-07-10", 900_000, status="cancel"),   # not counted
        gobiz("X1", "2021-07-06", 50_000, merchant="G-X"),     # a merchant in no enrollment, in PPKM
        gobiz("B10", "2021-08-20", 1_000_000),                 # Lapak Ganjar day -16: before
        gobiz("B11", "2021-09-05", 1_100_000)]), T + 1)         # Lapak Ganjar event day: after
    # Mbizmarket: PO-3 is Dikirim in the first export and Selesai in the second; PO-5's parts do
    # not make its total (a row error); Total Pesanan (with PPN and shipping) is never turnover.
    put(landing, "mbizmarket/pesanan_2021-08.csv", csv_bytes([
        MBIZ_FIELDS,
        mbiz("PO-1", "2021-08-05", 2_000_000, 200_000, 0, 2_200_000),
        mbiz("PO-2", "2021-08-25", 12_500_000, 1_250_000, 50_000, 13_800_000),
        mbiz("PO-3", "2021-09-08", 5_000_000, 500_000, 50_000, 5_550_000, status="Dikirim"),
        mbiz("PO-5", "2021-08-26", 1_000_000, 100_000, 0, 1_000_000)], delimiter=";"), T + 2)
    put(landing, "mbizmarket/pesanan_2021-09.xlsx", xlsx_bytes([
        MBIZ_FIELDS,
        mbiz("PO-3", "2021-09-08", 5_000_000, 500_000, 50_000, 5_550_000),
        mbiz("PO-4", "2021-09-09", 1_000_000, 100_000, 0, 1_100_000, status="Dibatalkan"),
        mbiz("PO-6", "2021-09-20", 3_000_000, 300_000, 0, 3_300_000)]), T + 3)
    # mbiz-pbj-2021-08 (10-12 Aug): A registered twice (absent, then present), C registered and did
    # not come, D came (no enrollment: no linked orders). A's form says Boyolali; the registry wins.
    put(landing, "training/pendaftaran_mbiz.csv", csv_bytes([
        FORMS_FIELDS,
        form("A", "mbiz-pbj-2021-08", "Tidak Hadir"),
        form("A", "mbiz-pbj-2021-08", "Hadir"),
        form("C", "mbiz-pbj-2021-08", "Tidak Hadir", region="Kota Surakarta", sector="perdagangan"),
        form("D", "mbiz-pbj-2021-08", "Hadir"),
        form("D", "kelas-rahasia", "Hadir")]), T + 4)                   # unknown activity: rejected
    # bimtek-gofood-2021-05 (11-12 May), a later export of another form: a question added mid-way
    put(landing, "training/bimtek_gofood.csv", csv_bytes([
        [*FORMS_FIELDS[:-1], "Kehadiran ", "Apakah usaha Anda sudah memiliki akun GoFood? "],
        [*form("B", "bimtek-gofood-2021-05", "Hadir", region="3374", sector="kuliner",
               when="2021/05/03 7:15:00 PM GMT+7"), "Sudah"]]), T + 5)
    put(landing, "lapak_ganjar/log_2021-09.csv", csv_bytes([
        LAPAK_FIELDS,
        ["05/09/2021", NIK["B"], "", "Bakso Pak Kumis", "Kab. Boyolali", "kuliner", "Bakso", "https://ig.me/p/1"],
        ["05/09/2021", NIK["B"], "", "Bakso Pak Kumis", "Kab. Boyolali", "kuliner", "Bakso", "https://ig.me/p/1"],
        ["01/10/2021", NIK["B"], "", "Bakso Pak Kumis", "", "", "Bakso beku", "https://ig.me/p/2"],
        ["12/09/2021", NIK["E"], "", "Toko Makmur", "Kota Surakarta", "perdagangan", "Sembako", ""],
        ["12/09/2031", NIK["E"], "", "Toko Makmur", "", "", "", ""]]), T + 6)   # implausible date


def serving(root: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(root / "serving" / "marts.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    root = tmp_path_factory.mktemp("seed")
    with pipeline_env(root, "seed-salt"):
        build_landing(root / "landing")
        yield root


@pytest.fixture(scope="module")
def first_run(pipeline, capsys_module):
    assert main(["run"]) == 0
    return capsys_module()


@pytest.fixture(scope="module")
def capsys_module():
    """What `umkm run` printed (module scope: pytest's capsys is per test)."""
    import contextlib
    import io
    buffer = io.StringIO()

    def read() -> str:
        return buffer.getvalue()

    with contextlib.redirect_stdout(buffer):
        yield read


MBIZ_TOTAL = Decimal("20500000.00")   # PO-2 12.500.000 + PO-3 5.000.000 + PO-6 3.000.000; PO-1 before A joined


def test_mbizmarket_program_turnover_is_subtotal(pipeline, first_run):
    [row] = serving(pipeline, "select n_enrolled_umkm, n_active_umkm, n_orders, turnover_idr, turnover_foreign_idr, "
                              "n_buyer_countries from mart_program_summary where program_id = 'mbizmarket_pbj'")
    assert row == (1, 1, 3, MBIZ_TOTAL, Decimal("0.00"), 0)
    orders = {r[0]: r[1:] for r in serving(pipeline, "select order_id, status_raw, is_counted, amount_idr, "
                                                     "buyer_country, landing_path from fct_orders "
                                                     "where platform = 'mbizmarket'")}
    assert orders == {
        "PO-1": ("Selesai", True, Decimal("2000000.00"), "ID", "mbizmarket/pesanan_2021-08.csv"),
        "PO-2": ("Selesai", True, Decimal("12500000.00"), "ID", "mbizmarket/pesanan_2021-08.csv"),
        "PO-3": ("Selesai", True, Decimal("5000000.00"), "ID", "mbizmarket/pesanan_2021-09.xlsx"),   # later wins
        "PO-4": ("Dibatalkan", False, Decimal("1000000.00"), "ID", "mbizmarket/pesanan_2021-09.xlsx"),
        "PO-6": ("Selesai", True, Decimal("3000000.00"), "ID", "mbizmarket/pesanan_2021-09.xlsx"),
    }
    con = duckdb.connect(str(pipeline / "warehouse.duckdb"), read_only=True)
    try:
        rejects = con.execute("select landing_path, row_number, reason_code from raw.rejected_rows "
                              "where landing_path like 'mbizmarket/%'").fetchall()
    finally:
        con.close()
    assert rejects == [("mbizmarket/pesanan_2021-08.csv", 4, "inconsistent_total")]   # PO-5


def outcomes(root: Path, kind: str, intervention: str) -> list[tuple]:
    return serving(root, f"""
        select region_code, sector_code, window_days, n_umkm, n_registered, n_active_before, n_active_after,
            n_orders_before, n_orders_after, turnover_before_idr, turnover_after_idr
        from mart_intervention_outcomes
        where intervention_type = '{kind}' and intervention_id = '{intervention}'
        order by region_code, sector_code""")


def rp(amount: int) -> Decimal:
    return Decimal(amount).quantize(Decimal("0.01"))


def test_activity_outcomes_worked_by_hand(pipeline, first_run):
    # mbiz-pbj-2021-08 starts 10 Aug: before = 11 Jul - 9 Aug (PO-1), after = 10 Aug - 8 Sep (PO-2,
    # PO-3 on day +29); PO-6 (day +41) is in neither. A counts once (registered twice, came once);
    # C registered only; D came but sells on no linked platform.
    assert outcomes(pipeline, "activity", "mbiz-pbj-2021-08") == [
        ("3309", "fashion", 30, 1, 1, 0, 0, 0, 0, rp(0), rp(0)),
        ("3372", "trade", 30, 0, 1, 0, 0, 0, 0, rp(0), rp(0)),
        ("3374", "food_beverage", 30, 1, 1, 1, 1, 1, 2, rp(2_000_000), rp(17_500_000)),
    ]
    # bimtek-gofood-2021-05 starts 11 May: B2 (day -30) and B3 (day -1) before, B4 (the day) and
    # B5 (day +29) after; B1 (day -31) and B6 (day +30) in neither.
    assert outcomes(pipeline, "activity", "bimtek-gofood-2021-05") == [
        ("3374", "food_beverage", 30, 1, 1, 1, 1, 2, 2, rp(400_000), rp(900_000)),
    ]


def test_program_and_promotion_outcomes_worked_by_hand(pipeline, first_run):
    # A joined mbizmarket_pbj on 20 Aug: PO-1 (5 Aug) before, PO-2 and PO-3 after, PO-6 (day +31) not:
    # the windows count orders before tanggal_bergabung too, though program turnover does not.
    assert outcomes(pipeline, "program", "mbizmarket_pbj") == [
        ("3374", "food_beverage", 30, 1, 1, 1, 1, 1, 2, rp(2_000_000), rp(17_500_000)),
    ]
    # B joined the banner promo on 1 Mar: no orders in either window, still one enrolled UMKM
    assert outcomes(pipeline, "program", "gofood_banner_promo") == [
        ("3374", "food_beverage", 30, 1, 1, 0, 0, 0, 0, rp(0), rp(0)),
    ]
    # B first shown on 5 Sep (twice that day, again 1 Oct): B10 before, B11 after. E is promoted,
    # with no linked orders; its 2031 row was rejected.
    assert outcomes(pipeline, "promotion", "lapak_ganjar") == [
        ("3372", "trade", 30, 1, 1, 0, 0, 0, 0, rp(0), rp(0)),
        ("3374", "food_beverage", 30, 1, 1, 1, 1, 1, 1, rp(1_000_000), rp(1_100_000)),
    ]
    assert serving(pipeline, "select count(*) from mart_intervention_outcomes where n_active_after > n_umkm "
                             "or n_umkm > n_registered") == [(0,)]


def test_ppkm_darurat_and_its_baseline_worked_by_hand(pipeline, first_run):
    # 3 - 20 Jul 2021 (18 days); the baseline is the 18 days before: 15 Jun - 2 Jul
    rows = serving(pipeline, """
        select period_name, start_date, end_date, n_days, platform, region_code, sector_code, n_orders_during,
            n_active_umkm_during, turnover_during_idr, n_orders_baseline, n_active_umkm_baseline,
            turnover_baseline_idr
        from mart_restriction_periods where period_id = 'ppkm_darurat' order by region_code nulls first""")
    assert rows == [
        ("PPKM Darurat Jawa-Bali", date(2021, 7, 3), date(2021, 7, 20), 18, "gofood", None, None,
         1, 1, rp(50_000), 0, 0, rp(0)),                     # X1: the unlinked merchant, by its id
        ("PPKM Darurat Jawa-Bali", date(2021, 7, 3), date(2021, 7, 20), 18, "gofood", "3374", "food_beverage",
         1, 1, rp(800_000), 1, 1, rp(700_000)),             # B8 during (B9 cancelled), B7 baseline
    ]
    # no counted order in the January and February periods or their baselines: no rows
    assert serving(pipeline, "select distinct period_id from mart_restriction_periods") == [("ppkm_darurat",)]


def test_dims_of_the_new_sources(pipeline, first_run):
    keys = {k for (k,) in serving(pipeline, "select umkm_key from dim_umkm")}
    assert len(keys) == 5                                   # A, B from the registry; C, D forms; E the log
    regions = sorted(serving(pipeline, "select region_code, sector_code, scale from dim_umkm"))
    assert regions == [("3309", "fashion", None), ("3372", "trade", None), ("3372", "trade", None),
                       ("3374", "food_beverage", None), ("3374", "food_beverage", None)]
    activities = serving(pipeline, "select activity_id, kind, start_date from dim_activity order by start_date")
    assert len(activities) == 8 and activities[:2] == [
        ("lapak_ganjar", "promosi", date(2020, 4, 1)),
        ("literasi-digital-2021-03", "literasi_digital", date(2021, 3, 16))]


def test_ledger_rejects_and_the_did_it_help_table(pipeline, first_run):
    ledger = {r[0]: r[1:] for r in serving(pipeline, "select landing_path, status, rows_read, rows_loaded, "
                                                     "rows_rejected from mart_data_quality")}
    assert ledger["mbizmarket/pesanan_2021-08.csv"] == ("loaded", 4, 3, 1)
    assert ledger["training/pendaftaran_mbiz.csv"] == ("loaded", 5, 4, 1)
    assert ledger["lapak_ganjar/log_2021-09.csv"] == ("loaded", 5, 4, 1)
    printed = first_run
    assert "did it help?" in printed
    line = next(text for text in printed.splitlines() if "mbiz-pbj-2021-08" in text)
    assert "2.000.000" in line and "17.500.000" in line and "+775%" in line


def test_no_personal_data_of_the_new_sources_outside_raw(pipeline, first_run):
    needles = [*NIK.values(), PARTICIPANT, WHATSAPP, *PIC]
    con = duckdb.connect(str(pipeline / "warehouse.duckdb"), read_only=True)
    try:
        raw = str(con.execute("select * from raw.training_registrations").fetchall()) + \
            str(con.execute("select * from raw.mbizmarket_orders").fetchall())
        assert all(n in raw for n in [PARTICIPANT, WHATSAPP, *PIC])   # they did arrive
        tables = con.execute("select table_schema, table_name from information_schema.tables "
                             "where table_schema <> 'raw'").fetchall()
        for schema, table in tables:
            text = str(con.execute(f'select * from "{schema}"."{table}"').fetchall())
            assert not [n for n in needles if n in text], f"personal data in {schema}.{table}"
    finally:
        con.close()


def test_rerun_correction_and_duplicate(pipeline, first_run):
    before = serving_snapshot(pipeline / "serving")
    assert main(["run"]) == 0
    assert serving_snapshot(pipeline / "serving") == before               # nothing new: nothing changes
    landing = pipeline / "landing"
    shutil.copy2(landing / "lapak_ganjar/log_2021-09.csv", landing / "lapak_ganjar/log_2021-09 (copy).csv")
    # the corrected August export: PO-2 was in fact 10.000.000 (PPN 1.000.000, shipping 50.000)
    put(landing, "mbizmarket/pesanan_2021-08.csv", csv_bytes([
        MBIZ_FIELDS,
        mbiz("PO-1", "2021-08-05", 2_000_000, 200_000, 0, 2_200_000),
        mbiz("PO-2", "2021-08-25", 10_000_000, 1_000_000, 50_000, 11_050_000),
        mbiz("PO-3", "2021-09-08", 5_000_000, 500_000, 50_000, 5_550_000, status="Dikirim")], delimiter=";"), T + 10)
    assert main(["run"]) == 0
    [(turnover,)] = serving(pipeline, "select turnover_idr from mart_program_summary "
                                      "where program_id = 'mbizmarket_pbj'")
    # PO-2 now 10.000.000 + PO-6; PO-3 is Dikirim again: the corrected file landed last, and the
    # latest landed version of an order wins (data contract 1), whatever its status says
    assert turnover == rp(13_000_000)
    statuses = dict(serving(pipeline, "select landing_path, status from mart_data_quality "
                                      "where landing_path like 'lapak_ganjar/%' or landing_path like 'mbiz%'"))
    assert statuses["lapak_ganjar/log_2021-09 (copy).csv"] == "duplicate"
    assert outcomes(pipeline, "promotion", "lapak_ganjar")[1][3] == 1      # the copy did not double B
    con = duckdb.connect(str(pipeline / "warehouse.duckdb"), read_only=True)
    try:
        assert con.execute("select count(*) from raw.mbizmarket_orders "
                           "where landing_path = 'mbizmarket/pesanan_2021-08.csv'").fetchone() == (3,)
        assert con.execute("select status from raw.landing_files where landing_path = "
                           "'mbizmarket/pesanan_2021-08.csv' order by loaded_at").fetchall() == [
            ("superseded",), ("loaded",)]
    finally:
        con.close()
