# Two commands on a fresh machine with Python 3.10+ and make: `make run`, `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test fuzz bench screenshot clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python setup.cfg setup.py pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# make run ARGS="--port 9000 --scenario timeouts": options for mockserver run
run: $(VENV)/.installed
	$(BIN)/mockserver run $(ARGS)

# Lint (ruff) and types (mypy, settings in pyproject.toml) first, then the suite on two workers
# (pytest-xdist): about 3 minutes on 2 cores instead of about 5.
test: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2

# The fuzz tests of `make test`, with 16x the cases (over 5,000 requests per API).
fuzz: $(VENV)/.installed-test
	MOCKSERVER_FUZZ_EXAMPLES=400 $(BIN)/python -m pytest tests/test_fuzz.py

# Not part of `make test`: the floors of per-test cost, start-up, throughput and memory, each beside a baseline.
# Needs wrk (Debian: apt-get install wrk).
bench: $(VENV)/.installed-test
	$(BIN)/python bench/run.py --write

# The README's picture of the dashboard, taken by the dashboard's own browser test.
screenshot: $(VENV)/.installed-test
	MOCKSERVER_SCREENSHOT=docs/dashboard.png $(BIN)/python -m pytest -q tests/test_dashboard.py -k readme_picture

clean:
	rm -rf $(VENV) build *.egg-info
