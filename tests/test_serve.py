"""`veille serve`: every page and canned query through Datasette's own test client, against a
database built by the real collect path from fixture feeds served on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.feedserver import FEEDS, FeedServer
from tests.helpers import rows
from veille.cli import cli
from veille.config import load_config
from veille.pipeline import collect
from veille.plugins.datasette_veille import fts_query, readable_date, search_order
from veille.serve import default_host
from veille.store import Store
from veille.webapp import (
    PACKAGED_METADATA,
    VIEWS,
    ensure_views,
    find_metadata,
    load_metadata,
    make_datasette,
)

ROOT = Path(__file__).resolve().parent.parent
CANNED = ["aujourdhui", "recherche", "par_specialite", "sante_sources", "histoires"]
EMPTY_PARAMS = {
    "recherche": "?texte=&specialite=&type=&depuis=",
    "par_specialite": "?depuis=2000-01-01&jusqua=",
}


def recent_feed(name: str) -> bytes:
    """A fixture feed whose {RECENT_n} placeholders become dates one and two hours ago."""
    now = datetime.now(UTC)
    text = (FEEDS / name).read_text(encoding="utf-8")
    for n in (1, 2):
        text = text.replace(f"{{RECENT_{n}}}", format_datetime(now - timedelta(hours=n)))
    return text.encode("utf-8")


def shifted_feed(name: str, anchor: datetime = datetime(2026, 11, 28, 12, tzinfo=UTC)) -> bytes:
    """A fixture feed whose pubDates move by (now - anchor): the same story, told this week.

    With this anchor the story feeds' items are 1 to 2.2 days old whatever the day, so they are
    late arrivals of today, and always more than 3 days (the story window) after the fixed-date
    Doliprane notice of ansm_actualites.rss.xml, which must stay apart from their story."""
    delta = datetime.now(UTC) - anchor
    text = (FEEDS / name).read_text(encoding="utf-8")

    def shift(match: re.Match[str]) -> str:
        return f"<pubDate>{format_datetime(parsedate_to_datetime(match[1]) + delta)}</pubDate>"

    return re.sub(r"<pubDate>(.*?)</pubDate>", shift, text).encode("utf-8")


def build_database(directory: Path, db_name: str = "veille.db") -> tuple[Path, Path]:
    """Fixture feeds -> feeds.yaml -> collect: the database a user would have."""
    server = FeedServer()
    try:
        sources = [
            ("ansm", server.add_file("/ansm.xml", "ansm_actualites.rss.xml"), "official"),
            ("has", server.add_file("/has.atom.xml", "has_recommandations.atom.xml"), "official"),
            ("who", server.add_file("/who.json", "who_news.json"), "official"),
            ("hostile", server.add_file("/hostile.xml", "hostile_links.rss.xml"), "press"),
            ("ansm-securite", server.add("/story-ansm.xml", shifted_feed("story_ansm.rss.xml")), "official"),
            ("egora", server.add("/story-egora.xml", shifted_feed("story_egora.rss.xml")), "press"),
            ("vidal", server.add("/story-vidal.xml", shifted_feed("story_vidal.rss.xml")), "press"),
            ("spf", server.add("/recent.xml", recent_feed("serve_recent.rss.xml")), "official"),
            ("quotidien", server.add("/recent-press.xml", recent_feed("serve_recent_press.rss.xml")), "press"),
            ("broken", server.add("/broken.xml", b"oops", status=500), "press"),
        ]
        lines = ["sources:"]
        for sid, url, tier in sources:
            lines += [f"  - id: {sid}", f"    name: {sid.upper()}", f"    url: {url}", f"    tier: {tier}"]
        config = directory / "feeds.yaml"
        config.write_text("\n".join(lines) + "\n", encoding="utf-8")
        db = directory / db_name
        store = Store(str(db))
        try:
            results = collect(load_config(str(config)), store)
        finally:
            store.close()
        assert [r.source_id for r in results if r.outcome == "error"] == ["broken"]
    finally:
        server.close()
    return config, db


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_database(tmp_path_factory.mktemp("serve"))


@pytest.fixture(scope="module")
def db(built):
    return built[1]


@pytest.fixture(scope="module")
def ds(db):
    return make_datasette(db)


def get(ds, path: str):
    return asyncio.run(ds.client.get(path))


def get_json(ds, path: str):
    response = get(ds, path)
    assert response.status_code == 200, (path, response.text[:500])
    return response.json()


def item_id(db, title_part: str) -> str:
    return rows(db, "select id from items where title like ?", (f"%{title_part}%",))[0]["id"]


# --- pages -----------------------------------------------------------------------------------

TABLES = ["articles", "items", "sources", "fetches", "stories", "specialties", "item_specialties", "item_sources"]


@pytest.mark.parametrize(
    "path",
    ["/", "/veille", "/-/veille.css"]
    + [f"/veille/{t}" for t in TABLES]
    + [f"/veille/{t}.json" for t in TABLES]
    + ["/veille/articles.atom", "/veille/articles?_search=epidemie", "/veille/articles.atom?_search=zzzz"]
    + [f"/veille/{q}{EMPTY_PARAMS.get(q, '')}" for q in CANNED]
    + [f"/veille/{q}.json{EMPTY_PARAMS.get(q, '')}" for q in CANNED]
    + [f"/veille/{q}.atom{EMPTY_PARAMS.get(q, '')}" for q in CANNED],
)
def test_every_page_answers(ds, path):
    response = get(ds, path)
    assert response.status_code == 200, response.text[:1000]


def test_row_pages_answer(ds, db):
    for table, key in (("items", item_id(db, "Doliprane")), ("sources", "ansm")):
        assert get(ds, f"/veille/{table}/{key}").status_code == 200


def test_home_page_says_what_it_is_in_french(ds):
    html = get(ds, "/").text
    assert "<h1>La une</h1>" in html and "<title>La une — Veille médicale</title>" in html
    for page in ("Articles", "Recherche", "Par spécialité", "Santé des sources", "Histoires reprises"):
        assert page in html or page.replace("'", "&#39;") in html
    assert "_memory" not in html


def test_internal_tables_are_hidden_and_tables_have_french_titles(ds):
    data = get_json(ds, "/veille.json")
    hidden = {t["name"] for t in data["tables"] if t["hidden"]}
    assert {"items_fts", "_sqlite_migrations", "story_links"} <= hidden
    assert not {"items", "sources", "fetches", "stories"} & hidden
    assert "articles" in [v["name"] for v in data["views"]]
    html = get(ds, "/veille/sources").text
    assert "Sources</h1>" in html and "Dernier succès (UTC)." in html
    assert "<h1>Articles</h1>" in get(ds, "/veille/articles").text


def test_served_as_veille_whatever_the_file_name_and_never_immutable(built, tmp_path):
    other = tmp_path / "archive-2026.sqlite"
    shutil.copy(built[1], other)
    app = make_datasette(other)
    databases = get_json(app, "/-/databases.json")
    assert [(d["name"], d["is_mutable"], d["is_memory"]) for d in databases] == [("veille", True, False)]
    assert len(get_json(app, "/veille/items.json?_shape=array")) > 5


# --- the articles view -----------------------------------------------------------------------

def test_articles_open_newest_first_with_readable_dates_and_safe_links(ds, db):
    data = get_json(ds, "/veille/articles.json?_shape=array")
    dates = [r["date"] for r in data]
    assert dates == sorted(dates, reverse=True) and len(dates) == rows(db, "select count(*) n from items")[0]["n"]
    html = get(ds, "/veille/articles").text
    shown = readable_date("2026-11-27T08:30:00Z")
    assert shown == "27/11/2026 09:30"  # Europe/Paris
    assert f'<time datetime="2026-11-27T08:30:00Z" title="2026-11-27T08:30:00Z UTC">{shown}</time>' in html
    assert '<a href="https://ansm.sante.fr/informations-de-securite/rappel-de-lots-de-doliprane-1000-mg" rel="noopener noreferrer nofollow">Rappel de lots de Doliprane 1000 mg comprimés</a>' in html


def test_search_ignores_accents(ds):
    found = get_json(ds, "/veille/articles.json?_search=epidemie&_shape=array")
    assert [r["titre"] for r in found] == ["Épidémie de bronchiolite : point de situation et recommandations"]
    canned = get_json(ds, "/veille/recherche.json?texte=EPIDÉMIE+bronchiolite&specialite=&type=&depuis=&_shape=array")
    assert [r["titre"] for r in canned] == ["Épidémie de bronchiolite : point de situation et recommandations"]
    assert len(get_json(ds, "/veille/recherche.json?texte=rappel*+dolip*&specialite=&type=&depuis=&_shape=array")) >= 2


def test_facets_specialty_source_tier_type_language(ds, db):
    data = get_json(ds, "/veille/articles.json")
    facets = data["facet_results"]
    assert {"specialites", "source", "niveau", "type", "langue"} <= set(facets)
    oncology = next(v for v in facets["specialites"]["results"] if v["value"] == "oncologie")
    expected = sorted(r["id"] for r in rows(db, "select item_id id from item_specialties where specialty = 'oncologie'"))
    assert oncology["count"] == len(expected) >= 2
    filtered = get_json(ds, "/veille/articles.json?specialites__arraycontains=oncologie&_shape=array")
    assert sorted(r["id"] for r in filtered) == expected
    assert all("oncologie" in json.loads(r["specialites"]) for r in filtered)
    tiers = {v["value"]: v["count"] for v in facets["niveau"]["results"]}
    assert set(tiers) == {"official", "press"}
    assert {v["value"] for v in facets["langue"]["results"]} == {"fr", "en"}
    assert "recall" in {v["value"] for v in facets["type"]["results"]}


def test_articles_view_reads_items_alone():
    """m004 keeps specialties and tier on the item row, m011 its other carriers: no join, no
    subquery, no computed column (SQLite computes every column of each row a search sorts)."""
    sql = VIEWS["articles"].lower()
    assert " join " not in sql and "item_specialties" not in sql and " sources" not in sql
    assert sql.count("select") == 1 and "i.other_sources as autres_sources" in sql
    assert "atom_" not in sql and "(" not in sql
    assert "i.rowid as arrivee" in sql  # a real rowid: a search looks its matches up by rowid


CARRIERS = (
    "select i.id, i.other_sources, (select group_concat(source_id) from (select x.source_id from item_sources x "
    "where x.item_id = i.id and x.source_id <> i.source_id order by x.source_id)) as expected from items i"
)


def test_other_sources_stay_on_the_row_when_carriers_come_and_go(built, tmp_path):
    """m011's triggers: a second carrier, a carrier removed, an item changing owner."""
    db = tmp_path / "carriers.db"
    shutil.copy(built[1], db)
    with Store(str(db)) as store:
        with store.immediate() as conn:
            item, owner = conn.execute("select id, source_id from items where source_id = 'egora' limit 1").fetchone()
            conn.execute("insert into item_sources (item_id, source_id, guid, first_seen_at) values (?, 'has', 'g', '2026-01-01')", [item])
            conn.execute("insert into item_sources (item_id, source_id, guid, first_seen_at) values (?, 'ansm', 'g', '2026-01-01')", [item])
        assert rows(db, "select other_sources from items where id = ?", [item]) == [{"other_sources": "ansm,has"}]
        with store.immediate() as conn:
            conn.execute("update items set source_id = 'has' where id = ?", [item])
        assert rows(db, "select other_sources from items where id = ?", [item]) == [{"other_sources": f"ansm,{owner}"}]
        store.purge_source("ansm")
        store.purge_source("quotidien")  # its articles that SPF also carried change owner
        assert rows(db, "select other_sources from items where id = ?", [item]) == [{"other_sources": owner}]
    table = rows(db, CARRIERS)
    assert [r for r in table if r["other_sources"] != r["expected"]] == []
    assert any(r["other_sources"] for r in table)  # the collect's own second carriers


