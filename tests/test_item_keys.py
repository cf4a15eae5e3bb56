"""Recherche filters its matches on item_keys (m014), the items' narrow copy kept by triggers:
the same rows as the lookups in items and item_specialties it replaced, whatever is typed.
Real databases from the collect path, Datasette through its test client."""

from __future__ import annotations

import asyncio
import copy
import re
import shutil
import sqlite3
from urllib.parse import urlencode

import pytest

from tests.helpers import copies_of_items, rows
from tests.test_serve import build_database
from veille.store import Store
from veille.webapp import load_metadata, make_datasette

# The filter Recherche used before m014, the reference.
BEFORE = """  select i.rowid, i.published_at from hits cross join items i on i.rowid = hits.r
  where (:specialite = '' or exists (select 1 from item_specialties x where x.item_id = i.id and x.specialty = veille_specialty(:specialite)))
    and (:type = '' or i.item_type = veille_type(:type))
    and (:depuis = '' or i.published_at >= veille_date(:depuis))"""


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_database(tmp_path_factory.mktemp("keys"))


def get(ds, path: str):
    return asyncio.run(ds.client.get(path))


def keys_match_items(db) -> None:
    columns = "published_at, item_type, specialties, tier, source_id, lang"
    mine = rows(db, f"select item_rowid r, {columns} from item_keys order by item_rowid")
    theirs = rows(db, f"select rowid r, {columns} from items order by rowid")
    assert mine == theirs and mine


def reference_metadata() -> dict:
    metadata = copy.deepcopy(load_metadata())
    query = metadata["databases"]["veille"]["queries"]["recherche"]
    start = query["sql"].index("  select k.item_rowid")
    end = query["sql"].index("  union all")
    query["sql"] = query["sql"][:start] + BEFORE + "\n" + query["sql"][end:]
    return metadata


def test_item_keys_follow_every_insert_update_and_delete(built, tmp_path):
    db = tmp_path / "k.db"
    shutil.copy(built[1], db)
    keys_match_items(db)  # filled by the migration
    copies_of_items(db, 2)
    keys_match_items(db)
    with Store(str(db)) as store, store.immediate() as conn:
        conn.execute("update items set specialties = '[\"pediatrie\"]', item_type = 'recall' where rowid % 3 = 0")
        conn.execute("update items set published_at = '2020-01-01T00:00:00Z', tier = 'social' where rowid % 5 = 0")
        conn.execute("update items set source_id = (select min(id) from sources), lang = 'en' where rowid % 4 = 0")
        conn.execute("update items set title = title || ' x' where rowid % 2 = 0")  # not a key: nothing to do
        conn.execute("delete from items where rowid % 7 = 0")
    keys_match_items(db)


def specialties_agree(db) -> bool:
    """items.specialties holds the item's item_specialties (every writer path keeps both)."""
    import json

    stored = {r["id"]: sorted(json.loads(r["specialties"])) for r in rows(db, "select id, specialties from items")}
    tagged: dict[str, list[str]] = {item: [] for item in stored}
    for r in rows(db, "select item_id, specialty from item_specialties order by specialty"):
        tagged[r["item_id"]].append(r["specialty"])
    return stored == tagged and any(stored.values())


