"""List the landing zone cheaply: which files are ready, and which source each belongs to."""

from __future__ import annotations

import hashlib
import json
import os
import stat as stat_module
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
    problem: str | None = None  # why this entry is never opened (a link, a pipe, a name that is
                                # not UTF-8); the loader quarantines it with this reason

    def absolute(self, landing_dir: Path) -> Path:
        return landing_dir / self.path


def source_of(path: str) -> str | None:
    """The source a landing path belongs to: its first folder, when that is a known source."""
    first, _, rest = path.partition("/")
    return first if first in SOURCES and rest else None


def is_temporary(name: str) -> bool:
    """Office lock files, partial downloads and hidden files are never read."""
    return name.startswith(("~$", ".")) or name.lower().endswith(TEMP_SUFFIXES)


SYMLINK_PROBLEM = ("symbolic link: not followed, so nothing outside the landing zone is read "
                   "(copy the file itself into the landing zone)")
SPECIAL_PROBLEM = "not a regular file (a named pipe, socket or device): not read"
NAME_PROBLEM = "the file name is not valid UTF-8: not read (rename the file)"


def scan_landing(landing_dir: Path, settle_seconds: float = 0.0, now: float | None = None,
                 include_unreadable: bool = False) -> list[LandingFile]:
    """Every settled, non-temporary regular file, oldest first (the landing order).

    Only `os.scandir` metadata is read. Symlinks are not followed, so nothing outside the
    landing zone is ever opened. With `include_unreadable`, symlinks (to files or folders),
    pipes and other special files, and entries whose name is not valid UTF-8 are listed too,
    with `problem` set, so the loader can record them instead of skipping them silently;
    their path is the name with undecodable bytes escaped (`\\xff`).
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
                if is_temporary(entry.name):
                    continue
                relative = Path(entry.path).relative_to(landing_dir).as_posix()
                problem = _problem_of(entry, relative)
                if problem is None and entry.is_dir(follow_symlinks=False):
                    stack.append(Path(entry.path))
                    continue
                if problem is not None and not include_unreadable:
                    continue
                try:
                    stat = entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue  # gone since the listing
                if now - max(stat.st_mtime, stat.st_ctime) < settle_seconds:
                    continue  # may still be being written
                if problem is not None:
                    relative = printable_path(relative)
                found.append(LandingFile(relative, source_of(relative), stat.st_size, stat.st_mtime,
                                         stat.st_ctime_ns, problem))
    return sorted(found, key=lambda f: (f.mtime, f.path))


def _problem_of(entry: os.DirEntry, relative: str) -> str | None:
    try:
        relative.encode("utf-8")
    except UnicodeEncodeError:
        return NAME_PROBLEM
    if entry.is_symlink():
        return SYMLINK_PROBLEM
    if entry.is_dir(follow_symlinks=False) or entry.is_file(follow_symlinks=False):
        return None
    return SPECIAL_PROBLEM


def printable_path(relative: str) -> str:
    """A path whose name bytes are not UTF-8, with those bytes escaped: `bad-\\xff.csv`."""
    return os.fsencode(relative).decode("utf-8", "backslashreplace")


def stat_landing_file(landing_dir: Path, path: str) -> LandingFile | None:
    """One landing entry by its relative path, or None when it is gone or a folder.

    A regular file comes back as is; a symlink, pipe or undecodable name comes back with
    `problem` set (so a file swapped for a link since the listing is recorded, never read).
    """
    try:
        stat = os.lstat(landing_dir / path)
        relative = path
    except (FileNotFoundError, NotADirectoryError):
        found = _find_escaped(landing_dir, path) if "\\x" in path else None
        if found is None:
            return None
        relative, stat = found
    if stat_module.S_ISDIR(stat.st_mode):
        return None
    problem = (NAME_PROBLEM if relative != path else SYMLINK_PROBLEM if stat_module.S_ISLNK(stat.st_mode)
               else None if stat_module.S_ISREG(stat.st_mode) else SPECIAL_PROBLEM)
    return LandingFile(path, source_of(path), stat.st_size, stat.st_mtime, stat.st_ctime_ns, problem)


def _find_escaped(landing_dir: Path, path: str):
    """The real (undecodable) name behind an escaped landing path, with its lstat."""
    parent = path.rpartition("/")[0]
    for entry in _entries(landing_dir / parent if parent else landing_dir):
        relative = Path(entry.path).relative_to(landing_dir).as_posix()
        if printable_path(relative) == path:
            return relative, entry.stat(follow_symlinks=False)
    return None


def _entries(folder: Path) -> list[os.DirEntry]:
    try:
        with os.scandir(folder) as entries:
            return list(entries)
    except (FileNotFoundError, NotADirectoryError):
        return []


def unreadable_sha(landing_file: LandingFile) -> str:
    """A version id for an entry that is never read: its problem and metadata, not its bytes."""
    return sha256_of(f"not read|{landing_file.problem}|{landing_file.size}|{landing_file.mtime}".encode())


def read_landing_bytes(landing_dir: Path, path: str) -> bytes:
    """A landing file's bytes, opened without following any link, inside the landing dir only.

    Each folder is opened relative to the previous one with O_NOFOLLOW, so a link swapped in
    after the listing fails here (OSError) instead of being read.
    """
    parts = path.split("/")
    if path.startswith("/") or any(part in ("", ".", "..") for part in parts):
        raise OSError(f"not a path inside the landing zone: {path}")
    nofollow, nonblock = getattr(os, "O_NOFOLLOW", 0), getattr(os, "O_NONBLOCK", 0)
    if os.open not in os.supports_dir_fd:  # no openat (Windows): check, then open
        absolute = landing_dir / path
        if absolute.is_symlink() or not absolute.is_file():
            raise OSError(f"not a regular file: {path}")
        return absolute.read_bytes()
    folder = os.open(landing_dir, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        for part in parts[:-1]:
            inner = os.open(part, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | nofollow, dir_fd=folder)
            os.close(folder)
            folder = inner
        handle = os.open(parts[-1], os.O_RDONLY | nofollow | nonblock, dir_fd=folder)
    finally:
        os.close(folder)
    with os.fdopen(handle, "rb") as file:
        if not stat_module.S_ISREG(os.fstat(file.fileno()).st_mode):
            raise OSError(f"not a regular file: {path}")
        return file.read()


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
