# Executable documentation: every target works on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HASH := $(shell cksum pyproject.toml | cut -d' ' -f1)
# What the product needs (make run), then the test tools (make test), then the bench's extras.
RUN_STAMP := $(VENV)/.installed-run-$(HASH)
TEST_STAMP := $(VENV)/.installed-test-$(HASH)
BENCH_STAMP := $(VENV)/.installed-bench-$(HASH)

.PHONY: run test lint bench collect serve clean

$(RUN_STAMP): pyproject.toml
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
	$(BIN)/mypy $(wildcard veille/models.py veille/network.py veille/arrange.py veille/normalise.py veille/backoff.py veille/parse.py veille/parse_fast.py veille/tag.py veille/tag_fold.py veille/tag_taxonomy.py veille/tag_match.py veille/tag_score.py veille/query.py veille/watch.py veille/mute.py veille/spikes.py veille/dedup/*.py veille/vocab.py veille/tag_context.py veille/plugins/page_cache.py veille/plugins/table_html.py veille/config.py veille/config_doc.py veille/config_settings.py veille/config_edit.py veille/source_address.py veille/watch_config.py veille/yaml_fast.py veille/service_timing.py veille/service_log.py veille/plugins/paging.py veille/plugins/schema_cache.py veille/plugins/search_page.py veille/build_cache.py veille/plugins/table_cells.py veille/story.py veille/news.py veille/render.py veille/mail.py veille/writer.py veille/pipeline.py veille/service_digest.py veille/service_config.py veille/fulltext.py veille/kinds/*.py veille/cli.py veille/sources_cli.py veille/watch_cli.py veille/tag_cli.py veille/migrations.py veille/store.py veille/stories.py veille/fetch.py veille/digest.py veille/alerts.py veille/notify.py veille/restory.py veille/opml.py veille/discover.py veille/plugins/datasette_veille.py veille/plugins/labels.py veille/plugins/datasette_alerts.py)

bench: $(BENCH_STAMP)
	$(BIN)/python bench/bench_collect.py
	$(BIN)/python bench/bench_search.py --rows 100000

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
