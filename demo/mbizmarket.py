"""Mbizmarket vendor order exports (government procurement) of the vendors the office trained:
one export a month of the last two months from the partner dashboard, so every order shows up
twice, its status moving on (`Dikirim` -> `Diterima` -> `Selesai`); csv with `Rp` money in 2021,
xlsx with date cells in the first half of 2022, then Excel's `;` csv with `12.500.000,00`."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from demo.cells import (DAY, WIB, _at, _cat, _daily_weights, _day, _digits, _excel_serial, _fmt_time, _grouped,
                        _join_chars, _month_index, _month_start, _pick, _replace, _sample_days, _select, _str, _where,
                        _ymd)
from demo.common import (FEMALE_FIRST, FEMALE_LAST, MALE_FIRST, MALE_LAST, MBIZ_PER_SCALE, _Population, _World,
                         _bad_rows, _few)
from demo.files import DATETIME, _Landing, _csv_bytes, _table_xcols, _xlsx_bytes, _XCol

MBIZ_COLUMNS = ["No. Pesanan", "Tanggal Pesanan", "ID Vendor", "Nama Vendor", "Instansi Pembeli", "Satuan Kerja",
                "Subtotal", "PPN", "Ongkos Kirim", "Total Pesanan", "Status Pesanan", "Nama PIC Pembeli",
                "Email PIC", "No. HP PIC"]
MBIZ_MONEY = ["Subtotal", "PPN", "Ongkos Kirim", "Total Pesanan"]
MBIZ_STATUS = ["Menunggu Konfirmasi", "Diproses", "Dikirim", "Diterima", "Selesai", "Dibatalkan", "Ditolak"]
WAITING, PROCESSING, SHIPPED, RECEIVED, DONE, CANCELLED, REJECTED = range(7)
MBIZ_FIRST_DAY, MBIZ_LAST_DAY = _day(2021, 5, 1), _day(2022, 12, 15)
PPN_11_FROM = _at(2022, 4, 1)                # VAT went from 10% to 11% on 1 April 2022
AGENCIES = [  # (Instansi Pembeli, e-mail domain)
    ("Dinas Pendidikan dan Kebudayaan Provinsi Jawa Tengah", "jatengprov.go.id"),
    ("Dinas Koperasi dan UKM Provinsi Jawa Tengah", "jatengprov.go.id"),
    ("Dinas Kesehatan Provinsi Jawa Tengah", "jatengprov.go.id"),
    ("Badan Pendapatan Daerah Provinsi Jawa Tengah", "jatengprov.go.id"),
    ("Sekretariat Daerah Provinsi Jawa Tengah", "jatengprov.go.id"),
    ("RSUD Dr. Moewardi", "rsmoewardi.jatengprov.go.id"), ("RSUD Tugurejo", "rsudtugurejo.jatengprov.go.id"),
    ("Pemerintah Kota Semarang", "semarangkota.go.id"), ("Pemerintah Kota Surakarta", "surakarta.go.id"),
    ("Pemerintah Kabupaten Kudus", "kuduskab.go.id"), ("Pemerintah Kabupaten Banyumas", "banyumaskab.go.id"),
    ("Pemerintah Kabupaten Klaten", "klatenkab.go.id"), ("Pemerintah Kabupaten Jepara", "jepara.go.id"),
    ("Kantor Wilayah Kementerian Agama Provinsi Jawa Tengah", "kemenag.go.id"),
    ("Universitas Negeri Semarang", "mail.unnes.ac.id")]
UNITS = ["Sekretariat", "Bagian Umum", "Subbagian Keuangan", "Subbagian Umum dan Kepegawaian", "Bidang Pembinaan SMA",
         "Bidang Perdagangan", "UPT Pengelolaan Aset", "Instalasi Gizi", "SMA Negeri 1", "SMK Negeri 2", "Puskesmas",
         "Kecamatan", "Bagian Protokol", "Unit Layanan Pengadaan"]


def _mbiz_orders(world: _World) -> pd.DataFrame:
    """The vendors' orders, as numbers, in time order. A vendor sells from its `sell_from` day on
    (weeks after its training); buyers order on working days, more at the end of the budget year."""
    rng = world.rng("mbizmarket")
    vendors = world.mbiz
    n_days = MBIZ_LAST_DAY - MBIZ_FIRST_DAY + 1
    start = np.clip(vendors["sell_from"].to_numpy() - MBIZ_FIRST_DAY, 0, n_days - 1)
    weight = vendors["rate"].to_numpy() * (n_days - start)
    n = MBIZ_PER_SCALE * world.scale
    who = np.repeat(np.arange(len(vendors)), rng.multinomial(n, weight / weight.sum()))
    year_end = [(_day(y, 11, 1), _day(y, 12, 20), 1.8) for y in (2021, 2022)] + [(_day(2022, 1, 1), _day(2022, 1, 31),
                                                                                 0.5)]
    day = MBIZ_FIRST_DAY + _sample_days(rng, start[who], np.full(n, n_days),
                                        _daily_weights(MBIZ_FIRST_DAY, n_days, year_end, 0.08))
    # a new vendor's first weeks: the office introduces it to buyers, and a fifth of its orders come then
    first_weeks = rng.random(n) < 0.2
    day = np.where(first_weeks, MBIZ_FIRST_DAY + np.minimum(start[who] + rng.integers(0, 21, n), n_days - 1), day)
    created = day * DAY + rng.integers(8 * 3600, 16 * 3600, n) - WIB
    created -= created % 60
    subtotal = np.clip(np.round(4_500_000 * np.exp(rng.normal(0, 0.9, n)) / 1000) * 1000, 150_000, 250_000_000)
    subtotal = subtotal.astype(np.int64)
    vat = subtotal * np.where(created >= PPN_11_FROM, 11, 10) // 100
    shipping = np.where(rng.random(n) < 0.55, 0, rng.choice([15_000, 25_000, 35_000, 50_000, 75_000, 100_000, 150_000,
                                                             250_000], n))
    confirmed = created + rng.integers(1800, 2 * DAY, n)
    shipped = confirmed + rng.integers(DAY // 2, 6 * DAY, n)
    received = shipped + rng.integers(DAY // 2, 5 * DAY, n)
    frame = pd.DataFrame({
        "vendor": who, "created": created, "subtotal": subtotal, "vat": vat, "shipping": shipping,
        "fate": rng.choice(3, n, p=[0.88, 0.07, 0.05]),        # completed, cancelled by the buyer, refused
        "confirmed": confirmed, "shipped": shipped, "received": received,
        "completed": received + rng.integers(DAY, 14 * DAY, n),
        "agency": rng.integers(0, len(AGENCIES), n), "unit": rng.integers(0, len(UNITS), n),
        "female": rng.random(n) < 0.5, "r_first": rng.integers(0, 1 << 30, n), "r_last": rng.integers(0, 1 << 30, n),
        "gmail": rng.random(n) < 0.3,
        "phone": 8 * 10**10 + rng.choice(_Population.PHONE_OPERATORS, n) * 10**8 + rng.integers(0, 10**8, n),
    }).sort_values("created", kind="stable").reset_index(drop=True)
    frame["serial"] = np.arange(n) * 7 + rng.integers(0, 7, n) + 10_000    # PO-<yymm>-<serial>
    return frame


def _mbiz_table(world: _World, orders: pd.DataFrame, as_of: int, layout: str, cv: np.ndarray) -> tuple[dict, list]:
    """The export of `orders` as the dashboard showed them at `as_of`: the table, and its xlsx columns."""
    n = len(orders)
    vendors = world.mbiz
    vendor = orders["vendor"].to_numpy()
    fate = orders["fate"].to_numpy()
    reached = {name: as_of >= orders[name].to_numpy() for name in ("confirmed", "shipped", "received", "completed")}
    status = np.select([~reached["confirmed"], fate == 1, fate == 2, reached["completed"], reached["received"],
                        reached["shipped"]], [WAITING, CANCELLED, REJECTED, DONE, RECEIVED, SHIPPED], PROCESSING)
    created = orders["created"].to_numpy()
    pop = vendors["pop"].to_numpy()[vendor]
    name = world.pop.business_names(pop)
    female, r_first, r_last = (orders[c].to_numpy() for c in ("female", "r_first", "r_last"))
    first = _where(female, _pick(FEMALE_FIRST, r_first), _pick(MALE_FIRST, r_first))
    last = _where(female, _pick(FEMALE_LAST, r_last), _pick(MALE_LAST, r_last))
    agency = orders["agency"].to_numpy()
    domain = _where(orders["gmail"].to_numpy(), "gmail.com", _pick([d for _, d in AGENCIES], agency))
    subtotal, vat, shipping = (orders[c].to_numpy() for c in ("subtotal", "vat", "shipping"))
    amounts = {"Subtotal": subtotal, "PPN": vat, "Ongkos Kirim": shipping, "Total Pesanan": subtotal + vat + shipping}
    if layout == "xlsx":
        money = {column: _str(values) for column, values in amounts.items()}
    elif layout == "rp":
        money = {column: _cat("Rp ", _grouped(values)) for column, values in amounts.items()}
    else:
        money = {column: _cat(_grouped(values), ",00") for column, values in amounts.items()}
    month = _month_index((created + WIB) // DAY)
    number = _join_chars(["PO-", _digits(month // 12 - 30, 2), _digits(month % 12 + 1, 2), "-",
                          _digits(orders["serial"].to_numpy(), 7)], n)                     # PO-2108-0010123
    table = {
        "No. Pesanan": number,
        "Tanggal Pesanan": _fmt_time(created + WIB, "%Y-%m-%d %H:%M" if layout == "decimal" else "%d/%m/%Y %H:%M"),
        "ID Vendor": world.merchant_ids(vendors.iloc[vendor]),
        "Nama Vendor": _where(cv[vendor], _cat("CV ", pc.utf8_upper(name)), name),
        "Instansi Pembeli": _pick([a for a, _ in AGENCIES], agency),
        "Satuan Kerja": _pick(UNITS, orders["unit"].to_numpy()),
        **money,
        "Status Pesanan": _pick(MBIZ_STATUS, status),
        "Nama PIC Pembeli": _cat(first, " ", last),
        "Email PIC": _cat(pc.utf8_lower(first), ".", pc.utf8_lower(last), "@", domain),
        "No. HP PIC": _cat("0", _str(orders["phone"].to_numpy())),
    }
    return table, amounts


def _exports() -> list[tuple[int, int, int, str]]:
    """(first day, last day, as_of, layout) of every export: the first one reaches back to May 2021,
    then each month's export holds the last two months; the last one, the first half of December."""
    exports = [(MBIZ_FIRST_DAY, _day(2021, 8, 31), _at(2021, 9, 3, 10, 17, 41))]
    for month in range(int(_month_index(_day(2021, 9, 1))), int(_month_index(_day(2022, 11, 1))) + 1):
        lo, hi = _month_start(month - 1), _month_start(month + 1) - 1
        exports.append((lo, hi, (hi + 4) * DAY - WIB + 10 * 3600 + 17 * 60 + 41))
    exports.append((_day(2022, 11, 1), MBIZ_LAST_DAY, _at(2022, 12, 16, 14, 5, 41)))
    return [(lo, hi, as_of, "rp" if as_of < _at(2022, 1, 1) else "xlsx" if as_of < _at(2022, 7, 1) else "decimal")
            for lo, hi, as_of in exports]


