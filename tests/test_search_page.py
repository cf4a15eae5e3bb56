"""A searched page's main query, sorted on its keys first (veille/plugins/search_page.py): the
same rows in the same order as Datasette's own query, on every sort and page. Real databases
from the collect path, Datasette through its test client."""

from __future__ import annotations

import asyncio
import random
import re
import shutil
import sqlite3

import pytest

from tests.helpers import copies_of_items
from tests.test_serve import build_database
from veille.plugins import schema_cache
from veille.plugins.search_keys import page_keys, window_sql
from veille.plugins.search_page import two_step, window_page
from veille.webapp import load_metadata, make_datasette

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


# --- a searched page's rows chosen among its search window (search_page.window_page) ---------


def test_a_searched_pages_main_query_is_answered_from_its_window_only_when_sorted_by_date_or_arrival():
    alone = f"select arrivee, date from articles where {SEARCH} order by date desc limit 26 offset 25"
    page = window_page(alone)
    assert page is not None
    assert (page.fts, page.window, page.column, page.desc, page.limit, page.offset) == (
        "items_fts", 1000, "published_at", True, 26, 25)
    assert page.sql([7, 3]) == "select arrivee, date from articles where arrivee in (7, 3) order by date desc limit 26"
    assert page.sql([]) == "select arrivee, date from articles where arrivee in () order by date desc limit 26"
    first = window_page(f"select arrivee from articles where {SEARCH} order by arrivee limit 51")
    assert first is not None and (first.column, first.desc, first.offset) == ("item_rowid", False, 0)
    for other in (
        f"select arrivee, date from articles where {SEARCH} and source = :p0 order by date desc limit 26",  # a filter
        f"select arrivee from articles where {SEARCH} order by niveau desc limit 26",  # another sort
        f"select arrivee from articles where {SEARCH} order by date desc, arrivee limit 26",
        f"select rowid from items where {SEARCH.replace('arrivee', 'rowid', 1)} order by rowid desc limit 26",
        f"select count(*) from articles where {SEARCH} ",
    ):
        assert window_page(other) is None, other


def test_page_keys_choose_the_rows_sqlite_chooses_among_ties():
    """The window's rows sorted in Python, against SQLite's own sort of the same rows, on windows
    full of equal dates (any SQLite this runs on: its sort must keep the visiting order)."""
    rng = random.Random(12)
    conn = sqlite3.connect(":memory:")
    conn.execute("create table item_keys (item_rowid integer primary key, published_at text not null, "
                 "item_type text, specialties text, tier text, source_id text, lang text)")
    conn.execute("create table matches (id integer)")
    cases = 0
    for _ in range(60):
        conn.execute("delete from item_keys")
        conn.execute("delete from matches")
        n = rng.randint(1, 2500)
        days = rng.choice((1, 3, 30))
        conn.executemany("insert into item_keys values (?, ?, 'news', '[]', 'press', 's', 'fr')",
                         [(i, f"2026-01-{rng.randint(1, days):02d}T00:00:00Z") for i in range(1, n + 1)])
        conn.executemany("insert into matches values (?)", [(i,) for i in rng.sample(range(1, n + 1), min(n, rng.randint(1, 1100)))])
        window = conn.execute(window_sql("items_fts", 1000).split(" where ")[0] + " where item_rowid in "
                              "(select id from matches order by id desc limit 1001) order by item_rowid desc").fetchall()
        for column in ("published_at", "item_rowid"):
            for desc in (True, False):
                for limit, offset in ((26, 0), (26, 25), (51, 0), (3, rng.randint(0, 1000))):
                    sql = (f"select item_rowid from item_keys where item_rowid in (select id from matches order by id desc "
                           f"limit 1000) order by {column}{' desc' if desc else ''} limit {limit} offset {offset}")
                    expected = [r[0] for r in conn.execute(sql)]
                    assert page_keys(window, 1000, column, desc, limit, offset) == expected, sql
                    cases += 1
    conn.close()
    assert cases == 60 * 16
    rows = [(3, 1.5, "s", "press", "news", "fr", "[]")]  # a date SQLite would order before text
    assert page_keys(rows, 1000, "published_at", True, 26, 0) is None


def test_a_searched_page_from_its_window_is_the_same_as_sorted_by_sqlite(searched, monkeypatch):
    _, ds = searched
    paths = [f"/veille/articles{fmt}?_search=epidemie{sort}&_size={size}&_next={offset}"
             for fmt in ("", ".json") for sort in ("", "&_sort=date", "&_sort_desc=arrivee", "&_sort=arrivee")
             for size, offset in ((25, 0), (2, 2), (3, 9))]

    def shown() -> list[str]:  # the footer's query time and the JSON's query_ms apart
        pages = [asyncio.run(ds.client.get(path)) for path in paths]
        assert all(page.status_code == 200 for page in pages)
        return [re.sub(r'Requêtes : [0-9.]+ ms|"query_ms": [0-9.e-]+', "", page.text) for page in pages]

    read = main_queries(ds, paths)
    assert len(read) == len(paths) and all(window_page(sql) for sql, _ in read)  # each page is one
    pages = shown()
    assert sum(page.count("<tr") for page in pages) > 30  # pages of rows, not empty ones
    monkeypatch.setattr(schema_cache, "window_page", lambda sql: None)
    assert shown() == pages
