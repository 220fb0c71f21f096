"""List the landing zone cheaply: which files are ready, and which source each belongs to."""

from __future__ import annotations

import hashlib
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
    mtime: float         # seconds since the epoch

    def absolute(self, landing_dir: Path) -> Path:
        return landing_dir / self.path


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
                if now - stat.st_mtime < settle_seconds:
                    continue  # may still be being written
                relative = Path(entry.path).relative_to(landing_dir).as_posix()
                first = relative.split("/", 1)[0]
                source = first if first in SOURCES and "/" in relative else None
                found.append(LandingFile(relative, source, stat.st_size, stat.st_mtime))
    return sorted(found, key=lambda f: (f.mtime, f.path))


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
