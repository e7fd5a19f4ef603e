# daypass: `make run` serves the demo on http://127.0.0.1:8000, `make test` runs the suite.
# Needs only Python 3.11+ with venv and pip; everything else goes into ./.venv.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: help install install-test run demo test lint format migrations-check clean reset-data screenshots

help:
	@echo "make run     install into $(VENV), migrate ./data, load the demo once, serve on http://$(HOST):$(PORT)"
	@echo "make test    install with test extras, lint, check migrations, run the whole suite"
	@echo "make lint    ruff check and ruff format --check"
	@echo "make screenshots  run the browser tests and refresh docs/screenshots (tests alone write to a temp folder)"
	@echo "make format  ruff format and ruff check --fix"
	@echo "make demo    load the demo data into the database (refuses if it has data)"
	@echo "make clean   remove $(VENV) and caches (keeps ./data)"
	@echo "make reset-data  delete ./data, the embedded SQLite database"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Stamps: reinstall when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

run: install
	$(BIN)/daypass run --host $(HOST) --port $(PORT)

demo: install
	$(BIN)/daypass migrate --verbosity 0
	$(BIN)/daypass demo

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Against an in-memory database: the check needs no server and leaves no file behind.
migrations-check: install-test
	DATABASE_URL=sqlite:///:memory: $(BIN)/daypass makemigrations --check --dry-run

test: lint migrations-check
	$(BIN)/pytest -rs $(PYTEST_ARGS)

# The browser tests write their screenshots to a temporary folder; this refreshes the committed ones.
screenshots: install-test
	DAYPASS_REFRESH_SCREENSHOTS=1 $(BIN)/pytest tests/browser -q $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

reset-data:
	rm -rf data
