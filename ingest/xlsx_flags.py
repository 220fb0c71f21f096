"""Cells whose value an xlsx sheet does not hold, found in its XML while it is scanned.

Calamine reads an Excel error, an uncalculated formula and a number below a double's range as an
empty cell or 0.0: a wrong value would look missing, or zero. Flagged by 0-based (row, column).
"""

from __future__ import annotations

import re

from ingest.readers import Flag


def column_number(letters: bytes) -> int:
    """1-based column of letters, any case: A is 1, XFD 16,384."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - 64
    return number


_CELL_RE = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_REF_RE = re.compile(rb'\br="([A-Z]{1,3})([0-9]+)"')
_ERROR_TYPE_RE = re.compile(rb'\bt="e"')
_FORMULA_RE = re.compile(rb"<(?:\w+:)?f\b")
_VALUE_RE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
# A number below a double's smallest (4.9e-324) reads as 0.0: no cell parser could tell it from a 0.
_UNDERFLOW_RE = re.compile(rb"[0-9][eE]-0*(?:3[2-9][0-9]|[4-9][0-9]{2}|[1-9][0-9]{3,})\s*<")
EXCEL_ERRORS = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
                          "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!"})


def flag_cells(piece: bytes, end: int, flags: dict[tuple[int, int], Flag]) -> None:
    """Cells whose value the workbook does not hold, into `flags` by 0-based (row, column): Excel errors
    and uncalculated formulas, which calamine reads as empty (a wrong value would look missing, or 0)."""
    for match in _CELL_RE.finditer(piece, 0, end):
        attributes, inner = match[1], match[2] or b""
        ref = _REF_RE.search(attributes)
        if ref is None:
            continue
        value = _VALUE_RE.search(inner)
        if _ERROR_TYPE_RE.search(attributes):
            error = value[1].decode("utf-8", "replace").strip() if value else ""
            # only Excel's own codes are named: any other text there is file content
            flag = ("formula_error", f"the cell holds the Excel error {error}" if error in EXCEL_ERRORS
                    else "the cell holds an Excel error")
        elif value and _is_underflow(value[1]):
            flag = ("invalid_amount", "the number is too small for the file to hold (it reads as 0)")
        elif _FORMULA_RE.search(inner) and not (value and value[1].strip()):
            flag = ("formula_without_value", "the cell is a formula whose value was never calculated "
                                             "(open and save the file in Excel, then deliver it again)")
        else:
            continue
        flags[(int(ref[2]) - 1, column_number(ref[1]) - 1)] = flag


def _is_underflow(text: bytes) -> bool:
    """A number written non-zero that a double holds as 0.0 (`1e-400`); a written 0 is no underflow."""
    try:
        number = float(text)
    except ValueError:
        return False
    return number == 0.0 and any(digit in b"123456789" for digit in text.lower().partition(b"e")[0])



def maybe_flagged(buffer: bytes, end: int) -> bool:
    """Whether a piece may hold a formula (`<f`), an error cell (`"e"`) or a number that underflows
    (`1e-400`). Cell XML seldom has an f or an e (text lives in the shared strings): the few there
    are get looked at one by one (memchr)."""
    for letter, before, after, patterns in ((b"f", b"<:", b"", (b"<f", b":f")), (b"e", b'"', b'"', (b'"e"',))):
        at, seen = buffer.find(letter, 1, end), 0
        while at >= 0:
            if buffer[at - 1] in before and (not after or buffer[at + 1] in after):
                return True
            seen += 1
            if seen > 256:   # text after all: search the rest for the patterns themselves
                if any(buffer.find(pattern, at, end) >= 0 for pattern in patterns):
                    return True
                break
            at = buffer.find(letter, at + 1, end)
    return _may_underflow(buffer, end)


def _may_underflow(buffer: bytes, end: int) -> bool:
    """An underflow needs an exponent `e-`: the regex runs only from the first such minus sign, or
    from the 257th other one (over the whole piece it scanned 135 MB/s, an eighth of a survey
    workbook's parse)."""
    at, seen = buffer.find(b"-", 1, end), 0
    while at >= 0 and seen <= 256:
        if buffer[at - 1] in b"eE":
            return _UNDERFLOW_RE.search(buffer, at - 2, end) is not None
        seen += 1
        at = buffer.find(b"-", at + 1, end)
    return at >= 0 and _UNDERFLOW_RE.search(buffer, at, end) is not None