def test_facet_counts_follow_every_insert_update_and_delete(built, tmp_path):
    """m011's triggers keep facet_counts equal to a count from scratch."""
    from veille.migrations import fill_facet_counts

    db = tmp_path / "counts.db"
    shutil.copy(built[1], db)
    counts = "select facet, value, n from facet_counts where n > 0 order by facet, value"
    with Store(str(db)) as store:
        with store.immediate() as conn:
            conn.execute("update items set tier = 'social', specialties = '[\"pediatrie\",\"oncologie\"]' "
                         "where rowid in (select rowid from items limit 3)")
            conn.execute("update items set lang = null, item_type = 'recall' where rowid = (select max(rowid) from items)")
        store.purge_source("egora")
        after = rows(db, counts)
        with store.immediate() as conn:
            fill_facet_counts(store.db)
    assert after == rows(db, counts)
    assert {r["facet"] for r in after} == {"source", "niveau", "type", "langue", "specialites"}
    assert not any(r["value"] == "egora" for r in after)


def test_unfiltered_facets_count_the_whole_archive(built, tmp_path):
    db = tmp_path / "whole.db"
    shutil.copy(built[1], db)
    facets = get_json(make_datasette(db), "/veille/articles.json")["facet_results"]
    by_tier = {r["tier"]: r["n"] for r in rows(db, "select tier, count(*) n from items group by tier")}
    assert {v["value"]: v["count"] for v in facets["niveau"]["results"]} == by_tier


