"""Program participant registry kept by the SME office: csv or xlsx (first sheet)."""

from __future__ import annotations

from ingest.reference import load_reference
from ingest.rows import ParseResult, RowBuilder, resolve_columns
from ingest.sources.common import identifiers, read_cells, region_codes, require_one_of
from ingest.values import CellError, clean_text
from ingest.vectorised import TEXT
from ingest.vectorised_times import DATE

REQUIRED = ["program_id", "nama_usaha", "sektor_usaha", "platform_merchant_id", "tanggal_bergabung"]
OPTIONAL = ["nik_pemilik", "nib", "kode_kabkota", "kabupaten_kota"]


def parse(data: bytes, landing_path: str) -> ParseResult:
    table = read_cells(data, landing_path)
    found = resolve_columns(table, REQUIRED, OPTIONAL)
    require_one_of(found, ["nik_pemilik", "nib"])
    require_one_of(found, ["kode_kabkota", "kabupaten_kota"])
    reference = load_reference()
    rows = RowBuilder(table, found)
    rows.prepare(TEXT, "platform_merchant_id", "nama_usaha")

    def program(value):
        text = clean_text(value)
        if text is not None and text not in reference.program_ids:   # never quoted: a shifted
            raise CellError("unknown_program", rule="not in the programs seed")   # file puts a NIK here
        return text

    program_id = rows.convert("program_id", program)
    rows.require("program_id", program_id)
    nik, nib = identifiers(rows)
    region = region_codes(rows, reference)
    sector = rows.convert("sektor_usaha", reference.sector_code)
    merchant = rows.text("platform_merchant_id")
    rows.require("platform_merchant_id", merchant)
    joined = rows.convert("tanggal_bergabung", DATE)
    rows.require("tanggal_bergabung", joined)
    business = rows.text("nama_usaha")
    rows.require("nama_usaha", business)
    rows.reject_duplicates("the enrollment (program_id, platform_merchant_id)", program_id, merchant)
    return rows.result({
        "program_id": program_id, "nik": nik, "nib": nib, "business_name": business,
        "region_code": region, "sector_code": sector, "platform_merchant_id": merchant,
        "joined_date": joined,
    })
