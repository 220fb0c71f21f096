"""Build small export files in memory, the way the real tools write them."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook


def csv_bytes(rows: list[list], delimiter: str = ",", quote_all: bool = False, bom: bool = False,
              encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n",
                        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    writer.writerows(rows)
    return ("\ufeff" if bom else "").encode(encoding) + buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list], sheet: str = "Sheet1", number_formats: dict[int, str] | None = None) -> bytes:
    """Cells keep their Python type: numbers stay numbers, datetimes become date cells."""
    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    for row in rows:
        worksheet.append(row)
    for column, fmt in (number_formats or {}).items():
        for cells in worksheet.iter_rows(min_row=2, min_col=column, max_col=column):
            cells[0].number_format = fmt
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
