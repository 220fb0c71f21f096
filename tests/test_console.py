"""The operator's console, as an operator meets it: `umkm run` on a terminal, in a pipe and with
`--quiet`, and `umkm status` before and after the zone is put right.

One landing zone (tests/test_pipeline_e2e.py's hand-built files, without the UVO export, with its
binary `gofood/broken.csv`), three runs in order, each in a subprocess:
1. under a pseudo-terminal: the live progress; then `umkm status` names the quarantined file and
   the stale UVO feed, and exits 1;
2. piped, after the UVO export lands and a corrected `broken.csv` replaces the bad one: plain
   lines, no control characters; then `umkm status` exits 0;
3. `--quiet`, after one more GoBiz report: the summary only.
And `umkm status` on a demo-sized warehouse (`umkm demo`'s zone, loaded) answers in under 2 s.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import struct
import subprocess
import termios
import time
from pathlib import Path

import pytest

from demo.zone import write_demo_landing
from ingest.raw_load import load_new_files
from tests.filemakers import csv_bytes
from tests.runs import UMKM, run_env
from tests.test_parsers import GOBIZ_HEADER, gobiz_row
from tests.test_pipeline_e2e import build_landing, put

UVO = "uvo/expo_2021.json"
BROKEN = "gofood/broken.csv"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")   # anything but \t and \n


def in_pty(args: list[str], env: dict, cwd: Path, timeout: float = 900) -> tuple[int, str]:
    """Run a command on a pseudo-terminal of 120 x 40, as a person's shell would; all it printed."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    process = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd,
                               start_new_session=True)
    os.close(slave)
    chunks, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            data = os.read(master, 65536)
        except OSError:   # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return process.wait(timeout=60), b"".join(chunks).decode(errors="replace")


def umkm(root: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(UMKM), *args], env=run_env(root, **env), cwd=root, capture_output=True, text=True,
                          timeout=900)


@pytest.fixture(scope="module")
def zone(tmp_path_factory):
    root = tmp_path_factory.mktemp("console")
    landing = root / "landing"
    build_landing(landing)
    uvo = (landing / UVO).read_bytes()
    (landing / UVO).unlink()
    code, shown = in_pty([str(UMKM), "run"], run_env(root, TERM="xterm-256color"), root)
    return {"root": root, "uvo": uvo, "first": (code, shown)}


def test_a_terminal_sees_the_file_counter_and_each_step(zone):
    code, shown = zone["first"]
    assert code == 0, shown[-3000:]
    assert "\x1b[" in shown                                  # drawn live by rich
    text = ANSI.sub("", shown)
    assert re.search(r"load\s.*\b7 of 7 files, [\d,]+ rows \([\d,]+ rows/s\)", text), text[-3000:]
    for step in ("raw checks", "dbt build", "mart checks", "publication"):
        assert step in text
    assert re.search(r"dbt build\s.*\b(\d+) of \1 models and seeds, [1-9][\d,]* tests", text)   # dbt's own tests
    assert "program summary" in text                         # then the summary, as before


def test_status_names_the_quarantined_file_and_the_stale_feed(zone):
    done = umkm(zone["root"], "status")
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{BROKEN}: " in done.stdout
    assert "stale feed uvo: no file loaded yet" in done.stdout
    assert "last run       success" in done.stdout


def test_status_json_parses(zone):
    done = umkm(zone["root"], "status", "--json")
    found = json.loads(done.stdout)
    assert done.returncode == found["exit_code"] == 1
    assert [q["path"] for q in found["quarantined"]] == [BROKEN]
    assert [f["feed"] for f in found["stale_feeds"]] == ["uvo"]
    assert found["last_run"]["status"] == "SUCCESS" and found["serving_published_at"]


def test_a_pipe_gets_one_plain_line_per_step(zone):
    root = zone["root"]
    put(root / "landing", UVO, zone["uvo"], 1_700_000_000)
    fixed = csv_bytes([GOBIZ_HEADER, gobiz_row("T90", "2021-09-20T03:00:00Z", "10000", merchant="G-A")])
    put(root / "landing", BROKEN, fixed, 1_700_000_001)
    done = umkm(root, "run")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert not CONTROL.search(done.stdout + done.stderr)
    lines = done.stdout.splitlines()
    assert re.compile(r"load: done, 2 of 2 files, [\d,]+ rows \([\d,]+ rows/s\) \(\d+\.\ds\)").fullmatch(
        next(line for line in lines if line.startswith("load:")))
    for step in ("raw checks", "dbt build", "mart checks", "publication"):
        assert sum(line.startswith(f"{step}: ") for line in lines) == 1, step


def test_status_is_clean_after_the_zone_is_put_right(zone):
    done = umkm(zone["root"], "status")
    assert done.returncode == 0, done.stdout
    assert "all good: nothing needs a look" in done.stdout


def test_quiet_prints_only_the_summary(zone):
    root = zone["root"]
    report = csv_bytes([GOBIZ_HEADER, gobiz_row("T91", "2021-09-21T03:00:00Z", "20000", merchant="G-A")])
    put(root / "landing", "gofood/gobiz_2021-09-21.csv", report, 1_700_000_002)
    done = umkm(root, "run", "--quiet")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert done.stdout.startswith("\nlanding files: 1 loaded"), done.stdout[:500]
    assert "program summary" in done.stdout
    assert not re.search(r"^(umkm run|note|load|dbt build|publication):", done.stdout, re.M)
    assert done.stderr == ""


def test_status_answers_in_under_two_seconds_on_the_demo_warehouse(zone, tmp_path):
    """The demo zone (300 files, 31,000 rows, quarantined files and rejected rows), loaded; the
    Dagster instance is the one of the runs above."""
    write_demo_landing(tmp_path / "landing", scale=1, seed=42)
    env = run_env(tmp_path, DAGSTER_HOME=str(zone["root"] / "dagster_home"))
    load_new_files(tmp_path / "warehouse.duckdb", tmp_path / "landing", env["UMKM_HASH_SALT"])
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        done = subprocess.run([str(UMKM), "status"], env=env, cwd=tmp_path, capture_output=True, text=True,
                              timeout=60)
        timings.append(time.perf_counter() - started)
        assert done.returncode == 1 and "quarantined    4 file(s)" in done.stdout, done.stdout + done.stderr
    assert min(timings) < 2.0, timings
