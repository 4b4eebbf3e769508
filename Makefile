# cufstudy: two commands on a fresh machine.
#   make        set up .venv and build the deliverables from the embedded default data
#   make test   set up .venv with the dev extras and run ruff, mypy and pytest
#   make test-quarto   the tests against a real Quarto ($CUFSTUDY_QUARTO, else quarto on PATH)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev

.PHONY: all build test test-quarto lint typecheck pytest clean distclean help

all: build

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (cufstudy)" >/dev/null
	touch $@

$(DEVSTAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

build: $(STAMP)  ## validate the case base, run the notebooks and build every deliverable into _output/
	$(BIN)/cufstudy validate data
	$(BIN)/cufstudy build --no-progress

test: $(DEVSTAMP) lint typecheck pytest  ## ruff, mypy --strict and pytest (with the notebooks)

lint: $(DEVSTAMP)
	$(BIN)/ruff check cufstudy tests tools $(wildcard bench)

typecheck: $(DEVSTAMP)
	$(BIN)/mypy --strict cufstudy

pytest: $(DEVSTAMP)
	$(BIN)/pytest -q -m "not quarto" tests
	CUFSTUDY_FACTS=$(CURDIR)/.pytest_cache/nbval-facts.json $(BIN)/pytest -q --nbval-lax notebooks

test-quarto: $(DEVSTAMP)  ## the deliverables rendered by a real Quarto and compared (skipped, with the reason, without one)
	$(BIN)/pytest -q -m quarto tests

clean:  ## remove build products (keeps the venv)
	rm -rf _build _output _extensions .pytest_cache .mypy_cache .ruff_cache

distclean: clean
	rm -rf $(VENV)

help:
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'
