"""The program registry kept by the SME office: xlsx and csv files, typed by its staff."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from demo.cells import DAY, _LS, _at, _cat, _day, _fmt_time, _np, _pick, _replace, _str, _where
from demo.common import GOSHOP, PROGRAMS, SHOPEE, UVO, _World
from demo.files import DATE, NUMBER, _Landing, _XCol, _csv_bytes, _table_xcols, _xlsx_bytes


ENROLL_COLUMNS = ["program_id", "nik_pemilik", "nib", "nama_usaha", "kode_kabkota", "kabupaten_kota",
                  "sektor_usaha", "platform_merchant_id", "tanggal_bergabung"]
# what the office's staff type into the registry for the same sectors
SECTOR_TYPED = [["Makanan dan Minuman", "Kuliner", "makanan_minuman", "Makanan & Minuman"],
                ["Perdagangan", "perdagangan"], ["Jasa", "jasa"], ["Kerajinan", "kerajinan"],
                ["Fashion", "Busana", "fashion"], ["Pertanian", "Pertanian dan Perikanan"], ["Lainnya"]]


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
    out.count("enrollment", participants=len(e) + len(world.mbiz))
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

    # 5. Mbizmarket vendors (program mbizmarket_pbj), from a generator of their own: the first cohort
    #    as a plain csv after its training, the second as xlsx
    rng = world.rng("enrollment-files-mbiz")
    mbiz = world.mbiz.sort_values(["joined", "merchant"], kind="stable")
    rows = mbiz[mbiz["cohort"] == 0]
    table, _ = _enrollment_frame(world, rows, rng, "dmy")
    out.put("enrollment/peserta_mbizmarket_pbj_angkatan1.csv", _csv_bytes(table), _at(2021, 9, 6, 13, 12, 29),
            len(rows))
    rows = mbiz[mbiz["cohort"] == 1]
    _, columns = _enrollment_frame(world, rows, rng, "xlsx")
    when = _at(2022, 3, 14, 9, 21, 37)
    out.put("enrollment/peserta_mbizmarket_pbj_angkatan2.xlsx",
            _xlsx_bytes(ENROLL_COLUMNS, columns, "Peserta", when, creator="Bidang UMKM"), when, len(rows))
