# Two commands do all set-up on a fresh machine (Python 3.10+ and make):
#   make demo   install, write the demo landing zone, run the whole pipeline on it
#   make test   install (with test tools), run the linters and the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

# No internet here: keep dbt, Dagster and GX from calling home.
export DBT_SEND_ANONYMOUS_USAGE_STATS := False
export GX_ANALYTICS_ENABLED := False
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home

.PHONY: install lock lock-upgrade lint demo run test ui docs bench-quality bench
install: $(BIN)/umkm postgres-server

.PHONY: postgres-server bench-postgres
postgres-server:   # Debian's postgresql package when its binaries are missing (tests/test_postgres_serving.py)
	@sh scripts/ensure_debian_package.sh postgresql "ls /usr/lib/postgresql/*/bin/pg_ctl || command -v pg_ctl" \
		"tests/test_postgres_serving.py skips"

# Everything in .venv comes from uv.lock, each package pinned with its hashes (`--locked` stops
# when pyproject.toml changed and the lock did not: `make lock` then). uv itself is installed
# first, by pip, from requirements-uv.txt (hash-pinned, exported from the lock).
$(BIN)/umkm: $(BIN)/uv pyproject.toml uv.lock
	$(BIN)/uv sync --locked
	touch $@

$(BIN)/uv: requirements-uv.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements-uv.txt
	touch $@

lock: $(BIN)/uv   # after a change to pyproject.toml's dependencies: re-resolve, keeping the other pins
	$(BIN)/uv lock
	$(BIN)/uv export --quiet --only-group installer --no-emit-project --format requirements-txt -o requirements-uv.txt

lock-upgrade: $(BIN)/uv   # every package to the newest version pyproject.toml allows
	$(BIN)/uv lock --upgrade
	$(BIN)/uv export --quiet --only-group installer --no-emit-project --format requirements-txt -o requirements-uv.txt

lint: install   # also run by `make test`
	$(BIN)/ruff check .
	$(BIN)/sqlfluff lint dbt_project/models

demo: install
	$(BIN)/umkm demo
	$(BIN)/umkm run

run: install
	$(BIN)/umkm run

test: lint bi-install
	$(BIN)/pytest

ui: install
	$(BIN)/dagster dev -w workspace.yaml

docs: install   # GX Data Docs and dbt docs to data/docs/ (static, open data/docs/index.html)
	$(BIN)/umkm docs

bench-quality: install   # the GX check step on ten million synthetic raw orders (not in `make test`)
	$(BIN)/python benchmarks/quality_checks.py --orders 10000000

bench-postgres: install   # PostgreSQL serving's publication of 2.5M and 10M synthetic orders (not in `make test`)
	$(BIN)/python benchmarks/postgres_serving.py

bench: install   # province scale: umkm run vs plain DuckDB vs pandas, and one new day on 2.5M/5M/10M orders
	$(BIN)/python benchmarks/scale.py

# Superset (`make bi`) lives in its own virtualenv, .venv-bi: its SQLAlchemy and Flask pins clash
# with Dagster's. Every package pinned in bi/requirements.txt. `make test` installs it too
# (tests/test_superset.py), with Chromium for the dashboards' browser test when apt can.
BI_VENV := .venv-bi
BI_BIN := $(BI_VENV)/bin
.PHONY: bi bi-install bi-screenshots
bi-install: $(BI_VENV)/.installed
	@sh scripts/ensure_debian_package.sh chromium "command -v chromium || command -v chromium-browser" \
		"the browser test of tests/test_superset.py skips"

$(BI_VENV)/.installed: bi/requirements.txt
	test -x $(BI_BIN)/python || $(PYTHON) -m venv $(BI_VENV)
	$(BI_BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r bi/requirements.txt
	$(BI_BIN)/python bi/start.py --make-template
	touch $@

bi: $(BI_VENV)/.installed   # Superset with the dashboards on http://127.0.0.1:8088 (after `make demo`)
	$(BI_BIN)/python bi/start.py

bi-screenshots: bi-install   # the README's dashboard pictures (docs/img/), taken from a running `make bi`
	$(BI_BIN)/python bi/browser.py --out docs/img
