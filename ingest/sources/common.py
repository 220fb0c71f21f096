"""Helpers the source parsers share."""

from __future__ import annotations

from pathlib import PurePosixPath

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ingest.csv_reader import read_csv_cells
from ingest.json_reader import read_json_records
from ingest.readers import QuarantineError, Table, as_objects
from ingest.xlsx_reader import read_xlsx_cells
from ingest.rows import RowBuilder
from ingest.vectorised import NIB, NIK, TEXT, ColumnParser


def read_cells(data: bytes, landing_path: str, sheet: str | None = None,
               json_key: str | None = None) -> Table:
    """Read by extension: .csv, .xlsx, and .json where the source allows it."""
    suffix = PurePosixPath(landing_path).suffix.lower()
    if suffix == ".csv":
        return read_csv_cells(data)
    if suffix == ".xlsx":
        return read_xlsx_cells(data, preferred_sheet=sheet)
    if suffix == ".json" and json_key is not None:
        return read_json_records(data, json_key)
    raise QuarantineError(f"unsupported file type '{suffix or 'none'}' for this source")


def wib_dates(utc_naive: pa.Array) -> pa.Array:
    """Local WIB calendar dates (UTC+7) of naive UTC timestamps; null stays null."""
    seven_hours = pa.scalar(7 * 3600 * 1_000_000, pa.duration("us"))
    return pc.cast(pc.add(utc_naive, seven_hours), pa.date32())


def choice(allowed: dict[str, object], code: str = "invalid_choice") -> ColumnParser:
    """A parser for a closed set of answers (case-insensitive); empty -> None."""
    from ingest.values import CellError, clean_text

    def parse(value):
        text = clean_text(value)
        if text is None:
            return None
        key = text.lower()
        if key not in allowed:
            raise CellError(code, rule="not one of the allowed answers")
        return allowed[key]

    kinds = {type(value) for value in allowed.values()}
    return ColumnParser(parse, pa.bool_() if kinds == {bool} else pa.string() if kinds == {str} else None)


def require_one_of(found: dict, names: list[str]) -> None:
    if not any(name in found for name in names):
        raise QuarantineError("missing required column(s): one of " + " / ".join(names))


def identifiers(rows: RowBuilder, nik: str = "nik_pemilik", nib: str = "nib"):
    """NIK and NIB, each validated; a row needs at least one (the UMKM key comes from it)."""
    nik_values = rows.convert(nik, NIK)
    nib_values = rows.convert(nib, NIB)
    rows.reject(pc.and_(nik_values.is_null(), nib_values.is_null()).to_numpy(zero_copy_only=False),
                "missing_identifier", f"neither {nik} nor {nib} is filled")
    return nik_values, nib_values


def region_codes(rows: RowBuilder, reference):
    """kode_kabkota wins; else the name (one converter call per distinct pair).

    A CSV column of codes is decided set-wise first: a cell that is a known BPS code once cleaned
    (`3374`, `33.74`, `'3374`) is that code, as `Reference.region_code` says; every other row
    (no code, an unknown one, a typed xlsx cell) goes to `Reference.region_code`, which gives the
    reason codes."""
    codes, names = rows.column("kode_kabkota"), rows.column("kabupaten_kota")
    known = None
    if isinstance(codes, pa.Array) and len(codes):
        text, _ = TEXT.fast(codes)
        digits = pc.replace_substring(pc.replace_substring(text, ".", ""), " ", "")
        known = (digits, pc.is_in(digits, value_set=pa.array(sorted(reference.region_codes), pa.string()))
                 .fill_null(False).to_numpy(zero_copy_only=False))
    rest = np.arange(len(rows)) if known is None else np.flatnonzero(~known[1])
    pairs = np.empty(len(rows), dtype=object)   # the rows decided set-wise need none
    if len(rest):
        pairs[rest] = np.fromiter(zip(_objects_at(codes, rest), _objects_at(names, rest)), dtype=object,
                                  count=len(rest))
    return rows.convert("kode_kabkota/kabupaten_kota", lambda pair: reference.region_code(*pair),
                        cells=pairs, known=known)


