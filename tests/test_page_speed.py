"""What makes the reading room's pages fast at 1M items (bench/bench_search.py --reading-room)
without changing what they show: results reused until the data change, rows written without
the hidden columns, 25 articles a page. Real databases from the collect path, Datasette through
its test client."""

from __future__ import annotations

import asyncio
import shutil

import pytest
from markupsafe import Markup

from tests.helpers import copies_of_items, rows
from tests.test_serve import build_database
from veille.plugins.facets import WINDOW, count_arrays, count_values, ordered
from veille.plugins.page_cache import Cache, data_version
from veille.plugins.table_html import facet_lists, hidden, query_rows, table_rows, visible
from veille.store import Store
from veille.webapp import make_datasette


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_database(tmp_path_factory.mktemp("speed"))


def get(ds, path: str):
    return asyncio.run(ds.client.get(path))


# --- the cache, pure ---------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_cache_answers_for_one_data_version_and_a_limited_time():
    clock = Clock()
    cache = Cache(max_age=60, entries=2, clock=clock)
    cache.put("facets", (1, 2), ["a"])
    assert cache.get("facets", (1, 2)) == (True, ["a"])
    assert cache.get("facets", (1, 3)) == (False, None)  # a commit since
    clock.now = 61
    assert cache.get("facets", (1, 2)) == (False, None)  # too old, whatever the files say
    cache.put("a", (1,), 1)
    cache.put("b", (1,), 2)
    cache.put("c", (1,), 3)
    assert len(cache) == 2 and cache.get("a", (1,))[0] is False  # bounded, oldest out first


def test_cache_keeps_nothing_without_a_version_or_when_disabled():
    cache = Cache(max_age=60)
    cache.put("k", None, 1)
    assert cache.get("k", None) == (False, None)
    off = Cache(max_age=0)
    off.put("k", (1,), 1)
    assert off.get("k", (1,)) == (False, None)


def test_data_version_changes_with_every_commit(tmp_path):
    db = tmp_path / "v.db"
    assert data_version(str(db)) is None and data_version(None) is None
    with Store(str(db)) as store:
        before = data_version(str(db))
        with store.immediate() as conn:
            conn.execute("insert into sources (id, name, kind, url, tier, lang, enabled) "
                         "values ('s', 'S', 'feed', 'https://example.org/f', 'press', 'fr', 1)")
        assert data_version(str(db)) != before


# --- facets counted in Python, as SQLite's GROUP BY did -----------------------------------------


def test_column_counts_leave_nulls_out_and_order_like_sqlite():
    values = ["press", None, "official", "press", 3, "official", "social", 3, None]
    assert count_values(values) == [(3, 2), ("official", 2), ("press", 2), ("social", 1)]
    assert count_values([]) == []


def test_text_counts_sorted_with_c_keys_in_sqlites_order():
    import random
    import sqlite3

    rng = random.Random(7)
    conn = sqlite3.connect(":memory:")
    conn.execute("create table t (v)")
    for _ in range(50):
        values = [rng.choice(["press", "official", "Social", "éditeur", "a", "b", "z", ""]) + str(rng.randint(0, 3))
                  for _ in range(rng.randint(0, 300))]
        conn.execute("delete from t")
        conn.executemany("insert into t values (?)", [(v,) for v in values])
        expected = conn.execute("select v, count(*) as n from t group by v order by n desc, v").fetchall()
        assert count_values(values) == expected
    conn.close()
    assert ordered({"b": 2, "a": 2, 3: 2, "c": 5}) == [("c", 5), (3, 2), ("a", 2), ("b", 2)]  # mixed: _order


def test_array_counts_parse_each_distinct_text_once_and_skip_what_is_not_an_array():
    values = ['["pediatrie","infectiologie"]', '["pediatrie"]', "[]", None, "not json", '{"a": 1}',
              '["pediatrie","infectiologie"]', "[1, true, null]", 7]
    assert count_arrays(values) == [("pediatrie", 3), ("infectiologie", 2), (1, 1)]


def test_facets_match_a_group_by_over_the_window(built):
    import sqlite3

    from veille.webapp import ensure_views

    ensure_views(str(built[1]))
    conn = sqlite3.connect(built[1])
    window = "select * from articles order by arrivee desc limit 5000"
    for column in ("source", "niveau", "type", "langue"):
        expected = conn.execute(f"select {column}, count(*) n from ({window}) where {column} is not null "
                                f"group by {column} order by n desc, {column}").fetchall()
        assert count_values(r[0] for r in conn.execute(f"select {column} from ({window})")) == expected
    expected = conn.execute(f"select j.value, count(*) n from ({window}) r, json_each(r.specialites) j "
                            "group by j.value order by n desc, j.value").fetchall()
    assert expected and count_arrays(r[0] for r in conn.execute(f"select specialites from ({window})")) == expected
    conn.close()


