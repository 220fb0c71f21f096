"""The fast paths agree with the reference paths, value by value (Hypothesis): the vectorised
column parsers with the cell parsers, the set-wise region codes with `Reference.region_code`,
and the Arrow CSV reader with the exact csv-module reader.

Three properties per parser: every cell its fast path decides has exactly the cell parser's
value (and the cell parser does not reject it); a whole column, mixing strings with typed
xlsx/JSON cells, gives the cell parser's values and reason codes; and so does a column of Arrow
strings (what the CSV reader gives) through every route `parse_column` may take for it: parsed
once per distinct value or cell by cell, shapes matched one by one or as distinct shapes.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import date, datetime, timezone
from decimal import Decimal

import numpy as np
import pyarrow as pa
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ingest import vectorised
from ingest.values import CellError
from ingest.vectorised import COUNT, NIB, NIK, TEXT, ColumnParser, parse_column
from ingest.vectorised_money import MONEY, cents_of
from ingest.vectorised_times import DATE, DATE_US, TIMESTAMP_UTC, TIMESTAMP_WIB

# FAST_PATH_EXAMPLES=5000 for a long run; the default keeps the suite quick.
SETTINGS = settings(max_examples=int(os.environ.get("FAST_PATH_EXAMPLES", "300")), deadline=None)
ODD = "\u00a0\u2212\u3000\x1c\u0660\uff11'\"()-+., /:"   # no-break space, minus sign, Arabic digit ...


def cell_result(parser: ColumnParser, value):
    try:
        return parser.cell(value), None
    except CellError as error:
        return None, error.code


def assert_agrees(parser: ColumnParser, values: list) -> None:
    strings = [v for v in values if isinstance(v, str)]
    if strings:
        for route in ROUTES:
            with routed(**route):
                fast_values, decided = parser.fast(pa.array(strings, pa.string()))
            decided_strings = [value for value, ok in zip(strings, decided) if ok]
            for value, got in zip(decided_strings, fast_values.filter(pa.array(decided)).to_pylist()):
                assert cell_result(parser, value) == (got, None), value
        assert_arrow_column_agrees(parser, strings)
    column, bad, errors = parse_column(parser, np.array(values + [None], dtype=object)[:-1])
    assert_column(parser, values, column, bad, errors)


def assert_column(parser: ColumnParser, values: list, column: pa.Array, bad: np.ndarray, errors: list) -> None:
    got = column.to_pylist()
    assert len(got) == len(values)
    codes = dict(zip(bad.tolist(), (error.code for error in errors)))
    for index, value in enumerate(values):
        assert (got[index], codes.get(index)) == cell_result(parser, value), value


def assert_arrow_column_agrees(parser: ColumnParser, strings: list[str]) -> None:
    """A CSV column (Arrow strings; a null too, as a parser may meet one), by every route."""
    repeated = strings * (vectorised.DEDUPLICATE_FROM // len(strings) + 1) + [None]
    for route in ROUTES:
        for cells in (strings, repeated):
            with routed(**route):
                column, bad, errors = parse_column(parser, pa.array(cells, pa.string()))
            assert_column(parser, cells, column, bad, errors)


@contextmanager
def routed(**settings):
    """`parse_column`'s thresholds set for a test, so each route is taken whatever the column's size."""
    saved = {name: getattr(vectorised, name) for name in settings}
    for name, value in settings.items():
        setattr(vectorised, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(vectorised, name, value)


ROUTES = [{},                                                       # as configured
          dict(SHAPES_FROM=0, DEDUPLICATE_FROM=0, DISTINCT_SHARE=1.0),  # distinct shapes, distinct values
          dict(SHAPES_FROM=10**9, DISTINCT_SHARE=0.0)]                  # every string matched, cell by cell


def texts(alphabet: str, max_size: int = 24):
    return st.text(alphabet=alphabet + ODD, max_size=max_size)


# ---------------------------------------------------------------- money

def money_texts():
    digits = st.integers(min_value=0, max_value=10**18).map(str)
    grouped = st.integers(min_value=0, max_value=10**17).map(lambda n: f"{n:,}")
    number = st.one_of(digits, grouped, grouped.map(lambda t: t.replace(",", ".")),
                       st.tuples(st.one_of(digits, grouped, grouped.map(lambda t: t.replace(",", "."))),
                                 st.sampled_from([".", ","]), st.text("0123456789", min_size=0, max_size=4))
                       .map("".join))
    return st.tuples(st.sampled_from(["", "Rp", "Rp ", "Rp. ", "rp.", "RP", "IDR ", "idr", "'", " ", "-", "(", "Rp -"]),
                     number,
                     st.sampled_from(["", ",-", ".-", "-", " ", ")", ".", " juta", "rb", "k", ",00"])).map("".join)


@SETTINGS
@given(st.lists(st.one_of(money_texts(), texts("0123456789.,RpIDjuta-", 16),
                          st.integers(min_value=-10, max_value=10**17), st.floats(allow_nan=True),
                          st.none(), st.sampled_from(["", "-", "null", "N/A", " nan ", "'", "0"])), max_size=30))
@example(["Rp 15.000.000", "15,000.00", "1,250,000.50", "2.273,67", "169.000", "1,25", "12.5.-", "Rp 15.000,-",
          "9999999999999999", "10000000000000000", "00000000000000000012", "1.000.000.50", "1,250,50", "1.5 juta"])
@example(["1e-400", "4.9e-324", "1e400", "inf", "-Infinity", "NaN", "9" * 300, "-0", "(0)", "0-", "Rp 0,-", "0,00",
          "9.999.999.999.999.999,99", "9.999.999.999.999.999,995", "99999999999999999", "0,000001 rb", 5e-324,
          float("nan"), -0.0, 0.004, 1e16])
def test_money_column_agrees_with_parse_money(values):
    assert_agrees(MONEY, values)


def json_numbers():
    """JSON numbers as the JSON reader gives them: exact Decimals of any exponent, NaN and the infinities."""
    return st.one_of(st.decimals(allow_nan=True).filter(lambda d: not d.is_snan()),
                     st.builds(lambda mantissa, exponent: Decimal(f"{mantissa}E{exponent}"),
                               st.integers(-10**20, 10**20), st.integers(-500, 500)),
                     st.sampled_from([Decimal("1e-400"), Decimal("-0"), Decimal("0.005"), Decimal("NaN"),
                                      Decimal("-Infinity"), Decimal("9" * 5000)]))


@settings(SETTINGS, max_examples=max(SETTINGS.max_examples // 3, 1))   # its strings are the money test's
@given(st.lists(st.one_of(json_numbers(), money_texts(), st.none()), max_size=30))
@example([Decimal("NaN"), None, float("nan"), None, Decimal("NaN"), "1e-400"])   # pandas takes all three for one
@example([float("nan"), None])
def test_columns_of_json_numbers_agree_with_the_cell_parsers(values):
    """A JSON column (Decimals, strings, None): per distinct value, NaN kept apart from None."""
    for parser in (MONEY, COUNT, TEXT):
        assert_agrees(parser, values)


def test_cents_round_trip():
    column, _, _ = parse_column(MONEY, np.array(["1,50", None, "Rp 15.000"], dtype=object))
    assert cents_of(column.slice(1)).tolist() == [0, 1_500_000]


# ---------------------------------------------------------------- counts, text, identifiers

@SETTINGS
@given(st.lists(st.one_of(texts("0123456789.,-", 22), st.integers(min_value=-5, max_value=10**19).map(str),
                          st.integers(min_value=0, max_value=10**6), st.floats(), st.none()), max_size=30))
def test_count_column_agrees_with_parse_count(values):
    assert_agrees(COUNT, values)


@SETTINGS
@given(st.lists(st.one_of(st.text(max_size=12), texts("abcNULnul -'", 8),
                          st.sampled_from(["'", "' ", " ' x ' ", "''a", "NaN", "n/a", "\u0130", "K\u212a"]),
                          st.integers(), st.floats(), st.none()), max_size=30))
def test_text_column_agrees_with_clean_text(values):
    assert_agrees(TEXT, values)


@SETTINGS
@given(st.lists(st.one_of(st.integers(min_value=0, max_value=10**17).map(str), texts("0123456789 .-'", 20),
                          st.integers(min_value=0, max_value=10**17), st.none()), max_size=20))
def test_identifier_columns_agree_with_parse_nik_and_nib(values):
    assert_agrees(NIK, values)
    assert_agrees(NIB, values)


# ---------------------------------------------------------------- dates and times

def timestamp_texts():
    def two(valid_up_to: int, valid_from: int = 0):   # mostly in range, so the other fields are tested too
        return st.one_of(st.integers(valid_from, valid_up_to), st.integers(0, 99)).map(lambda n: f"{n:02d}")
    year = st.sampled_from(["1989", "1990", "2000", "2020", "2021", "2024", "2049", "2050", "0001", "9999", "0000"])
    month, day = two(12, 1), two(31, 1)
    date_part = st.one_of(st.tuples(year, st.just("-"), month, st.just("-"), day).map("".join),
                          st.tuples(day, st.just("/"), month, st.just("/"), year).map("".join),
                          st.tuples(month, st.just("/"), day, st.just("/"), year).map("".join))
    time_part = st.tuples(st.sampled_from(["T", " ", "t", "_"]), two(23), st.just(":"), two(59),
                          st.sampled_from(["", ":00", ":59", ":60", ":7"]),
                          st.sampled_from(["", ".5", ".123", ".123456", ".1234567"])).map("".join)
    zone = st.sampled_from(["", "Z", "+07:00", "-05:30", "+00:00", "-00:00", "+23:59", "+24:00", "+07:60", "+0700",
                            "z"])
    return st.tuples(date_part, st.one_of(st.just(""), time_part), zone).map("".join)


@SETTINGS
@given(st.lists(st.one_of(timestamp_texts(), texts("0123456789-/:TZ .+", 28), st.none(), st.integers(),
                          st.floats(min_value=0, max_value=3e6),
                          st.datetimes(min_value=datetime(1980, 1, 1), max_value=datetime(2060, 1, 1))),
                max_size=25))
@example(["2021-09-05T03:00:00Z", "2020-06-02T07:02:17.323+07:00", "2021-01-15 16:27:51", "01/04/2021 08:20",
          "2021-06-02T00:17:06.5", "2021-09-05T03:00+07:00", "1990-01-01 03:00", "2049-12-31T20:00:00-05:00",
          "2021-02-29", "2024-02-29", "44260", "2021-09-05T24:00:00Z"])
def test_timestamp_columns_agree_with_parse_timestamp_utc(values):
    assert_agrees(TIMESTAMP_WIB, values)
    assert_agrees(TIMESTAMP_UTC, values)


@SETTINGS
@given(st.lists(st.one_of(timestamp_texts(), texts("0123456789-/ ", 12), st.none(),
                          st.dates(min_value=date(1980, 1, 1), max_value=date(2060, 1, 1))), max_size=25))
@example(["09/05/2021", "2021-09-05", "13/01/2021", "31/12/1989", "01/01/1990", "12/31/2049"])
def test_date_columns_agree_with_parse_date(values):
    assert_agrees(DATE, values)
    assert_agrees(DATE_US, values)


def test_a_column_of_typed_cells_and_strings_keeps_row_order():
    cells = np.array(["2021-09-05T03:00:00Z", datetime(2021, 9, 5, 10, 0), None, "bad", "05/09/2021"], dtype=object)
    values, bad, errors = parse_column(TIMESTAMP_UTC, cells)
    assert values.to_pylist() == [datetime(2021, 9, 5, 3), datetime(2021, 9, 5, 10), None, None,
                                  datetime(2021, 9, 5, 0)]
    assert bad.tolist() == [3] and errors[0].code == "invalid_date"
    assert TIMESTAMP_UTC.cell("2021-09-05T10:00:00") == datetime(2021, 9, 5, 10, tzinfo=timezone.utc
                                                                 ).replace(tzinfo=None)


# ---------------------------------------------------------------- the CSV reader

def read_both(data: bytes):
    """read_csv_cells as is (Arrow's reader when it may) and with the exact csv-module reader only."""
    from ingest import csv_reader as readers   # the CSV reader and its fast path

    def outcome():
        try:
            table = readers.read_csv_cells(data)
        except readers.QuarantineError as error:
            return str(error)
        return (table.frame.to_dict("list"), table.row_numbers.tolist(), table.notes, table.row_flags,
                table.cell_flags, table.row_texts, table.duplicate_headers)

    fast = outcome()
    original, readers._read_csv_fast = readers._read_csv_fast, lambda *args: None
    try:
        return fast, outcome()
    finally:
        readers._read_csv_fast = original


csv_cells = st.text(alphabet='ab1 ;,"\'\t\r\n-\u00e9', max_size=6)


@SETTINGS
@given(st.lists(st.lists(csv_cells, min_size=1, max_size=4), min_size=1, max_size=6),
       st.sampled_from([",", ";"]), st.booleans(), st.sampled_from(["\n", "\r\n"]),
       st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]))
