"""Hostile xlsx files, one builder per class, for tests (and the fuzzing of issue 16) to reuse.

Each `make_*(path)` writes one file in well under a second or two and returns the path. The
workbooks are Shopee order exports (sheet "orders", a header and one good line), so
`SOURCES['shopee'].parse(data, SHOPEE_PATH)` would load them if the hostile part were not
there. The zip is written by hand: the bombs need raw deflate streams and sizes that lie.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

SHOPEE_PATH = "shopee/123456/Order.all.20210901_20210930.xlsx"
HEADER = ["No. Pesanan", "Status Pesanan", "Waktu Pesanan Dibuat", "Jumlah", "Harga Setelah Diskon"]
LINE = ["2109010001", "Selesai", "2021-09-01 10:00", 1, 15000]
BOMB_BYTES = 2 << 30                # the sheet of the bomb: 2 GiB inflated
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_NS_R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


# ---------------------------------------------------------------- the classes

def make_last_cell_xlsx(path) -> Path:
    """A good export plus one value in Excel's last cell, XFD1048576 (the issue's SIGABRT)."""
    return _write(path, _sheet(_good_rows() + _row(1048576, [("XFD", 1)])))


def make_bottom_cell_xlsx(path) -> Path:
    """A stray value in AMJ1048576: within Excel's grid and within MAX_COLUMNS (1,024), but a used
    range of a billion cells, beyond XLSX_MAX_CELLS (34 GB for calamine)."""
    return _write(path, _sheet(_good_rows() + _row(1048576, [("AMJ", 1)])))


def make_unreferenced_far_cell_xlsx(path) -> Path:
    """No cell references at all: a row numbered 1048576 holding 16,384 cells placed by
    position. Calamine sizes the sheet from those positions just as from references."""
    far = b'<row r="1048576">' + b"<c><v>1</v></c>" * 16384 + b"</row>"
    return _write(path, _sheet(_good_rows() + far))


def make_xlsx_bomb(path) -> Path:
    """A few MB whose sheet inflates to 2 GiB, sizes declared truthfully (the issue's bomb)."""
    return _write(path, _sheet(b""), sheet_part=_bomb(*_sheet(b"")))


def make_understated_xlsx_bomb(path) -> Path:
    """The same bomb with a zip directory that declares only 1 MB for the sheet."""
    raw, crc, _ = _bomb(*_sheet(b""))
    return _write(path, _sheet(b""), sheet_part=(raw, crc, 1 << 20))


def make_ratio_bomb_xlsx(path) -> Path:
    """Under the size limits (768 MiB from 2.4 MB), over the ratio: no export compresses 336 times."""
    return _write(path, _sheet(b""), sheet_part=_bomb(*_sheet(b""), size=768 << 20))


def make_shared_strings_bomb_xlsx(path) -> Path:
    """The bomb in the shared strings, which calamine reads whole when it opens the workbook."""
    strings = _bomb(f"<sst {_NS}>".encode(), b"</sst>", unit=b"<si><t>x</t></si>")
    return _write(path, _sheet(_good_rows()), strings_part=strings)


def make_huge_dimension_xlsx(path) -> Path:
    """Not hostile, only lying: `<dimension ref="A1:XFD1048576"/>` over a two-row sheet. Must load."""
    return _write(path, _sheet(_good_rows(), dimension="A1:XFD1048576"))


HOSTILE = {   # builder -> words its quarantine reason must contain
    make_last_cell_xlsx: ["XFD1048576", "MAX_COLUMNS"],
    make_bottom_cell_xlsx: ["AMJ1048576", "XLSX_MAX_CELLS"],
    make_unreferenced_far_cell_xlsx: ["1048576", "MAX_COLUMNS"],
    make_xlsx_bomb: ["xl/worksheets/sheet1.xml", "XLSX_MAX_MEMBER_BYTES"],
    make_understated_xlsx_bomb: ["xl/worksheets/sheet1.xml", "more than its declared"],
    make_ratio_bomb_xlsx: ["xl/worksheets/sheet1.xml", "XLSX_MAX_RATIO"],
    make_shared_strings_bomb_xlsx: ["xl/sharedStrings.xml", "XLSX_MAX_MEMBER_BYTES"],
}


# ---------------------------------------------------------------- the parts

def _cells(values: list) -> list[tuple[str, object]]:
    return [(chr(ord("A") + index), value) for index, value in enumerate(values)]


def _row(number: int, cells: list[tuple[str, object]]) -> bytes:
    out = []
    for column, value in cells:
        if isinstance(value, str):
            out.append(f'<c r="{column}{number}" t="inlineStr"><is><t>{value}</t></is></c>')
        else:
            out.append(f'<c r="{column}{number}"><v>{value}</v></c>')
    return f'<row r="{number}">{"".join(out)}</row>'.encode()


def _good_rows() -> bytes:
    return _row(1, _cells(HEADER)) + _row(2, _cells(LINE))


def _sheet(rows: bytes, dimension: str = "A1:E2") -> tuple[bytes, bytes]:
    """(head, tail) of the sheet XML around `rows` (a bomb streams its rows between them)."""
    head = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet {_NS} {_NS_R}>'
            f'<dimension ref="{dimension}"/><sheetData>').encode() + rows
    return head, b"</sheetData></worksheet>"


