"""Hostile text exports, one builder per class of issue 16: each writes its file to `path`.

The big ones are built from a few encoded lines repeated, so a 2 M-row file takes well under a
second to write. Each builder returns what a test needs to know about its file.
"""

from __future__ import annotations

from pathlib import Path

from tests.filemakers import csv_bytes
from tests.test_parsers import GOBIZ_HEADER, KOBO_HEADER, gobiz_row, kobo_row

BOM = "\ufeff".encode()
CAFE = "Café Señor"                     # a name that only survives as UTF-8
STRAY = b"Warung Bu \xe9di"             # one byte that is not UTF-8 (cp1252 'é')
PASTED_ROWS, PASTED_BAD_ID = 6, "P-BAD"  # data rows of make_pasted_exports_csv, the id of its bad row


def _gobiz(tid: str, name: str = CAFE) -> list:
    row = gobiz_row(tid, "2021-09-05T03:00:00Z", "45000", merchant="G-HOSTILE")
    row[GOBIZ_HEADER.index("Merchant name")] = name
    return row


def make_pasted_exports_csv(path: Path) -> dict:
    """Two GoBiz exports pasted into one file: each starts with a BOM and a header, the names are
    UTF-8, and one row of the second export holds a stray cp1252 byte."""
    first = csv_bytes([GOBIZ_HEADER, *(_gobiz(f"P-{i}") for i in range(3))], bom=True)
    second = csv_bytes([GOBIZ_HEADER, *(_gobiz(f"P-{i}") for i in range(3, 5)),
                        _gobiz(PASTED_BAD_ID, "@STRAY@")], bom=True)
    Path(path).write_bytes(first + second.replace(b"@STRAY@", STRAY))
    return {"rows": PASTED_ROWS, "bad_id": PASTED_BAD_ID}


def make_cp1252_gobiz(path: Path, rows: int = 50) -> dict:
    """A GoBiz export saved by old Excel: cp1252 throughout, most names with accents."""
    body = [_gobiz(f"W-{i}", CAFE if i % 3 else "Warung Bu Sri") for i in range(rows)]
    Path(path).write_bytes(csv_bytes([GOBIZ_HEADER, *body], encoding="cp1252"))
    return {"rows": rows, "name": CAFE}


def make_mostly_utf8_gobiz(path: Path, rows: int = 40, bad: tuple[int, ...] = (7, 23)) -> dict:
    """UTF-8 names on every row, and a stray byte in the rows `bad` (0-based)."""
    body = [_gobiz(f"M-{i}", "@STRAY@" if i in bad else CAFE) for i in range(rows)]
    Path(path).write_bytes(csv_bytes([GOBIZ_HEADER, *body]).replace(b"@STRAY@", STRAY))
    return {"rows": rows, "bad_row_numbers": [i + 1 for i in bad]}


def make_empty_required_gobiz(path: Path, rows: int = 20, empty: tuple[str, ...] = ("Amount", "Merchant ID")) -> dict:
    """A GoBiz export whose required columns `empty` are present in the header but blank on every row."""
    body = [_gobiz(f"E-{i}") for i in range(rows)]
    for row in body:
        for name in empty:
            row[GOBIZ_HEADER.index(name)] = ""
    Path(path).write_bytes(csv_bytes([GOBIZ_HEADER, *body]))
    return {"rows": rows, "empty": list(empty)}


def _repeat(path: Path, header: bytes, line: bytes, rows: int, tail: bytes = b"") -> None:
    chunk = line * 10_000
    with open(path, "wb") as handle:
        handle.write(header)
        for _ in range(rows // 10_000):
            handle.write(chunk)
        handle.write(line * (rows % 10_000))
        handle.write(tail)


def make_repeated_id_gofood(path: Path, rows: int = 2_000_000) -> dict:
    """A GoBiz report of `rows` rows that all share one Transaction ID: the first loads, every
    other one is a `duplicate_id`."""
    header, line = csv_bytes([GOBIZ_HEADER, _gobiz("F-SAME", "Warung Bu Sri")]).split(b"\r\n", 1)
    _repeat(Path(path), header + b"\r\n", line, rows)
    return {"rows": rows}


def make_empty_kobo(path: Path, rows: int = 2_000_000) -> dict:
    """A Kobo export (`;`, every field quoted) of `rows` records of empty fields, then one real
    submission: the empty records are blank rows, dropped and counted in a note."""
    data = csv_bytes([KOBO_HEADER, [""] * len(KOBO_HEADER), kobo_row()], delimiter=";", quote_all=True)
    header, blank, real = data.split(b"\r\n")[:3]
    _repeat(Path(path), header + b"\r\n", blank + b"\r\n", rows, real + b"\r\n")
    return {"rows": rows, "loaded": 1}
