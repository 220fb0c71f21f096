"""Issue 16, done when: the loader over the good files of the end-to-end test plus one hostile
file exits 0, loads every good file, quarantines or rejects the hostile one with the right
reason, within 4 GiB for the whole process tree, and a second load does not touch it.

`python -m tests.hostile_zone` prints the same runs as a table (peak memory and time per class).
"""

import pytest

from tests.hostile_zone import MEMORY_BOUND, classes, run_class


@pytest.mark.parametrize("hostile", classes(), ids=lambda hostile: hostile.name)
def test_one_hostile_file_beside_good_ones(hostile, tmp_path):
    outcome = run_class(hostile, tmp_path)
    log = (tmp_path / "load.log").read_text(errors="replace")[-3000:]
    assert outcome.measured.returncode == 0, log
    statuses = {o["path"]: o["status"] for o in outcome.first}
    good = {path: status for path, status in statuses.items() if path != hostile.path}
    assert len(good) == 7 and set(good.values()) == {"loaded"}, good
    mine = outcome.of_hostile
    assert mine["status"] == hostile.status, mine
    if hostile.status == "quarantined":
        assert hostile.words in mine["reason"], mine
    else:   # loaded: the hostile rows rejected with this code, or dropped with this note
        assert (outcome.reject_codes.get(f"{hostile.path} {hostile.words}", 0) >= 1
                or hostile.words in (mine["reason"] or "")), (mine, outcome.reject_codes)
    assert outcome.second == []            # the second load does not even read it
    assert outcome.measured.peak_rss_bytes < MEMORY_BOUND


def test_umkm_run_over_good_files_and_every_hostile_file(tmp_path):
    """As an operator runs it: exit 0, every file its expected outcome, the marts published; the
    second run finds nothing to do (the hostile files are not read again)."""
    import duckdb

    from tests.corpus import hostile_cases
    from tests.runs import umkm_run
    from tests.test_pipeline_e2e import build_landing

    landing = tmp_path / "landing"
    build_landing(landing)
    cases = hostile_cases()
    for case, data in cases:
        (landing / case.path).parent.mkdir(parents=True, exist_ok=True)
        (landing / case.path).write_bytes(data)
    run = umkm_run(tmp_path)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True)
    try:
        ledger = {path: (status, reason or "", loaded) for path, status, reason, loaded in con.execute(
            "select landing_path, status, reason, rows_loaded from raw.landing_files").fetchall()}
        rejects = dict(con.execute("select landing_path || ' ' || reason_code, count(*) from raw.rejected_rows "
                                   "group by all").fetchall())
    finally:
        con.close()
    for case, _ in cases:
        status, reason, loaded = ledger[case.path]
        assert (status, case.reason in reason) == (case.status, True), (case.path, status, reason)
        assert {code: n for code, n in case.rejects.items() if n} == {
            key.split(" ", 1)[1]: n for key, n in rejects.items() if key.split(" ", 1)[0] == case.path}
    assert (tmp_path / "serving" / "marts.duckdb").exists()
    again = umkm_run(tmp_path)
    assert again.returncode == 0 and "nothing" in again.stdout.lower(), again.stdout[-2000:]
