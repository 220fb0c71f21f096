"""The allowed values the suites check, read from the dbt seeds (`dbt_project/seeds/`).

A rule lives once: the same CSV files are dbt's reference tables (the dbt tests use them through
`relationships` and the `allowed_value` generic test) and the value sets of the GX expectations.

- `allowed_values.csv` (domain, value, counted, meaning): scales, platforms, order statuses per
  platform (with `counted`: the status counts as turnover), GoBiz features and currency, Kobo
  validation statuses, file ledger statuses and landing sources, region types.
- `regions_jateng.csv`, `sectors.csv`, `constraints.csv`, `programs.csv`, `fx_rates_monthly.csv`:
  the reference data proper.
"""

from __future__ import annotations

import csv
from functools import cache

from ingest.reference import SEEDS_DIR
from quality.rules import sql_list


def read_seed(name: str) -> list[dict[str, str]]:
    with open(SEEDS_DIR / f"{name}.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@cache
def _allowed_rows() -> tuple[tuple[str, str, str], ...]:
    return tuple((row["domain"], row["value"], row["counted"]) for row in read_seed("allowed_values"))


def allowed(domain: str) -> tuple[str, ...]:
    """The values of `domain` in allowed_values.csv, in seed order; an unknown domain is an error."""
    values = tuple(value for name, value, _ in _allowed_rows() if name == domain)
    if not values:
        raise KeyError(f"allowed_values.csv has no domain {domain!r}")
    return values


def counted(domain: str) -> tuple[str, ...]:
    """The statuses of `domain` whose orders count as turnover (`counted` = true)."""
    values = tuple(value for name, value, flag in _allowed_rows() if name == domain and flag == "true")
    if not values:
        raise KeyError(f"allowed_values.csv counts no value of domain {domain!r}")
    return values


REGION_CODES = tuple(sorted(row["region_code"] for row in read_seed("regions_jateng")))
SECTOR_CODES = tuple(sorted(row["sector_code"] for row in read_seed("sectors")))
CONSTRAINT_CODES = tuple(row["constraint_code"] for row in read_seed("constraints"))   # seed order
PROGRAMS = {row["program_id"]: row for row in read_seed("programs")}
PROGRAM_IDS = tuple(sorted(PROGRAMS))
FX_RATES = [(row["month"], row["currency"], row["idr_per_unit"]) for row in read_seed("fx_rates_monthly")]
FX_CURRENCIES = tuple(sorted({currency for _, currency, _ in FX_RATES}))
ACTIVITIES = {row["activity_id"]: row for row in read_seed("activities")}
ACTIVITY_IDS = tuple(sorted(ACTIVITIES))


def activity_dates() -> str:
    """SQL: the activities seed as an inline table activity(activity_id, start_date, end_date)."""
    rows = ", ".join(f"('{a}', date '{row['start_date']}', date '{row['end_date']}')" for a, row in ACTIVITIES.items())
    return f"(values {rows}) as activity(activity_id, start_date, end_date)"


def enrolled_on(platform: str) -> str:
    """SQL: the merchant ids enrolled in any program on `platform` (raw registry, current versions)."""
    programs = [pid for pid, row in PROGRAMS.items() if row["platform"] == platform]
    return (f"(select platform_merchant_id from raw.enrollments "
            f"where program_id in ({sql_list(programs) or 'null'}))")


def fx_values() -> str:
    """SQL: the FX seed as an inline table fx(month, currency, idr_per_unit)."""
    rows = ", ".join(f"('{m}', '{c}', cast({r} as double))" for m, c, r in FX_RATES)
    return f"(values {rows}) as fx(month, currency, idr_per_unit)"
