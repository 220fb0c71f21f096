"""xlsx workbooks read into cells (python-calamine), with the cells Excel holds no value for flagged.

Calamine trusts the file: it inflates whatever the zip holds, and it sizes one buffer for the
sheet's whole used range, from A1 to the farthest cell with a value. One value in XFD1048576
asks for 17 billion cells (the process aborts), and an 8 MB file can inflate to gigabytes. So
before calamine opens a workbook, `check_workbook` reads the zip directory (declared sizes,
ratios) and streams every worksheet part once to find the farthest cell, refusing with the limit
of `ingest.limits` it breaks and the cell reference (a position, never a cell's content).
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from xml.etree import ElementTree

import numpy as np

from ingest import limits
from ingest.readers import Flag, QuarantineError, Table, _columns_of, _finish
from ingest.xlsx_flags import column_number, flag_cells, maybe_flagged

CHUNK = 4 << 20                  # inflated bytes scanned at a time
HOLD = 16 << 20                  # bytes held to keep a cell whole
RATIO_FLOOR = 1 << 20            # parts smaller than this may compress as well as they like
SHEET_DIRS = ("xl/worksheets/", "xl/chartsheets/", "xl/dialogsheets/")   # where calamine finds sheets
DAMAGED = "unreadable xlsx: damaged, cut short or not an Excel workbook"


def read_xlsx_cells(data: bytes, preferred_sheet: str | None = None) -> Table:
    from python_calamine import CalamineError, CalamineWorkbook

    archive, flags_by_part = check_workbook(data)
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = workbook.sheet_names
        if not names:
            raise QuarantineError("the workbook has no sheets")
        name = preferred_sheet if preferred_sheet in names else names[0]
        rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except QuarantineError:
        raise
    except CalamineError as exc:
        detail = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise QuarantineError(f"{DAMAGED} ({detail})") from exc
    except Exception as exc:  # calamine raises its own zip/xml errors for truncated files
        raise QuarantineError(f"{DAMAGED} ({type(exc).__name__})") from exc
    except BaseException as exc:  # a Rust panic arrives as pyo3's PanicException, a BaseException
        if type(exc).__name__ != "PanicException":
            raise
        raise QuarantineError(f"{DAMAGED} (the xlsx reader failed on it)") from exc
    kept = [(index, row) for index, row in enumerate(rows) if any(cell != "" for cell in row)]
    if not kept:
        raise QuarantineError("empty workbook: no header and no rows")
    _, header = kept[0]
    body = [row for _, row in kept[1:]]
    sheet_rows = {index: position for position, (index, _) in enumerate(kept[1:])}
    cell_flags: dict[int, dict[int, Flag]] = {}
    for (row, column), flag in flags_by_part.get(_sheet_part(archive, name), {}).items():
        if row in sheet_rows and column < len(header):
            cell_flags.setdefault(column, {})[sheet_rows[row]] = flag
    return _finish([str(cell) for cell in header], _columns_of(body, len(header)), [f"sheet {name!r}"],
                   cell_flags=cell_flags)


# ---------------------------------------------------------------- limits before work

def check_workbook(data: bytes) -> tuple[zipfile.ZipFile, dict[str, dict[tuple[int, int], Flag]]]:
    """Refuse a workbook calamine cannot read within the limits; else (the archive, the flagged cells
    of each worksheet part). Every worksheet part is scanned: which one a sheet name leads to is
    calamine's business, and a wrong guess would let a hostile part through."""
    if data[:4] == b"\xd0\xcf\x11\xe0":   # calamine would read it as .xls, outside these checks
        raise QuarantineError("unreadable xlsx: an old-style Excel (.xls) or other Office file named .xlsx; "
                              "save it as .xlsx and deliver it again")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except Exception as exc:
        raise QuarantineError(f"{DAMAGED} (not a readable zip: {type(exc).__name__})") from exc
    check_zip_directory(infos)
    if {"content.xml", "xl/workbook.bin"} & {part_name(info.filename) for info in infos}:   # calamine: ods, xlsb
        raise QuarantineError("unreadable xlsx: an OpenDocument (.ods) or binary (.xlsb) workbook named .xlsx; "
                              "save it as .xlsx and deliver it again")
    flags = {}
    for info in infos:
        part = part_name(info.filename)
        if part.startswith(SHEET_DIRS):
            flags[part] = scan_sheet(lambda info=info: inflate_member(data, info), shown(info.filename))
    return archive, flags


