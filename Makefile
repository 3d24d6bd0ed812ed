# Tender: `make run` starts the service, `make test` proves it. Both set everything up.
SHELL := /bin/bash
# The first interpreter that really runs and is 3.11 or 3.12 (a pyenv shim may exist and fail).
PYTHON ?= $(shell for p in python3.12 python3.11 python3; do $$p -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] < (3, 13))' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCH_REQUESTS ?= 50000
BENCH_PROFILES ?= zero stripe

.PHONY: run test lint typecheck pytest test-standalone bench lock lock-runtime clean chromium e2e

# The offline Stripe test mode (testmode/) is a development tool of its own: installed here for
# `make run` and `make test`, never part of what production installs (only `tender`).
$(STAMP): requirements.lock pyproject.toml testmode/pyproject.toml
	@test -n "$(PYTHON)" || { echo "Tender needs Python 3.11 or 3.12 on PATH (python3.12, python3.11 or python3); or set PYTHON=..."; exit 1; }
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if (3, 11) <= v < (3, 13) else "Tender needs Python 3.11 or 3.12 (found %d.%d); set PYTHON=python3.12" % v)'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e testmode
	@touch $@

run: $(STAMP)
	$(BIN)/tender serve

lint: $(STAMP)
	$(BIN)/ruff check src tests bench testmode
	$(BIN)/ruff format --check src tests bench testmode

typecheck: $(STAMP)
	$(BIN)/mypy src testmode/src

pytest: $(STAMP)
	$(BIN)/pytest

test: lint typecheck pytest

# The database tests again, against a standalone PostgreSQL (CI runs this when one answers).
test-standalone: $(STAMP)
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test} $(BIN)/pytest -m db

# Debian's chromium for the browser tests (idempotent; needs root and the package mirror).
chromium:
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

# The checkout page and console in headless Chromium; a missing browser is a failure here.
e2e: $(STAMP) chromium
	TENDER_BROWSER_REQUIRED=1 $(BIN)/pytest tests/browser tests/checkout -q

bench: $(STAMP)
	$(BIN)/python -m bench.run --requests $(BENCH_REQUESTS) $(foreach p,$(BENCH_PROFILES),--profile $(p))

# Re-pin after editing requirements.in (needs uv: pip install uv).
lock:
	uv pip compile requirements.in --universal --python-version 3.11 --generate-hashes \
		--no-emit-index-url --no-header -o requirements.lock
	$(MAKE) lock-runtime

# The container's pins: the "# Runtime" block of requirements.in only (pyproject's dependencies
# and sniffio; no test or dev tools), and the build backend the image builds Tender's wheel with.
lock-runtime:
	sed -n '/^# Runtime/,/^# Build/p' requirements.in | uv pip compile - --universal --python-version 3.12 --generate-hashes \
		--no-emit-index-url --no-header -o requirements-runtime.lock
	printf 'setuptools>=68\nwheel\n' | uv pip compile - --universal --python-version 3.12 \
		--generate-hashes --no-emit-index-url --no-header -o requirements-build.lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
