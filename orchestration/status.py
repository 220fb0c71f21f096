"""`umkm status`: the morning question, "is everything all right?", in one command and under 2 s.

It reads, never writes: the warehouse through a read-only DuckDB connection (the file ledger
`raw.landing_files`, `raw.rejected_rows`), the serving copy's `current.json`, the landing zone's
directory listing (stat only, no file is opened) and the Dagster instance's run storage. The
local SQLite storage of `DAGSTER_HOME` (what `.dagster_home/dagster.yaml` configures) is read
with `sqlite3` directly: importing Dagster alone would take a second. An instance configured
with other storage is read through Dagster.

Exit 0: nothing needs a look. 1: something does (a failed last run, a quarantined file still in
the landing zone, a stale partner feed, a serving copy older than the newest load); each is named.
2: the status cannot be read (no warehouse yet, or a run holds it).
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb

from ingest.settings import Settings

PARTNER_FEEDS = ("gofood", "shopee", "uvo")   # feeds expected to deliver all the time (freshness)
REJECTS_DAYS = 7
JOB = "full_refresh"
# Same rule as `ingest.landing.is_temporary` (that module imports pandas through the sources:
# a second of start-up); tests/test_status.py checks the two agree.
TEMP_PREFIXES = ("~$", ".")
TEMP_SUFFIXES = (".tmp", ".part", ".crdownload", ".partial", ".swp")


def utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


# ------------------------------------------------------------------ the rules, shared with freshness

def newest_file_per_source(con: duckdb.DuckDBPyConnection) -> dict[str, datetime]:
    """When each source's newest loaded file landed (first seen by the loader)."""
    return dict(con.execute("select source, max(first_seen) from raw.landing_files "
                            "where status = 'loaded' group by source").fetchall())


def feed_age_days(landed: datetime | None, now: datetime) -> float | None:
    return None if landed is None else (now - landed).total_seconds() / 86400


def is_stale(age_days: float | None, limit_days: float) -> bool:
    """A partner feed without any loaded file, or without a new one for `limit_days`."""
    return age_days is None or age_days > limit_days


# ------------------------------------------------------------------ what status finds

@dataclass
class LastRun:
    run_id: str
    status: str                  # SUCCESS | FAILURE | STARTED | CANCELED | ...
    started_at: str | None
    seconds: float | None
    failed_step: str | None = None
    error: str | None = None


@dataclass
class Status:
    warehouse: str
    warehouse_bytes: int = 0
    last_run: LastRun | None = None
    not_loaded: list[str] = field(default_factory=list)
    quarantined: list[dict] = field(default_factory=list)
    rejected_rows_7d: dict[str, int] = field(default_factory=dict)
    stale_feeds: list[dict] = field(default_factory=list)
    serving_published_at: str | None = None
    newest_load: str | None = None
    needs_a_look: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def exit_code(self) -> int:
        return 2 if self.error else (1 if self.needs_a_look else 0)


def collect(settings: Settings, dagster_home: Path, now: datetime | None = None) -> Status:
    now = now or utc_now()
    warehouse = settings.warehouse_path
    status = Status(warehouse=str(warehouse), warehouse_bytes=_size(warehouse))
    status.last_run = last_run(dagster_home)
    if not warehouse.exists():
        status.error = f"no warehouse at {warehouse}: run `umkm run` first"
        return status
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error as error:   # DuckDB has one writer: a run holds the file
        status.error = f"the warehouse cannot be read now ({str(error).splitlines()[0]}); a run may be writing it"
        return status
    try:
        ledger = con.execute(
            "select landing_path, sha256, status, reason, size_bytes, file_landed_at, first_seen "
            "from raw.landing_files where status <> 'superseded' order by first_seen").fetchall()
        rejected = con.execute(
            "select r.reason_code, count(*) from raw.rejected_rows r join raw.landing_files f "
            "on f.landing_path = r.landing_path and f.sha256 = r.sha256 "
            "where f.first_seen >= ? group by 1 order by 2 desc, 1", [now - timedelta(days=REJECTS_DAYS)]).fetchall()
        newest = newest_file_per_source(con)
        [(newest_load,)] = con.execute("select max(loaded_at) from raw.landing_files").fetchall()
    finally:
        con.close()
    current = {path: (size, landed) for path, _, _, _, size, landed, _ in ledger}
    present = landing_listing(settings.landing_dir)
    status.not_loaded = sorted(path for path, (size, mtime) in present.items()
                               if current.get(path) != (size, _utc(mtime)))
    status.quarantined = [{"path": path, "reason": reason, "first_seen": _text(seen)}
                          for path, _, state, reason, _, _, seen in ledger
                          if state == "quarantined" and path in present]
    status.rejected_rows_7d = dict(rejected)
    for feed in PARTNER_FEEDS:
        age = feed_age_days(newest.get(feed), now)
        if is_stale(age, settings.feed_stale_days):
            status.stale_feeds.append({"feed": feed, "newest_file": _text(newest.get(feed)),
                                       "age_days": None if age is None else round(age, 1)})
    status.newest_load = _text(newest_load)
    published = serving_published_at(settings.serving_dir)
    status.serving_published_at = _text(published)
    status.needs_a_look = needs_a_look(status, settings, published, newest_load)
    return status