def test_search_looks_among_the_most_recent_matches(db):
    def search(app, text):
        return get_json(app, f"/veille/articles.json?_search={text}&_shape=objects")

    everything = search(make_datasette(db), "lien")
    matches = rows(db, "select rowid from items_fts where items_fts match 'lien' order by rowid desc")
    assert len(matches) >= 2
    assert sorted(r["arrivee"] for r in everything["rows"]) == sorted(m["rowid"] for m in matches)
    assert everything["filtered_table_rows_count"] == len(matches)
    assert "plus récentes" not in everything["human_description_en"]
    assert [r["date"] for r in everything["rows"]] == sorted((r["date"] for r in everything["rows"]), reverse=True)
    by_date = get_json(make_datasette(db), "/veille/articles.json?_search=lien&_sort_desc=date&_shape=array")
    assert [r["date"] for r in by_date] == sorted((r["date"] for r in by_date), reverse=True)

    metadata = load_metadata(ROOT / "datasette-metadata.json")
    metadata["databases"]["veille"]["tables"]["articles"]["plugins"]["veille"]["search"]["window"] = 1
    narrow = search(make_datasette(db, metadata=metadata), "lien")
    assert [r["arrivee"] for r in narrow["rows"]] == [matches[0]["rowid"]]  # the last one collected
    assert narrow["filtered_table_rows_count"] == 1
    assert 'search matches "lien" (parmi les 1 correspondances les plus récentes)' in narrow["human_description_en"]


