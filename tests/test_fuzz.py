"""Fuzzing of issue 16: every reader and every source parser on thousands of hostile inputs.

Inputs: random bytes; real exports (built by the corpus helpers) mutated byte by byte (flips,
inserts of BOMs, NULs, quotes, delimiters and odd numbers such as 1e-400, NaN or forty nines,
deletions, truncations, duplicated lines, splices of two files); xlsx workbooks whose members
are mutated inside the zip, and zips whose directory declares absurd sizes; JSON documents
built from hostile values (lone surrogates, non-finite numbers, nesting, huge numbers).

The property: a reader gives a `Table` whose columns all have one cell per row, or raises
`QuarantineError` with a reason; a parser gives a `ParseResult` whose row accounting holds
(rows read = rows loaded + rows rejected) and whose every reject has a reason code and a
reason, or raises `QuarantineError` with a reason. Never any other exception. A sample runs in
the real isolation layer (`parse_alone`, a forked worker under a memory cap), where no small
input may end in a crash or a limit.

The budget is fixed (`derandomize=True`, no example database) so the default run stays fast
and the same on every machine: see EXAMPLES.
"""

from __future__ import annotations

import io
import json
import os
import struct
import zipfile
from functools import cache

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, currently_in_test_context, event, given, settings
from hypothesis import strategies as st

from ingest.csv_reader import read_csv_cells
from ingest.isolation import ParseLimits, parse_alone
from ingest.json_reader import read_json_records
from ingest.readers import QuarantineError, Table
from ingest.rows import ParseResult
from ingest.sources import SOURCES
from ingest.xlsx_reader import read_xlsx_cells
from tests import hostile_xlsx
from tests.corpus import UVO_FIELDS, enrol_row, g, gobiz, k, kobo, s, shopee_rows, u, uvo_csv
from tests.filemakers import csv_bytes, xlsx_bytes
from tests.test_parsers import ENROLL_HEADER, GOBIZ_HEADER, KOBO_HEADER, SHOPEE_NEW, gobiz_row, kobo_row

# per parser target (9 of them), per reader (3): 2,400 in all; UMKM_FUZZ_EXAMPLES=5000 for a long hunt
EXAMPLES = int(os.environ.get("UMKM_FUZZ_EXAMPLES", "200"))
ISOLATED_EXAMPLES = 24    # parsed in a capped worker of their own
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None, print_blob=False,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.large_base_example, HealthCheck.filter_too_much])

SHOPEE_XLSX = "shopee/1/Order.all.20210101_20210131.xlsx"
SHOPEE_CSV = "shopee/1/Order.all.20210101_20210131.csv"
TARGETS = {   # (source, landing path) -> the kind of file its seeds are
    ("survey", "survey/x.csv"): "csv",
    ("survey", "survey/x.xlsx"): "xlsx",
    ("enrollment", "enrollment/x.csv"): "csv",
    ("enrollment", "enrollment/x.xlsx"): "xlsx",
    ("gofood", "gofood/x.csv"): "csv",
    ("shopee", SHOPEE_CSV): "csv",
    ("shopee", SHOPEE_XLSX): "xlsx",
    ("uvo", "uvo/x.csv"): "csv",
    ("uvo", "uvo/x.json"): "json",
}

# ---------------------------------------------------------------- seeds: real exports

@cache
def seeds() -> dict[tuple[str, str], tuple[bytes, ...]]:
    """Valid files per (source, kind), built by the corpus helpers."""
    enrol = [ENROLL_HEADER, enrol_row(0), enrol_row(1, platform_merchant_id="UVO-X", tanggal_bergabung="2021-04-01"),
             enrol_row(2, program_id="goshop", platform_merchant_id="'G100200300")]
    shopee = shopee_rows(s("S-1", price=20000, qty=2), s("S-2", price="15.000"), s("S-3"))
    uvo_records = [u("U-1"), u("U-2", nilai="1.250,50", mata_uang="usd"), u("U-3", tanggal_transaksi="2021-05-04")]
    return {
        ("survey", "csv"): (kobo(k(1), k(2), k(3)), csv_bytes([KOBO_HEADER, kobo_row(), kobo_row(_id="102")])),
        ("survey", "xlsx"): (xlsx_bytes([KOBO_HEADER, k(1), k(2)]),),
        ("enrollment", "csv"): (csv_bytes(enrol), csv_bytes(enrol, delimiter=";", bom=True)),
        ("enrollment", "xlsx"): (xlsx_bytes(enrol),),
        ("gofood", "csv"): (gobiz(g("G-1"), g("G-2", "1,250,000"), g("G-3", "-45.000")),
                            csv_bytes([GOBIZ_HEADER, gobiz_row("F-1", "2021-09-05T17:30:00.000Z", "45000")],
                                      bom=True)),
        ("shopee", "csv"): (csv_bytes(shopee),),
        ("shopee", "xlsx"): (xlsx_bytes(shopee, sheet="orders"), _hand_zip_xlsx()),
        ("uvo", "csv"): (uvo_csv(*uvo_records), uvo_csv(*uvo_records, delimiter=";")),
        ("uvo", "json"): (json.dumps(uvo_records).encode(), json.dumps({"transaksi": uvo_records}, indent=1).encode()),
    }


