"""List the landing zone cheaply: which files are ready, and which source each belongs to."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import stat as stat_module
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

from ingest.sources import SOURCES

TEMP_SUFFIXES = (".tmp", ".part", ".crdownload", ".partial", ".swp")
# A modification time further than this ahead of the loader's clock is noted in the ledger (a
# wrong clock where the file was written, e.g. a network share); a smaller skew is no news.
FUTURE_MTIME_TOLERANCE_SECONDS = 60.0

log = logging.getLogger(__name__)


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
    clock_note: str | None = field(default=None, compare=False)  # the mtime is ahead of the loader's
                                # clock (`future_mtime_note`): the ledger notes it in its reason

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
VANISHED_PROBLEM = "vanished before it could be read (deleted or moved after the listing)"


def scan_landing(landing_dir: Path, settle_seconds: float = 0.0, now: float | None = None,
                 include_unreadable: bool = False) -> list[LandingFile]:
    """Every non-temporary regular file, oldest first (the landing order).

    Only `os.scandir` metadata is read. Symlinks are not followed, so nothing outside the
    landing zone is ever opened. With `include_unreadable`, symlinks (to files or folders),
    pipes and other special files, and entries whose name is not valid UTF-8 are listed too,
    with `problem` set, so the loader can record them instead of skipping them silently;
    their path is the name with undecodable bytes escaped (`\\xff`).

    `now` is the loader's clock (default: the time now), for the note on an mtime ahead of it.
    With `settle_seconds`, only the files seen unchanged for that long are listed: this waits
    (`settle`). The loader and the sensor watch only the files they have not loaded yet.
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
                if problem is not None:
                    relative = printable_path(relative)
                found.append(_landing_file(relative, stat, problem, now))
    if settle_seconds > 0:
        found = settle(landing_dir, found, settle_seconds)
    return sorted(found, key=lambda f: (f.mtime, f.path))


def _landing_file(path: str, stat: os.stat_result, problem: str | None, now: float) -> LandingFile:
    return LandingFile(path, source_of(path), stat.st_size, stat.st_mtime, stat.st_ctime_ns, problem,
                       future_mtime_note(stat.st_mtime, now))


def future_mtime_note(mtime: float, now: float | None = None) -> str | None:
    """The ledger's note on a modification time ahead of the loader's clock, else None.

    Such a file is loaded like any other (settling watches it, its clock is never compared with
    ours); its `file_landed_at` is still that mtime, so the note says why it looks so new."""
    ahead = mtime - (time.time() if now is None else now)
    if not ahead > FUTURE_MTIME_TOLERANCE_SECONDS:
        return None
    try:
        stamp = datetime.fromtimestamp(mtime, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, OSError, ValueError):
        stamp = f"{mtime:.0f} s after 1970"
    return (f"modification time {stamp} is {_span(ahead)} ahead of the loader's clock "
            f"(a wrong clock where the file was written?)")