def needs_a_look(status: Status, settings: Settings, published: datetime | None,
                 newest_load: datetime | None) -> list[str]:
    found = []
    run = status.last_run
    if run is not None and run.status not in ("SUCCESS", "STARTED", "STARTING", "QUEUED", "NOT_STARTED"):
        found.append(f"the last {JOB} run {run.status.lower()}"
                     + (f" at step {run.failed_step}" if run.failed_step else ""))
    if status.quarantined:
        found.append(f"{len(status.quarantined)} quarantined file(s): "
                     + ", ".join(q["path"] for q in status.quarantined[:5]))
    for feed in status.stale_feeds:
        since = "no file loaded yet" if feed["age_days"] is None else f"no new file for {feed['age_days']} days"
        found.append(f"stale feed {feed['feed']}: {since} (UMKM_FEED_STALE_DAYS={settings.feed_stale_days:g})")
    if newest_load is not None and (published is None or published < newest_load):
        found.append("the serving copy is older than the newest load"
                     + (" (never published)" if published is None else ""))
    return found


# ------------------------------------------------------------------ sources

def landing_listing(landing_dir: Path) -> dict[str, tuple[int, float]]:
    """{path: (size, mtime)} of every entry the loader would look at (links are not followed)."""
    found = {}
    stack = [landing_dir] if landing_dir.is_dir() else []
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith(TEMP_PREFIXES) or entry.name.lower().endswith(TEMP_SUFFIXES):
                continue
            if entry.is_dir(follow_symlinks=False):
                stack.append(Path(entry.path))
                continue
            try:
                stat = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            found[Path(entry.path).relative_to(landing_dir).as_posix()] = (stat.st_size, stat.st_mtime)
    return found


def serving_published_at(serving_dir: Path) -> datetime | None:
    """When the serving copy was last published (`current.json`, `orchestration.serving_files`)."""
    try:
        pointer = json.loads((serving_dir / "current.json").read_text())
        return datetime.fromisoformat(pointer["published_at"]).astimezone(timezone.utc).replace(tzinfo=None)
    except (OSError, ValueError, KeyError):
        return None


def last_run(dagster_home: Path) -> LastRun | None:
    """The newest run of the `full_refresh` job in the Dagster instance."""
    config = dagster_home / "dagster.yaml"
    custom = config.exists() and re.search(r"^(storage|run_storage|event_log_storage):", config.read_text(), re.M)
    if custom:
        return _last_run_through_dagster()
    runs_db = dagster_home / "history" / "runs.db"
    if not runs_db.exists():
        return None
    with _read_only(runs_db) as con:
        row = con.execute("select run_id, status, start_time, end_time, create_timestamp from runs "
                          "where pipeline_name = ? order by id desc limit 1", [JOB]).fetchone()
    if row is None:
        return None
    run_id, state, start, end, created = row
    run = LastRun(run_id, state, _iso(start) or str(created), None if start is None or end is None else end - start)
    if state == "FAILURE":
        run.failed_step, run.error = _failure(dagster_home / "history" / "runs" / f"{run_id}.db")
    return run


def _failure(events_db: Path) -> tuple[str | None, str | None]:
    """The first failed step of a run and its error's first line (from its event log)."""
    if not events_db.exists():
        return None, None
    with _read_only(events_db) as con:
        # a failed step first ('STEP_...' sorts after 'PIPELINE_...'), else the run's own failure
        row = con.execute("select step_key, event from event_logs "
                          "where dagster_event_type in ('STEP_FAILURE', 'PIPELINE_FAILURE') "
                          "order by dagster_event_type desc, id limit 1").fetchone()
    if row is None:
        return None, None
    step, body = row
    try:
        error = (json.loads(body)["dagster_event"]["event_specific_data"] or {}).get("error") or {}
        while error.get("cause"):   # Dagster wraps the step's own exception: say what that one said
            error = error["cause"]
        message = error.get("message") or ""
    except (ValueError, KeyError, TypeError, AttributeError):
        message = ""
    return step, (message.strip().splitlines() or [None])[0]


