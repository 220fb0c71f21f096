"""Helpers the source parsers share."""

from __future__ import annotations

from pathlib import PurePosixPath

import numpy as np
import pandas as pd

from ingest.readers import QuarantineError, Table, read_csv_cells, read_json_records, read_xlsx_cells
from ingest.rows import RowBuilder
from ingest.values import parse_nib, parse_nik


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


def wib_dates(utc_naive: np.ndarray) -> np.ndarray:
    """Local WIB calendar dates (UTC+7) of naive UTC datetimes; None stays None."""
    shifted = pd.to_datetime(pd.Series(utc_naive, dtype=object)) + pd.Timedelta(hours=7)
    dates = shifted.dt.date.to_numpy(dtype=object)
    dates[shifted.isna().to_numpy()] = None
    return dates


def choice(allowed: dict[str, object], code: str = "invalid_choice"):
    """A parser for a closed set of answers (case-insensitive); empty -> None."""
    from ingest.values import CellError, clean_text

    def parse(value):
        text = clean_text(value)
        if text is None:
            return None
        key = text.lower()
        if key not in allowed:
            raise CellError(code, text)
        return allowed[key]

    return parse


def require_one_of(found: dict, names: list[str]) -> None:
    if not any(name in found for name in names):
        raise QuarantineError("missing required column(s): one of " + " / ".join(names))


def identifiers(rows: RowBuilder):
    """NIK and NIB, each validated; a row needs at least one (the UMKM key comes from it)."""
    nik = rows.convert("nik_pemilik", parse_nik)
    nib = rows.convert("nib", parse_nib)
    rows.reject(pd.isna(nik) & pd.isna(nib), "missing_identifier",
                "neither nik_pemilik nor nib is filled")
    return nik, nib


def region_codes(rows: RowBuilder, reference):
    """kode_kabkota wins; else the name (one converter call per distinct pair)."""
    pairs = pd.Series(list(zip(rows.cells("kode_kabkota"), rows.cells("kabupaten_kota"))),
                      dtype=object).to_numpy()
    return rows.convert("kode_kabkota/kabupaten_kota", lambda pair: reference.region_code(*pair),
                        cells=pairs)