# --- rows without hidden columns ---------------------------------------------------------------


def test_hidden_columns_are_the_ones_the_stylesheet_hid():
    assert hidden("articles", "atom_id") and hidden("articles", "arrivee") and hidden("articles", "lien")
    assert hidden(None, "lien") and hidden(None, "atom_content") and not hidden(None, "titre")
    assert not hidden("items", "url") and not hidden("items", "id")  # raw tables show everything
    assert visible("articles", [{"name": "id"}, {"name": "titre"}]) == [{"name": "titre"}]


def test_rows_escape_text_and_keep_markup_from_render_cell():
    cells = [
        {"column": "titre", "value": Markup('<a href="https://e.org/">T</a>'), "value_type": "str"},
        {"column": "resume", "value": '<script>alert(1)</script><img src=x onerror=alert(2)>', "value_type": "str"},
        {"column": "atom_id", "value": "urn:x", "value_type": "str"},
    ]
    html = table_rows("articles", [cells])
    assert '<td class="col-titre type-str"><a href="https://e.org/">T</a></td>' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;" in html
    assert "urn:x" not in html and "<script" not in html
    page = query_rows(["titre", "lien", "resume"], [["<b>x</b>", "javascript:alert(1)", Markup("<time>t</time>")]])
    assert page == '<tr><td class="col-titre">&lt;b&gt;x&lt;/b&gt;</td><td class="col-resume"><time>t</time></td></tr>'


# --- the pages -----------------------------------------------------------------------------------


def test_articles_shows_25_a_page_without_hidden_cells(built, tmp_path):
    db = tmp_path / "more.db"
    shutil.copy(built[1], db)
    copies_of_items(db, 3)  # 19 collected items -> 76
    ds = make_datasette(db)
    html = get(ds, "/veille/articles").text
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    assert rows(db, "select count(*) n from items")[0]["n"] > 50
    assert body.count("<tr>") == 25 and "_next=25" in html
    assert "col-atom_" not in body and "col-arrivee" not in body and "col-lien" not in body
    assert 'class="col-titre" scope="col"' in html and 'class="col-atom_id"' not in html
    page = get(ds, "/veille/recherche?texte=&specialite=&type=&depuis=").text
    assert "<tbody>" in page and "col-atom_" not in page.split("<tbody>")[1]


def test_recherche_pages_follow_each_other_by_date(built, tmp_path):
    db = tmp_path / "pages.db"
    shutil.copy(built[1], db)
    copies_of_items(db, 3)
    ds = make_datasette(db)
    everything = [r["date"] for r in rows(db, "select published_at date from items order by published_at desc")]
    query = "texte=&specialite=&type=&depuis="
    shown: list[str] = []
    for n in (1, 2, 3, 4):
        data = get(ds, f"/veille/recherche.json?_shape=array&{query}&page={n}").json()
        assert len(data) == min(25, len(everything) - len(shown))
        shown += [r["date"] for r in data]
    assert shown == everything  # every article once, newest first, across the pages
    first = get(ds, f"/veille/recherche?{query}").text
    assert 'rel="next"' in first and 'rel="prev"' not in first and 'name="page"' not in first
    assert 'href="/veille/recherche?texte=&amp;specialite=&amp;type=&amp;depuis=&amp;page=2" rel="next"' in first
    last = get(ds, f"/veille/recherche?{query}&page=4").text
    assert 'rel="prev"' in last and 'rel="next"' not in last and "Page 4" in last
    past = get(ds, f"/veille/recherche?{query}&page=9").text
    assert "Plus de résultats après la page 8" in past
    for odd in ("0", "-3", "abc", "99999999999999999999999"):
        assert get(ds, f"/veille/recherche.json?_shape=array&{query}&page={odd}").status_code == 200