def test_recherche_finds_the_same_rows_as_before(built, tmp_path):
    db = tmp_path / "same.db"
    shutil.copy(built[1], db)
    assert specialties_agree(db)  # as collected
    copies_of_items(db, 3)
    with Store(str(db)) as store, store.immediate() as conn:  # the copies' specialties, as a writer stores them
        conn.execute("insert into item_specialties (item_id, specialty, score, evidence) select i.id, j.value, 3.0, '[]' "
                     "from items i, json_each(i.specialties) j where i.id like '%-%'")
        conn.execute("update items set specialties = json(specialties) where rowid % 2 = 0")  # '["a","b"]' too
    assert specialties_agree(db)
    slugs = [r["specialty"] for r in rows(db, "select specialty, count(*) n from item_specialties group by specialty order by n desc")]
    assert len(slugs) >= 2
    ds, before = make_datasette(db), make_datasette(db, metadata=reference_metadata())
    typed = [*slugs[:3], slugs[0].upper(), f'{slugs[0]}","{slugs[1]}', '", "', '"', "\\", ",", "nope", " "]
    words = ["", "de", "la", "vaccin*", "zzyzx"]
    found = 0
    for word in words:
        for specialty in typed:
            for kind, since in (("", ""), ("recall", ""), ("", "01/01/2020")):
                for page in (1, 2):
                    query = urlencode({"texte": word, "specialite": specialty, "type": kind, "depuis": since, "page": page})
                    url = f"/veille/recherche.json?_shape=array&{query}"
                    mine, theirs = get(ds, url), get(before, url)
                    assert mine.status_code == theirs.status_code == 200, url
                    assert mine.json() == theirs.json(), url
                    found += len(mine.json())
    assert found > 100  # the comparisons saw rows, with and without a specialty
    assert get(ds, f"/veille/recherche.json?_shape=array&texte=de&specialite={slugs[0]}&type=&depuis=").json()


# --- a searched Articles page counts and facets on item_keys --------------------------------

WINDOW = "select rowid from items_fts where items_fts match escape_fts(:search) order by rowid desc limit 1000"
ALL = "arrivee, date, titre, source, niveau, type, langue, specialites, resume, autres_sources, histoire, lien, id"


def test_a_searched_pages_probe_count_and_facet_window_come_from_its_window():
    from veille.plugins.search_keys import WindowUse, answer, window_use

    probe = "select count(*) from (" + WINDOW.replace("limit 1000", "limit 1001") + ")"
    count = f"select count(*) from articles where arrivee in ({WINDOW}) "
    facets = (f"select langue, niveau, source, specialites, type from (select {ALL} from articles where arrivee in "
              f"({WINDOW}) ) order by arrivee desc limit 5000")
    assert window_use(probe) == WindowUse("items_fts", 1000, "probe")
    assert window_use(count) == WindowUse("items_fts", 1000, "count")
    assert window_use(facets) == WindowUse("items_fts", 1000, "facets", ("langue", "niveau", "source", "specialites", "type"), 5000)
    for other in (
        f'select count(*) from articles where "source" = :p0 and arrivee in ({WINDOW}) ',  # another filter
        f"select count(*) from articles where arrivee in ({WINDOW}) and niveau = :p0",
        facets.replace("select langue,", "select titre,"),  # not in item_keys
        facets.replace(f"arrivee in ({WINDOW})", "1 = 1"),
        f"select count(*) from items where rowid in ({WINDOW})",
        "select count(*) from articles",
        f"select {ALL} from articles where arrivee in ({WINDOW}) order by date desc limit 26",
    ):
        assert window_use(other) is None, other
    # (item_rowid, published_at, source_id, tier, item_type, lang, specialties), newest first
    rows = [(9 - n, f"d{n}", f"s{n}", "press", "news", "fr", "[]") for n in range(4)]
    assert answer(WindowUse("f", 3, "probe"), rows) == (["count(*)"], [(4,)])  # more than the window
    assert answer(WindowUse("f", 3, "count"), rows) == (["count(*)"], [(3,)])
    assert answer(WindowUse("f", 3, "facets", ("source", "arrivee"), 2), rows) == (["source", "arrivee"], [("s0", 9), ("s1", 8)])
    assert answer(WindowUse("f", 3, "facets", ("langue",), 5000), rows)[1] == [("fr",)] * 3