def _span(seconds: float) -> str:
    for unit, size in (("years", 365.25 * 86400), ("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} seconds"


# ---------------------------------------------------------------- settling: unchanged, not old

def signature(landing_file: LandingFile) -> tuple[int, float, int]:
    """What stays the same while nobody writes a file: size, mtime and inode change time (the
    last moves on any write, even one that puts size and mtime back)."""
    return landing_file.size, landing_file.mtime, landing_file.ctime_ns


# absolute path -> (signature, time.monotonic() when this process first saw the file so)
_SIGHTINGS: dict[str, tuple[tuple[int, float, int], float]] = {}


def watch(landing_dir: Path, files: list[LandingFile]) -> dict[str, float]:
    """{path: when this process first saw the file as it is now (time.monotonic)}, recording now
    for the files it had not seen so. The loader's own observation, kept for the process: `umkm
    run` checks for work, then loads, and the load waits only for what is left of the settle time."""
    now = time.monotonic()
    folder = os.path.abspath(landing_dir)
    firsts = {}
    for landing_file in files:
        key = os.path.join(folder, landing_file.path)
        seen = _SIGHTINGS.get(key)
        if seen is None or seen[0] != signature(landing_file):
            seen = _SIGHTINGS[key] = (signature(landing_file), now)
        firsts[landing_file.path] = seen[1]
    return firsts


def settle(landing_dir: Path, files: list[LandingFile], settle_seconds: float) -> list[LandingFile]:
    """The files (of a listing) whose size, mtime and inode change time stayed the same across
    `settle_seconds` of this process's own observation, as stat'ed at the end of it.

    Nobody's clock is compared with ours, so a file stamped in 2100 or in 1980 settles like any
    other. One wait for all the files, until `settle_seconds` have passed since the latest first
    sighting (`watch`); then each is stat'ed again. A file that changed meanwhile is left out for
    the next run (logged); one that is gone is dropped. Entries with a `problem` are never read,
    so they never wait. `settle_seconds <= 0` is no wait.
    """
    watched = [f for f in files if f.problem is None]
    if settle_seconds <= 0 or not watched:
        return list(files)
    remaining = max(watch(landing_dir, watched).values()) + settle_seconds - time.monotonic()
    if remaining > 0:
        time.sleep(remaining)
    settled = [f for f in files if f.problem is not None]
    for landing_file in watched:
        again = stat_landing_file(landing_dir, landing_file.path)
        if again is None:
            continue   # gone: nothing to load, nothing lost
        if again.problem is None and signature(again) != signature(landing_file):
            watch(landing_dir, [again])
            log.warning("%s is still being written (its size or modification time changed within %g s): "
                        "left for the next run", landing_file.path, settle_seconds)
            continue
        settled.append(again)
    return settled


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
    return _landing_file(path, stat, problem, time.time())


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
    """What the file-arrival sensor has seen, carried from tick to tick in a few bytes.

    - `ctime_ns`: the newest inode change time handled, never ahead of the sensor's clock (a
      file stamped in 2100 would otherwise move it there and hide every later file);
    - `handled`: {path: ctime_ns} of the handled files at or after `ctime_ns` (ties, and files
      stamped ahead of the clock);
    - `watching`: {path: (size, mtime, ctime_ns, first seen)} of the files seen but not yet
      settled: the sensor's own observation, carried across ticks instead of sleeping in one.
    """

    ctime_ns: int = 0
    handled: dict[str, int] = field(default_factory=dict)
    watching: dict[str, tuple[int, float, int, float]] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps({"ctime_ns": self.ctime_ns, "handled": self.handled,
                           "watching": {path: list(seen) for path, seen in self.watching.items()}})

    @classmethod
    def from_json(cls, text: str | None) -> ArrivalCursor:
        if not text:
            return cls()
        data = json.loads(text)
        ctime_ns = int(data["ctime_ns"])
        handled = {path: ctime_ns for path in data.get("paths", ())}   # a cursor of the older format
        handled |= {path: int(ctime) for path, ctime in data.get("handled", {}).items()}
        watching = {path: (int(size), float(mtime), int(ctime), float(since))
                    for path, (size, mtime, ctime, since) in data.get("watching", {}).items()}
        return cls(ctime_ns, handled, watching)


def arrivals_since(files: list[LandingFile], cursor: ArrivalCursor, limit: int, now: float | None = None,
                   registered: set[str] | None = None) -> tuple[list[LandingFile], ArrivalCursor]:
    """Files created, copied in or changed since the cursor, oldest change first, and the cursor
    past them (the files it watches are not arrivals again: `settle_arrivals` follows them).

    ctime rather than mtime: a file copied in with its original (old) mtime still has a new
    ctime. At most `limit` files a tick, less those watched; the cursor stops after the last
    one handed out, so the rest come next tick. Clocks: a ctime ahead of `now` (the sensor's
    clock) never moves the cursor; a path not in `registered` (the paths the sensor has
    registered versions of) is new whatever its ctime, so a file from a share whose clock is
    behind is seen too.
    """
    now_ns = time.time_ns() if now is None else int(now * 1e9)

    def fresh(f: LandingFile) -> bool:
        if f.path in cursor.watching or cursor.handled.get(f.path) == f.ctime_ns:
            return False
        return f.ctime_ns >= cursor.ctime_ns or (registered is not None and f.path not in registered)

    taken = sorted(filter(fresh, files), key=lambda f: (f.ctime_ns, f.path))
    taken = taken[:max(0, limit - len(cursor.watching))]
    return taken, _handed_out(cursor, taken, now_ns, {f.path for f in files})


def settle_arrivals(files: list[LandingFile], arrivals: list[LandingFile], cursor: ArrivalCursor,
                    settle_seconds: float, now: float | None = None, quiet_seconds: float | None = None,
                    ) -> tuple[list[LandingFile], dict[str, float], ArrivalCursor]:
    """Of the arrivals and the files the cursor watches, those the sensor has seen unchanged
    (size, mtime, inode change time: `signature`) for `settle_seconds` of its own ticks, oldest
    change first, with the time from which each counts as settled if still unchanged; the others
    stay watched in the cursor. `settle_seconds <= 0`: all at once, settled now.
    With `quiet_seconds`, a file whose inode change time is that much behind the sensor's clock
    (nobody wrote it for that long) is handed out on the tick that finds it so, before its settle
    time has passed: the run settles it (`ingest.sighting`), counting from the sensor's first look
    at this signature. That is the only comparison with a file's time, a shortcut: a wrong clock
    makes a file wait a tick, or leaves its settling to the run, never skips it.

    Should the sensor's clock go back, watching restarts.
    """
    now = time.time() if now is None else now
    listed = {f.path: f for f in files}
    handed_out, settled_at, watching = [], {}, {}

    def quiet(landing_file: LandingFile) -> bool:
        return quiet_seconds is not None and now - landing_file.ctime_ns / 1e9 >= quiet_seconds

    for path, (*seen, since) in cursor.watching.items():
        landing_file = listed.get(path)
        if landing_file is None:
            continue   # gone
        if list(signature(landing_file)) != seen or since > now:
            watching[path] = (*signature(landing_file), now)   # changed: watched again from now
        elif now - since >= settle_seconds or quiet(landing_file):
            handed_out.append(landing_file)
            settled_at[path] = since + settle_seconds
        else:
            watching[path] = (*signature(landing_file), since)
    for landing_file in arrivals:
        if settle_seconds <= 0 or quiet(landing_file):
            handed_out.append(landing_file)
            settled_at[landing_file.path] = now + max(settle_seconds, 0.0)
        else:
            watching[landing_file.path] = (*signature(landing_file), now)
    handed_out.sort(key=lambda f: (f.ctime_ns, f.path))
    cursor = _handed_out(cursor, handed_out, int(now * 1e9), set(listed))
    return handed_out, settled_at, replace(cursor, watching=watching)


def _handed_out(cursor: ArrivalCursor, files: list[LandingFile], now_ns: int, listed: set[str]) -> ArrivalCursor:
    """The cursor with `files` handled: its time moves to the newest of them not ahead of the clock."""
    newest = max([cursor.ctime_ns] + [f.ctime_ns for f in files if f.ctime_ns <= now_ns])
    handled = {**cursor.handled, **{f.path: f.ctime_ns for f in files}}
    return replace(cursor, ctime_ns=newest,
                   handled={path: ctime for path, ctime in handled.items() if ctime >= newest and path in listed})