def test_page_numbers_and_links():
    from veille.plugins.paging import LAST_PAGE, has_next, page_number, pages

    assert [page_number(v) for v in ("", "2", " 3 ", "0", "-1", "x", "10000")] == [1, 2, 3, 1, 1, 1, LAST_PAGE]
    one = pages("/veille/recherche", [("texte", "é t"), ("page", "1")], True)
    assert one.page == 1 and one.previous is None and one.next == "/veille/recherche?texte=%C3%A9+t&page=2"
    two = pages("/veille/recherche", [("page", "2"), ("texte", "x")], False)
    assert two.previous == "/veille/recherche?texte=x" and two.next is None
    assert pages("/q", [("page", str(LAST_PAGE))], True).next is None
    assert has_next(["titre", "page_suivante"], [("a", 1), ("b", 1)])
    assert not has_next(["titre", "page_suivante"], [("a", 0)])
    assert not has_next(["titre"], [("a",)]) and not has_next(["page_suivante"], [])


def keep_items(db, n: int) -> None:
    """The ``n`` most recently published items, the others deleted."""
    with Store(str(db)) as store, store.immediate() as conn:
        conn.execute("delete from items where rowid not in (select rowid from items order by published_at desc limit ?)", [n])


@pytest.mark.parametrize(("kept", "last_page"), [(50, 2), (51, 3), (25, 1)])
def test_a_last_page_exactly_full_offers_no_next_page(built, tmp_path, kept, last_page):
    db = tmp_path / "full.db"
    shutil.copy(built[1], db)
    copies_of_items(db, 3)
    keep_items(db, kept)
    assert rows(db, "select count(*) n from items")[0]["n"] == kept
    ds = make_datasette(db)
    query = "texte=&specialite=&type=&depuis="
    for n in range(1, last_page + 1):
        html = get(ds, f"/veille/recherche?{query}&page={n}").text
        body = html.split("<tbody>")[1].split("</tbody>")[0]
        assert body.count("<tr>") == min(25, kept - 25 * (n - 1))
        assert ('rel="next"' in html) == (n < last_page), n
        assert "page_suivante" not in html  # the column is the template's, never shown
    past = get(ds, f"/veille/recherche?{query}&page={last_page + 1}").text
    assert "<tbody>" not in past and f"Plus de résultats après la page {last_page}" in past
    data = get(ds, f"/veille/recherche.json?_shape=array&{query}&page={last_page}").json()
    assert len(data) == kept - 25 * (last_page - 1)  # JSON: the page's rows, not the probe row


def test_recherche_counts_articles_in_french(built, tmp_path):
    from veille.plugins.labels import counted_rows

    assert [counted_rows(n, "recherche") for n in (0, 1, 2, 25)] == ["0 article", "1 article", "2 articles", "25 articles"]
    assert counted_rows(3, "histoires") == "3 histoires" and counted_rows(1, None) == "1 ligne"
    assert [counted_rows(n, q) for n, q in ((1, "par_specialite"), (34, "par_specialite"), (2, "sante_sources"), (7, "aujourdhui"))] == [
        "1 spécialité", "34 spécialités", "2 sources", "7 sujets"]
    db = tmp_path / "count.db"
    shutil.copy(built[1], db)
    copies_of_items(db, 3)
    ds = make_datasette(db)
    page = get(ds, "/veille/recherche?texte=&specialite=&type=&depuis=").text
    assert '<p class="veille-count">25 articles</p>' in page and "lignes" not in page.split("<tbody>")[0][-300:]
    keep_items(db, 26)
    last = get(ds, "/veille/recherche?texte=&specialite=&type=&depuis=&page=2").text
    assert '<p class="veille-count">1 article</p>' in last
    sources = get(ds, "/veille/sante_sources").text
    assert sources.split('class="veille-count">')[1].split("</p>")[0].endswith(" sources")


def test_unfiltered_facets_and_count_are_reused_until_a_commit(built, tmp_path):
    db = tmp_path / "speed.db"
    shutil.copy(built[1], db)
    ds = make_datasette(db)
    facet_sql: list[str] = []
    database = ds.get_database("veille")
    execute = database.execute

    async def counting(sql, *args, **kwargs):  # noqa: ANN001, ANN202
        if "count(*)" in sql or "facet_counts" in sql or f"limit {WINDOW}" in sql:  # count, facets
            facet_sql.append(sql)
        return await execute(sql, *args, **kwargs)

    database.execute = counting  # type: ignore[method-assign]

    def niveau() -> dict[str, int]:
        facets = get(ds, "/veille/articles.json").json()["facet_results"]
        return {v["value"]: v["count"] for v in facets["niveau"]["results"]}

    first = niveau()
    assert "Plus de" not in get(ds, "/veille/articles").text  # counted once (capped)
    assert first and facet_sql
    facet_sql.clear()
    assert niveau() == first and facet_sql == []  # nothing written: no count, no facet query
    html = get(ds, "/veille/articles").text
    assert "Niveau" in html and "Officiel" in html and facet_sql == []  # the HTML page too
    with Store(str(db)) as store, store.immediate() as conn:
        conn.execute("update items set tier = 'social'")
    n = rows(db, "select count(*) n from items")[0]["n"]
    assert niveau() == {"social": n} and facet_sql  # the commit is seen at once


