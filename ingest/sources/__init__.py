"""One parser per landing source. Each `parse(data, landing_path) -> ParseResult` is pure:
bytes in, typed rows and rejected rows out, `QuarantineError` for a file it cannot load."""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable

from ingest.rows import ParseResult
from ingest.sources import enrollment, gofood, shopee, survey, uvo


@dataclass(frozen=True)
class Source:
    name: str                       # the landing sub-folder
    table: str                      # raw.<table>
    extensions: tuple[str, ...]
    parse: Callable[[bytes, str], ParseResult]


SOURCES: dict[str, Source] = {
    source.name: source
    for source in (
        Source("survey", "survey_submissions", (".csv", ".xlsx"), survey.parse),
        Source("enrollment", "enrollments", (".csv", ".xlsx"), enrollment.parse),
        Source("gofood", "gofood_transactions", (".csv",), gofood.parse),
        Source("shopee", "shopee_order_lines", (".csv", ".xlsx"), shopee.parse),
        Source("uvo", "uvo_transactions", (".csv", ".json"), uvo.parse),
    )
}
