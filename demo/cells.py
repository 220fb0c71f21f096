"""Cells of the demo's files, built column-wise: Arrow string arrays, digits, dates and times.

No loop over rows: numbers are cast, fixed-width text is assembled from digit matrices, and a
file's bytes are its joined cells (see `demo.files`)."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

WIB = 7 * 3600                   # Asia/Jakarta, UTC+7, no daylight saving
DAY = 86400


# ================================================================ vectorised string building
# Cells are Arrow large_string arrays; parts may mix arrays and str literals (broadcast).

_LS = pa.large_string()
_EMPTY = pa.scalar("", _LS)


def _lit(text: str) -> pa.Scalar:
    return pa.scalar(text, _LS)


def _arrow(part):
    """str -> a literal; an Arrow array or scalar as it is; a list or object array of str -> an array."""
    if isinstance(part, str):
        return _lit(part)
    if isinstance(part, (pa.Array, pa.Scalar)):
        return part
    return pa.array(part, _LS)


def _np(values: pa.Array) -> np.ndarray:
    return values.to_numpy(zero_copy_only=False)


def _digits(values, width: int) -> np.ndarray:
    """Non-negative ints -> (n, width) matrix of ASCII digits, zero-padded."""
    v = np.asarray(values, dtype=np.int64)
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (v[:, None] // powers % 10 + 48).astype(np.uint8)


def _fixed(matrix: np.ndarray) -> pa.Array:
    """An (n, width) matrix of ASCII bytes -> n strings of that width, without copying."""
    matrix = np.ascontiguousarray(matrix, dtype=np.uint8)
    n, width = matrix.shape
    offsets = np.arange(n + 1, dtype=np.int64) * width
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(matrix))


def _join_chars(parts: list, n: int) -> pa.Array:
    """Concatenate digit matrices and literal strings column-wise -> fixed-width strings."""
    mats = []
    for part in parts:
        if isinstance(part, str):
            raw = np.frombuffer(part.encode("ascii"), dtype=np.uint8)
            mats.append(np.broadcast_to(raw, (n, len(raw))))
        else:
            mats.append(part)
    return _fixed(np.hstack(mats) if mats else np.zeros((n, 0), np.uint8))


def _cat(*parts) -> pa.Array:
    """Element-wise concatenation of arrays and literals."""
    return pc.binary_join_element_wise(*(_arrow(p) for p in parts), _EMPTY)


def _str(values) -> pa.Array:
    """Ints -> their plain decimal text."""
    return pc.cast(pa.array(np.asarray(values, dtype=np.int64)), _LS)


def _pick(vocabulary, index) -> pa.Array:
    vocab = pa.array(list(vocabulary), _LS)
    return vocab.take(pa.array(np.asarray(index) % len(vocab)))


def _where(cond, a, b) -> pa.Array:
    return pc.if_else(pa.array(np.asarray(cond, dtype=bool)), _arrow(a), _arrow(b))


def _select(conds: list, choices: list, default) -> pa.Array:
    """Like np.select: the first choice whose condition holds, else the default."""
    out = _arrow(default)
    for cond, choice in reversed(list(zip(conds, choices))):
        out = _where(cond, choice, out)
    return out


def _take(values: pa.Array, index) -> pa.Array:
    """Cells by position (ints) or by a boolean mask."""
    index = np.asarray(index)
    return values.filter(pa.array(index)) if index.dtype == bool else values.take(pa.array(index))


def _replace(values: pa.Array, positions, new_values) -> pa.Array:
    """`values` with the cells at `positions` replaced by `new_values`."""
    positions = np.asarray(positions, dtype=np.int64)
    if not len(positions):
        return values
    index = np.arange(len(values), dtype=np.int64)
    index[positions] = len(values) + np.arange(len(positions))
    return pa.concat_arrays([values, _arrow(new_values)]).take(pa.array(index))


def _buffer_bytes(values: pa.Array) -> bytes:
    """All cells of a string array, concatenated: the slice of its data buffer they occupy."""
    if len(values) == 0:
        return b""
    _, offsets, data = values.buffers()
    bounds = np.frombuffer(offsets, dtype=np.int64, count=len(values) + 1, offset=8 * values.offset)
    return data[int(bounds[0]):int(bounds[-1])].to_pybytes()


def _grouped(values, sep: str = ".") -> pa.Array:
    """Ints with thousands separators: 15000000 -> '15.000.000' (or '15,000,000')."""
    v = np.asarray(values, dtype=np.int64)
    n = len(v)
    groups = max(1, math.ceil(len(str(int(np.abs(v).max()))) / 3)) if n else 1
    digits = _digits(np.abs(v), 3 * groups).reshape(n, groups, 3)
    seps = np.full((n, groups, 1), ord(sep), dtype=np.uint8)
    matrix = np.concatenate([seps, digits], axis=2).reshape(n, 4 * groups)[:, 1:]
    text = pc.utf8_ltrim(_fixed(matrix), "0" + sep)
    text = pc.if_else(pc.equal(text, _EMPTY), _lit("0"), text)
    return _where(v < 0, _cat("-", text), text) if (v < 0).any() else text


def _contains_any(values: pa.Array, chars: str) -> bool:
    """Whether any cell may hold one of `chars` (ASCII): one pass over the data buffer, no per-cell work."""
    if len(values) == 0:
        return False
    lookup = np.zeros(256, bool)
    lookup[[ord(c) for c in chars]] = True
    return bool(lookup[np.frombuffer(values.buffers()[2], dtype=np.uint8)].any())


_ALNUM = np.frombuffer(b"0123456789ABCDEFGHJKLMNPQRSTUVWXYZ", dtype=np.uint8)
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def _random_chars(rng, n: int, width: int, alphabet=_ALNUM) -> np.ndarray:
    return alphabet[rng.integers(0, len(alphabet), (n, width))]


def _uuid_text(raw: np.ndarray) -> pa.Array:
    """(n, 16) random bytes -> version-4 UUID strings."""
    raw = raw.copy()
    n = len(raw)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    nibbles = np.empty((n, 32), dtype=np.uint8)
    nibbles[:, 0::2], nibbles[:, 1::2] = raw >> 4, raw & 15
    h = _HEX[nibbles]
    return _join_chars([h[:, :8], "-", h[:, 8:12], "-", h[:, 12:16], "-", h[:, 16:20], "-", h[:, 20:]], n)


def _uuid4(rng, n: int) -> pa.Array:
    return _uuid_text(rng.integers(0, 256, (n, 16), dtype=np.uint8))


def _distinct_ints(rng, n: int, low: int, high: int) -> np.ndarray:
    """n distinct random ints in [low, high), in random order."""
    stride = (high - low) // max(n, 1)
    assert stride >= 1, "range too small"
    values = low + np.arange(n, dtype=np.int64) * stride + rng.integers(0, stride, n)
    return rng.permutation(values)


def _const(text: str, n: int) -> pa.Array:
    return pa.repeat(_lit(text), n)


# ---------------------------------------------------------------- time

def _at(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> int:
    """Epoch seconds of a WIB wall-clock time."""
    return int(np.datetime64(f"{y:04d}-{m:02d}-{d:02d}T{hh:02d}:{mm:02d}:{ss:02d}", "s").astype(np.int64)) - WIB


def _day(y: int, m: int, d: int) -> int:
    """Days since the epoch of a calendar date."""
    return int(np.datetime64(f"{y:04d}-{m:02d}-{d:02d}", "D").astype(np.int64))


def _month_index(days) -> np.ndarray:
    """Months since 1970-01 of days since the epoch."""
    return np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def _month_start(month_index: int) -> int:
    return int(np.datetime64(int(month_index), "M").astype("datetime64[D]").astype(np.int64))


def _ymd(day: int) -> str:
    return str(np.datetime64(int(day), "D")).replace("-", "")


def _fmt_time(secs, fmt: str, millis=None) -> pa.Array:
    """strftime for arrays of epoch seconds (already shifted to the wanted zone).

    Tokens: %Y %y %m %d %H %M %S and %f (3-digit milliseconds from `millis`)."""
    secs = np.asarray(secs, dtype=np.int64)
    n = len(secs)
    days = np.floor_divide(secs, DAY)
    d64 = days.astype("datetime64[D]")
    month_start = d64.astype("datetime64[M]")
    fields = {"Y": (d64.astype("datetime64[Y]").astype(np.int64) + 1970, 4),
              "m": (month_start.astype(np.int64) % 12 + 1, 2),
              "d": ((d64 - month_start.astype("datetime64[D]")).astype(np.int64) + 1, 2)}
    sod = secs - days * DAY
    fields |= {"H": (sod // 3600, 2), "M": (sod // 60 % 60, 2), "S": (sod % 60, 2)}
    fields["y"] = (fields["Y"][0] % 100, 2)
    fields["f"] = (np.zeros(n, np.int64) if millis is None else millis, 3)
    parts, literal, i = [], "", 0
    while i < len(fmt):
        if fmt[i] == "%" and i + 1 < len(fmt) and fmt[i + 1] in fields:
            if literal:
                parts.append(literal)
                literal = ""
            values, width = fields[fmt[i + 1]]
            parts.append(_digits(values, width))
            i += 2
        else:
            literal += fmt[i]
            i += 1
    if literal:
        parts.append(literal)
    return _join_chars(parts, n)


def _sample_days(rng, lo, hi, weights: np.ndarray) -> np.ndarray:
    """A day index in [lo, hi) per entity, following daily `weights`."""
    cumulative = np.concatenate([[0.0], np.cumsum(weights)])
    lo, hi = np.asarray(lo), np.asarray(hi)
    target = cumulative[lo] + rng.random(len(lo)) * (cumulative[hi] - cumulative[lo])
    return np.clip(np.searchsorted(cumulative, target, side="right") - 1, lo, hi - 1)


def _daily_weights(first_day: int, n_days: int, boosts: list[tuple[int, int, float]], weekend: float) -> np.ndarray:
    days = np.arange(first_day, first_day + n_days)
    weights = np.ones(n_days)
    weekday = (days + 3) % 7                     # 1970-01-01 was a Thursday: 0 = Monday
    weights[weekday >= 5] *= weekend
    for lo, hi, factor in boosts:
        weights[(days >= lo) & (days <= hi)] *= factor
    return weights


def _round_nice(values, rng, p_three: float = 0.3) -> np.ndarray:
    """Round to two (sometimes three) significant digits, as people state turnover."""
    v = np.maximum(np.asarray(values, dtype=float), 1000.0)
    digits = np.where(rng.random(len(v)) < p_three, 3, 2)
    unit = 10.0 ** np.maximum(np.floor(np.log10(v)) - digits + 1, 3)
    return (np.round(v / unit) * unit).astype(np.int64)


def _excel_serial(local_secs) -> pa.Array:
    """Epoch seconds (already shifted to local time) -> Excel date-time serial numbers as text."""
    serial = np.asarray(local_secs, dtype=np.int64) / DAY + 25569.0
    return pc.cast(pa.array(serial), _LS)