def test_facet_lists_escape_labels_and_links():
    facets = [{
        "name": "source", "truncated": True, "hideable": True, "toggle_url": "/veille/articles?_facet=x&a=<b>",
        "results": [
            {"value": "s1", "label": "s1", "count": 12345, "selected": False, "toggle_url": "/veille/articles?source=s1"},
            {"value": "s2", "label": "s2", "count": 2, "selected": True, "toggle_url": "/veille/articles"},
        ],
    }]
    names = {"s1": '<script>alert(1)</script>Source piégée', "s2": "HAS"}
    html = facet_lists("veille", "articles", facets, lambda column, value, label: names[value],
                       lambda name: name.capitalize(), "/veille/articles?_facet_size=max", False)
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;Source piégée</a> 12\u202f345</li>" in html
    assert '<li>HAS &middot; 2 <a href="/veille/articles" class="cross">' in html
    assert 'href="/veille/articles?_facet=x&amp;a=&lt;b&gt;" class="cross"' in html
    assert '<li class="facet-truncated"><a href="/veille/articles?_facet_size=max">…</a></li>' in html
    assert 'id="facet-source"' in html and "<strong>Source <span" in html


def test_la_une_is_arranged_again_after_a_commit(built, tmp_path):
    from datetime import UTC, datetime, timedelta

    db = tmp_path / "une.db"
    shutil.copy(built[1], db)
    ds = make_datasette(db)
    title = "Rupture de stock de l'amoxicilline pédiatrique, annonce de l'agence"
    for _ in range(2):  # arranged once, then reused
        assert escape_html(title) not in get(ds, "/").text
    when = (datetime.now(UTC) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with Store(str(db)) as store, store.immediate() as conn:
        source = conn.execute("select id from sources where tier = 'official' order by id limit 1").fetchone()[0]
        conn.execute(
            "insert into items (id, source_id, guid, url, canonical_url, title, summary, published_at, fetched_at, lang,"
            " item_type, specialties, tier) values ('fresh-1', ?, 'fresh-1', 'https://example.org/fresh',"
            " 'https://example.org/fresh', ?, 'Tension sur les flacons.', ?, ?, 'fr', 'shortage', '[]', 'official')",
            [source, title, when, when],
        )
    assert escape_html(title) in get(ds, "/").text


def escape_html(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


# --- schema lookups reused until a commit -------------------------------------------------------


def recorded_hops(ds) -> list[str]:  # noqa: ANN001
    """The SQL thread round trips of the ``veille`` database, recorded from now on."""
    database = ds.get_database("veille")
    hops: list[str] = []
    execute_fn = database.execute_fn

    async def counting(fn):  # noqa: ANN001, ANN202
        hops.append(getattr(fn, "__qualname__", ""))
        return await execute_fn(fn)

    database.execute_fn = counting  # type: ignore[method-assign]
    return hops


def test_schema_lookups_are_reused_until_something_is_written(built, tmp_path):
    db = tmp_path / "schema.db"
    shutil.copy(built[1], db)
    ds = make_datasette(db)
    hops = recorded_hops(ds)
    first = get(ds, "/veille/sources")
    assert first.status_code == 200 and "zz_nouvelle" not in first.text
    cold = len(hops)
    hops.clear()
    assert get(ds, "/veille/sources").text.count("<tr") == first.text.count("<tr")
    warm = len(hops)
    assert warm < cold / 3  # the page's own queries only (rows, count)
    with Store(str(db)) as store, store.immediate() as conn:
        conn.execute("update sources set name = 'Nouveau nom' where id = 'has'")
    hops.clear()
    assert "Nouveau nom" in get(ds, "/veille/sources").text  # the data are read again...
    assert len(hops) <= warm + 2  # ... the schema version once, the count: no schema lookups
    with Store(str(db)) as store, store.immediate() as conn:
        conn.execute("alter table sources add column zz_nouvelle text")
    hops.clear()
    assert "zz_nouvelle" in get(ds, "/veille/sources").text  # the new column is seen at once
    assert len(hops) > warm


def test_a_search_count_is_reused_until_a_commit_then_counted_again(built, tmp_path):
    from veille.plugins.schema_cache import is_count, is_schema_read

    assert is_count("select count(*) from articles where arrivee in (select 1)")
    assert not is_count("select count(*) from items where published_at > strftime('%s', 'now')")
    assert not is_count("select * from items") and not is_schema_read("select count(*) from items")
    assert is_schema_read("select sql from sqlite_master where name = :n") and is_schema_read("PRAGMA schema_version")
    db = tmp_path / "count.db"
    shutil.copy(built[1], db)
    ds = make_datasette(db)

    def count() -> int:
        return get(ds, "/veille/articles.json?_search=epidemie").json()["filtered_table_rows_count"]

    before = count()
    assert before > 0 and count() == before
    copies_of_items(db, 1)
    assert count() == 2 * before


def test_both_facet_types_read_one_window_per_view(built, tmp_path):
    from veille.plugins.facets import page_facet_columns
    from veille.webapp import load_metadata

    class Args:
        def getlist(self, name: str) -> list[str]:
            return {"_facet": ["histoire"], "_facet_array": []}[name]

    class Request:
        args = Args()

    metadata = {"facets": ["lien", {"veille_array": "specialites"}, {"veille_column": {"column": "type"}}, 7]}
    assert page_facet_columns(metadata, Request()) == ["histoire", "lien", "specialites", "type"]
    db = tmp_path / "window.db"
    shutil.copy(built[1], db)
    config = load_metadata()
    config["plugins"]["veille"]["page_cache_seconds"] = 0
    ds = make_datasette(db, metadata=config)
    windows: list[str] = []
    database = ds.get_database("veille")
    execute = database.execute

    async def recording(sql, *args, **kwargs):  # noqa: ANN001, ANN202
        if f"limit {WINDOW}" in sql:
            windows.append(sql)
        return await execute(sql, *args, **kwargs)

    database.execute = recording  # type: ignore[method-assign]
    facets = get(ds, "/veille/articles.json?_search=epidemie").json()["facet_results"]
    assert {"specialites", "source", "niveau", "type", "langue"} <= set(facets)
    assert len(windows) == 1 and "specialites" in windows[0] and "niveau" in windows[0]


# --- whole responses reused until a commit ------------------------------------------------------


def test_a_page_viewed_again_before_a_commit_is_answered_from_memory(built, tmp_path):
    from veille.plugins.response_cache import cacheable, response_key

    db = tmp_path / "responses.db"
    shutil.copy(built[1], db)
    ds = make_datasette(db)
    queries = recorded_hops(ds)
    get(ds, "/veille/articles")  # the first read creates the WAL file: a new data version
    first = get(ds, "/veille/articles?_search=epidemie")
    queries.clear()
    again = get(ds, "/veille/articles?_search=epidemie")
    assert again.text == first.text and again.headers["content-type"] == first.headers["content-type"]
    assert queries == []  # nothing computed
    other = get(ds, "/veille/articles?_search=bronchiolite")
    assert queries and other.text != first.text  # another address is another page
    with Store(str(db)) as store, store.immediate() as conn:
        conn.execute("update items set title = 'Épidémie renommée' where rowid = "
                     "(select rowid from items_fts where items_fts match 'epidemie' limit 1)")
    assert "Épidémie renommée" in get(ds, "/veille/articles?_search=epidemie").text  # the commit is seen at once
    assert response_key({"type": "http", "method": "POST", "path": "/veille/articles"}) is None
    assert response_key({"type": "http", "method": "GET", "path": "/veille/items"}) is None
    anonymous = {"type": "http", "method": "GET", "path": "/veille/articles", "headers": []}
    with_token = dict(anonymous, headers=[(b"authorization", b"Bearer dstok_x")])
    with_cookie = dict(anonymous, headers=[(b"cookie", b"ds_actor=x")])
    assert len({response_key(anonymous), response_key(with_token), response_key(with_cookie)}) == 3
    start = {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/html")]}
    body = {"type": "http.response.body", "body": b"x"}
    assert cacheable([start, body])
    assert not cacheable([dict(start, status=400), body])
    assert not cacheable([dict(start, headers=[(b"Set-Cookie", b"a=b")]), body])
    assert not cacheable([start, dict(body, more_body=True)])
    assert not cacheable([start, dict(body, body=b"x" * 600_000)])
