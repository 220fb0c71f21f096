# Two commands do all set-up on a fresh machine (Python 3.10+ and make):
#   make demo   install, write the demo landing zone, run the whole pipeline on it
#   make test   install (with test tools), run the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

# No internet here: keep dbt, Dagster and GX from calling home.
export DBT_SEND_ANONYMOUS_USAGE_STATS := False
export GX_ANALYTICS_ENABLED := False
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home

.PHONY: install demo run test ui docs bench-quality bench
install: $(BIN)/umkm

$(BIN)/umkm: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

demo: install
	$(BIN)/umkm demo
	$(BIN)/umkm run

run: install
	$(BIN)/umkm run

test: install
	$(BIN)/pytest

ui: install
	$(BIN)/dagster dev -w workspace.yaml

docs: install   # GX Data Docs and dbt docs to data/docs/ (static, open data/docs/index.html)
	$(BIN)/umkm docs

bench-quality: install   # the GX check step on ten million synthetic raw orders (not in `make test`)
	$(BIN)/python benchmarks/quality_checks.py --orders 10000000

bench: install   # province scale: umkm run vs plain DuckDB vs pandas, and one new day on 2.5M/5M/10M orders
	$(BIN)/python benchmarks/scale.py
