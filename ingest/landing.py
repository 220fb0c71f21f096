"""List the landing zone cheaply: which files are ready, and which source each belongs to."""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from ingest.sources import SOURCES

TEMP_SUFFIXES = (".tmp", ".part", ".crdownload", ".partial", ".swp")


@dataclass(frozen=True)
class LandingFile:
    path: str            # relative to the landing dir, '/'-separated: the file's identity
    source: str | None   # landing sub-folder, None when the file is in no known source folder
    size: int
    mtime: float         # seconds since the epoch: the landing order
    ctime_ns: int = 0    # inode change time: moves on whenever a file is created, copied in or
                         # renamed, even when the copy keeps an old mtime (the sensor's cursor)

    def absolute(self, landing_dir: Path) -> Path:
        return landing_dir / self.path


def source_of(path: str) -> str | None:
    """The source a landing path belongs to: its first folder, when that is a known source."""
    first, _, rest = path.partition("/")
    return first if first in SOURCES and rest else None


def is_temporary(name: str) -> bool:
    """Office lock files, partial downloads and hidden files are never read."""
    return name.startswith(("~$", ".")) or name.lower().endswith(TEMP_SUFFIXES)


def scan_landing(landing_dir: Path, settle_seconds: float = 0.0, now: float | None = None) -> list[LandingFile]:
    """Every settled, non-temporary regular file, oldest first (the landing order).

    Only `os.scandir` metadata is read. Symlinks are not followed, so nothing outside the
    landing zone is ever opened.
    """
    now = time.time() if now is None else now
    found: list[LandingFile] = []
    if not landing_dir.is_dir():
        return found
    stack = [landing_dir]
    while stack:
        folder = stack.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if is_temporary(entry.name) or entry.is_symlink():
                    continue
                if entry.is_dir(follow_symlinks=False):
                    stack.append(Path(entry.path))
                    continue
                if not entry.is_file(follow_symlinks=False):
                    continue
                stat = entry.stat(follow_symlinks=False)
                if now - max(stat.st_mtime, stat.st_ctime) < settle_seconds:
                    continue  # may still be being written
                relative = Path(entry.path).relative_to(landing_dir).as_posix()
                found.append(LandingFile(relative, source_of(relative), stat.st_size, stat.st_mtime,
                                         stat.st_ctime_ns))
    return sorted(found, key=lambda f: (f.mtime, f.path))


def stat_landing_file(landing_dir: Path, path: str) -> LandingFile | None:
    """One landing file by its relative path, or None when it is gone or not a regular file."""
    absolute = landing_dir / path
    if absolute.is_symlink() or not absolute.is_file():
        return None
    stat = absolute.stat()
    return LandingFile(path, source_of(path), stat.st_size, stat.st_mtime, stat.st_ctime_ns)


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_of_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class ArrivalCursor:
    """What the file-arrival sensor has seen, in a few bytes: the newest inode change time it
    handled and the paths handled at exactly that time (ties)."""

    ctime_ns: int = 0
    paths: tuple[str, ...] = ()

    def to_json(self) -> str:
        return json.dumps({"ctime_ns": self.ctime_ns, "paths": list(self.paths)})

    @classmethod
    def from_json(cls, text: str | None) -> "ArrivalCursor":
        if not text:
            return cls()
        data = json.loads(text)
        return cls(int(data["ctime_ns"]), tuple(data["paths"]))


def arrivals_since(files: list[LandingFile], cursor: ArrivalCursor, limit: int
                   ) -> tuple[list[LandingFile], ArrivalCursor]:
    """Settled files created, copied in or changed after the cursor, oldest change first.

    ctime rather than mtime: a file copied in with its original (old) mtime still has a new
    ctime. At most `limit` files a tick; the cursor stops after the last one handed out, so the
    rest come next tick. A file still being written has a newer ctime than any settled file,
    so advancing past settled files never skips it.
    """
    fresh = sorted((f for f in files if f.ctime_ns > cursor.ctime_ns
                    or (f.ctime_ns == cursor.ctime_ns and f.path not in cursor.paths)),
                   key=lambda f: (f.ctime_ns, f.path))[:limit]
    if not fresh:
        return [], cursor
    newest = fresh[-1].ctime_ns
    tied = {f.path for f in fresh if f.ctime_ns == newest}
    if newest == cursor.ctime_ns:
        tied |= set(cursor.paths)
    return fresh, ArrivalCursor(newest, tuple(sorted(tied)))
