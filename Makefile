# The ML Grind: `make lab` opens the course, `make test` runs every test.
# Both create the virtual environment in .venv on first use (Python 3.10+ and make are all they need).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
LAB_ARGS ?=
PYTEST_ARGS ?=

.PHONY: lab lab-headless test build venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10) and "Python 3.10+ is needed")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --editable '.[test]'
	touch $@

LAB = PATH="$(abspath $(BIN)):$$PATH" $(BIN)/jupyter lab --ServerApp.root_dir=notebooks \
	$(if $(filter 0,$(shell id -u)),--allow-root)

lab: $(STAMP)
	$(LAB) $(LAB_ARGS)

lab-headless: $(STAMP)
	$(LAB) --no-browser $(LAB_ARGS)

build: $(STAMP)
	$(BIN)/mlgrind build

test: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m pytest $(PYTEST_ARGS)
