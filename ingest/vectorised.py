"""Column parsers: the cell parsers of `ingest.values`, applied to a whole column at once.

Parsing cell by cell in Python costs about a microsecond a value: minutes for the tens of
millions of orders of a province. A `ColumnParser` pairs a cell parser (the rules) with a
fast path that decides, set-wise in Arrow and NumPy, the cells of the plain, common shapes
(`15000`, `Rp 15.000.000`, `1,250.50`, `2021-09-05T03:00:00Z`, `05/03/2021`, ...). Every cell
the fast path leaves undecided (odd shapes, bad values, typed xlsx/JSON cells) goes to the
cell parser, once per distinct value. A fast path never rejects: reason codes always come
from the cell parser, and tests/test_fast_paths.py checks every fast path against its cell
parser value by value.

Two things keep the fast paths cheap on the columns of an export:
- most columns repeat their values (statuses, dates, amounts), so a column of strings is
  parsed once per distinct value, fast path included, and the values taken back to the rows;
- the values of a column have few shapes: written with '9' for every digit, a GoBiz time is
  `9999-99-99T99:99:99.999Z`. The regexes run on the distinct shapes only, and each shape says
  where its fields are, so a shape's cells are read with a few NumPy operations on their bytes.
Money lives in `ingest.vectorised_money`, dates and times in `ingest.vectorised_times`.
DuckDB SQL was measured for this typing (the same rules as CASE expressions, one query per
file): 5 ms against Arrow's 1 ms for the amounts of one GoBiz report, and 3x slower on 300,000
amounts; a query costs about 1 ms before it reads a row. So the typing stays here.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ingest.values import EMPTY_MARKERS, CellError, clean_text, parse_count, parse_nib, parse_nik

# Exactly the characters str.strip() removes, so Arrow's trim agrees with the cell parsers.
PY_SPACE = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())
_MARKERS = pa.array(sorted(EMPTY_MARKERS))
_NO_ROWS = np.zeros(0, dtype=np.int64)

FastPath = Callable[[pa.Array], tuple[pa.Array, np.ndarray]]


@dataclass(frozen=True)
class ColumnParser:
    """A cell parser, the Arrow type of its values, and an optional fast path.

    `fast(strings)` gets the column's `str` cells as an Arrow string array and returns their
    values (of `type`) and a mask of the cells it decided; the value of an undecided cell
    is ignored.
    """

    cell: Callable[[object], object]
    type: pa.DataType | None = None     # None: inferred from the cell parser's values
    fast: FastPath | None = None
    deduplicate: bool = True            # parse a column that repeats its values once per value

    def __call__(self, value):
        return self.cell(value)


def parse_column(parser: ColumnParser | Callable, cells: pa.Array | np.ndarray) -> tuple[pa.Array, np.ndarray, list]:
    """Parse every cell (an Arrow string array, or an object array of any cell values):
    (values, positions of the failing cells, their CellErrors).

    A column of Arrow strings that repeats its values (statuses, dates, amounts: most columns
    of an export) is parsed once per distinct value, fast path included, and the values are
    then taken back to the rows."""
    if not isinstance(parser, ColumnParser):
        parser = ColumnParser(parser)
    deduplicate = parser.fast is not None and parser.deduplicate and isinstance(cells, pa.Array)
    if deduplicate and len(cells) >= DEDUPLICATE_FROM:
        encoded = cells.dictionary_encode(null_encoding="encode")
        if len(encoded.dictionary) <= DISTINCT_SHARE * len(cells):
            values, bad, errors = _parse_cells(parser, encoded.dictionary)
            values = values.take(encoded.indices)
            if not len(bad):
                return values, _NO_ROWS, []
            codes = encoded.indices.to_numpy(zero_copy_only=False)
            rows = np.flatnonzero(np.isin(codes, bad))
            error_of = dict(zip(bad.tolist(), errors))
            return values, rows, [error_of[code] for code in codes[rows].tolist()]
    return _parse_cells(parser, cells)


DEDUPLICATE_FROM = 64  # cells; a shorter column is parsed as it is
DISTINCT_SHARE = 0.7   # above this share of distinct values, deduplicating costs more than it saves


def _parse_cells(parser: ColumnParser, cells: pa.Array | np.ndarray) -> tuple[pa.Array, np.ndarray, list]:
    """The fast path where it decides, the cell parser (once per distinct value) elsewhere."""
    size = len(cells)
    fast_rows, fast_values = _NO_ROWS, None
    if parser.fast is not None and size:
        rows, strings = (np.arange(size), cells) if isinstance(cells, pa.Array) else _string_cells(cells)
        if len(rows):
            values, decided = parser.fast(strings)
            fast_rows = rows[decided]
            fast_values = values if decided.all() else values.filter(pa.array(decided))
    if fast_values is not None and len(fast_rows) == size:
        return fast_values, _NO_ROWS, []
    rest = np.ones(size, dtype=bool)
    rest[fast_rows] = False
    rest_rows = np.flatnonzero(rest)
    values, bad, errors = _parse_distinct(parser, cells.take(pa.array(rest_rows)) if isinstance(cells, pa.Array)
                                          else cells[rest_rows])
    if not len(fast_rows):
        return values, bad, errors
    order = np.empty(size, dtype=np.int64)
    order[fast_rows] = np.arange(len(fast_rows))
    order[rest_rows] = np.arange(len(fast_rows), size)
    return pa.concat_arrays([fast_values, values]).take(pa.array(order)), rest_rows[bad], errors


def _parse_distinct(parser: ColumnParser, cells: pa.Array | np.ndarray) -> tuple[pa.Array, np.ndarray, list]:
    """The cell parser, called once per distinct value."""
    if isinstance(cells, pa.Array):
        encoded = cells.dictionary_encode(null_encoding="encode")
        codes, uniques = encoded.indices.to_numpy(zero_copy_only=False), encoded.dictionary.to_pylist()
    else:
        codes, uniques = _factorize(cells)
    parsed, failed = [], {}
    for index, value in enumerate(uniques):
        try:
            parsed.append(parser.cell(value))
        except CellError as error:
            parsed.append(None)
            failed[index] = error
    values = pa.array(parsed, type=parser.type)
    if len(uniques) != len(cells) or len(cells) == 0 or not np.array_equal(codes, np.arange(len(cells))):
        values = values.take(pa.array(codes))
    if not failed:
        return values, _NO_ROWS, []
    bad = np.flatnonzero(np.isin(codes, np.fromiter(failed, dtype=np.int64)))
    return values, bad, [failed[code] for code in codes[bad]]


def _factorize(cells: np.ndarray) -> tuple[np.ndarray, list]:
    """pd.factorize, but the values pandas takes for one "missing" value stay apart: None is an
    empty cell, while a NaN (float or Decimal, from xlsx or JSON) is a number a parser rejects."""
    codes, uniques = pd.factorize(cells, use_na_sentinel=False)
    missing = np.flatnonzero(pd.isna(uniques))
    if not len(missing):
        return codes, list(uniques)
    uniques, rows = list(uniques), np.flatnonzero(codes == missing[0])
    uniques[missing[0]] = None                # pandas shows the group as NaN, though it holds the Nones
    nan = rows[~np.equal(cells[rows], None)]
    types = np.fromiter(map(type, cells[nan]), dtype=object, count=len(nan))
    for kind in dict.fromkeys(types.tolist()):   # one code per type: any float NaN parses as another
        of_kind = nan[types == kind]
        codes[of_kind] = len(uniques)
        uniques.append(cells[of_kind[0]])
    return codes, uniques


def _string_cells(cells: np.ndarray) -> tuple[np.ndarray, pa.Array | None]:
    """Positions and Arrow array of the `str` cells (CSV columns are all `str`)."""
    if pd.api.types.infer_dtype(cells, skipna=False) == "string":
        rows = np.arange(len(cells))
    else:
        rows = np.flatnonzero(np.fromiter((type(value) is str for value in cells), dtype=bool, count=len(cells)))
        cells = cells[rows]
    try:
        return rows, pa.array(cells, type=pa.string())
    except (pa.ArrowException, UnicodeError):   # lone surrogates (from JSON escapes): cell by cell
        return _NO_ROWS, None


# ---------------------------------------------------------------- shared pieces

def _empty(strings: pa.Array) -> pa.Array:
    """`is_empty` of each string: blank, an apostrophe, or a marker such as '-' or 'null'.

    ascii_lower is exact here: no non-ASCII character lowercases to ASCII letters of a marker.
    """
    core = pc.utf8_trim(pc.utf8_trim(pc.utf8_trim(strings, PY_SPACE), "'"), PY_SPACE)
    return pc.is_in(pc.ascii_lower(core), value_set=_MARKERS)


def _mask(array: pa.Array) -> np.ndarray:
    return array.fill_null(False).to_numpy(zero_copy_only=False)


def _matches(strings: pa.Array, *patterns: str) -> np.ndarray | list[np.ndarray]:
    """Which strings match each regex (patterns whose only digit class is [0-9]).

    A column of values of one layout (timestamps, IDs) has few distinct shapes: with its ASCII
    digits written as '9', `2021-09-05T03:00:00Z` is `9999-99-99T99:99:99Z`. Such a pattern
    matches a string exactly when it matches its shape, so the regexes run on the distinct shapes
    only, and the answers are taken back to the strings."""
    if len(strings) < SHAPES_FROM:
        masks = [_mask(pc.match_substring_regex(strings, pattern)) for pattern in patterns]
    else:
        shapes = _digit_shapes(strings).dictionary_encode()
        codes = shapes.indices.fill_null(len(shapes.dictionary)).to_numpy(zero_copy_only=False)
        masks = [np.append(_mask(pc.match_substring_regex(shapes.dictionary, pattern)), False)[codes]
                 for pattern in patterns]
    return masks[0] if len(masks) == 1 else masks


SHAPES_FROM = 32   # strings; fewer are matched directly
_DIGIT_AS_NINE = bytes(range(48)) + b"9" * 10 + bytes(range(58, 256))   # a bytes.translate table


def _digit_shapes(strings: pa.Array) -> pa.Array:
    """The strings with every ASCII digit written as '9' (one pass over the bytes; same offsets)."""
    validity, offsets, data = strings.buffers()
    if data is None:
        return strings
    used = _bytes(strings)[2].sum()
    if data.size > 2 * used + 4096:   # a slice of a larger array: its own bytes only
        strings = pa.concat_arrays([strings])
        validity, offsets, data = strings.buffers()
    shaped = pa.py_buffer(data.to_pybytes().translate(_DIGIT_AS_NINE))
    return pa.Array.from_buffers(pa.string(), len(strings), [validity, offsets, shaped],
                                 null_count=strings.null_count, offset=strings.offset)


def _empty_where(strings: pa.Array, rows: np.ndarray) -> np.ndarray:
    """`_empty` of the strings of `rows` only (False elsewhere)."""
    empty = np.zeros(len(strings), dtype=bool)
    if rows.any():
        empty[rows] = _mask(_empty(strings.filter(pa.array(rows))))
    return empty


def _bytes(strings: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(UTF-8 bytes, start of each string in them, byte length of each string)."""
    offsets = np.frombuffer(strings.buffers()[1], dtype=np.int32)[strings.offset:strings.offset + len(strings) + 1]
    data = strings.buffers()[2]
    data = np.zeros(0, dtype=np.uint8) if data is None else np.frombuffer(data, dtype=np.uint8)
    return data, offsets[:-1].astype(np.int64), np.diff(offsets).astype(np.int64)


