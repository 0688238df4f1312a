# 党建指数看板 — all set-up goes through these targets (see README).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DIR := data/raw/demo
DEMO_SEED ?= 42
PORT ?= 8501
SCALE ?= city
RAW ?= $(DEMO_DIR)
DB ?= data/warehouse/pbi.duckdb

.PHONY: run load compute test lint format bench bench-synth demo install dev clean

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

# Load RAW (the demo data by default) into the published database DB, then compute the indices.
load: demo
	$(BIN)/python -m pipelines load $(RAW) --db $(DB)
	$(BIN)/python -m pipelines compute --db $(DB)

compute: install
	$(BIN)/python -m pipelines compute --db $(DB)

# Venv, install, demo data, load and compute (if nothing is published yet), demo users, dashboard.
run: demo
	@if [ ! -f $(DB) ]; then $(MAKE) --no-print-directory load; \
	elif [ ! -f $(basename $(DB)).scores.duckdb ]; then $(MAKE) --no-print-directory compute; \
	else echo "published database present: $(DB) (make load to reload, make compute to recompute)"; fi
	@# Demo mode (the demo data): demo users of every role, created once, credentials printed.
	@if [ "$(RAW)" = "$(DEMO_DIR)" ]; then $(BIN)/python -m pipelines users demo --db $(DB); \
	else $(BIN)/python -m pipelines users list; fi
	PBI_DB=$(DB) $(BIN)/streamlit run dashboard/app.py --server.address 127.0.0.1 --server.port $(PORT)

test: dev
	$(BIN)/python -m pytest

lint: dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Benchmarks at SCALE (city by default; SCALE=province on demand), written to docs/benchmarks.md:
# the loader against a raw DuckDB baseline (data generated once, cached in data/bench/), and generation.
bench: dev
	$(BIN)/python -m pipelines bench --scale $(SCALE)

bench-synth: dev
	$(BIN)/python -m pipelines bench --what synth --scale $(SCALE)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
