"""Cell parsers: Indonesian money, dates and times, identifiers."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from ingest.values import (CellError, parse_count, parse_date, parse_money, parse_nib, parse_nik,
                           parse_timestamp_utc, wib_date)


@pytest.mark.parametrize("text, expected", [
    ("169.000", "169000"),            # Indonesian thousands, not 169.0
    ("159.000", "159000"),
    ("2.273,67", "2273.67"),
    ("1,250,000", "1250000"),         # GoBiz thousands
    ("1,250,000.50", "1250000.50"),
    ("Rp 15.000.000", "15000000"),
    ("Rp. 100000", "100000"),
    ("rp15.000", "15000"),
    ("IDR 2.500", "2500"),
    ("15 juta", "15000000"),
    ("2,5 miliar", "2500000000"),
    ("1.5 juta", "1500000"),
    ("12.50", "12.50"),
    ("'1,250", "1250"),               # leading apostrophe from a spreadsheet
    (" 75000 ", "75000"),
    ("Rp 15.000,-", "15000"),
    ("0", "0"),
])
def test_money_text(text, expected):
    assert parse_money(text) == Decimal(expected)


def test_money_number_cells_are_exact():
    assert parse_money(159000.0) == Decimal("159000.00")
    assert parse_money(2273.67) == Decimal("2273.67")
    assert parse_money(15000000) == Decimal("15000000")


@pytest.mark.parametrize("text", ["", "-", None, "  "])
def test_money_empty(text):
    assert parse_money(text) is None


@pytest.mark.parametrize("text, code", [
    ("-5000", "negative_amount"), ("(5.000)", "negative_amount"), (-1.0, "negative_amount"),
    ("abc", "invalid_amount"), ("12.34.5", "invalid_amount"), ("1,2,3", "invalid_amount"),
    ("15 dollars", "invalid_amount"), (float("inf"), "invalid_amount"),
])
def test_money_errors(text, code):
    with pytest.raises(CellError) as error:
        parse_money(text)
    assert error.value.code == code


def test_timestamps_to_utc():
    # ISO with offset, with Z, and zone-less local (WIB) times all end as naive UTC.
    assert parse_timestamp_utc("2021-09-05T14:03:04.000+07:00") == datetime(2021, 9, 5, 7, 3, 4)
    assert parse_timestamp_utc("2021-09-05T17:30:00Z") == datetime(2021, 9, 5, 17, 30)
    assert parse_timestamp_utc("2021-09-05 14:03") == datetime(2021, 9, 5, 7, 3)
    assert parse_timestamp_utc("05/09/2021 14:03") == datetime(2021, 9, 5, 7, 3)
    assert parse_timestamp_utc(datetime(2021, 9, 5, 14, 3)) == datetime(2021, 9, 5, 7, 3)
    assert parse_timestamp_utc("-") is None


@pytest.mark.parametrize("text", ["2021-09-05Z", "0001-01-01Z", "2021-09-05+07:00", "2021-09-05-07:00"])
def test_a_zone_after_a_bare_date_is_no_timestamp(text):
    """Python's fromisoformat reads '2021-09-05+00:00' as 00:00 after a '+' separator, without a
    zone: the time then depended on the machine's zone, and year 1 raised a ValueError."""
    with pytest.raises(CellError) as error:
        parse_timestamp_utc(text)
    assert error.value.code == "invalid_date"


def test_utc_evening_is_next_wib_day():
    moment = parse_timestamp_utc("2021-09-05T17:30:00Z")
    assert wib_date(moment) == date(2021, 9, 6)
    assert wib_date(parse_timestamp_utc("2021-09-05T16:59:59Z")) == date(2021, 9, 5)


def test_dates():
    assert parse_date("05/03/2021") == date(2021, 3, 5)              # dd/mm/yyyy
    assert parse_date("03/05/2021", us_order=True) == date(2021, 3, 5)  # GoBiz mm/dd/yyyy
    assert parse_date("2021-03-05") == date(2021, 3, 5)
    assert parse_date(44260) == date(2021, 3, 5)                      # Excel serial
    assert parse_date(44260.0) == date(2021, 3, 5)
    assert parse_date("44260") == date(2021, 3, 5)                    # serial that became text
    assert parse_date(datetime(2021, 3, 5, 0, 0)) == date(2021, 3, 5)
    with pytest.raises(CellError) as error:
        parse_date("31/02/2021")
    assert error.value.code == "invalid_date"
    with pytest.raises(CellError) as error:
        parse_date("01/01/1900")
    assert error.value.code == "implausible_date"


def test_identifiers():
    assert parse_nik("'3374012345678901") == "3374012345678901"
    assert parse_nik(" 3374 0123 4567 8901 ") == "3374012345678901"
    assert parse_nik("") is None
    with pytest.raises(CellError) as error:
        parse_nik("337401234567890")   # 15 digits
    assert error.value.code == "invalid_nik"
    assert "337401234567890" not in str(error.value)  # never echo personal data
    with pytest.raises(CellError):
        parse_nik("33740123456789AB")
    assert parse_nib("'1234567890123") == "1234567890123"
    with pytest.raises(CellError) as error:
        parse_nib("12345")
    assert error.value.code == "invalid_nib"


def test_counts():
    assert parse_count("12") == 12
    assert parse_count(3.0) == 3
    assert parse_count("1.200") == 1200
    with pytest.raises(CellError):
        parse_count("-2")
    with pytest.raises(CellError):
        parse_count(2.5)
