# Oversight: `make run` sets everything up and serves the app; `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export DJANGO_SETTINGS_MODULE ?= oversight.settings.dev

.PHONY: run test test-fast setup bootstrap lint bench worker beat clean

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

setup: $(VENV)/.installed
	$(PY) manage.py migrate --noinput

# Loads the bundled real data and the synthetic companion once, creates demo accounts, computes results.
bootstrap: setup
	$(PY) manage.py bootstrap

run: bootstrap
	@echo "Serving Oversight on http://127.0.0.1:$(PORT)/"
	$(PY) manage.py runserver 127.0.0.1:$(PORT) --noreload

# The whole suite, after the checks every commit must pass: ruff (lint and format) and no missing migration.
test: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .
	DJANGO_SETTINGS_MODULE=oversight.settings.test $(PY) manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=oversight.settings.test $(PY) -m pytest $(PYTEST_ARGS)

# The fast inner loop: everything but the browser and schemathesis tests.
test-fast: $(VENV)/.dev-installed
	DJANGO_SETTINGS_MODULE=oversight.settings.test $(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

worker: $(VENV)/.installed
	$(VENV)/bin/celery -A oversight worker --loglevel=info

beat: $(VENV)/.installed
	$(VENV)/bin/celery -A oversight beat --loglevel=info

bench: $(VENV)/.dev-installed
	$(PY) bench/recompute.py

clean:
	rm -rf $(VENV) oversight.sqlite3 staticfiles .pytest_cache
