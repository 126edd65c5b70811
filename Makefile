# Careline: `make run` starts the local stack, `make test` runs every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)
CHECKOV := $(VENV)/checkov
CHECKOV_STAMP := $(CHECKOV)/.installed-$(shell sha1sum requirements-checkov.txt | cut -c1-12)

.PHONY: run demo test bench infra deploy smoke clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $@

$(CHECKOV_STAMP): requirements-checkov.txt
	test -x $(CHECKOV)/bin/python || $(PYTHON) -m venv $(CHECKOV)
	$(CHECKOV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	rm -f $(CHECKOV)/.installed-* && touch $@

run: $(STAMP)
	$(BIN)/python -m infra.devserver

# Demo tickets over the last 30 days in the running stack (start `make run` first).
demo: $(STAMP)
	$(BIN)/python -m infra.demo

test: $(STAMP) $(CHECKOV_STAMP)
	$(BIN)/python -m pytest

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
	rm -rf $(VENV) .pytest_cache
