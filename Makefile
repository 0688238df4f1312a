# 党建指数看板 — all set-up goes through these targets (see README).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DIR := data/raw/demo
DEMO_SEED ?= 42
PORT ?= 8501
SCALE ?= city
RAW ?= $(DEMO_DIR)
# The published database has one default, in pipelines/settings.py (PBI_DB, else a file under the repository),
# which the command line and the dashboard both use. `make load DB=FILE` hands FILE to every command as PBI_DB,
# so the targets below never name the database themselves.
ifdef DB
export PBI_DB := $(DB)
endif

.PHONY: run load compute test test-fast lint format bench bench-synth demo install dev clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ required"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
dev: $(VENV)/.dev-installed

# Demo data: the small synthetic city, generated once (delete data/raw/demo to renew).
demo: install
	@if [ ! -f $(DEMO_DIR)/_generator/summary.json ]; then \
		$(BIN)/python -m pipelines synth --scale small --seed $(DEMO_SEED) --out $(DEMO_DIR); \
	else echo "demo data present in $(DEMO_DIR)"; fi

# Load RAW (the demo data by default) into the published database, then compute the indices.
load: demo
	$(BIN)/python -m pipelines load $(RAW)
	$(BIN)/python -m pipelines compute

compute: install
	$(BIN)/python -m pipelines compute

# Venv, install, demo data, load and compute (if nothing is published yet), demo users, dashboard.
run: demo
	@db="$$($(BIN)/python -c 'from pipelines import settings; print(settings.db_path())')"; \
	if [ ! -f "$$db" ]; then $(MAKE) --no-print-directory load; \
	elif [ ! -f "$${db%.*}.scores.duckdb" ]; then $(MAKE) --no-print-directory compute; \
	else echo "published database present: $$db (make load to reload, make compute to recompute)"; fi
	@# Demo mode (the demo data): demo users of every role, created once, credentials printed; then the
	@# demo city in every review state, staged once (a refusal, e.g. other data loaded, does not stop the run).
	@if [ "$(RAW)" = "$(DEMO_DIR)" ]; then $(BIN)/python -m pipelines users demo && \
		{ $(BIN)/python -m pipelines review demo || echo "演示审核状态未布置 (demo review states not staged)"; }; \
	else $(BIN)/python -m pipelines users list; fi
	$(BIN)/streamlit run dashboard/app.py --server.address 127.0.0.1 --server.port $(PORT)

test: dev
	$(BIN)/python -m pytest

# The fast tier: every test that needs no generated city (marker `city`, set in tests/conftest.py) and
# none marked `slow` (several processes or loads), on both cores.
test-fast: dev
	$(BIN)/python -m pytest -m "not city and not slow" -n 2

lint: dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Benchmarks at SCALE (city by default; SCALE=province on demand), written to docs/benchmarks.md:
# the loader against a raw DuckDB baseline (data generated once, cached in data/bench/), and generation.
# The code is in bench/, outside the product; its tools (psutil, Playwright) are in requirements-dev.txt.
bench: dev
	$(BIN)/python -m bench --scale $(SCALE)

bench-synth: dev
	$(BIN)/python -m bench --what synth --scale $(SCALE)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
