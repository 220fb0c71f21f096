"""Shopee Seller Centre order export ("Order.all"), newer and older layouts, xlsx or csv.

One row per order line. Order-level amounts (`Total Pembayaran`, `Dibayar Pembeli`) repeat
on every line; they are kept as `order_total_payment` and must never be summed across lines.
"""

from __future__ import annotations

from pathlib import PurePosixPath

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingest.readers import QuarantineError
from ingest.rows import ParseResult, RowBuilder, resolve_columns
from ingest.sources.common import extra_columns_json, read_cells, wib_dates
from ingest.vectorised import COUNT, TEXT
from ingest.vectorised_money import MONEY, cents_of, decimals_from_cents
from ingest.vectorised_times import TIMESTAMP_WIB

REQUIRED = ["No. Pesanan", "Status Pesanan", "Waktu Pesanan Dibuat", "Jumlah"]
OPTIONAL = ["Waktu Pesanan Selesai", "Nama Produk", "Nomor Referensi SKU", "Nama Variasi",
            "Harga Setelah Diskon", "Total Harga Produk", "Returned quantity", "Total Pembayaran",
            "Dibayar Pembeli", "Kota/Kabupaten", "Provinsi", "Username (Pembeli)", "Nama Penerima",
            "No. Telepon", "Alamat Pengiriman"]
TEXT_COLUMNS = {"product_name": "Nama Produk", "buyer_city": "Kota/Kabupaten",
                "buyer_province": "Provinsi", "buyer_username": "Username (Pembeli)",
                "recipient_name": "Nama Penerima", "recipient_phone": "No. Telepon",
                "shipping_address": "Alamat Pengiriman"}


def shop_id_from_path(landing_path: str) -> str:
    """shopee/<shop_id>/Order.all.<from>_<to>.xlsx -> <shop_id>."""
    parts = PurePosixPath(landing_path).parts
    if len(parts) != 3 or parts[0] != "shopee" or not parts[1].strip():
        raise QuarantineError("Shopee exports belong in shopee/<shop_id>/; the shop id comes "
                              "from the folder name")
    return parts[1].strip()


def parse(data: bytes, landing_path: str) -> ParseResult:
    shop_id = shop_id_from_path(landing_path)
    table = read_cells(data, landing_path, sheet="orders")
    found = resolve_columns(table, REQUIRED, OPTIONAL)
    if "Harga Setelah Diskon" not in found and "Total Harga Produk" not in found:
        raise QuarantineError("missing required column(s): Harga Setelah Diskon "
                              "(or Total Harga Produk in the older layout)")
    layout = "new" if "Returned quantity" in found else "old"
    rows = RowBuilder(table, found)
    rows.prepare(TEXT, "No. Pesanan", "Status Pesanan", "Nomor Referensi SKU", "Nama Variasi", *TEXT_COLUMNS.values())
    rows.prepare(COUNT, "Jumlah", "Returned quantity")
    rows.prepare(MONEY, "Harga Setelah Diskon", "Total Harga Produk", "Total Pembayaran", "Dibayar Pembeli")
    rows.prepare(TIMESTAMP_WIB, "Waktu Pesanan Dibuat", "Waktu Pesanan Selesai")
    order_id = rows.text("No. Pesanan")
    rows.require("No. Pesanan", order_id)
    status = rows.text("Status Pesanan")
    rows.require("Status Pesanan", status)
    created = rows.convert("Waktu Pesanan Dibuat", TIMESTAMP_WIB)  # local WIB times
    rows.require("Waktu Pesanan Dibuat", created)
    quantity = rows.convert("Jumlah", COUNT)
    rows.require("Jumlah", quantity)
    returned = rows.convert("Returned quantity", COUNT).fill_null(0)
    rows.reject(pc.greater(returned, quantity.fill_null(0)).to_numpy(zero_copy_only=False), "invalid_quantity",
                "column 'Returned quantity': more units returned than ordered")
    price = _line_price(rows, found, quantity)
    total_header = "Total Pembayaran" if "Total Pembayaran" in found else "Dibayar Pembeli"
    columns = {
        "shop_id": pa.repeat(pa.scalar(shop_id), len(rows)),
        "layout": pa.repeat(pa.scalar(layout), len(rows)),
        "order_id": order_id,
        "order_status": status,
        "order_created_ts_utc": created,
        "order_created_date_wib": wib_dates(created),
        "order_completed_ts_utc": rows.convert("Waktu Pesanan Selesai", TIMESTAMP_WIB),
        "sku_ref": _key_text(rows, "Nomor Referensi SKU"),
        "variation_name": _key_text(rows, "Nama Variasi"),
        "price_after_discount": price,
        "quantity": quantity,
        "returned_quantity": returned,
        "order_total_payment": rows.convert(total_header, MONEY),
        "extra_columns": extra_columns_json(table, set(found.values())),
    }
    columns |= {name: rows.text(header) for name, header in TEXT_COLUMNS.items()}
    rows.reject_duplicates("the order line (No. Pesanan, Nomor Referensi SKU, Nama Variasi)",
                           order_id, columns["sku_ref"], columns["variation_name"])
    return rows.result(columns)


def _line_price(rows: RowBuilder, found: dict, quantity: pa.Array) -> pa.Array:
    """Unit price after discount; the older layout may give only the line total."""
    if "Harga Setelah Diskon" in found:
        price = rows.convert("Harga Setelah Diskon", MONEY)
        rows.require("Harga Setelah Diskon", price)
        return price
    line_total = rows.convert("Total Harga Produk", MONEY)
    rows.require("Total Harga Produk", line_total)
    # total / quantity rounded half-even to cents, in whole cents (as Decimal's quantize does)
    total, qty = cents_of(line_total), quantity.fill_null(0).to_numpy(zero_copy_only=False)
    known = ~line_total.is_null().to_numpy(zero_copy_only=False) & (qty > 0)
    whole, rest = np.divmod(total, np.where(known, qty, 1))
    up = (2 * rest > qty) | ((2 * rest == qty) & (whole % 2 == 1))
    price = np.where(known, whole + up, 0)
    rows.reject(known & (price == 0) & (total > 0), "invalid_amount",   # as parse_money rejects 0.004
                "column 'Total Harga Produk': not zero, yet per unit it rounds to 0.00: an underflow")
    return decimals_from_cents(price, known)


def _key_text(rows: RowBuilder, name: str) -> pa.Array:
    """Part of the line grain: an absent SKU or variation is '' so the key is never null."""
    return rows.text(name).fill_null("")
