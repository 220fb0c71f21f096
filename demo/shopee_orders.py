"""Shopee's orders behind the Seller Centre exports: the shops that send them, their catalogues,
buyers, orders and order lines, as numbers (`demo.shopee` renders them)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from demo.cells import (DAY, WIB, _ALNUM, _cat, _daily_weights, _day, _digits, _distinct_ints, _join_chars, _pick,
                        _random_chars, _sample_days, _str, _take)
from demo.common import SHOPEE, SHOPEE_PER_SCALE, _World


SHOPEE_PRODUCTS = [  # (name, base price) by sector index
    [("Keripik Tempe Original 250gr", 18000), ("Sambal Bawang Botol 150ml", 25000),
     ("Bandeng Presto Vakum isi 3", 65000), ("Kopi Robusta Temanggung 200gr", 45000),
     ("Wingko Babat isi 10", 30000), ("Lumpia Semarang Frozen isi 5", 55000),
     ("Madu Randu 500gr", 85000), ("Emping Melinjo 500gr", 60000), ("Brownies Kukus", 40000),
     ("Kerupuk Rambak 200gr", 22000), ("Teh Tubruk Slawi 100gr", 15000), ("Jenang Kudus 500gr", 35000)],
    [("Paket Sembako Hemat", 120000), ("Minyak Goreng 2L", 32000), ("Gula Aren Cair 500ml", 28000),
     ("Beras Organik 5kg", 95000), ("Sabun Cuci Piring 800ml", 14000), ("Tisu Wajah 250s", 12000)],
    [("Voucher Laundry Kiloan 5kg", 35000), ("Jasa Jahit Kemeja", 90000), ("Cetak Undangan 100pcs", 250000),
     ("Servis Ganti LCD", 350000), ("Paket Rias Wisuda", 300000)],
    [("Tas Anyaman Pandan", 125000), ("Vas Gerabah Kasongan", 75000), ("Ukiran Jepara Mini", 175000),
     ("Topi Bambu", 45000), ("Tempat Tisu Kayu Jati", 65000), ("Miniatur Kapal Kayu", 210000),
     ("Dompet Tenun Troso", 85000), ("Keranjang Rotan", 95000)],
    [("Batik Tulis Lasem", 450000), ("Kemeja Batik Pria", 165000), ("Hijab Segi Empat Voal", 55000),
     ("Kain Lurik Klaten 2m", 120000), ("Daster Batik Cap", 75000), ("Sarung Tenun Goyor", 185000),
     ("Kaos Sablon Semarangan", 85000), ("Masker Kain Batik isi 3", 25000)],
    [("Bibit Cabai Rawit isi 50", 30000), ("Jamur Tiram Segar 1kg", 28000), ("Pupuk Organik Cair 1L", 40000),
     ("Lele Asap 250gr", 45000), ("Madu Klanceng 250ml", 120000)],
    [("Paket Usaha Rumahan", 150000), ("Stiker Custom 50pcs", 35000), ("Souvenir Gantungan Kunci", 8000)],
]
SHOPEE_VARIATIONS = ["", "Original", "Pedas", "Merah,L", "Hitam,M", "Biru,XL", "Navy,All Size",
                     "250gr", "500gr", "Small", "Large", "Coklat", "Motif A", "Motif B", "Hijau,S"]
SHOPEE_COURIERS = ["J&T Express", "JNE Reguler (Cashless)", "SiCepat REG", "Shopee Xpress Standard",
                   "AnterAja Reguler", "Ninja Xpress", "GrabExpress Instant"]
SHOPEE_PAYMENTS = ["ShopeePay", "COD (Bayar di Tempat)", "Transfer Bank", "SPayLater", "Indomaret", "Alfamart"]
BUYER_CITIES = [  # (Kota/Kabupaten, Provinsi, postal code prefix)
    ("KOTA SEMARANG", "JAWA TENGAH", 50), ("KOTA SURAKARTA (SOLO)", "JAWA TENGAH", 57),
    ("KAB. SEMARANG", "JAWA TENGAH", 50), ("KAB. KLATEN", "JAWA TENGAH", 57),
    ("KAB. BANYUMAS", "JAWA TENGAH", 53), ("KAB. KUDUS", "JAWA TENGAH", 59),
    ("KOTA JAKARTA SELATAN", "DKI JAKARTA", 12), ("KOTA JAKARTA TIMUR", "DKI JAKARTA", 13),
    ("KOTA JAKARTA BARAT", "DKI JAKARTA", 11), ("KOTA BANDUNG", "JAWA BARAT", 40),
    ("KOTA BEKASI", "JAWA BARAT", 17), ("KOTA DEPOK", "JAWA BARAT", 16), ("KAB. BOGOR", "JAWA BARAT", 16),
    ("KOTA TANGERANG", "BANTEN", 15), ("KOTA SURABAYA", "JAWA TIMUR", 60), ("KOTA MALANG", "JAWA TIMUR", 65),
    ("KAB. SLEMAN", "DI YOGYAKARTA", 55), ("KOTA YOGYAKARTA", "DI YOGYAKARTA", 55),
    ("KOTA MEDAN", "SUMATERA UTARA", 20), ("KOTA MAKASSAR", "SULAWESI SELATAN", 90),
    ("KOTA DENPASAR", "BALI", 80), ("KOTA BALIKPAPAN", "KALIMANTAN TIMUR", 76),
    ("KOTA PALEMBANG", "SUMATERA SELATAN", 30)]
BUYER_CITY_WEIGHTS = [10, 5, 4, 3, 3, 2, 6, 5, 4, 5, 4, 3, 3, 4, 5, 2, 3, 2, 2, 2, 2, 1, 2]
STREETS = ["Jl. Pemuda", "Jl. Pandanaran", "Jl. Diponegoro", "Jl. Sudirman", "Jl. Ahmad Yani",
           "Jl. Gajah Mada", "Jl. Veteran", "Jl. Merdeka", "Jl. Pahlawan", "Jl. Kartini", "Jl. Anggrek",
           "Jl. Flamboyan", "Jl. Cendrawasih", "Jl. Kenari", "Gg. Mangga", "Jl. Raya Tlogosari",
           "Perum Griya Asri Blok C", "Jl. Kaliurang Km 7", "Jl. Dr. Cipto", "Jl. Imam Bonjol"]
BUYER_NOTES = ["", "", "", "", "", "", "", "", "Tolong dibungkus rapi ya kak", "Jangan pedas",
               "Kirim hari ini ya", "Warna sesuai foto kak", "Titip di pos satpam",
               "Bubble wrap tebal ya,\nterima kasih"]


@dataclass
class _Shopee:
    shop_ids: np.ndarray             # per shop folder
    orders: pd.DataFrame             # one row per order (numbers), sorted by (shop, created)
    sn: np.ndarray                   # (orders, 14) ASCII order numbers, in the same order
    lines: pd.DataFrame              # one row per order line, sorted like the orders
    items: pd.DataFrame              # the shops' catalogues (numbers)
    item_text: dict                  # product, variation, sku, parent_sku of every item
    line_bounds: np.ndarray          # first line of each order, then the number of lines


def _shopee_shops(scale: int) -> int:
    """How many participating shops send their exports: the earlier joiners, mostly."""
    return round(10 * scale ** 0.6)


def _shopee_folders(world: _World, rng) -> pd.DataFrame:
    """The participants that send their exports (registry rows): the first draw of `rng` ("shopee")."""
    e = world.enrolled
    enrolled = e[e["program"] == SHOPEE].sort_values("joined", kind="stable")
    candidates = enrolled[enrolled["joined"] <= _day(2022, 3, 31)]
    n_folders = min(len(candidates), _shopee_shops(world.scale))
    return candidates.iloc[np.sort(rng.choice(len(candidates), n_folders, replace=False))]


def _shopee_data(world: _World) -> _Shopee:
    rng = world.rng("shopee")
    e, pop, s = world.enrolled, world.pop, world.scale
    # only some participants send their exports; plus one shop in no program
    chosen = _shopee_folders(world, rng)
    outsider = rng.choice(np.flatnonzero(~np.isin(np.arange(pop.n), e["pop"])), 1)
    shop_pop = np.concatenate([chosen["pop"].to_numpy(), outsider])
    shop_ids = np.concatenate([chosen["merchant"].to_numpy(), _distinct_ints(rng, 1, 900_000_000, 999_999_999)])
    joined = np.concatenate([chosen["joined"].to_numpy(), [_day(2021, 10, 1)]])
    n_shops = len(shop_ids)
    first_day, last_day = _day(2021, 8, 1), _day(2022, 12, 15)
    n_days = last_day - first_day + 1
    start = np.clip(joined - rng.integers(0, 30, n_shops) - first_day, 0, n_days - 60)

    # catalogue: 8-20 items per shop, products of the shop's sector, each with its own SKU
    n_items = rng.integers(8, 21, n_shops)
    item_shop = np.repeat(np.arange(n_shops), n_items)
    item_no = np.arange(len(item_shop)) - np.repeat(np.cumsum(n_items) - n_items, n_items)
    sector = pop.sector[shop_pop][item_shop]
    product = np.zeros(len(item_shop), np.int64)
    catalogue = [p for products in SHOPEE_PRODUCTS for p in products]
    offset = np.cumsum([len(p) for p in SHOPEE_PRODUCTS]) - [len(p) for p in SHOPEE_PRODUCTS]
    for sec, products in enumerate(SHOPEE_PRODUCTS):
        mask = sector == sec
        product[mask] = offset[sec] + rng.integers(0, len(products), int(mask.sum()))
    base_price = np.array([p[1] for p in catalogue], dtype=float)[product]
    variation = rng.integers(0, 1000, len(item_shop))
    price = (np.round(base_price * rng.uniform(0.8, 1.3, len(item_shop)) / 500) * 500).astype(np.int64)
    shop_code = _join_chars([_random_chars(rng, n_shops, 3, _ALNUM[10:])], n_shops)
    item_code = _take(shop_code, item_shop)
    item_text = {"product": _pick([p[0] for p in catalogue], product), "variation": _pick(SHOPEE_VARIATIONS, variation),
                 "sku": _cat(item_code, "-", _join_chars([_digits(item_no, 3)], len(item_no))),
                 "parent_sku": _cat(item_code, "-", _str(item_no // 3 + 1))}
    items = pd.DataFrame({"shop": item_shop, "price": price,
                          "weight": rng.choice([100, 250, 300, 500, 750, 1000], len(item_shop))})
    item_offset = np.cumsum(n_items) - n_items

    weight = np.exp(rng.normal(0, 0.7, n_shops)) * (n_days - start)
    counts = rng.multinomial(SHOPEE_PER_SCALE * s, weight / weight.sum())
    shop = np.repeat(np.arange(n_shops), counts)
    n = len(shop)
    d = _day
    # twin-date sales (9.9, 10.10, 11.11, 12.12, ...) and Ramadan 2022
    boosts = [(d(y, m, m), d(y, m, m), 5 if m >= 11 else 4 if m >= 9 else 3)
              for y, m in [(2021, 9), (2021, 10), (2021, 11), (2021, 12), (2022, 6), (2022, 7), (2022, 8),
                           (2022, 9), (2022, 10), (2022, 11), (2022, 12)]] + [(d(2022, 4, 2), d(2022, 5, 1), 1.3)]
    daily = _daily_weights(first_day, n_days, boosts, 1.1)
    day = first_day + _sample_days(rng, start[shop], np.full(n, n_days), daily)
    day = _lapak_lift(world, shop_pop, shop, day, first_day + start, last_day)
    tod = np.where(rng.random(n) < 0.6, rng.integers(18 * 3600, 23 * 3600 + 3599, n),
                   rng.integers(6 * 3600, 18 * 3600, n))
    created = day * DAY + tod - WIB
    created -= created % 60                       # Shopee shows minutes
    fate = rng.choice(3, n, p=[0.85, 0.10, 0.05])  # 0 completed, 1 cancelled, 2 never paid
    paid_after = np.where(rng.random(n) < 0.7, rng.integers(60, 1800, n), rng.integers(1800, 20 * 3600, n))
    complete_after = np.where(rng.random(n) < 0.97, rng.integers(2 * DAY, 9 * DAY, n),
                              rng.integers(9 * DAY, 20 * DAY, n))
    cancel_after = rng.integers(1800, 30 * 3600, n)
    n_lines = rng.choice([1, 2, 3, 4], n, p=[0.58, 0.25, 0.11, 0.06])
    city = rng.choice(len(BUYER_CITIES), n, p=np.array(BUYER_CITY_WEIGHTS) / sum(BUYER_CITY_WEIGHTS))
    by_shop = np.lexsort((created, shop))
    orders = {
        "shop": shop, "created": created, "fate": fate, "paid_after": paid_after, "complete_after": complete_after,
        "cancel_after": cancel_after, "n_lines": n_lines, "first_item": rng.integers(0, 1000, n),
        "shipping": rng.choice([0, 9000, 10000, 12000, 15000, 18000, 22000, 35000], n),
        "voucher": rng.choice([0, 0, 0, 2000, 5000, 10000], n),
        "courier": rng.integers(0, len(SHOPEE_COURIERS), n), "payment": rng.integers(0, len(SHOPEE_PAYMENTS), n),
        "female": rng.random(n) < 0.6, "r_first": rng.integers(0, 1 << 30, n), "r_last": rng.integers(0, 1 << 30, n),
        "user_digits": rng.integers(0, 1000, n), "user_form": rng.integers(0, 4, n), "city": city,
        "street": rng.integers(0, len(STREETS), n), "house": rng.integers(1, 200, n), "rt": rng.integers(1, 15, n),
        "rw": rng.integers(1, 12, n), "zip": rng.integers(100, 999, n),
        "phone": 628 * 10**10 + rng.integers(11, 99, n) * 10**8 + rng.integers(0, 10**8, n),
        "note": rng.integers(0, len(BUYER_NOTES), n), "resi_digits": rng.integers(10**11, 10**12, n),
    }
    sn = np.hstack([_stamp_digits(created + WIB), _random_chars(rng, n, 8)])[by_shop]
    wide = {"shop", "created", "phone", "resi_digits"}  # the others fit in 32 bits: half the memory
    orders = pd.DataFrame({name: values[by_shop] if name in wide else values[by_shop].astype(np.int32)
                           for name, values in orders.items()}, copy=False)
    # lines: consecutive catalogue items from a random start, so an order never repeats an item
    n_lines = orders["n_lines"].to_numpy()
    line_order = np.repeat(np.arange(n), n_lines)
    line_start = np.cumsum(n_lines) - n_lines
    j = np.arange(len(line_order)) - line_start[line_order]
    o_shop = orders["shop"].to_numpy()[line_order]
    item = item_offset[o_shop] + (orders["first_item"].to_numpy()[line_order] + j) % n_items[o_shop]
    n_l = len(item)
    price = items["price"].to_numpy()[item]
    discounted = np.where(rng.random(n_l) < 0.4, np.round(price * rng.uniform(0.7, 0.95, n_l) / 100) * 100,
                          price).astype(np.int64)
    quantity = rng.choice([1, 1, 1, 1, 1, 1, 2, 2, 3, 4, 5], n_l)
    returned = np.where(rng.random(n_l) < 0.015, 1, 0)
    lines = pd.DataFrame({"order": line_order, "item": item, "price": price, "discounted": discounted,
                          "quantity": quantity, "returned": returned})
    order_total = np.bincount(line_order, weights=discounted * quantity, minlength=n).astype(np.int64)
    # a seller's voucher never takes more than half the goods (a payment under Rp 1.000 reads as a misparse)
    orders["voucher"] = np.where(orders["voucher"].to_numpy() * 2 > order_total, 0, orders["voucher"].to_numpy())
    orders["payment_total"] = order_total + orders["shipping"].to_numpy() - orders["voucher"].to_numpy()
    return _Shopee(shop_ids, orders, sn, lines, items, item_text, np.append(line_start, n_l))


def _lapak_lift(world: _World, shop_pop: np.ndarray, shop: np.ndarray, day: np.ndarray, shop_start: np.ndarray,
                last_day: int) -> np.ndarray:
    """Orders of a shop shown on Lapak Ganjar: a few move into the 30 days from its first day there,
    so that window holds ~`LAPAK_LIFT` times its share. Drawn from a stream of its own: the other
    shops' orders (and files) stay as they are."""
    from demo.story import LAPAK_LIFT, LAPAK_WINDOW, _first_promotion

    rng = world.rng("shopee-lapak")
    n = len(day)
    promoted = _first_promotion(world, shop_pop)[shop]
    active_days = (last_day - shop_start + 1)[shop]
    share = (LAPAK_LIFT - 1) * LAPAK_WINDOW / np.maximum(active_days - LAPAK_WINDOW, 1)
    outside = (day < promoted) | (day >= promoted + LAPAK_WINDOW)
    move = (promoted >= shop_start[shop]) & outside & (rng.random(n) < share)
    return np.where(move, promoted + rng.integers(0, LAPAK_WINDOW, n), day)


def _stamp_digits(local_secs: np.ndarray) -> np.ndarray:
    """yymmdd of local epoch seconds, as an (n, 6) digit matrix (the start of a Shopee order number)."""
    days = np.floor_divide(local_secs, DAY).astype("datetime64[D]")
    month = days.astype("datetime64[M]")
    year = days.astype("datetime64[Y]").astype(np.int64) + 1970
    day_of_month = (days - month.astype("datetime64[D]")).astype(np.int64) + 1
    return np.hstack([_digits(year % 100, 2), _digits(month.astype(np.int64) % 12 + 1, 2), _digits(day_of_month, 2)])
