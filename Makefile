# Two commands: `make run` starts everything, `make test` runs the tests.
# Also: `make lint` (ruff and mypy), `make unit` (the fast unit tests alone), `make bench`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test unit lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,test,lint]'
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

# `make faults`: the network partition tests (tests/faults; NATS and PostgreSQL behind links
# cut for a minute and for five; about 15 minutes). Network namespaces need root: elsewhere they skip.
.PHONY: faults
faults: $(STAMP)
	sh scripts/ensure-netns-tools.sh
	$(BIN)/python -m pytest -m partition -s tests/faults  # -s: each test prints its figures
