"""Superset settings for the office's dashboards (read by Superset through SUPERSET_CONFIG_PATH).

`bi/start.py` (`make bi`) points Superset here. Everything Superset keeps lives under the BI
home, `UMKM_BI_HOME` (default `data/bi/`): its metadata database (`superset.db`, SQLite) and
its secret key (`secret_key`, generated once, kept, readable by the owner only; it encrypts
the stored database passwords, so keep it with the metadata database).
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

import superset.config as _defaults  # the defaults are already set when this file is read

ROOT = Path(__file__).resolve().parents[1]
BI_HOME = Path(os.environ.get("UMKM_BI_HOME") or ROOT / "data" / "bi").resolve()
BI_HOME.mkdir(parents=True, exist_ok=True)


def _secret_key(path: Path) -> str:
    """The key in `path`, written once (0600) when the file does not exist yet."""
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


SECRET_KEY = _secret_key(BI_HOME / "secret_key")
SQLALCHEMY_DATABASE_URI = f"sqlite:///{BI_HOME / 'superset.db'}?check_same_thread=false"

APP_NAME = "UMKM Jawa Tengah"

# Indonesian number and date formats: Rp 2.500.000.000, 65,33%, 5 Juli 2021.
# A chart asks for money with the d3 format `$,.0f` (the currency below).
D3_FORMAT = {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["Rp ", ""]}
D3_TIME_FORMAT = {
    "dateTime": "%A, %e %B %Y %X",
    "date": "%d/%m/%Y",
    "time": "%H.%M.%S",
    "periods": ["AM", "PM"],
    "days": ["Minggu", "Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu"],
    "shortDays": ["Min", "Sen", "Sel", "Rab", "Kam", "Jum", "Sab"],
    "months": ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
               "Oktober", "November", "Desember"],
    "shortMonths": ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"],
}

# Chart data straight from the serving copy each time: a publication shows at the next refresh.
# (The marts are small; the slowest chart query is in the README.)
DATA_CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}
CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}

# Dashboards are imported from bi/assets at each start; the charts are the office's own.
FEATURE_FLAGS = {"DASHBOARD_RBAC": False, "ENABLE_TEMPLATE_PROCESSING": False, "THUMBNAILS": False,
                 "ALERT_REPORTS": False}

# No internet here, and no reason to call home: no telemetry pixel, no map tiles.
TALISMAN_CONFIG = dict(_defaults.TALISMAN_CONFIG)
TALISMAN_CONFIG["content_security_policy"] = {
    **_defaults.TALISMAN_CONFIG["content_security_policy"],
    "img-src": ["'self'", "blob:", "data:"],
    "connect-src": ["'self'"],
}

LOG_LEVEL = logging.WARNING
SUPERSET_WEBSERVER_TIMEOUT = 120
ROW_LIMIT = 50000
