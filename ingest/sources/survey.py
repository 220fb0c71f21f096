"""KoboToolbox export of "Pendataan UMKM Terdampak Covid-19": `;` CSV, every field quoted, or xlsx.

Select-multiple questions come as a space-separated summary column plus one
`question/choice` column of 1/0 per choice; the summary is used, the choice columns fill in
when a layout lacks it.
"""

from __future__ import annotations

import re
from datetime import date, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingest.readers import Table
from ingest.reference import load_reference
from ingest.rows import ParseResult, RowBuilder, resolve_columns
from ingest.sources.common import (choice, identifiers, read_cells, region_codes, require_one_of,
                                   wib_dates)
from ingest.values import CellError, clean_text
from ingest.vectorised import COUNT, TEXT
from ingest.vectorised_money import MONEY
from ingest.vectorised_times import TIMESTAMP_UTC, TIMESTAMP_WIB

REQUIRED = ["periode_survei", "nama_usaha", "sektor_usaha", "terdampak_covid", "_submission_time"]
OPTIONAL = ["start", "end", "nik_pemilik", "nama_pemilik", "no_hp", "nib", "kode_kabkota",
            "kabupaten_kota", "skala_usaha", "kendala_utama", "kendala", "omzet_sebelum",
            "omzet_sesudah", "tenaga_kerja_sebelum", "tenaga_kerja_sesudah", "platform_digital",
            "_id", "_uuid", "_validation_status"]
YES_NO = {"ya": True, "tidak": False, "yes": True, "no": False, "1": True, "0": False}
SCALES = {"mikro": "mikro", "kecil": "kecil", "menengah": "menengah"}
TICKED = frozenset({"1", "1.0", "True", "true"})   # a ticked choice column's cell, as `str` writes it


def _period(value) -> str | None:
    """Survey wave as YYYY-MM (an xlsx may have turned it into a date cell)."""
    if isinstance(value, (date, datetime)):
        return value.strftime("%Y-%m")
    text = clean_text(value)
    if text is None:
        return None
    match = re.fullmatch(r"(\d{4})-(\d{1,2})(-\d{1,2})?", text)
    if not match or not 1 <= int(match[2]) <= 12:
        raise CellError("invalid_period", rule="a survey wave is YYYY-MM")
    return f"{match[1]}-{int(match[2]):02d}"


def parse(data: bytes, landing_path: str) -> ParseResult:
    table = read_cells(data, landing_path)
    found = resolve_columns(table, REQUIRED, OPTIONAL)
    require_one_of(found, ["nik_pemilik", "nib"])
    require_one_of(found, ["kode_kabkota", "kabupaten_kota"])
    reference = load_reference()
    rows = RowBuilder(table, found)
    rows.prepare(TEXT, "_id", "_uuid", "nama_pemilik", "no_hp", "nama_usaha", "_validation_status")
    rows.prepare(MONEY, "omzet_sebelum", "omzet_sesudah")
    rows.prepare(COUNT, "tenaga_kerja_sebelum", "tenaga_kerja_sesudah")
    rows.prepare(TIMESTAMP_WIB, "start", "end")

    period = rows.convert("periode_survei", _period)
    rows.require("periode_survei", period)
    nik, nib = identifiers(rows)
    region = region_codes(rows, reference)
    sector = rows.convert("sektor_usaha", reference.sector_code)
    impacted = rows.convert("terdampak_covid", choice(YES_NO))
    rows.require("terdampak_covid", impacted)
    # Kobo writes _submission_time in UTC without a zone; start/end carry their offset.
    submitted = rows.convert("_submission_time", TIMESTAMP_UTC)
    rows.require("_submission_time", submitted)
    business = rows.text("nama_usaha")
    rows.require("nama_usaha", business)
    columns = {
        "submission_id": rows.text("_id"),
        "submission_uuid": rows.text("_uuid"),
        "survey_period": period,
        "started_at_utc": rows.convert("start", TIMESTAMP_WIB),
        "ended_at_utc": rows.convert("end", TIMESTAMP_WIB),
        "submitted_at_utc": submitted,
        "submitted_date_wib": wib_dates(submitted),
        "nik": nik,
        "owner_name": rows.text("nama_pemilik"),
        "phone": rows.text("no_hp"),
        "nib": nib,
        "business_name": business,
        "region_code": region,
        "sector_code": sector,
        "scale": rows.convert("skala_usaha", choice(SCALES)),
        "is_impacted": impacted,
        "primary_constraint_code": rows.convert("kendala_utama", reference.constraint_code),
        "constraint_codes": rows.convert("kendala", _multi(reference.constraint_code),
                                         cells=_select_multiple(table, found, "kendala")),
        "turnover_before_idr": rows.convert("omzet_sebelum", MONEY),
        "turnover_after_idr": rows.convert("omzet_sesudah", MONEY),
        "workers_before": rows.convert("tenaga_kerja_sebelum", COUNT),
        "workers_after": rows.convert("tenaga_kerja_sesudah", COUNT),
        "digital_platforms": rows.convert("platform_digital", _multi(lambda v: v.lower()),
                                          cells=_select_multiple(table, found, "platform_digital")),
        "validation_status": rows.text("_validation_status"),
    }
    # The same submission twice in one file (overlapping exports pasted together) counts once.
    keys = [(name, columns[column]) for name, column in (("_id", "submission_id"), ("_uuid", "submission_uuid"))
            if name in found]
    if keys:
        rows.reject_duplicates(" + ".join(name for name, _ in keys) + " (the Kobo submission)",
                               *(values for _, values in keys))
    return rows.result(columns)


def _multi(to_code):
    """Space-separated choice names -> space-separated codes (sorted, unique)."""
    def parse(value):
        text = clean_text(value)
        if text is None:
            return None
        return " ".join(sorted({to_code(part) for part in text.split()}))
    return parse


def _select_multiple(table: Table, found: dict, question: str) -> pa.Array | np.ndarray:
    """The summary column, or the names of the `question/choice` columns that hold 1, built
    column-wise in Arrow (no Python object a row: a Kobo export can hold millions of rows)."""
    if question in found:
        return table.columns[found[question]]
    prefix = question + "/"
    choices = [c for c in table.columns if c.startswith(prefix)]
    if not choices:
        return np.full(len(table), None, dtype=object)
    picked = [pc.if_else(_ticked(table.columns[c]), c[len(prefix):] + " ", "") for c in choices]
    names = pc.utf8_rtrim(pc.binary_join_element_wise(*picked, ""), " ")
    return pc.if_else(pc.equal(names, ""), pa.scalar(None, pa.string()), names)


def _ticked(cells: pa.Array | np.ndarray) -> pa.Array:
    """Cells that say 1 (as text, or an xlsx number or boolean: compared as `str` writes them)."""
    if isinstance(cells, pa.Array):
        return pc.is_in(cells, value_set=pa.array(sorted(TICKED))).fill_null(False)
    return pa.array(np.fromiter((str(cell) in TICKED for cell in cells), dtype=bool, count=len(cells)))
