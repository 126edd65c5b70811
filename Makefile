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
# Installs go through uv, pinned here and put into the venv by pip first: it
# downloads and installs in parallel, several times faster than pip. (uv reads
# no pip configuration; UV_DEFAULT_INDEX names a mirror if you use one.)
UV_VERSION := 0.13.9
UV_STAMP := $(VENV)/.uv-$(UV_VERSION)
INSTALL = $(BIN)/uv pip install --python
CHECKOV := $(VENV)/checkov
CHECKOV_STAMP := $(CHECKOV)/.installed-$(shell sha1sum requirements-checkov.txt | cut -c1-12)

.PHONY: run demo lint test test-fast bench infra deploy smoke fuzz load faults mutation clean

$(UV_STAMP):
	@echo "First run: creating $(VENV) with $(PYTHON) and installing uv $(UV_VERSION) (the installer) into it"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -c 'import sys; v = sys.version_info[:2]; v == (3, 14) or print("Note: the functions run on Python 3.14;" \
		" this machine has %d.%d, so the local stack and the tests run on that" % v)'
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	@rm -f $(VENV)/.uv-* && touch $@

$(RUN_STAMP): requirements.txt requirements-run.txt | $(UV_STAMP)
	@echo "Installing Careline's runtime (boto3, pynamodb), the local API server (Chalice) and the AWS emulator"
	@echo "(moto) into $(VENV): about 75 packages, which uv downloads in parallel (seconds; the list below is what it installed)"
	$(INSTALL) $(BIN)/python -r requirements-run.txt
	@$(BIN)/python -c "import chalice, moto, pynamodb" && rm -f $(VENV)/.run-* && touch $@

$(STAMP): $(RUN_STAMP) requirements-dev.txt
	@echo "Installing the test tools into $(VENV) (pytest, Playwright, linters)"
	$(INSTALL) $(BIN)/python -r requirements-dev.txt
	@$(BIN)/python -c "import pytest, playwright, cfnlint" && rm -f $(VENV)/.dev-* && touch $@

$(CHECKOV_STAMP): requirements-checkov.txt | $(UV_STAMP)
	@echo "Installing checkov into its own venv, $(CHECKOV) (it pins an older boto3)"
	test -x $(CHECKOV)/bin/python || $(BIN)/uv venv --quiet --python $(PYTHON) $(CHECKOV)
	$(INSTALL) $(CHECKOV)/bin/python -r requirements-checkov.txt
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

# Every outage scenario through the fault proxy (tests/faults/; make test runs
# the fast subset): prints the table docs/reliability.md shows, and writes it
# to test-artifacts/faults.md.
faults: $(STAMP)
	CARELINE_FAULTS=all $(BIN)/python -m pytest tests/integration/test_fault_scenarios.py -p tests.faults.report

# Mutation check of the write path's core (pyproject.toml [tool.mutmut]; the
# method and the last score are in docs/reliability.md). Slow: not part of
# make test. From scratch each time, niced, two workers; the scores and every
# survivor's diff go to test-artifacts/mutation.txt.
mutation: $(STAMP)
	rm -rf mutants
	nice -n 10 $(BIN)/mutmut run --max-children 2
	@mkdir -p test-artifacts
	$(BIN)/python -m tools.mutation_report --diffs | tee test-artifacts/mutation.txt
