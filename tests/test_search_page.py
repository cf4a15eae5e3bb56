"""A searched page's main query, sorted on its keys first (veille/plugins/search_page.py): the
same rows in the same order as Datasette's own query, on every sort and page. Real databases
from the collect path, Datasette through its test client."""

from __future__ import annotations

import asyncio
import re
import shutil
import sqlite3

import pytest

from tests.helpers import copies_of_items
from tests.test_serve import build_database
from veille.plugins import schema_cache
from veille.plugins.search_page import two_step
from veille.serve import load_metadata, make_datasette

SEARCH = ("arrivee in (select rowid from items_fts where items_fts match escape_fts(:search) "
          "order by rowid desc limit 1000)")


def test_only_a_searched_pages_main_query_is_rewritten():
    main = f"select arrivee, date from articles where {SEARCH} and source = :p0 order by date desc limit 26 offset 25"
    assert two_step(main) == (
        f"select arrivee, date from articles where arrivee in (select arrivee from articles where {SEARCH} "
        "and source = :p0 order by date desc limit 26 offset 25) order by date desc limit 26"
    )
    assert two_step(f"select count(*) from articles where {SEARCH} ") is None  # the count
    assert two_step(f"select arrivee from articles where {SEARCH} limit 26") is None  # nothing to sort
    assert two_step("select arrivee from articles where source = :p0 order by date desc limit 26") is None  # no search
    assert two_step(f"select arrivee from ({SEARCH}) order by arrivee desc limit 5000") is None  # a facet window
    alone = f"select arrivee, date from articles where {SEARCH} order by date desc limit 26 offset 25"
    assert two_step(alone, keys=True) == (
        "select arrivee, date from articles where arrivee in (select item_rowid from item_keys where item_rowid in "
        "(select rowid from items_fts where items_fts match escape_fts(:search) order by rowid desc limit 1000) "
        "order by published_at desc limit 26 offset 25) order by date desc limit 26"
    )
    assert two_step(main, keys=True) == two_step(main)  # another filter: sorted in the view
    assert two_step(alone.replace("order by date desc", "order by titre"), keys=True) == two_step(
        alone.replace("order by date desc", "order by titre"))  # not in item_keys


@pytest.fixture(scope="module")
def searched(tmp_path_factory):
    """A database with several pages of matches, many of them sharing a date, source or tier."""
    db = tmp_path_factory.mktemp("twostep") / "veille.db"
    shutil.copy(build_database(tmp_path_factory.mktemp("built"))[1], db)
    copies_of_items(db, 6)
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("update items set published_at = '2026-01-01T00:00:00Z' where rowid % 3 = 0")
    conn.close()
    config = load_metadata()
    config["plugins"]["veille"]["response_cache_seconds"] = 0
    return db, make_datasette(db, metadata=config)


def main_queries(ds, paths: list[str]) -> list[tuple[str, dict]]:  # noqa: ANN001
    """The veille database's queries with an order and a limit, as Datasette asked them."""
    database = ds.get_database("veille")
    seen: list[tuple[str, dict]] = []
    execute = database.execute

    async def recording(sql, params=None, *args, **kwargs):  # noqa: ANN001, ANN202
        if two_step(sql) is not None:
            seen.append((sql, dict(params or {})))
        return await execute(sql, params, *args, **kwargs)

    database.execute = recording  # type: ignore[method-assign]
    try:
        for path in paths:
            assert asyncio.run(ds.client.get(path)).status_code == 200
    finally:
        database.execute = execute  # type: ignore[method-assign]
    return seen


def test_both_forms_give_the_same_rows_in_the_same_order_on_every_sort_and_page(searched):
    db, ds = searched
    paths = [f"/veille/articles.json?_search=epidemie&{sort}&_size=2&_next={offset}"
             for sort in ("_sort_desc=date", "_sort=date", "_sort_desc=arrivee")
             for offset in (0, 2, 4, 6)]
    seen = main_queries(ds, paths)
    assert len(seen) == len(paths)  # Datasette's main query is still the one recognised
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    conn.create_function("escape_fts", 1, lambda text: text)
    shown = 0
    for asked, params in seen:
        # Sorts with many ties (only date and arrivee are sortable on the page): the same query
        # sorted by source, tier or type.
        for sql in [asked] + [asked.replace("order by date desc", f"order by {column}")
                              for column in ("source", "niveau desc", "type") if "order by date desc" in asked]:
            original = conn.execute(sql, params).fetchall()
            assert conn.execute(two_step(sql), params).fetchall() == original, sql
            assert conn.execute(two_step(sql, keys=True), params).fetchall() == original, sql  # on item_keys
            shown += len(original)
    conn.close()
    assert shown > 20  # the pages were not empty


def test_a_searched_page_is_the_same_html_with_or_without_it(searched, monkeypatch):
    _, ds = searched
    paths = ["/veille/articles?_search=epidemie", "/veille/articles?_search=epidemie&_size=2&_next=2",
             "/veille/articles?_search=epidemie&_sort=date&_size=2&_next=4"]

    def untimed() -> list[str]:  # the footer's query time apart
        return [re.sub(r"Requêtes : [0-9.]+ ms", "", asyncio.run(ds.client.get(path)).text) for path in paths]

    pages = untimed()
    monkeypatch.setattr(schema_cache, "two_step", lambda sql, keys=False: None)
    assert untimed() == pages
    assert all("<tr" in page for page in pages)
