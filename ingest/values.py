"""Parsers for single cell values: Indonesian money, dates and times, identifiers.

Each parser takes one cell as the reader produced it: a `str` from CSV/JSON, or a typed
value from xlsx (`int`/`float` for number cells, `datetime`/`date` for date cells). A typed
number is already exact; only text needs the Indonesian separator rules. Parsers return
the value, `None` for an empty cell, or raise `ValueError` with a reason code.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal, InvalidOperation

WIB = timezone(timedelta(hours=7), "WIB")  # Asia/Jakarta: no daylight saving since 1964
EXCEL_EPOCH = datetime(1899, 12, 30)
EMPTY_MARKERS = {"", "-", "--", "null", "none", "nan", "n/a", "na"}
CENT = Decimal("0.01")
MAX_COUNT = 2**31 - 1   # counts are `integer` columns in the raw layer


class CellError(ValueError):
    """A cell that breaks a rule; `code` is the reason code stored with the rejected row."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


def is_empty(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip().strip("'").strip().lower() in EMPTY_MARKERS


def clean_text(value) -> str | None:
    """Strip spaces and the leading apostrophe spreadsheets use to force text."""
    if is_empty(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # an id typed as a number in xlsx: 123.0 -> "123"
    text = str(value).strip()
    if text.startswith("'"):
        text = text[1:].strip()
    return text or None


# ---------------------------------------------------------------- money

_MULTIPLIERS = {"ribu": 10**3, "rb": 10**3, "k": 10**3, "juta": 10**6, "jt": 10**6,
                "miliar": 10**9, "milyar": 10**9, "m": 10**9, "triliun": 10**12}
_MONEY_RE = re.compile(r"^(?P<sign>-)?(?P<number>[0-9][0-9.,]*)(?P<unit>[a-z]+)?$")


def _number_from_text(number: str, has_unit: bool) -> Decimal:
    """Apply the separator rules to digits with `.` and `,`."""
    dots, commas = number.count("."), number.count(",")
    if dots and commas:
        # The later separator is the decimal one: 2.273,67 or 1,250,000.50
        decimal_sep = "," if number.rfind(",") > number.rfind(".") else "."
        thousands_sep = "." if decimal_sep == "," else ","
        whole, _, frac = number.rpartition(decimal_sep)
        if whole.count(decimal_sep) or not _valid_grouping(whole, thousands_sep):
            raise CellError("invalid_amount", number)
        return Decimal(whole.replace(thousands_sep, "") + "." + frac)
    sep = "." if dots else "," if commas else None
    if sep is None:
        return Decimal(number)
    count = dots or commas
    head, _, tail = number.rpartition(sep)
    if count > 1:  # 15.000.000 or 1,250,000: thousands groups
        if not _valid_grouping(number, sep):
            raise CellError("invalid_amount", number)
        return Decimal(number.replace(sep, ""))
    # One separator: three digits after it mean thousands (169.000, 1,250), unless a unit
    # follows (2,5 juta, 1.5 juta) where it can only be a decimal mark.
    if len(tail) == 3 and not has_unit:
        return Decimal(head + tail)
    if not head or not tail:
        raise CellError("invalid_amount", number)
    return Decimal(head + "." + tail)


def _valid_grouping(number: str, sep: str) -> bool:
    groups = number.split(sep)
    return 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])


def parse_money(value) -> Decimal | None:
    """Indonesian money text or a number cell -> Decimal rounded to cents.

    Raises CellError('invalid_amount') for text that is not an amount and
    CellError('negative_amount') for a negative one.
    """
    if is_empty(value):
        return None
    if isinstance(value, bool):
        raise CellError("invalid_amount", str(value))
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise CellError("invalid_amount", str(value))
        amount = Decimal(str(value))
    else:
        text = str(value).strip().lstrip("'").strip().lower().replace("\u00a0", " ").replace("\u2212", "-")
        sign = text.startswith("-")                    # -Rp 5.000
        text = re.sub(r"^(rp\.?|idr)\s*", "", text.lstrip("-").strip())
        negative = sign or (text.startswith("(") and text.endswith(")"))
        text = text.strip("()").replace(" ", "")
        if text.endswith((",-", ".-")):              # Rp 15.000,- : "and no cents"
            text = text[:-2]
        elif text.endswith("-") and not text.startswith("-"):   # 5.000- : accounting minus
            text, negative = text[:-1], True
        text = text.rstrip(".")
        match = _MONEY_RE.match(text)
        if not match:
            raise CellError("invalid_amount", str(value))
        unit = match["unit"]
        if unit and unit not in _MULTIPLIERS:
            raise CellError("invalid_amount", str(value))
        try:
            amount = _number_from_text(match["number"], has_unit=bool(unit))
        except InvalidOperation as exc:
            raise CellError("invalid_amount", str(value)) from exc
        if unit:
            amount *= _MULTIPLIERS[unit]
        if match["sign"] or negative:
            amount = -amount
    if amount < 0:
        raise CellError("negative_amount", str(value))
    if amount >= Decimal("1e16"):  # decimal(18,2) holds 16 integer digits
        raise CellError("invalid_amount", "too large")
    return amount.quantize(CENT)