def _objects_at(column: pa.Array | np.ndarray, rows: np.ndarray) -> np.ndarray:
    return as_objects(column.take(pa.array(rows))) if isinstance(column, pa.Array) else column[rows]


def extra_columns_json(table: Table, mapped: set[str]) -> np.ndarray:
    """Columns this pipeline does not use, kept per row as a JSON object (raw layer only: a form's
    added question or an export's extra column may hold personal answers)."""
    extra = [column for column in table.columns if column not in mapped]
    if not extra:
        return np.full(len(table), None, dtype=object)
    columns = [table.columns[column] for column in extra]
    if all(isinstance(column, pa.Array) and column.type == pa.string() for column in columns) \
            and not any(_ODD_TEXT.search(column) for column in extra):
        return _json_lines_of_text(extra, columns)
    return _json_lines(extra, [table.cells(column) for column in extra])


def _json_lines(names: list[str], columns: list[np.ndarray]) -> np.ndarray:
    """One JSON object per row, every value as its `str`: the rule book (and the oracle of
    `_json_lines_of_text`)."""
    frame = pd.DataFrame(dict(zip(names, columns)), columns=names, dtype=object)
    text = frame.astype(str).to_json(orient="records", lines=True, force_ascii=False)
    # one line per row: JSON escapes a newline in a value, but not U+2028 or U+0085, which `splitlines` splits at
    return np.array(text.removesuffix("\n").split("\n") if len(frame) else [], dtype=object)


# How `_json_lines` (ujson) writes a value: these escaped (the backslash first), other control
# characters as \u00XX, the rest as itself.
_ESCAPES = (("\\", "\\\\"), ('"', '\\"'), ("/", "\\/"), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"),
            ("\b", "\\b"), ("\f", "\\f"))
_ODD_TEXT = re.compile(r"[\x00-\x07\x0b\x0e-\x1f]")


def _json_lines_of_text(names: list[str], columns: list[pa.Array]) -> np.ndarray:
    """`_json_lines` of text columns, set-wise: a third of a Shopee csv export's parse went to pandas
    writing JSON. Rows with another control character are written by `_json_lines` (they are rare)."""
    size = len(columns[0])
    # all columns as one array, so each escape is one call whatever the number of columns
    values = pa.concat_arrays([column.fill_null("None") for column in columns])   # as `str(None)`
    odd = pc.match_substring_regex(values, _ODD_TEXT.pattern).to_numpy(zero_copy_only=False)
    odd = odd.reshape(len(columns), size).any(axis=0)
    for old, new in _ESCAPES:
        values = pc.replace_substring(values, old, new)
    pieces = []
    for number, name in enumerate(names):
        for old, new in _ESCAPES:
            name = name.replace(old, new)
        pieces += [("{" if number == 0 else ",") + f'"{name}":"', values.slice(number * size, size), '"']
    lines = pc.binary_join_element_wise(*pieces, "}", "").to_numpy(zero_copy_only=False)
    if odd.any():
        rows = np.flatnonzero(odd)
        lines[rows] = _json_lines(names, [as_objects(column.take(pa.array(rows))) for column in columns])
    return lines


_CODE_LIKE = re.compile(r"'?\s*\d{2}\s*\.?\s*\d{2}\s*")


def region_of_name_or_code(reference) -> ColumnParser:
    """One region column that holds a name (`Kab. Boyolali`) or a BPS code (`3309`, `33.09`), as
    staff fill a form; empty is no region (null), not an error."""
    from ingest.values import clean_text

    def parse(value):
        text = clean_text(value) if not isinstance(value, (int, float)) else str(int(value))
        if text is None:
            return None
        if _CODE_LIKE.fullmatch(text):
            return reference.region_code(text.lstrip("'"), None)
        return reference.region_code(None, text)

    return ColumnParser(parse, pa.string())


def optional_sector(reference) -> ColumnParser:
    """A sector label as the survey has it; empty is no sector (null), an unknown label an error."""
    from ingest.values import clean_text

    return ColumnParser(lambda label: None if clean_text(label) is None else reference.sector_code(label),
                        pa.string())
