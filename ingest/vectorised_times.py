"""Column-wise fast paths for dates and timestamps: each shape of a column read at fixed positions.

Part of `ingest.vectorised` (the cell parsers of `ingest.values` stay the rule book).
"""

import re
from datetime import timedelta, timezone
from functools import lru_cache, partial
import numpy as np
import pyarrow as pa
from ingest.values import (PLAUSIBLE_YEARS, WIB, parse_date,
                           parse_timestamp_utc)

from ingest.vectorised import ColumnParser, _Cells, _empty_where, _shape_groups

# A column of times has few shapes (digits written as '9', see `_digit_shapes`): the fast paths
# read the shapes below, one shape at a time, each field at its fixed position. The named groups
# are the fields; every field must be in range (strptime's rules) or the cell parser decides.
_NAIVE_ISO = re.compile(r"(?P<Y>9999)-(?P<m>99)-(?P<d>99)"            # strptime: fractional seconds dropped
                        r"(?:[T ](?P<H>99):(?P<M>99)(?::(?P<S>99)(?:\.9+)?)?)?")
_ZONED_ISO = re.compile(r"(?P<Y>9999)-(?P<m>99)-(?P<d>99)[T ](?P<H>99):(?P<M>99)"   # fromisoformat keeps
                        r"(?::(?P<S>99)(?:\.(?P<f>9{1,6}))?)?"                     # the fraction
                        r"(?:Z|(?P<sign>[+-])(?P<zh>99):(?P<zm>99))")
_DMY = re.compile(r"(?P<d>99)/(?P<m>99)/(?P<Y>9999)(?: (?P<H>99):(?P<M>99)(?::(?P<S>99)(?:\.9+)?)?)?")
_ISO_DATE = re.compile(r"(?P<Y>9999)-(?P<m>99)-(?P<d>99)")
_DMY_DATE = re.compile(r"(?P<d>99)/(?P<m>99)/(?P<Y>9999)")
_MDY_DATE = re.compile(r"(?P<m>99)/(?P<d>99)/(?P<Y>9999)")
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


@lru_cache(maxsize=4096)
def _layout(layouts: tuple[re.Pattern, ...], shape: str) -> re.Match | None:
    """The match of the first of `layouts` that reads the whole shape."""
    return next((match for match in (layout.fullmatch(shape) for layout in layouts) if match), None)


def _layout_of(layouts: tuple[re.Pattern, ...], shape: str) -> re.Match | None:
    """`_layout`, for shapes of a real time's length: a longer one (a fraction of thousands of
    digits) goes to the cell parser, and does not take the cache's memory."""
    return None if len(shape) > _LONGEST_SHAPE else _layout(layouts, shape)


_LONGEST_SHAPE = 40   # 2021-09-05T14:03:04.123456+07:00 is 32


def _either(*layouts: re.Pattern) -> str:
    """One RE2 regex matching what any of the layouts matches (group names dropped: RE2 wants them unique)."""
    return "^(?:" + "|".join(re.sub(r"\?P<\w+>", "", layout.pattern) for layout in layouts) + ")$"


_TIMESTAMP_LAYOUTS = (_NAIVE_ISO, _ZONED_ISO, _DMY)
_DATE_LAYOUTS = {False: (_DMY_DATE, _ISO_DATE), True: (_MDY_DATE,)}   # by us_order
_TIMESTAMP_SHAPES = _either(*_TIMESTAMP_LAYOUTS)
_DATE_SHAPES = {us_order: _either(*layouts) for us_order, layouts in _DATE_LAYOUTS.items()}


def _field(cells: _Cells, match: re.Match, name: str) -> np.ndarray:
    """The number a field of the layout holds in each cell (0 where the shape lacks the field)."""
    start, end = match.span(name) if name in match.re.groupindex else (-1, -1)
    if start < 0:
        return np.zeros(len(cells), dtype=np.int64)
    return cells.number(range(start, end))


def _local_moment(cells: _Cells, match: re.Match) -> tuple[np.ndarray, np.ndarray]:
    """(microseconds since the epoch as written, valid) of the cells of one shape."""
    year, month, day = (_field(cells, match, name) for name in "Ymd")
    hour, minute, second = (_field(cells, match, name) for name in "HMS")
    valid = _valid_date(year, month, day) & (hour <= 23) & (minute <= 59) & (second <= 59)
    days = _days_from_civil(year, np.where(valid, month, 1), day)
    return days * _US_PER_DAY + ((hour * 60 + minute) * 60 + second) * 1_000_000, valid


def _fast_timestamps(strings: pa.Array, naive_offset_minutes: int) -> tuple[pa.Array, np.ndarray]:
    """parse_timestamp_utc for ISO times (with or without a zone) and dd/mm/yyyy [HH:MM[:SS]]."""
    data, starts, groups = _shape_groups(strings, _TIMESTAMP_SHAPES, partial(_layout_of, _TIMESTAMP_LAYOUTS))
    utc_us = np.zeros(len(strings), dtype=np.int64)
    decided = np.zeros(len(strings), dtype=bool)
    for rows, match in groups:
        cells = _Cells(data, starts[rows], len(match.string))
        local_us, valid = _local_moment(cells, match)
        offset = naive_offset_minutes
        if match.re is _ZONED_ISO:
            digits = match.end("f") - match.start("f") if match.start("f") >= 0 else 0
            local_us += _field(cells, match, "f") * 10 ** (6 - digits)
            if match.start("sign") >= 0:   # ±HH:MM; 'Z' is UTC
                zone_hours, zone_minutes = _field(cells, match, "zh"), _field(cells, match, "zm")
                valid &= (zone_hours <= 23) & (zone_minutes <= 59)
                offset = (-1 if match["sign"] == "-" else 1) * (zone_hours * 60 + zone_minutes)
            else:
                offset = 0
        utc_us[rows] = local_us - offset * _US_PER_MINUTE
        decided[rows] = valid
    decided &= _plausible_year(utc_us)
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
    data, starts, groups = _shape_groups(strings, _DATE_SHAPES[us_order], partial(_layout_of, _DATE_LAYOUTS[us_order]))
    days = np.zeros(len(strings), dtype=np.int64)
    decided = np.zeros(len(strings), dtype=bool)
    for rows, match in groups:
        local_us, valid = _local_moment(_Cells(data, starts[rows], len(match.string)), match)
        days[rows] = local_us // _US_PER_DAY
        decided[rows] = valid
    decided &= _plausible_year(days * _US_PER_DAY)
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
