"""Parsing landing files ahead of the loader: pure bytes in, Arrow tables out.

`ingest.raw_load` plans and writes the versions in order; while it writes one batch, the
versions of the next are parsed on capped worker processes (`ingest.isolation`).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from ingest.isolation import ParseLimits, ParseWorkers, Parsing

if TYPE_CHECKING:
    from ingest.ledger_view import LedgerView
    from ingest.raw_load import Version


PARSE_AHEAD_FILES, PARSE_AHEAD_BYTES = 128, 32 << 20
# Above this many bytes to load, files are parsed on a worker per core while the main process
# writes; below it one worker is enough.
POOL_PER_CORE_BYTES = 64 << 20


def parse_workers(total_bytes: int, limits: ParseLimits) -> ParseWorkers:
    """The capped parse workers for a load of this many bytes: one per core for a large load."""
    cores = os.cpu_count() or 1
    return ParseWorkers(1 if total_bytes < POOL_PER_CORE_BYTES else cores, limits)


class ParseAhead:
    """Parses the next versions of a batch in the pool while the earlier ones are planned and the
    previous batch is written.

    Parsing is pure (bytes in, Arrow tables out), so it can run on a worker; the plans are still made
    and written in order. A version that will not be parsed (unchanged, or the same bytes as a loaded
    file) is not parsed ahead; a result nobody asks for is dropped. At most `depth` files and
    `max_bytes` of their bytes are in flight or parsed and not yet taken: that bounds the memory,
    and is enough to keep the workers busy through the write of a batch.
    """

    def __init__(self, workers: ParseWorkers, depth: int, max_bytes: int, ledger: LedgerView, batch: list[Version],
                 force: bool):
        self.workers, self.depth, self.max_bytes, self.batch = workers, depth, max_bytes, batch
        self.futures: dict[int, tuple[Parsing, int]] = {}   # index in the batch -> (parse, bytes parsed)
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

    def take(self, index: int) -> Parsing | None:
        parsing, _ = self.futures.pop(index, (None, 0))
        self._submit()
        return parsing

    def _submit(self) -> None:
        ahead = sum(size for _, size in self.futures.values())
        while self.next < len(self.wanted) and len(self.futures) < self.depth:
            index = self.wanted[self.next]
            version = self.batch[index]
            if version is not None and self.futures and ahead + len(version.data) > self.max_bytes:
                return
            self.next += 1
            if version is not None:
                parsing = self.workers.submit(version.file.source, version.data, version.file.path)
                self.futures[index] = (parsing, len(version.data))
                ahead += len(version.data)
