"""Column parsers: the cell parsers of `ingest.values`, applied to a whole column at once.

Parsing cell by cell in Python costs about a microsecond a value: minutes for the tens of
millions of orders of a province. A `ColumnParser` pairs a cell parser (the rules) with a
fast path that decides, in Arrow compute kernels, the cells of the plain, common shapes
(`15000`, `Rp 15.000.000`, `1,250.50`, `2021-09-05T03:00:00Z`, `05/03/2021`, ...). Every cell
the fast path leaves undecided (odd shapes, bad values, typed xlsx/JSON cells) goes to the
cell parser, once per distinct value. A fast path never rejects: reason codes always come
from the cell parser, and tests/test_fast_paths.py checks every fast path against its cell
parser value by value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta, timezone
from functools import partial
from typing import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ingest.values import (EMPTY_MARKERS, PLAUSIBLE_YEARS, WIB, CellError, clean_text, parse_count, parse_date,
                           parse_money, parse_nib, parse_nik, parse_timestamp_utc)

DECIMAL = pa.decimal128(18, 2)
# Exactly the characters str.strip() removes, so Arrow's trim agrees with the cell parsers.
PY_SPACE = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())
_MARKERS = pa.array(sorted(EMPTY_MARKERS))
_NO_ROWS = np.zeros(0, dtype=np.int64)

FastPath = Callable[[pa.Array], tuple[pa.Array, np.ndarray]]


@dataclass(frozen=True)
class ColumnParser:
    """A cell parser, the Arrow type of its values, and an optional fast path.

    `fast(strings)` gets the column's `str` cells as an Arrow string array and returns their
    values (of `type`) and a mask of the cells it decided; the value of an undecided cell
    is ignored.
    """

    cell: Callable[[object], object]
    type: pa.DataType | None = None     # None: inferred from the cell parser's values
    fast: FastPath | None = None

    def __call__(self, value):
        return self.cell(value)


def parse_column(parser: ColumnParser | Callable, cells: pa.Array | np.ndarray) -> tuple[pa.Array, np.ndarray, list]:
    """Parse every cell (an Arrow string array, or an object array of any cell values):
    (values, positions of the failing cells, their CellErrors)."""
    if not isinstance(parser, ColumnParser):
        parser = ColumnParser(parser)
    size = len(cells)
    fast_rows, fast_values = _NO_ROWS, None
    if parser.fast is not None and size:
        rows, strings = (np.arange(size), cells) if isinstance(cells, pa.Array) else _string_cells(cells)
        if len(rows):
            values, decided = parser.fast(strings)
            fast_rows = rows[decided]
            fast_values = values if decided.all() else values.filter(pa.array(decided))
    if fast_values is not None and len(fast_rows) == size:
        return fast_values, _NO_ROWS, []
    rest = np.ones(size, dtype=bool)
    rest[fast_rows] = False
    rest_rows = np.flatnonzero(rest)
    values, bad, errors = _parse_distinct(parser, cells.take(pa.array(rest_rows)) if isinstance(cells, pa.Array)
                                          else cells[rest_rows])
    if not len(fast_rows):
        return values, bad, errors
    order = np.empty(size, dtype=np.int64)
    order[fast_rows] = np.arange(len(fast_rows))
    order[rest_rows] = np.arange(len(fast_rows), size)
    return pa.concat_arrays([fast_values, values]).take(pa.array(order)), rest_rows[bad], errors


def _parse_distinct(parser: ColumnParser, cells: pa.Array | np.ndarray) -> tuple[pa.Array, np.ndarray, list]:
    """The cell parser, called once per distinct value."""
    if isinstance(cells, pa.Array):
        encoded = cells.dictionary_encode()
        codes, uniques = encoded.indices.to_numpy(zero_copy_only=False), encoded.dictionary.to_pylist()
    else:
        codes, uniques = pd.factorize(cells, use_na_sentinel=False)
    parsed, failed = [], {}
    for index, value in enumerate(uniques):
        try:
            parsed.append(parser.cell(value))
        except CellError as error:
            parsed.append(None)
            failed[index] = error
    values = pa.array(parsed, type=parser.type)
    if len(uniques) != len(cells) or len(cells) == 0:
        values = values.take(pa.array(codes))
    if not failed:
        return values, _NO_ROWS, []
    bad = np.flatnonzero(np.isin(codes, np.fromiter(failed, dtype=np.int64)))
    return values, bad, [failed[code] for code in codes[bad]]


def _string_cells(cells: np.ndarray) -> tuple[np.ndarray, pa.Array | None]:
    """Positions and Arrow array of the `str` cells (CSV columns are all `str`)."""
    if pd.api.types.infer_dtype(cells, skipna=False) == "string":
        rows = np.arange(len(cells))
    else:
        rows = np.flatnonzero(np.fromiter((type(value) is str for value in cells), dtype=bool, count=len(cells)))
        cells = cells[rows]
    try:
        return rows, pa.array(cells, type=pa.string())
    except (pa.ArrowException, UnicodeError):   # lone surrogates (from JSON escapes): cell by cell
        return _NO_ROWS, None


# ---------------------------------------------------------------- shared pieces

def _empty(strings: pa.Array) -> pa.Array:
    """`is_empty` of each string: blank, an apostrophe, or a marker such as '-' or 'null'.

    ascii_lower is exact here: no non-ASCII character lowercases to ASCII letters of a marker.
    """
    core = pc.utf8_trim(pc.utf8_trim(pc.utf8_trim(strings, PY_SPACE), "'"), PY_SPACE)
    return pc.is_in(pc.ascii_lower(core), value_set=_MARKERS)


def _mask(array: pa.Array) -> np.ndarray:
    return array.fill_null(False).to_numpy(zero_copy_only=False)


def _matches(strings: pa.Array, pattern: str) -> np.ndarray:
    return _mask(pc.match_substring_regex(strings, pattern))


def _empty_where(strings: pa.Array, rows: np.ndarray) -> np.ndarray:
    """`_empty` of the strings of `rows` only (False elsewhere)."""
    empty = np.zeros(len(strings), dtype=bool)
    if rows.any():
        empty[rows] = _mask(_empty(strings.filter(pa.array(rows))))
    return empty


def _bytes(strings: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(UTF-8 bytes, start of each string in them, byte length of each string)."""
    offsets = np.frombuffer(strings.buffers()[1], dtype=np.int32)[strings.offset:strings.offset + len(strings) + 1]
    data = strings.buffers()[2]
    data = np.zeros(0, dtype=np.uint8) if data is None else np.frombuffer(data, dtype=np.uint8)
    return data, offsets[:-1].astype(np.int64), np.diff(offsets).astype(np.int64)