def _shape_groups(strings: pa.Array, pattern: str, layout_of: Callable[[str], object]):
    """(UTF-8 bytes, start of each string, [(rows, layout), ...]): the rows of each distinct shape
    of the strings that `pattern` matches (a regex of the shapes) and `layout_of` reads (not None)."""
    data, starts, _ = _bytes(strings)
    shapes = _digit_shapes(strings).dictionary_encode()
    candidates = np.flatnonzero(_mask(pc.match_substring_regex(shapes.dictionary, pattern)))
    if not len(candidates):
        return data, starts, []
    codes = shapes.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    one_shape = len(shapes.dictionary) == 1 and not strings.null_count
    groups = []
    for code in candidates.tolist():
        layout = layout_of(shapes.dictionary[code].as_py())
        if layout is not None:
            groups.append((np.arange(len(strings)) if one_shape else np.flatnonzero(codes == code), layout))
    return data, starts, groups

class _Cells:
    """The cells of one shape (all `width` bytes long): byte j of each, one position at a time, so
    a column of ten million never makes a matrix of ten million rows. When the cells lie back to
    back in the buffer (a column of one shape), byte j of each is a strided view, not a copy."""

    def __init__(self, data: np.ndarray, starts: np.ndarray, width: int):
        self.data, self.starts, self.width = data, starts, width
        first = int(starts[0]) if len(starts) else 0
        self.first = first if len(starts) and int(starts[-1]) - first == (len(starts) - 1) * width else None

    def __len__(self) -> int:
        return len(self.starts)

    def digit(self, position: int) -> np.ndarray:
        """The digit at `position` of each cell, as int64."""
        if self.first is None:
            byte = self.data[self.starts + position]
        else:
            start = self.first + position
            byte = self.data[start:start + len(self.starts) * self.width:self.width]
        return byte.astype(np.int64) - ord("0")

    def number(self, positions) -> np.ndarray:
        """The digits at `positions` read as one number."""
        value = np.zeros(len(self), dtype=np.int64)
        for position in positions:
            value = value * 10 + self.digit(position)
        return value


