# The ML Grind: `make lab` opens the course, `make test` runs every test.
# Both create the virtual environment in .venv on first use (Python 3.10+ and make are all they need).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
LAB_ARGS ?=
LAB_ROOT ?= notebooks
PYTEST_ARGS ?=

.PHONY: lab lab-headless test test-fast build venv browser postgres hub-proxy sandbox

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10) and "Python 3.10+ is needed")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --editable '.[test]'
	touch $@

# The learner's JupyterLab reads learner-lab/ as an extra Jupyter config folder: it turns off nbgrader's
# panels and server extensions, which need a class (a course, an exchange, a formgrader's gradebook);
# self-study grades with `mlgrind grade`. Plain `jupyter lab` in the course root keeps them all.
LAB = PATH="$(abspath $(BIN)):$$PATH" JUPYTER_CONFIG_PATH="$(abspath learner-lab)$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH}" \
	$(BIN)/jupyter lab --ServerApp.root_dir=$(LAB_ROOT) $(if $(filter 0,$(shell id -u)),--allow-root)

lab: $(STAMP)
	$(LAB) $(LAB_ARGS)

lab-headless: $(STAMP)
	$(LAB) --no-browser $(LAB_ARGS)

build: $(STAMP)
	$(BIN)/mlgrind build

# $(call apt_install,TEST THAT IT IS MISSING,PACKAGE,WHAT NEEDS IT): install a Debian package once, as
# root where apt-get exists; otherwise (or if it fails) say so and let the tests that need it decide.
define apt_install
	@if $(1) && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian's $(2) for $(3) (once)..."; \
		log=$$(mktemp); \
		if apt-get update -qq >$$log 2>&1 && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(2) >>$$log 2>&1; \
		then rm -f $$log; \
		else tail -n 5 $$log >&2; echo "$(2) could not be installed (log: $$log)" >&2; fi; \
	fi
endef

# The browser test drives Debian's Chromium through Playwright (Playwright's own browser download is
# not needed); without it the test skips and says why (under CI it fails).
CHROMIUM := /usr/bin/chromium
browser:
	$(call apt_install,[ ! -x $(CHROMIUM) ],chromium,the browser test)

# The class tests need a PostgreSQL server (Debian's package) and JupyterHub's proxy (from npm, kept
# beside the environment); without them those tests skip and say why.
postgres:
	$(call apt_install,! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1,postgresql,the gradebook tests)

# Grading kernels run in a bubblewrap sandbox (Debian's bubblewrap); without it grading runs
# unsandboxed and says so, and under CI (MLGRIND_SANDBOX=require) it fails instead.
sandbox:
	$(call apt_install,! command -v bwrap >/dev/null,bubblewrap,the grading sandbox)

PROXY := $(VENV)/node/node_modules/.bin/configurable-http-proxy
hub-proxy: $(STAMP)
	@if [ ! -x $(PROXY) ] && command -v npm >/dev/null; then \
		echo "Installing configurable-http-proxy for JupyterHub (once)..."; \
		mkdir -p $(VENV)/node && npm install --silent --no-audit --no-fund --prefix $(VENV)/node configurable-http-proxy@5 >/dev/null; \
	fi

# --durations: the slowest tests are listed at the end of every run, so a slow one shows up early.
# -n: one test worker per core (TEST_WORKERS=0 runs in one process); tests that share costly work
# (an answer class, a module's fixture) stay on one worker (tests/conftest.py).
TEST_WORKERS ?= auto
PYTEST = PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m pytest --durations=25 -n $(TEST_WORKERS) --dist loadgroup
test: $(STAMP) browser postgres hub-proxy sandbox
	$(PYTEST) $(PYTEST_ARGS)

# The inner loop: everything but the browser, class-scale, answer-class and slow tests (the markers
# are listed in pyproject.toml); `make test` still runs them all.
FAST := not browser and not class_scale and not answers and not slow
test-fast: $(STAMP) browser postgres hub-proxy sandbox
	$(PYTEST) -m "$(FAST)" $(PYTEST_ARGS)
