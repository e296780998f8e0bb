# The two commands: `make run` and `make test`. Everything else supports them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app induction
export FLASK_APP := induction

.PHONY: run test install install-test oidc-provider check-content pytest-sqlite pytest-postgres system-packages pdf-libraries ralph bench bench-national audit clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.run-installed: requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	$(BIN)/pip install -q --no-deps --config-settings editable_mode=compat -e .
	touch $@

$(VENV)/.test-installed: requirements-dev.txt $(VENV)/.run-installed
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.run-installed

install-test: $(VENV)/.test-installed system-packages ralph oidc-provider

## Ralph, the external LRS the forwarding tests send to, in a venv of its own.
.venv-ralph/bin/ralph:
	$(PYTHON) -m venv .venv-ralph
	.venv-ralph/bin/pip install -q 'ralph-malph[lrs,cli]' requests uvicorn

ralph: .venv-ralph/bin/ralph

## The OpenID provider the sign-in tests run (oidc-provider from npm, on Node 20 or later).
tests/oidc_provider/node_modules/.package-lock.json: tests/oidc_provider/package-lock.json
	cd tests/oidc_provider && npm ci --no-audit --no-fund --silent

oidc-provider: tests/oidc_provider/node_modules/.package-lock.json

## make run: install, create or upgrade the SQLite database, load demo data if new, serve.
run: install pdf-libraries
	@mkdir -p instance
	@new=$$( [ -f instance/induction.db ] || echo yes ); \
	$(FLASK) db upgrade >/dev/null && \
	if [ -n "$$new" ]; then $(FLASK) demo; else echo "Using the existing database instance/induction.db (delete it for fresh demo data)."; \
	  $(BIN)/python -c "from induction.commands import demo_accounts; print('Demo sign-ins (password induction-demo):'); [print(f'  {e:28} {w}') for e, w in demo_accounts()]"; fi
	@echo "Serving on http://127.0.0.1:5000"
	$(FLASK) run --host 127.0.0.1 --port 5000

## make test: install what tests need, start PostgreSQL, run every check.
test: install-test
	$(BIN)/ruff check induction tests bench scripts
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(FLASK) content check
	$(MAKE) pytest-sqlite
	scripts/with-postgres.sh $(MAKE) pytest-postgres

pytest-sqlite:
	$(BIN)/pytest -q -p no:cacheprovider --cov=induction --cov-branch --cov-report=term:skip-covered

pytest-postgres:
	@test -n "$$TEST_DATABASE_URL" || { echo "TEST_DATABASE_URL is not set"; exit 1; }
	$(BIN)/pytest -q -p no:cacheprovider -m "not browser"

system-packages: pdf-libraries
	@need=""; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need="$$need postgresql"; \
	command -v chromium >/dev/null 2>&1 || need="$$need chromium"; \
	command -v pdftotext >/dev/null 2>&1 || need="$$need poppler-utils"; \
	command -v npm >/dev/null 2>&1 || need="$$need nodejs npm"; \
	if [ -n "$$need" ]; then \
	  echo "Installing system packages:$$need"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$need >/dev/null; \
	fi

## WeasyPrint (the certificate PDF) needs Pango from the system.
pdf-libraries:
	@need=""; \
	ldconfig -p | grep -q 'libpango-1.0.so.0' || need="$$need libpango-1.0-0"; \
	ldconfig -p | grep -q 'libpangoft2-1.0.so.0' || need="$$need libpangoft2-1.0-0"; \
	if [ -n "$$need" ]; then \
	  echo "Installing system packages:$$need"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$need >/dev/null; \
	fi

check-content: install
	$(FLASK) content check

## make audit: known vulnerabilities in the pinned dependencies (needs PyPI's vulnerability service).
audit: install
	$(BIN)/pip install -q pip-audit
	$(BIN)/pip-audit -r requirements.txt

bench: install-test
	$(BIN)/python bench/run.py

bench-national: install-test  # the report at 1,000,000 learners too: about 8 minutes more, 4 GB for the seed
	$(BIN)/python bench/run.py --learners 10000,100000,1000000

clean:
	rm -rf $(VENV) .venv-ralph tests/oidc_provider/node_modules instance .pytest_cache .mypy_cache .ruff_cache