def _hand_zip_xlsx(rows: bytes | None = None) -> bytes:
    """A workbook zipped by hand as tests/hostile_xlsx.py does (raw deflate members, no openpyxl);
    its sheet holds `rows` (sheet XML), by default the Shopee export there."""
    head, tail = hostile_xlsx._sheet(hostile_xlsx._good_rows() if rows is None else rows)
    parts = [("[Content_Types].xml", hostile_xlsx._deflated(b'<?xml version="1.0"?><Types xmlns="http://schemas.'
                                                            b'openxmlformats.org/package/2006/content-types"/>')),
             ("_rels/.rels", hostile_xlsx._deflated(
                 f'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                 f'relationships"><Relationship Id="rId1" Type="{hostile_xlsx._REL}/officeDocument" '
                 f'Target="xl/workbook.xml"/></Relationships>'.encode())),
             ("xl/workbook.xml", hostile_xlsx._deflated(
                 f'<?xml version="1.0"?><workbook {hostile_xlsx._NS} {hostile_xlsx._NS_R}><sheets>'
                 f'<sheet name="orders" sheetId="1" r:id="rId1"/></sheets></workbook>'.encode())),
             ("xl/_rels/workbook.xml.rels", hostile_xlsx._deflated(
                 f'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                 f'relationships"><Relationship Id="rId1" Type="{hostile_xlsx._REL}/worksheet" '
                 f'Target="worksheets/sheet1.xml"/></Relationships>'.encode())),
             ("xl/worksheets/sheet1.xml", hostile_xlsx._deflated(head + tail))]
    return hostile_xlsx._zip(parts)


def seeds_of(kind: str, source: str | None = None) -> list[bytes]:
    return [data for (name, seed_kind), group in seeds().items() if seed_kind == kind and source in (None, name)
            for data in group]


# ---------------------------------------------------------------- mutations

ODD = [b"1e-400", b"-1e-400", b"NaN", b"nan", b"-NaN", b"Infinity", b"-inf", b"9" * 40, b"9" * 400,
       b"99999999999999999999.99", b"1e308", b"1e309", b"-0", b"0x1F", b"1.000.000,00", b"(5.000)", b"5.000-",
       b"Rp", b"=SUM(A1:A9)", b"#VALUE!", b"#N/A", b"9999-12-31", b"0000-00-00", b"2021-02-30", b"24:61",
       b"1900-01-00", b"44260", b"-44260", b"2021-09-05T99:00:00Z", b"'", b"''", b"null", b"None", b"true"]
TEXT_TOKENS = [b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\x00", b"\x00\x00", b'"', b'""', b'"x', b",", b";",
               b"\t", b"|", b"\r", b"\n", b"\r\n", b"\n\n", b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xe2\x80\xae",
               b"\xc2\xa0", b"\xe3\x80\x80", b"\\ud800", b"\\udc00\\ud800", b"\\u0000", b"x" * 300,
               b"Transaction ID", b"No. Pesanan", b"id_transaksi", b"program_id", b"_uuid", *ODD]
