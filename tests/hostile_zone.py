"""Each hostile file of issue 16 beside the good files of the end-to-end test, loaded as `umkm run`
loads them, in a process of its own whose whole tree's memory and time are measured.

    .venv/bin/python -m tests.hostile_zone [NAME ...]     # prints the table for the note

Per class: the loader exits 0, every good file loads, the hostile one is quarantined (or its rows
rejected) with the right reason, the whole load stays within 4 GiB, and a second load does not
touch the hostile file again.
"""

from __future__ import annotations

import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Callable

from benchmarks.measure import Measured, run_measured
from tests import hostile_text, hostile_values, hostile_xlsx

GIB = 1 << 30
MEMORY_BOUND = 4 * GIB
SALT = "hostile-zone-salt"


@dataclass(frozen=True)
class Hostile:
    name: str
    path: str                                  # where it lands
    build: Callable[[Path], None]              # writes the file
    status: str                                # what its ledger row says: quarantined, or loaded (rows rejected)
    words: str                                 # in its ledger reason, or a reject reason code when loaded


def classes() -> list[Hostile]:
    return [
        Hostile("xlsx cell at XFD1048576", "shopee/9001/Order.all.20210801_20210831.xlsx",
                hostile_xlsx.make_last_cell_xlsx, "quarantined", "XFD1048576"),
        Hostile("xlsx decompression bomb", "shopee/9002/Order.all.20210801_20210831.xlsx",
                hostile_xlsx.make_xlsx_bomb, "quarantined", "XLSX_MAX_MEMBER_BYTES"),
        Hostile("UVO amount of thousands of digits", "uvo/huge_digits.json",
                hostile_values.make_huge_digits_json, "loaded", "invalid_amount"),
        Hostile("UVO lone surrogate", "uvo/lone_surrogate.json",
                hostile_values.make_lone_surrogate_json, "loaded", "invalid_encoding"),
        Hostile("UVO amount 1e-400", "uvo/underflow.json",
                hostile_values.make_underflow_json, "loaded", "invalid_amount"),
        Hostile("enrollment shifted by a column", "enrollment/shifted.csv",
                hostile_values.make_shifted_enrollment, "loaded", "unknown_program"),
        Hostile("two exports pasted, one bad byte", "gofood/pasted.csv",
                hostile_text.make_pasted_exports_csv, "loaded", "invalid_encoding"),
        Hostile("GoBiz 2 M rows, one Transaction ID", "gofood/repeated_id.csv",
                hostile_text.make_repeated_id_gofood, "loaded", "duplicate_id"),
        Hostile("Kobo 2 M empty records", "survey/kobo_empty.csv",
                hostile_text.make_empty_kobo, "loaded", "blank row"),
        Hostile("required columns empty on every row", "gofood/empty_required.csv",
                hostile_text.make_empty_required_gobiz, "quarantined", "empty on every row"),
    ]


@dataclass(frozen=True)
class Outcome:
    hostile: Hostile
    measured: Measured
    first: list[dict]          # the first load's outcomes
    second: list[dict]         # the second load's: must be empty
    reject_codes: dict[str, int]

    @property
    def of_hostile(self) -> dict:
        return next(o for o in self.first if o["path"] == self.hostile.path)


def load_zone(root: Path) -> dict:
    """What the measured process does: load the zone twice, as two `umkm run`s would."""
    from ingest.raw_load import load_new_files
    import duckdb

    warehouse = root / "warehouse.duckdb"
    first = load_new_files(warehouse, root / "landing", SALT)
    second = load_new_files(warehouse, root / "landing", SALT)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        codes = dict(con.execute("select landing_path || ' ' || reason_code, count(*) from raw.rejected_rows "
                                 "group by all").fetchall())
    finally:
        con.close()
    return {"first": [_as_dict(o) for o in first], "second": [_as_dict(o) for o in second], "codes": codes}


def _as_dict(outcome) -> dict:
    return {"path": outcome.path, "status": outcome.status, "reason": outcome.reason,
            "rows_loaded": outcome.rows_loaded, "rows_rejected": outcome.rows_rejected}


def run_class(hostile: Hostile, root: Path) -> Outcome:
    """Build the zone under `root`, then load it in a measured process of its own."""
    from tests.test_pipeline_e2e import build_landing

    landing = root / "landing"
    build_landing(landing)
    (landing / "gofood" / "broken.csv").unlink()   # only good files beside the hostile one
    target = landing / hostile.path
    target.parent.mkdir(parents=True, exist_ok=True)
    hostile.build(target)
    result = root / "outcome.json"
    measured = run_measured([sys.executable, "-m", "tests.hostile_zone", "--load", str(root), str(result)],
                            cwd=Path(__file__).resolve().parents[1], log=root / "load.log", timeout=900)
    loaded = json.loads(result.read_text()) if result.exists() else {"first": [], "second": [], "codes": {}}
    return Outcome(hostile, measured, loaded["first"], loaded["second"], loaded["codes"])


def main(argv: list[str]) -> int:
    if argv[:1] == ["--load"]:
        Path(argv[2]).write_text(json.dumps(load_zone(Path(argv[1]))))
        return 0
    print("| hostile file | outcome | peak RSS (tree) | seconds |\n| --- | --- | ---: | ---: |")
    for hostile in classes():
        if argv and hostile.name not in argv:
            continue
        with tempfile.TemporaryDirectory() as temp:
            outcome = run_class(hostile, Path(temp))
        mine = outcome.of_hostile if outcome.first else {"status": "no outcome", "reason": ""}
        print(f"| {hostile.name} | {mine['status']}: {(mine['reason'] or '')[:90]} "
              f"({mine.get('rows_rejected', 0):,} rows rejected) | "
              f"{outcome.measured.peak_rss_bytes / GIB:.2f} GiB | {outcome.measured.seconds:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
