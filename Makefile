# govportal: `make run` serves the portal, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
export PORT HOST
export PATH := $(BIN):$(PATH)

.PHONY: install setup run test worker beat web clean-var

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

## Migrate, load the 168 units and the default routing rules, the mock population registry and the demo accounts (idempotent), collect static files.
setup: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_units
	$(BIN)/python manage.py load_routing_rules
	$(BIN)/python manage.py load_catalogue --keep-existing
	$(BIN)/python manage.py seed_registry
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0

## Web + a real Celery worker + beat on http://$(HOST):$(PORT); Ctrl-C stops all three.
run: setup
	$(BIN)/honcho --procfile Procfile start --port $(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)