@example([["a", "b"], ["x", 'q"uote'], ["", ""]], ",", False, "\n", "utf-8")
@example([["a", "b"], ["x", "y", ""], ["1"]], ",", False, "\r\n", "utf-8-sig")
def test_arrow_csv_reader_reads_what_the_csv_module_reads(rows, delimiter, quote_all, newline, encoding):
    def field(cell):
        if quote_all or any(c in cell for c in '";,\r\n'):
            return '"' + cell.replace('"', '""') + '"'
        return cell
    text = newline.join(delimiter.join(field(cell) for cell in row) for row in rows) + newline
    fast, exact = read_both(text.encode(encoding))
    assert fast == exact


@SETTINGS
@given(st.text(alphabet='ab1 ;,"\r\n', max_size=40))
@example('a;b;c\r\n"x;1";"multi\r\nline";""\r\n\r\n2;;"q""uote"\r\n')
@example('a,b\n"x"y,z\n')
@example('1",1')
@example('1";";')
def test_arrow_csv_reader_on_any_text(text):
    fast, exact = read_both(text.encode())
    assert fast == exact


# ---------------------------------------------------------------- region codes

def region_code_texts():
    known = st.sampled_from(["3374", "3301", "3371", "3322"])
    return st.one_of(known, known.map(lambda c: f"{c[:2]}.{c[2:]}"), known.map(lambda c: f" '{c} "),
                     known.map(lambda c: f"{c[:2]} {c[2:]}"), st.sampled_from(["9999", "33.99", "", "-", "null", "'"]),
                     texts("3374. '", 8))