def _last_run_through_dagster() -> LastRun | None:
    import dagster as dg

    instance = dg.DagsterInstance.get()
    runs = instance.get_run_records(filters=dg.RunsFilter(job_name=JOB), limit=1)
    if not runs:
        return None
    record = runs[0]
    start, end = record.start_time, record.end_time
    run = LastRun(record.dagster_run.run_id, record.dagster_run.status.value, _iso(start),
                  None if start is None or end is None else end - start)
    if run.status == "FAILURE":
        for entry in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_FAILURE)[:1]:
            error = entry.dagster_event.step_failure_data.error
            while error is not None and error.cause is not None:
                error = error.cause
            run.failed_step = entry.step_key
            run.error = error.message.strip().splitlines()[0] if error and error.message.strip() else None
    return run


class _read_only:
    """A read-only SQLite connection (Dagster may be writing: never lock, never create)."""

    def __init__(self, path: Path):
        self.con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1.0)

    def __enter__(self) -> sqlite3.Connection:
        return self.con

    def __exit__(self, *exc) -> None:
        self.con.close()


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in (path, path.with_name(path.name + ".wal")) if p.exists())


def _utc(epoch_seconds: float) -> datetime:
    return datetime.fromtimestamp(epoch_seconds, timezone.utc).replace(tzinfo=None)


def _iso(epoch_seconds: float | None) -> str | None:
    return None if epoch_seconds is None else _text(_utc(epoch_seconds))


def _text(moment: datetime | None) -> str | None:
    """UTC, to the second: '2026-01-31 02:00:05'."""
    return None if moment is None else moment.isoformat(sep=" ", timespec="seconds")


# ------------------------------------------------------------------ output

def report(status: Status, settings: Settings) -> str:
    lines = [f"warehouse      {status.warehouse} ({status.warehouse_bytes / 1e6:,.1f} MB)"]
    run = status.last_run
    if run is None:
        lines.append(f"last run       no {JOB} run recorded in the Dagster instance")
    else:
        took = "" if run.seconds is None else f", took {_duration(run.seconds)}"
        lines.append(f"last run       {run.status.lower()}, started {run.started_at} UTC{took} (run {run.run_id[:8]})")
        if run.failed_step:
            lines.append(f"               failed step {run.failed_step}: {run.error or 'see the run in the UI'}")
    if status.error:
        lines.append(f"error          {status.error}")
        return "\n".join(lines)
    lines.append(f"not loaded     {len(status.not_loaded)} file(s) landed and not loaded yet"
                 + (": " + ", ".join(status.not_loaded[:5]) + (" ..." if len(status.not_loaded) > 5 else "")
                    if status.not_loaded else ""))
    lines.append(f"quarantined    {len(status.quarantined)} file(s)")
    lines += [f"                 {q['path']}: {q['reason']}" for q in status.quarantined]
    rejected = ", ".join(f"{code} {count:,}" for code, count in status.rejected_rows_7d.items()) or "none"
    lines.append(f"rejected rows  last {REJECTS_DAYS} days: {rejected}")
    stale = ", ".join(f["feed"] for f in status.stale_feeds) or "none"
    lines.append(f"stale feeds    {stale} (no new file for {settings.feed_stale_days:g} days)")
    lines.append(f"serving copy   published {status.serving_published_at or 'never'} UTC; "
                 f"newest load {status.newest_load or 'none'} UTC")
    if status.needs_a_look:
        lines.append("\nNEEDS A LOOK:")
        lines += [f"  - {item}" for item in status.needs_a_look]
    else:
        lines.append("\nall good: nothing needs a look")
    return "\n".join(lines)


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def run_status(dagster_home: Path, as_json: bool = False) -> int:
    settings = Settings.from_env()
    status = collect(settings, dagster_home)
    if as_json:
        print(json.dumps({**asdict(status), "exit_code": status.exit_code}, indent=2, default=str))
    else:
        print(report(status, settings))
    return status.exit_code
