"""Sensors: files in (one run loads, checks, builds and publishes what landed), failures out (alerts)."""

import time

import dagster as dg

from ingest.landing import ArrivalCursor, arrivals_since, scan_landing, settle_arrivals, sha256_of_file
from ingest.sighting import Sighting
from orchestration.alerts import send_alert
from orchestration.jobs import full_refresh_job, load_landing_file_job, refresh_marts_job
from orchestration.partitions import landing_files, partition_key, path_of, run_key_of
from orchestration.resources import UmkmSettings

MAX_FILES_PER_TICK = 2000  # watched or hashed; the rest wait a tick; hashing is the only per-file work here
# A file nobody has written for this long is handed out on the tick that finds it so; the run settles
# it (ingest/sighting.py). One still being written is watched across ticks. A file renamed into place
# less than this before a tick waits for the next one, 5 s later: at 1 s that was one drop in five,
# and two of three in a latency benchmark whose drops kept the same phase against the ticks. A
# writer's own pauses are far shorter; one that pauses longer is caught by the run's settle check.
QUIET_SECONDS = 0.5


# The daemon looks at its sensors every 5 s (Dagster's sensor loop); an interval of 5 s here too
# made it skip every other look whenever a look came a little early (ticks 10 s apart, measured).
@dg.sensor(job=full_refresh_job, minimum_interval_seconds=1, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Lists the landing zone (stat only); when file versions it has not seen landed, "
                       "registers each as a landing_files partition and requests one run that loads them "
                       "once unchanged for UMKM_SETTLE_SECONDS, checks, builds what they change and "
                       "publishes (run_key = the versions). A file still being written is watched first.")
def landing_file_sensor(context: dg.SensorEvaluationContext, umkm: UmkmSettings) -> dg.SensorResult:
    # Settled means unchanged, not old. A new file that nobody is writing is handed out on the tick
    # that first lists it, with what the sensor saw (`Sighting`): the run it requests loads it if it
    # is unchanged UMKM_SETTLE_SECONDS later. One being written is watched (in the cursor) and
    # handed out on the next tick that finds its size and times unchanged, its settle time counted
    # from the first look at them. No tick sleeps.
    now = time.time()
    files = scan_landing(umkm.landing, now=now)
    known = set(context.instance.get_dynamic_partitions(landing_files.name))
    previous = ArrivalCursor.from_json(context.cursor)
    arrivals, cursor = arrivals_since(files, previous, MAX_FILES_PER_TICK,
                                      now=now, registered={path_of(key) for key in known})
    handed_out, settled_at, cursor = settle_arrivals(files, arrivals, cursor, umkm.settle_seconds, now=now,
                                                     quiet_seconds=QUIET_SECONDS)
    new_keys, new_files = [], []
    for landing_file in handed_out:
        try:
            sha = sha256_of_file(landing_file.absolute(umkm.landing))
        except FileNotFoundError:
            continue  # removed since the listing: nothing to load
        key = partition_key(landing_file.path, sha)
        if key not in known:   # a registered version was loaded by a run or by `umkm run`
            new_keys.append(key)
            new_files.append(landing_file)
            known.add(key)
    requests = []
    # A run not yet started will load them too, settling them itself (they are not in its tags).
    if new_keys and not _waiting_run(context.instance):
        requests.append(dg.RunRequest(run_key=run_key_of(new_keys),
                                      tags={"landing_paths": ", ".join(path_of(k) for k in new_keys[:5])[:200],
                                            **Sighting.of(new_files, settled_at).to_tags()}))
    return dg.SensorResult(
        run_requests=requests, cursor=cursor.to_json(),
        dynamic_partitions_requests=[landing_files.build_add_request(new_keys)] if new_keys else [])


def _waiting_run(instance: dg.DagsterInstance) -> bool:
    return bool(instance.get_run_records(
        filters=dg.RunsFilter(job_name=full_refresh_job.name,
                              statuses=[dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED]),
        limit=1))


@dg.run_failure_sensor(default_status=dg.DefaultSensorStatus.RUNNING, monitor_all_code_locations=False,
                       description="Sends the failing asset, file and error to the alert sink.")
def alert_on_run_failure(context: dg.RunFailureSensorContext) -> None:
    run = context.dagster_run
    partition = run.tags.get("dagster/partition")
    steps = context.get_step_failure_events()
    send_alert({
        "run_id": run.run_id,
        "job": run.job_name,
        "assets": sorted(key.to_user_string() for key in (run.asset_selection or [])),
        "failed_steps": [event.step_key for event in steps],
        "file": path_of(partition) if partition else run.tags.get("landing_path"),
        "error": (steps[0].event_specific_data.error.message if steps else context.failure_event.message or "")[:500],
    })


@dg.run_status_sensor(run_status=dg.DagsterRunStatus.SUCCESS, monitored_jobs=[load_landing_file_job],
                      request_job=refresh_marts_job, default_status=dg.DefaultSensorStatus.RUNNING,
                      minimum_interval_seconds=10,
                      description="After a file re-loaded from the UI (a landing_files partition), rebuild "
                                  "the marts, unless a rebuild is already waiting to start.")
def refresh_after_file_loads(context: dg.RunStatusSensorContext):
    waiting = context.instance.get_run_records(
        filters=dg.RunsFilter(job_name=refresh_marts_job.name,
                              statuses=[dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED]),
        limit=1)
    if waiting:
        return dg.SkipReason(f"refresh run {waiting[0].dagster_run.run_id} is waiting and will include this load")
    return dg.RunRequest(tags={"triggered_by_run": context.dagster_run.run_id})
