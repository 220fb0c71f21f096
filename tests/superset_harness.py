"""The Superset that tests/test_superset.py checks: `make bi`'s start script on a copy of a serving
copy, on its own BI home and port, with `UMKM_POSTGRES_URL` set: a throwaway PostgreSQL server
(tests/pg_server.py, Debian's `postgresql`) holding the marts as the PostgreSQL publication leaves
them (and the read-only role `umkm_reader`), or, without PostgreSQL binaries, a port where nothing
listens. Also the REST API client the tests use.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest

from tests.runs import PROJECT, umkm_run

BI_PYTHON = PROJECT / ".venv-bi" / "bin" / "python"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Api:
    """Superset's REST API as a logged-in user: a bearer token, plus the session and CSRF token
    that writes need."""

    def __init__(self, base: str, password: str):
        self.base = base
        self.csrf: str | None = None
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.token = self.call("POST", "/api/v1/security/login", {"username": "admin", "password": password,
                                                                   "provider": "db", "refresh": False},
                               auth=False)["access_token"]

    def call(self, method: str, path: str, body=None, auth: bool = True):
        headers = {"Referer": self.base}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if auth:
            headers["Authorization"] = f"Bearer {self.token}"
        if self.csrf:
            headers["X-CSRFToken"] = self.csrf
        request = urllib.request.Request(f"{self.base}{path}", method=method, headers=headers,
                                         data=None if body is None else json.dumps(body).encode())
        with self.opener.open(request, timeout=180) as answer:
            return json.load(answer)

    def get(self, path: str):
        return self.call("GET", path)

    def post(self, path: str, body):
        if self.csrf is None:
            self.csrf = self.get("/api/v1/security/csrf_token/")["result"]
        return self.call("POST", path, body)

    def put(self, path: str, body):
        if self.csrf is None:
            self.csrf = self.get("/api/v1/security/csrf_token/")["result"]
        return self.call("PUT", path, body)


@dataclass
class Superset:
    base: str
    password: str
    serving: Path                       # the serving folder it reads (marts.duckdb inside)
    env: dict
    output: Path
    postgres: object = None             # tests/pg_server.Server, or None: a port where nothing listens
    warehouse: Path | None = None       # the warehouse the serving copy was published from, beside it
    api: Api | None = None
    chart_data: dict = field(default_factory=dict)     # chart name -> (first result, seconds)

    def log(self) -> str:
        return self.output.read_text(errors="replace")


def source_serving(tmp_path_factory) -> Path:
    """`UMKM_BI_TEST_SERVING` (a serving folder, e.g. `data/serving` after `make demo`), else the
    serving copy of `umkm run` on the demo's landing zone (every source: every chart has rows)."""
    if os.environ.get("UMKM_BI_TEST_SERVING"):
        return Path(os.environ["UMKM_BI_TEST_SERVING"])
    from demo.zone import write_demo_landing
    root = tmp_path_factory.mktemp("bi_run")
    write_demo_landing(root / "landing", scale=1, seed=42)
    result = umkm_run(root)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return root / "serving"


READER, READER_PASSWORD = "umkm_reader", "reader-secret"


def postgres_with_the_marts(serving: Path):
    """A throwaway PostgreSQL holding the serving copy's marts, published as `umkm run` publishes
    them (orchestration/postgres_serving.py, read-only role umkm_reader); None without binaries."""
    try:
        from tests import pg_server
    except ImportError:
        return None
    if pg_server.find_bin_dir() is None:
        return None
    from orchestration.postgres_serving import publish_to_postgres
    server = pg_server.start_server()
    try:
        publish_to_postgres(serving, server.url(), "marts", READER, READER_PASSWORD)
    except BaseException:
        pg_server.remove(server)
        raise
    return server


@pytest.fixture(scope="module", name="superset")
def superset_fixture(tmp_path_factory):
    """The module's Superset (import `superset_fixture` into a test module; its tests ask for `superset`)."""
    serving = tmp_path_factory.mktemp("bi_serving")
    source = source_serving(tmp_path_factory)
    shutil.copy2(source / "marts.duckdb", serving / "marts.duckdb")
    root = tmp_path_factory.mktemp("bi")
    port, password = free_port(), secrets.token_urlsafe(12)
    postgres = postgres_with_the_marts(serving)
    env = {k: v for k, v in os.environ.items() if not k.startswith("UMKM_")}
    env.update(UMKM_SERVING_DIR=str(serving), UMKM_BI_HOME=str(root / "home"), UMKM_BI_ADMIN_PASSWORD=password,
               UMKM_BI_WORKERS="1", UMKM_POSTGRES_READER_PASSWORD=READER_PASSWORD,
               UMKM_POSTGRES_URL=postgres.url() if postgres else f"postgresql://a:x@127.0.0.1:{free_port()}/umkm")
    output = root / "start.log"
    started = time.monotonic()
    with open(output, "wb") as out:
        process = subprocess.Popen([str(BI_PYTHON), str(PROJECT / "bi" / "start.py"), "--port", str(port)],
                                   env=env, cwd=root, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    instance = Superset(f"http://127.0.0.1:{port}", password, serving, env, output, postgres=postgres,
                        warehouse=source.parent / "warehouse.duckdb")
    try:
        while "Superset is up" not in instance.log():
            assert process.poll() is None, f"bi/start.py ended ({process.returncode}):\n{instance.log()[-3000:]}"
            assert time.monotonic() - started < 300, f"Superset not up in 300 s:\n{instance.log()[-3000:]}"
            time.sleep(0.5)
        print(f"\nbi/start.py: Superset up in {time.monotonic() - started:.0f} s")
        instance.api = Api(instance.base, password)
        yield instance
    finally:
        os.killpg(process.pid, signal.SIGINT)           # Ctrl-C, as `make bi` is stopped: gunicorn quits at once
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        if postgres is not None:
            from tests import pg_server
            pg_server.remove(postgres)


def marts(superset: Superset, sql: str) -> list[tuple]:
    con = duckdb.connect(str(superset.serving / "marts.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()