def _bomb(head: bytes, tail: bytes, unit: bytes = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>',
          size: int = BOMB_BYTES) -> tuple[bytes, int, int]:
    """(raw deflate, crc, size) of head + `size` bytes of `unit` repeated + tail, built in about a
    second: after a full flush the compressor starts afresh, so one compressed MB repeats as is."""
    block = unit * ((1 << 20) // len(unit))
    count = size // len(block)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    opening = compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH)
    first = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    assert count > 1 and first == again
    closing = compressor.compress(tail) + compressor.flush()
    crc = zlib.crc32(head)
    for _ in range(count):
        crc = zlib.crc32(block, crc)
    return opening + first * count + closing, zlib.crc32(tail, crc), len(head) + len(block) * count + len(tail)


def _write(path, sheet: tuple[bytes, bytes], sheet_part=None, strings_part=None) -> Path:
    head, tail = sheet
    strings_rel = (f'<Relationship Id="rId2" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
                   if strings_part else "")
    parts = [
        ("[Content_Types].xml", _deflated(
            b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            b'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            b'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>')),
        ("_rels/.rels", _deflated(
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            f'package/2006/relationships"><Relationship Id="rId1" Type="{_REL}/officeDocument" '
            f'Target="xl/workbook.xml"/></Relationships>'.encode())),
        ("xl/workbook.xml", _deflated(
            f'<?xml version="1.0" encoding="UTF-8"?><workbook {_NS} {_NS_R}><sheets>'
            f'<sheet name="orders" sheetId="1" r:id="rId1"/></sheets></workbook>'.encode())),
        ("xl/_rels/workbook.xml.rels", _deflated(
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            f'package/2006/relationships"><Relationship Id="rId1" Type="{_REL}/worksheet" '
            f'Target="worksheets/sheet1.xml"/>{strings_rel}</Relationships>'.encode())),
        ("xl/worksheets/sheet1.xml", sheet_part or _deflated(head + tail)),
    ]
    if strings_part:
        parts.append(("xl/sharedStrings.xml", strings_part))
    path = Path(path)
    path.write_bytes(_zip(parts))
    return path


def _deflated(data: bytes) -> tuple[bytes, int, int]:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(), zlib.crc32(data), len(data)


def _zip(parts: list[tuple[str, tuple[bytes, int, int]]]) -> bytes:
    """A zip of raw deflate members (method 8), no zip64: every size here is below 4 GiB."""
    out, directory = bytearray(), bytearray()
    for name, (raw, crc, size) in parts:
        encoded = name.encode()
        offset = len(out)
        out += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, len(raw), size, len(encoded), 0)
        out += encoded + raw
        directory += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0x21, crc, len(raw), size,
                                 len(encoded), 0, 0, 0, 0, 0, offset) + encoded
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(parts), len(parts), len(directory), len(out), 0)
    return bytes(out + directory + end)