def check_zip_directory(infos: list[zipfile.ZipInfo]) -> None:
    """The sizes the zip directory declares, checked before anything is inflated. The declared size
    binds: calamine's zip reader stops with an error past it, and so does `inflate_member`."""
    total = 0
    for info in infos:
        size, packed = info.file_size, max(info.compress_size, 1)
        if size > limits.XLSX_MAX_MEMBER_BYTES:
            raise QuarantineError(f"xlsx refused before inflating it: part {shown(info.filename)} would inflate to "
                                  f"{size:,} bytes, more than XLSX_MAX_MEMBER_BYTES ({limits.XLSX_MAX_MEMBER_BYTES:,})")
        if size > RATIO_FLOOR and size > limits.XLSX_MAX_RATIO * packed:
            raise QuarantineError(f"xlsx refused before inflating it: part {shown(info.filename)} would inflate "
                                  f"{size // packed:,} times ({packed:,} to {size:,} bytes), more than XLSX_MAX_RATIO "
                                  f"({limits.XLSX_MAX_RATIO}): a decompression bomb")
        total += size
    if total > limits.XLSX_MAX_TOTAL_BYTES:
        raise QuarantineError(f"xlsx refused before inflating it: its parts would inflate to {total:,} bytes, more "
                              f"than XLSX_MAX_TOTAL_BYTES ({limits.XLSX_MAX_TOTAL_BYTES:,})")


def inflate_member(data: bytes, info: zipfile.ZipInfo, chunk: int = CHUNK) -> Iterator[bytes]:
    """A part's bytes, at most `chunk` at a time, and never more than the size it declares."""
    name, offset, left = shown(info.filename), info.header_offset, info.file_size
    header = data[offset:offset + 30]
    if len(header) < 30 or header[:4] != b"PK\x03\x04" or info.flag_bits & 1:   # flag bit 0: encrypted
        raise QuarantineError(f"{DAMAGED} (part {name} cannot be found or is encrypted)")
    start = offset + 30 + sum(struct.unpack("<HH", header[26:30]))   # past the name and extra field
    raw = memoryview(data)[start:start + info.compress_size]
    if info.compress_type == zipfile.ZIP_STORED:
        for position in range(0, min(len(raw), left), chunk):
            yield bytes(raw[position:min(position + chunk, left)])
        return
    if info.compress_type != zipfile.ZIP_DEFLATED:
        raise QuarantineError(f"{DAMAGED} (part {name} uses compression method {info.compress_type}, not deflate)")
    inflater = zlib.decompressobj(-15)
    try:
        for position in range(0, len(raw), 1 << 20):
            out = inflater.decompress(raw[position:position + (1 << 20)], chunk)
            while True:   # at most `chunk` out per call; a full chunk may leave more inside zlib
                if len(out) > left:
                    raise QuarantineError(f"unreadable xlsx: part {name} inflates to more than its declared "
                                          f"{info.file_size:,} bytes (a damaged or crafted zip)")
                left -= len(out)
                if out:
                    yield out
                if inflater.eof or (len(out) < chunk and not inflater.unconsumed_tail):
                    break
                out = inflater.decompress(inflater.unconsumed_tail, chunk)
            if inflater.eof:   # what follows the deflate stream is not read, by calamine either
                return
    except zlib.error as exc:
        raise QuarantineError(f"{DAMAGED} (part {name} does not inflate)") from exc


@dataclass
class SheetExtent:
    """The farthest cells seen so far (1-based, with the cell's other coordinate for the reason):
    calamine allocates rows x columns from A1 (`to_python(skip_empty_area=False)` pads from A1)."""
    rows: int = 0
    rows_column: int = 0
    columns: int = 0
    columns_row: int = 0
    row_index: int = 0       # where calamine puts a cell without a reference (0-based)
    column_index: int = 0
    flags: dict[tuple[int, int], Flag] = field(default_factory=dict)

    def add(self, row: int, column: int) -> None:
        if row > self.rows:
            self.rows, self.rows_column = row, column
        if column > self.columns:
            self.columns, self.columns_row = column, row

    def check(self, part: str) -> None:
        far_row, far_column = cell_ref(self.rows, self.rows_column), cell_ref(self.columns_row, self.columns)
        where = far_row if far_row == far_column else f"{far_row} and {far_column}"
        if self.columns > limits.MAX_COLUMNS:
            raise QuarantineError(f"xlsx sheet too wide to read safely: {part} has a cell at {far_column}, column "
                                  f"{self.columns:,}, beyond MAX_COLUMNS ({limits.MAX_COLUMNS:,})")
        if self.rows > limits.MAX_ROWS:
            raise QuarantineError(f"xlsx sheet too long to read safely: {part} has a cell at {far_row}, row "
                                  f"{self.rows:,}, beyond MAX_ROWS ({limits.MAX_ROWS:,})")
        if self.rows * self.columns > limits.XLSX_MAX_CELLS:
            raise QuarantineError(f"xlsx sheet too large to read safely: {part} has cells at {where}, so its used "
                                  f"range is {self.rows:,} rows x {self.columns:,} columns, more than XLSX_MAX_CELLS "
                                  f"({limits.XLSX_MAX_CELLS:,} cells) for the reader to allocate")


