"""Parsers for single cell values: Indonesian money, dates and times, identifiers.

Each parser takes one cell as the reader produced it: a `str` from CSV/JSON, a typed value
from xlsx (`int`/`float` for number cells, `datetime`/`date` for date cells), or a `Decimal`
for a JSON number (its exact source text: `1e-400` is not 0.0, a number of 5000 digits is no
error of Python's int conversion). A typed number is already exact; only text needs the
Indonesian separator rules. Parsers return the value, `None` for an empty cell, or raise
`CellError` with a reason code.

A NaN or infinite number (JSON `NaN`, an xlsx `<v>NaN</v>`) is a number that is not one: the
number parsers reject it. As text it reads "nan", which is an empty marker (pandas writes empty
cells so), so a text column holds nothing there.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time, timedelta, timezone
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal, InvalidOperation

WIB = timezone(timedelta(hours=7), "WIB")  # Asia/Jakarta: no daylight saving since 1964
EXCEL_EPOCH = datetime(1899, 12, 30)
EMPTY_MARKERS = {"", "-", "--", "null", "none", "nan", "n/a", "na"}
CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("1e16")   # decimal(18,2) holds 16 digits before the decimal mark
MAX_COUNT = 2**31 - 1   # counts are `integer` columns in the raw layer
_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)   # no rounding, whatever the exponent


class CellError(ValueError):
    """A cell that breaks a rule; `code` is the reason code stored with the rejected row.

    `rule` says which rule in words; the row builder puts it in the reject reason beside the
    column's name. It must never quote the cell: a cell may be personal data (a NIK shifted into
    `program_id` by a column too few), and a reason ends up in the data-quality mart.
    """

    def __init__(self, code: str, *, rule: str = ""):
        super().__init__(f"{code}: {rule}" if rule else code)
        self.code = code
        self.detail = rule


def is_empty(value) -> bool:
    """None, or text that is blank, an apostrophe, or an empty marker such as '-' or 'null'."""
    if value is None:
        return True
    return isinstance(value, str) and value.strip().strip("'").strip().lower() in EMPTY_MARKERS


_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(value) -> str | None:
    """Strip spaces and the leading apostrophe spreadsheets use to force text."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # an id typed as a number in xlsx: 123.0 -> "123"
    elif isinstance(value, Decimal):
        value = decimal_text(value)
    text = str(value)
    if is_empty(text):
        return None
    text = text.strip()
    if text.startswith("'"):
        text = text[1:].strip()
    if not text.isascii() and _SURROGATE.search(text):   # Arrow (UTF-8) cannot hold it
        raise CellError("invalid_encoding", rule="a lone UTF-16 surrogate, which is no character")
    return text or None


def decimal_text(number: Decimal) -> str:
    """A JSON number as text, the same for equal numbers: a whole one without point or exponent
    (`1.5E3` -> '1500', as an xlsx 1500.0 gives '1500'), unless it is too long to write out."""
    if not number.is_finite():
        return "NaN" if number.is_nan() else str(number)   # the sign of a NaN means nothing: -NaN too
    if number.adjusted() < 64 and number == number.to_integral_value():
        return format(number.to_integral_value(), "f") if number else "0"
    return str(number.normalize(_EXACT))


# ---------------------------------------------------------------- money

_MULTIPLIERS = {"ribu": 10**3, "rb": 10**3, "k": 10**3, "juta": 10**6, "jt": 10**6,
                "miliar": 10**9, "milyar": 10**9, "m": 10**9, "triliun": 10**12}
_MONEY_RE = re.compile(r"^(?P<sign>-)?(?P<number>[0-9][0-9.,]*)(?P<unit>[a-z]+)?$")


_NOT_AN_AMOUNT = "not digits with . or , separators, an optional Rp or IDR and a unit such as juta"
_BAD_GROUPS = "thousands separators must stand between groups of three digits"