XML_TOKENS = [b'<c r="XFD1048576"><v>1</v></c>', b'<row r="1048576"><c r="A1048576"><v>1</v></c></row>',
              b'<c r="A0"><v>1</v></c>', b'<c r="ZZZZ2"><v>1</v></c>', b'<row r="0">', b"</row>", b"<row>",
              b"<c>", b"</c>", b"<v>NaN</v>", b"<v>1e-400</v>", b"<v>1e309</v>", b"<v>" + b"9" * 60 + b"</v>",
              b't="e"', b't="s"', b't="b"', b't="d"', b't="inlineStr"', b"<f>A1*2</f>", b"<v></v>",
              b'<c r="B2" t="s"><v>999999</v></c>', b'<c r="C2" t="d"><v>not a date</v></c>',
              b"&#0;", b"&#xD800;", b"&amp;", b"&nosuch;", b"]]>", b"<![CDATA[x]]>", b"\x00", b"\xff",
              b'<dimension ref="A1:XFD1048576"/>', b' s="9999"', *ODD]


def _boundaries(data: bytes) -> list[int]:
    """Positions just after a delimiter, quote, line end or tag: where a cell begins."""
    return [index + 1 for index, byte in enumerate(data[:20000]) if byte in b',;"\n>\t'][:2000] or [0]


@st.composite
def mutated(draw, pool: list[bytes], tokens: list[bytes], splice: list[bytes] | None = None) -> bytes:
    """A seed from `pool` with one to six random edits."""
    data = bytearray(draw(st.sampled_from(pool)))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "insert", "token", "token", "token", "delete", "truncate",
                                   "dup_line", "drop_line", "splice", "repeat"]))
        at = draw(st.integers(0, max(len(data), 1) - 1)) if data else 0
        if op == "flip" and data:
            data[at] ^= draw(st.integers(1, 255))
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif op == "token":
            place = draw(st.sampled_from(_boundaries(bytes(data))))
            data[place:place] = draw(st.sampled_from(tokens))
        elif op == "delete":
            del data[at:at + draw(st.integers(1, 64))]
        elif op == "truncate":
            del data[at:]
        elif op in ("dup_line", "drop_line", "repeat"):
            lines = bytes(data).split(b"\n")
            index = draw(st.integers(0, len(lines) - 1))
            if op == "dup_line":
                lines.insert(draw(st.integers(0, len(lines))), lines[index])
            elif op == "drop_line" and len(lines) > 1:
                del lines[index]
            elif op == "repeat":
                lines[index:index + 1] = [lines[index]] * draw(st.integers(2, 50))
            data = bytearray(b"\n".join(lines))
        elif op == "splice":
            other = draw(st.sampled_from(splice or pool))
            data = data[:at] + other[draw(st.integers(0, max(len(other), 1) - 1)):]
    return bytes(data)


def random_bytes() -> st.SearchStrategy[bytes]:
    return st.binary(max_size=2000) | st.builds(lambda head, rest: head + rest,
                                                st.sampled_from([b"PK\x03\x04", b"\xef\xbb\xbf", b"\xff\xfe",
                                                                 b"[", b'{"transaksi":', b"a,b\n", b""]),
                                                st.binary(max_size=500))


# ---- xlsx: mutate inside the zip, and lie in the zip's directory

def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _rezip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


@st.composite
def xlsx_member_mutated(draw, pool: list[bytes]) -> bytes:
    """A workbook with one or two of its XML members mutated (the zip itself stays valid)."""
    members = _members(draw(st.sampled_from(pool)))
    names = sorted(members)
    for _ in range(draw(st.integers(1, 2))):
        preferred = [n for n in names if "worksheets/" in n or "sharedStrings" in n]
        name = draw(st.sampled_from(preferred if preferred and draw(st.booleans()) else names))
        members[name] = draw(mutated([members[name]], XML_TOKENS))
    if draw(st.integers(0, 9)) == 0:   # a member gone
        del members[draw(st.sampled_from(names))]
    return _rezip(members)


ABSURD_SIZES = [0, 1, 2, 0x7FFFFFFF, 0xFFFFFFFF, 0xFFFFFFFE, 1 << 30, 10 ** 9]