def test_search_uses_the_fts_index_newest_first_then_rowids(ds, db):
    import sqlite3

    data = get_json(ds, "/veille/articles.json?_search=epidemie&_shape=objects")
    conn = sqlite3.connect(db)
    try:
        conn.create_function("escape_fts", 1, fts_query)
        plan = [r[3] for r in conn.execute("explain query plan " + data["query"]["sql"], data["query"]["params"])]
    finally:
        conn.close()
    assert any("USING INTEGER PRIMARY KEY" in step for step in plan), plan
    assert not any(step.split()[:2] == ["SCAN", "i"] for step in plan), plan  # never every item
    # Sorted by date: only the window of matches (at most 1,000 rows) is sorted.
    assert "order by rowid desc limit 1000" in data["query"]["sql"]


def test_searches_default_to_arrival_order_unless_the_user_sorts():
    config = {"sort_desc": "arrivee"}
    form = [("_search", "x"), ("_sort", "date"), ("_sort_by_desc", "on")]  # the form restating the default
    assert search_order(form, config, "date") == [("_search", "x"), ("_sort_desc", "arrivee")]
    assert search_order([("_search", "x")], config, "date") == [("_search", "x"), ("_sort_desc", "arrivee")]
    for chosen in ([("_search", "x"), ("_sort_desc", "date")], [("_search", "x"), ("_sort", "date")],
                   [("_search", "x"), ("_sort", "titre"), ("_sort_by_desc", "on")], [("_search", " ")], []):
        assert search_order(chosen, config, "date") is None