def _number_from_text(number: str, has_unit: bool) -> Decimal:
    """Apply the separator rules to digits with `.` and `,`."""
    dots, commas = number.count("."), number.count(",")
    if dots and commas:
        # The later separator is the decimal one: 2.273,67 or 1,250,000.50
        decimal_sep = "," if number.rfind(",") > number.rfind(".") else "."
        thousands_sep = "." if decimal_sep == "," else ","
        whole, _, frac = number.rpartition(decimal_sep)
        if whole.count(decimal_sep) or not _valid_grouping(whole, thousands_sep):
            raise CellError("invalid_amount", rule=_BAD_GROUPS)
        return Decimal(whole.replace(thousands_sep, "") + "." + frac)
    sep = "." if dots else "," if commas else None
    if sep is None:
        return Decimal(number)
    count = dots or commas
    head, _, tail = number.rpartition(sep)
    if count > 1:  # 15.000.000 or 1,250,000: thousands groups
        if not _valid_grouping(number, sep):
            raise CellError("invalid_amount", rule=_BAD_GROUPS)
        return Decimal(number.replace(sep, ""))
    # One separator: three digits after it mean thousands (169.000, 1,250), unless a unit
    # follows (2,5 juta, 1.5 juta) where it can only be a decimal mark.
    if len(tail) == 3 and not has_unit:
        return Decimal(head + tail)
    if not head or not tail:
        raise CellError("invalid_amount", rule=_NOT_AN_AMOUNT)
    return Decimal(head + "." + tail)


def _valid_grouping(number: str, sep: str) -> bool:
    groups = number.split(sep)
    return 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])


def parse_money(value) -> Decimal | None:
    """Indonesian money text or a number cell -> Decimal rounded (half-even) to cents.

    Raises CellError('negative_amount') for a negative amount and CellError('invalid_amount') for
    what is no amount of decimal(18,2): text that is not an amount, a NaN or infinite number, 16
    digits or more before the decimal mark (1e400, a JSON number of thousands of digits), and a
    number that is not zero yet rounds to 0.00 (1e-400, the subnormal 4.9e-324, 0.004): loaded,
    it would be an order of Rp 0. Zero is zero whatever its sign: `-0`, `(0)`, `-0.0` are 0.00.
    """
    if is_empty(value):
        return None
    if isinstance(value, bool):
        raise CellError("invalid_amount", rule="a true/false value, not an amount")
    amount = _exact_number(value) if isinstance(value, (int, float, Decimal)) else _amount_from_text(str(value))
    if amount < 0:
        raise CellError("negative_amount", rule="below zero")
    if amount >= MAX_AMOUNT:   # checked before rounding: 1e400 has no cents to round to
        raise CellError("invalid_amount", rule="16 digits or more before the decimal mark: "
                                               "more than decimal(18,2) holds")
    cents = amount.quantize(CENT)
    if cents >= MAX_AMOUNT:    # 9999999999999999.995 rounds up to 17 digits
        raise CellError("invalid_amount", rule="rounded to cents, more than decimal(18,2) holds")
    if not cents and amount:
        raise CellError("invalid_amount", rule="not zero, yet it rounds to 0.00: an underflow")
    return cents.copy_abs()    # only a zero can carry a minus sign here


def _exact_number(value: int | float | Decimal) -> Decimal:
    """A number cell as the Decimal it says: a float as written (2273.67), not its binary expansion."""
    if isinstance(value, int):
        return Decimal(value)
    if not (value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)):
        raise CellError("invalid_amount", rule="NaN or infinite: not a number")
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _amount_from_text(text: str) -> Decimal:
    """Money text -> its exact, signed amount (the separator and unit rules)."""
    text = text.strip().lstrip("'").strip().lower().replace("\u00a0", " ").replace("\u2212", "-")
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
    if not match or (match["unit"] and match["unit"] not in _MULTIPLIERS):
        raise CellError("invalid_amount", rule=_NOT_AN_AMOUNT)
    try:
        amount = _number_from_text(match["number"], has_unit=bool(match["unit"]))
    except InvalidOperation as exc:
        raise CellError("invalid_amount", rule=_NOT_AN_AMOUNT) from exc
    if match["unit"]:   # exactly: rounding to 28 digits first could move an amount across half a cent
        amount = _EXACT.multiply(amount, _MULTIPLIERS[match["unit"]])
    return -amount if match["sign"] or negative else amount


