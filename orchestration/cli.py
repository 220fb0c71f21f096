"""`umkm run`, `umkm status`, `umkm demo` and `umkm docs` (marts-contract section 1)."""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from ingest.settings import Settings

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="umkm", description="UMKM impact and turnover pipeline")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="load new landing files, build the marts, publish the serving copy")
    run.add_argument("--quiet", action="store_true", help="print only the summary and errors (no progress)")
    status = commands.add_parser("status", help="what needs a look: the last run, the landing zone, the marts "
                                                "(exit 1 when something does)")
    status.add_argument("--json", action="store_true", help="the same as one JSON object")
    demo = commands.add_parser("demo", help="write a realistic demo landing zone")
    demo.add_argument("--scale", type=int, default=1, help="size multiplier (1 = a small demo)")
    demo.add_argument("--seed", type=int, default=42, help="random seed; same seed, same files")
    demo.add_argument("--new-day", action="store_true",
                      help="write only the GoBiz report of the day after the zone's last day (2022-01-01) "
                           "on top of a zone written with the same scale and seed")
    demo.add_argument("--shopee-csv", action="store_true",
                      help="write every Shopee export as csv (Seller Centre's older format) instead of xlsx")
    commands.add_parser("docs", help="validate the GX suites and write Data Docs and dbt docs to UMKM_DOCS_DIR")
    args = parser.parse_args(argv)
    if args.command == "demo":
        return run_demo(args.scale, args.seed, args.new_day, args.shopee_csv)
    if args.command == "docs":
        return run_docs()
    if args.command == "status":
        from orchestration.status import run_status

        return run_status(dagster_home(), as_json=args.json)
    return run_pipeline(quiet=args.quiet)


def run_demo(scale: int, seed: int, new_day: bool = False, shopee_csv: bool = False) -> int:
    from demo.zone import write_demo_landing, write_new_gobiz_day

    settings = Settings.from_env()
    started = time.perf_counter()
    if new_day:
        path = write_new_gobiz_day(settings.landing_dir, scale=scale, seed=seed)
        rows = path.read_bytes().count(b"\n") - 1
        print(f"new GoBiz day written to {path} ({rows} transactions, {path.stat().st_size} bytes) "
              f"in {time.perf_counter() - started:.1f}s")
        return 0
    summary = write_demo_landing(settings.landing_dir, scale=scale, seed=seed, shopee_csv=shopee_csv)
    print(f"demo landing zone written to {settings.landing_dir} in {time.perf_counter() - started:.1f}s")
    for key, value in summary.items():
        print(f"  {key}: {value}")
    return 0


def dagster_home() -> Path:
    """Runs of `umkm run` land in the same instance `dagster dev` shows (see README)."""
    return Path(os.environ.get("DAGSTER_HOME") or PROJECT_ROOT / ".dagster_home")


def use_project_dagster_home() -> None:
    os.environ["DAGSTER_HOME"] = str(dagster_home())
    dagster_home().mkdir(parents=True, exist_ok=True)


