# Executable documentation: every target works on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test lint bench collect serve clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,bench]'
	rm -f $(VENV)/.installed-*
	touch $@

## make run: install, then run the service: collect on schedule, daily digest, Datasette UI
run: $(STAMP)
	@echo "Veille: Datasette on http://localhost:8001/ (Ctrl-C stops)"
	$(BIN)/veille run --serve

## make test: install with test dependencies, lint, then run the test suite
test: $(STAMP)
	bash scripts/test-deps.sh
	$(MAKE) --no-print-directory lint
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check veille tests bench
	$(BIN)/mypy $(wildcard veille/models.py veille/normalise.py veille/backoff.py veille/parse.py veille/tag.py veille/dedup.py)

bench: $(STAMP)
	$(BIN)/python bench/bench_collect.py
	$(BIN)/python bench/bench_search.py --rows 100000

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
