# Two commands: `make run` starts everything, `make test` runs the tests.
# Also: `make lint` (ruff and mypy), `make unit` (the fast unit tests alone), `make bench`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test unit lint clean

# Exactly the versions (and files, by hash) of requirements-dev.lock, then the project itself.
$(STAMP): pyproject.toml requirements-dev.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/orders dev

test: $(STAMP)
	sh scripts/ensure-chromium.sh
	sh scripts/ensure-promtool.sh
	sh scripts/ensure-asyncapi-schema.sh
	$(BIN)/python -m pytest

unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .data

# `make bench`: measure the service against ceilings taken on this machine in the same run;
# writes docs/benchmarks.md and fails if a target is missed (see that file).
BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	touch $(BENCH_STAMP)

.PHONY: bench
bench: $(BENCH_STAMP)
	$(BIN)/python -m bench

# `make lock`: requirements.lock (what the image installs: the dependencies alone) and
# requirements-dev.lock (every extra; `make run` and `make test` install it), both with hashes.
# Versions already locked are kept while pyproject.toml allows them; LOCK_OPTIONS=--upgrade takes the newest.
UV := UV_CACHE_DIR=.cache/uv $(BIN)/uv
LOCK_OPTIONS ?=

.PHONY: lock
lock: $(STAMP)
	test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet uv
	$(UV) pip compile pyproject.toml --generate-hashes --python-version 3.11 -o requirements.lock --quiet $(LOCK_OPTIONS)
	$(UV) pip compile pyproject.toml --extra dev --extra test --extra lint --extra bench --universal \
		--generate-hashes --python-version 3.11 -c requirements.lock -o requirements-dev.lock --quiet $(LOCK_OPTIONS)

# `make lowest`: the unit tests (an import of every module among them) on the lowest version of every
# direct dependency pyproject.toml allows, in a venv of its own, so that its lower bounds stay true.
LOWEST := .cache/lowest

.PHONY: lowest
lowest: $(STAMP)
	rm -rf $(LOWEST)
	UV_PYTHON_DOWNLOADS=never $(UV) venv --quiet --python $(BIN)/python $(LOWEST)
	$(UV) pip install --quiet --python $(LOWEST)/bin/python --resolution lowest-direct -e '.[dev,test]'
	$(LOWEST)/bin/python -m pytest tests/unit -q -p no:cacheprovider

# `make image-test`: build the image and run it against the suite's NATS and PostgreSQL (tests/image;
# Docker when its daemon answers, else podman: scripts/ensure-container-engine.sh).
.PHONY: image-test
image-test: $(STAMP)
	sh scripts/ensure-container-engine.sh
	$(BIN)/python -m pytest tests/image -m image -p no:cacheprovider

# `make faults`: the network partition tests (tests/faults; NATS and PostgreSQL behind links
# cut for a minute and for five; about 15 minutes). Network namespaces need root: elsewhere they skip.
.PHONY: faults
faults: $(STAMP)
	sh scripts/ensure-netns-tools.sh
	$(BIN)/python -m pytest -m partition -s tests/faults  # -s: each test prints its figures
