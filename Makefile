# Two commands: `make run` (local Kafka + worker + demo traffic) and `make test`.
# Everything they need is installed by these targets on a fresh machine.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test lint test-unit bench kafka-jars system-deps schemas clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

kafka-jars: $(STAMP)
	$(PY) -m vigil.broker fetch

## make system-deps: distribution packages (prometheus, chromium for the browser tests), installed only if missing; apt + sudo.
system-deps:
	@bash scripts/system-deps.sh

## make run: the demo — local broker (unless KAFKA_BOOTSTRAP_SERVERS is set), worker, traffic, alerts.
run: kafka-jars
	$(VENV)/bin/vigil demo

## make test: lint, then unit + integration tests on a real Kafka broker the fixture starts itself.
test: system-deps kafka-jars lint
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test-unit: $(STAMP)
	$(PY) -m pytest -q tests/unit

bench: kafka-jars
	$(PY) bench/ingest.py

schemas: $(STAMP)
	$(VENV)/bin/vigil schemas export

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