REGION_NAMES = st.one_of(st.sampled_from(["", "Kota Semarang", "Semarang", "kab. boyolali", "KABUPATEN  Cilacap",
                                          "Magelang", "Atlantis", "-"]), texts("Kota ", 8))


@SETTINGS
@given(st.lists(st.tuples(region_code_texts(), REGION_NAMES), min_size=1, max_size=30), st.booleans())
@example([("33.74", ""), ("", "Kab. Boyolali"), ("", "Semarang"), ("9999", "Kota Semarang"), ("", "")], True)
def test_region_codes_agree_with_reference_region_code(pairs, arrow_cells):
    """The set-wise code lookup (CSV cells as Arrow strings) or the cell-wise one (as the exact
    reader gives them), against `Reference.region_code` row by row: same code, same reason code."""
    from ingest.readers import Table
    from ingest.reference import load_reference
    from ingest.rows import RowBuilder
    from ingest.sources.common import region_codes

    reference = load_reference()
    columns = {"kode_kabkota": [code for code, _ in pairs], "kabupaten_kota": [name for _, name in pairs]}
    table = Table({header: pa.array(cells, pa.string()) if arrow_cells else np.array(cells, dtype=object)
                   for header, cells in columns.items()}, np.arange(1, len(pairs) + 1))
    rows = RowBuilder(table, {header: header for header in columns})
    values = region_codes(rows, reference).to_pylist()
    for index, (code, name) in enumerate(pairs):
        try:
            expected = (reference.region_code(code, name), None)
        except CellError as error:
            expected = (None, error.code)
        assert (values[index], rows.error_code[index]) == expected, (code, name)