def _number_at(data: np.ndarray, starts: np.ndarray, rows: np.ndarray, position, width: int) -> np.ndarray:
    """The ASCII digits at byte `position` (from each string's start), read as a number, for
    `rows` (whose shape a regex has checked); 0 for the other strings."""
    value = np.zeros(len(starts), dtype=np.int64)
    if not rows.any():
        return value
    index = np.where(rows, starts + position, 0)
    for offset in range(width):
        value = value * 10 + data[index + offset].astype(np.int64) - 48
    return np.where(rows, value, 0)


def _byte_at(data: np.ndarray, index: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """data[index] for `rows` (0 elsewhere)."""
    if not rows.any():
        return np.zeros(len(rows), dtype=np.uint8)
    return np.where(rows, data[np.where(rows, index, 0)], 0)


# ---------------------------------------------------------------- text

def _fast_text(strings: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """clean_text: strip, drop a leading apostrophe, empty markers -> null. Decides every string."""
    stripped = pc.utf8_trim(strings, PY_SPACE)
    quoted = pc.starts_with(stripped, "'")
    text = stripped
    if pc.any(quoted).as_py():
        text = pc.if_else(quoted, pc.utf8_trim(pc.utf8_slice_codeunits(stripped, 1), PY_SPACE), stripped)
    null = pc.or_(_empty(strings), pc.equal(text, ""))
    return pc.if_else(null, pa.scalar(None, pa.string()), text), np.ones(len(strings), dtype=bool)


TEXT = ColumnParser(clean_text, pa.string(), _fast_text)


def _fast_digits(count: int) -> FastPath:
    """NIK/NIB: a cleaned cell of exactly `count` ASCII digits; others go to the cell parser."""
    def fast(strings: pa.Array) -> tuple[pa.Array, np.ndarray]:
        text, _ = _fast_text(strings)
        plain = pc.match_substring_regex(text, f"^[0-9]{{{count}}}$")
        return text, _mask(pc.or_kleene(text.is_null(), plain))
    return fast


NIK = ColumnParser(parse_nik, pa.string(), _fast_digits(16))
NIB = ColumnParser(parse_nib, pa.string(), _fast_digits(13))


# ---------------------------------------------------------------- numbers

_GROUPED = r"[0-9]{1,3}(?:\.[0-9]{3})+"     # 15.000.000 (and 169.000: three digits after one dot)
_COMMA_GROUPED = r"[0-9]{1,3}(?:,[0-9]{3})+"
_MONEY_SHAPE = (
    r"^(?:(?:[Rr][Pp]\.?|[Ii][Dd][Rr]) *)?"                          # Rp, Rp., IDR
    rf"(?:{_GROUPED}|{_COMMA_GROUPED}|[0-9]+"                         # whole rupiah
    rf"|(?:{_COMMA_GROUPED}|[0-9]+)\.[0-9]{{1,2}}"                   # 1,250,000.50
    rf"|(?:{_GROUPED}|[0-9]+),[0-9]{{1,2}})"                          # 2.273,67
    r"(?:,-|\.-)?$")                                                  # Rp 15.000,-


def _fast_money(strings: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """parse_money for plain amounts: digits with Indonesian or English separators, an
    optional Rp/IDR prefix and ',-' suffix. Units, signs and spaces inside go to the cell parser."""
    matched = _matches(strings, _MONEY_SHAPE)
    number = pc.utf8_ltrim(strings, "RrPpIiDd. ")   # a matched string: prefix, then digits and separators
    # Decimals: a separator 2 or 3 bytes from the end (before any ',-'); a thousands group has 3 digits.
    data, starts, lengths = _bytes(number)
    size = lengths - np.where(_byte_at(data, starts + lengths - 1, matched & (lengths > 0)) == ord("-"), 2, 0)
    decimals = np.where(_is_separator(data, starts + size - 3, matched & (size >= 3)), 2,
                        np.where(_is_separator(data, starts + size - 2, matched & (size >= 2)), 1, 0))
    digits = number
    for separator in (".", ",", "-"):
        digits = pc.replace_substring(digits, separator, "")
    whole_digits = pc.binary_length(digits).to_numpy(zero_copy_only=False) - decimals
    matched &= whole_digits <= 16    # below 1e16: decimal(18,2) holds it
    cents = _cast_int(digits, matched) * 10 ** (2 - decimals)
    empty = _empty_where(strings, ~matched)
    return decimals_from_cents(cents, ~empty), matched | empty


def _is_separator(data: np.ndarray, index: np.ndarray, rows: np.ndarray) -> np.ndarray:
    byte = _byte_at(data, index, rows)
    return rows & ((byte == ord(".")) | (byte == ord(",")))


def _cast_int(digits: pa.Array, rows: np.ndarray) -> np.ndarray:
    """Digit strings of `rows` as int64 (0 elsewhere)."""
    return pc.cast(pc.if_else(pa.array(rows), digits, "0"), pa.int64()).to_numpy(zero_copy_only=False)


def decimals_from_cents(cents: np.ndarray, valid: np.ndarray) -> pa.Array:
    """decimal(18,2) from int64 cents: its 128-bit little-endian two's complement, as is."""
    words = np.empty((len(cents), 2), dtype=np.int64)
    words[:, 0] = cents
    words[:, 1] = cents >> 63
    validity = None if valid.all() else pa.array(valid).buffers()[1]
    return pa.Array.from_buffers(DECIMAL, len(cents), [validity, pa.py_buffer(words)])


def cents_of(amounts: pa.Array) -> np.ndarray:
    """int64 cents of a decimal(18,2) array (its low 64 bits; 0 where null)."""
    words = np.frombuffer(amounts.buffers()[1], dtype=np.int64)[2 * amounts.offset:][:2 * len(amounts)]
    return np.where(amounts.is_null().to_numpy(zero_copy_only=False), 0, words[0::2])


MONEY = ColumnParser(parse_money, DECIMAL, _fast_money)


def _fast_count(strings: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """parse_count for plain digits (up to 9: below MAX_COUNT)."""
    plain = _matches(strings, r"^[0-9]{1,9}$")
    empty = _empty_where(strings, ~plain)
    return pa.array(_cast_int(strings, plain), pa.int64(), mask=empty), plain | empty


COUNT = ColumnParser(parse_count, pa.int64(), _fast_count)


# ---------------------------------------------------------------- dates and times

# The shapes are checked by regex; the fields are then read at their byte positions.
_HMS = r"[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?"
_ISO_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_NAIVE_ISO = rf"^{_ISO_DATE}(?:[T ]{_HMS})?$"      # strptime; fractional seconds are dropped
_ZONED_ISO = (rf"^{_ISO_DATE}[T ][0-9]{{2}}:[0-9]{{2}}(?::[0-9]{{2}}(?:\.[0-9]{{1,6}})?)?"
              r"(?:Z|[+-][0-9]{2}:[0-9]{2})$")    # datetime.fromisoformat keeps the fraction
_DMY = rf"^[0-9]{{2}}/[0-9]{{2}}/[0-9]{{4}}(?: {_HMS})?$"
_US_PER_MINUTE, _US_PER_DAY = 60_000_000, 86_400_000_000
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def _days_from_civil(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of valid proleptic Gregorian dates (H. Hinnant's algorithm)."""
    year = year - (month <= 2)
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * np.where(month > 2, month - 3, month + 9) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def _valid_date(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_ok = (month >= 1) & (month <= 12)
    days = _DAYS_IN_MONTH[np.where(month_ok, month, 0)] + (leap & (month == 2))
    return month_ok & (day >= 1) & (day <= days) & (year >= 1)


def _moment(data, starts, lengths, rows, year_at: int, month_at: int, day_at: int) -> tuple[np.ndarray, np.ndarray]:
    """(local microseconds since the epoch, valid) of 10-byte dates followed by an optional
    ' HH:MM[:SS]' (`lengths` without any zone); every field must be in range (strptime's rules)."""
    year = _number_at(data, starts, rows, year_at, 4)
    month = _number_at(data, starts, rows, month_at, 2)
    day = _number_at(data, starts, rows, day_at, 2)
    hour = _number_at(data, starts, rows & (lengths >= 16), 11, 2)
    minute = _number_at(data, starts, rows & (lengths >= 16), 14, 2)
    second = _number_at(data, starts, rows & (lengths >= 19), 17, 2)
    valid = rows & _valid_date(year, month, day) & (hour <= 23) & (minute <= 59) & (second <= 59)
    days = _days_from_civil(year, np.where(valid, month, 1), day)
    return days * _US_PER_DAY + ((hour * 60 + minute) * 60 + second) * 1_000_000, valid


def _fast_timestamps(strings: pa.Array, naive_offset_minutes: int) -> tuple[pa.Array, np.ndarray]:
    """parse_timestamp_utc for ISO times (with or without a zone) and dd/mm/yyyy [HH:MM[:SS]]."""
    data, starts, lengths = _bytes(strings)
    naive, zoned, dmy = (_matches(strings, shape) for shape in (_NAIVE_ISO, _ZONED_ISO, _DMY))
    # A zone is 'Z' or ±HH:MM at the end; the fraction (1-6 digits) between the seconds and it is kept.
    utc_zone = zoned & (_byte_at(data, starts + lengths - 1, zoned) == ord("Z"))
    offset_zone = zoned & ~utc_zone
    zone_hours = _number_at(data, starts, offset_zone, lengths - 5, 2)
    zone_minutes = _number_at(data, starts, offset_zone, lengths - 2, 2)
    east = np.where(_byte_at(data, starts + lengths - 6, offset_zone) == ord("-"), -1, 1)
    offset = np.where(zoned, east * (zone_hours * 60 + zone_minutes), naive_offset_minutes)
    body = lengths - np.where(utc_zone, 1, 0) - np.where(offset_zone, 6, 0)
    fraction = np.zeros(len(strings), dtype=np.int64)
    for digit in range(6):
        fraction += _number_at(data, starts, zoned & (body > 20 + digit), 20 + digit, 1) * 10 ** (5 - digit)
    iso_us, iso_ok = _moment(data, starts, body, naive | zoned, 0, 5, 8)
    dmy_us, dmy_ok = _moment(data, starts, body, dmy, 6, 3, 0)
    iso_ok &= ~offset_zone | ((zone_hours <= 23) & (zone_minutes <= 59))
    utc_us = np.where(iso_ok, iso_us + fraction, dmy_us) - offset * _US_PER_MINUTE
    decided = (iso_ok | dmy_ok) & _plausible_year(utc_us)
    empty = _empty_where(strings, ~decided)
    return pa.array(utc_us, type=pa.timestamp("us"), mask=empty), decided | empty


def _plausible_year(microseconds: np.ndarray) -> np.ndarray:
    years = microseconds.astype("datetime64[us]").astype("datetime64[Y]").astype(np.int64) + 1970
    return (years >= PLAUSIBLE_YEARS.start) & (years < PLAUSIBLE_YEARS.stop)


def timestamps_utc(naive_zone: timezone = WIB) -> ColumnParser:
    """parse_timestamp_utc over a column; zone-less values are in `naive_zone`."""
    offset = int(naive_zone.utcoffset(None) / timedelta(minutes=1))
    return ColumnParser(partial(parse_timestamp_utc, naive_zone=naive_zone), pa.timestamp("us"),
                        partial(_fast_timestamps, naive_offset_minutes=offset))


def _fast_dates(strings: pa.Array, us_order: bool) -> tuple[pa.Array, np.ndarray]:
    """parse_date for yyyy-mm-dd and dd/mm/yyyy (only mm/dd/yyyy, when us_order)."""
    data, starts, lengths = _bytes(strings)
    slashed = _matches(strings, r"^[0-9]{2}/[0-9]{2}/[0-9]{4}$")
    iso = np.zeros(len(strings), dtype=bool) if us_order else _matches(strings, rf"^{_ISO_DATE}$")
    iso_us, iso_ok = _moment(data, starts, lengths, iso, 0, 5, 8)
    day_at, month_at = (3, 0) if us_order else (0, 3)
    slashed_us, slashed_ok = _moment(data, starts, lengths, slashed, 6, month_at, day_at)
    days = np.where(iso_ok, iso_us, slashed_us) // _US_PER_DAY
    decided = (iso_ok | slashed_ok) & _plausible_year(days * _US_PER_DAY)
    empty = _empty_where(strings, ~decided)
    return pa.array(days.astype(np.int32), type=pa.date32(), mask=empty), decided | empty


def dates(us_order: bool = False) -> ColumnParser:
    """parse_date over a column."""
    return ColumnParser(partial(parse_date, us_order=us_order), pa.date32(),
                        partial(_fast_dates, us_order=us_order))


TIMESTAMP_WIB = timestamps_utc(WIB)
TIMESTAMP_UTC = timestamps_utc(timezone.utc)
DATE = dates()
DATE_US = dates(us_order=True)
