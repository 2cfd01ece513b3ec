# GridSnap: `make run` serves the API, pages and live streams on one port, `make test` runs the tests.
# Both set themselves up.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
HOST ?= 127.0.0.1
export FLASK_APP := wsgi.py

.PHONY: run test test-pg bench lint clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) on PATH (or set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

# `make run` only: deliver in-process, so an unseen assignment's SMS shows in this log (console
# provider) two minutes later, at any hour (no quiet hours in the demo).
run: export NOTIFICATIONS_DELIVER_INTERVAL_SECONDS ?= 5
run: export SMS_QUIET_HOURS ?=
run: $(VENV)/.runtime
	$(BIN)/flask db upgrade
	$(BIN)/flask seed demo
	SLA_SWEEP_INTERVAL_SECONDS=$${SLA_SWEEP_INTERVAL_SECONDS:-60} $(BIN)/flask notifications serve --host $(HOST) --port $(PORT)

test: $(VENV)/.dev
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check .

bench: $(VENV)/.dev
	for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache
