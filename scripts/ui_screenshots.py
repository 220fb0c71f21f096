"""Screenshots of the Dagster UI (asset graph and the latest run) with headless Chromium.

    .venv/bin/python scripts/ui_screenshots.py [--port 3333] [--out docs/screenshots]

Starts `dagster-webserver` on the project's workspace and DAGSTER_HOME (.dagster_home unless
set), takes the pictures, stops it. Needs Debian's chromium (`apt-get install chromium`).
Run `make demo` first so there is a run to show (and drop a file under `make ui` for the
sensor's run).
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars"]


def wait_for(url: str, seconds: float = 90) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(1)
    raise SystemExit(f"{url} did not answer within {seconds:.0f}s")


def screenshot(chromium: str, url: str, path: Path, size: str = "1600,1000") -> None:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={size}",
                        "--virtual-time-budget=20000", f"--screenshot={path}", url],
                       check=True, capture_output=True, timeout=120)
    print(f"{path} <- {url}")


def latest_run_id(job_name: str, tags: dict[str, str] | None = None) -> str | None:
    import dagster as dg
    runs = dg.DagsterInstance.get().get_runs(
        filters=dg.RunsFilter(job_name=job_name, statuses=[dg.DagsterRunStatus.SUCCESS], tags=tags or {}), limit=1)
    return runs[0].run_id if runs else None


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=3333)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        raise SystemExit("chromium not found: apt-get install chromium")
    os.environ.setdefault("DAGSTER_HOME", str(ROOT / ".dagster_home"))
    args.out.mkdir(parents=True, exist_ok=True)
    webserver = subprocess.Popen([str(Path(sys.executable).parent / "dagster-webserver"), "-w",
                                  str(ROOT / "workspace.yaml"), "-h", "127.0.0.1", "-p", str(args.port)],
                                 cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{args.port}"
        wait_for(f"{base}/server_info")
        screenshot(chromium, f"{base}/asset-groups", args.out / "asset-graph.png", "1800,1100")
        location = "__repository__@orchestration.definitions:defs"  # workspace.yaml: module:attribute
        for group in ("ingest", "dbt"):
            screenshot(chromium, f"{base}/locations/{location}/asset-groups/{group}/lineage",
                       args.out / f"asset-group-{group}.png", "1800,1100")
        # a run the landing sensor started for a dropped file (`make ui`), and the latest full_refresh
        for tags, name in (({"dagster/sensor_name": "landing_file_sensor"}, "run-from-sensor.png"),
                           ({}, "run-full-refresh.png")):
            run_id = latest_run_id("full_refresh", tags)
            if run_id:
                screenshot(chromium, f"{base}/runs/{run_id}", args.out / name)
        screenshot(chromium, f"{base}/overview/automation", args.out / "automation.png")
    finally:
        webserver.terminate()
        webserver.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
