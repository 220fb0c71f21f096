"""One parser per landing source. Each `parse(data, landing_path) -> ParseResult` is pure:
bytes in, typed rows and rejected rows out, `QuarantineError` for a file it cannot load."""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable

from ingest.rows import ParseResult
from ingest.sources import enrollment, gofood, lapak_ganjar, mbizmarket, shopee, survey, training, uvo


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
        Source("mbizmarket", "mbizmarket_orders", (".csv", ".xlsx"), mbizmarket.parse),
        Source("training", "training_registrations", (".csv", ".xlsx"), training.parse),
        Source("lapak_ganjar", "lapak_ganjar_promotions", (".csv", ".xlsx"), lapak_ganjar.parse),
    )
}
