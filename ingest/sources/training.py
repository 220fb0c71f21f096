"""Registration and attendance of trainings, bimtek and workshops: Google Forms exports, csv or xlsx.

Forms writes `Timestamp` as `2021/08/10 9:03:22 AM GMT+7` in its csv download; the response
sheet saved as xlsx has a date cell (WIB). Several activities may share one file. A question
added mid-way becomes a column whose header carries the question text, sometimes with a trailing
space: columns are matched by trimmed, case-insensitive name, and the unknown ones are kept as
JSON (they may hold personal answers, so raw only). A person registered twice is no error: the
marts count them once, and `Hadir` in any of their rows as attended.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pyarrow as pa
import pyarrow.compute as pc

from ingest.reference import load_reference
from ingest.rows import ParseResult, RowBuilder, resolve_columns
from ingest.sources.common import (choice, extra_columns_json, identifiers, optional_sector, read_cells,
                                   region_of_name_or_code, wib_dates)
from ingest.values import CellError, check_year, clean_text, parse_timestamp_utc
from ingest.vectorised import TEXT, ColumnParser

REQUIRED = ["Timestamp", "Kode Kegiatan", "Nama Usaha"]
OPTIONAL = ["Nama Lengkap", "NIK", "Nomor WhatsApp", "NIB (jika ada)", "Kabupaten/Kota", "Bidang Usaha", "Kehadiran"]
ATTENDANCE = {"hadir": "Hadir", "tidak hadir": "Tidak Hadir"}
_FORMS_TIME = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2}) (\d{1,2}):(\d{2}):(\d{2}) ([AP]M)"
                         r" GMT([+-]\d{1,2})(?::?(\d{2}))?", re.IGNORECASE)


def parse_forms_timestamp(value) -> datetime | None:
    """Google Forms' `2021/08/10 9:03:22 AM GMT+7` -> naive UTC; else as any timestamp cell (WIB)."""
    text = clean_text(value) if isinstance(value, str) else None
    match = _FORMS_TIME.fullmatch(text) if text else None
    if match is None:
        return parse_timestamp_utc(value)
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    if not 1 <= hour <= 12:
        raise CellError("invalid_date", rule="a 12-hour clock hour is 1-12")
    hour = hour % 12 + (12 if match.group(7).upper() == "PM" else 0)
    offset_hours, offset_minutes = int(match.group(8)), int(match.group(9) or 0)
    offset = timedelta(hours=offset_hours, minutes=offset_minutes if offset_hours >= 0 else -offset_minutes)
    try:
        local = datetime(year, month, day, hour, minute, second, tzinfo=timezone(offset))
    except ValueError as exc:
        raise CellError("invalid_date", rule="not a calendar date and time") from exc
    return check_year(local.astimezone(timezone.utc).replace(tzinfo=None), value)


FORMS_TIMESTAMP = ColumnParser(parse_forms_timestamp, pa.timestamp("us"))


def parse(data: bytes, landing_path: str) -> ParseResult:
    table = read_cells(data, landing_path)
    found = resolve_columns(table, REQUIRED, OPTIONAL)
    reference = load_reference()
    rows = RowBuilder(table, found)
    rows.prepare(TEXT, "Kode Kegiatan", "Nama Usaha", "Nama Lengkap", "Nomor WhatsApp")

    def activity(value):
        text = clean_text(value)
        if text is not None and text not in reference.activity_ids:   # never quoted: it may be anything
            raise CellError("unknown_activity", rule="not in the activities seed")
        return text

    registered = rows.convert("Timestamp", FORMS_TIMESTAMP)
    rows.require("Timestamp", registered)
    activity_id = rows.convert("Kode Kegiatan", activity)
    rows.require("Kode Kegiatan", activity_id)
    nik, nib = identifiers(rows, "NIK", "NIB (jika ada)")
    business = rows.text("Nama Usaha")
    rows.require("Nama Usaha", business)
    region = rows.convert("Kabupaten/Kota", region_of_name_or_code(reference))
    sector = rows.convert("Bidang Usaha", optional_sector(reference))
    attendance = rows.convert("Kehadiran", choice(ATTENDANCE, "invalid_attendance")).cast(pa.string())
    notes = [] if "Kehadiran" in found else ["no Kehadiran column: every row counts as registered, none as attended"]
    result = rows.result({
        "activity_id": activity_id,
        "registered_ts_utc": registered,
        "registered_date_wib": wib_dates(registered),
        "nik": nik,
        "participant_name": rows.text("Nama Lengkap"),
        "whatsapp": rows.text("Nomor WhatsApp"),
        "business_name": business,
        "nib": nib,
        "region_code": region,
        "sector_code": sector,
        "attendance": attendance,
        "attended": pc.equal(attendance, "Hadir").fill_null(False),
        "extra_columns": extra_columns_json(table, set(found.values())),
    })
    result.notes.extend(notes)
    return result
