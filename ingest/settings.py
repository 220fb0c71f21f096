"""Settings from the environment (a `.env` file in the working directory is read first).

Every `UMKM_*` variable is read here and nowhere else; the README lists them with their defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from dotenv import load_dotenv

# Only for trying the project out: production sets UMKM_HASH_SALT (see README).
DEMO_SALT = "umkm-demo-salt-not-for-production"


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    warehouse_path: Path
    serving_dir: Path
    hash_salt: str
    settle_seconds: float
    docs_dir: Path | None = None            # None: `docs/` beside the warehouse (see `docs_beside`)
    feed_stale_days: float = 7.0            # a partner feed without a new file for this long is stale
    postgres_url: str | None = None         # libpq URL: each publication also goes to PostgreSQL ...
    postgres_schema: str = "marts"          # ... into this schema ...
    postgres_reader: str = "umkm_reader"    # ... readable by this read-only role ("": none) ...
    postgres_reader_password: str | None = None   # ... with this password (set when given)
    alert_webhook_url: str | None = None    # failure alerts are POSTed here when set ...
    alert_log: Path = Path("data/alerts.log")   # ... else appended here, one JSON object a line
    parse_memory_mb: int = 3072             # memory one landing file's parse may take ...
    parse_seconds: float = 300.0            # ... and time: past either, the file is quarantined

    @property
    def salt_is_demo(self) -> bool:
        return self.hash_salt == DEMO_SALT

    def docs_beside(self, warehouse_path: Path) -> Path:
        """Where the docs go for a warehouse: UMKM_DOCS_DIR, else `docs/` beside that warehouse."""
        return self.docs_dir if self.docs_dir is not None else Path(warehouse_path).resolve().parent / "docs"

    @classmethod
    def from_env(cls) -> Settings:
        load_dotenv(Path.cwd() / ".env", override=False)
        env = os.environ
        return cls(
            landing_dir=Path(env.get("UMKM_LANDING_DIR", "data/landing")).resolve(),
            warehouse_path=Path(env.get("UMKM_WAREHOUSE_PATH", "data/warehouse.duckdb")).resolve(),
            serving_dir=Path(env.get("UMKM_SERVING_DIR", "data/serving")).resolve(),
            hash_salt=env.get("UMKM_HASH_SALT") or DEMO_SALT,
            settle_seconds=float(env.get("UMKM_SETTLE_SECONDS", "5")),
            docs_dir=Path(env["UMKM_DOCS_DIR"]).resolve() if env.get("UMKM_DOCS_DIR") else None,
            feed_stale_days=float(env.get("UMKM_FEED_STALE_DAYS", "7")),
            postgres_url=env.get("UMKM_POSTGRES_URL") or None,
            postgres_schema=env.get("UMKM_POSTGRES_SCHEMA") or "marts",
            postgres_reader=env.get("UMKM_POSTGRES_READER", "umkm_reader"),
            postgres_reader_password=env.get("UMKM_POSTGRES_READER_PASSWORD") or None,
            alert_webhook_url=env.get("UMKM_ALERT_WEBHOOK_URL") or None,
            alert_log=Path(env.get("UMKM_ALERT_LOG", "data/alerts.log")).resolve(),
            parse_memory_mb=int(env.get("UMKM_PARSE_MEMORY_MB", "3072")),
            parse_seconds=float(env.get("UMKM_PARSE_SECONDS", "300")),
        )
