# The two commands of the README: `make serve` and `make test`.
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 8866
HOST   ?= 127.0.0.1

.PHONY: serve test install chromium proxy bench lint

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# serving needs the package alone; testing adds the test, dev and cuda extras
$(VENV)/.runtime: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e ".[test,dev,cuda]"
	touch $(VENV)/.runtime $@

install: $(VENV)/.installed

# Debian's chromium for the browser tests, when missing and we are root (never a
# downloaded browser build). Elsewhere the browser tests skip with a reason.
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium missing and not root: browser tests will skip"; fi; \
	fi

# JupyterHub's proxy, from npm, for the hub test (deploy/); without npm that test skips
proxy:
	@command -v configurable-http-proxy >/dev/null || { command -v npm >/dev/null && \
	  npm install -g -s configurable-http-proxy@4.6 >/dev/null; } || \
	  echo "npm missing: the JupyterHub test will skip"

# numba's cache filled once for the sources as they are (a minute or two the first time), so
# the first pages of a class do not wait for the compiler
$(VENV)/.warm: $(VENV)/.runtime $(shell find src/deepscope -name '*.py')
	$(VENV)/bin/deepscope warmup
	touch $@

serve: $(VENV)/.warm
	$(VENV)/bin/deepscope serve --port $(PORT) --host $(HOST)

# Three runs: every test but the browser's, its test files spread over TEST_WORKERS
# processes (pytest-xdist; 1 runs them in this one); then the browser tests, one at a time
# (a page waits on its kernel, Voila and Chromium, which the other process's compiling and
# training delay: the autoencoder dashboard's 20 opening epochs took 14 s alone and 28 s
# beside it, and JupyterLab's reload past any sane limit); then the CUDA kernels in numba's
# simulator (the variable must be set before numba is first imported, hence a process of
# its own).
TEST_WORKERS ?= 2
XDIST := $(if $(filter 1,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile)
test: install chromium proxy
	$(PY) -m pytest $(XDIST) --durations=15 -m "not browser"
	$(PY) -m pytest --durations=15 -m browser
	NUMBA_ENABLE_CUDASIM=1 $(PY) -m pytest $(XDIST) -m cuda tests/cuda

bench: install
	$(VENV)/bin/deepscope bench

lint: install
	$(VENV)/bin/ruff check src tests
