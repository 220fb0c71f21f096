"""What the file ledger says about the versions a load is planning, kept current as they are planned."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    from ingest.raw_load import Version


@dataclass
class LedgerView:
    """What the ledger says about the versions being loaded, kept current as they are planned
    (the loader is the only writer while it holds the warehouse).

    `extend` reads what the table holds about more versions, in one query; what this load has
    planned (`record`) wins over the table, which may not have it yet (parse-ahead plans a
    batch before the previous one is written)."""

    current: dict[str, tuple[str, datetime]] = field(default_factory=dict)   # path -> live (sha256, first_seen)
    rows: set[tuple[str, str]] = field(default_factory=set)   # (path, sha256) ledger rows, whatever their status
    loaded: dict[str, list[str]] = field(default_factory=dict)   # sha256 -> paths where these bytes are loaded
    recorded: set[str] = field(default_factory=set)           # paths planned by this load

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection, versions: list[Version]) -> LedgerView:
        return cls().extend(con, versions)

    def extend(self, con: duckdb.DuckDBPyConnection, versions: list[Version]) -> LedgerView:
        found = con.execute(
            "select landing_path, sha256, status, first_seen from raw.landing_files "
            "where landing_path in (select unnest(?::varchar[])) "
            "or (status = 'loaded' and sha256 in (select unnest(?::varchar[]))) order by first_seen",
            [sorted({v.file.path for v in versions}), sorted({v.sha256 for v in versions})]).fetchall()
        for path, sha, status, first_seen in found:
            self.rows.add((path, sha))
            if path in self.recorded:
                continue
            if status != "superseded":
                self.current[path] = (sha, first_seen)
            if status == "loaded" and path not in self.loaded.get(sha, ()):
                self.loaded.setdefault(sha, []).append(path)
        return self

    def twin(self, sha: str, path: str) -> str | None:
        """Another path whose version with these bytes is loaded."""
        return next((other for other in self.loaded.get(sha, ()) if other != path), None)

    def record(self, path: str, sha: str, status: str, now: datetime) -> None:
        old = self.current.get(path)
        if old is not None and path in self.loaded.get(old[0], ()):
            self.loaded[old[0]].remove(path)      # superseded (or replaced by itself)
        self.current[path] = (sha, now)
        self.rows.add((path, sha))
        self.recorded.add(path)
        if status == "loaded":
            self.loaded.setdefault(sha, []).append(path)