def parse_count(value) -> int | None:
    """A non-negative whole number (workers, quantities)."""
    if is_empty(value):
        return None
    if isinstance(value, bool):
        raise CellError("invalid_number", rule="a true/false value, not a number")
    if isinstance(value, (int, float, Decimal)):
        whole = (value.is_finite() and value == value.to_integral_value() if isinstance(value, Decimal)
                 else isinstance(value, int) or value.is_integer())
        if not whole:
            raise CellError("invalid_number", rule="not a whole number")
        number = value if value < 0 or value > MAX_COUNT else int(value)   # never int() of 1e999999
    else:
        text = str(value).strip().lstrip("'").replace(".", "").replace(",", "")
        if not re.fullmatch(r"-?[0-9]+", text):
            raise CellError("invalid_number", rule="not a whole number")
        digits = text.lstrip("-").lstrip("0")
        number = int(digits or "0") if len(digits) <= 12 else MAX_COUNT + 1   # no int() of 5000 digits
        number = -number if text.startswith("-") else number
    if number < 0:
        raise CellError("negative_number", rule="below zero")
    if number > MAX_COUNT:
        raise CellError("invalid_number", rule=f"more than {MAX_COUNT}")
    return number


# ---------------------------------------------------------------- dates and times

_OFFSET_RE = re.compile(r"(Z|[+-]\d{2}:?\d{2})$")
_LOCAL_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M",
                  "%Y-%m-%d", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d-%m-%Y")
_US_FORMATS = ("%m/%d/%Y", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M")
# Dates outside these years are typing or export errors (01/01/1900, 2099 for "unknown").
PLAUSIBLE_YEARS = range(1990, 2050)
_NOT_A_DATE = "not a date or time in a layout the contract knows"


def excel_serial_to_datetime(serial: float) -> datetime:
    if not 1 <= serial < 2958466:  # 1900-01-01 .. 9999-12-31 (and not NaN)
        raise CellError("invalid_date", rule="an Excel date number outside 1900-9999")
    return EXCEL_EPOCH + timedelta(days=float(serial))


def _to_datetime(value, us_order: bool) -> tuple[datetime, bool]:
    """Any date-ish cell -> (datetime, has_zone)."""
    if isinstance(value, datetime):
        return value, value.tzinfo is not None
    if isinstance(value, date):
        return datetime.combine(value, time()), False
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return excel_serial_to_datetime(float(value) if isinstance(value, Decimal) else value), False
    text = str(value).strip().lstrip("'")
    if re.fullmatch(r"\d{5}(\.\d+)?", text):  # an Excel serial that arrived as text
        return excel_serial_to_datetime(float(text)), False
    if _OFFSET_RE.search(text) and "-" in text[:10]:
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as exc:
            raise CellError("invalid_date", rule=_NOT_A_DATE) from exc
        if moment.tzinfo is None:   # '2021-09-05Z': fromisoformat took '+00:00' for the time, after a '+'
            raise CellError("invalid_date", rule=_NOT_A_DATE)
        return moment, True
    text = re.sub(r"\.\d+$", "", text)  # drop fractional seconds
    for fmt in _US_FORMATS if us_order else _LOCAL_FORMATS:
        try:
            return datetime.strptime(text, fmt), False
        except ValueError:
            continue
    raise CellError("invalid_date", rule=_NOT_A_DATE)


def check_year(moment: datetime, value) -> datetime:
    if moment.year not in PLAUSIBLE_YEARS:
        raise CellError("implausible_date", rule=f"the year is outside {PLAUSIBLE_YEARS.start}-"
                                                 f"{PLAUSIBLE_YEARS.stop - 1}")
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
        return check_year(moment.replace(tzinfo=None), value)
    return check_year(utc, value)


def parse_date(value, us_order: bool = False) -> date | None:
    """A calendar date cell (dd/mm/yyyy, ISO, Excel serial; mm/dd/yyyy when us_order)."""
    if is_empty(value):
        return None
    moment, _ = _to_datetime(value, us_order=us_order)
    return check_year(moment, value).date()


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
        raise CellError("invalid_nik", rule=f"{len(digits)} digits")
    return digits


def parse_nib(value) -> str | None:
    """NIB: exactly 13 digits."""
    digits = _digits(value, "invalid_nib")
    if digits is None:
        return None
    if len(digits) != 13:
        raise CellError("invalid_nib", rule=f"{len(digits)} digits")
    return digits


def _digits(value, code: str) -> str | None:
    text = clean_text(value)
    if text is None:
        return None
    text = re.sub(r"[\s.\-]", "", text)
    if not (text.isascii() and text.isdigit()):  # also catches 3.3e15 floats; no other scripts' digits
        raise CellError(code, rule="not digits")
    return text
