"""Property-based tests (Hypothesis) for the money, date and identifier cell parsers."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from ingest.identifiers import umkm_key
from ingest.values import (EXCEL_EPOCH, PLAUSIBLE_YEARS, CellError, parse_count, parse_date, parse_money, parse_nib,
                           parse_nik, parse_timestamp_utc, wib_date)

SETTINGS = settings(max_examples=200, deadline=None)
amounts = st.integers(min_value=0, max_value=10**13)
cents = st.integers(min_value=0, max_value=99)


def grouped(n: int, sep: str) -> str:
    return f"{n:,}".replace(",", sep)


# ---------------------------------------------------------------- money

@SETTINGS
@given(n=amounts, c=st.none() | cents, prefix=st.sampled_from(["", "Rp ", "Rp", "Rp. ", "rp.", "IDR ", "'"]),
       suffix=st.sampled_from(["", ",-", " "]))
@example(n=159000, c=None, prefix="", suffix="")       # 159.000 is 159 thousand, never 159.0
@example(n=169000, c=None, prefix="Rp ", suffix=",-")
def test_indonesian_amounts_round_trip(n, c, prefix, suffix):
    text = grouped(n, ".") + ("" if c is None else f",{c:02d}")
    if c is not None and suffix == ",-":
        suffix = ""
    expected = Decimal(n) + (Decimal(c) / 100 if c is not None else 0)
    assert parse_money(prefix + text + suffix) == expected


@SETTINGS
@given(n=amounts, c=st.none() | cents)
@example(n=1250000, c=None)
def test_gobiz_amounts_round_trip(n, c):
    text = f"{n:,}" + ("" if c is None else f".{c:02d}")
    assert parse_money(text) == Decimal(n) + (Decimal(c) / 100 if c is not None else 0)


@SETTINGS
@given(n=st.integers(min_value=1000, max_value=10**13))
def test_thousands_are_never_read_as_decimals(n):
    """The classic bug: '159.000' read as the float 159.0."""
    for text in (grouped(n, "."), f"{n:,}", f"Rp {grouped(n, '.')}"):
        assert parse_money(text) == n


@SETTINGS
@given(whole=st.integers(min_value=0, max_value=999), fraction=st.integers(min_value=1, max_value=99),
       unit=st.sampled_from([("ribu", 10**3), ("rb", 10**3), ("juta", 10**6), ("jt", 10**6), ("miliar", 10**9)]))
@example(whole=2, fraction=5, unit=("miliar", 10**9))
def test_amounts_with_units(whole, fraction, unit):
    word, factor = unit
    value = Decimal(f"{whole}.{fraction}") * factor
    assume(value < Decimal("1e16"))
    assert parse_money(f"{whole},{fraction} {word}") == value.quantize(Decimal("0.01"))
    assert parse_money(f"{whole} {word}") == whole * factor


@SETTINGS
@given(n=st.integers(min_value=1, max_value=10**13))
def test_negative_amounts_are_row_errors(n):
    for text in (f"-{n}", f"-{grouped(n, '.')}", f"({grouped(n, '.')})", f"-Rp {grouped(n, '.')}", f"{n}-"):
        with pytest.raises(CellError) as error:
            parse_money(text)
        assert error.value.code == "negative_amount", text


@SETTINGS
@given(cell=st.integers(min_value=0, max_value=10**15) | st.decimals(min_value=0, max_value=10**12, places=2))
def test_number_cells_are_exact(cell):
    value = float(cell) if isinstance(cell, Decimal) else cell
    assume(isinstance(cell, int) or Decimal(str(value)) == cell)
    assert parse_money(value) == Decimal(str(value)).quantize(Decimal("0.01"))


@SETTINGS
@given(text=st.text(max_size=40))
def test_money_never_fails_other_than_as_a_row_error(text):
    try:
        amount = parse_money(text)
    except CellError as error:
        assert error.code in ("invalid_amount", "negative_amount")
    else:
        assert amount is None or (amount >= 0 and amount == amount.quantize(Decimal("0.01")))


# ---------------------------------------------------------------- dates and times

moments = st.datetimes(min_value=datetime(PLAUSIBLE_YEARS.start + 1, 1, 1),
                       max_value=datetime(PLAUSIBLE_YEARS.stop - 2, 12, 31, 23, 59, 59))
days = st.dates(min_value=date(PLAUSIBLE_YEARS.start, 1, 1), max_value=date(PLAUSIBLE_YEARS.stop - 1, 12, 31))
WIB_OFFSET = timedelta(hours=7)


@SETTINGS
@given(local=moments)
@example(local=datetime(2021, 9, 6, 0, 30))   # 17:30Z the evening before
def test_local_wib_times_round_trip_to_utc_and_back(local):
    local = local.replace(microsecond=0)
    utc = local - WIB_OFFSET
    assert parse_timestamp_utc(local.strftime("%Y-%m-%d %H:%M:%S")) == utc
    assert parse_timestamp_utc(local.strftime("%d/%m/%Y %H:%M")) == utc.replace(second=0)
    assert parse_timestamp_utc(local.isoformat() + "+07:00") == utc
    assert parse_timestamp_utc(utc.isoformat() + "Z") == utc
    assert parse_timestamp_utc(local) == utc                   # an xlsx date cell is local time
    assert wib_date(utc) == local.date()                       # the WIB date is UTC + 7 hours


@SETTINGS
@given(day=days)
def test_calendar_dates_round_trip(day):
    assert parse_date(day.strftime("%d/%m/%Y")) == day
    assert parse_date(day.strftime("%m/%d/%Y"), us_order=True) == day
    assert parse_date(day.isoformat()) == day
    assert parse_date(datetime.combine(day, datetime.min.time())) == day


@SETTINGS
@given(day=days, fraction=st.floats(min_value=0, max_value=0.999, allow_nan=False))
def test_excel_serials_round_trip(day, fraction):
    serial = (datetime.combine(day, datetime.min.time()) - EXCEL_EPOCH).days
    assert parse_date(serial) == day
    assert parse_date(float(serial)) == day
    assert parse_date(str(serial)) == day                      # a serial that became text
    if day.year > PLAUSIBLE_YEARS.start:     # (the first hours of the first year are the year before in UTC)
        moment = EXCEL_EPOCH + timedelta(days=serial + fraction)   # a date-time serial is local (WIB) time
        assert abs(parse_timestamp_utc(serial + fraction) - (moment - WIB_OFFSET)) < timedelta(milliseconds=1)


@SETTINGS
@given(day=st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)))
@example(day=date(1900, 1, 1))
@example(day=date(2099, 12, 31))
def test_implausible_years_are_row_errors(day):
    assume(day.year not in PLAUSIBLE_YEARS)
    with pytest.raises(CellError) as error:
        parse_date(day.strftime("%d/%m/%Y"))
    assert error.value.code == "implausible_date"


@SETTINGS
@given(text=st.text(max_size=30))
def test_dates_never_fail_other_than_as_a_row_error(text):
    for parse in (parse_date, parse_timestamp_utc, lambda v: parse_date(v, us_order=True)):
        try:
            parse(text)
        except CellError as error:
            assert error.code in ("invalid_date", "implausible_date")


# ---------------------------------------------------------------- identifiers

niks = st.text(alphabet="0123456789", min_size=16, max_size=16)


@SETTINGS
@given(nik=niks, style=st.sampled_from(["plain", "apostrophe", "spaces", "groups", "dots", "padded"]))
def test_nik_round_trips_through_spreadsheet_spellings(nik, style):
    text = {"plain": nik, "apostrophe": f"'{nik}", "spaces": f"  {nik} ", "padded": f" '{nik} ",
            "groups": " ".join(nik[i:i + 4] for i in range(0, 16, 4)),
            "dots": f"{nik[:2]}.{nik[2:4]}.{nik[4:6]}.{nik[6:]}"}[style]
    assert parse_nik(text) == nik
    assert umkm_key(parse_nik(text), None, "s") == umkm_key(nik, None, "s")   # one owner, one key


@SETTINGS
@given(nik=st.integers(min_value=10**15, max_value=2**53 - 1))
def test_nik_typed_as_a_number_cell(nik):
    assert parse_nik(float(nik)) == str(nik)


@SETTINGS
@given(digits=st.text(alphabet="0123456789", min_size=1, max_size=30))
def test_any_other_length_is_an_error_that_never_echoes_the_number(digits):
    assume(len(digits) != 16)
    with pytest.raises(CellError) as error:
        parse_nik(digits)
    assert error.value.code == "invalid_nik" and error.value.detail == f"{len(digits)} digits"
    if len(digits) != 13:
        with pytest.raises(CellError):
            parse_nib(digits)
    else:
        assert parse_nib(f"'{digits}") == digits


@SETTINGS
@given(text=st.text(max_size=24))
@example(text="３３７４０１１２０３８５０００１")   # full-width digits are not a NIK
@example(text="¹²³⁴⁵⁶⁷⁸⁹⁰¹²³⁴⁵⁶")
def test_nik_is_sixteen_ascii_digits_or_an_error(text):
    try:
        nik = parse_nik(text)
    except CellError as error:
        assert error.code == "invalid_nik"
    else:
        assert nik is None or (len(nik) == 16 and nik.isascii() and nik.isdigit())


@SETTINGS
@given(n=st.integers(min_value=0, max_value=10**9))
def test_counts_round_trip(n):
    assert parse_count(str(n)) == n and parse_count(grouped(n, ".")) == n and parse_count(float(n)) == n


# ---------------------------------------------------------------- hostile numbers (issue 16)

def number_cells():
    """Number cells as the readers give them: xlsx floats (NaN, infinities, subnormals), JSON Decimals
    of any exponent (NaN and infinities too: JSON's non-standard constants), ints of any size."""
    return st.one_of(st.floats(), st.floats(max_value=1e-300, min_value=-1e-300),
                     st.decimals(allow_nan=True).filter(lambda d: not d.is_snan()),
                     st.builds(lambda mantissa, exponent: Decimal(f"{mantissa}E{exponent}"),   # as JSON writes
                               st.integers(-10**20, 10**20), st.integers(-10**9, 10**9)),
                     st.integers(min_value=-10**40, max_value=10**40), st.integers().map(lambda n: n * 10**4400))


@SETTINGS
@given(cell=number_cells())
@example(cell=Decimal("1e-400"))
@example(cell=5e-324)
@example(cell=Decimal("9999999999999999.995"))
@example(cell=Decimal("-0"))
@example(cell=float("nan"))
def test_a_number_loads_as_what_decimal_18_2_holds_or_is_a_row_error(cell):
    """Never an exception but a row error; a loaded amount fits decimal(18,2) (Arrow takes it), is
    0.00 only for a zero, and never carries a minus sign."""
    import pyarrow as pa

    try:
        amount = parse_money(cell)
    except CellError as error:
        assert error.code in ("invalid_amount", "negative_amount")
        assert error.code == "invalid_amount" or cell < 0
    else:
        assert pa.array([amount], pa.decimal128(18, 2)).to_pylist() == [amount]
        assert (amount == 0) == (cell == 0) and not amount.is_signed()
        assert abs(amount - Decimal(str(cell) if isinstance(cell, float) else cell)) <= Decimal("0.005")


json_numbers = st.from_regex(r"\A-?(0|[1-9][0-9]{0,30})(\.[0-9]{1,30})?([eE][+-]?[0-9]{1,4})?\Z") | st.sampled_from(
    ["NaN", "Infinity", "-Infinity", "1e-400", "4.9e-324", "1e400", "-0", "9" * 5000, "0." + "0" * 5000 + "1"])


@SETTINGS
@given(number=json_numbers)
def test_a_uvo_json_amount_is_a_row_or_a_row_error(number):
    """Any JSON number, as `nilai` of a UVO record: the file parses; the row loads its exact value
    rounded to cents, or is rejected as an invalid or negative amount."""
    from ingest.sources import uvo

    record = ('{"id_transaksi": "T1", "id_peserta": "UVO-1", "tanggal_transaksi": "2021-05-03 10:00", '
              '"negara_pembeli": "SG", "mata_uang": "SGD", "status": "lunas", "nilai": ' + number + "}")
    result = uvo.parse(f"[{record}]".encode(), "uvo/expo.json")
    assert result.rows_read == 1
    if result.rows_loaded:
        assert result.rows.amount.iloc[0] == parse_money(Decimal(number))
    else:
        assert result.rejects.reason_code.iloc[0] in ("invalid_amount", "negative_amount")


@SETTINGS
@given(cell=number_cells())
def test_counts_of_any_number_are_whole_numbers_or_row_errors(cell):
    try:
        count = parse_count(cell)
    except CellError as error:
        assert error.code in ("invalid_number", "negative_number")
    else:
        assert count == cell and 0 <= count <= 2**31 - 1
