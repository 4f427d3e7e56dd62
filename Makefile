# CareLoop: `make demo` sets up and serves the app; `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PG_URL ?= postgres://postgres@127.0.0.1:5432/careloop
REDIS_URL_TEST ?= redis://127.0.0.1:6379/15
DEMO_CUSTOMERS ?= 3000

.PHONY: install assets browser demo serve test test-sqlite test-postgres lint fmt bench clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed assets

careloop/static/vendor/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p careloop/static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js node_modules/echarts/dist/echarts.min.js \
	   node_modules/modern-normalize/modern-normalize.css careloop/static/vendor/
	touch $@

assets: careloop/static/vendor/.installed

# Debian's Chromium and a CJK font for the browser tests (installed when missing and root).
browser:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qiE 'wqy|noto.*cjk'; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; \
	  else echo "需要 /usr/bin/chromium 和中文字体:sudo apt-get install chromium fonts-wqy-microhei"; exit 1; fi; \
	fi

demo: install
	$(VENV)/bin/careloop migrate --noinput -v 0
	$(VENV)/bin/careloop demo --customers $(DEMO_CUSTOMERS) --if-empty
	$(VENV)/bin/careloop serve

serve: install
	$(VENV)/bin/careloop serve

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check careloop bench e2e
	$(VENV)/bin/ruff format --check careloop bench e2e

fmt: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix careloop bench e2e
	$(VENV)/bin/ruff format careloop bench e2e

test: install browser lint
	CARELOOP_DATA_DIR=$$(mktemp -d) $(PY) -m django makemigrations --check --dry-run --settings=careloop.settings >/dev/null
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

test-sqlite:
	CARELOOP_DATA_DIR=$$(mktemp -d) $(PY) -m pytest -q

# PostgreSQL (and Redis for the queue) when they answer; under CI=true their absence fails.
test-postgres:
	@if $(PY) -c "import psycopg; psycopg.connect('$(PG_URL)'.rsplit('/',1)[0] + '/postgres', connect_timeout=3).close()" 2>/dev/null; then \
	  echo "== PostgreSQL: $(PG_URL)"; \
	  CARELOOP_DATA_DIR=$$(mktemp -d) CARELOOP_TEST_DATABASE_URL=$(PG_URL) CARELOOP_TEST_REDIS_URL=$(REDIS_URL_TEST) \
	    $(PY) -m pytest -q -m "not e2e"; \
	elif [ "$$CI" = true ]; then echo "PostgreSQL 不可用 ($(PG_URL)),CI 下这是失败"; exit 1; \
	else echo "== PostgreSQL 未运行,跳过 PostgreSQL 测试(CI 下会失败)"; fi

bench: install
	$(PY) bench/import.py

clean:
	rm -rf $(VENV) node_modules careloop/static/vendor var
