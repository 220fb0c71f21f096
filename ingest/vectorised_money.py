"""The money column parser: `parse_money` over a column, with a fast path for plain amounts.

Part of `ingest.vectorised` (the cell parsers of `ingest.values` stay the rule book). The fast
path decides only plain text amounts (at most 16 whole digits and 2 decimals), which are exact
in int64 cents and can be neither negative, nor too large, nor a non-zero amount that rounds to
0.00. Every other cell goes to `parse_money`, which rejects those (`invalid_amount`,
`negative_amount`): typed cells (xlsx floats, JSON Decimals), NaN and infinities, 1e-400, 1e400.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyarrow as pa

from ingest.values import parse_money
from ingest.vectorised import ColumnParser, _Cells, _empty_where, _shape_groups

DECIMAL = pa.decimal128(18, 2)
_GROUPED = r"[0-9]{1,3}(?:\.[0-9]{3})+"     # 15.000.000 (and 169.000: three digits after one dot)
_COMMA_GROUPED = r"[0-9]{1,3}(?:,[0-9]{3})+"
_MONEY_SHAPE = (
    r"^(?:(?:[Rr][Pp]\.?|[Ii][Dd][Rr]) *)?"                          # Rp, Rp., IDR
    rf"(?:{_GROUPED}|{_COMMA_GROUPED}|[0-9]+"                         # whole rupiah
    rf"|(?:{_COMMA_GROUPED}|[0-9]+)\.[0-9]{{1,2}}"                   # 1,250,000.50
    rf"|(?:{_GROUPED}|[0-9]+),[0-9]{{1,2}})"                          # 2.273,67
    r"(?:,-|\.-)?$")                                                  # Rp 15.000,-
# The longest plain amount is about 30 characters (IDR 9.999.999.999.999.999,99,-); a longer
# shape (a cell of thousands of digits) goes to the cell parser without being cached.
_LONGEST_SHAPE = 64


def _fast_money(strings: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """parse_money for plain amounts: digits with Indonesian or English separators, an
    optional Rp/IDR prefix and ',-' suffix. Units, signs and spaces inside go to the cell parser.

    Read one shape at a time (`_shape_groups`): `Rp 99.999` says where its digits are and what
    each is worth, so the amounts of all its cells are a weighted sum of their digits."""
    data, starts, groups = _shape_groups(strings, _MONEY_SHAPE, _money_layout)
    cents = np.zeros(len(strings), dtype=np.int64)
    matched = np.zeros(len(strings), dtype=bool)
    for rows, weights in groups:
        cells = _Cells(data, starts[rows], len(weights))
        cents[rows] = sum(cells.digit(position) * int(weight) for position, weight in enumerate(weights) if weight)
        matched[rows] = True
    empty = _empty_where(strings, ~matched)
    return decimals_from_cents(cents, ~empty), matched | empty


def _money_layout(shape: str) -> np.ndarray | None:
    return None if len(shape) > _LONGEST_SHAPE else _money_weights(shape)


@lru_cache(maxsize=4096)
def _money_weights(shape: str) -> np.ndarray | None:
    """Cents per unit of each byte of an amount of this shape (0 for all but its digits); None
    when it has more than 16 whole digits (decimal(18,2) holds less than 1e16)."""
    number = shape.lstrip("RrPpIiDd. ")   # the prefix, then digits and separators
    size = len(number) - 2 if number.endswith("-") else len(number)   # without ',-'
    # Decimals: a separator 2 or 3 characters from the end; a thousands group has 3 digits.
    decimals = 2 if size >= 3 and number[size - 3] in ".," else 1 if size >= 2 and number[size - 2] in ".," else 0
    digits = [len(shape) - len(number) + i for i, char in enumerate(number) if char == "9"]
    if len(digits) - decimals > 16:
        return None
    weights = np.zeros(len(shape), dtype=np.int64)
    weights[digits[::-1]] = 10 ** (np.arange(len(digits), dtype=np.int64) + 2 - decimals)
    return weights


def decimals_from_cents(cents: np.ndarray, valid: np.ndarray) -> pa.Array:
    """decimal(18,2) from int64 cents: its 128-bit little-endian two's complement, as is."""
    words = np.empty((len(cents), 2), dtype=np.int64)
    words[:, 0] = cents
    words[:, 1] = cents >> 63
    validity = None if valid.all() else pa.array(valid).buffers()[1]
    return pa.Array.from_buffers(DECIMAL, len(cents), [validity, pa.py_buffer(words)])


def cents_of(amounts: pa.Array) -> np.ndarray:
    """int64 cents of a decimal(18,2) array (its low 64 bits; 0 where null)."""
    words = np.frombuffer(amounts.buffers()[1], dtype=np.int64)[2 * amounts.offset:][:2 * len(amounts)]
    return np.where(amounts.is_null().to_numpy(zero_copy_only=False), 0, words[0::2])


MONEY = ColumnParser(parse_money, DECIMAL, _fast_money)
