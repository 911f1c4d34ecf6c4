# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FUNCTIONS := scan route size risk execute

.PHONY: demo test lint typecheck unit bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	touch $@

$(BIN)/.dev: $(BIN)/.installed
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

demo: $(BIN)/.installed  ## create the venv, install, run the demo day
	$(BIN)/alphamoe demo

lint: $(BIN)/.dev
	$(BIN)/ruff check shared functions tests benchmarks
	$(BIN)/ruff format --check shared functions tests benchmarks

typecheck: $(BIN)/.dev
	$(BIN)/mypy
	for f in $(FUNCTIONS); do $(BIN)/mypy --strict functions/$$f/function || exit 1; done

test: lint typecheck  ## install the dev tools, check, run every test
	$(BIN)/pytest -q

BENCHES := scan run data risk route fabric rto backtest

bench: $(BIN)/.dev  ## every benchmark in benchmarks/, each beside its baseline; results in benchmarks/results/
	for b in $(BENCHES); do $(BIN)/python benchmarks/bench_$$b.py || exit 1; done

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
