"""Shopee Seller Centre order export ("Order.all"), newer and older layouts, xlsx or csv.

One row per order line. Order-level amounts (`Total Pembayaran`, `Dibayar Pembeli`) repeat
on every line; they are kept as `order_total_payment` and must never be summed across lines.
"""

from __future__ import annotations

from pathlib import PurePosixPath

import numpy as np
import pandas as pd

from ingest.readers import QuarantineError
from ingest.rows import ParseResult, RowBuilder, resolve_columns
from ingest.sources.common import read_cells, wib_dates
from ingest.values import parse_count, parse_money, parse_timestamp_utc

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
    found = resolve_columns(table.frame, REQUIRED, OPTIONAL)
    if "Harga Setelah Diskon" not in found and "Total Harga Produk" not in found:
        raise QuarantineError("missing required column(s): Harga Setelah Diskon "
                              "(or Total Harga Produk in the older layout)")
    layout = "new" if "Returned quantity" in found else "old"
    rows = RowBuilder(table, found)
    order_id = rows.text("No. Pesanan")
    rows.require("No. Pesanan", order_id)
    status = rows.text("Status Pesanan")
    rows.require("Status Pesanan", status)
    created = rows.convert("Waktu Pesanan Dibuat", parse_timestamp_utc)  # local WIB times
    rows.require("Waktu Pesanan Dibuat", created)
    quantity = rows.convert("Jumlah", parse_count)
    rows.require("Jumlah", quantity)
    returned = rows.convert("Returned quantity", parse_count)
    returned = np.where(pd.isna(returned), 0, returned)
    rows.reject(returned > np.where(pd.isna(quantity), 0, quantity), "invalid_quantity",
                "column 'Returned quantity': more units returned than ordered")
    price = _line_price(rows, found, quantity)
    total_header = "Total Pembayaran" if "Total Pembayaran" in found else "Dibayar Pembeli"
    columns = {
        "shop_id": np.full(len(rows), shop_id, dtype=object),
        "layout": np.full(len(rows), layout, dtype=object),
        "order_id": order_id,
        "order_status": status,
        "order_created_ts_utc": created,
        "order_created_date_wib": wib_dates(created),
        "order_completed_ts_utc": rows.convert("Waktu Pesanan Selesai", parse_timestamp_utc),
        "sku_ref": _key_text(rows, "Nomor Referensi SKU"),
        "variation_name": _key_text(rows, "Nama Variasi"),
        "price_after_discount": price,
        "quantity": quantity,
        "returned_quantity": returned,
        "order_total_payment": rows.convert(total_header, parse_money),
        "extra_columns": _extra_columns_json(table.frame, set(found.values())),
    }
    columns |= {name: rows.text(header) for name, header in TEXT_COLUMNS.items()}
    rows.reject_duplicates("the order line (No. Pesanan, Nomor Referensi SKU, Nama Variasi)",
                           order_id, columns["sku_ref"], columns["variation_name"])
    return rows.result(columns)


def _line_price(rows: RowBuilder, found: dict, quantity: np.ndarray) -> np.ndarray:
    """Unit price after discount; the older layout may give only the line total."""
    if "Harga Setelah Diskon" in found:
        price = rows.convert("Harga Setelah Diskon", parse_money)
        rows.require("Harga Setelah Diskon", price)
        return price
    line_total = rows.convert("Total Harga Produk", parse_money)
    rows.require("Total Harga Produk", line_total)
    price = np.full(len(rows), None, dtype=object)
    for i, (total, qty) in enumerate(zip(line_total, quantity)):
        if total is not None and qty:
            price[i] = (total / qty).quantize(total)
    return price


def _key_text(rows: RowBuilder, name: str) -> np.ndarray:
    """Part of the line grain: an absent SKU or variation is '' so the key is never null."""
    values = rows.text(name)
    return np.where(pd.isna(values), "", values)


def _extra_columns_json(frame: pd.DataFrame, mapped: set[str]) -> np.ndarray:
    """Columns this pipeline does not use, kept per row as a JSON object (raw layer only)."""
    extra = [column for column in frame.columns if column not in mapped]
    if not extra:
        return np.full(len(frame), None, dtype=object)
    text = frame[extra].astype(str).to_json(orient="records", lines=True, force_ascii=False)
    return np.array(text.splitlines() if len(frame) else [], dtype=object)
