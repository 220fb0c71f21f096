"""Parse workers: a file that crashes, raises, or runs past its memory or time is quarantined
with the limit it hit, and the other files of the batch still parse (issue 16)."""

import multiprocessing.forkserver
import os
import time

import pytest

from ingest.isolation import ParseLimits, ParseWorkers, parse_alone, start_parse_server
from ingest.readers import QuarantineError
from ingest.isolation import parse_landing_file
from tests.filemakers import csv_bytes
from tests.test_parsers import GOBIZ_HEADER, gobiz_row

GOOD = csv_bytes([GOBIZ_HEADER, gobiz_row("G-1", "2021-09-05T03:00:00Z", "10.000")])
LIMITS = ParseLimits(memory_mb=512, seconds=3)


# The parsers the workers run (module-level: a worker imports them by name). The file's bytes
# say what to do, so one batch holds good files and poison together.
def hostile_parse(source, data: bytes, path: str):
    if data == b"abort":
        os.abort()                              # a reader in Rust or C failing an allocation
    if data == b"allocate":
        return bytearray(2 << 30)               # a parse that grows past the cap
    if data == b"sleep":
        time.sleep(60)                          # a parse that never ends
    if data == b"spin":
        while True:                             # ... holding the CPU
            pass
    if data == b"raise":
        raise ValueError("3374012345678901 is not a number")   # a message quoting a cell
    return parse_landing_file("gofood", data, path)


@pytest.mark.parametrize("poison, words", [
    (b"abort", "crashed on this file (SIGABRT)"),
    (b"allocate", "more than the 512 MB"),
    (b"sleep", "longer than the 3 s"),
    (b"spin", "longer than the 3 s"),
    (b"raise", "parser failed on this file (ValueError)"),
])
def test_a_poison_file_is_quarantined_with_the_limit_it_hit_and_its_batch_still_parses(poison, words):
    workers = ParseWorkers(2, LIMITS, hostile_parse)
    try:
        started = time.perf_counter()
        batch = [GOOD, poison, GOOD, GOOD]
        parsings = [workers.submit("gofood", data, f"gofood/{i}.csv") for i, data in enumerate(batch)]
        outcomes = []
        for parsing in parsings:
            try:
                outcomes.append(parsing.result().rows_loaded)
            except QuarantineError as error:
                outcomes.append(str(error))
        seconds = time.perf_counter() - started
    finally:
        workers.shutdown()
    assert outcomes[0] == outcomes[2] == outcomes[3] == 1
    assert words in outcomes[1]
    assert "3374012345678901" not in outcomes[1]   # never the exception's message: it may quote a cell
    assert seconds < LIMITS.seconds + 15


def test_a_dead_pool_is_replaced_for_the_files_after_it():
    workers = ParseWorkers(1, LIMITS, hostile_parse)
    try:
        with pytest.raises(QuarantineError, match="SIGABRT"):
            workers.submit("gofood", b"abort", "gofood/a.csv").result()
        assert workers.submit("gofood", GOOD, "gofood/b.csv").result().rows_loaded == 1
    finally:
        workers.shutdown()


def test_parse_alone_returns_the_rows_of_a_good_file_and_the_reason_of_a_bad_one():
    assert parse_alone("gofood", GOOD, "gofood/a.csv", LIMITS).rows_loaded == 1
    with pytest.raises(QuarantineError, match="empty"):
        parse_alone("gofood", b"", "gofood/a.csv", LIMITS)


def parent_of_worker(source, data: bytes, path: str) -> int:
    return os.getppid()


def test_the_parse_server_started_ahead_is_the_one_the_workers_fork_from():
    start_parse_server()   # what a run's load step does first, before it lists and settles the files
    server = multiprocessing.forkserver._forkserver._forkserver_pid
    os.kill(server, 0)     # alive (raises if not)
    start_parse_server()   # again: the same server
    assert multiprocessing.forkserver._forkserver._forkserver_pid == server
    workers = ParseWorkers(1, LIMITS, parent_of_worker)
    try:
        assert workers.submit("gofood", GOOD, "gofood/0.csv").result() == server
    finally:
        workers.shutdown()
