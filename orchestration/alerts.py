"""Where failure alerts go: a webhook when UMKM_ALERT_WEBHOOK_URL is set, else a log file.

Pure Python (no Dagster), so the sink is tested directly. The log file defaults to
`data/alerts.log` (UMKM_ALERT_LOG overrides it); one JSON object a line.
"""

import json
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

from ingest.settings import Settings


def alert_log_path() -> Path:
    return Settings.from_env().alert_log


def send_alert(payload: dict) -> str:
    """Deliver one alert; returns where it went. A webhook that fails falls back to the log."""
    payload = {"sent_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), **payload}
    url = Settings.from_env().alert_webhook_url
    if url:
        request = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10):
                return url
        except OSError as error:
            payload["webhook_error"] = str(error)[:200]
    path = alert_log_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(payload, ensure_ascii=False) + "\n")
    return str(path)