def test_a_searched_articles_page_is_the_same_with_or_without_item_keys(built, tmp_path):
    db, old = tmp_path / "with.db", tmp_path / "without.db"
    shutil.copy(built[1], db)
    copies_of_items(db, 3)
    shutil.copy(db, old)
    conn = sqlite3.connect(old)
    with conn:
        conn.execute("drop table item_keys")  # an old file: every query runs as Datasette wrote it
    conn.close()
    ds, before = make_datasette(db), make_datasette(old)
    seen: list[str] = []  # the SQL run, under the page cache and the schema cache
    original = type(ds.get_database("veille")).__mro__[1].execute

    async def base_execute(self, sql, *args, **kwargs):  # noqa: ANN001, ANN202
        if self is ds.get_database("veille"):
            seen.append(sql)
        return await original(self, sql, *args, **kwargs)

    import datasette.database

    shown = 0
    patched = datasette.database.Database.execute
    datasette.database.Database.execute = base_execute
    try:
        for query in ("_search=de", "_search=vaccin*", "_search=la&_facet=histoire", "_search=de&niveau=official",
                      "_search=zzyzx", "_search=de&_sort=date", "_search=de&_size=5&_next=5"):
            for path in (f"/veille/articles.json?{query}&_extra=count,facet_results", f"/veille/articles?{query}"):
                mine, theirs = get(ds, path), get(before, path)
                assert mine.status_code == theirs.status_code == 200, path
                if ".json" in path:
                    mine_data, their_data = mine.json(), theirs.json()
                    mine_data.pop("query_ms"), their_data.pop("query_ms")
                    assert mine_data == their_data, path
                    shown += len(mine_data["rows"])
                else:
                    timing = re.compile(r"Requêtes\s*:\s*[0-9.]+")
                    assert timing.sub("", mine.text) == timing.sub("", theirs.text), path
    finally:
        datasette.database.Database.execute = patched
    assert shown > 30
    # The pages' rows were chosen among the windows read from item_keys (search_page.window_page).
    assert any(re.fullmatch(r"select .+ from articles where arrivee in \([\d, ]*\) order by .+", s, re.DOTALL) for s in seen)
    assert not [s for s in seen if s.startswith("select count(*) from articles where arrivee in")]
    facet_windows = [s for s in seen if " from (select arrivee" in s and "where arrivee in" in s]
    assert facet_windows and all(s.startswith("select histoire,") for s in facet_windows)  # not in item_keys


def test_a_search_window_is_read_again_after_a_commit(built, tmp_path):
    db = tmp_path / "again.db"
    shutil.copy(built[1], db)
    ds = make_datasette(db)

    def counted() -> tuple[int, int]:
        data = get(ds, "/veille/articles.json?_search=de&_extra=count,facet_results").json()
        return data["filtered_table_rows_count"], sum(v["count"] for v in data["facet_results"]["niveau"]["results"])

    first = counted()
    assert first[0] > 0 and first == (first[0], first[0]) and counted() == first
    copies_of_items(db, 1)  # each item once more: twice the matches
    assert counted() == (2 * first[0], 2 * first[0])


def test_a_window_is_decoded_by_sqlite3_and_text_that_is_not_utf8_as_datasette_does():
    from veille.plugins.schema_cache import plain_reader

    conn = sqlite3.connect(":memory:")
    datasette_decoding = lambda b: str(b, "utf-8", "replace")  # noqa: E731 - Datasette's text_factory
    conn.text_factory = datasette_decoding
    conn.execute("create table t (n integer, x text)")
    conn.execute("insert into t values (1, 'Épidémie'), (2, null)")
    read = plain_reader("select n, x from t order by n", {}, 1000)
    assert read(conn) == [(1, "Épidémie"), (2, None)]
    assert conn.text_factory is datasette_decoding  # the connection is left as it was
    conn.execute("insert into t values (3, cast(x'ff41' as text))")  # not UTF-8: sqlite3 refuses it
    assert read(conn) == [(1, "Épidémie"), (2, None), (3, "\ufffdA")]
    assert conn.text_factory is datasette_decoding
    conn.close()