def test_search_form_answers_by_publication_date(ds):
    url = "/veille/articles?_search=rappel&_filter_column=&_filter_op=exact&_filter_value=&_sort=date&_sort_by_desc=on"
    response = asyncio.run(ds.client.get(url, follow_redirects=True))
    assert response.status_code == 200 and "triés par date décroissant" in response.text
    page = get_json(ds, "/veille/articles.json?_search=rappel&_shape=array")
    assert [r["date"] for r in page] == sorted((r["date"] for r in page), reverse=True) and page
    assert get(ds, "/veille/articles.atom?_search=rappel").status_code == 200


def test_empty_search_shows_everything_and_search_keeps_facets(ds, db):
    everything = get_json(ds, "/veille/articles.json?_search=+&_shape=array")
    assert len(everything) == rows(db, "select count(*) n from items")[0]["n"]
    html = get(ds, "/veille/articles?_search=cancer").text
    assert 'name="_search" value="cancer"' in html  # the search box is there, filled in
    facets = get_json(ds, "/veille/articles.json?_search=cancer")["facet_results"]
    assert "oncologie" in {v["value"] for v in facets["specialites"]["results"]}
    assert {"source", "niveau", "type", "langue"} <= set(facets)


# --- canned queries --------------------------------------------------------------------------

def test_aujourdhui_one_row_per_story_official_first_with_source_count(ds, db):
    today = get_json(ds, "/veille/aujourdhui.json?_shape=array")
    titles = [r["titre"] for r in today]
    assert "Cancer du poumon : nouvelles recommandations de dépistage en oncologie" in titles
    lung = [r for r in today if r["titre"].startswith("Cancer du poumon")]
    story = rows(db, "select count(distinct story_id) n, count(*) c from items where title like 'Cancer du poumon%'")[0]
    if story["n"] == 1 and story["c"] == 2:  # the two sources were clustered into one story
        assert len(lung) == 1 and lung[0]["source"] == "spf" and lung[0]["nb_sources"] == 2
    assert today[0]["niveau"] == "official"
    # Published in the last 24 h, or a late arrival of the last 24 h (La une's rule): never
    # an item first seen more than 3 days after its publication.
    assert all(r["date"] >= (datetime.now(UTC) - timedelta(days=4)).strftime("%Y-%m-%dT%H:%M:%SZ") for r in today)
    assert not [r for r in today if r["titre"].startswith("Épidémie de bronchiolite")]
    assert "Rappel de lots de Doliprane 1000 mg comprimés" not in titles  # the ANSM fixture's: archive


def test_recherche_parameters(ds):
    def search(**params):
        query = "&".join(f"{k}={params.get(k, '')}" for k in ("texte", "specialite", "type", "depuis"))
        return get_json(ds, f"/veille/recherche.json?{query}&_shape=array")

    everything = search()
    assert [r["date"] for r in everything] == sorted((r["date"] for r in everything), reverse=True)
    assert {r["type"] for r in search(type="recall")} == {"recall"}
    onco = search(specialite="oncologie")
    assert onco and all("oncologie" in json.loads(r["specialites"]) for r in onco)
    assert all(r["date"] >= "2026-11-27" for r in search(depuis="2026-11-27"))
    assert len(search(depuis="2026-11-27")) < len(everything)
    assert [r["titre"] for r in search(texte="doliprane", type="recall", depuis="2026-11-26")]


def test_par_specialite_counts(ds, db):
    counts = get_json(ds, "/veille/par_specialite.json?depuis=2000-01-01&jusqua=&_shape=array")
    expected = {r["specialty"]: r["n"] for r in rows(db, "select specialty, count(*) n from item_specialties group by specialty")}
    assert {r["specialite"]: r["articles"] for r in counts} == expected
    assert next(r for r in counts if r["specialite"] == "oncologie")["libelle"] == "Oncologie"
    assert get_json(ds, "/veille/par_specialite.json?depuis=2000-01-01&jusqua=2001-01-01&_shape=array") == []


