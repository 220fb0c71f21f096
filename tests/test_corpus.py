"""The broken-file corpus (tests/corpus.py) through the parsers, the landing scan, the sensor
and a real `umkm run`: every file quarantined or its bad rows rejected with a reason, the good
files' rows all arriving, row accounting holding, nothing crashing, nothing outside the landing
zone read, and no personal data anywhere but the raw layer."""

from __future__ import annotations

import json
import time
import tracemalloc
from collections import Counter
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from ingest.landing import scan_landing, source_of
from ingest.isolation import parse_landing_file
from ingest.raw_schema import SOURCE_TABLES
from ingest.readers import QuarantineError
from ingest.sources import SOURCES
from tests import corpus
from tests.runs import PROJECT
from tests.shared_runs import CORPUS_SALT as SALT
from tests.shared_runs import shared_runs
from tests.test_pipeline_e2e import BUYER, NIK_A, NIK_B, NIK_C, NIK_D, NIK_E, OWNER_NAMES, PHONES, fx

PARSE_CASES = [c for c in corpus.cases() if corpus.corpus_bytes(c) is not None]
HOSTILE = corpus.hostile_cases()   # issue 16's files: parsed here too


# ---------------------------------------------------------------- parser level (fast, per file)

@pytest.mark.parametrize("case", PARSE_CASES, ids=[c.path for c in PARSE_CASES])
def test_corpus_file_parses_to_its_expected_outcome(case):
    check_parse(case, corpus.corpus_bytes(case))


@pytest.mark.parametrize("case, data", HOSTILE, ids=[c.path for c, _ in HOSTILE])
def test_hostile_file_parses_to_its_expected_outcome(case, data):
    check_parse(case, data)


def check_parse(case: corpus.Case, data: bytes) -> None:
    try:
        result = parse_landing_file(source_of(case.path), data, case.path)
    except QuarantineError as error:
        assert case.status == "quarantined", f"quarantined: {error}"
        assert case.reason in str(error)
        assert not any(n in str(error) for n in corpus.PERSONAL), "a reason must not quote personal data"
        return
    assert case.status == "loaded", f"expected quarantine ({case.reason}), got loaded"
    assert case.reason in "; ".join(result.notes)
    assert dict(Counter(result.rejects.reason_code)) == {k: v for k, v in case.rejects.items() if v}
    assert result.rows_read == result.rows_loaded + result.rows_rejected
    if case.loaded is not None:
        assert result.rows_loaded == case.loaded
    for reason in result.rejects.reason:   # readable sentences, never the personal data itself
        assert len(reason) < 300 and not any(n in reason for n in corpus.PERSONAL), reason


def test_100mb_single_line_is_refused_quickly_without_copies():
    data = b"x;" * (corpus.BIG_LINE_BYTES // 2)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(QuarantineError, match="no line break"):
            parse_landing_file("gofood", data, "gofood/one_line.csv")
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < 2 and peak < 10_000_000   # refused before decoding: no 100 MB copy


def test_csv_fast_and_exact_readers_agree():
    """The C parser is only trusted when the field counts say it saw what the csv module sees."""
    from ingest.csv_reader import read_csv_cells

    text = 'a;b;c\r\n"x;1";"multi\r\nline";""\r\n\r\n2;;"q""uote"\r\n'
    fast = read_csv_cells(text.encode())
    slow = read_csv_cells(text.replace("2;;", "2;;\x00").encode())   # a NUL forces the exact reader
    assert fast.frame.to_dict("records") == [{"a": "x;1", "b": "multi\r\nline", "c": ""},
                                             {"a": "2", "b": "", "c": 'q"uote'}]
    assert slow.frame.iloc[0].to_dict() == fast.frame.iloc[0].to_dict()
    assert slow.row_flags == {1: slow.row_flags[1]} and slow.row_flags[1][0] == "nul_byte"


# ---------------------------------------------------------------- the whole corpus through `umkm run`

@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory):
    """The corpus run of tests/shared_runs.py (started together with the resilience tests' runs)."""
    run = shared_runs(tmp_path_factory)["corpus"].wait()
    watch = run.extra["watch"]
    opened = watch.events() if watch else None
    new_targets = set((PROJECT / "dbt_project" / "target").glob("*")) - run.extra["dbt_targets_before"]
    yield dict(root=run.root, cases=run.extra["cases"], process=run, opened=opened, watch=watch,
               dbt_targets=new_targets)
    if watch:
        watch.close()