@st.composite
def lying_zip(draw, pool: list[bytes]) -> bytes:
    """A workbook whose zip directory (and maybe local headers) declares absurd sizes."""
    data = bytearray(draw(st.sampled_from(pool)))
    central = [i for i in range(len(data) - 46) if data[i:i + 4] == b"PK\x01\x02"]
    local = [i for i in range(len(data) - 30) if data[i:i + 4] == b"PK\x03\x04"]
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.sampled_from(["central", "central", "local", "eocd"]))
        size = draw(st.sampled_from(ABSURD_SIZES) | st.integers(0, 0xFFFFFFFF))
        if where == "central" and central:     # compressed size at +20, uncompressed at +24
            struct.pack_into("<L", data, draw(st.sampled_from(central)) + draw(st.sampled_from([20, 24])), size)
        elif where == "local" and local:       # compressed size at +18, uncompressed at +22
            struct.pack_into("<L", data, draw(st.sampled_from(local)) + draw(st.sampled_from([18, 22])), size)
        else:                                  # end of central directory: entry counts, size, offset
            end = bytes(data).rfind(b"PK\x05\x06")
            if end >= 0:
                field, fmt = draw(st.sampled_from([(8, "<H"), (10, "<H"), (12, "<L"), (16, "<L")]))
                struct.pack_into(fmt, data, end + field, size & (0xFFFF if fmt == "<H" else 0xFFFFFFFF))
    return bytes(data)


HOSTILE_CELLS = [   # cell XML with {ref} for the reference: values a number or date parser must survive
    '<c r="{ref}" t="e"><v>#DIV/0!</v></c>', '<c r="{ref}"><v>NaN</v></c>', '<c r="{ref}"><v>1e-400</v></c>',
    '<c r="{ref}"><v>-1e-400</v></c>', '<c r="{ref}"><v>1e309</v></c>', '<c r="{ref}"><v>-inf</v></c>',
    '<c r="{ref}"><v>' + "9" * 40 + '</v></c>', '<c r="{ref}"><v>-0</v></c>', '<c r="{ref}"><v>2958466</v></c>',
    '<c r="{ref}"><v>-1</v></c>', '<c r="{ref}"><v>60</v></c>', '<c r="{ref}" t="d"><v>not a date</v></c>',
    '<c r="{ref}" t="d"><v>9999-12-31T23:59:59</v></c>', '<c r="{ref}" t="b"><v>2</v></c>',
    '<c r="{ref}" t="s"><v>999999</v></c>', '<c r="{ref}"><f>A1/0</f></c>', '<c r="{ref}"><f>A1</f><v></v></c>',
    '<c r="{ref}" t="inlineStr"><is><t>&#xFFFE;x</t></is></c>', '<c r="{ref}" t="inlineStr"><is><t>\x00</t></is></c>',
    '<c r="{ref}" t="inlineStr"><is><t>' + "x" * 40000 + '</t></is></c>', '<c r="{ref}" t="str"><v>1e-400</v></c>',
    '<c r="{ref}" t="inlineStr"><is><t>NaN</t></is></c>', '<c r="{ref}"><v>  </v></c>', '<c r="{ref}"/>']
XLSX_LAYOUTS = {"survey": lambda: (KOBO_HEADER, [k(1), k(2)]),
                "enrollment": lambda: (ENROLL_HEADER, [enrol_row(0), enrol_row(1, platform_merchant_id="UVO-X")]),
                "shopee": lambda: (SHOPEE_NEW, [s("S-1", price=20000, qty=2), s("S-2")])}


def _letters(column: int) -> str:
    name = ""
    column += 1
    while column:
        column, rest = divmod(column - 1, 26)
        name = chr(65 + rest) + name
    return name


def _cell_xml(ref: str, value) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f'<c r="{ref}"><v>{value}</v></c>'
    text = str(value).replace("&", "&amp;").replace("<", "&lt;")
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


@st.composite
def xlsx_hostile_cells(draw, source: str | None) -> bytes:
    """A real layout (header and good lines) in a hand-built workbook, some cells replaced by hostile XML."""
    header, lines = XLSX_LAYOUTS[source or draw(st.sampled_from(sorted(XLSX_LAYOUTS)))]()
    rows = [header, *lines, *draw(st.lists(st.sampled_from(lines), max_size=3))]
    hostile = {(draw(st.integers(1, len(rows) - 1)), draw(st.integers(0, len(header) - 1))):
               draw(st.sampled_from(HOSTILE_CELLS)) for _ in range(draw(st.integers(1, 6)))}
    xml = []
    for number, row in enumerate(rows, start=1):
        cells = [hostile[(number - 1, column)].format(ref=f"{_letters(column)}{number}")
                 if (number - 1, column) in hostile else _cell_xml(f"{_letters(column)}{number}", value)
                 for column, value in enumerate(row)]
        xml.append(f'<row r="{number}">{"".join(cells)}</row>')
    return _hand_zip_xlsx("".join(xml).encode())


