"""`make bi`: Apache Superset on the serving copy, with the office's dashboards, on http://127.0.0.1:8088.

    .venv-bi/bin/python bi/start.py [--host 127.0.0.1] [--port 8088] [--setup-only]

Runs with the Python of `.venv-bi` (Superset's SQLAlchemy and Flask pins clash with Dagster's).
1. Checks the serving copy `marts.duckdb` in `UMKM_SERVING_DIR` (default `data/serving`) exists.
2. Brings Superset's metadata database under `UMKM_BI_HOME` (default `data/bi`) up to date
   (`superset db upgrade`, and `superset init` once per Superset version); a new one starts
   from the migrated template `make bi-install` writes into `.venv-bi`.
3. Creates the `admin` user, password `UMKM_BI_ADMIN_PASSWORD` (demo default `admin`, said
   out loud); a password set in the environment is applied at every start.
4. Imports the dashboards kept as code in `bi/assets/` (the YAML bundle of Superset's export),
   with the serving copy as database "UMKM marts (DuckDB)": read-only through duckdb-engine,
   a new connection per query (Superset's default NullPool), so no query holds a file that a
   publication replaced, and no BI query blocks a build. What the bundle holds replaces what
   Superset holds (edit in Superset, then `bi/export.py`).
5. Writes the PPKM periods of the dbt seed `restriction_periods.csv` (the periods
   `mart_restriction_periods` is built from) as the annotation layer "Periode PPKM", and points
   the charts' annotations at it (the importer drops them): `bi/ppkm_layer.py`.
6. Registers the PostgreSQL marts as database "UMKM marts (PostgreSQL)" when `UMKM_POSTGRES_URL`
   is set (see `postgres_url`), and says so when that server does not answer.
7. Serves with gunicorn until stopped (Ctrl-C), unless `--setup-only`.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import warnings
from importlib.metadata import version as installed_version
from pathlib import Path

import yaml
from ppkm_layer import restore_annotations, write_layer

ROOT = Path(__file__).resolve().parents[1]
BI_DIR = ROOT / "bi"
ASSETS = BI_DIR / "assets"
SERVING_DB_NAME = "marts.duckdb"
DUCKDB_DATABASE_FILE = "databases/UMKM_marts_DuckDB.yaml"
POSTGRES_DATABASE_NAME = "UMKM marts (PostgreSQL)"
DEMO_PASSWORD = "admin"


class SetupError(SystemExit):
    """A message for the person running `make bi`, exit status 2."""

    def __init__(self, message: str):
        super().__init__(2)
        self.message = message


def say(message: str) -> None:
    print(f"bi: {message}", flush=True)


def load_dotenv() -> None:
    """Read `.env` in the working directory, as `umkm` does (the environment wins)."""
    path = Path(".env")
    if not path.exists():
        return
    from dotenv import dotenv_values
    for key, value in dotenv_values(path).items():
        if value is not None:
            os.environ.setdefault(key, value)


def serving_db() -> Path:
    serving_dir = Path(os.environ.get("UMKM_SERVING_DIR") or ROOT / "data" / "serving")
    path = (serving_dir / SERVING_DB_NAME).resolve()
    if not path.is_file():
        raise SetupError(f"no serving copy at {path}: run `make demo` first (or `umkm run` on your landing "
                         "zone), or point UMKM_SERVING_DIR at the folder that holds marts.duckdb")
    return path


def bi_home() -> Path:
    home = Path(os.environ.get("UMKM_BI_HOME") or ROOT / "data" / "bi").resolve()
    home.mkdir(parents=True, exist_ok=True)
    return home


def port_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


# ------------------------------------------------------------------ the bundle in bi/assets

def duckdb_uri(path: Path) -> str:
    return f"duckdb:///{path}"


def bundle(serving: Path) -> dict[str, str]:
    """The files of bi/assets as Superset's importer takes them from a zip ({path: text}), with the
    serving copy's path in the DuckDB database. bi/assets is a dashboard export (`type:
    Dashboard`), labelled here for the assets importer, which also replaces the charts, datasets
    and database that already exist (the dashboard importer, `superset import-dashboards`, keeps
    them as they are)."""
    contents: dict[str, str] = {}
    for path in sorted(ASSETS.rglob("*.yaml")):
        name = path.relative_to(ASSETS).as_posix()
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
        if name == DUCKDB_DATABASE_FILE:
            config["sqlalchemy_uri"] = duckdb_uri(serving)
        elif name == "metadata.yaml":
            config["type"] = "assets"
        contents[name] = yaml.safe_dump(config, allow_unicode=True, sort_keys=False)
    if DUCKDB_DATABASE_FILE not in contents:
        raise SetupError(f"{ASSETS / DUCKDB_DATABASE_FILE} is missing: the dashboards' database")
    return contents


# ------------------------------------------------------------------ Superset set-up

def template_db() -> Path:
    """A migrated, initialised, empty metadata database for this Superset (`make bi-install` writes
    it): a new BI home starts from a copy instead of running some 300 migrations (a minute)."""
    return Path(sys.prefix) / f"superset-metadata-{installed_version('apache-superset')}.db"


def superset_app(home: Path):
    os.environ["SUPERSET_CONFIG_PATH"] = str(BI_DIR / "superset_config.py")
    os.environ["UMKM_BI_HOME"] = str(home)
    warnings.filterwarnings("ignore")          # SQLAlchemy and marshmallow deprecation chatter
    from superset.app import create_app
    return create_app()


def make_template() -> None:
    template = template_db()
    if template.exists():
        say(f"metadata template {template} exists")
        return
    with tempfile.TemporaryDirectory(prefix="umkm-bi-template-") as tmp:
        app = superset_app(Path(tmp))
        with app.app_context():
            _upgrade(app, Path(tmp))
        partial = template.with_name(template.name + ".tmp")
        shutil.copyfile(Path(tmp) / "superset.db", partial)
        os.replace(partial, template)
    say(f"wrote the metadata template {template}")


def setup(serving: Path, home: Path) -> None:
    database, template = home / "superset.db", template_db()
    if not database.exists() and template.exists():
        shutil.copyfile(template, database)
        (home / f".initialized-{installed_version('apache-superset')}").touch()
    app = superset_app(home)
    with app.app_context():
        _upgrade(app, home)
        admin = _admin_user()
        contents = bundle(serving)
        _import_assets(contents, admin)
        try:
            layer_id = write_layer()
        except ValueError as error:
            raise SetupError(str(error)) from error
        restore_annotations(contents, layer_id)
        _register_postgres()


def _upgrade(app, home: Path) -> None:
    import flask_migrate
    from superset import appbuilder, security_manager
    from superset.extensions import db
    started = time.monotonic()
    logging.disable(logging.INFO)               # alembic names every table it creates, and some
    try:                                        # migrations print what they changed
        with contextlib.redirect_stdout(io.StringIO()):
            flask_migrate.upgrade(directory=str(Path(app.root_path) / "migrations"))
    finally:
        logging.disable(logging.NOTSET)
    version = app.config["VERSION_STRING"]
    marker = home / f".initialized-{version}"
    if not marker.exists():           # `superset init`: permissions and roles, once per version
        appbuilder.add_permissions(update_perms=True)
        security_manager.sync_role_definitions()
        db.session.commit()
        marker.touch()
    say(f"metadata database {home / 'superset.db'} ready ({time.monotonic() - started:.0f}s)")


def _admin_user():
    from superset import security_manager
    from superset.extensions import db
    password = os.environ.get("UMKM_BI_ADMIN_PASSWORD")
    user = security_manager.find_user(username="admin")
    if user is None:
        user = security_manager.add_user("admin", "Admin", "UMKM", "admin@localhost",
                                         security_manager.find_role("Admin"), password=password or DEMO_PASSWORD)
        if not user:
            raise SetupError("could not create the admin user in Superset's metadata database")
    elif password:
        security_manager.reset_password(user.id, password)
    db.session.commit()
    if not password:
        say(f"user admin, password '{DEMO_PASSWORD}' (the demo default) unless changed in Superset: "
            "set UMKM_BI_ADMIN_PASSWORD (e.g. in .env) before the office uses it")
    return user


def _import_assets(contents: dict[str, str], admin) -> None:
    from flask import g

    from superset.commands.exceptions import CommandInvalidError
    from superset.commands.importers.v1.assets import ImportAssetsCommand
    g.user = admin
    try:
        ImportAssetsCommand(contents).run()
    except CommandInvalidError as error:
        raise SetupError(f"the dashboards in {ASSETS} do not import: {error.normalized_messages()}") from error
    counts = {kind: sum(name.startswith(f"{kind}/") for name in contents)
              for kind in ("datasets", "charts", "dashboards")}
    say(f"imported {counts['dashboards']} dashboards, {counts['charts']} charts, {counts['datasets']} datasets "
        f"from {ASSETS.relative_to(ROOT)}/")


def postgres_url() -> tuple[str, str] | None:
    """The URL Superset reads the PostgreSQL marts with, and whose role it is.

    `UMKM_BI_POSTGRES_URL` when set; else `UMKM_POSTGRES_URL` (the publication's) with the
    read-only role `UMKM_POSTGRES_READER` (default `umkm_reader`) and its password
    `UMKM_POSTGRES_READER_PASSWORD`, when that is set; else `UMKM_POSTGRES_URL` as it is."""
    from sqlalchemy.engine.url import make_url
    explicit = os.environ.get("UMKM_BI_POSTGRES_URL")
    url = explicit or os.environ.get("UMKM_POSTGRES_URL")
    if not url:
        return None
    if url.startswith("postgres://"):          # libpq's short scheme; SQLAlchemy wants the long one
        url = "postgresql://" + url[len("postgres://"):]
    try:
        parsed = make_url(url)
    except Exception as error:  # noqa: BLE001 - any parse error is the same message
        raise SetupError(f"UMKM_POSTGRES_URL is not a PostgreSQL URL ({error})") from error
    reader = os.environ.get("UMKM_POSTGRES_READER", "umkm_reader")
    reader_password = os.environ.get("UMKM_POSTGRES_READER_PASSWORD")
    if not explicit and reader and reader_password:
        parsed = parsed.set(username=reader, password=reader_password)
        return parsed.render_as_string(hide_password=False), f"read-only role {reader}"
    role = f"role {parsed.username}" if parsed.username else "the default role"
    return url, role if explicit else f"{role} (the publishing role: set UMKM_POSTGRES_READER_PASSWORD " \
                                      "to read with the read-only one)"


def _register_postgres() -> None:
    found = postgres_url()
    if found is None:
        return
    url, role = found
    from sqlalchemy.engine.url import make_url

    from superset.extensions import db
    from superset.models.core import Database
    parsed = make_url(url)
    schema = os.environ.get("UMKM_POSTGRES_SCHEMA") or "marts"
    database = db.session.query(Database).filter_by(database_name=POSTGRES_DATABASE_NAME).one_or_none()
    if database is None:
        database = Database(database_name=POSTGRES_DATABASE_NAME)
        db.session.add(database)
    database.set_sqlalchemy_uri(url)           # the password is stored encrypted with the secret key
    database.expose_in_sqllab = True
    database.allow_dml = False
    database.extra = json.dumps({"engine_params": {"connect_args": {
        "connect_timeout": 10, "options": f"-c search_path={schema} -c default_transaction_read_only=on"}}})
    db.session.commit()
    where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}/{parsed.database or ''}"
    try:
        import psycopg2
        psycopg2.connect(url, connect_timeout=5).close()
        say(f"registered PostgreSQL {where} (schema {schema}, {role}) as '{POSTGRES_DATABASE_NAME}'")
    except Exception as error:  # noqa: BLE001 - down, refused, bad password: all said the same way
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        say(f"WARNING: PostgreSQL at {where} does not answer ({first_line}); '{POSTGRES_DATABASE_NAME}' is "
            "registered but its queries fail until it is up. The dashboards read the DuckDB serving copy.")


# ------------------------------------------------------------------ serving

def serve(host: str, port: int, home: Path) -> int:
    env = dict(os.environ, SUPERSET_CONFIG_PATH=str(BI_DIR / "superset_config.py"), UMKM_BI_HOME=str(home))
    gunicorn = Path(sys.executable).parent / "gunicorn"
    log = home / "superset.log"
    command = [str(gunicorn), "--workers", os.environ.get("UMKM_BI_WORKERS", "2"), "--worker-class", "gthread",
               "--threads", "8", "--timeout", "120", "--graceful-timeout", "10", "--bind", f"{host}:{port}",
               "--log-level", "warning", "--error-logfile", str(log), "superset.app:create_app()"]
    server = subprocess.Popen(command, env=env, cwd=ROOT)

    def stop(signum, _frame):                 # Ctrl-C: gunicorn's quick shutdown; SIGTERM: its graceful one
        server.send_signal(signum)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    url = f"http://{host}:{port}"
    deadline = time.monotonic() + 180
    while server.poll() is None and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
                if answer.status == 200:
                    say(f"Superset is up: {url}  (user admin; logs in {log}; Ctrl-C stops it)")
                    break
        except OSError:
            time.sleep(0.5)
    else:
        if server.poll() is None:
            say(f"Superset did not answer on {url}/health within 180 s; see {log}")
    return server.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default=os.environ.get("UMKM_BI_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("UMKM_BI_PORT", "8088")))
    parser.add_argument("--setup-only", action="store_true", help="set Superset up, do not serve")
    parser.add_argument("--make-template", action="store_true", help="write the metadata template (make bi-install)")
    args = parser.parse_args()
    started = time.monotonic()
    if args.make_template:
        make_template()
        return 0
    try:
        load_dotenv()
        serving = serving_db()
        home = bi_home()
        if not args.setup_only and not port_free(args.host, args.port):
            raise SetupError(f"{args.host}:{args.port} is taken (another Superset?): stop it, or set UMKM_BI_PORT")
        say(f"serving copy {serving} (read-only)")
        setup(serving, home)
        say(f"set up in {time.monotonic() - started:.0f}s")
    except SetupError as error:
        print(f"bi: {error.message}", file=sys.stderr)
        return 2
    if args.setup_only:
        return 0
    return serve(args.host, args.port, home)


if __name__ == "__main__":
    sys.exit(main())
