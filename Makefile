# Executable documentation: every target works on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The compiled tagger module too: an edited veille/_tag_scan.pyx is rebuilt by the install.
HASH := $(shell cat pyproject.toml veille/_tag_scan.pyx | cksum | cut -d' ' -f1)
# What the product needs (make run), then the test tools (make test), then the bench's extras.
RUN_STAMP := $(VENV)/.installed-run-$(HASH)
TEST_STAMP := $(VENV)/.installed-test-$(HASH)
BENCH_STAMP := $(VENV)/.installed-bench-$(HASH)

.PHONY: run test lint bench collect serve clean

$(RUN_STAMP): pyproject.toml veille/_tag_scan.pyx
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	rm -f $(VENV)/.installed-*
	touch $@

$(TEST_STAMP): $(RUN_STAMP)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

$(BENCH_STAMP): $(TEST_STAMP)
	$(BIN)/pip install --quiet -e '.[bench]'
	touch $@

## make run: install, then run the service: collect on schedule, daily digest, Datasette UI
run: $(RUN_STAMP)
	@echo "Veille: Datasette on http://localhost:8001/ (Ctrl-C stops)"
	$(BIN)/veille run --serve

## make test: add the test tools (and, as root, Debian's chromium), lint, then run the test suite
test: $(TEST_STAMP)
	bash scripts/test-deps.sh
	$(MAKE) --no-print-directory lint
	$(BIN)/pytest

lint: $(TEST_STAMP)
	$(BIN)/ruff check veille tests bench
	$(BIN)/mypy veille

bench: $(BENCH_STAMP)
	$(BIN)/python bench/bench_collect.py
	$(BIN)/python bench/bench_search.py --rows 100000

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
