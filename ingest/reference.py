"""Reference data the parsers need: regions, sector and constraint labels, programs, FX, activities.

Read from the dbt seeds (`dbt_project/seeds/`), the one copy of the reference data, so the
parsers and the marts always agree.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ingest.values import CellError, clean_text

SEEDS_DIR = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds"
_PREFIXES = (("kabupaten", "Kabupaten"), ("kab.", "Kabupaten"), ("kab", "Kabupaten"),
             ("kota", "Kota"))


def _read_seed(name: str) -> list[dict[str, str]]:
    with open(SEEDS_DIR / f"{name}.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _split_region_name(name: str) -> tuple[str | None, str]:
    """'Kab. Boyolali' -> ('Kabupaten', 'boyolali'); 'Semarang' -> (None, 'semarang')."""
    text = re.sub(r"\s+", " ", name.strip().lower())
    for prefix, region_type in _PREFIXES:
        if text.startswith(prefix + " ") or (prefix.endswith(".") and text.startswith(prefix)):
            return region_type, text[len(prefix):].strip()
    return None, text


@dataclass(frozen=True)
class Reference:
    region_codes: frozenset[str]
    regions_by_name: dict[tuple[str, str], str]     # (type, base name) -> code
    regions_by_base: dict[str, tuple[str, ...]]     # base name -> codes
    sector_codes: dict[str, str]                    # lowercased survey label -> sector_code
    constraint_codes: dict[str, str]                # lowercased survey label -> constraint_code
    program_ids: frozenset[str]
    fx_months: frozenset[tuple[str, str]]           # (YYYY-MM, currency)
    activity_ids: frozenset[str] = frozenset()       # trainings, bimtek, workshops, promotion

    def region_code(self, code, name) -> str:
        """Resolve a region: the BPS code wins; else the official name (data contract 2)."""
        code_text = clean_text(code)
        if code_text is not None:
            digits = code_text.replace(".", "").replace(" ", "")
            if digits not in self.region_codes:
                raise CellError("unknown_region", rule="kode_kabkota is not a BPS code of Jawa Tengah")
            return digits
        name_text = clean_text(name)
        if name_text is None:
            raise CellError("missing_region")
        region_type, base = _split_region_name(name_text)
        if region_type is not None:
            found = self.regions_by_name.get((region_type, base))
            if found is None:
                raise CellError("unknown_region", rule="not a Kabupaten or Kota of Jawa Tengah")
            return found
        candidates = self.regions_by_base.get(base, ())
        if len(candidates) > 1:
            raise CellError("ambiguous_region", rule="the name is both a Kabupaten and a Kota: say which")
        if not candidates:
            raise CellError("unknown_region", rule="not a Kabupaten or Kota of Jawa Tengah")
        return candidates[0]

    def sector_code(self, label) -> str:
        text = clean_text(label)
        if text is None:
            raise CellError("missing_sector")
        code = self.sector_codes.get(text.lower())
        if code is None:
            raise CellError("unknown_sector", rule="not a sector of the sectors seed")
        return code

    def constraint_code(self, label) -> str | None:
        text = clean_text(label)
        if text is None:
            return None
        code = self.constraint_codes.get(text.lower())
        if code is None:
            raise CellError("unknown_constraint", rule="not a constraint of the constraints seed")
        return code


def _labels(rows: list[dict[str, str]], code_column: str) -> dict[str, str]:
    labels = {}
    for row in rows:
        code = row[code_column]
        for label in [code, *row["survey_labels"].split("|")]:
            if label:
                labels[label.strip().lower()] = code
    return labels


@lru_cache(maxsize=1)
def load_reference() -> Reference:
    regions = _read_seed("regions_jateng")
    by_name, by_base = {}, {}
    for row in regions:
        region_type, base = _split_region_name(row["region_name"])
        by_name[(region_type, base)] = row["region_code"]
        by_base.setdefault(base, []).append(row["region_code"])
    return Reference(
        region_codes=frozenset(row["region_code"] for row in regions),
        regions_by_name=by_name,
        regions_by_base={base: tuple(codes) for base, codes in by_base.items()},
        sector_codes=_labels(_read_seed("sectors"), "sector_code"),
        constraint_codes=_labels(_read_seed("constraints"), "constraint_code"),
        program_ids=frozenset(row["program_id"] for row in _read_seed("programs")),
        fx_months=frozenset((row["month"], row["currency"]) for row in _read_seed("fx_rates_monthly")),
        activity_ids=frozenset(row["activity_id"] for row in _read_seed("activities")),
    )
