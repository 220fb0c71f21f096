"""A whole demo landing zone, and the GoBiz day after it."""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
from pathlib import Path

from demo.common import PROVINCE_SCALE, SOURCES, _Reference, _World
from demo.enrollment import _write_enrollment
from demo.files import _Landing, _set_mtimes
from demo.gofood import (GOBIZ_DAYS, GOBIZ_FIRST_DAY, _GoBiz, _feed_delivery, _feed_name, _feed_styles, _gobiz_report,
                         _write_gofood)
from demo.lapak_ganjar import _write_lapak_ganjar
from demo.mbizmarket import _write_mbizmarket
from demo.shopee import _write_shopee
from demo.survey import _write_survey
from demo.training import _write_training
from demo.uvo import _write_uvo


_WRITERS = {"survey": _write_survey, "enrollment": _write_enrollment, "gofood": _write_gofood,
            "shopee": _write_shopee, "uvo": _write_uvo, "mbizmarket": _write_mbizmarket, "training": _write_training,
            "lapak_ganjar": _write_lapak_ganjar}
# two halves of about equal work at large scales, for two processes (the last three sources are small)
_HALVES = (("survey", "gofood"), ("enrollment", "shopee", "uvo", "mbizmarket", "training", "lapak_ganjar"))


def _write_sources(landing_dir: Path, scale: int, seed: int, province: bool, sources: tuple,
                   shopee_csv: bool = False) -> tuple[list, dict]:
    """Write the files of some sources; return their deliveries (mtimes not set yet) and stats."""
    world = _World(_Reference.load(), scale, seed, province)
    out = _Landing(Path(landing_dir))
    options = {"shopee": {"csv_only": shopee_csv}}
    for source in sources:
        _WRITERS[source](out, world, **options.get(source, {}))
    deliveries = [(when, SOURCES.index(path.relative_to(out.root).parts[0]), order, path)
                  for when, order, path in out.deliveries]
    return deliveries, out.stats


def write_demo_landing(landing_dir: Path, scale: int = 1, seed: int = 42, workers: int | None = None,
                       shopee_csv: bool = False) -> dict:
    """Write the demo landing zone; return files, data rows and bytes written per source.

    `rows` counts data records in the files as written (so re-deliveries, overlaps and bad rows
    count each time they appear); the other counters name the files that are special on purpose.
    From `PROVINCE_SCALE` on, two processes write half the sources each (`workers`: 1 or 2 to
    choose); every source draws from its own generators, so the files are the same either way.
    `shopee_csv`: every Shopee export is a csv file instead of (mostly) xlsx, with the same orders,
    rows and delivery times; the other sources' files do not change."""
    if int(scale) < 1:
        raise ValueError("scale must be a positive integer")
    landing_dir = Path(landing_dir)
    scale, seed, province = int(scale), int(seed), int(scale) >= PROVINCE_SCALE
    if workers is None:
        workers = 2 if province and (os.cpu_count() or 1) > 1 else 1
    for source in SOURCES:
        (landing_dir / source).mkdir(parents=True, exist_ok=True)
    jobs = [(landing_dir, scale, seed, province, half, bool(shopee_csv)) for half in _HALVES]
    if workers > 1:
        # spawn, not fork: a forked copy of a process with Arrow's thread pools running can hang
        context = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(min(workers, len(jobs)), mp_context=context) as pool:
            results = list(pool.map(_write_sources, *zip(*jobs)))
    else:
        results = [_write_sources(*job) for job in jobs]
    _set_mtimes([delivery for deliveries, _ in results for delivery in deliveries])
    stats = {source: entry for _, part in results for source, entry in part.items()}
    return {source: stats.get(source, {"files": 0, "rows": 0}) for source in SOURCES}


NEW_DAY_DELIVERY = _feed_delivery(GOBIZ_FIRST_DAY + GOBIZ_DAYS)    # 2022-01-02 06:30 WIB
NEW_DAY_FILE = _feed_name(GOBIZ_FIRST_DAY + GOBIZ_DAYS)             # relative to the landing dir


def write_new_gobiz_day(landing_dir: Path, scale: int = 1, seed: int = 42) -> Path:
    """Land one more day of GoBiz on a zone written by `write_demo_landing(landing_dir, scale, seed)`.

    The file is the province-wide report of 2022-01-01, the day after the zone's last GoBiz day:
    `gofood/gobiz_jateng_transactions_20220101_20220101.csv`, in the province feed's layout. It
    holds the transactions of that day of the zone's GoBiz merchants still selling at the end of
    2021 (the merchants of the registry's GoFood programs, and the few outside any program that
    the zone has too), about a 365th of the year's volume, with new transaction and order ids.
    Its mtime is 06:30 WIB the next morning, or one minute after the newest other file of the
    zone if that is later, so it is always the last file landed.

    Deterministic and idempotent: the same (scale, seed) always gives the same day, bytes and
    mtime; when the file already exists with those bytes it is left as it is (calling this twice
    adds nothing). Returns the file's path."""
    landing_dir = Path(landing_dir)
    world = _World(_Reference.load(), int(scale), int(seed))
    gobiz = _GoBiz(world)
    rows = gobiz.day(GOBIZ_DAYS)
    relative = NEW_DAY_FILE
    target = landing_dir / relative
    newest = max((entry.stat().st_mtime for entry in landing_dir.rglob("*") if entry.is_file() and entry != target),
                 default=0.0)
    out = _Landing(landing_dir)
    out.put(relative, _gobiz_report(gobiz, rows, _feed_styles(world)[12]), max(NEW_DAY_DELIVERY, int(newest) + 60),
            len(rows))
    out.finish()
    return target
