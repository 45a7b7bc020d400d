# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test check lint types unit e2e docs bench clean kafka-jars lock

# The runtime dependencies from the hashed lock (as the image installs them), then the project
# and its development extras on top.
$(STAMP): pyproject.toml contracts/pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet -e ./contracts -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Embedded Kafka broker + NAV sandbox + adapter, and one lookup answered.
run: install
	$(BIN)/nav-adapter dev

## Apache Kafka's jars for the tests' broker, from Maven (skipped without java and mvn).
KAFKA_JARS := .cache/kafka/.copied
kafka-jars: $(KAFKA_JARS)

$(KAFKA_JARS): kafka-broker/pom.xml
	@if command -v java >/dev/null && command -v mvn >/dev/null; then \
		mvn -q -f kafka-broker/pom.xml dependency:copy-dependencies \
			-DoutputDirectory=../.cache/kafka -DincludeScope=runtime && touch $@; \
	else echo "java or mvn missing: the tests use another broker"; fi

## Lint, types, and every test (unit, sandbox, end to end through Kafka).
## The suite on Apache Kafka when java is there, then a smoke set on Tansu (its workarounds).
test: check kafka-jars
	$(BIN)/pytest -q
	TEST_KAFKA=tansu $(BIN)/pytest -q -m tansu_smoke

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

## Re-resolve the runtime dependencies of pyproject.toml (the adapter's and the contracts') into
## requirements.lock, with hashes. The contracts are built here, not fetched: left out of the lock.
lock: install
	rm -rf .cache/contracts-wheel
	$(BIN)/pip wheel --quiet --no-deps --wheel-dir .cache/contracts-wheel ./contracts
	CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --generate-hashes --strip-extras \
		--find-links .cache/contracts-wheel --no-emit-find-links --unsafe-package nav-lookup-contracts \
		--output-file requirements.lock pyproject.toml contracts/pyproject.toml

## Regenerate contracts/nav_lookup_contracts/schemas and the tables in docs/ from the code.
docs: install
	$(BIN)/nav-adapter docs

## Benchmark: the adapter and the bridge against bare aiokafka + aiohttp pipelines, on Apache Kafka
## and on Tansu (not part of `make test`).
bench: install kafka-jars
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .dev .mypy_cache .ruff_cache .pytest_cache
