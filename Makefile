# erpai: `make run` (install, migrate, load the demo, serve) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run install install-test test lint pytest pg demo clean chromium screenshots tesseract

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

run: install
	$(BIN)/erpai db upgrade
	$(BIN)/erpai demo
	$(BIN)/erpai serve

demo: install
	$(BIN)/erpai db upgrade
	$(BIN)/erpai demo

lint: install-test
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/mypy

pg:
	@bash scripts/pg_test_cluster.sh

chromium:
	@bash scripts/ensure_chromium.sh

tesseract:
	@bash scripts/ensure_tesseract.sh

test: install-test lint chromium tesseract
	ERPAI_TEST_PG_URL="$$(bash scripts/pg_test_cluster.sh)" $(BIN)/pytest

# The README's screenshots, taken by the browser tests.
screenshots: install-test chromium
	ERPAI_SCREENSHOTS_DIR=docs $(BIN)/pytest tests/web -q -k "compiled_and_asked or learns_it"

clean:
	rm -rf $(VENV) var
