"""The `umkm run`s that tests/test_corpus.py and tests/test_concurrency_crash_replay.py check, started together.

A run costs ~20 s of CPU (Dagster, dbt build, GX checks); started side by side at the first
request, four of them take about the wall time of two. Each runs in a subprocess on its own
folders; output goes to files (a full pipe would stall a run nobody is reading yet).

- `corpus`:    the hand-built good files + every file of tests/corpus.py (with an inotify watch
               on the folder outside the landing zone that links point to);
- `base`:      the hand-built landing zone of tests/test_pipeline_e2e.py;
- `clean_big`: the same + a large GoBiz report, from nothing;
- `replay`:    `base`'s files delivered twice in shuffled batches with corrections (the first
               batch loaded before the run starts).
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from ingest.raw_load import load_new_files
from tests import corpus
from tests.filemakers import csv_bytes
from tests.runs import PROJECT, UMKM, OpenWatch, copy_landing, inotify_available, run_env
from tests.test_parsers import GOBIZ_HEADER, gobiz_row
from tests.test_pipeline_e2e import build_landing

CORPUS_SALT = "corpus-salt-7f3a9c"
BIG_ROWS = 150_000                 # more than one DuckDB row group: written before the commit
BIG_PATH = "gofood/gobiz_2021-10_all_merchants.csv"
BIG_MTIME = 1_633_000_000          # after every hand-built file: the latest landed


@dataclass
class Run:
    root: Path
    process: subprocess.Popen
    extra: dict = field(default_factory=dict)
    returncode: int | None = None
    stdout: str = ""
    stderr: str = ""

    def wait(self, timeout: float = 900) -> Run:
        if self.returncode is None:
            self.returncode = self.process.wait(timeout=timeout)
            self.stdout = (self.root / "stdout.txt").read_text(errors="replace")
            self.stderr = (self.root / "stderr.txt").read_text(errors="replace")
        return self

    def check(self) -> Run:
        self.wait()
        assert self.returncode == 0, self.stdout[-3000:] + self.stderr[-3000:]
        return self


def start_run(root: Path, **extra_env: str) -> Run:
    """`umkm run` in the background, as an operator starts it (own session: killable as a group)."""
    with open(root / "stdout.txt", "wb") as out, open(root / "stderr.txt", "wb") as err:
        process = subprocess.Popen([str(UMKM), "run"], env=run_env(root, **extra_env), cwd=root, stdout=out,
                                   stderr=err, start_new_session=True)
    return Run(root, process)


def put(root: Path, relative: str, data: bytes, mtime: float) -> None:
    path = root / "landing" / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (mtime, mtime))


def big_gobiz(rows: int = BIG_ROWS) -> bytes:
    """A month of GoBiz transactions; merchant G-A is enrolled, so program marts move."""
    body = [gobiz_row(f"BIG-{i:07d}", f"2021-10-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z",
                      f"{1000 * (1 + i % 300):,}", merchant="G-A" if i % 3 == 0 else f"G-{i % 97}")
            for i in range(rows)]
    return csv_bytes([GOBIZ_HEADER, *body], bom=True)


def prepare_corpus(root: Path) -> dict:
    landing, outside = root / "landing", root / "outside"
    build_landing(landing)                       # the hand-built good files of the e2e test
    (landing / "gofood" / "broken.csv").unlink()  # (the corpus has plenty of those)
    cases = corpus.write_corpus(landing, outside)
    (landing / "gofood" / "~$lock.csv").write_bytes(b"x")   # temporary names: ignored by contract
    (landing / "uvo" / "upload.json.part").write_bytes(b"{")
    watch = OpenWatch([outside, outside / "shop"]) if inotify_available() else None
    return {"cases": cases, "watch": watch}


def prepare_replay(root: Path, clean_landing: Path) -> dict:
    """Every file delivered twice (another name, same bytes), in shuffled batches, and three files
    first in a wrong version that a corrected one replaces. The first batch is loaded here (the
    loader `umkm run` uses, without the dbt build); the second waits for `umkm run`."""
    files = {p.relative_to(clean_landing).as_posix(): (p.read_bytes(), p.stat().st_mtime)
             for p in clean_landing.rglob("*") if p.is_file()}

    def copy_name(path: str) -> str:
        stem, _, suffix = path.rpartition(".")
        return f"{stem} (salinan).{suffix}"

    wrong = {
        "gofood/gobiz_2021-09.csv": csv_bytes([GOBIZ_HEADER, gobiz_row("T1", "2021-09-05T03:00:00Z", "999.000"),
                                               gobiz_row("T99", "2021-09-06T03:00:00Z", "123.000", merchant="G-A")]),
        "uvo/expo_2021.json": files["uvo/expo_2021.json"][0].replace(b'"nilai": 1000', b'"nilai": 1'),
        "enrollment/peserta.csv": files["enrollment/peserta.csv"][0].replace(b"01/09/2021", b"01/01/2021"),
    }
    assert all(wrong[p] != files[p][0] for p in wrong)
    deliveries = [(path, data, mtime) for path, (data, mtime) in files.items()]
    deliveries += [(copy_name(path), data, mtime) for path, (data, mtime) in files.items()]
    random.Random(6).shuffle(deliveries)
    first = [d for d in deliveries[: len(deliveries) // 2] if d[0] not in wrong]
    second = [d for d in deliveries if d not in first]
    for path, data in wrong.items():                       # a day early, later corrected
        put(root, path, data, files[path][1] - 86_400)
    for path, data, mtime in first:
        put(root, path, data, mtime)
    outcomes = load_new_files(root / "warehouse.duckdb", root / "landing", run_env(root)["UMKM_HASH_SALT"])
    for path, data, mtime in second:
        put(root, path, data, mtime)
    return {"wrong": wrong, "first_outcomes": outcomes}


_RUNS: dict[str, Run] = {}


def shared_runs(tmp_path_factory) -> dict[str, Run]:
    """Start the four runs at the first call; every later call gets the same handles."""
    if not _RUNS:
        roots = {name: tmp_path_factory.mktemp(name) for name in ("corpus", "base", "clean_big", "replay")}
        corpus_extra = prepare_corpus(roots["corpus"])
        build_landing(roots["base"] / "landing")
        copy_landing(roots["base"] / "landing", roots["clean_big"] / "landing")
        big = big_gobiz()
        put(roots["clean_big"], BIG_PATH, big, BIG_MTIME)
        replay_extra = prepare_replay(roots["replay"], roots["base"] / "landing")
        targets = PROJECT / "dbt_project" / "target"
        targets_before = set(targets.glob("*"))
        _RUNS["corpus"] = start_run(roots["corpus"], UMKM_HASH_SALT=CORPUS_SALT)
        _RUNS["corpus"].extra = {**corpus_extra, "dbt_targets_before": targets_before}
        for name in ("base", "clean_big", "replay"):
            _RUNS[name] = start_run(roots[name])
        _RUNS["replay"].extra = replay_extra
        _RUNS["clean_big"].extra = {"big_report": big}
    return _RUNS


def copy_state(source: Path, target: Path) -> None:
    """A copy of a pipeline's folders, as a backup restore would give."""
    copy_landing(source / "landing", target / "landing")
    shutil.copy2(source / "warehouse.duckdb", target / "warehouse.duckdb")
    shutil.copytree(source / "serving", target / "serving")
    shutil.copytree(source / "dagster_home", target / "dagster_home")
