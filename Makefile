# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m compileall -q src  # bytecode ahead of time: a cold `inocds dose` stays fast
	$(BIN)/python -c "from inocds.protocol.loader import write_cache; write_cache()"
	touch $(STAMP)

## Sets everything up and serves the web service on http://127.0.0.1:8000 (SQLite).
run: $(STAMP)
	scripts/ensure-fonts
	$(BIN)/inocds serve --host 127.0.0.1 --port 8000

## Sets everything up and runs every check and test.
test: $(STAMP) lint
	scripts/ensure-postgres
	scripts/ensure-chromium
	scripts/ensure-fonts
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

## Benchmarks: figures go to bench/results/*.json.
bench: $(STAMP)
	scripts/ensure-wrk
	-scripts/ensure-postgres  # none: the PostgreSQL figures are skipped, not failed
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
