# The README's two commands are `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint check bench screenshots conformance clean

$(STAMP): setup.cfg pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## run: start web, worker and beat on the embedded defaults (SQLite, no broker server), with demo data
run: $(STAMP)
	$(VENV)/bin/odop-adapter up

## test: the whole suite on SQLite and on PostgreSQL, with throwaway Redis/PostgreSQL servers
test: $(STAMP)
	PYTHON=$(PY) scripts/run-tests.sh

## lint: ruff, mypy (strict) and the import-layer contracts
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

check: lint test

## bench: catalogue benchmarks (figures on stdout)
bench: $(STAMP)
	$(PY) benchmarks/catalogue.py

## screenshots: drive the console in Chromium and save docs/screenshots/*.png (needs a redis-server)
screenshots: $(STAMP)
	PYTHON=$(PY) scripts/run-tests.sh tests/console/test_browser.py -q

## conformance: ONDC's validator on real transactions with the demo cooperatives (a table of errors per flow)
conformance: $(STAMP)
	PYTHON=$(PY) scripts/run-tests.sh tests/conformance -q -p no:randomly

clean:
	rm -rf $(VENV) var build *.egg-info
