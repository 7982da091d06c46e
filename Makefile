# The README's two commands are `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint check bench screenshots conformance clean messages translations-update translations new-language

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

## messages: extract the console's messages (Python and templates, babel.cfg) into messages.pot
## translations-update: merge messages.pot into every language's messages.po (then translate what is new or fuzzy)
## translations: check the catalogues: complete, up to date, placeholders (the app compiles the .po files
##   in memory when it starts serving a language: no .mo file is kept)
## new-language LANG=pa: start a catalogue for a new language from messages.pot (docs/translations.md)
TRANSLATIONS := adapter/web/translations
PYBABEL := $(VENV)/bin/pybabel

messages: $(STAMP)
	$(PYBABEL) extract -F babel.cfg --sort-output --add-location=file --project=odop-ondc-adapter \
		--copyright-holder="ODOP ONDC adapter contributors" -o $(TRANSLATIONS)/messages.pot .

translations-update: $(STAMP)
	$(PYBABEL) update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS)

translations: $(STAMP)
	$(PY) -m pytest -q -p no:randomly tests/web/test_translations.py

# LANG is also the shell's locale (en_US.UTF-8): only a bare language code, given on the command line, is taken.
new-language: $(STAMP)
	@echo "$(LANG)" | grep -Eqx '[a-z]{2,3}(_[A-Z][A-Za-z]{1,3})?' || { echo "usage: make new-language LANG=pa"; exit 2; }
	$(PYBABEL) init -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) -l $(LANG)

clean:
	rm -rf $(VENV) var build *.egg-info
