"""Issue 13 in dbt, on hand-made raw rows: Mbizmarket orders, trainings, Lapak Ganjar and PPKM.

As in `tests/test_dbt_marts_sql.py`: a temporary DuckDB file gets the raw schema and a handful of
raw rows (with their lineage and ledger rows), `dbt build` runs (seeds, models, data and unit
tests), and the marts hold the figures worked out by hand below. The GX suites of the new marts
then pass on it, and fail where a wrong figure would be published.

The story (dates 2021):
- A (Kota Semarang, food_beverage in the registry) joined GoFood banner promo on 1 March and
  Mbizmarket PBJ on 16 August (ID Vendor V-A), attended training mbiz-pbj-2021-08 (10 August), was
  shown on Lapak Ganjar on 1 September (logged twice that day) and 20 September.
- B (Kota Semarang, food_beverage) joined Mbizmarket PBJ on 20 August (V-B), registered twice for
  the training (Hadir on one of the rows).
- C (surveyed: Cilacap, fashion) attended the training; no merchant id in any enrollment.
- D registered for the training and was absent; known only from the form (Jepara) and the log.
- E, H only in the Lapak Ganjar log (H without a region).
- F (Kota Surakarta, trade) sells on GoFood around PPKM darurat (3-20 July).
- V-X, V-Y: Mbizmarket vendors in no enrollment.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from ingest.raw_schema import PERSONAL_COLUMNS
from tests.test_dbt_marts_sql import build_warehouse, gobiz_row, insert, ledger_row, lineage, query

KEY = {k: f"key-{k}" for k in "ABCDEFH"}
NIK = {k: f"33740112038500{i:02d}" for i, k in enumerate("ABCDEFH", start=11)}
PARTICIPANTS = {"A": ("Siti Aminah", "081234567801"), "B": ("Bambang Wijaya", "081234567802"),
                "C": ("Citra Lestari", "081234567803"), "D": ("Dwi Handayani", "081234567804")}
BUYER = ("Ibu Ratna Sari", "ratna.sari@bpbd.jatengprov.go.id", "081298765432")
EXTRA = '{"Alamat rumah": "Jl. Melati 7", "Nama ibu kandung": "Sulastri"}'
PII = [*NIK.values(), *(v for pair in PARTICIPANTS.values() for v in pair), *BUYER, "Jl. Melati 7", "Sulastri"]

T_REGISTRY = datetime(2021, 3, 2)       # the registry landed first: the later sources must not win
T_REGISTRY_2 = datetime(2021, 8, 21)
T_SURVEY = datetime(2021, 9, 1)
T_FORMS = datetime(2021, 9, 15)
T_LOG = datetime(2021, 10, 1)
T_MBIZ_1, T_MBIZ_2 = datetime(2021, 9, 1), datetime(2021, 10, 1)
T_GOFOOD = datetime(2021, 10, 2)
D = date


def enrollment(path, landed, row, program, key, merchant, joined, region="3374", sector="food_beverage"):
    return {**lineage(path, landed, row), "program_id": program, "umkm_key": KEY[key], "nik": NIK[key],
            "business_name": f"Usaha {key}", "region_code": region, "sector_code": sector,
            "platform_merchant_id": merchant, "joined_date": joined}


def survey(key, row, region, sector, scale, submitted):
    return {**lineage("survey/kobo_2021-03.csv", T_SURVEY, row), "submission_id": f"S{row}",
            "survey_period": "2021-03", "umkm_key": KEY[key], "nik": NIK[key], "owner_name": PARTICIPANTS[key][0],
            "phone": PARTICIPANTS[key][1], "business_name": f"Survei {key}", "region_code": region,
            "sector_code": sector, "scale": scale, "is_impacted": True, "primary_constraint_code": "marketing",
            "turnover_before_idr": Decimal("10000000"), "turnover_after_idr": Decimal("4000000"),
            "workers_before": 3, "workers_after": 2, "validation_status": "",
            "submitted_at_utc": datetime.combine(submitted, datetime.min.time()), "submitted_date_wib": submitted}


def registration(row, key, registered, attendance, region, sector="food_beverage", activity="mbiz-pbj-2021-08"):
    name, whatsapp = PARTICIPANTS[key]
    return {**lineage("training/pbj_2021-08.csv", T_FORMS, row), "activity_id": activity,
            "registered_ts_utc": datetime.combine(registered, datetime.min.time()) + timedelta(hours=2),
            "registered_date_wib": registered, "umkm_key": KEY[key], "nik": NIK[key], "participant_name": name,
            "whatsapp": whatsapp, "business_name": f"Formulir {key}", "nib": None, "region_code": region,
            "sector_code": sector, "attendance": attendance, "attended": attendance == "Hadir",
            "extra_columns": EXTRA}


def promotion(row, key, shown, region, sector="crafts"):
    return {**lineage("lapak_ganjar/log_2021.xlsx", T_LOG, row), "shown_date": shown, "umkm_key": KEY[key],
            "nik": NIK[key], "nib": None, "business_name": f"Lapak {key}", "region_code": region,
            "sector_code": sector, "product": "Batik", "post_url": f"https://instagram.com/p/{row}"}


def mbiz(path, landed, row, order, vendor, day, subtotal, vat, shipping, status):
    total = Decimal(subtotal) + Decimal(vat) + Decimal(shipping)
    return {**lineage(path, landed, row), "order_id": order, "order_ts_utc": datetime.combine(day, datetime.min.time())
            + timedelta(hours=3), "order_date_wib": day, "vendor_id": vendor, "vendor_name": f"Vendor {vendor}",
            "buyer_agency": "BPBD Provinsi Jawa Tengah", "buyer_unit": "Sekretariat", "subtotal": Decimal(subtotal),
            "vat": Decimal(vat), "shipping": Decimal(shipping), "order_total": total, "order_status": status,
            "buyer_contact_name": BUYER[0], "buyer_contact_email": BUYER[1], "buyer_contact_phone": BUYER[2]}


def gofood(row, tid, day, amount, merchant, status="settlement"):
    return gobiz_row("gofood/gobiz_2021.csv", T_GOFOOD, row, tid, datetime.combine(day, datetime.min.time())
                     + timedelta(hours=3), day, amount, status=status, merchant=merchant)


MBIZ_1, MBIZ_2 = "mbizmarket/pesanan_2021-08.csv", "mbizmarket/pesanan_2021-09.xlsx"


def fill_raw(con) -> None:
    insert(con, "enrollments", [
        enrollment("enrollment/peserta.csv", T_REGISTRY, 1, "gofood_banner_promo", "A", "G-A", D(2021, 3, 1)),
        enrollment("enrollment/peserta.csv", T_REGISTRY, 2, "gofood_banner_promo", "F", "G-F", D(2021, 6, 1),
                   region="3372", sector="trade"),
        enrollment("enrollment/peserta_pbj.csv", T_REGISTRY_2, 1, "mbizmarket_pbj", "A", "V-A", D(2021, 8, 16)),
        enrollment("enrollment/peserta_pbj.csv", T_REGISTRY_2, 2, "mbizmarket_pbj", "B", "V-B", D(2021, 8, 20)),
    ])
    insert(con, "survey_submissions", [
        survey("A", 1, "3310", "trade", "mikro", D(2021, 3, 12)),      # the registry says otherwise: it wins
        survey("C", 2, "3301", "fashion", "kecil", D(2021, 3, 12)),
    ])
    insert(con, "training_registrations", [
        registration(1, "A", D(2021, 8, 2), "Hadir", "3311"),
        # B registered twice: Hadir on the first row only; counts once, attended
        registration(2, "B", D(2021, 8, 3), "Hadir", "3374"),
        registration(3, "C", D(2021, 8, 3), "Hadir", "3302", sector="other"),
        registration(4, "D", D(2021, 8, 4), "Tidak Hadir", "3320", sector="agriculture"),
        registration(5, "B", D(2021, 8, 6), None, "3374"),
    ])
    insert(con, "lapak_ganjar_promotions", [
        promotion(1, "A", D(2021, 9, 1), "3312"),
        promotion(2, "A", D(2021, 9, 1), "3312"),      # the same UMKM twice on one day: one promotion
        promotion(3, "A", D(2021, 9, 20), "3312"),
        promotion(4, "D", D(2021, 8, 30), "3321"),     # the training list comes first for D
        promotion(5, "E", D(2021, 9, 5), "3325"),
        promotion(6, "H", D(2021, 9, 15), None, sector=None),
    ])
    insert(con, "mbizmarket_orders", [
        # MZ1 was Dikirim in the August export, Selesai in the September one; Total Pesanan includes PPN
        mbiz(MBIZ_1, T_MBIZ_1, 1, "MZ1", "V-A", D(2021, 8, 20), "10000000", "1100000", "0", "Dikirim"),
        mbiz(MBIZ_1, T_MBIZ_1, 2, "MZ2", "V-A", D(2021, 8, 10), "2000000", "220000", "0", "Selesai"),
        mbiz(MBIZ_2, T_MBIZ_2, 1, "MZ1", "V-A", D(2021, 8, 20), "10000000", "1100000", "0", "Selesai"),
        mbiz(MBIZ_2, T_MBIZ_2, 2, "MZ3", "V-A", D(2021, 9, 5), "5000000", "550000", "0", "Dibatalkan"),
        mbiz(MBIZ_2, T_MBIZ_2, 3, "MZ4", "V-B", D(2021, 9, 10), "4000000", "440000", "60000", "Selesai"),
        mbiz(MBIZ_2, T_MBIZ_2, 4, "MZ5", "V-X", D(2021, 7, 10), "3000000", "330000", "0", "Selesai"),
        mbiz(MBIZ_2, T_MBIZ_2, 5, "MZ6", "V-Y", D(2021, 7, 4), "1000000", "110000", "0", "Selesai"),
        mbiz(MBIZ_2, T_MBIZ_2, 6, "MZ7", "V-Y", D(2021, 7, 6), "500000", "55000", "25000", "Selesai"),
    ])
    insert(con, "gofood_transactions", [
        gofood(1, "T1", D(2021, 8, 12), "100000", "G-A"),
        gofood(2, "T2", D(2021, 9, 10), "250000", "G-A"),
        gofood(3, "T3", D(2021, 6, 14), "11000", "G-F"),
        gofood(4, "T4", D(2021, 6, 15), "12000", "G-F"),
        gofood(5, "T5", D(2021, 7, 2), "13000", "G-F"),
        gofood(6, "T6", D(2021, 7, 3), "14000", "G-F"),
        gofood(7, "T7", D(2021, 7, 20), "15000", "G-F"),
        gofood(8, "T8", D(2021, 7, 21), "16000", "G-F"),
        gofood(9, "T9", D(2021, 7, 10), "99000", "G-F", status="cancel"),
        gofood(10, "T10", D(2021, 7, 5), "50000", "G-A"),
    ])
    insert(con, "landing_files", [
        ledger_row("enrollment/peserta.csv", "enrollment", "loaded", 2, 2, 0, T_REGISTRY),
        ledger_row("enrollment/peserta_pbj.csv", "enrollment", "loaded", 2, 2, 0, T_REGISTRY_2),
        ledger_row("survey/kobo_2021-03.csv", "survey", "loaded", 2, 2, 0, T_SURVEY),
        ledger_row("training/pbj_2021-08.csv", "training", "loaded", 5, 5, 0, T_FORMS),
        ledger_row("lapak_ganjar/log_2021.xlsx", "lapak_ganjar", "loaded", 6, 6, 0, T_LOG),
        ledger_row(MBIZ_1, "mbizmarket", "loaded", 2, 2, 0, T_MBIZ_1),
        ledger_row(MBIZ_2, "mbizmarket", "loaded", 7, 6, 1, T_MBIZ_2),   # one inconsistent_total row refused
        ledger_row("gofood/gobiz_2021.csv", "gofood", "loaded", 10, 10, 0, T_GOFOOD),
    ])


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    return build_warehouse(tmp_path_factory.mktemp("dbt_interventions"), fill_raw)


def rp(amount: int) -> Decimal:
    return Decimal(amount).quantize(Decimal("0.01"))


def test_mbizmarket_program_turnover_is_the_subtotal(warehouse):
    [row] = query(warehouse, "select n_enrolled_umkm, n_active_umkm, n_orders, turnover_idr, turnover_foreign_idr, "
                             "first_order_date, last_order_date from marts.mart_program_summary "
                             "where program_id = 'mbizmarket_pbj'")
    # MZ1 (Selesai in the later export) 10.000.000 + MZ4 4.000.000; MZ2 came before A joined (16 August),
    # MZ3 was cancelled, MZ5-MZ7 are vendors in no enrollment. Total Pesanan would give 11.100.000 + 4.500.000.
    assert row == (2, 2, 2, rp(14_000_000), rp(0), D(2021, 8, 20), D(2021, 9, 10))
    assert query(warehouse, "select month, region_code, n_active_umkm, n_orders, turnover_idr "
                            "from marts.mart_turnover_monthly where program_id = 'mbizmarket_pbj' order by month") == [
        (D(2021, 8, 1), "3374", 1, 1, rp(10_000_000)), (D(2021, 9, 1), "3374", 1, 1, rp(4_000_000))]


def test_mbizmarket_orders_in_fct_orders(warehouse):
    rows = query(warehouse, "select order_id, platform_merchant_id, umkm_key, status_raw, is_counted, buyer_country, "
                            "currency, amount_original, amount_idr, landing_path from marts.fct_orders "
                            "where platform = 'mbizmarket' order by order_id")
    assert rows == [
        ("MZ1", "V-A", KEY["A"], "Selesai", True, "ID", "IDR", rp(10_000_000), rp(10_000_000), MBIZ_2),
        ("MZ2", "V-A", KEY["A"], "Selesai", True, "ID", "IDR", rp(2_000_000), rp(2_000_000), MBIZ_1),
        ("MZ3", "V-A", KEY["A"], "Dibatalkan", False, "ID", "IDR", rp(5_000_000), rp(5_000_000), MBIZ_2),
        ("MZ4", "V-B", KEY["B"], "Selesai", True, "ID", "IDR", rp(4_000_000), rp(4_000_000), MBIZ_2),
        ("MZ5", "V-X", None, "Selesai", True, "ID", "IDR", rp(3_000_000), rp(3_000_000), MBIZ_2),
        ("MZ6", "V-Y", None, "Selesai", True, "ID", "IDR", rp(1_000_000), rp(1_000_000), MBIZ_2),
        ("MZ7", "V-Y", None, "Selesai", True, "ID", "IDR", rp(500_000), rp(500_000), MBIZ_2),
    ]


OUTCOME_COLUMNS = ("intervention_type, intervention_id, region_code, sector_code, window_days, n_umkm, n_registered, "
                   "n_active_before, n_active_after, n_orders_before, n_orders_after, turnover_before_idr, "
                   "turnover_after_idr")


def outcomes(warehouse, where: str) -> list[tuple]:
    return query(warehouse, f"select {OUTCOME_COLUMNS} from marts.mart_intervention_outcomes where {where} "
                            f"order by intervention_id, region_code nulls last")


def test_program_outcomes(warehouse):
    assert outcomes(warehouse, "intervention_type = 'program'") == [
        # A joined 1 March (windows 30 Jan - 28 Feb, 1 - 30 March): no order; F joined 1 June: GoFood
        # orders on 14 and 15 June after (23.000); 30 May - 31 May nothing before
        ("program", "gofood_banner_promo", "3372", "trade", 30, 1, 1, 0, 1, 0, 2, rp(0), rp(23_000)),
        ("program", "gofood_banner_promo", "3374", "food_beverage", 30, 1, 1, 0, 0, 0, 0, rp(0), rp(0)),
        # A joined 16 August: before (17 July - 15 August) MZ2 2.000.000 on Mbizmarket and T1 100.000 on
        # GoFood, any platform; after (16 August - 14 September) MZ1 10.000.000 and T2 250.000.
        # B joined 20 August: after (20 August - 18 September) MZ4 4.000.000; nothing before.
        ("program", "mbizmarket_pbj", "3374", "food_beverage", 30, 2, 2, 1, 2, 2, 3, rp(2_100_000),
         rp(14_250_000)),
    ]


def test_activity_outcomes_with_an_absent_and_a_duplicate_registration(warehouse):
    assert outcomes(warehouse, "intervention_type = 'activity'") == [
        # C attended (region from the survey, over the form's); no merchant id in any enrollment:
        # in n_umkm, never active
        ("activity", "mbiz-pbj-2021-08", "3301", "fashion", 30, 1, 1, 0, 0, 0, 0, rp(0), rp(0)),
        # D registered and was absent: in n_registered only (region from the form, over the log's)
        ("activity", "mbiz-pbj-2021-08", "3320", "agriculture", 30, 0, 1, 0, 0, 0, 0, rp(0), rp(0)),
        # event 10 August: A's orders after (10 August - 8 September) are MZ2 on the event day, T1 and
        # MZ1 = 12.100.000; T10 (5 July) is before 11 July, T2 (10 September) after 8 September. B,
        # registered twice (Hadir on one row), counts once; its MZ4 (10 September) is in neither window.
        ("activity", "mbiz-pbj-2021-08", "3374", "food_beverage", 30, 2, 2, 0, 1, 0, 3, rp(0), rp(12_100_000)),
    ]


def test_promotion_outcomes(warehouse):
    assert outcomes(warehouse, "intervention_type = 'promotion'") == [
        # D shown on 30 August (in its group of dim_umkm: the form's region), E on 5 September, H on
        # 15 September (its log row has no region): none has linked orders
        ("promotion", "lapak_ganjar", "3320", "agriculture", 30, 1, 1, 0, 0, 0, 0, rp(0), rp(0)),
        ("promotion", "lapak_ganjar", "3325", "crafts", 30, 1, 1, 0, 0, 0, 0, rp(0), rp(0)),
        # A first shown 1 September (twice that day, again on 20 September): before (2 - 31 August)
        # MZ2, T1, MZ1 = 12.100.000; after (1 - 30 September) T2 250.000 (MZ3 was cancelled)
        ("promotion", "lapak_ganjar", "3374", "food_beverage", 30, 1, 1, 1, 1, 3, 1, rp(12_100_000), rp(250_000)),
        ("promotion", "lapak_ganjar", None, None, 30, 1, 1, 0, 0, 0, 0, rp(0), rp(0)),
    ]
    [(n_rows,)] = query(warehouse, "select count(*) from marts.mart_intervention_outcomes")
    assert n_rows == 10


def test_ppkm_darurat_and_its_baseline(warehouse):
    rows = query(warehouse, "select period_name, start_date, end_date, n_days, platform, region_code, sector_code, "
                            "n_orders_during, n_active_umkm_during, turnover_during_idr, n_orders_baseline, "
                            "n_active_umkm_baseline, turnover_baseline_idr from marts.mart_restriction_periods "
                            "where period_id = 'ppkm_darurat' order by platform, region_code nulls last")
    darurat = ("PPKM Darurat Jawa-Bali", D(2021, 7, 3), D(2021, 7, 20), 18)
    assert rows == [
        # 18 days: baseline 15 June - 2 July. F: T4 (15 June) and T5 (2 July) baseline 25.000; T6 (3 July)
        # and T7 (20 July) during 29.000; T3 (14 June) and T8 (21 July) outside; T9 cancelled
        (*darurat, "gofood", "3372", "trade", 2, 1, rp(29_000), 2, 1, rp(25_000)),
        (*darurat, "gofood", "3374", "food_beverage", 1, 1, rp(50_000), 0, 0, rp(0)),
        # vendors in no enrollment, counted by their ids: V-X once, V-Y twice
        (*darurat, "mbizmarket", None, None, 3, 2, rp(4_500_000), 0, 0, rp(0)),
    ]
    # the Jan-Feb 2021 periods have no counted order in either window: no rows
    assert query(warehouse, "select distinct period_id from marts.mart_restriction_periods") == [("ppkm_darurat",)]


def test_dim_umkm_precedence_across_the_four_sources(warehouse):
    rows = query(warehouse, "select umkm_key, business_name, region_code, sector_code, scale, first_seen_date "
                            "from marts.dim_umkm order by umkm_key")
    assert rows == [
        # the registry wins over the survey, the form and the log, though they all landed later
        (KEY["A"], "Usaha A", "3374", "food_beverage", "mikro", D(2021, 3, 1)),
        # first seen at its registration for the training, before it joined the program
        (KEY["B"], "Usaha B", "3374", "food_beverage", None, D(2021, 8, 3)),
        # the survey over the form (which landed later)
        (KEY["C"], "Survei C", "3301", "fashion", "kecil", D(2021, 3, 12)),
        # the form over the log (which landed later); first seen when it registered, before it was shown
        (KEY["D"], "Formulir D", "3320", "agriculture", None, D(2021, 8, 4)),
        (KEY["E"], "Lapak E", "3325", "crafts", None, D(2021, 9, 5)),
        (KEY["F"], "Usaha F", "3372", "trade", None, D(2021, 6, 1)),
        (KEY["H"], "Lapak H", None, None, None, D(2021, 9, 15)),
    ]


def test_dim_activity(warehouse):
    rows = query(warehouse, "select activity_id, kind, mode, start_date, end_date from marts.dim_activity "
                            "order by start_date")
    assert len(rows) == 8 and rows[0] == ("lapak_ganjar", "promosi", "daring", D(2020, 4, 1), D(2023, 9, 5))
    assert ("mbiz-pbj-2021-08", "pelatihan", "daring", D(2021, 8, 10), D(2021, 8, 12)) in rows


def test_no_personal_data_outside_raw(warehouse):
    relations = query(warehouse, "select table_schema, table_name from information_schema.tables "
                                 "where table_schema <> 'raw'")
    assert {"mart_intervention_outcomes", "mart_restriction_periods", "dim_activity"} <= {t for _, t in relations}
    for schema, table in relations:
        text = str(query(warehouse, f'select * from "{schema}"."{table}"'))
        assert not [p for p in PII if p in text], f"personal data in {schema}.{table}"
    columns = query(warehouse, "select table_schema, table_name, column_name from information_schema.columns "
                               "where table_schema <> 'raw'")
    assert not [c for c in columns if c[2] in PERSONAL_COLUMNS]


# ---------------------------------------------------------------- the GX suites of the new marts

def validate(path: Path, *targets):
    from quality.validate import validate_targets

    con = duckdb.connect(str(path), read_only=True)
    try:
        return {r.target.table: r for r in validate_targets(con, targets, today=D(2022, 6, 30))}
    finally:
        con.close()


def test_gx_suites_pass_on_the_built_marts(warehouse):
    from quality import intervention_suites as s
    from quality.mart_suites import FCT_ORDERS
    from quality.rules import ERROR, WARN

    results = validate(warehouse, FCT_ORDERS, *s.INTERVENTION_TARGETS)
    for result in results.values():
        assert not result.failures(ERROR), [o.rule for o in result.failures(ERROR)]
        assert not [o for o in result.outcomes if o.error], [o.error for o in result.outcomes if o.error]
    # MZ5-MZ7 come from vendors in no enrollment: allowed, and worth a look
    assert [o.rule for o in results["fct_orders"].failures(WARN)] == [
        "expect_column_values_to_be_in_set(counted_merchant_enrolled)"]
    assert not [r for r in results.values() if r.target.table != "fct_orders" and r.failures(WARN)]


def test_gx_blocks_total_pesanan_and_more_active_than_umkm(warehouse, tmp_path):
    from quality import intervention_suites as s
    from quality.mart_suites import FCT_ORDERS
    from quality.rules import ERROR

    copy = tmp_path / "tampered.duckdb"
    copy.write_bytes(warehouse.read_bytes())
    con = duckdb.connect(str(copy))
    con.execute("update marts.fct_orders set amount_idr = 11100000 where order_id = 'MZ1'")   # Total Pesanan
    con.execute("update marts.mart_intervention_outcomes set n_active_after = 3 "
                "where intervention_type = 'program' and intervention_id = 'mbizmarket_pbj'")
    con.execute("update marts.mart_restriction_periods set turnover_baseline_idr = 0 where platform = 'gofood'")
    con.close()
    results = validate(copy, FCT_ORDERS, s.INTERVENTION_OUTCOMES, s.RESTRICTION_PERIODS)
    failed = {t: {o.rule for o in r.failures(ERROR)} for t, r in results.items()}
    assert "expect_column_pair_values_to_be_equal(amount_idr, winning_subtotal)" in failed["fct_orders"]
    assert {"expect_column_pair_values_a_to_be_greater_than_b(n_umkm, n_active_after)",
            "expect_column_pair_values_to_be_equal(n_active_after, windows_n_active_after)"} <= \
        failed["mart_intervention_outcomes"]
    assert failed["mart_restriction_periods"] == {
        "expect_column_pair_values_to_be_equal(turnover_baseline_idr, recomputed_turnover_baseline_idr)"}


def test_gx_recomputes_the_windows_of_the_umkm_the_build_recomputed(warehouse, tmp_path):
    """The windows reconciliation covers the windows of int_umkm_changed (every window after a
    full build): a wrong window in it blocks; one outside the scope is left to the runs that
    recompute it. The mart, not rebuilt here, no longer equals its windows: that check is whole."""
    from quality import intervention_suites as s
    from quality.rules import ERROR
    from quality.scope import Scope
    from quality.validate import validate_targets

    copy = tmp_path / "windows.duckdb"
    copy.write_bytes(warehouse.read_bytes())
    con = duckdb.connect(str(copy))
    [wrong, other] = con.execute("select umkm_key from intermediate.int_intervention_windows "
                                 "where is_treated and n_orders_after > 0 order by umkm_key limit 2").fetchall()
    con.execute("update intermediate.int_intervention_windows set n_orders_after = n_orders_after + 1, "
                "turnover_after_idr = turnover_after_idr + 1 where umkm_key in (?, ?)", [wrong[0], other[0]])
    con.execute("insert into intermediate.int_umkm_changed values (?, null)", [wrong[0]])   # all its windows
    con.close()

    def failed(scope):
        con = duckdb.connect(str(copy), read_only=True)
        try:
            [result] = validate_targets(con, (s.INTERVENTION_OUTCOMES,), today=D(2022, 6, 30),
                                        scopes={s.INTERVENTION_OUTCOMES.relation: scope})
        finally:
            con.close()
        return {o.rule for o in result.failures(ERROR)}

    windows_rules = {"expect_column_pair_values_to_be_equal(n_orders_after, recomputed_n_orders_after)",
                     "expect_column_pair_values_to_be_equal(turnover_after_idr, recomputed_turnover_after_idr)"}
    mart_rules = {"expect_column_pair_values_to_be_equal(n_orders_after, windows_n_orders_after)",
                  "expect_column_pair_values_to_be_equal(n_active_after, windows_n_active_after)",
                  "expect_column_pair_values_to_be_equal(turnover_after_idr, windows_turnover_after_idr)"}
    assert failed(Scope("umkm")) == windows_rules | mart_rules
    assert failed(Scope("umkm", everything=True)) == windows_rules | mart_rules   # after a full build
    con = duckdb.connect(str(copy))
    [(event,)] = con.execute("select min(event_date) from intermediate.int_intervention_windows where umkm_key = ? "
                             "and turnover_after_idr > 1", [wrong[0]]).fetchall()
    con.execute("update intermediate.int_umkm_changed set order_date = ? + 10", [event])   # inside that window
    con.close()
    assert failed(Scope("umkm")) == windows_rules | mart_rules
    con = duckdb.connect(str(copy))
    con.execute("update intermediate.int_umkm_changed set order_date = date '2030-01-01'")   # no window of it
    con.close()
    assert failed(Scope("umkm")) == mart_rules
    con = duckdb.connect(str(copy))
    con.execute("delete from intermediate.int_umkm_changed")
    con.close()
    assert failed(Scope("umkm")) == mart_rules          # neither UMKM recomputed by this build
