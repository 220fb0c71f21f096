"""Column parsers: the cell parsers of `ingest.values`, applied to a whole column at once.

Parsing cell by cell in Python costs about a microsecond a value: minutes for the tens of
millions of orders of a province. A `ColumnParser` pairs a cell parser (the rules) with a
fast path that decides, in Arrow compute kernels, the cells of the plain, common shapes
(`15000`, `Rp 15.000.000`, `1,250.50`, `2021-09-05T03:00:00Z`, `05/03/2021`, ...). Every cell
the fast path leaves undecided (odd shapes, bad values, typed xlsx/JSON cells) goes to the
cell parser, once per distinct value. A fast path never rejects: reason codes always come
from the cell parser, and tests/test_vectorised.py checks every fast path against its cell
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


def parse_column(parser: ColumnParser | Callable, cells: np.ndarray) -> tuple[pa.Array, np.ndarray, list]:
    """Parse every cell: (values, positions of the failing cells, their CellErrors)."""
    if not isinstance(parser, ColumnParser):
        parser = ColumnParser(parser)
    size = len(cells)
    fast_rows, fast_values = _NO_ROWS, None
    if parser.fast is not None and size:
        rows, strings = _string_cells(cells)
        if len(rows):
            values, decided = parser.fast(strings)
            fast_rows = rows[decided]
            fast_values = values if decided.all() else values.filter(pa.array(decided))
    if len(fast_rows) == size:
        return fast_values, _NO_ROWS, []
    rest = np.ones(size, dtype=bool)
    rest[fast_rows] = False
    rest_rows = np.flatnonzero(rest)
    values, bad, errors = _parse_distinct(parser, cells[rest_rows])
    if not len(fast_rows):
        return values, bad, errors
    order = np.empty(size, dtype=np.int64)
    order[fast_rows] = np.arange(len(fast_rows))
    order[rest_rows] = np.arange(len(fast_rows), size)
    return pa.concat_arrays([fast_values, values]).take(pa.array(order)), rest_rows[bad], errors


def _parse_distinct(parser: ColumnParser, cells: np.ndarray) -> tuple[pa.Array, np.ndarray, list]:
    """The cell parser, called once per distinct value."""
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


def _int(strings: pa.Array, rows: np.ndarray) -> np.ndarray:
    """Regex-checked digit groups of `rows` to int64; other rows and absent groups ('') are 0."""
    usable = pc.and_(pa.array(rows), pc.not_equal(strings.fill_null(""), ""))
    strings = pc.if_else(usable, strings, "0")
    return pc.cast(strings, pa.int64()).to_numpy(zero_copy_only=False)


def _extract(strings: pa.Array, pattern: str) -> tuple[np.ndarray, dict[str, pa.Array]]:
    """Which strings match an anchored regex, and its named groups ('' where absent)."""
    groups = pc.extract_regex(strings, pattern)
    return _mask(groups.is_valid()), {field.name: groups.field(index).fill_null("")
                                      for index, field in enumerate(groups.type)}


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
    r"^(?:(?:[Rr][Pp]\.?|[Ii][Dd][Rr]) *)?"                                     # Rp, Rp., IDR
    rf"(?:(?P<a>{_GROUPED}|{_COMMA_GROUPED}|[0-9]+)"                            # whole rupiah
    rf"|(?P<b>{_COMMA_GROUPED}|[0-9]+)\.(?P<bf>[0-9]{{1,2}})"                   # 1,250,000.50
    rf"|(?P<c>{_GROUPED}|[0-9]+),(?P<cf>[0-9]{{1,2}}))"                         # 2.273,67
    r"(?:,-|\.-)?$")                                                              # Rp 15.000,-


def _fast_money(strings: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """parse_money for plain amounts: digits with Indonesian or English separators, an
    optional Rp/IDR prefix and ',-' suffix. Units, signs and spaces inside go to the cell parser."""
    matched, groups = _extract(strings, _MONEY_SHAPE)
    whole = pc.binary_join_element_wise(groups["a"], groups["b"], groups["c"], "")   # one of them is set
    whole = pc.replace_substring(pc.replace_substring(whole, ".", ""), ",", "")
    fraction = pc.utf8_rpad(pc.binary_join_element_wise(groups["bf"], groups["cf"], ""), 2, "0")
    matched &= _mask(pc.less_equal(pc.utf8_length(whole), 16))    # < 1e16: decimal(18,2) holds it
    cents = _int(whole, matched) * 100 + _int(fraction, matched)
    empty = _mask(_empty(strings))
    return decimals_from_cents(cents, ~empty), matched | empty


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
    """parse_count for plain digits."""
    plain = _mask(pc.match_substring_regex(strings, r"^[0-9]{1,18}$"))
    empty = _mask(_empty(strings))
    values = pc.cast(pc.if_else(pa.array(plain), strings, "0"), pa.int64())
    return pc.if_else(pa.array(empty), pa.scalar(None, pa.int64()), values), plain | empty


COUNT = ColumnParser(parse_count, pa.int64(), _fast_count)


# ---------------------------------------------------------------- dates and times

_TIME = r"(?P<H>[0-9]{2}):(?P<M>[0-9]{2})(?::(?P<S>[0-9]{2})(?:\.(?P<f>[0-9]+))?)?"
_ISO = (r"^(?P<Y>[0-9]{4})-(?P<m>[0-9]{2})-(?P<d>[0-9]{2})"
        rf"(?:[T ]{_TIME}(?P<z>Z|[+-][0-9]{{2}}:[0-9]{{2}})?)?$")
_DMY = rf"^(?P<d>[0-9]{{2}})/(?P<m>[0-9]{{2}})/(?P<Y>[0-9]{{4}})(?: {_TIME})?$"
_MDY_DATE = r"^(?P<m>[0-9]{2})/(?P<d>[0-9]{2})/(?P<Y>[0-9]{4})$"
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


def _fields(strings: pa.Array, pattern: str) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, pa.Array]]:
    """Date and time fields of the strings a pattern matches, valid as a calendar date and a
    time of day; hour, minute and second are 0 where the pattern has none."""
    matched, groups = _extract(strings, pattern)
    field = {name: _int(groups[name], matched) if name in groups else np.zeros(len(strings), dtype=np.int64)
             for name in ("Y", "m", "d", "H", "M", "S")}
    valid = matched & _valid_date(field["Y"], field["m"], field["d"]) \
        & (field["H"] <= 23) & (field["M"] <= 59) & (field["S"] <= 59)
    return valid, field, groups


def _local_us(field: dict) -> np.ndarray:
    days = _days_from_civil(field["Y"], field["m"], field["d"])
    return days * _US_PER_DAY + ((field["H"] * 60 + field["M"]) * 60 + field["S"]) * 1_000_000


def _zone_minutes(zone: pa.Array, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(has a zone, offset in minutes east of UTC, offset in range) of 'Z', '+07:00' or ''."""
    has_zone = rows & _mask(pc.not_equal(zone, ""))
    hours = _int(pc.utf8_slice_codeunits(zone, 1, 3), has_zone)      # 'Z' -> '' -> 0
    minutes = _int(pc.utf8_slice_codeunits(zone, 4, 6), has_zone)
    sign = np.where(_mask(pc.starts_with(zone, "-")), -1, 1)
    return has_zone, sign * (hours * 60 + minutes), (hours <= 23) & (minutes <= 59)


