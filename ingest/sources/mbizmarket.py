"""Mbizmarket vendor order export (government procurement): csv (`,` or `;`) or xlsx, first sheet.

One row per order. `Subtotal` is the UMKM's turnover; `Total Pesanan` adds VAT and shipping and
is never turnover: a row whose parts do not add up to it (more than Rp 1 apart) is refused as
`inconsistent_total`, since one of its amounts is then wrong and nobody can tell which.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingest.rows import ParseResult, RowBuilder, resolve_columns
from ingest.sources.common import choice, read_cells, wib_dates
from ingest.vectorised import TEXT
from ingest.vectorised_money import MONEY, cents_of
from ingest.vectorised_times import TIMESTAMP_WIB

REQUIRED = ["No. Pesanan", "Tanggal Pesanan", "ID Vendor", "Subtotal", "Status Pesanan"]
OPTIONAL = ["Nama Vendor", "Instansi Pembeli", "Satuan Kerja", "PPN", "Ongkos Kirim", "Total Pesanan",
            "Nama PIC Pembeli", "Email PIC", "No. HP PIC"]
# Mbizmarket's statuses as the dashboard shows them; only Selesai counts (staging decides that).
STATUSES = {status.lower(): status for status in
            ("Menunggu Konfirmasi", "Diproses", "Dikirim", "Diterima", "Selesai", "Dibatalkan", "Ditolak")}
TOTAL_TOLERANCE_CENTS = 100   # Rp 1: exports round each amount on its own
TEXT_COLUMNS = {"vendor_name": "Nama Vendor", "buyer_agency": "Instansi Pembeli", "buyer_unit": "Satuan Kerja",
                "buyer_contact_name": "Nama PIC Pembeli", "buyer_contact_email": "Email PIC",
                "buyer_contact_phone": "No. HP PIC"}


def parse(data: bytes, landing_path: str) -> ParseResult:
    table = read_cells(data, landing_path)
    rows = RowBuilder(table, resolve_columns(table, REQUIRED, OPTIONAL))
    rows.prepare(TEXT, "No. Pesanan", "ID Vendor", *TEXT_COLUMNS.values())
    rows.prepare(MONEY, "Subtotal", "PPN", "Ongkos Kirim", "Total Pesanan")
    order_id = rows.text("No. Pesanan")
    rows.require("No. Pesanan", order_id)
    ordered = rows.convert("Tanggal Pesanan", TIMESTAMP_WIB)   # zone-less = WIB
    rows.require("Tanggal Pesanan", ordered)
    vendor = rows.text("ID Vendor")
    rows.require("ID Vendor", vendor)
    subtotal = rows.convert("Subtotal", MONEY)
    rows.require("Subtotal", subtotal)
    vat = rows.convert("PPN", MONEY)
    shipping = rows.convert("Ongkos Kirim", MONEY)
    total = rows.convert("Total Pesanan", MONEY)
    status = rows.convert("Status Pesanan", choice(STATUSES, "unknown_status"))
    rows.require("Status Pesanan", status)
    _reject_inconsistent_totals(rows, subtotal, vat, shipping, total)
    rows.reject_duplicates("the order (No. Pesanan)", order_id)
    columns = {
        "order_id": order_id,
        "order_ts_utc": ordered,
        "order_date_wib": wib_dates(ordered),
        "vendor_id": vendor,
        "subtotal": subtotal,
        "vat": vat,
        "shipping": shipping,
        "order_total": total,
        "order_status": status,
    }
    return rows.result(columns | {name: rows.text(header) for name, header in TEXT_COLUMNS.items()})


def _reject_inconsistent_totals(rows: RowBuilder, subtotal: pa.Array, vat: pa.Array, shipping: pa.Array,
                                total: pa.Array) -> None:
    """Subtotal + PPN + Ongkos Kirim must make Total Pesanan (an empty PPN or shipping is none)."""
    has_total = ~pc.is_null(total).to_numpy(zero_copy_only=False)
    has_subtotal = ~pc.is_null(subtotal).to_numpy(zero_copy_only=False)
    parts = cents_of(subtotal) + cents_of(vat) + cents_of(shipping)
    apart = np.abs(parts - cents_of(total)) > TOTAL_TOLERANCE_CENTS
    rows.reject(has_total & has_subtotal & apart, "inconsistent_total",
                "Subtotal + PPN + Ongkos Kirim is not Total Pesanan (more than Rp 1 apart)")
