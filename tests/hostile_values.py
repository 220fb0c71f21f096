"""Hostile values of issue 16, one builder per class: each writes its file to `path`.

Numbers a careless or hostile exporter writes (thousands of digits, 1e-400, NaN, a subnormal,
-0), a lone surrogate escape in JSON, and personal data where a reason could quote it (an
enrollment file shifted by one column). Each builder returns what a test needs to know: the
landing path its file belongs under (`landing_path`: the parser's source follows from it), the
rows it holds, how many load, the reject reason codes, and the personal values no reason may
quote. The good rows among them are plausible (amounts above Rp 1.000), so a zone holding one of
these files still publishes.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.corpus import (BUYER_PII, NIKS, OWNERS, PHONES, UVO_FIELDS, enrol_row, g, gobiz, k,
                          kobo, s, shopee_rows, u, uvo_csv, xlsx_with_cells)
from tests.filemakers import csv_bytes, xlsx_bytes
from tests.test_parsers import ENROLL_HEADER

PERSONAL = [*NIKS, *OWNERS, *PHONES, *BUYER_PII]
HUGE_DIGITS = 5000                  # past Python's 4300-digit integer string conversion limit
# Text amounts that are no amount of decimal(18,2): every one is `invalid_amount`.
TEXT_AMOUNTS = ["1e-400", "4.9e-324", "1e400", "inf", "-inf", "Infinity", "9" * HUGE_DIGITS,
                "99999999999999999", "10000000000000000", "9.999.999.999.999.999,995", "0,000001 rb"]
# xlsx number cells (calamine gives floats): every one is `invalid_amount`.
XLSX_NUMBERS = [5e-324, 2.2250738585072014e-308, 0.004, 1e16, 1e300]
XLSX_RAW_NUMBERS = [b"NaN", b"INF", b"-INF", b"1e400"]   # written into the sheet's XML as they are
UVO_JSON = "uvo/hostile.json"


def _uvo_json(path: Path, records: list[dict], raw: list[str] = ()) -> None:
    """A UVO JSON export; `nilai` of the record i is the JSON number text raw[i] when it is "@RAW{i}@"."""
    text = json.dumps({"transaksi": records})   # ensure_ascii: a lone surrogate is written as its escape
    for i, number in enumerate(raw):
        text = text.replace(f'"@RAW{i}@"', number)
    Path(path).write_text(text, encoding="utf-8")


def _raw_amounts(prefix: str, numbers: list[str], good: int = 2) -> tuple[list[dict], list[str]]:
    records = [u(f"{prefix}-GOOD-{i}", nilai=100) for i in range(good)]
    records += [u(f"{prefix}-{i}", nilai=f"@RAW{i}@") for i in range(len(numbers))]
    return records, numbers


def _numbers_json(path: Path, prefix: str, numbers: list[str], code: str | None = "invalid_amount") -> dict:
    records, raw = _raw_amounts(prefix, numbers)
    _uvo_json(path, records, raw)
    hostile = len(numbers) if code else 0
    return {"landing_path": UVO_JSON, "rows": len(records), "loaded": len(records) - hostile,
            "rejects": {code: hostile} if code else {}}


def make_huge_digits_json(path: Path) -> dict:
    """Amounts written with thousands of digits: an integer (Python's int() refuses it and the run
    died), a number with thousands of digits before its point, and an exponent of nine digits."""
    return _numbers_json(path, "HUGE", ["9" * HUGE_DIGITS, "1" + "0" * HUGE_DIGITS + ".5", "1e999999999"])


def make_lone_surrogate_json(path: Path) -> dict:
    """Lone surrogate escapes (`\\ud800`, `\\udc00`): in an ID and in a name (those rows are
    rejected, `invalid_encoding`), in a field the contract does not use and in a key (those rows
    load, the key with a note). A valid pair (an emoji, as json.dumps writes it) is a character."""
    records = [u("SUR-GOOD", nilai=100),
               u("SUR-ID", nilai=100, id_peserta="UVO-\ud800"),
               u("SUR-NAME", nilai=100, nama_peserta="Batik \udc00 Sekar"),
               u("SUR-PAIR", nilai=100, nama_peserta="Batik \U0001F600 Sekar"),
               {**u("SUR-EXTRA", nilai=100), "catatan": "\udbff", "kunci\ud801": "x"}]
    _uvo_json(path, records)
    return {"landing_path": UVO_JSON, "rows": 5, "loaded": 3, "rejects": {"invalid_encoding": 2},
            "rejected_ids": ["SUR-ID", "SUR-NAME"]}


def make_underflow_json(path: Path) -> dict:
    """Amounts that are not zero yet round to 0.00: 1e-400 (float() makes it 0.0, which loaded as
    an order of Rp 0 and failed a blocking check on every run), the subnormal 4.9e-324, the
    smallest normal double, half a cent and less."""
    return _numbers_json(path, "UNDER", ["1e-400", "4.9e-324", "2.2250738585072014e-308", "0.004", "0.005",
                                         "0." + "0" * HUGE_DIGITS + "1"])


def make_nonfinite_json(path: Path) -> dict:
    """JSON's non-standard constants (Python writes them) and a number past a double: NaN,
    Infinity, -Infinity, 1e400."""
    return _numbers_json(path, "NONFINITE", ["NaN", "Infinity", "-Infinity", "1e400"])


def make_negative_zero_json(path: Path) -> dict:
    """-0 written three ways. Zero is zero whatever its sign: each loads as 0.00 (not a negative
    amount). An amount of 0 is then judged by the order checks like any other 0."""
    return _numbers_json(path, "NEGZERO", ["-0", "-0.0", "-0e5"], code=None)


def make_hostile_amounts_csv(path: Path, source: str) -> dict:
    """TEXT_AMOUNTS in the amount column of a `source` CSV ('uvo', 'gofood' or 'shopee'), between
    two good rows: every hostile row is rejected (`invalid_amount`)."""
    if source == "uvo":
        data, landing = uvo_csv(*(u(f"AMT-{i}", nilai=v) for i, v in enumerate(["100", *TEXT_AMOUNTS, "250"]))), \
            "uvo/hostile_amounts.csv"
    elif source == "gofood":
        data, landing = gobiz(*(g(f"AMT-{i}", amount=v) for i, v in enumerate(["45.000", *TEXT_AMOUNTS, "12.500"]))), \
            "gofood/hostile_amounts.csv"
    elif source == "shopee":
        data, landing = csv_bytes(shopee_rows(*(s(f"AMT-{i}", price=v) for i, v in
                                                enumerate(["25.000", *TEXT_AMOUNTS, "30.000"])))), \
            "shopee/777/Order.all.20210901_20210930.csv"
    else:
        raise ValueError(f"no money column in source {source!r}")
    Path(path).write_bytes(data)
    return {"landing_path": landing, "rows": len(TEXT_AMOUNTS) + 2, "loaded": 2,
            "rejects": {"invalid_amount": len(TEXT_AMOUNTS)}}


def make_hostile_amounts_shopee_xlsx(path: Path) -> dict:
    """A Shopee xlsx whose price cells are numbers no decimal(18,2) holds: subnormal, smallest
    normal, below half a cent, 1e16, 1e300 (written by openpyxl), and NaN, INF, -INF, 1e400 written
    into the sheet's XML (calamine reads them as float NaN and inf). Every one is `invalid_amount`."""
    numbers = [*XLSX_NUMBERS, *([0] * len(XLSX_RAW_NUMBERS))]
    rows = shopee_rows(s("XL-GOOD-0", price=25000), *(s(f"XL-{i}", price=v) for i, v in enumerate(numbers)),
                       s("XL-GOOD-1", price=30000))
    price_column = "I"   # Harga Setelah Diskon
    first = len(XLSX_NUMBERS) + 3   # the sheet row of the first raw cell (header, a good row, the numbers)
    cells = {f"{price_column}{first + i}": b'<c r="%s%d" t="n"><v>%s</v></c>' % (price_column.encode(), first + i, raw)
             for i, raw in enumerate(XLSX_RAW_NUMBERS)}
    Path(path).write_bytes(xlsx_with_cells(rows, cells, sheet="orders"))
    return {"landing_path": "shopee/777/Order.all.20210901_20210930.xlsx", "rows": len(numbers) + 2, "loaded": 2,
            "rejects": {"invalid_amount": len(numbers)}}