def test_sante_des_sources_errors_and_quiet_sources(built, tmp_path):
    db = tmp_path / "quiet.db"
    shutil.copy(built[1], db)
    # Time passes: `who` got new items every 6 hours, then nothing for 10 days.
    long_ago = datetime.now(UTC) - timedelta(days=10)
    fetches = [
        {"source_id": "who", "started_at": (long_ago - timedelta(hours=6 * n)).strftime("%Y-%m-%dT%H:%M:%SZ"),
         "outcome": "new", "items_new": 1, "items_seen": 1, "http_status": 200, "duration_ms": 5}
        for n in range(5)
    ]
    with Store(str(db)) as store, store.immediate() as conn:
        conn.execute("delete from fetches where source_id = 'who'")
        conn["fetches"].insert_all(fetches)
        conn.execute("update sources set last_new_item_at = ? where id = 'who'", [fetches[0]["started_at"]])
    health = {r["source"]: r for r in get_json(make_datasette(db), "/veille/sante_sources.json?_shape=array")}
    assert health["broken"]["etat"] == "en erreur" and "500" in health["broken"]["derniere_erreur"]
    assert health["broken"]["erreurs"] == 1 and health["broken"]["prochaine_collecte"]
    assert health["who"]["etat"] == "muette" and health["who"]["rythme_habituel_h"] == 6.0
    assert health["ansm"]["etat"] == "ok" and health["ansm"]["dernier_succes"]
    assert list(health)[0] == "broken"  # problems first


def test_histoires_reported_by_two_sources_or_more(ds, db):
    stories = get_json(ds, "/veille/histoires.json?_shape=array")
    assert stories and all(s["nb_sources"] >= 2 for s in stories)
    doliprane = [s for s in stories if "Doliprane 1000" in s["titre"]]
    assert doliprane and doliprane[0]["source_principale"] == "ansm-securite"
    assert set(doliprane[0]["sources"].split(",")) >= {"ansm-securite", "egora", "vidal"}


# --- Atom --------------------------------------------------------------------------------------

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.mark.parametrize("path", ["/veille/articles.atom", "/veille/aujourdhui.atom", "/veille/recherche.atom?texte=&specialite=&type=&depuis=", "/veille/histoires.atom", "/veille/sante_sources.atom", "/veille/par_specialite.atom?depuis=2000-01-01&jusqua="])
def test_atom_feeds_are_valid_and_only_link_http(ds, path):
    response = get(ds, path)
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/xml")
    feed = ET.fromstring(response.content)
    assert feed.find(f"{ATOM}title").text.startswith("Veille médicale : ")
    entries = feed.findall(f"{ATOM}entry")
    assert entries
    for entry in entries:
        for link in entry.findall(f"{ATOM}link"):
            assert link.get("href").startswith(("http://", "https://"))
        content = entry.find(f"{ATOM}content")
        assert content is None or content.get("type") == "text"


def test_articles_atom_entries_come_from_the_view_columns_with_the_update_time(built, tmp_path):
    """The articles view has no atom_* columns: its entries are its rows, updated_at read for them."""
    db = tmp_path / "atom.db"
    shutil.copy(built[1], db)
    with Store(str(db)) as store, store.immediate() as conn:
        item, title = conn.execute("select id, title from items order by published_at desc limit 1").fetchone()
        conn.execute("update items set updated_at = '2099-01-02T03:04:05Z' where id = ?", [item])
    feed = ET.fromstring(get(make_datasette(db), "/veille/articles.atom").content)
    entries = {e.find(f"{ATOM}id").text: e for e in feed.findall(f"{ATOM}entry")}
    entry = entries[f"urn:veille:item:{item}"]
    assert entry.find(f"{ATOM}title").text == title
    assert entry.find(f"{ATOM}updated").text.startswith("2099-01-02T03:04:05")
    others = [e.find(f"{ATOM}updated").text for k, e in entries.items() if k != f"urn:veille:item:{item}"]
    assert others and not any(u.startswith("2099") for u in others)


def test_empty_atom_feed_is_valid(ds):
    response = get(ds, "/veille/recherche.atom?texte=zzzyyyxxx&specialite=&type=&depuis=")
    assert response.status_code == 200
    assert ET.fromstring(response.content).findall(f"{ATOM}entry") == []


# --- safety ------------------------------------------------------------------------------------

# Datasette's own pages carry <script src=...>; what must never appear is the feeds' markup.
INERT_BAD = ("<script>alert", "<img src=x", 'href="javascript:', "href='javascript:", 'href="data:', 'href="file:')


