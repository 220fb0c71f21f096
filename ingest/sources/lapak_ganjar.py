"""The Lapak Ganjar promotion log kept by staff: csv or xlsx, one row per UMKM promoted on a day.

The same UMKM twice on one day is one promotion: both rows load, and the marts count the
(day, UMKM) once. A date outside 2020-2030 is a typing error (the storefront began in 2020).
"""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pyarrow.compute as pc

from ingest.reference import load_reference
from ingest.rows import ParseResult, RowBuilder, resolve_columns
from ingest.sources.common import identifiers, optional_sector, read_cells, region_of_name_or_code, require_one_of
from ingest.vectorised import TEXT
from ingest.vectorised_times import DATE

REQUIRED = ["Tanggal Tayang", "Nama Usaha"]
OPTIONAL = ["NIK Pemilik", "NIB", "Kabupaten/Kota", "Bidang Usaha", "Produk", "Tautan Unggahan"]
FIRST_DAY, LAST_DAY = date(2020, 1, 1), date(2030, 12, 31)


def parse(data: bytes, landing_path: str) -> ParseResult:
    table = read_cells(data, landing_path)
    found = resolve_columns(table, REQUIRED, OPTIONAL)
    require_one_of(found, ["NIK Pemilik", "NIB"])
    reference = load_reference()
    rows = RowBuilder(table, found)
    rows.prepare(TEXT, "Nama Usaha", "Produk", "Tautan Unggahan")
    shown = rows.convert("Tanggal Tayang", DATE)
    rows.require("Tanggal Tayang", shown)
    outside = pc.or_(pc.less(shown, pa.scalar(FIRST_DAY)), pc.greater(shown, pa.scalar(LAST_DAY)))
    rows.reject(outside.fill_null(False).to_numpy(zero_copy_only=False), "implausible_date",
                "column 'Tanggal Tayang': outside 2020-2030")
    nik, nib = identifiers(rows, "NIK Pemilik", "NIB")
    business = rows.text("Nama Usaha")
    rows.require("Nama Usaha", business)
    return rows.result({
        "shown_date": shown,
        "nik": nik,
        "nib": nib,
        "business_name": business,
        "region_code": rows.convert("Kabupaten/Kota", region_of_name_or_code(reference)),
        "sector_code": rows.convert("Bidang Usaha", optional_sector(reference)),
        "product": rows.text("Produk"),
        "post_url": rows.text("Tautan Unggahan"),
    })
