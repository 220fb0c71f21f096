"""JSON exports (an array of records, or an object holding one) read into cells.

Numbers stay exact: every JSON number (and the non-standard `NaN`, `Infinity` that some
exporters write) becomes a `Decimal` of its source text, and the cell parsers decide. Python's
own reading made an int of 5000 digits a ValueError (the integer string conversion limit) that
killed the run, read `1e-400` as 0.0 (an order of Rp 0) and `1e400` as inf.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal

import numpy as np

from ingest.readers import Flag, QuarantineError, Table, _finish, decode_text

# A lone surrogate in a str can only come from a \uD800-\uDFFF escape without its pair: the cells
# are looked at only when the text holds such an escape (a pair, as json.dumps writes an emoji, is
# one character, found in the cells). A regex for the lone ones alone (lookarounds) took a second
# on 15 MB; this one, with its literal start, 70 ms.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")
NESTED: Flag = ("nested_value", "a JSON object or array where one value belongs")
LONE_SURROGATE: Flag = ("invalid_encoding", "a lone UTF-16 surrogate escape (\\ud800-\\udfff), which is "
                                            "no character")


def read_json_records(data: bytes, list_key: str) -> Table:
    notes: list[str] = []
    text = decode_text(data, notes)
    try:
        document = json.loads(text, parse_int=Decimal, parse_float=Decimal, parse_constant=Decimal)
    except json.JSONDecodeError as exc:
        raise QuarantineError(f"unreadable JSON: {exc}") from exc
    except RecursionError as exc:
        raise QuarantineError("unreadable JSON: nested too deeply to be an export") from exc
    records = document.get(list_key) if isinstance(document, dict) else document
    if not isinstance(records, list):
        raise QuarantineError(f"JSON must be an array of objects or {{\"{list_key}\": [...]}}")
    if not records:
        raise QuarantineError("empty file: no records")
    if not all(isinstance(record, dict) for record in records):
        raise QuarantineError("JSON array holds something other than objects")
    # Columns by hand, not pandas: a missing key is None (pandas made it NaN, and folds a JSON NaN
    # into its missing values, where a money parser must see it).
    header = list(dict.fromkeys(key for keys in dict.fromkeys(map(tuple, records)) for key in keys))
    columns = [np.fromiter((record.get(key) for record in records), dtype=object, count=len(records))
               for key in header]
    cell_flags: dict[int, dict[int, Flag]] = {}
    for index, cells in enumerate(columns):   # a nested object or array is not a cell value: kept as text, flagged
        if not {dict, list} & set(map(type, cells)):
            continue
        nested = [row for row, value in enumerate(cells) if isinstance(value, (dict, list))]
        for row in nested:
            cells[row] = json.dumps(cells[row], ensure_ascii=False, default=str)
        if nested:
            cell_flags[index] = dict.fromkeys(nested, NESTED)
    if _SURROGATE_ESCAPE.search(text):
        header = _mend_surrogates(header, columns, cell_flags, notes)
    return _finish(header, columns, notes, cell_flags=cell_flags)


def _mend_surrogates(header: list[str], columns: list[np.ndarray], cell_flags: dict[int, dict[int, Flag]],
                     notes: list[str]) -> list[str]:
    """Lone surrogates are no text: Arrow (UTF-8) cannot hold them, and a str holding one ended the
    run. Each becomes U+FFFD and its cell is flagged (`invalid_encoding`: the row is rejected where
    the column is used); the rest of the file loads."""
    for index, cells in enumerate(columns):
        for row, value in enumerate(cells):
            if isinstance(value, str) and not value.isascii() and _SURROGATE.search(value):
                cells[row] = _SURROGATE.sub("\ufffd", value)
                cell_flags.setdefault(index, {}).setdefault(row, LONE_SURROGATE)
    mended = [_SURROGATE.sub("\ufffd", key) for key in header]
    if mended != header:
        notes.append("a JSON key holds a lone UTF-16 surrogate escape: written as U+FFFD")
    return mended
