# ichigen: `make run` to see it work, `make test` to check it does.
# Everything installs into .venv at the repo root from the committed uv.lock.

SHELL := /bin/bash
# uv is run as a module of the machine's python3 so it is found wherever pip put it.
UV := python3 -m uv
VENV := .venv
OMS := $(VENV)/bin/oms
PY := $(VENV)/bin/python

.PHONY: install browser run test bench lint format clean-data screenshots

# Bytecode compiled once at install: where PYTHONDONTWRITEBYTECODE is set (as on the development
# machine) every `oms`, dbt and test process otherwise compiles dagster and dbt from source again
# (importing the orchestration modules: 6.5 CPU-s without, 3.4 s with).
$(VENV)/.installed: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --locked --compile-bytecode
	touch $@

install: $(VENV)/.installed

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

test: install browser
	$(VENV)/bin/pytest

# One PNG per page of the app under screenshots/ (not committed), from $$ICHIGEN_DATA_DIR's
# snapshot: run `make run` or `.venv/bin/oms demo --no-ui` first.
screenshots: install browser
	$(PY) -m app.screenshots screenshots

# The large tier is where the targets are set; `make bench BENCH_TIER=small` for a quick look.
# The bench group adds the references (dlt) and the profiler (py-spy); `make install` (and so
# `make test`) syncs without it again.
BENCH_TIER ?= large
bench: install
	$(UV) sync --locked --group bench --compile-bytecode
	$(OMS) bench --tier $(BENCH_TIER)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	@if [ -d dbt_project/models ]; then $(VENV)/bin/sqlfluff lint dbt_project; fi

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean-data:
	find data -mindepth 1 -maxdepth 1 ! -name README.md -exec rm -rf {} +
