# zhicha — the two commands are `make run` and `make test` (see README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
WORKERS ?= 2
# The instance folder (database, secrets, storage): the app's own default, or ZHICHA_INSTANCE_DIR.
INSTANCE ?= $(or $(ZHICHA_INSTANCE_DIR),instance)
export FLASK_APP := wsgi

.PHONY: run dev test lint format bench chromium clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed-run

$(INSTANCE)/secrets.env: | $(VENV)/.installed-run
	mkdir -p $(INSTANCE)
	umask 077 && $(BIN)/python -m server.keygen > $@

# Production path on SQLite: real secrets (generated once into instance/secrets.env, which
# every process and flask command of the app reads by itself: server/config.py), migrations,
# demo data on an empty database, then gunicorn and the job worker together (Procfile).
run: $(VENV)/.installed-run $(INSTANCE)/secrets.env
	@$(BIN)/flask db upgrade && \
	$(BIN)/flask seed-demo --if-empty && \
	$(BIN)/flask analyze-db && \
	$(BIN)/flask fonts-check && \
	echo "直查 zhicha: http://$(HOST):$(PORT)/ (web + job worker; Ctrl-C stops both)" && \
	HOST=$(HOST) WORKERS=$(WORKERS) PATH="$(abspath $(BIN)):$$PATH" \
	  exec $(BIN)/honcho start --no-prefix -f Procfile -p $(PORT)

# Debug server and job worker; development secrets are generated into instance/ on first start.
dev: $(VENV)/.installed-run
	ZHICHA_ENV=development $(BIN)/flask db upgrade
	ZHICHA_ENV=development $(BIN)/flask seed-demo --if-empty
	ZHICHA_ENV=development HOST=$(HOST) PATH="$(abspath $(BIN)):$$PATH" \
	  exec $(BIN)/honcho start -f Procfile.dev -p $(PORT)

# The browser tests drive Debian's Chromium (Playwright cannot download browsers here).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  apt-get update && apt-get install -y chromium; }

# Tests run in one process per core, at most four (pytest-xdist; each has its own databases,
# files and Chromium). PYTEST_WORKERS=0 runs them in this process, in order.
PYTEST_WORKERS ?= auto
test: $(VENV)/.installed-test chromium
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -n $(PYTEST_WORKERS) --maxprocesses 4 --dist loadgroup $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(VENV)/.installed-test
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