def assert_inert(html: str) -> None:
    lowered = html.lower()
    for bad in INERT_BAD:
        assert bad not in lowered, bad


def test_hostile_items_render_inert(ds, db):
    trapped = item_id(db, "Titre piégé")
    pages = [
        "/veille/articles", "/veille/articles?_search=piegee", "/veille/articles?_search=lien",
        "/veille/items", f"/veille/items/{trapped}", f"/veille/items/{item_id(db, 'Lien javascript')}",
        f"/veille/items/{item_id(db, 'Alerte piégée')}",
        "/veille/aujourdhui", "/veille/recherche?texte=pi%C3%A9g%C3%A9&specialite=&type=&depuis=",
        "/veille/recherche?texte=lien&specialite=&type=&depuis=",
    ]
    for path in pages:
        response = get(ds, path)
        assert response.status_code == 200
        assert_inert(response.text)
    html = get(ds, f"/veille/items/{trapped}").text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;Titre piégé" in html  # shown as text
    for path in ("/veille/articles.atom", "/veille/aujourdhui.atom", "/veille/recherche.atom?texte=lien&specialite=&type=&depuis="):
        body = get(ds, path).text
        assert "<script" not in body.lower() and "<img" not in body.lower()
        assert 'href="javascript:' not in body and 'href="data:' not in body and 'href="file:' not in body
    titles = [e.find(f"{ATOM}title").text for e in ET.fromstring(get(ds, "/veille/articles.atom").content).findall(f"{ATOM}entry")]
    assert '<script>alert("x")</script>Titre piégé' in titles  # text, escaped by XML


def test_javascript_urls_in_the_database_are_never_links(built, tmp_path):
    """The normaliser already drops non-http(s) links; Datasette must not rely on it."""
    db = tmp_path / "js.db"
    shutil.copy(built[1], db)
    with Store(str(db)) as store, store.immediate() as conn:
        conn.execute("update items set url = 'javascript:alert(1)' where title like 'Lien javascript%'")
        conn.execute("update items set url = ' JAVASCRIPT:alert(2)' where title like 'Lien data%'")
    app = make_datasette(db)
    for path in ("/veille/articles?_search=lien", "/veille/recherche?texte=lien&specialite=&type=&depuis=",
                 f"/veille/items/{item_id(db, 'Lien javascript')}", "/veille/items?_search=lien"):
        html = get(app, path).text
        if path.startswith("/veille/items"):  # the raw table shows its url column, as text
            assert "javascript:alert(1)" in html
        else:  # Articles and Recherche leave their (hidden) lien column out of the page
            assert "Lien javascript" in html and "javascript:alert" not in html
        assert 'href="javascript' not in html.lower() and 'href=" javascript' not in html.lower()
    for path in ("/veille/articles.atom?_search=lien", "/veille/recherche.atom?texte=lien&specialite=&type=&depuis="):
        feed = ET.fromstring(get(app, path).content)
        hrefs = [link.get("href") for e in feed.findall(f"{ATOM}entry") for link in e.findall(f"{ATOM}link")]
        # No javascript: link; an entry without an http(s) link links to its story page.
        assert len(feed.findall(f"{ATOM}entry")) == 3
        assert hrefs and all(h.startswith("http://localhost/histoires/") for h in hrefs)


NASTY = [
    '"', '"unbalanced', "NOT", "NOT epidemie", "epidemie NOT", "AND", "OR OR", "*", "**", "cardio*",
    "*cardio", "(", ")", "((epidemie", "epidemie))", "NEAR(a b", "-doliprane", "^rappel", "title:rappel",
    "items_fts:x", "'", "';drop table items;--", "\\", "%", "_", "\x00", "🦠 épidémie", "rappel" * 2000,
    "é" * 5000 + "*", " ".join(["mot"] * 500), "\"a\" \"b", "{title}: x", "x:", "+", "a + b",
]


