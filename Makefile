# Careline: `make run` starts the local stack, `make test` runs every test
# (`make test-fast` the unit tests alone).
# The newest Python here, from the functions' runtime (infra/stack/naming.py LAMBDA_PYTHON, 3.14) down to 3.11;
# a version manager's shim for a Python it does not have fails the check and is skipped.
PYTHON ?= $(shell for p in python3.14 python3.13 python3.12 python3.11 python3; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && command -v $$p && break; done)
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.run-$(shell cat requirements.txt requirements-run.txt | sha1sum | cut -c1-12)
STAMP := $(VENV)/.dev-$(shell cat requirements.txt requirements-run.txt requirements-dev.txt | sha1sum | cut -c1-12)
# uv installs the same pins in a fraction of pip's time; plain pip when it is not there.
INSTALL = $(if $(shell command -v uv),uv pip install --python $(BIN)/python,$(BIN)/python -m pip install --disable-pip-version-check --progress-bar off)
CHECKOV := $(VENV)/checkov
CHECKOV_STAMP := $(CHECKOV)/.installed-$(shell sha1sum requirements-checkov.txt | cut -c1-12)

.PHONY: run demo lint test test-fast bench infra deploy smoke fuzz load mutation clean

$(RUN_STAMP): requirements.txt requirements-run.txt
	@echo "First run: installing Careline's runtime, the local API server and the AWS emulator into $(VENV)"
	@echo "(about 25 s with a warm package cache; the list below is the progress)"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -c 'import sys; v = sys.version_info[:2]; v == (3, 14) or print("Note: the functions run on Python 3.14;" \
		" this machine has %d.%d, so the local stack and the tests run on that" % v)'
	$(INSTALL) -r requirements-run.txt | grep -v "^Requirement already satisfied" || true
	@$(BIN)/python -c "import chalice, moto, pynamodb" && rm -f $(VENV)/.run-* && touch $@

$(STAMP): $(RUN_STAMP) requirements-dev.txt
	@echo "Installing the test tools into $(VENV) (pytest, Playwright, linters)"
	$(INSTALL) -r requirements-dev.txt | grep -v "^Requirement already satisfied" || true
	@$(BIN)/python -c "import pytest, playwright, cfnlint" && rm -f $(VENV)/.dev-* && touch $@

$(CHECKOV_STAMP): requirements-checkov.txt
	test -x $(CHECKOV)/bin/python || $(PYTHON) -m venv $(CHECKOV)
	@echo "Installing checkov into its own venv, $(CHECKOV) (it pins an older boto3)"
	$(CHECKOV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	rm -f $(CHECKOV)/.installed-* && touch $@

run: $(RUN_STAMP)
	$(BIN)/python -m local.devserver

# Demo tickets over the last 30 days in the running stack (start `make run` first).
demo: $(RUN_STAMP)
	$(BIN)/python -m local.demo

# Lint, format and types first (seconds), then every test.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m mypy

test: lint $(CHECKOV_STAMP)
	$(BIN)/python -m pytest

# The unit tests alone (tests/unit: no emulator, no other process), in seconds.
test-fast: $(STAMP)
	$(BIN)/python -m pytest tests/unit

bench: $(STAMP)
	$(BIN)/python -m bench

infra: $(STAMP)
	$(BIN)/python -m infra.build

# make deploy STAGE=dev|staging|prod (CI runs exactly this; see docs/operations.md)
deploy: $(STAMP)
	$(BIN)/python -m infra.deploy $(STAGE)

# make smoke URL=https://<site>: standard library only, nothing to install
smoke:
	$(PYTHON) -m infra.smoke $(URL)

clean:
	rm -rf $(VENV) .pytest_cache mutants

# Bounded and loopback only: each starts its own local stack (rate limits off).
fuzz: $(STAMP)
	$(BIN)/python -m tests.fuzz

load: $(STAMP)
	$(BIN)/python -m bench.load

# Mutation check of the write path's core (pyproject.toml [tool.mutmut]; the
# method and the last score are in docs/reliability.md). Slow: not part of
# make test. From scratch each time, niced, two workers; the scores and every
# survivor's diff go to test-artifacts/mutation.txt.
mutation: $(STAMP)
	rm -rf mutants
	nice -n 10 $(BIN)/mutmut run --max-children 2
	@mkdir -p test-artifacts
	$(BIN)/python -m tools.mutation_report --diffs | tee test-artifacts/mutation.txt
