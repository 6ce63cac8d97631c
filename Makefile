# Two commands: `make run` (set up and start the site) and `make test` (run the suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run setup test lint worker clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.deps: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

setup: $(VENV)/.deps
	DEBUG=true $(BIN)/python manage.py setup_local

run: setup
	DEBUG=true $(BIN)/python manage.py run_local --port $(PORT)

test: $(VENV)/.deps
	SECRET_KEY=test-only-secret $(BIN)/ruff check .
	SECRET_KEY=test-only-secret $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.deps
	$(BIN)/ruff check .

clean:
	rm -rf var
