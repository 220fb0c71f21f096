"""Landing files are parsed in worker processes with a memory cap and a time limit.

A landing file is untrusted: a reader may abort (calamine sizing a buffer from a far-away cell),
a parser may raise on a value nobody foresaw, a file may take more memory or time than any real
export. Each of those ends that file's parse, not the run: the file is quarantined with a
reason naming what it hit, and the other files load.

Files are parsed a batch at a time on a pool of workers; only when a worker dies (a crash or a
limit) are the files it may have held parsed again one by one, each in a process of its own, to
find the one that killed it and why. Workers are forked from a forkserver that imported the
parsers once (a fork costs milliseconds, a fresh interpreter a second), never from the loader,
which holds a DuckDB connection and threads.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import multiprocessing.forkserver
import os
import resource
import signal
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

import pyarrow as pa

from ingest.memory import release_memory
from ingest.readers import QuarantineError
from ingest.rows import ParseResult
from ingest.sources import SOURCES


@dataclass(frozen=True)
class ParseLimits:
    """What one file's parse may take (settings UMKM_PARSE_MEMORY_MB and UMKM_PARSE_SECONDS).

    The memory is address space a worker may add to what it holds once warm. Address space runs
    about twice the resident memory: a GoBiz report of 2 M rows peaks near 1,4 GB resident and
    needs 3 GB of address space to parse and send its rows back. The whole run stays under 4 GiB
    resident (tests/test_hostile_zone.py measures it)."""
    memory_mb: int = 3072
    seconds: float = 300.0


def parse_landing_file(source: str | None, data: bytes, path: str) -> ParseResult:
    """Pick the parser for a path; files outside the source folders are refused."""
    if source is None:
        raise QuarantineError(f"not in a source folder ({', '.join(name + '/' for name in SOURCES)})")
    spec = SOURCES[source]
    if not path.lower().endswith(spec.extensions):
        raise QuarantineError(f"{source}/ takes {', '.join(spec.extensions)} files")
    return spec.parse(data, path)


# ---------------------------------------------------------------- inside a worker

_limits = ParseLimits()
_M_ARENA_MAX = -8            # mallopt: glibc reserves 64 MB of address space per arena, up to 8 per core
_WARM_UP = (b"Transaction Date,Transaction time,Transaction ID,Amount,Nett Amount,Transaction Status,Feature,"
            b"Merchant ID\n09/05/2021,2021-09-05T03:00:00Z,W-1,10.000,10.000,settlement,GoFood,G1\n")
RELEASE_AFTER_BYTES = 8 << 20


def start_worker(limits: ParseLimits) -> None:
    """Cap this worker: address space beyond what it holds once warm, and no core files."""
    global _limits
    _limits = limits
    try:
        ctypes.CDLL("libc.so.6").mallopt(_M_ARENA_MAX, 2)
    except (OSError, AttributeError):   # not glibc
        pass
    try:   # the first parse maps Arrow's and pandas' lazily loaded parts: count them in the base
        parse_landing_file("gofood", _WARM_UP, "gofood/warm-up.csv")
    except Exception:   # noqa: BLE001 - only warming up
        pass
    with open("/proc/self/statm") as statm:
        base = os.sysconf("SC_PAGE_SIZE") * int(statm.read().split()[0])
    resource.setrlimit(resource.RLIMIT_AS, (base + (limits.memory_mb << 20), resource.RLIM_INFINITY))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


Parser = Callable[[str | None, bytes, str], ParseResult]


def parse_with_limits(parse: Parser, source: str | None, data: bytes, path: str) -> ParseResult:
    """`parse_landing_file` under the time limit, with every failure turned into a quarantine reason.

    The time limit is SIGALRM with no handler: the kernel ends the worker even inside a reader
    that holds the GIL. Reasons name the exception's type, never its message, which may quote a cell.
    """
    signal.setitimer(signal.ITIMER_REAL, _limits.seconds)
    try:
        return parse(source, data, path)
    except QuarantineError:
        raise
    except (MemoryError, pa.ArrowMemoryError):
        raise QuarantineError(memory_reason(_limits)) from None
    except Exception as error:   # noqa: BLE001 - any failure of a parser is this file's, not the run's
        raise QuarantineError(f"the {source} parser failed on this file ({type(error).__name__}); "
                              f"it stays out until a new version lands (a bug to report)") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        if len(data) > RELEASE_AFTER_BYTES:   # a 30 MB survey takes a gigabyte: give it back
            release_memory()


def memory_reason(limits: ParseLimits) -> str:
    return (f"parsing needed more than the {limits.memory_mb} MB of memory a file may take "
            f"(UMKM_PARSE_MEMORY_MB)")


def _parse_alone(connection, limits: ParseLimits, parse: Parser, source: str | None, data: bytes, path: str) -> None:
    try:
        start_worker(limits)
    except Exception as error:   # noqa: BLE001 - the machine's fault, not the file's: said apart
        connection.send(("no worker", f"{type(error).__name__}: {error}"))
        return
    try:
        outcome = ("parsed", parse_with_limits(parse, source, data, path))
    except QuarantineError as error:
        outcome = ("quarantined", str(error))
    connection.send(outcome)
    connection.close()


# ---------------------------------------------------------------- in the loader

def _context() -> multiprocessing.context.BaseContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["ingest.isolation"])
    return context


def start_parse_server() -> None:
    """Start the forkserver now, so that it imports the parsers while the caller does other work.

    Started by the first parse, its imports (about 0.45 s) would come before the first file of
    a run is parsed: most of the load of a new day's report. The server lives until this
    process ends; a later pool forks its workers from it."""
    _context()   # for its preload list: the server imports the parsers once, as the pools expect
    multiprocessing.forkserver.ensure_running()


class ParseWorkers:
    """A pool of capped parse workers, replaced when one of its workers dies. `parse` is a
    module-level function (the workers import it by name): the source parsers, or a test's."""

    def __init__(self, workers: int, limits: ParseLimits, parse: Parser = parse_landing_file):
        self.workers, self.limits, self.parse = workers, limits, parse
        self.pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=_context(),
                                   initializer=start_worker, initargs=(self.limits,))

    def submit(self, source: str | None, data: bytes, path: str) -> Parsing:
        future = self.pool.submit(parse_with_limits, self.parse, source, data, path)
        return Parsing(self, self.pool, future, source, data, path)

    def broken(self, pool: ProcessPoolExecutor) -> None:
        """A worker of `pool` died: later files go to a new pool (once, however many files it held)."""
        if pool is self.pool:
            pool.shutdown(wait=False, cancel_futures=True)
            self.pool = self._new_pool()

    def shutdown(self) -> None:
        self.pool.shutdown(cancel_futures=True)