def _fraction_us(fraction: pa.Array, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Microseconds of the '.123' of a time (1-6 digits, as datetime.fromisoformat reads them)."""
    length = pc.utf8_length(fraction).to_numpy(zero_copy_only=False)
    padded = pc.utf8_rpad(pc.utf8_slice_codeunits(fraction, 0, 6), 6, "0")
    return _int(padded, rows), length <= 6


def _fast_timestamps(strings: pa.Array, naive_offset_minutes: int) -> tuple[pa.Array, np.ndarray]:
    """parse_timestamp_utc for ISO (with or without a zone) and dd/mm/yyyy [HH:MM[:SS]]."""
    size = len(strings)
    utc_us = np.zeros(size, dtype=np.int64)
    decided = np.zeros(size, dtype=bool)
    # ISO: a zone makes it an aware time (fromisoformat keeps the fraction); without one the
    # fraction is dropped and the time is local to the naive zone (strptime).
    valid, field, groups = _fields(strings, _ISO)
    has_zone, offset, offset_ok = _zone_minutes(groups["z"], valid)
    fraction_us, fraction_ok = _fraction_us(groups["f"], has_zone)
    valid &= ~has_zone | (offset_ok & fraction_ok)
    moment = _local_us(field) + np.where(has_zone, fraction_us, 0) \
        - np.where(has_zone, offset, naive_offset_minutes) * _US_PER_MINUTE
    utc_us = np.where(valid, moment, utc_us)
    decided |= valid
    if not decided.all():
        valid, field, _ = _fields(strings, _DMY)
        valid &= ~decided
        utc_us = np.where(valid, _local_us(field) - naive_offset_minutes * _US_PER_MINUTE, utc_us)
        decided |= valid
    decided &= _plausible_year(utc_us.astype("datetime64[us]"))
    empty = _mask(_empty(strings))
    values = pa.array(utc_us, type=pa.timestamp("us"), mask=empty)
    return values, decided | empty


def _plausible_year(moments: np.ndarray) -> np.ndarray:
    years = moments.astype("datetime64[Y]").astype(np.int64) + 1970
    return (years >= PLAUSIBLE_YEARS.start) & (years < PLAUSIBLE_YEARS.stop)


def timestamps_utc(naive_zone: timezone = WIB) -> ColumnParser:
    """parse_timestamp_utc over a column; zone-less values are in `naive_zone`."""
    offset = int(naive_zone.utcoffset(None) / timedelta(minutes=1))
    return ColumnParser(partial(parse_timestamp_utc, naive_zone=naive_zone), pa.timestamp("us"),
                        partial(_fast_timestamps, naive_offset_minutes=offset))


def _fast_dates(strings: pa.Array, us_order: bool) -> tuple[pa.Array, np.ndarray]:
    """parse_date for yyyy-mm-dd and dd/mm/yyyy (mm/dd/yyyy only, when us_order)."""
    size = len(strings)
    days = np.zeros(size, dtype=np.int64)
    decided = np.zeros(size, dtype=bool)
    for pattern in ([_MDY_DATE] if us_order else [r"^(?P<Y>[0-9]{4})-(?P<m>[0-9]{2})-(?P<d>[0-9]{2})$",
                                                  r"^(?P<d>[0-9]{2})/(?P<m>[0-9]{2})/(?P<Y>[0-9]{4})$"]):
        valid, field, _ = _fields(strings, pattern)
        valid &= ~decided & (field["Y"] >= PLAUSIBLE_YEARS.start) & (field["Y"] < PLAUSIBLE_YEARS.stop)
        days = np.where(valid, _days_from_civil(field["Y"], field["m"], field["d"]), days)
        decided |= valid
    empty = _mask(_empty(strings))
    return pa.array(days.astype(np.int32), type=pa.date32(), mask=empty), decided | empty


def dates(us_order: bool = False) -> ColumnParser:
    """parse_date over a column."""
    return ColumnParser(partial(parse_date, us_order=us_order), pa.date32(),
                        partial(_fast_dates, us_order=us_order))


TIMESTAMP_WIB = timestamps_utc(WIB)
TIMESTAMP_UTC = timestamps_utc(timezone.utc)
DATE = dates()
DATE_US = dates(us_order=True)
