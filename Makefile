# Careboard — the two commands: `make run` and `make test`.
# Needs Python 3.11+ on PATH (as python3, or set PYTHON=...). Everything else is installed here:
# uv into .tools/, the locked dependencies into .venv/.

PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: run test install lint format check migrate demo clean frontend frontend-test docs \
	docs-screenshots

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet "uv==$(UV_VERSION)"

$(VENV)/.installed: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python "$$($(PYTHON) -c 'import sys; print(sys.executable)')"
	@touch $@

install: $(VENV)/.installed

# The Vue front end: npm packages from the lock file, built into careboard/static/dist.
FRONTEND_SOURCES := $(shell find frontend/src -type f 2>/dev/null) frontend/vite.config.ts frontend/package-lock.json
frontend/node_modules/.installed: frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	@touch $@

# The prebuild step lists the Python packages' licences too, so it needs .venv.
careboard/static/dist/manifest.json: frontend/node_modules/.installed $(FRONTEND_SOURCES) \
		$(VENV)/.installed uv.lock frontend/scripts/licenses.mjs
	cd frontend && npm run build

frontend: careboard/static/dist/manifest.json

frontend-test: frontend/node_modules/.installed
	cd frontend && npm run typecheck && npm test

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py demo

run: demo frontend
	@$(PY) manage.py demo --print-logins --url "http://$(HOST):$(PORT)/"
	$(VENV)/bin/uvicorn config.asgi:application --host $(HOST) --port $(PORT) --lifespan on

test: install frontend frontend-test
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install frontend/node_modules/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/mypy
	cd frontend && npm run lint

docs: install
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet --site-dir var/site

# The user guides' screenshots (docs/guides/img/), taken by the browser test of each role's
# screens on the demo data; needs Debian's chromium. pngquant (Debian: apt-get install
# pngquant), when present, makes them about a third of the size; the images are committed.
GUIDE_SHOTS := frontend/test-results/screenshots
docs-screenshots: install frontend
	$(VENV)/bin/pytest careboard/e2e/tests/test_guide_screenshots.py -q
	mkdir -p docs/guides/img
	rm -f docs/guides/img/guide-*.png
	cp $(GUIDE_SHOTS)/guide-*.png docs/guides/img/
	@if command -v pngquant >/dev/null; then \
		for f in docs/guides/img/guide-*.png; do \
			pngquant --force --skip-if-larger --strip --quality 65-95 --ext .png "$$f" \
				|| [ $$? -ge 98 ] || exit 1; \
		done; \
	else echo "pngquant not found: the screenshots are copied unoptimised"; fi
	@du -ch docs/guides/img/guide-*.png | tail -n 1

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf .venv .tools staticfiles frontend/node_modules careboard/static/dist

# Benchmarks (bench/README.md): production settings, gunicorn + uvicorn workers, PostgreSQL,
# Redis and wrk on this machine. `bench` is the quick data set (a few minutes); `bench-full`
# generates the hospital and then the region scale (long). Results go to bench/results/.
.PHONY: bench bench-full
bench: install
	$(UV) sync --frozen --group production --inexact
	$(PY) bench/run.py --quick $(BENCH_ARGS)

bench-full: install
	$(UV) sync --frozen --group production --inexact
	$(PY) bench/run.py --full $(BENCH_ARGS)
