"""The pipeline's settings as a Dagster resource, built from the environment."""


from pathlib import Path

import dagster as dg

from ingest.isolation import ParseLimits
from ingest.settings import Settings


class UmkmSettings(dg.ConfigurableResource):
    """Where the landing zone, warehouse and serving copy are, and the UMKM key salt."""

    landing_dir: str
    warehouse_path: str
    serving_dir: str
    hash_salt: str
    settle_seconds: float = 5.0
    parse_memory_mb: int = 3072
    parse_seconds: float = 300.0

    @classmethod
    def from_env(cls) -> "UmkmSettings":
        settings = Settings.from_env()
        return cls(landing_dir=str(settings.landing_dir), warehouse_path=str(settings.warehouse_path),
                   serving_dir=str(settings.serving_dir), hash_salt=settings.hash_salt,
                   settle_seconds=settings.settle_seconds, parse_memory_mb=settings.parse_memory_mb,
                   parse_seconds=settings.parse_seconds)

    @property
    def parse_limits(self) -> ParseLimits:
        return ParseLimits(self.parse_memory_mb, self.parse_seconds)

    @property
    def landing(self) -> Path:
        return Path(self.landing_dir)

    @property
    def warehouse(self) -> Path:
        return Path(self.warehouse_path)

    @property
    def serving(self) -> Path:
        return Path(self.serving_dir)