def xlsx_inputs(pool: list[bytes], source: str | None = None) -> st.SearchStrategy[bytes]:
    return st.one_of(xlsx_hostile_cells(source), xlsx_hostile_cells(source), xlsx_member_mutated(pool),
                     xlsx_member_mutated(pool), lying_zip(pool), mutated(pool, TEXT_TOKENS + XML_TOKENS),
                     random_bytes())


# ---- JSON: documents of hostile values, and mutated text

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(10 ** 40), 10 ** 40), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20), st.sampled_from(["\ud800", "x\udfffy", "\udc00\ud800", "\x00", "1e-400", "NaN", "9" * 400,
                                           "2021-05-03 10:00", "SGD", "usd", "1.250,50", "-0", "", " "]),
    st.sampled_from([1e-300, -0.0, 5e-324]))
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=6)


@st.composite
def json_documents(draw) -> bytes:
    records = []
    for _ in range(draw(st.integers(0, 6))):
        record = u(f"U-{draw(st.integers(0, 3))}")
        for field in draw(st.lists(st.sampled_from(UVO_FIELDS), max_size=4)):
            record[field] = draw(json_values)
        for field in draw(st.lists(st.sampled_from(UVO_FIELDS), max_size=2)):
            record.pop(field, None)
        if draw(st.booleans()):
            record[draw(st.text(max_size=6) | st.sampled_from(["\ud800", "", "id_transaksi "]))] = draw(json_values)
        records.append(record)
    document = draw(st.sampled_from([records, {"transaksi": records}, {"data": records}, records[:1] * 3]))
    text = json.dumps(document, ensure_ascii=draw(st.booleans()), allow_nan=True, default=str)
    if draw(st.booleans()):   # literal NaN, huge and underflowing numbers as JSON numbers, not strings
        text = text.replace('"NaN"', "NaN").replace('"1e-400"', "1e-400").replace('"' + "9" * 400 + '"', "9" * 400)
    return text.encode("utf-8", "surrogatepass")


def json_inputs(pool: list[bytes]) -> st.SearchStrategy[bytes]:
    return st.one_of(json_documents(), json_documents(), mutated(pool, TEXT_TOKENS + [b"[", b"]", b"{", b"}", b":"]),
                     random_bytes())


def csv_inputs(pool: list[bytes]) -> st.SearchStrategy[bytes]:
    return st.one_of(mutated(pool, TEXT_TOKENS, seeds_of("csv")), mutated(pool, TEXT_TOKENS, seeds_of("csv")),
                     mutated(pool, TEXT_TOKENS), random_bytes())


def inputs_for(kind: str, source: str | None = None) -> st.SearchStrategy[bytes]:
    pool = seeds_of(kind, source)
    if kind == "xlsx":
        return xlsx_inputs(pool, source)
    return {"csv": csv_inputs, "json": json_inputs}[kind](pool)


# ---------------------------------------------------------------- the property

def shown(data: bytes, limit: int = 600) -> str:
    return repr(data) if len(data) <= limit else f"{data[:limit // 2]!r} ... {data[-limit // 2:]!r} ({len(data)} bytes)"


def _event(text: str) -> None:
    if currently_in_test_context():
        event(text)


def outcome(call, data: bytes, *args):
    """What `call(data, *args)` gives: its value, or the QuarantineError. Anything else fails the test."""
    try:
        value = call(data, *args)
    except QuarantineError as error:
        assert str(error).strip(), f"a quarantine without a reason on {shown(data)}"
        _event(f"quarantined: {str(error)[:25]}")   # --hypothesis-show-statistics shows the mix
        return error
    except Exception as error:   # noqa: BLE001 - the property under test
        raise AssertionError(f"{call.__module__}.{call.__name__}{args!r} raised {type(error).__name__}: "
                             f"{str(error)[:300]}\non input {shown(data)}") from error
    if isinstance(value, Table):
        _event("read")
    else:
        loaded = "rows loaded" if value.rows_loaded else "none loaded"
        _event(f"parsed: {loaded}, {'some' if value.rows_rejected else 'no'} rejects")
    return value