def scan_sheet(open_chunks: Callable[[], Iterable[bytes]], part: str) -> dict[tuple[int, int], Flag]:
    """Stream a worksheet part, refuse it as soon as its cells reach past the limits, return its flagged
    cells. Cells all written `<c r="A1"` (Excel, every exporter seen) take a vectorised path; any
    other spelling is walked tag by tag the way calamine places cells: slower, but exact."""
    extent = SheetExtent()
    for buffer, end in _pieces(open_chunks()):
        if (cells := fast_cells(buffer, end)) is None:
            break
        rows, columns = cells
        if rows.size:
            at_row, at_column = int(rows.argmax()), int(columns.argmax())
            extent.add(int(rows[at_row]), int(columns[at_row]))
            extent.add(int(rows[at_column]), int(columns[at_column]))
            extent.check(part)
        if maybe_flagged(buffer, end):
            flag_cells(buffer, end, extent.flags)
    else:
        return extent.flags
    extent = SheetExtent()
    for buffer, end in _pieces(open_chunks()):
        walk_cells(buffer, extent, part, end)
        extent.check(part)
        if maybe_flagged(buffer, end):
            flag_cells(buffer, end, extent.flags)
    return extent.flags


def _pieces(chunks: Iterable[bytes]) -> Iterator[tuple[bytes, int]]:
    """Chunks re-cut into pieces `buffer[:end]` ending before a cell start (past HOLD bytes without one,
    before a tag), so no piece splits a cell. 16 bytes at least follow `end` in `buffer` (the next
    piece, or padding): references are read without bounds checks, and pieces cost no copy."""
    held: list[bytes] = []
    size, chunks = 0, iter(chunks)
    chunk = next(chunks, None)
    while chunk is not None:
        following = next(chunks, None)
        cut = len(chunk) if following is None else chunk.rfind(b"<c ")
        if cut < 0:
            starts = list(_CELL_START.finditer(chunk, max(0, len(chunk) - (1 << 16))))
            cut = starts[-1].start() if starts else chunk.rfind(b"<") if size + len(chunk) > HOLD else -1
        if cut < 0:
            held.append(chunk)
            size += len(chunk)
        else:
            buffer = b"".join([*held, chunk]) if held else chunk
            end = len(buffer) - len(chunk) + cut
            held = [buffer[end:]]
            size = len(held[0])
            if end:
                yield (buffer, end) if len(buffer) - end >= len(_PAD) else (buffer[:end] + _PAD, end)
        chunk = following


_CELL_START = re.compile(rb"<(?:[\w.-]+:)?c[\s/>]")
_PAD = b" " * 16
_DELIMITER = np.isin(np.arange(256), [9, 10, 13, 32, 47, 62])   # what may end an element name: whitespace / >
_UPPER, _DIGIT = np.isin(np.arange(256), np.arange(65, 91)), np.isin(np.arange(256), np.arange(48, 58))


