# ichigen: `make run` to see it work, `make test` to check it does.
# Everything installs into .venv at the repo root from the committed uv.lock.

SHELL := /bin/bash
# uv is run as a module of the machine's python3 so it is found wherever pip put it.
UV := python3 -m uv
VENV := .venv
OMS := $(VENV)/bin/oms
PY := $(VENV)/bin/python

.PHONY: install install-dev browser run test bench lint format clean-data screenshots

# Two stamps, one per set of packages, so that `make run` after `make test` (or the reverse)
# installs what the second one needs instead of trusting the first one's stamp.
RUNTIME := $(VENV)/.installed-runtime
DEV := $(VENV)/.installed-dev

# Bytecode compiled once at install: where PYTHONDONTWRITEBYTECODE is set (as on the development
# machine) every `oms`, dbt and test process otherwise compiles dagster and dbt from source again
# (importing the orchestration modules: 6.5 CPU-s without, 3.4 s with).
# Running needs no dev tools (about half the venv). --inexact keeps dev tools a `make test`
# installed, so switching between the two targets never removes and reinstalls them.
$(RUNTIME): pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --locked --no-dev --inexact --compile-bytecode
	touch $@

# The dev group (pytest, ruff, mypy, sqlfluff, import-linter, playwright, the channels' SDKs).
$(DEV): pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --locked --compile-bytecode
	touch $@

install: $(RUNTIME)
install-dev: $(DEV)

run: install
	$(OMS) demo

# Debian's chromium (and CJK fonts, for readable screenshots) for the browser tests and
# `make screenshots`: Playwright's own browser download is unreachable from CI.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk; } \
	      || echo "could not install chromium: the browser tests will skip"; \
	  else echo "chromium is missing and cannot be installed here: the browser tests will skip"; fi; }

# Two workers (pytest-xdist) on CI's two cores: much of the suite waits on sockets, simulated
# back-offs and dbt's start-up rather than computing. A test file goes to one worker whole, so its
# module fixtures are built once; the session's shared warehouses are built once per run,
# whichever worker asks first (tests/once.py).
TEST_WORKERS ?= 2
test: install-dev browser
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadfile

# One PNG per page of the app under screenshots/ (not committed), from $$ICHIGEN_DATA_DIR's
# snapshot: run `make run` or `.venv/bin/oms demo --no-ui` first. Playwright is a dev tool.
screenshots: install-dev browser
	$(PY) -m ichigen.app.screenshots screenshots

# The large tier is where the targets are set; `make bench BENCH_TIER=small` for a quick look.
# The bench group adds the references (dlt) and the profiler (py-spy) to the dev tools (the
# end-to-end section drives Chromium through Playwright); the next change to uv.lock syncs
# without it again.
BENCH_TIER ?= large
bench: install-dev
	$(UV) sync --locked --group bench --compile-bytecode
	$(OMS) bench --tier $(BENCH_TIER)

# lint-imports checks the layers written as contracts in pyproject.toml ([tool.importlinter]).
lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	@if [ -d dbt_project/models ]; then $(VENV)/bin/sqlfluff lint dbt_project; fi

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean-data:
	find data -mindepth 1 -maxdepth 1 ! -name README.md -exec rm -rf {} +