def _write_mbizmarket(out: _Landing, world: _World) -> None:
    orders = _mbiz_orders(world)
    rng = world.rng("mbizmarket-files")
    cv = rng.random(len(world.mbiz)) < 0.3                   # vendors registered under their CV's name
    out.count("mbizmarket", orders=len(orders), vendors=int((np.bincount(orders["vendor"]) > 0).sum()))
    created = orders["created"].to_numpy()
    exports = _exports()
    bounds = [(int(np.searchsorted(created, lo * DAY - WIB)), int(np.searchsorted(created, (hi + 1) * DAY - WIB)))
              for lo, hi, _, _ in exports]
    total_rows = sum(b - a for a, b in bounds)
    # a few rows that break the contract: Total Pesanan without the PPN, a negative shipping cost, a status
    # Mbizmarket does not have
    inconsistent, negative, unknown = _bad_rows(rng, total_rows, _few(total_rows, 150), _few(total_rows, 300, 1),
                                                _few(total_rows, 300, 1))
    out.count("mbizmarket", bad_inconsistent_total=len(inconsistent), bad_negative_amount=len(negative),
              bad_unknown_status=len(unknown))
    offset = 0
    for (lo, hi, as_of, layout), (a, b) in zip(exports, bounds):
        table, amounts = _mbiz_table(world, orders.iloc[a:b], as_of, layout, cv)
        n = b - a
        local = {kind: rows[(rows >= offset) & (rows < offset + n)] - offset
                 for kind, rows in (("inconsistent", inconsistent), ("negative", negative), ("unknown", unknown))}
        offset += n
        table = _break_rows(table, amounts, local, layout)
        path = f"mbizmarket/pesanan_vendor_binaan_{_ymd(lo)}_{_ymd(hi)}.{'xlsx' if layout == 'xlsx' else 'csv'}"
        if layout == "xlsx":
            columns = _table_xcols(table, {c: np.ones(n, bool) for c in MBIZ_MONEY})
            date = MBIZ_COLUMNS.index("Tanggal Pesanan")
            columns[date] = _XCol(_excel_serial(orders["created"].to_numpy()[a:b] + WIB), np.full(n, DATETIME, np.int8))
            data = _xlsx_bytes(MBIZ_COLUMNS, columns, "Pesanan", as_of, creator="Mbizmarket")
        elif layout == "rp":
            data = _csv_bytes(table)
        else:
            data = _csv_bytes(table, sep=";", bom=True, line="\r\n")
        out.put(path, data, as_of, n)


def _break_rows(table: dict, amounts: dict, rows: dict, layout: str) -> dict:
    def money(values):
        values = np.asarray(values, dtype=np.int64)
        if layout == "xlsx":
            return _str(values)
        text = _grouped(values)
        return _cat("Rp ", text) if layout == "rp" else _cat(text, ",00")

    bad = rows["inconsistent"]
    without_vat = amounts["Subtotal"][bad] + amounts["Ongkos Kirim"][bad]
    table["Total Pesanan"] = _replace(table["Total Pesanan"], bad, money(without_vat))
    bad = rows["negative"]
    shipping = np.where(amounts["Ongkos Kirim"][bad] > 0, amounts["Ongkos Kirim"][bad], 25_000)
    table["Ongkos Kirim"] = _replace(table["Ongkos Kirim"], bad, money(-shipping))
    table["Total Pesanan"] = _replace(table["Total Pesanan"], bad,
                                      money(amounts["Subtotal"][bad] + amounts["PPN"][bad] - shipping))
    table["Status Pesanan"] = _replace(table["Status Pesanan"], rows["unknown"],
                                       _select([np.arange(len(rows["unknown"])) % 2 == 0], ["Dikomplain"], "Retur"))
    return table
