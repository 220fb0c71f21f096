"""Cell parsers: Indonesian money, dates and times, identifiers."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from ingest.values import (CellError, clean_text, parse_count, parse_date, parse_money, parse_nib, parse_nik,
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


# ---------------------------------------------------------------- hostile numbers (issue 16)

HUGE = "9" * 5000   # past Python's 4300-digit integer string conversion limit


def short(value) -> str:
    """A test id (repr() of an int of 5000 digits raises, and a 5000-character id helps nobody)."""
    if isinstance(value, int) and value.bit_length() > 1000:
        return "an int of many digits"
    text = repr(value)
    return text if len(text) <= 30 else f"{text[:24]}...({len(text)})"


@pytest.mark.parametrize("cell", [
    "1e-400", "4.9e-324", "1e400", "inf", "-inf", "Infinity", HUGE, "99999999999999999", "10000000000000000",
    "9.999.999.999.999.999,995", "0,000001 rb", float("nan"), float("inf"), float("-inf"), 5e-324,
    2.2250738585072014e-308, 0.004, 1e16, 1e300, Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity"),
    Decimal("1e-400"), Decimal("1E+400"), Decimal("0.005"), Decimal("0.0049999"), Decimal(HUGE),
    Decimal("9999999999999999.995"), Decimal("1e999999999"), 10**5000, 10**16, True], ids=short)
def test_what_decimal_18_2_cannot_hold_is_an_invalid_amount(cell):
    """Too many digits, not a number, or not zero yet 0.00 once rounded to cents (an underflow)."""
    with pytest.raises(CellError) as error:
        parse_money(cell)
    assert error.value.code == "invalid_amount"


@pytest.mark.parametrize("cell", ["-0", "-0,00", "(0)", "0-", "-Rp 0", "Rp 0,-", -0.0, 0, Decimal("-0"),
                                  Decimal("-0E+5"), Decimal("-0.000")])
def test_zero_is_zero_whatever_its_sign(cell):
    amount = parse_money(cell)
    assert amount == 0 and str(amount) == "0.00"


def test_amount_edges():
    assert parse_money(Decimal("0.006")) == Decimal("0.01")      # rounds to a cent: no underflow
    assert parse_money(Decimal("9999999999999999.99")) == Decimal("9999999999999999.99")
    assert parse_money("9.999.999.999.999.999,99") == Decimal("9999999999999999.99")
    assert parse_money(Decimal("120000")) == Decimal("120000.00")
    with pytest.raises(CellError) as error:
        parse_money(Decimal("-0.001"))                            # below zero before it is below a cent
    assert error.value.code == "negative_amount"
    assert parse_money("NaN") is None and parse_money(" nan ") is None   # text 'nan' is pandas' empty cell


@pytest.mark.parametrize("cell, code", [
    (HUGE, "invalid_number"), ("-" + HUGE, "negative_number"), (Decimal("1e999999999"), "invalid_number"),
    (Decimal("NaN"), "invalid_number"), (float("nan"), "invalid_number"), (float("inf"), "invalid_number"),
    (Decimal("2.5"), "invalid_number"), (Decimal("-3"), "negative_number"), (True, "invalid_number")], ids=short)
def test_count_errors(cell, code):
    with pytest.raises(CellError) as error:
        parse_count(cell)
    assert error.value.code == code


def test_counts_of_json_numbers():
    assert parse_count(Decimal("12")) == 12 and parse_count(Decimal("1.2E1")) == 12
    assert parse_count("0" * 5000 + "7") == 7 and parse_count(Decimal("-0")) == 0


def test_dates_of_json_numbers():
    assert parse_date(Decimal("44260")) == date(2021, 3, 5)
    for cell in (Decimal("NaN"), float("nan"), Decimal("1e999999999"), Decimal("-Infinity")):
        with pytest.raises(CellError) as error:
            parse_date(cell)
        assert error.value.code == "invalid_date"


@pytest.mark.parametrize("cell, text", [
    (Decimal("1.5E3"), "1500"), (Decimal("-0"), "0"), (Decimal("1.50"), "1.5"), (Decimal("12"), "12"),
    (Decimal("3374015501900011"), "3374015501900011"), (Decimal(HUGE), HUGE), (Decimal("1E+999999999"), "1E+999999999"),
    (Decimal("NaN"), None), (float("nan"), None), (12.0, "12"), (" 'x ", "x")], ids=short)
def test_clean_text_of_numbers(cell, text):
    assert clean_text(cell) == text


def test_a_lone_surrogate_is_no_text():
    with pytest.raises(CellError) as error:
        clean_text("Batik \ud800")
    assert error.value.code == "invalid_encoding"
    assert clean_text("Batik \U0001F600") == "Batik \U0001F600"


# ---------------------------------------------------------------- reasons never quote the cell

def test_cell_error_takes_a_rule_never_the_value():
    """There is no place for the offending value: it would reach a reason."""
    with pytest.raises(TypeError):
        CellError("unknown_program", "3374015501900011")
    assert CellError("invalid_nik", rule="15 digits").detail == "15 digits"


@pytest.mark.parametrize("parse", [parse_money, parse_count, parse_date, parse_timestamp_utc, parse_nik, parse_nib])
@pytest.mark.parametrize("cell", ["3374015501900011x", "Siti Aminah", "Jl. Diponegoro 7 RT 02", "0857-1122-3344-55"])
def test_no_cell_parser_quotes_the_cell(parse, cell):
    with pytest.raises(CellError) as error:
        parse(cell)
    for text in (error.value.detail, str(error.value)):
        assert cell[:6] not in text, text