JSON_AWKWARD = "\\\"/\n\r\t\x00\x1f\x7f\u2028\u2029é€😀<&' "


@SETTINGS
@given(st.lists(st.lists(st.one_of(st.text(max_size=8), texts(JSON_AWKWARD, 6), st.none()), min_size=2, max_size=2),
                max_size=20), st.sampled_from(["Catatan", 'a/b "c"\\', "é/\u2028"]))
@example([["Jl. A/B \"1\"", None], ["x\ny", "😀"]], "Catatan")
@example([[None, "\u2028"], ["\x85", "x"]], "Catatan")   # line breaks to `str.splitlines`, not to JSON
def test_extra_columns_of_csv_text_agree_with_pandas_json(rows, header):
    """The extra columns of a CSV export (Arrow strings), written as JSON set-wise, byte for byte
    what the pandas route writes for the same cells (xlsx cells take that route); one object per
    row, holding each cell's text."""
    import json

    from ingest.readers import Table
    from ingest.sources.common import extra_columns_json

    headers = [header, "Total Pembayaran", "Kota"]
    cells = {headers[0]: [row[0] for row in rows], headers[1]: ["1"] * len(rows), headers[2]: [row[1] for row in rows]}
    arrow = Table({name: pa.array(values, pa.string()) for name, values in cells.items()}, np.arange(1, len(rows) + 1))
    objects = Table({name: np.array(values + [None], dtype=object)[:-1] for name, values in cells.items()},
                    np.arange(1, len(rows) + 1))
    lines = extra_columns_json(arrow, {"Total Pembayaran"}).tolist()
    assert lines == extra_columns_json(objects, {"Total Pembayaran"}).tolist()
    assert [json.loads(line) for line in lines] == [{header: str(row[0]), "Kota": str(row[1])} for row in rows]
