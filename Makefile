# Two set-up commands: `make demo` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
HOST ?= 127.0.0.1
PIP_QUIET := --quiet --disable-pip-version-check

.PHONY: install services stop-services system-deps migrate demo-data demo test lint bench clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install $(PIP_QUIET) --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
	$(PY) -m pip install $(PIP_QUIET) -e '.[dev]' 2>&1 | grep -v "^WARNING: Location" || true
	$(PY) -c "import django, celery, guardian, pghistory, playwright" 
	touch $@

install: $(VENV)/.installed

# Starts the project's private PostgreSQL and Redis under .run/ unless DATABASE_URL
# and REDIS_URL point at servers of your own.
services: install
	@if [ -z "$$DATABASE_URL" ] || [ -z "$$REDIS_URL" ]; then $(PY) -m config.embedded_services start; fi

stop-services:
	$(PY) -m config.embedded_services stop

system-deps:
	bash scripts/system-deps.sh

migrate: services
	$(PY) manage.py migrate --noinput

demo-data: migrate
	$(PY) manage.py load_admin_units
	$(PY) manage.py load_demo

demo: demo-data
	$(PY) scripts/run_demo.py --host $(HOST) --port $(PORT)

lint: install
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run

test: services system-deps lint
	DJANGO_SETTINGS_MODULE=config.settings.test $(VENV)/bin/pytest $(PYTEST_ARGS)

bench: migrate
	DJANGO_SETTINGS_MODULE=config.settings.dev $(PY) benchmarks/run.py

clean: stop-services
	rm -rf .run staticfiles test-artifacts