def check_table(table: Table | QuarantineError, data: bytes) -> None:
    if isinstance(table, QuarantineError):
        return
    assert isinstance(table, Table), f"{type(table)} on {shown(data)}"
    rows = len(table)
    for header, column in table.columns.items():
        assert len(column) == rows, f"column {header!r} has {len(column)} cells for {rows} rows on {shown(data)}"
    for code, reason in table.row_flags.values():
        assert code and reason, f"a row flag without a reason on {shown(data)}"
    for flags in table.cell_flags.values():
        for code, reason in flags.values():
            assert code and reason, f"a cell flag without a reason on {shown(data)}"


def check_result(result: ParseResult | QuarantineError, data: bytes) -> None:
    if isinstance(result, QuarantineError):
        return
    assert isinstance(result, ParseResult), f"{type(result)} on {shown(data)}"
    assert result.rows_read == result.rows_loaded + result.rows_rejected, (
        f"rows read {result.rows_read} != loaded {result.rows_loaded} + rejected {result.rows_rejected} "
        f"on {shown(data)}")
    rejects = result.reject_table
    for name in ("reason_code", "reason"):
        column = rejects.column(name)
        assert column.null_count == 0, f"a reject without a {name} on {shown(data)}"
        if len(column):
            assert pc.min(pc.utf8_length(column)).as_py() > 0, f"a reject with an empty {name} on {shown(data)}"
    assert isinstance(result.table, pa.Table)


# ---------------------------------------------------------------- the readers

@FUZZ
@given(data=inputs_for("csv"))
def test_csv_reader_never_raises(data):
    check_table(outcome(read_csv_cells, data), data)


@FUZZ
@given(data=inputs_for("xlsx"))
def test_xlsx_reader_never_raises(data):
    check_table(outcome(read_xlsx_cells, data), data)


@FUZZ
@given(data=inputs_for("json"))
def test_json_reader_never_raises(data):
    check_table(outcome(read_json_records, data, "transaksi"), data)


# ---------------------------------------------------------------- the source parsers

@pytest.mark.parametrize("source,path", list(TARGETS), ids=[path for _, path in TARGETS])
@FUZZ
@given(draw=st.data())
def test_source_parser_never_raises(source, path, draw):
    data = draw.draw(inputs_for(TARGETS[(source, path)], source), label="file")
    check_result(outcome(SOURCES[source].parse, data, path), data)


# ---------------------------------------------------------------- in the real isolation layer

ISOLATION_LIMITS = ParseLimits(memory_mb=1024, seconds=60)
LIMIT_WORDS = ("crashed", "longer than", "more than the", "killed", "parser failed")


@st.composite
def any_target_input(draw):
    source, path = draw(st.sampled_from(list(TARGETS)))
    kind = TARGETS[(source, path)]
    if kind == "xlsx" and draw(st.booleans()):
        return source, path, draw(lying_zip(seeds_of("xlsx", source)))
    return source, path, draw(inputs_for(kind, source))


@settings(FUZZ, max_examples=ISOLATED_EXAMPLES)
@given(case=any_target_input())
def test_isolated_parse_stays_within_its_limits(case):
    """In a capped worker, as the loader runs them: no small input crashes the reader or hits a limit.
    A crash (say a Rust abort in the xlsx reader) or the memory cap shows only here, not in-process."""
    source, path, data = case
    try:
        result = parse_alone(source, data, path, ISOLATION_LIMITS)
    except QuarantineError as error:
        reason = str(error)
        assert reason.strip()
        assert not any(word in reason for word in LIMIT_WORDS), f"{path}: {reason!r} on {shown(data)}"
        return
    check_result(result, data)


def test_the_seeds_are_good_exports():
    """The mutations start from files the parsers load (else the fuzzing would only test refusals)."""
    for (source, path), kind in TARGETS.items():
        for data in seeds_of(kind, source):
            result = SOURCES[source].parse(data, path)
            assert result.rows_loaded > 0, (path, result.rejects.to_dict("records"), result.notes)


@pytest.mark.parametrize("source,path", [target for target, kind in TARGETS.items() if kind == "csv"],
                         ids=[path for (_, path), kind in TARGETS.items() if kind == "csv"])
def test_a_header_only_file_is_no_exception(source, path):
    """Found by the fuzzing: a UVO CSV of only its header raised ArrowTypeError (a currency column of
    Arrow type null met a string value set in `uvo._reject_missing_fx`)."""
    header = seeds_of("csv", source)[0].split(b"\r\n")[0]
    check_result(outcome(SOURCES[source].parse, header, path), header)
