"""A throwaway PostgreSQL server for tests and benchmarks: `initdb` and `pg_ctl` on a temporary
folder and a free port on 127.0.0.1, password authentication, stopped and removed afterwards.

The binaries come from Debian's `postgresql` package (`make install` installs it when missing):
/usr/lib/postgresql/<version>/bin, or the PATH. PostgreSQL refuses to run as root; as root the
server runs as the `postgres` user the package creates (or `nobody`).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

ADMIN, ADMIN_PASSWORD, DATABASE = "umkm_admin", "admin-secret", "umkm"


def find_bin_dir() -> Path | None:
    """The folder of `initdb` and `pg_ctl`: the newest Debian version, else the PATH."""
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                    key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    if debian:
        return debian[-1].parent
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    return Path(initdb).parent if initdb and pg_ctl else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    bin_dir: Path
    root: Path
    port: int
    user: str | None             # the OS user the server runs as (None: this one)
    durable: bool = False        # fsync as in production (tests: off, faster)

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, user: str = ADMIN, password: str = ADMIN_PASSWORD, database: str = DATABASE) -> str:
        return f"postgresql://{user}:{password}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.bin_dir / args[0]), *args[1:]], user=self.user, capture_output=True,
                              text=True, timeout=timeout, check=True, cwd=self.root)

    def start(self) -> None:
        fast = "" if self.durable else " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-w", "-t", "60", "-o",
                  f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''{fast}", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def log(self) -> str:
        try:
            return (self.root / "server.log").read_text(errors="replace")
        except OSError:
            return ""


def start_server(durable: bool = False) -> Server:
    """initdb (UTF8, password authentication for TCP) and start; the caller stops it with `remove`."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise FileNotFoundError("no initdb/pg_ctl: install Debian's postgresql package (`make install` does)")
    user = None
    if os.geteuid() == 0:                      # initdb refuses root
        user = next((name for name in ("postgres", "nobody") if _exists(name)), None)
    root = Path(tempfile.mkdtemp(prefix="umkm-pg-"))   # not under pytest's 0700 root-only folder
    if user:
        entry = pwd.getpwnam(user)
        os.chown(root, entry.pw_uid, entry.pw_gid)
    server = Server(bin_dir, root, free_port(), user, durable)
    secret = root / "pwfile"
    secret.write_text(ADMIN_PASSWORD + "\n")
    if user:
        os.chown(secret, pwd.getpwnam(user).pw_uid, -1)
    server._run("initdb", "-D", str(server.data), "-U", ADMIN, f"--pwfile={secret}", "-E", "UTF8",
                "--locale=C", "--auth-local=trust", "--auth-host=scram-sha-256")
    server.start()
    subprocess.run([str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(server.port), "-U", ADMIN, DATABASE],
                   env={**os.environ, "PGPASSWORD": ADMIN_PASSWORD}, check=True, capture_output=True, timeout=60)
    return server


def remove(server: Server) -> None:
    try:
        server.stop("immediate")
    except (subprocess.SubprocessError, OSError):
        pass
    shutil.rmtree(server.root, ignore_errors=True)


def _exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False