@pytest.mark.parametrize("text", NASTY, ids=range(len(NASTY)))
def test_any_search_text_answers(ds, text):
    from urllib.parse import quote

    q = quote(text)
    for path in (
        f"/veille/articles?_search={q}", f"/veille/articles.json?_search={q}",
        f"/veille/items?_search={q}", f"/veille/recherche?texte={q}&specialite=&type=&depuis=",
        f"/veille/recherche.json?texte={q}&specialite=&type=&depuis=",
        f"/veille/recherche.atom?texte={q}&specialite=&type=&depuis=",
    ):
        response = get(ds, path)
        assert response.status_code == 200, (path[:80], response.status_code, response.text[:300])


def test_fts_query_quotes_every_word():
    assert fts_query('NOT "épidémie" (cardio* OR') == '"NOT" "épidémie" "cardio"* "OR"'
    assert fts_query("((( ---") is None and fts_query("") is None and fts_query(None) is None
    assert len(fts_query("mot " * 1000).split()) == 16


# --- exposure ----------------------------------------------------------------------------------

def test_local_allows_sql_public_does_not(db):
    local = make_datasette(db)
    assert get(local, "/veille.json?sql=select+count(*)+from+items").status_code == 200
    public = make_datasette(db, public=True)
    assert get(public, "/veille.json?sql=select+count(*)+from+items").status_code == 403
    assert get(public, "/veille/recherche.json?texte=rappel&specialite=&type=&depuis=").status_code == 200
    assert get(public, "/veille/articles.json?_search=rappel").status_code == 200
    settings = get_json(public, "/-/settings.json")
    assert settings["sql_time_limit_ms"] == 1000 and settings["default_allow_sql"] is False
    assert settings["allow_download"] is False and settings["suggest_facets"] is False
    assert "Edit SQL" not in get(public, "/veille/recherche?texte=&specialite=&type=&depuis=").text
    plugins = {p["name"] for p in get_json(public, "/-/plugins.json")}
    assert not {n for n in plugins if "write" in n or "upload" in n or "insert" in n or "edit" in n}


def test_hosts():
    assert default_host(None, public=False) == "127.0.0.1"
    assert default_host(None, public=True) == "0.0.0.0"  # noqa: S104
    assert default_host("192.168.1.5", public=True) == "192.168.1.5"


def test_serve_command_is_documented():
    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert result.exit_code == 0
    assert "--public" in result.output and "Example:" in result.output and "127.0.0.1" in result.output


def test_serve_refuses_a_non_sqlite_file(tmp_path):
    bad = tmp_path / "notes.db"
    bad.write_text("not a database")
    result = CliRunner().invoke(cli, ["--db", str(bad), "serve"])
    assert result.exit_code == 2 and "not a SQLite database" in result.output
    assert bad.read_text() == "not a database"


# --- metadata and views ------------------------------------------------------------------------

def test_packaged_metadata_is_the_repository_one():
    assert PACKAGED_METADATA.read_bytes() == (ROOT / "datasette-metadata.json").read_bytes()


def test_metadata_is_found_next_to_the_config_first(tmp_path, monkeypatch):
    monkeypatch.delenv("VEILLE_METADATA", raising=False)
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "conf" / "feeds.yaml"
    config.parent.mkdir()
    assert find_metadata(str(config)) == ROOT / "datasette-metadata.json"  # the checkout
    (config.parent / "datasette-metadata.json").write_text("{}")
    assert find_metadata(str(config)) == config.parent / "datasette-metadata.json"


def test_views_are_created_once_and_read_only_files_are_served(built, tmp_path):
    db = tmp_path / "ro.db"
    shutil.copy(built[1], db)
    ensure_views(str(db))
    ensure_views(str(db))
    assert rows(db, "select count(*) n from sqlite_master where type = 'view' and name = 'articles'")[0]["n"] == 1
    os.chmod(db, 0o444)
    try:
        if os.access(db, os.W_OK):
            pytest.skip("running as root: files are always writable")
        assert get(make_datasette(db), "/veille/articles.json").status_code == 200
    finally:
        os.chmod(db, 0o644)


def test_articles_without_specialties_show_a_dash_not_raw_json(ds, db):
    assert rows(db, "select count(*) n from items where specialties = '[]'")[0]["n"] >= 1
    html = get(ds, "/veille/articles").text
    assert '<td class="col-specialites type-str">[]</td>' not in html
    assert '<span class="veille-none" title="aucune spécialité">—</span>' in html
