"""GoBiz merchant transaction report (GoFood, GoShop, GoPay): CSV with English headers."""

from __future__ import annotations

from ingest.rows import ParseResult, RowBuilder, resolve_columns
from ingest.sources.common import read_cells, wib_dates
from ingest.values import CellError, clean_text
from ingest.vectorised import TEXT
from ingest.vectorised_money import MONEY
from ingest.vectorised_times import DATE_US, TIMESTAMP_UTC

REQUIRED = ["Transaction ID", "Transaction time", "Amount", "Transaction Status", "Feature",
            "Merchant ID"]
OPTIONAL = ["Transaction Date", "Transaction Reference", "Order ID", "Stan", "Nett Amount",
            "Payment Type", "Merchant name", "Promo Type", "Promo Name", "Gopay promo",
            "GoFood discount", "Voucher commission", "Tax", "Witholding tax", "Currency"]
TEXT_COLUMNS = {"transaction_reference": "Transaction Reference", "order_id": "Order ID",
                "stan": "Stan", "payment_type": "Payment Type", "merchant_name": "Merchant name",
                "promo_type": "Promo Type", "promo_name": "Promo Name"}
MONEY_COLUMNS = {"nett_amount": "Nett Amount", "gopay_promo": "Gopay promo",
                 "gofood_discount": "GoFood discount", "voucher_commission": "Voucher commission",
                 "tax": "Tax", "withholding_tax": "Witholding tax"}


def _currency(value) -> str:
    text = (clean_text(value) or "IDR").upper()
    if text != "IDR":  # GoBiz settles in rupiah; anything else would be summed wrongly
        raise CellError("unsupported_currency", rule="GoBiz settles in IDR only")
    return text


def parse(data: bytes, landing_path: str) -> ParseResult:
    table = read_cells(data, landing_path)
    rows = RowBuilder(table, resolve_columns(table, REQUIRED, OPTIONAL))
    rows.prepare(TEXT, "Transaction ID", "Transaction Status", "Feature", "Merchant ID", *TEXT_COLUMNS.values())
    rows.prepare(MONEY, "Amount", *MONEY_COLUMNS.values())
    transaction_id = rows.text("Transaction ID")
    rows.require("Transaction ID", transaction_id)
    # `Transaction time` is UTC (ISO with Z); a zone-less value is taken as UTC too.
    ts_utc = rows.convert("Transaction time", TIMESTAMP_UTC)
    rows.require("Transaction time", ts_utc)
    amount = rows.convert("Amount", MONEY)
    rows.require("Amount", amount)
    status = rows.text("Transaction Status")
    rows.require("Transaction Status", status)
    feature = rows.text("Feature")
    merchant_id = rows.text("Merchant ID")
    rows.require("Merchant ID", merchant_id)
    columns = {
        "transaction_id": transaction_id,
        "transaction_date": rows.convert("Transaction Date", DATE_US),
        "transaction_ts_utc": ts_utc,
        "transaction_date_wib": wib_dates(ts_utc),
        "amount": amount,
        "transaction_status": status,
        "feature": feature,
        "merchant_id": merchant_id,
        "currency": rows.convert("Currency", _currency),
    }
    columns |= {name: rows.text(header) for name, header in TEXT_COLUMNS.items()}
    columns |= {name: rows.convert(header, MONEY) for name, header in MONEY_COLUMNS.items()}
    rows.reject_duplicates("Transaction ID", transaction_id)
    return rows.result(columns)
