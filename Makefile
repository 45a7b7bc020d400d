# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test check lint types unit e2e docs bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Embedded Kafka broker + NAV sandbox + adapter, and one lookup answered.
run: install
	$(BIN)/nav-adapter dev

## Lint, types, and every test (unit, sandbox, end to end through Kafka).
test: check
	$(BIN)/pytest -q

check: lint types

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: install
	$(BIN)/mypy

unit: install
	$(BIN)/pytest -q tests/unit tests/adapter tests/sandbox tests/contract

e2e: install
	$(BIN)/pytest -q tests/e2e

## Regenerate contracts/schemas and the tables in docs/ from the code.
docs: install
	$(BIN)/nav-adapter docs

## Benchmark: the adapter against a bare aiokafka + aiohttp pipeline (not part of `make test`).
bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .dev .mypy_cache .ruff_cache .pytest_cache
