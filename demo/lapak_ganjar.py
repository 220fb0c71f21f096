"""The Lapak Ganjar log the staff keep: one row per UMKM shown on the Governor's social-media
storefront on a day of 2021, a file a quarter (xlsx with date cells, csv with `dd/mm/yyyy`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from demo.cells import (DAY, _at, _cat, _day, _fmt_time, _join_chars, _month_index, _np, _pick, _random_chars, _str,
                        _where)
from demo.common import _World, _bad_rows, _few
from demo.files import DATE, _Landing, _csv_bytes, _table_xcols, _xlsx_bytes, _XCol
from demo.shopee_orders import SHOPEE_PRODUCTS
from demo.training import FORM_SECTORS

LAPAK_COLUMNS = ["Tanggal Tayang", "NIK Pemilik", "NIB", "Nama Usaha", "Kabupaten/Kota", "Bidang Usaha", "Produk",
                 "Tautan Unggahan"]
_POST_ID = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", dtype=np.uint8)
_PRODUCTS = [name for products in SHOPEE_PRODUCTS for name, _ in products]
_PRODUCT_COUNT = np.array([len(products) for products in SHOPEE_PRODUCTS])
_PRODUCT_START = np.cumsum(_PRODUCT_COUNT) - _PRODUCT_COUNT
LAPAK_QUARTERS = [  # (file, xlsx?, csv delimiter, delivered)
    ("lapak_ganjar/log_lapak_ganjar_2021_Q1.xlsx", True, ",", _at(2021, 4, 6, 11, 8, 19)),
    ("lapak_ganjar/log_lapak_ganjar_2021_Q2.csv", False, ",", _at(2021, 7, 5, 11, 14, 47)),
    ("lapak_ganjar/log_lapak_ganjar_2021_Q3.xlsx", True, ",", _at(2021, 10, 5, 10, 52, 3)),
    ("lapak_ganjar/log_lapak_ganjar_2021_Q4.csv", False, ";", _at(2022, 1, 6, 9, 31, 57)),
]


def _log_rows(world: _World, rng) -> tuple[pd.DataFrame, dict]:
    """The promotions as the log holds them: a few UMKM written twice on a day (two products that
    day), and a few rows typed wrong: a year 2012 for 2021 (`bad` 1), no NIK nor NIB (`bad` 2)."""
    promotions = world.promotions
    n = len(promotions)
    twice, wrong_year, no_id = _bad_rows(rng, n, _few(n, 100, 4), _few(n, 250), _few(n, 250))
    extra = promotions.iloc[np.concatenate([twice, wrong_year, no_id])].copy()
    extra["bad"] = np.repeat([0, 1, 2], [len(twice), len(wrong_year), len(no_id)])
    frame = pd.concat([promotions.assign(bad=0), extra], ignore_index=True)
    frame = frame.sort_values(["day", "pop", "bad"], kind="stable").reset_index(drop=True)
    return frame, {"same_day_twice": len(twice), "bad_implausible_date": len(wrong_year),
                   "bad_missing_identifier": len(no_id)}


def _month_start_days(month_index: np.ndarray) -> np.ndarray:
    return np.asarray(month_index).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def _lapak_table(world: _World, rows: pd.DataFrame, xlsx: bool, rng) -> tuple[dict, list]:
    pop, e = world.pop, world.enrolled
    idx = rows["pop"].to_numpy()
    n = len(rows)
    bad = rows["bad"].to_numpy()
    # UMKM the registry knows by NIB only are logged by NIB only, so they stay one UMKM
    nib_only = np.zeros(pop.n, bool)
    nib_only[e["pop"].to_numpy()[e["nib_only"].to_numpy()]] = True
    nib_only = nib_only[idx]
    day = rows["day"].to_numpy()
    month = _month_index(day)
    typo = _month_start_days(month - 108) + (day - _month_start_days(month))          # 2021 typed as 2012
    shown = np.where(bad == 1, typo, day)
    sector = pop.sector[idx]
    region_code, region_name = pop.region_cells(idx, rng, p_code=0.05, p_both=0.0)
    has_nib = pop.has_nib[idx] & (nib_only | (rng.random(n) < 0.5)) & (bad != 2)
    table = {
        "Tanggal Tayang": _fmt_time(shown * DAY, "%d/%m/%Y"),
        "NIK Pemilik": _where(nib_only | (bad == 2), "", pop.nik_text(idx, rng, p_apostrophe=0 if xlsx else 0.05)),
        "NIB": _where(has_nib, _str(pop.nib[idx]), ""),
        "Nama Usaha": pop.business_names(idx),
        "Kabupaten/Kota": _where(_np(pc.equal(region_code, "")), region_name, region_code),
        "Bidang Usaha": _pick(FORM_SECTORS[0], sector),
        "Produk": _pick(_PRODUCTS, _PRODUCT_START[sector] + rng.integers(0, 1000, n) % _PRODUCT_COUNT[sector]),
        "Tautan Unggahan": _cat("https://www.instagram.com/p/", _join_chars([_random_chars(rng, n, 11, _POST_ID)], n),
                                "/"),
    }
    columns = []
    if xlsx:
        columns = _table_xcols(table)
        columns[0] = _XCol(_str(shown - _day(1899, 12, 30)), np.full(n, DATE, np.int8))
    return table, columns


def _write_lapak_ganjar(out: _Landing, world: _World) -> None:
    rng = world.rng("lapak-ganjar-files")
    promotions = world.promotions
    out.count("lapak_ganjar", promotions=len(promotions), umkm=promotions["pop"].nunique())
    frame, counts = _log_rows(world, rng)
    out.count("lapak_ganjar", **counts)
    quarter = (_month_index(frame["day"].to_numpy()) - _month_index(_day(2021, 1, 1))) // 3
    for q, (path, xlsx, sep, when) in enumerate(LAPAK_QUARTERS):
        rows = frame[quarter == q]
        table, columns = _lapak_table(world, rows, xlsx, rng)
        if xlsx:
            data = _xlsx_bytes(LAPAK_COLUMNS, columns, "Log", when, creator="Bidang UMKM")
        else:
            data = _csv_bytes(table, sep=sep, bom=sep == ";", line="\r\n" if sep == ";" else "\n")
        out.put(path, data, when, len(rows))

