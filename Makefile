# cufstudy: two commands on a fresh machine.
#   make        set up .venv and build the deliverables from the embedded default data
#   make test   set up .venv with the dev extras and run ruff, mypy and pytest
#   make lab    JupyterLab on the project with its kernel (installs the lab extra; strips outputs on commit)
#   make test-wheel    the wheel installed outside the repository builds a new study
#   make test-quarto   the tests against a real Quarto ($CUFSTUDY_QUARTO, else quarto on PATH)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev
LABSTAMP := $(VENV)/.installed-lab

.PHONY: all build test test-quarto test-wheel lint typecheck pytest lab hooks strip preview clean distclean help

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

$(LABSTAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[lab]'
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
	$(BIN)/pytest -q -m "not quarto and not wheel" tests
	CUFSTUDY_FACTS=$(CURDIR)/.pytest_cache/nbval-facts.json $(BIN)/pytest -q --nbval-lax notebooks

preview: $(STAMP)  ## live preview of the guide's HTML on http://127.0.0.1:4848/ (PROFILE=study to change it)
	$(BIN)/cufstudy preview $(or $(PROFILE),guide)

lab: $(LABSTAMP) hooks  ## JupyterLab with the project's kernel ("Python 3 (cufstudy)"); Ctrl-C stops it
	$(BIN)/jupyter lab --ServerApp.root_dir=$(CURDIR) notebooks

hooks: $(DEVSTAMP)  ## strip notebook outputs on every commit: nbstripout as this clone's git filter
	$(BIN)/nbstripout --install --attributes .gitattributes

strip: $(DEVSTAMP)  ## remove the outputs saved in the source notebooks (after a run in JupyterLab)
	$(BIN)/nbstripout notebooks/*.ipynb
test-wheel: $(DEVSTAMP)  ## a wheel of the checkout in a fresh venv outside the repository: cufstudy new, validate, build
	$(BIN)/pytest -q -m wheel tests

test-quarto: $(DEVSTAMP)  ## the deliverables rendered by a real Quarto and compared (skipped, with the reason, without one)
	$(BIN)/pytest -q -m quarto tests

clean:  ## remove build products (keeps the venv)
	rm -rf _build _output _extensions .pytest_cache .mypy_cache .ruff_cache

distclean: clean
	rm -rf $(VENV)

help:
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'