def make_xlsx_underflow_shopee(path: Path) -> dict:
    """A Shopee xlsx whose price cell is `<v>1e-400</v>`: calamine reads it as 0.0, so no cell
    parser can tell it from a written 0 (the xlsx reader must look at the XML: see the report of
    issue 16). Expected: `invalid_amount`."""
    rows = shopee_rows(s("XLU-GOOD", price=25000), s("XLU-1", price=0))
    Path(path).write_bytes(xlsx_with_cells(rows, {"I3": b'<c r="I3" t="n"><v>1e-400</v></c>'}, sheet="orders"))
    return {"landing_path": "shopee/777/Order.all.20210901_20210930.xlsx", "rows": 2, "loaded": 1,
            "rejects": {"invalid_amount": 1}}


def make_shifted_enrollment(path: Path, rows: int = 6, xlsx: bool = False) -> dict:
    """An enrollment export whose values moved one column left of the header: the program went to
    the end of each row, so `program_id` holds the owner's NIK (as text, or a number cell in xlsx)
    and `tanggal_bergabung` a program. Every row is rejected (`unknown_program`); the reason
    names the column and the rule, never the NIK."""
    body = []
    for i in range(rows):
        good = enrol_row(i, nama_usaha=OWNERS[i % len(OWNERS)])
        shifted = good[1:] + good[:1]
        if xlsx:
            shifted[0] = int(shifted[0])
        body.append(shifted)
    table = [ENROLL_HEADER, *body]
    Path(path).write_bytes(xlsx_bytes(table) if xlsx else csv_bytes(table))
    return {"landing_path": f"enrollment/shifted.{'xlsx' if xlsx else 'csv'}", "rows": rows, "loaded": 0,
            "rejects": {"unknown_program": rows}, "personal": sorted({str(row[0]) for row in body} | set(OWNERS))}