def run_pipeline(quiet: bool = False) -> int:
    """One synchronous pass of the `full_refresh` job, the one the nightly schedule runs; with
    nothing to do (`orchestration.quiet_run`), it says so and prints the summary without it.
    `quiet`: the summary and errors only, no notes or progress."""
    use_project_dagster_home()
    from orchestration.quiet_run import NEW_FILES, work_to_do

    settings = Settings.from_env()
    say = (lambda *_: None) if quiet else print
    if settings.salt_is_demo:
        say("note: UMKM_HASH_SALT is not set; using the demo salt (set it in production, see README)")
    started_at = datetime.now(timezone.utc).replace(tzinfo=None)
    started = time.perf_counter()
    reason = work_to_do(settings)
    if reason is None:
        say(f"umkm run: nothing new in {settings.landing_dir}, no model changed: the marts are current "
            f"(checked in {time.perf_counter() - started:.1f}s)")
        if not catch_up_postgres(settings, say):
            return 1
        print_summaries(settings)
        return 0

    if reason == NEW_FILES:   # its parsers import while Dagster and the definitions do
        from ingest.isolation import start_parse_server
        start_parse_server()
    import dagster as dg

    from orchestration.definitions import build_definitions
    from orchestration.progress import reporter_for
    from orchestration.recovery import release_dead_runs

    log_path = settings.warehouse_path.parent / "logs" / f"umkm-run-{started_at:%Y%m%dT%H%M%S}.log"
    say(f"umkm run: loading {settings.landing_dir} (full log: {log_path})")
    job = build_definitions().resolve_job_def("full_refresh")
    instance = dg.DagsterInstance.get()
    for run_id in release_dead_runs(instance):   # a killed run would hold the warehouse pool forever
        say(f"note: run {run_id} was killed before it finished; released its hold on the warehouse")
    run_id = str(uuid.uuid4())
    with progress_stream() as shown:
        reporter = reporter_for(shown, quiet)
        instance.add_event_listener(run_id, reporter.on_event)
        with reporter, output_to(log_path):  # Dagster's and dbt's step-by-step logs go to the file
            result = job.execute_in_process(instance=instance, raise_on_error=False, run_id=run_id)
    elapsed = time.perf_counter() - started

    print_landing_report(settings, started_at)
    built = {event.asset_key for event in result.get_asset_materialization_events()
             if event.step_key is not None and event.asset_key != dg.AssetKey("landing_reconciliation")}
    checks = [e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    failed_checks = [c for c in checks if not c.passed]
    print(f"\nbuilt {len(built)} assets and ran {len(checks)} checks ({len(failed_checks)} failed) "
          f"in {elapsed:.1f}s")
    for check in failed_checks:
        print(f"  check failed ({check.severity.value}): {check.asset_key.to_user_string()} {check.check_name}")
        for line in (check.description or "").splitlines():   # GX checks: the failed rules, with samples
            print(f"      {line}")
        if "data_docs" in check.metadata:
            print(f"      Data Docs: {check.metadata['data_docs'].value}")
    if not result.success:
        for event in result.all_events:
            if event.is_step_failure:
                error = event.step_failure_data.error
                message = error.message.strip().splitlines()[0] if error else "unknown error"
                print(f"FAILED: step {event.step_key}: {message}", file=sys.stderr)
        return 1
    print_summaries(settings)
    return 0


def run_docs() -> int:
    """GX Data Docs (every suite, validated now) and dbt docs, static and readable offline."""
    from orchestration.assets.dbt import DBT_EXECUTABLE, DBT_PROJECT_DIR
    from quality.docs import build_dbt_docs, build_gx_docs, docs_dir_from_env
    from quality.validate import summarize

    settings = Settings.from_env()
    if not settings.warehouse_path.exists():
        print(f"no warehouse at {settings.warehouse_path}: run `umkm run` first", file=sys.stderr)
        return 1
    os.environ["UMKM_WAREHOUSE_PATH"] = str(settings.warehouse_path)   # dbt's profile reads it
    docs_dir = docs_dir_from_env(settings.warehouse_path)
    results = build_gx_docs(settings.warehouse_path, docs_dir)
    print(summarize(results))
    build_dbt_docs(docs_dir, DBT_EXECUTABLE, DBT_PROJECT_DIR)
    print(f"\ndocs written: {docs_dir / 'index.html'} (Data Docs: {docs_dir / 'gx'}, dbt docs: {docs_dir / 'dbt'})")
    return 0


@contextmanager
def progress_stream():
    """Where the progress goes: this process's stdout as it is now (a terminal, a pipe), kept
    while `output_to` sends the process's own stdout to the log file. A stdout that is no file
    (pytest's capsys) is written to as it is."""
    sys.stdout.flush()
    try:
        fd = os.dup(sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):   # io.UnsupportedOperation is both of the last two
        yield sys.stdout
        return
    with os.fdopen(fd, "w", buffering=1) as stream:
        yield stream


@contextmanager
def output_to(log_path: Path):
    """Send this process's stdout and stderr, and its children's, to a log file for a while."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(log_path, "ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def catch_up_postgres(settings: Settings, say) -> bool:
    """With nothing new to build, PostgreSQL may still hold an older publication than the serving
    copy (it was down when the last run published): publish the serving copy to it now. False
    (with the reason on stderr) when that fails; the DuckDB serving copy is current either way."""
    if not settings.postgres_url:
        return True
    from orchestration.postgres_serving import (PostgresPublishError, PostgresUnavailable, published_version,
                                                publish_to_postgres)
    from orchestration.serving_files import current_version_name

    try:
        held, current = published_version(settings.postgres_url, settings.postgres_schema), \
            current_version_name(settings.serving_dir)
        if held == current:
            return True
        publication = publish_to_postgres(settings.serving_dir, settings.postgres_url, settings.postgres_schema,
                                          settings.postgres_reader or None, settings.postgres_reader_password)
    except (PostgresUnavailable, PostgresPublishError) as error:
        print(f"FAILED: PostgreSQL is behind the serving copy and could not catch up: {error}", file=sys.stderr)
        return False
    say(f"PostgreSQL held serving version {held or 'none'}: caught up to {publication.version} "
        f"({publication.rows_copied} rows copied in {publication.seconds:.1f}s)")
    return True


def print_landing_report(settings: Settings, since: datetime) -> None:
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        rows = con.execute(
            "select status, landing_path, rows_read, rows_loaded, rows_rejected, reason "
            "from raw.landing_files where first_seen >= ? order by status, landing_path", [since]).fetchall()
        totals = con.execute("select count(*) from raw.landing_files where status <> 'superseded'").fetchone()
    finally:
        con.close()
    loaded = [r for r in rows if r[0] == "loaded"]
    print(f"\nlanding files: {len(loaded)} loaded "
          f"({sum(r[3] for r in loaded)} rows, {sum(r[4] for r in loaded)} rejected), "
          f"{sum(r[0] == 'duplicate' for r in rows)} duplicate, "
          f"{sum(r[0] == 'quarantined' for r in rows)} quarantined; "
          f"{totals[0] - len(rows)} already loaded before")
    for status, path, read, _loaded, rejected, reason in rows:
        if status != "loaded" or rejected:
            detail = reason if status != "loaded" else f"{rejected} of {read} rows rejected"
            print(f"  {status:<11} {path}: {detail}")


def print_summaries(settings: Settings) -> None:
    print_program_summary(settings)
    print_intervention_summary(settings)


def print_program_summary(settings: Settings) -> None:
    rows = serving_rows(settings, "select program_id, platform, n_enrolled_umkm, n_active_umkm, n_orders, "
                                  "turnover_idr, turnover_foreign_idr, n_buyer_countries "
                                  "from mart_program_summary order by program_id")
    print_table("program summary (marts.mart_program_summary)",
                ("program", "platform", "enrolled", "active", "orders", "turnover (Rp)", "foreign (Rp)", "countries"),
                [(r[0], r[1], *(rupiah(v) for v in r[2:])) for r in rows], text_columns=2)


def print_intervention_summary(settings: Settings) -> None:
    """Did it help? Per intervention, the UMKM's counted orders (any platform) in the 30 days before
    its event date and in the 30 days from it (marts.mart_intervention_outcomes)."""
    rows = serving_rows(settings, """
        select intervention_type, intervention_id, sum(n_umkm), sum(n_active_before), sum(n_active_after),
            sum(turnover_before_idr), sum(turnover_after_idr)
        from mart_intervention_outcomes
        group by intervention_type, intervention_id
        order by case intervention_type when 'program' then 1 when 'activity' then 2 else 3 end, intervention_id""")
    print_table("did it help? turnover 30 days before vs 30 days after (marts.mart_intervention_outcomes)",
                ("type", "intervention", "UMKM", "active before", "active after", "before (Rp)", "after (Rp)",
                 "change"),
                [(r[0], r[1], *(rupiah(v) for v in r[2:]), change(r[5], r[6])) for r in rows], text_columns=2)


def serving_rows(settings: Settings, sql: str) -> list[tuple]:
    con = duckdb.connect(str(settings.serving_dir / "marts.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def print_table(title: str, header: tuple[str, ...], rows: list[tuple], text_columns: int) -> None:
    """A plain text table: the first `text_columns` left-aligned, the figures right-aligned."""
    table = [header, *rows]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
    print(f"\n{title}")
    for index, row in enumerate(table):
        print("  " + "  ".join(str(cell).ljust(w) if i < text_columns else str(cell).rjust(w)
                               for i, (cell, w) in enumerate(zip(row, widths))))
        if index == 0:
            print("  " + "  ".join("-" * w for w in widths))


def change(before, after) -> str:
    """after vs before as a signed percentage; 'new' when nothing was sold before."""
    before, after = float(before or 0), float(after or 0)
    if before == 0:
        return "new" if after else "-"
    return f"{(after - before) / before:+.0%}"


def rupiah(value) -> str:
    """Indonesian grouping: 1234567 -> 1.234.567."""
    return f"{int(value or 0):,}".replace(",", ".")


if __name__ == "__main__":
    sys.exit(main())
