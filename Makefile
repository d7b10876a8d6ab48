# Grove's two commands:
#   make run    virtualenv, install, compile translations, migrate, demo data, serve on 127.0.0.1:5000
#   make test   virtualenv with test tools, the whole suite on SQLite, and on PostgreSQL when
#               TEST_DATABASE_URL is set
# Each set-up step leaves a stamp, so a second run skips what is already done.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
# Each database's run has two passes: the tests spread over TEST_WORKERS processes (pytest-xdist;
# each worker has its own database, see tests/conftest.py), then the tests marked `serial` one at
# a time: they start gunicorn or nginx, whose workers load every core, or drive Chromium, whose
# waits could run out beside them. PYTEST_ARGS go to both passes (a pass they leave empty is fine).
TEST_WORKERS ?= 2
PYTEST_ARGS ?=
PO := app/translations/zh_Hans_CN/LC_MESSAGES/messages.po
MO := $(PO:.po=.mo)
# The Debian packages the tests call: Chromium for the browser journeys, a CJK font for Chinese
# pages and printouts, systemd for `systemd-analyze verify` of the deployment guide's units, and
# with TEST_DATABASE_URL set nginx, which the two-host test puts in front of two Grove hosts
# (tests/deploy/). `make test` installs the missing ones (tools/system-packages.sh).
SYSTEM_PACKAGES := chromium fonts-wqy-zenhei systemd $(if $(TEST_DATABASE_URL),nginx)

.PHONY: run test bench help

help:
	@echo "make run    serve Grove with demo data at http://$(HOST):$(PORT)"
	@echo "make test   run the test suite (SQLite; PostgreSQL too when TEST_DATABASE_URL is set)"
	@echo "make bench  time the public page and every staff page at 20,000 companies, SQLite and PostgreSQL"

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) || { echo "Could not create $(VENV): on Debian/Ubuntu run 'apt-get install python3-venv'."; exit 1; }

# Every package, transitive ones included, is installed by its pinned version and hash
# (requirements*.lock, made from requirements*.txt by tools/lock.sh).
$(VENV)/.installed-run: requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	@touch $@

$(VENV)/.installed-dev: requirements-dev.lock | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	@touch $@ $(VENV)/.installed-run

$(MO): $(PO) $(VENV)/.installed-run
	$(BIN)/python tools/i18n.py compile

run: $(VENV)/.installed-run $(MO)
	$(FLASK) db upgrade
	GROVE_BASE_URL=http://$(HOST):$(PORT) $(FLASK) seed-demo --if-empty
	@echo "Grove: http://$(HOST):$(PORT)  (Ctrl-C stops it)"
	$(BIN)/gunicorn --workers 2 --threads 4 --no-control-socket --bind $(HOST):$(PORT) --access-logfile - wsgi:app

test: $(VENV)/.installed-dev $(MO)
	@tools/system-packages.sh $(SYSTEM_PACKAGES)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	@status=0; \
	passes() { \
		echo "== tests on $$1, $(TEST_WORKERS) workers"; \
		GROVE_TEST_BACKEND=$$2 $(BIN)/pytest -n $(TEST_WORKERS) -m "not serial" $(PYTEST_ARGS); \
		code=$$?; [ $$code -eq 0 ] || [ $$code -eq 5 ] || status=1; \
		echo "== tests on $$1 that load every core or drive Chromium, one at a time"; \
		GROVE_TEST_BACKEND=$$2 $(BIN)/pytest -m serial $(PYTEST_ARGS); \
		code=$$?; [ $$code -eq 0 ] || [ $$code -eq 5 ] || status=1; \
	}; \
	passes SQLite sqlite; \
	if [ -n "$$TEST_DATABASE_URL" ]; then \
		passes PostgreSQL postgres; \
	else \
		echo "== TEST_DATABASE_URL is not set: the PostgreSQL run is skipped"; \
	fi; \
	exit $$status

# One table of every benchmark on SQLite and PostgreSQL (the server of $$TEST_DATABASE_URL, else the
# local one if it answers), also written to benchmarks/results/bench.md; 5-7 minutes. BENCH_ARGS
# go to benchmarks/bench_all.py, e.g. BENCH_ARGS="--runs 10 --only visits --no-signup", "--no-postgres"
# or "--postgres postgresql://user@host/postgres" (see its --help).
bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/bench_all.py $(BENCH_ARGS)
