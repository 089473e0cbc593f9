# guanxi — set-up, demo, tests. Every target sets up what it needs, and only what changed:
# stamp files (.venv/.runtime, .venv/.installed, node_modules/.installed,
# build/static/.copied) are newer than the files they were made from, so a second
# `make demo` goes straight to migrate-and-serve.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --disable-pip-version-check
# The port `make demo` serves on (the Procfile reads it); e.g. `make demo GUANXI_PORT=8001`.
GUANXI_PORT ?= 8000
export GUANXI_PORT
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

# The data directory of settings.py (SQLite database, secret key, collected static files).
DATA_DIR := $(or $(GUANXI_DATA_DIR),var)
STATIC_SOURCES := $(shell find guanxi -path '*/static/*' -type f 2>/dev/null)

PO_FILES := $(wildcard locale/*/LC_MESSAGES/django.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: demo test lint format setup runtime assets messages makemessages migrate collectstatic serve bench openapi clean help

help:
	@echo "make demo   set up, load demo data, serve on http://127.0.0.1:$(GUANXI_PORT) (web, worker, scheduler)"
	@echo "make test   set up and run the whole test suite (PostgreSQL when DATABASE_URL is set)"
	@echo "make lint   ruff and mypy"
	@echo "make bench  run the benchmarks in benchmarks/ (BENCH_ARGS='http_pages --requests 500')"

# The runtime (what `make demo` needs) and the development tools (tests, lint) are
# installed separately, so a demo on a fresh machine does not download Playwright & co.
$(VENV)/.runtime: requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) -r requirements.txt
	@touch $@

$(VENV)/.installed: $(VENV)/.runtime requirements-dev.txt
	$(PIP) -r requirements-dev.txt
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

build/static/.copied: node_modules/.installed scripts/copy_assets.py
	$(PY) scripts/copy_assets.py
	@touch $@

locale/%/LC_MESSAGES/django.mo: locale/%/LC_MESSAGES/django.po $(VENV)/.runtime
	$(PY) scripts/compile_messages.py $<

runtime: $(VENV)/.runtime build/static/.copied messages
assets: $(VENV)/.runtime build/static/.copied
messages: $(MO_FILES)
setup: $(VENV)/.installed assets messages

# Against the database of GUANXI_DATA_DIR (default var/) or DATABASE_URL: cheap when
# there is nothing to do, so it always runs.
migrate: runtime
	$(PY) manage.py migrate --no-input -v0
	$(PY) manage.py bootstrap

# collectstatic (hashing and compressing every file) only when a static file changed;
# the target is the manifest collectstatic writes.
$(DATA_DIR)/static/staticfiles.json: build/static/.copied $(VENV)/.runtime $(STATIC_SOURCES)
	$(PY) manage.py collectstatic --no-input -v0
	@touch "$@"

collectstatic: runtime $(DATA_DIR)/static/staticfiles.json

demo: migrate collectstatic
	$(PY) manage.py seed_demo
	@echo "guanxi on http://127.0.0.1:$(GUANXI_PORT) — sign in as admin (password admin on first run). Ctrl-C stops."
	PYTHONUNBUFFERED=1 $(VENV)/bin/honcho -f Procfile start

serve: migrate collectstatic
	PYTHONUNBUFFERED=1 $(VENV)/bin/honcho -f Procfile start

test: setup
	@set -o pipefail; $(PY) -m pytest $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# The catalogues cover the product only (guanxi/): tests, benchmarks, docs and test
# artefacts (test-results/ holds rendered HTML) are left out. Needs GNU gettext's xgettext.
makemessages: setup
	@command -v xgettext >/dev/null || { echo "makemessages needs GNU gettext (apt-get install gettext)"; exit 1; }
	$(PY) manage.py makemessages -l zh_Hans -l en --no-obsolete --no-location \
		-i ".venv/*" -i "node_modules/*" -i "build/*" -i "var/*" \
		-i "tests/*" -i "test-results/*" -i "benchmarks/*" -i "docs/*" -i "scripts/*"

openapi: setup
	$(PY) manage.py export_openapi > openapi.json

# The benchmarks build their own throw-away data directory; nothing here touches var/.
bench: runtime
	$(PY) benchmarks/run.py $(BENCH_ARGS)

clean:
	rm -rf build node_modules/.installed $(VENV)/.installed $(VENV)/.runtime
