"""Settings from the environment (a `.env` file in the working directory is read first)."""

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

    @property
    def salt_is_demo(self) -> bool:
        return self.hash_salt == DEMO_SALT

    @classmethod
    def from_env(cls) -> "Settings":
        load_dotenv(Path.cwd() / ".env", override=False)
        env = os.environ
        return cls(
            landing_dir=Path(env.get("UMKM_LANDING_DIR", "data/landing")).resolve(),
            warehouse_path=Path(env.get("UMKM_WAREHOUSE_PATH", "data/warehouse.duckdb")).resolve(),
            serving_dir=Path(env.get("UMKM_SERVING_DIR", "data/serving")).resolve(),
            hash_salt=env.get("UMKM_HASH_SALT") or DEMO_SALT,
            settle_seconds=float(env.get("UMKM_SETTLE_SECONDS", "5")),
        )