def parse_count(value) -> int | None:
    """A non-negative whole number (workers, quantities)."""
    if is_empty(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and not value.is_integer():
            raise CellError("invalid_number", str(value))
        number = int(value)
    else:
        text = str(value).strip().lstrip("'").replace(".", "").replace(",", "")
        if not re.fullmatch(r"-?[0-9]+", text):
            raise CellError("invalid_number", str(value))
        number = int(text)
    if number < 0:
        raise CellError("negative_number", str(value))
    if number > MAX_COUNT:
        raise CellError("invalid_number", "too large")
    return number


# ---------------------------------------------------------------- dates and times

_OFFSET_RE = re.compile(r"(Z|[+-]\d{2}:?\d{2})$")
_LOCAL_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M",
                  "%Y-%m-%d", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d-%m-%Y")
_US_FORMATS = ("%m/%d/%Y", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M")
# Dates outside these years are typing or export errors (01/01/1900, 2099 for "unknown").
PLAUSIBLE_YEARS = range(1990, 2050)


def excel_serial_to_datetime(serial: float) -> datetime:
    if not 1 <= serial < 2958466:  # 1900-01-01 .. 9999-12-31
        raise CellError("invalid_date", str(serial))
    return EXCEL_EPOCH + timedelta(days=float(serial))


def _to_datetime(value, us_order: bool) -> tuple[datetime, bool]:
    """Any date-ish cell -> (datetime, has_zone)."""
    if isinstance(value, datetime):
        return value, value.tzinfo is not None
    if isinstance(value, date):
        return datetime.combine(value, time()), False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return excel_serial_to_datetime(value), False
    text = str(value).strip().lstrip("'")
    if re.fullmatch(r"\d{5}(\.\d+)?", text):  # an Excel serial that arrived as text
        return excel_serial_to_datetime(float(text)), False
    if _OFFSET_RE.search(text) and "-" in text[:10]:
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as exc:
            raise CellError("invalid_date", text) from exc
        if moment.tzinfo is None:   # '2021-09-05Z': fromisoformat took '+00:00' for the time, after a '+'
            raise CellError("invalid_date", text)
        return moment, True
    text = re.sub(r"\.\d+$", "", text)  # drop fractional seconds
    for fmt in _US_FORMATS if us_order else _LOCAL_FORMATS:
        try:
            return datetime.strptime(text, fmt), False
        except ValueError:
            continue
    raise CellError("invalid_date", text)


def _check_year(moment: datetime, value) -> datetime:
    if moment.year not in PLAUSIBLE_YEARS:
        raise CellError("implausible_date", f"year {moment.year} is outside "
                                            f"{PLAUSIBLE_YEARS.start}-{PLAUSIBLE_YEARS.stop - 1}")
    return moment


def parse_timestamp_utc(value, naive_zone: timezone = WIB) -> datetime | None:
    """A timestamp cell -> naive UTC datetime. Zone-less values are in `naive_zone`."""
    if is_empty(value):
        return None
    moment, has_zone = _to_datetime(value, us_order=False)
    if not has_zone:
        moment = moment.replace(tzinfo=naive_zone)
    try:
        utc = moment.astimezone(timezone.utc).replace(tzinfo=None)
    except OverflowError:   # 0001-01-01 03:00 WIB is before the year 1 in UTC
        return _check_year(moment.replace(tzinfo=None), value)
    return _check_year(utc, value)


def parse_date(value, us_order: bool = False) -> date | None:
    """A calendar date cell (dd/mm/yyyy, ISO, Excel serial; mm/dd/yyyy when us_order)."""
    if is_empty(value):
        return None
    moment, _ = _to_datetime(value, us_order=us_order)
    return _check_year(moment, value).date()


def wib_date(utc_naive: datetime | None) -> date | None:
    """The local (WIB) calendar date of a naive UTC timestamp: 17:30Z is the next day."""
    if utc_naive is None:
        return None
    return (utc_naive + timedelta(hours=7)).date()


# ---------------------------------------------------------------- identifiers

def parse_nik(value) -> str | None:
    """NIK: exactly 16 digits (spaces, dots and a leading apostrophe tolerated)."""
    digits = _digits(value, "invalid_nik")
    if digits is None:
        return None
    if len(digits) != 16:
        raise CellError("invalid_nik", f"{len(digits)} digits")
    return digits


def parse_nib(value) -> str | None:
    """NIB: exactly 13 digits."""
    digits = _digits(value, "invalid_nib")
    if digits is None:
        return None
    if len(digits) != 13:
        raise CellError("invalid_nib", f"{len(digits)} digits")
    return digits


def _digits(value, code: str) -> str | None:
    text = clean_text(value)
    if text is None:
        return None
    text = re.sub(r"[\s.\-]", "", text)
    if not (text.isascii() and text.isdigit()):  # also catches 3.3e15 floats; no other scripts' digits
        raise CellError(code, "not digits")
    return text
