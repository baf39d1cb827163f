# Two commands: `make run` (local Kafka + worker + demo traffic) and `make test`.
# Everything they need is installed by these targets on a fresh machine.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
A11Y   := tests/a11y
A11Y_STAMP := $(A11Y)/node_modules/.installed

.PHONY: run test lint test-unit bench kafka-jars system-deps a11y-deps schemas clean

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

## make a11y-deps: axe-core, pinned in tests/a11y/package-lock.json, for the dashboard's accessibility audit (npm ci; needs Node.js and npm).
a11y-deps: $(A11Y_STAMP)

$(A11Y_STAMP): $(A11Y)/package.json $(A11Y)/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "a11y-deps: npm is not on PATH; install Node.js and npm (Debian: apt-get install nodejs npm), then run make again." >&2; exit 1; }
	npm ci --prefix $(A11Y) --no-audit --no-fund
	touch $(A11Y_STAMP)

## make run: the demo — local broker (unless KAFKA_BOOTSTRAP_SERVERS is set), worker, traffic, alerts.
run: kafka-jars
	$(VENV)/bin/vigil demo

## make test: lint, then unit + integration tests on a real Kafka broker the fixture starts itself.
test: system-deps kafka-jars a11y-deps lint
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