# ---------------------------------------------------------------- text

_PLAIN_EDGE = np.zeros(256, dtype=bool)   # bytes a cell may start and end with and need no cleaning:
_PLAIN_EDGE[0x21:0x7F] = True              # printable ASCII, which str.strip() keeps,
_PLAIN_EDGE[ord("'")] = False              # except the apostrophe
_LONGEST_MARKER = max(len(marker) for marker in EMPTY_MARKERS)


def _fast_text(strings: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """clean_text: strip, drop a leading apostrophe, empty markers -> null. Decides every string.

    Most cells need nothing: they start and end with a printable ASCII character other than the
    apostrophe, so str.strip() keeps them whole, and they are no empty marker. Those are kept as
    they are (a few byte lookups per cell); only the others go through the Arrow kernels."""
    data, starts, lengths = _bytes(strings)
    size = len(strings)
    blank = lengths == 0
    if strings.null_count:
        blank |= strings.is_null().to_numpy(zero_copy_only=False)
    plain = ~blank
    if len(data):
        last = len(data) - 1
        plain &= _PLAIN_EDGE[data[np.minimum(starts, last)]] & _PLAIN_EDGE[data[np.minimum(starts + lengths - 1, last)]]
    short = np.flatnonzero(plain & (lengths <= _LONGEST_MARKER))
    if len(short):   # a plain cell is empty when it is a marker, in any case
        plain[short[np.isin(_ascii_key(data, starts[short], lengths[short]), _MARKER_KEYS)]] = False
    rest = ~(plain | blank)
    values = _nulls_where(strings, blank) if blank.any() else strings
    if rest.any():
        values = pc.replace_with_mask(values, pa.array(rest), _clean_texts(strings.filter(pa.array(rest))))
    return values, np.ones(size, dtype=bool)


def _nulls_where(strings: pa.Array, null: np.ndarray) -> pa.Array:
    """The strings with nulls where `null` says: the same buffers under a new validity bitmap."""
    if strings.offset or strings.null_count:
        return pc.if_else(pa.array(null), pa.scalar(None, pa.string()), strings)
    validity = pa.array(~null).buffers()[1]
    _, offsets, data = strings.buffers()
    return pa.Array.from_buffers(pa.string(), len(strings), [validity, offsets, data], null_count=int(null.sum()))


def _ascii_key(data: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Strings of up to 7 bytes as one int64 each, ASCII letters lowercased: equal keys, equal
    lowercased strings (as long as they are ASCII)."""
    key = lengths.astype(np.int64)
    for position in range(int(lengths.max(initial=0))):
        byte = np.where(position < lengths, data[np.where(position < lengths, starts + position, 0)], 0)
        byte = np.where((byte >= 65) & (byte <= 90), byte + 32, byte).astype(np.int64)
        key |= byte << (8 * (position + 1))
    return key


_MARKER_KEYS = np.array([_ascii_key(np.frombuffer(marker.encode(), dtype=np.uint8), np.zeros(1, dtype=np.int64),
                                    np.array([len(marker)]))[0] for marker in sorted(EMPTY_MARKERS) if marker],
                        dtype=np.int64)


def _clean_texts(strings: pa.Array) -> pa.Array:
    """clean_text of every string, in Arrow kernels."""
    stripped = pc.utf8_trim(strings, PY_SPACE)
    quoted = pc.starts_with(stripped, "'")
    text = stripped
    if pc.any(quoted).as_py():
        text = pc.if_else(quoted, pc.utf8_trim(pc.utf8_slice_codeunits(stripped, 1), PY_SPACE), stripped)
    null = pc.or_(_empty(strings), pc.equal(text, ""))
    return pc.if_else(null, pa.scalar(None, pa.string()), text)


TEXT = ColumnParser(clean_text, pa.string(), _fast_text, deduplicate=False)   # its fast path costs less


def _fast_digits(count: int) -> FastPath:
    """NIK/NIB: a cleaned cell of exactly `count` ASCII digits; others go to the cell parser."""
    def fast(strings: pa.Array) -> tuple[pa.Array, np.ndarray]:
        text, _ = _fast_text(strings)
        return text, text.is_null().to_numpy(zero_copy_only=False) | _matches(text, f"^[0-9]{{{count}}}$")
    return fast


NIK = ColumnParser(parse_nik, pa.string(), _fast_digits(16))
NIB = ColumnParser(parse_nib, pa.string(), _fast_digits(13))


# ---------------------------------------------------------------- counts

def _cast_int(digits: pa.Array, rows: np.ndarray) -> np.ndarray:
    """Digit strings of `rows` as int64 (0 elsewhere)."""
    return pc.cast(pc.if_else(pa.array(rows), digits, "0"), pa.int64()).to_numpy(zero_copy_only=False)


def _fast_count(strings: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """parse_count for plain digits (up to 9: below MAX_COUNT)."""
    plain = _matches(strings, r"^[0-9]{1,9}$")
    empty = _empty_where(strings, ~plain)
    return pa.array(_cast_int(strings, plain), pa.int64(), mask=empty), plain | empty


COUNT = ColumnParser(parse_count, pa.int64(), _fast_count)


def __getattr__(name: str):
    """The money column parser lives in `ingest.vectorised_money` (imported late: it builds on this module)."""
    if name in ("MONEY", "DECIMAL", "cents_of", "decimals_from_cents"):
        from ingest import vectorised_money
        return getattr(vectorised_money, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