def fast_cells(buffer: bytes, end: int | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """(1-based rows, columns) of the cells in `buffer[:end]` (whole tags; 16 more bytes follow),
    vectorised. None when a cell is written other than `<c r="A1"` (3 letters, 7 digits at most)
    or with a namespace prefix: `walk_cells` takes those. A `<c` in a comment counts too (only
    ever more cautious)."""
    if end is None:
        buffer, end = buffer + _PAD, len(buffer)
    at = [np.frombuffer(buffer, np.uint8, offset=k) for k in range(17)]   # at[k][i] is byte i + k
    tags = np.flatnonzero((at[0][:end] == 60) & (at[1][:end] == 99))
    tags = tags[_DELIMITER[at[2][tags]]]
    if not ((at[2][tags] == 32) & (at[3][tags] == 114) & (at[4][tags] == 61) & (at[5][tags] == 34)).all():
        return None
    colon = buffer.find(b":", 0, end)   # rare in sheet XML: scanned from the first one only
    colons = np.flatnonzero(at[0][colon:end] == 58) + colon if colon >= 0 else tags[:0]
    c = [view[colons] for view in at[1:5]]   # what follows each colon: a prefixed cell or row?
    if (((c[0] == 99) & _DELIMITER[c[1]]) | ((c[0] == 114) & (c[1] == 111) & (c[2] == 119) & _DELIMITER[c[3]])).any():
        return None
    first, second, third = at[6][tags], at[7][tags], at[8][tags]
    two, three = _UPPER[second], _UPPER[second] & _UPPER[third]
    if not _UPPER[first].all() or (three & _UPPER[at[9][tags]]).any():
        return None
    columns = first.astype(np.int32) - 64
    columns = np.where(two, columns * 26 + second - 64, columns)
    columns = np.where(three, columns * 26 + third - 64, columns)
    digits_at = tags + two + three   # the k-th digit is at[7 + k][digits_at]
    rows, count, going = np.zeros(len(tags), np.int32), np.zeros(len(tags), np.int32), np.ones(len(tags), bool)
    for k in range(8):
        byte = at[7 + k][digits_at]
        going &= _DIGIT[byte]
        if not going.any():
            break
        np.multiply(rows, 10, out=rows, where=going)
        np.add(rows, byte.astype(np.int32) - 48, out=rows, where=going)
        count += going
    if going.any() or not (at[7][digits_at + count] == 34).all() or not (rows > 0).all():
        return None
    return rows, columns


_TAG = re.compile(rb"""<(/?)(?:[^\s/>:"']*:)?(c|row)(?=[\s/>])((?:[^>"']|"[^"]*"|'[^']*')*)>""")
_R_ATTRIBUTE = re.compile(rb"""(?:^|\s)r\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_REF = re.compile(rb"([A-Za-z]*)([0-9]*)")


def walk_cells(piece: bytes, extent: SheetExtent, part: str, end: int | None = None) -> None:
    """Place every cell of a piece the way calamine does, into `extent`: a cell's own reference,
    else the next column of the current row; a row's `r`, else the row after the last."""
    for match in _TAG.finditer(piece, 0, len(piece) if end is None else end):
        closing, name, attributes = match.groups()
        found = None if closing else _R_ATTRIBUTE.search(attributes)
        ref = None if found is None else found[1] if found[1] is not None else found[2]
        if name == b"row":
            if ref is not None:
                extent.row_index = _parse_ref(ref, part, row_only=True)[0] - 1
            if closing or attributes.endswith(b"/"):
                extent.row_index, extent.column_index = extent.row_index + 1, 0
        elif not closing:
            row, column = _parse_ref(ref, part) if ref is not None else (extent.row_index + 1, extent.column_index + 1)
            extent.column_index = column
            extent.add(row, column)


def _parse_ref(ref: bytes, part: str, row_only: bool = False) -> tuple[int, int]:
    """(row, column), 1-based; huge numbers are kept huge. A cell needs letters, a row has none."""
    letters, digits = _REF.fullmatch(ref).groups() if _REF.fullmatch(ref) else (b"?", b"")
    if not digits or bool(letters) == row_only or int(digits[-12:]) == 0:
        raise QuarantineError(f"unreadable xlsx: {part} has a cell or row reference that is not one")
    return int(digits[-12:]) + (10 ** 12 if len(digits.lstrip(b"0")) > 12 else 0), column_number(letters[-6:])


def cell_ref(row: int, column: int) -> str:
    letters = ""
    while column > 0:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row}"


def part_name(filename: str) -> str:
    """A zip member's name the way calamine matches it: `\\` as `/`, any case."""
    return filename.replace("\\", "/").lower()


def shown(filename: str) -> str:
    return repr(filename[:80])


# ---------------------------------------------------------------- cells with no value

def _sheet_part(archive: zipfile.ZipFile, sheet_name: str) -> str | None:
    """The worksheet part of a sheet name as calamine resolves it (first sheet of the name, last
    relationship of the id, "/xl/…" and "xl/…" kept, others under xl/): only to pick the flags."""
    try:
        infos = {part_name(info.filename): info for info in archive.infolist()}
        workbook, rels = infos.get("xl/workbook.xml"), infos.get("xl/_rels/workbook.xml.rels")
        if workbook is None or rels is None or max(workbook.file_size, rels.file_size) > 16 << 20:
            return None
        sheets = ElementTree.fromstring(archive.read(workbook))
        rel_id = next((value for sheet in sheets.iterfind(".//{*}sheet") if sheet.get("name") == sheet_name
                       for key, value in sheet.attrib.items() if key.endswith("}id")), None)
        targets = {rel.get("Id"): rel.get("Target", "")
                   for rel in ElementTree.fromstring(archive.read(rels)).iterfind(".//{*}Relationship")}
    except Exception:  # calamine has read the workbook anyway: no flags rather than no file
        return None
    target = targets.get(rel_id, "")
    return part_name(target[1:] if target.startswith("/xl/") else target if target.startswith("xl/")
                     else "xl/" + target)
