# Careline: `make run` starts the local stack, `make test` runs every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)

.PHONY: run test bench infra clean fuzz load

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $@

run: $(STAMP)
	$(BIN)/python -m infra.devserver

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m bench

infra: $(STAMP)
	$(BIN)/python -m infra.build

clean:
	rm -rf $(VENV) .pytest_cache

# Bounded and loopback only: each starts its own local stack (rate limits off).
fuzz: $(STAMP)
	$(BIN)/python -m tests.fuzz

load: $(STAMP)
	$(BIN)/python -m bench.load
