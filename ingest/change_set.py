"""What changed since the marts were last published: the file ledger's unpublished versions.

The file ledger (`raw.landing_files`) is the one record of what changed. A file version belongs
to the change set from the moment it is recorded (loaded, quarantined, duplicate, or replacing
another version) until a publication of marts built from it sets its `published_at`. dbt
(`int_orders_changed`, the scoped staging tests), the GX checks and the serving copy all read
this one set. A run that stops at any step leaves it as it was, so the next run checks, builds
and publishes the same versions again; each of those steps is idempotent.

`until` bounds the set to what a run saw after its own load: a version loaded later by another
run stays unpublished for that run to check and build.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import duckdb

UNPUBLISHED = "published_at is null"
# Sources whose new versions can change rows no file version of the set names (an enrollment
# moves old orders to another UMKM or program): dbt rebuilds in full, and checks everything.
FULL_REBUILD_SOURCES = frozenset({"enrollment"})


@dataclass(frozen=True)
class ChangedVersion:
    landing_path: str
    sha256: str
    source: str          # ledger source: a landing folder, or 'unknown'
    status: str          # loaded | duplicate | quarantined | superseded


@dataclass(frozen=True)
class ChangeSet:
    versions: tuple[ChangedVersion, ...]
    until: datetime | None      # the newest first_seen it covers (None: empty)
    rebuilt: bool = False       # the marts were built in full from it: any row may have changed

    @property
    def empty(self) -> bool:
        return not self.versions

    @property
    def sources(self) -> frozenset[str]:
        return frozenset(v.source for v in self.versions)

    def loaded(self, sources: set[str] | frozenset[str]) -> list[ChangedVersion]:
        """The loaded versions of these sources: the ones with rows in a raw table."""
        return [v for v in self.versions if v.status == "loaded" and v.source in sources]

    @property
    def paths(self) -> list[str]:
        return sorted({v.landing_path for v in self.versions})

    def describe(self) -> str:
        if self.empty:
            return "nothing new since the last publication"
        counts = {}
        for version in self.versions:
            counts[version.source] = counts.get(version.source, 0) + 1
        return (f"{len(self.versions)} file version(s) not yet published: "
                + ", ".join(f"{n} {source}" for source, n in sorted(counts.items())))


def read_change_set(con: duckdb.DuckDBPyConnection, until: datetime | None = None) -> ChangeSet:
    """The unpublished versions of the ledger (first seen at or before `until`, when given)."""
    bound = "" if until is None else " and first_seen <= ?"
    rows = con.execute(
        f"select landing_path, sha256, source, status, first_seen from raw.landing_files "
        f"where {UNPUBLISHED}{bound} order by first_seen, landing_path",
        [] if until is None else [until]).fetchall()
    versions = tuple(ChangedVersion(path, sha, source, status) for path, sha, source, status, _ in rows)
    return ChangeSet(versions, max((row[4] for row in rows), default=None))


def mark_published(con: duckdb.DuckDBPyConnection, change_set: ChangeSet,
                   published_at: datetime | None = None) -> int:
    """Record that the marts now include every version of `change_set`; returns how many."""
    if change_set.empty:
        return 0
    published_at = published_at or datetime.now(timezone.utc).replace(tzinfo=None)
    count = con.execute(
        f"update raw.landing_files set published_at = ? where {UNPUBLISHED} and first_seen <= ?",
        [published_at, change_set.until]).fetchone()[0]
    return int(count)
