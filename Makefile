# govportal: `make run` serves the portal, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
export PORT HOST
export PATH := $(BIN):$(PATH)

.PHONY: install setup run test worker beat web clean-var bench

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

## Migrate, load the units, the default routing rules and the catalogue, and (where DEMO_ENABLED) the mock
## population registry and the demo accounts, collect static files: one idempotent command (docker compose runs it too).
setup: install
	$(BIN)/python manage.py setup_portal --collectstatic

## Web + a real Celery worker + beat on http://$(HOST):$(PORT); Ctrl-C stops all three.
run: setup
	$(BIN)/honcho --procfile Procfile start --port $(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## Benchmark (bench/run.py): 100k then 1M dossiers on the machine's PostgreSQL and Redis (database
## govportal_benchrun, Redis db 12), every scenario against its baseline; results in bench/results/.
## Shorter: make bench BENCH_ARGS="--sizes 100000 --seconds 5"
bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)
