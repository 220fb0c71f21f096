"""What the landing sensor saw of the files it hands to a run, so that the run settles them itself.

The contract's settle rule: a file is read once its size and times (`signature`) have stayed the
same for UMKM_SETTLE_SECONDS. The sensor records each file's signature when it hands it out,
with the time from which it counts as settled if unchanged; the run it requests loads the file
at once when, at that time or later, the signature is still the same. A file the sensor lists
already quiet is thus handed out on its first tick, and its settle time passes while Dagster
creates and starts the run (about 5 s) instead of before. The tag carries the files of one
request; a larger request (a history load) settles in the run, one wait for all its files.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from ingest.landing import LandingFile, signature

TAG = "umkm/sighted"
MAX_FILES = 100   # a day's files; the tag stays a few kB


@dataclass(frozen=True)
class Sighting:
    # path -> (size, mtime, ctime_ns, settled_at): the signature the sensor saw, and the time
    # (time.time(), the machine's clock, shared by the daemon and the run) from which it counts
    files: dict[str, tuple[int, float, int, float]]

    @classmethod
    def of(cls, files: list[LandingFile], settled_at: dict[str, float]) -> Sighting:
        return cls({f.path: (*signature(f), settled_at[f.path]) for f in files})

    def to_tags(self) -> dict[str, str]:
        if not self.files or len(self.files) > MAX_FILES:
            return {}
        return {TAG: json.dumps({path: list(seen) for path, seen in self.files.items()})}

    @classmethod
    def from_tags(cls, tags: dict[str, str]) -> Sighting | None:
        text = tags.get(TAG)
        if not text:
            return None
        return cls({path: (int(size), float(mtime), int(ctime), float(at))
                    for path, (size, mtime, ctime, at) in json.loads(text).items()})

    def wait(self, settle_seconds: float) -> None:
        """Sleep until every file of the sighting counts as settled, if unchanged; never longer than
        the settle time (a daemon whose clock runs ahead of the run's cannot hold it up)."""
        remaining = max((seen[3] for seen in self.files.values()), default=0.0) - time.time()
        if remaining > 0:
            time.sleep(min(remaining, settle_seconds))

    def settled(self, landing_file: LandingFile, now: float | None = None) -> bool:
        """The file as listed now is the one the sensor saw, and its settle time has passed."""
        seen = self.files.get(landing_file.path)
        now = time.time() if now is None else now
        return (seen is not None and landing_file.problem is None and signature(landing_file) == seen[:3]
                and now >= seen[3])