# ---------------------------------------------------------------- personal data in every column

PERSONAL_CELLS = [NIKS[0], f"'{NIKS[1]}", NIKS[2][:15], OWNERS[0], PHONES[1], BUYER_PII[2], BUYER_PII[3]]


def _everywhere(header: list[str], good: list, skip: tuple[str, ...] = ()) -> list[list]:
    """One row per (column, personal value): the good row with that value in that column."""
    rows = []
    for index, name in enumerate(header):
        if name in skip:
            continue
        for value in PERSONAL_CELLS:
            row = list(good)
            row[index] = value
            rows.append(row)
    return rows


def make_personal_data_everywhere(path: Path, source: str) -> dict:
    """A `source` file ('enrollment', 'survey', 'gofood', 'shopee', 'uvo', 'uvo_json') whose rows
    each hold a NIK, a name, a phone number or an address in one column, every column in turn:
    whatever the reasons of the rejected rows, none may quote such a value."""
    if source == "enrollment":
        data, landing = csv_bytes([ENROLL_HEADER, *_everywhere(ENROLL_HEADER, enrol_row(0))]), "enrollment/pii.csv"
    elif source == "survey":
        from tests.test_parsers import KOBO_HEADER
        data, landing = kobo(*_everywhere(KOBO_HEADER, k(0))), "survey/pii.csv"
    elif source == "gofood":
        from tests.test_parsers import GOBIZ_HEADER
        data, landing = gobiz(*_everywhere(GOBIZ_HEADER, g("PII"))), "gofood/pii.csv"
    elif source == "shopee":
        from tests.test_parsers import SHOPEE_NEW
        data, landing = csv_bytes(shopee_rows(*_everywhere(SHOPEE_NEW, s("PII")))), \
            "shopee/777/Order.all.20210901_20210930.csv"
    elif source == "uvo":
        record = u("PII")
        data, landing = csv_bytes([UVO_FIELDS, *_everywhere(UVO_FIELDS, [record[f] for f in UVO_FIELDS])]), \
            "uvo/pii.csv"
    elif source == "uvo_json":
        record = u("PII")
        rows = _everywhere(UVO_FIELDS, [record[f] for f in UVO_FIELDS])
        data, landing = json.dumps([dict(zip(UVO_FIELDS, row)) for row in rows]).encode(), "uvo/pii.json"
    elif source in ("mbizmarket", "training", "lapak_ganjar"):
        from tests.corpus import FORMS_FIELDS, LAPAK_FIELDS, MBIZ_FIELDS, f, lg, m
        header, good = {"mbizmarket": (MBIZ_FIELDS, m("PII")), "training": (FORMS_FIELDS, f(0)),
                        "lapak_ganjar": (LAPAK_FIELDS, lg(0))}[source]
        data, landing = csv_bytes([header, *_everywhere(header, good)]), f"{source}/pii.csv"
    else:
        raise ValueError(f"unknown source {source!r}")
    Path(path).write_bytes(data)
    return {"landing_path": landing, "personal": [value.lstrip("'") for value in PERSONAL_CELLS] + PERSONAL}
