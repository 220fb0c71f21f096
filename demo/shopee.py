"""Shopee Seller Centre `Order.all` exports, one per shop and month, xlsx or csv (only csv with
`csv_only`), in the older and the newer column layouts (Seller Centre changed it in March 2022)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from demo.cells import (DAY, WIB, _at, _buffer_bytes, _cat, _day, _digits, _fixed, _fmt_time, _grouped, _join_chars,
                        _month_index, _month_start, _pick, _select, _str, _take, _where, _ymd)
from demo.common import FEMALE_FIRST, FEMALE_LAST, MALE_FIRST, MALE_LAST, _World
from demo.files import XLSX_MAX_ROWS, _Landing, _csv_header, _csv_lines, _table_xcols, _xlsx_package, _xlsx_sheets
from demo.shopee_orders import (BUYER_CITIES, BUYER_NOTES, SHOPEE_COURIERS, SHOPEE_PAYMENTS, STREETS, _Shopee,
                                _shopee_data)


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
    cut: float | None = None         # a download cut short: this share of the bytes (0: an empty file)

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
                    csv = (("\ufeff" if exports[i].bom else "") + head).encode("utf-8") + body
                    rendered[i] = csv if exports[i].cut is None else csv[: int(len(csv) * exports[i].cut)]
                continue
            numeric = {c: np.ones(len(line), bool) for c in SHOPEE_COUNTS} | {c: ~money_text for c in SHOPEE_MONEY}
            sheets = _xlsx_sheets(_table_xcols(table, numeric), sizes)
            for k, i in enumerate(members):
                body = _buffer_bytes(sheets.rows.slice(starts[k], sizes[k]))
                xlsx = _xlsx_package(header, int(sizes[k]), body, sheets.strings[k], sheets.counts[k], "orders",
                                     exports[i].as_of, creator="Shopee")
                rendered[i] = xlsx if exports[i].cut is None else xlsx[: int(len(xlsx) * exports[i].cut)]
    return rendered


def _shopee_exports(data: _Shopee, world: _World, csv_only: bool = False):
    """Every export, shop by shop, in the order the office received them.

    `csv_only`: every export is a csv file, as Seller Centre's older exports were. The draws are
    the same either way, so are the orders, the cut into files and the delivery times."""
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
        csv_file = csv_only or csv_file or data.line_bounds[b] - data.line_bounds[a] > XLSX_MAX_ROWS
        if csv_only and cut is not None:
            cut = 0.0                             # a failed csv download: an empty file, quarantined too
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


def _write_shopee(out: _Landing, world: _World, batch_lines: int = 50_000, csv_only: bool = False) -> None:
    data = _shopee_data(world)
    out.count("shopee", orders=len(data.orders), order_lines=len(data.lines), shops=len(data.shop_ids))
    batch: list[_Export] = []

    def flush():
        for e, payload in zip(batch, _render_shopee(data, batch)):
            out.put(e.path, payload, e.as_of, int(data.line_bounds[e.b] - data.line_bounds[e.a]), e.kind)
        batch.clear()

    size = 0
    for e in _shopee_exports(data, world, csv_only):
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
    lock = "Bidang UMKM,bidang-umkm,PC-UMKM-03,16.12.2022 09:05,file:///C:/Users/umkm/AppData/Roaming/LibreOffice/4;"
    out.put(f"shopee/{data.shop_ids[0]}/.~lock.Order.all.20221201_20221215.{'csv' if csv_only else 'xlsx'}#",
            lock.encode(), _at(2022, 12, 16, 9, 5), kind="ignored")