@dataclass
class Parsing:
    """One file's parse in flight; `result()` is the ParseResult or raises QuarantineError."""
    workers: ParseWorkers
    pool: ProcessPoolExecutor
    future: Future
    source: str | None
    data: bytes
    path: str

    def result(self) -> ParseResult:
        try:
            return self.future.result()
        except QuarantineError:
            raise
        except BrokenProcessPool:   # this file or another in the pool killed a worker: find out alone
            self.workers.broken(self.pool)
            return parse_alone(self.source, self.data, self.path, self.workers.limits, self.workers.parse)
        except (MemoryError, pa.ArrowMemoryError):   # sending the rows back took the rest of the cap
            raise QuarantineError(memory_reason(self.workers.limits)) from None
        except Exception as error:   # noqa: BLE001 - e.g. a result that would not pickle
            raise QuarantineError(f"the parse worker failed ({type(error).__name__})") from None


def parse_alone(source: str | None, data: bytes, path: str, limits: ParseLimits,
                parse: Parser = parse_landing_file) -> ParseResult:
    """Parse one file in a process of its own; how that process ends names the limit it hit."""
    receiver, sender = multiprocessing.Pipe(duplex=False)
    process = _context().Process(target=_parse_alone, args=(sender, limits, parse, source, data, path),
                                 daemon=True)
    process.start()
    sender.close()
    outcome, timed_out = None, False
    try:
        # the worker's own alarm ends it first; this bounds a worker stuck before its alarm is set
        if receiver.poll(limits.seconds + 60):
            outcome = receiver.recv()
        else:
            timed_out = True
    except (EOFError, OSError):   # died before it sent anything
        pass
    finally:
        receiver.close()
        if outcome is None and process.is_alive():
            process.kill()
        process.join()
    if outcome is None:
        raise QuarantineError(death_reason(-signal.SIGALRM if timed_out else process.exitcode, limits))
    kind, value = outcome
    if kind == "no worker":
        raise RuntimeError(f"a parse worker could not start, so no file was judged: {value}")
    if kind == "quarantined":
        raise QuarantineError(value)
    return value


def death_reason(exitcode: int | None, limits: ParseLimits) -> str:
    """Why a parse worker died, from how it ended."""
    if exitcode == -signal.SIGALRM:
        return f"parsing took longer than the {limits.seconds:g} s a file may take (UMKM_PARSE_SECONDS)"
    if exitcode == -signal.SIGKILL:
        return "the parse worker was killed (the machine ran out of memory?); the file is kept out"
    name = signal.Signals(-exitcode).name if exitcode is not None and exitcode < 0 else f"exit code {exitcode}"
    return (f"the reader crashed on this file ({name}): most often an allocation beyond the "
            f"{limits.memory_mb} MB of memory a file may take (UMKM_PARSE_MEMORY_MB)")
