"""After a crash: release what runs whose process is gone still hold in the Dagster instance.

Every step that touches the warehouse claims a slot of the `duckdb_warehouse` pool (limit 1).
A run killed with SIGKILL, by the OOM killer or a power cut never gives its slot back, and
without the Dagster daemon's run monitoring nobody does: the next `umkm run` would wait for the
pool forever. The warehouse itself needs nothing (each file loads in one DuckDB transaction, the
dbt models and the serving copy are rebuilt whole); only this bookkeeping does.

A run counts as gone when it is finished but still holds slots, or when no process that logged
its events is alive on this machine any more.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import dagster as dg


def release_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark runs whose process is gone as failed and free their pool slots; their ids."""
    storage = instance.event_log_storage
    try:
        run_ids = storage.get_concurrency_run_ids()
    except NotImplementedError:
        return []
    released = []
    for run_id in sorted(run_ids):
        run = instance.get_run_by_id(run_id)
        if run is not None and not run.is_finished:
            events = instance.all_logs(run_id)
            processes = {(e.dagster_event.pid, e.timestamp) for e in events
                         if e.dagster_event is not None and e.dagster_event.pid}
            if not processes or any(_alive(pid, at) for pid, at in processes):
                continue   # still running somewhere (or not started yet): leave it alone
            instance.report_run_failed(run, message="The process running this run is gone (killed or crashed); "
                                                    "its pool slots were released by the next `umkm run`.")
        storage.free_concurrency_slots_for_run(run_id)
        released.append(run_id)
    return released


def _alive(pid: int, logged_at: float) -> bool:
    """Whether `pid` is the process that logged at `logged_at` (not a later one with its number)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    started = _process_start(pid)
    return started is None or started <= logged_at + 1


def _process_start(pid: int) -> float | None:
    """Start time of a process (Linux /proc); None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, IndexError, ValueError):
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    return time.time() - uptime + int(fields[19]) / ticks
