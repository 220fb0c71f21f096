"""Run a command and measure it: wall time, the peak memory of its whole process tree, CPU time.

`ru_maxrss` of children only gives the largest single process; `umkm run` keeps its own memory
while dbt (a child process with its own DuckDB) runs, so the tree's RSS is summed from /proc,
sampled every 50 ms (a peak shorter than that can be missed; the sum is what the machine holds).
CPU seconds (user + system of the command and every descendant it waited for) tell whether a
wall time was stretched by other work on the machine: on a shared machine they move less.
Commands are meant to run one at a time (the CPU time is the change in this process's children's).
"""

from __future__ import annotations

import os
import resource
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class Measured:
    seconds: float
    peak_rss_bytes: int
    returncode: int
    cpu_seconds: float = 0.0


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _children(pid: int) -> list[int]:
    kids = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids += [int(k) for k in (task / "children").read_text().split()]
        except OSError:
            pass
    return kids


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (0 for those already gone)."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            total += int(Path(f"/proc/{current}/statm").read_text().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
        todo += _children(current)
    return total


def run_measured(command: list[str], *, env: dict | None = None, cwd: Path | None = None,
                 log: Path | None = None, timeout: float | None = None) -> Measured:
    """Run `command`, its output to `log` (or inherited); raises on timeout, never on exit codes."""
    out = open(log, "w") if log else None
    try:
        cpu_before = _children_cpu()
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT if out else None)
        peak = 0
        done = threading.Event()

        def sample():
            nonlocal peak
            while not done.is_set():
                peak = max(peak, tree_rss(process.pid))
                done.wait(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            returncode = process.wait(timeout=timeout)
        finally:
            done.set()
            sampler.join()
            if process.poll() is None:
                process.kill()
        return Measured(time.perf_counter() - started, peak, returncode, round(_children_cpu() - cpu_before, 3))
    finally:
        if out:
            out.close()