def query(root: Path, sql: str, params=None, db="warehouse.duckdb"):
    con = duckdb.connect(str(root / db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_umkm_run_survives_the_corpus(corpus_run):
    process = corpus_run["process"]
    assert process.returncode == 0, process.stdout[-3000:] + process.stderr[-3000:]
    assert "Traceback" not in process.stdout + process.stderr
    assert "quarantined" in process.stdout     # the operator sees what was refused


def test_every_corpus_file_gets_its_expected_outcome(corpus_run):
    root = corpus_run["root"]
    ledger = {path: (status, reason or "", read, loaded, rejected, sha) for path, status, reason, read, loaded,
              rejected, sha in query(root, "select landing_path, status, reason, rows_read, rows_loaded, "
                                           "rows_rejected, sha256 from raw.landing_files")}
    problems = []
    for case in corpus_run["cases"]:
        path = case.ledger_path or case.path
        if path not in ledger:
            problems.append(f"{path}: not in the ledger (lost silently)")
            continue
        status, reason, read, loaded, rejected, sha = ledger[path]
        rejects = dict(query(root, "select reason_code, count(*) from raw.rejected_rows where landing_path = ? "
                                   "and sha256 = ? group by 1", [path, sha]))
        if status != case.status or case.reason not in reason:
            problems.append(f"{path}: {status} ({reason}), expected {case.status} ({case.reason})")
        elif rejects != {k: v for k, v in case.rejects.items() if v}:
            problems.append(f"{path}: rejects {rejects}, expected {case.rejects}")
        elif case.loaded is not None and loaded != case.loaded:
            problems.append(f"{path}: {loaded} rows loaded, expected {case.loaded}")
    assert not problems, "\n".join(problems)
    # temporary names are not files yet: never read, never in the ledger
    assert not [p for p in ledger if p.endswith((".part", "~$lock.csv"))]


def test_row_accounting_holds_for_every_file(corpus_run):
    root = corpus_run["root"]
    tables = {name: SOURCES[name].table for name in SOURCES}
    for path, source, sha, status, read, loaded, rejected in query(
            root, "select landing_path, source, sha256, status, rows_read, rows_loaded, rows_rejected "
                  "from raw.landing_files"):
        [(in_raw,)] = query(root, f"select count(*) from raw.{tables[source]} where landing_path = ? and sha256 = ?",
                            [path, sha]) if source in tables else [(0,)]
        [(in_rejects,)] = query(root, "select count(*) from raw.rejected_rows where landing_path = ? and sha256 = ?",
                                [path, sha])
        assert read == loaded + rejected, path
        assert (in_raw, in_rejects) == ((loaded, rejected) if status == "loaded" else (0, 0)), path
    # every file the loader saw is in the data-quality mart that BI users read
    ledger_paths = {p for (p,) in query(root, "select distinct landing_path from raw.landing_files")}
    mart_paths = {p for (p,) in query(root, "select landing_path from mart_data_quality", db="serving/marts.duckdb")}
    assert mart_paths == ledger_paths


def test_the_good_files_rows_all_arrive(corpus_run):
    root = corpus_run["root"]
    summary = {r[0]: r[1:] for r in query(root, "select program_id, n_orders, turnover_idr from mart_program_summary",
                                          db="serving/marts.duckdb")}
    uvo_foreign = (1000 * fx("2021-05", "SGD") + 100000 * fx("2021-06", "JPY")).quantize(Decimal("0.01"))
    # the hand-worked figures of tests/test_pipeline_e2e.py: the corpus changes none of them
    assert summary == {"gofood_banner_promo": (3, Decimal("170000.00")), "goshop": (1, Decimal("1250000.00")),
                       "shopee_kampus_umkm": (2, Decimal("438000.00")),
                       "uvo_2021": (3, uvo_foreign + Decimal("2000000.00")), "mbizmarket_pbj": (0, Decimal("0.00"))}
    orders = {o for (o,) in query(root, "select order_id from fct_orders", db="serving/marts.duckdb")}
    expected = {"T1", "T3", "O1", "O3", "V1", "V2", "C-N0", "C-X0", "C-D1", "C-D2", "C-C1", "C-T1", "C-RG1",
                "C-S1", "C-S2", "C-F1", "C-F2", "C-R1", "C-R2", "C-R3", "C-UNI", "C-Q1", "C-K1", "C-N1", "C-V1",
                "C-V2", "C-DT1", "C-E1", "C-M1", "C-M2"}
    assert expected <= orders, expected - orders
    # duplicate IDs inside one file count once: the first row of C-D2 (45.000), not the later 99.000
    assert query(root, "select amount_idr from fct_orders where order_id = 'C-D2'", db="serving/marts.duckdb") == [
        (Decimal("45000.00"),)]


def test_nothing_outside_the_landing_zone_is_read(corpus_run):
    root = corpus_run["root"]
    if corpus_run["opened"] is not None:
        assert corpus_run["opened"] == [], "files outside the landing zone were opened"
    for (table,) in query(root, "select table_name from information_schema.tables where table_schema = 'raw'"):
        text = str(query(root, f"select * from raw.{table}"))
        assert corpus.OUTSIDE_MARKER not in text, table
    ledger = dict(query(root, "select landing_path, reason from raw.landing_files where reason like 'symbolic%'"))
    assert set(ledger) == {"gofood/link_outside.csv", "shopee/888"}


def test_scan_landing_lists_the_corpus_and_its_unreadable_entries(corpus_run):
    landing = corpus_run["root"] / "landing"
    regular = {f.path: f for f in scan_landing(landing)}
    everything = {f.path: f for f in scan_landing(landing, include_unreadable=True)}
    unreadable = {p: f.problem for p, f in everything.items() if f.problem}
    assert set(unreadable) == {"gofood/link_outside.csv", "shopee/888", "gofood/pipe.csv", "gofood/bad-name-\\xff.csv"}
    assert not set(unreadable) & set(regular) and not [f for f in regular.values() if f.problem]
    assert set(regular) | set(unreadable) == set(everything)
    assert not [p for p in everything if p.endswith((".part", "~$lock.csv"))]
    if corpus_run["watch"] is not None:
        assert corpus_run["watch"].events() == []


def test_landing_sensor_over_the_corpus(corpus_run):
    """The file-arrival sensor: every readable file version registered, one run asked for them all,
    no crash, nothing outside read."""
    import dagster as dg

    from orchestration.partitions import path_of
    from orchestration.resources import UmkmSettings
    from orchestration.sensors import landing_file_sensor

    root = corpus_run["root"]
    settings = UmkmSettings(landing_dir=str(root / "landing"), warehouse_path=str(root / "sensor.duckdb"),
                            serving_dir=str(root / "sensor_serving"), hash_salt=SALT, settle_seconds=0)
    instance = dg.DagsterInstance.ephemeral()
    context = dg.build_sensor_context(instance=instance, resources={"umkm": settings})
    result = landing_file_sensor(context)
    requested = set()
    for request in result.dynamic_partitions_requests:   # valid partition keys, whatever the names
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
        requested |= {path_of(key) for key in request.partition_keys}
    assert len(result.run_requests) == 1
    regular = {f.path for f in scan_landing(root / "landing")}
    assert requested == regular
    assert not requested & {"gofood/link_outside.csv", "gofood/pipe.csv", "shopee/888"}
    if corpus_run["watch"] is not None:
        assert corpus_run["watch"].events() == []


# ---------------------------------------------------------------- privacy

def personal_needles() -> list[str]:
    return [NIK_A, NIK_B, NIK_C, NIK_D, NIK_E, *OWNER_NAMES, *PHONES, *BUYER[2:], *corpus.PERSONAL]


def test_the_needles_are_in_raw(corpus_run):
    """The privacy scan below is only meaningful if the personal data did arrive (in raw)."""
    root = corpus_run["root"]
    text = "".join(str(query(root, f"select * from raw.{t}")) for t in [*SOURCE_TABLES, "rejected_rows"])
    assert [n for n in personal_needles() if n not in text] == []


def test_no_personal_data_outside_raw_anywhere(corpus_run):
    """Every schema but raw (tables and views), the serving copy and its Parquet files, the Dagster
    storage (event logs, asset and check metadata, compute logs), dbt's logs and target files of
    this run, and what `umkm run` printed. The salt is a secret too."""
    root = corpus_run["root"]
    needles = [*personal_needles(), SALT]
    leaks = []

    def scan(where: str, text: str) -> None:
        found = [n for n in needles if n in text]
        if found:
            leaks.append(f"{where}: {found}")

    con = duckdb.connect(str(root / "warehouse.duckdb"), read_only=True)
    try:
        relations = con.execute("select table_schema, table_name, table_type from information_schema.tables "
                                "where table_schema <> 'raw'").fetchall()
        assert {t for _, _, t in relations} == {"BASE TABLE", "VIEW"} and len(relations) > 20
        for schema, table, _ in relations:
            scan(f"warehouse {schema}.{table}", str(con.execute(f'select * from "{schema}"."{table}"').fetchall()))
    finally:
        con.close()
    serving = root / "serving"
    serving_files = [p for p in serving.rglob("*") if p.is_file()]
    assert any(p.parent.parent.name == "parquet" for p in serving_files)   # the versioned Parquet files too
    for path in serving_files:
        con = duckdb.connect(str(path), read_only=True) if path.suffix == ".duckdb" else duckdb.connect()
        try:
            if path.suffix == ".duckdb":
                for (table,) in con.execute("select table_name from information_schema.tables").fetchall():
                    scan(f"serving {table}", str(con.execute(f'select * from "{table}"').fetchall()))
            elif path.suffix == ".parquet":
                scan(f"serving {path.name}", str(con.execute("select * from read_parquet(?)", [str(path)]).fetchall()))
                scan(f"serving {path.name} metadata",
                     str(con.execute("select * from parquet_kv_metadata(?)", [str(path)]).fetchall()))
            else:
                scan(f"serving {path.name}", path.read_bytes().decode("utf-8", "replace"))
        finally:
            con.close()
    home = root / "dagster_home"
    files = [p for p in home.rglob("*") if p.is_file()]
    assert any(p.suffix == ".db" for p in files), "no Dagster storage to scan"
    for path in files:
        scan(f"dagster {path.relative_to(home)}", path.read_bytes().decode("utf-8", "replace"))
    dbt_files = [p for target in corpus_run["dbt_targets"]
                 for p in ([target] if target.is_file() else target.rglob("*")) if p.is_file()]
    assert any(p.name == "run_results.json" for p in dbt_files) and any(p.name == "dbt.log" for p in dbt_files)
    for path in dbt_files:
        scan(f"dbt {path.name}", path.read_bytes().decode("utf-8", "replace"))
    run_logs = list((root / "logs").glob("*")) if (root / "logs").exists() else []
    for path in run_logs:   # `umkm run` writes Dagster's and dbt's step logs next to the warehouse
        scan(f"run log {path.name}", path.read_bytes().decode("utf-8", "replace"))
    scan("umkm run stdout", corpus_run["process"].stdout)
    scan("umkm run stderr", corpus_run["process"].stderr)
    assert not leaks, "\n".join(leaks)


def test_umkm_keys_use_the_salt_from_the_environment(corpus_run):
    from ingest.identifiers import umkm_key

    keys = {k for (k,) in query(corpus_run["root"], "select umkm_key from dim_umkm", db="serving/marts.duckdb")}
    assert umkm_key(NIK_A, None, SALT) in keys
    assert umkm_key(NIK_A, None, "umkm-demo-salt-not-for-production") not in keys
    assert "demo salt" not in corpus_run["process"].stdout


def test_readme_says_how_to_set_the_salt():
    readme = (PROJECT / "README.md").read_text()
    assert "UMKM_HASH_SALT" in readme and "production" in readme.lower()
    assert json.dumps("secrets.token_hex")[1:-1] in readme


def test_a_second_pass_over_the_corpus_loads_nothing(corpus_run):
    """Links, pipes and odd names are recorded once, like files: the next run finds nothing new."""
    from ingest.raw_load import load_new_files

    root = corpus_run["root"]
    before = query(root, "select * from raw.landing_files order by all")
    assert load_new_files(root / "warehouse.duckdb", root / "landing", SALT) == []
    assert query(root, "select * from raw.landing_files order by all") == before
