"""Parsing landing files, ahead of the loader, on workers: pure bytes in, Arrow tables out.

`ingest.raw_load` plans and writes the versions in order; while it writes one batch, the
versions of the next are parsed here, on a thread for small loads and a process per core for
large ones.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from typing import TYPE_CHECKING

from ingest.memory import release_memory
from ingest.readers import QuarantineError
from ingest.rows import ParseResult
from ingest.sources import SOURCES

if TYPE_CHECKING:
    from ingest.raw_load import LedgerView, Version


def parse_landing_file(source: str | None, data: bytes, path: str) -> ParseResult:
    """Pick the parser for a path; files outside the source folders are refused."""
    if source is None:
        raise QuarantineError("not in a source folder (survey/, enrollment/, gofood/, shopee/, uvo/)")
    spec = SOURCES[source]
    if not path.lower().endswith(spec.extensions):
        raise QuarantineError(f"{source}/ takes {', '.join(spec.extensions)} files")
    return spec.parse(data, path)


PARSE_AHEAD_FILES, PARSE_AHEAD_BYTES = 128, 32 << 20
# Above this many bytes to load, files are parsed in worker processes, one per core, while the
# main process writes: parsing is Python and Arrow work that a thread would share the GIL for.
PROCESS_POOL_BYTES = 64 << 20


def parse_on_worker(source: str | None, data: bytes, path: str) -> ParseResult:
    """`parse_landing_file`, then the heap it grew for a large file goes back to the system (a
    30 MB survey export takes about a gigabyte to parse; a worker would keep that for its life)."""
    try:
        return parse_landing_file(source, data, path)
    finally:
        if len(data) > RELEASE_AFTER_BYTES:
            release_memory()


RELEASE_AFTER_BYTES = 8 << 20


def parse_pool(total_bytes: int) -> Executor:
    """The executor that parses ahead: a thread for small loads, a process per core for large ones."""
    workers = os.cpu_count() or 1
    if total_bytes < PROCESS_POOL_BYTES or workers < 2:
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="parse-ahead")
    # spawn, not fork: the parent holds a DuckDB connection and threads (Dagster's among them)
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))


class ParseAhead:
    """Parses the next versions of a batch in the pool while the earlier ones are planned and the
    previous batch is written.

    Parsing is pure (bytes in, Arrow tables out), so it can run on a worker; the plans are still made
    and written in order. A version that will not be parsed (unchanged, or the same bytes as a loaded
    file) is not parsed ahead; a result nobody asks for is dropped. At most `depth` files and
    `max_bytes` of their bytes are in flight or parsed and not yet taken: that bounds the memory,
    and is enough to keep the workers busy through the write of a batch.
    """

    def __init__(self, pool: Executor, depth: int, max_bytes: int, ledger: LedgerView, batch: list[Version],
                 force: bool):
        self.pool, self.depth, self.max_bytes, self.batch = pool, depth, max_bytes, batch
        self.futures: dict[int, tuple[Future, int]] = {}   # index in the batch -> (parse, bytes parsed)
        seen: set[str] = set()
        self.wanted = []
        for index, version in enumerate(batch):
            path, sha = version.file.path, version.sha256
            unchanged = ledger.current.get(path, (None,))[0] == sha and not force
            if version.data is not None and not unchanged and sha not in seen and not ledger.twin(sha, path):
                self.wanted.append(index)
            seen.add(sha)
        self.next = 0
        self._submit()

    def take(self, index: int) -> Future | None:
        future, _ = self.futures.pop(index, (None, 0))
        self._submit()
        return future

    def _submit(self) -> None:
        ahead = sum(size for _, size in self.futures.values())
        while self.next < len(self.wanted) and len(self.futures) < self.depth:
            index = self.wanted[self.next]
            version = self.batch[index]
            if version is not None and self.futures and ahead + len(version.data) > self.max_bytes:
                return
            self.next += 1
            if version is not None:
                future = self.pool.submit(parse_on_worker, version.file.source, version.data, version.file.path)
                self.futures[index] = (future, len(version.data))
                ahead += len(version.data)
