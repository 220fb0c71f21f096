"""UKM Virtual Expo transactions: CSV (`,` or `;`) or JSON (array or {"transaksi": [...]})."""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

from ingest.reference import load_reference
from ingest.rows import ParseResult, RowBuilder, resolve_columns
from ingest.sources.common import choice, read_cells, wib_dates
from ingest.values import CellError, clean_text
from ingest.vectorised import TEXT
from ingest.vectorised_money import MONEY
from ingest.vectorised_times import TIMESTAMP_WIB

REQUIRED = ["id_transaksi", "id_peserta", "tanggal_transaksi", "negara_pembeli", "mata_uang",
            "nilai", "status"]
OPTIONAL = ["nama_peserta"]
STATUSES = {"lunas": "lunas", "batal": "batal", "menunggu": "menunggu"}


def _country(value) -> str | None:
    text = clean_text(value)
    if text is None:
        return None
    if not re.fullmatch(r"[A-Za-z]{2}", text):
        raise CellError("invalid_country", rule="two letters expected, an ISO 3166 code")
    return text.upper()


def _currency(value) -> str | None:
    text = clean_text(value)
    return None if text is None else text.upper()


def parse(data: bytes, landing_path: str) -> ParseResult:
    table = read_cells(data, landing_path, json_key="transaksi")
    rows = RowBuilder(table, resolve_columns(table, REQUIRED, OPTIONAL))
    rows.prepare(TEXT, "id_transaksi", "id_peserta", "nama_peserta")
    transaction_id = rows.text("id_transaksi")
    rows.require("id_transaksi", transaction_id)
    participant_id = rows.text("id_peserta")
    rows.require("id_peserta", participant_id)
    ts_utc = rows.convert("tanggal_transaksi", TIMESTAMP_WIB)  # zone-less = WIB
    rows.require("tanggal_transaksi", ts_utc)
    country = rows.convert("negara_pembeli", _country)
    rows.require("negara_pembeli", country)
    currency = rows.convert("mata_uang", _currency)
    rows.require("mata_uang", currency)
    amount = rows.convert("nilai", MONEY)
    rows.require("nilai", amount)
    status = rows.convert("status", choice(STATUSES, "unknown_status"))
    rows.require("status", status)
    local_dates = wib_dates(ts_utc)
    _reject_missing_fx(rows, currency, local_dates)
    participant_name = rows.text("nama_peserta")
    rows.reject_duplicates("id_transaksi", transaction_id)
    return rows.result({
        "transaction_id": transaction_id,
        "participant_id": participant_id,
        "participant_name": participant_name,
        "transaction_ts_utc": ts_utc,
        "transaction_date_wib": local_dates,
        "buyer_country": country,
        "currency": currency,
        "amount": amount,
        "status": status,
    })


def _reject_missing_fx(rows: RowBuilder, currency: pa.Array, local_dates: pa.Array) -> None:
    """A currency or month without a rate is a row error, never a zero (data contract 2.5)."""
    fx = load_reference().fx_months
    currency = currency.cast(pa.string())   # a file of no rows (header only) gives a column of type null
    known = pc.is_in(currency, value_set=pa.array(sorted({code for _, code in fx}), pa.string()))
    unknown = pc.and_(currency.is_valid(), pc.invert(known))
    rows.reject(unknown.to_numpy(zero_copy_only=False), "unknown_currency",
                "column 'mata_uang': currency not in fx_rates_monthly")
    months = pc.strftime(pc.cast(local_dates, pa.timestamp("s")), "%Y-%m")
    rates = pa.array(sorted(f"{month}|{code}" for month, code in fx), pa.string())
    missing = pc.and_(pc.and_(known, months.is_valid()),
                      pc.invert(pc.is_in(pc.binary_join_element_wise(months, currency, "|"), value_set=rates)))
    rows.reject(missing.fill_null(False).to_numpy(zero_copy_only=False), "missing_fx_rate",
                "no fx_rates_monthly rate for this currency and month")
