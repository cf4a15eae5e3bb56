"""The reading room through Datasette's test client: La une, the story page, French labels,
Recherche, no SQL in sight, XSS payloads inert, and each fault of issue 12 (Atom without link,
bad _sort/_next, the view check, hosts, missing database, busy port, secrets in public mode).
Databases are built by the real collect path from feeds served on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import sqlite3
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markupsafe import escape

from tests.helpers import dated_now, rows, run_cli
from tests.test_serve import build_database
from veille.webapp import (
    VIEWS,
    _check_views_current,
    ensure_views,
    make_datasette,
    normalised_sql,
    stale_views,
)

ATOM = "{http://www.w3.org/2005/Atom}"
XSS_NAME = '<script>alert("nom")</script><img src=x onerror=alert(1)>Source piégée'


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_database(tmp_path_factory.mktemp("room"))


@pytest.fixture(scope="module")
def ds(built):
    return make_datasette(built[1])


def get(ds, path: str, **kwargs):
    return asyncio.run(ds.client.get(path, **kwargs))


def story_ids(html: str) -> list[str]:
    return list(dict.fromkeys(re.findall(r'href="/histoires/([^"]+)"', html)))


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text inside <script> elements."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):  # noqa: ANN001
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):  # noqa: ANN001
        self._in_script = False

    def handle_data(self, data):  # noqa: ANN001
        if self._in_script:
            self.scripts.append(data)


def assert_inert(html: str) -> None:
    """No feed payload became markup: no script with an alert, no on* attribute, no image, no
    link outside http(s) and Veille's own pages."""
    parser = Tags()
    parser.feed(html)
    assert not [s for s in parser.scripts if "alert" in s]
    for tag, attrs in parser.tags:
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        assert tag != "img", attrs
        href = (attrs.get("href") or "").strip().lower()
        assert not href or href.startswith(("http://", "https://", "/", "?", "#")), (tag, attrs)


# --- La une ----------------------------------------------------------------------------------


def doliprane_story(db: Path) -> str:
    """The story of the ANSM-SECURITE Doliprane recall (whatever else joined it)."""
    (found,) = rows(db, "select story_id from items where source_id = 'ansm-securite' and title like 'Rappel de lots de Doliprane%'")
    return found["story_id"]


def test_la_une_shows_todays_stories_official_first_with_the_alert_box(ds, built):
    db = built[1]
    html = get(ds, "/").text
    assert "<title>La une — Veille médicale</title>" in html and "<h1>La une</h1>" in html
    assert '<header><nav><p class="crumbs"><a href="/">Veille médicale</a></p>' in html  # the band names the product
    # Published in the last 24 h (or arrived late within 3 days): the recent and shifted feeds.
    assert "Cancer du poumon : nouvelles recommandations de dépistage en oncologie" in html
    ids = story_ids(html)
    assert doliprane_story(db) in ids
    # Published days before this collect and alone in its story: archive, not news.
    assert "Épidémie de bronchiolite : point de situation" not in html
    # The alert box names its issuer, an official source.
    box = html.split('id="alertes"')[1].split("</section>")[0]
    assert f'href="/histoires/{doliprane_story(db)}"' in box
    assert re.search(r"— (ANSM|ANSM-SECURITE) · \d\d/\d\d/\d{4}", box)
    # Every story links to its page, and every such page answers.
    assert len(ids) >= 5
    for sid in ids:
        assert get(ds, f"/histoires/{sid}").status_code == 200
    # "Aussi rapporté par", its source with the tier in French, links to every page.
    assert re.search(r"Aussi rapporté par : [^<]*EGORA", html) and "(officiel) ·" in html
    for href in ("/veille/articles", "/veille/recherche", "/veille/histoires", "/veille/sante_sources"):
        assert f'href="{href}"' in html
    assert 'name="_search"' in html


def test_la_une_and_the_digest_show_the_same_stories(ds, built):
    config, db = built
    data = json.loads(run_cli(config, db, "digest", "--since", "24h", "--format", "json").output)
    assert set(story_ids(get(ds, "/").text)) == {s["id"] for s in data["stories"]}
    assert data["alerts"] and all(s["alert_from"] in ("ANSM", "ANSM-SECURITE") for s in data["stories"] if s["alert"])


def test_la_une_takes_the_digests_archive_setting(built, tmp_path):
    config, db = built
    custom = tmp_path / "feeds.yaml"
    custom.write_text(config.read_text(encoding="utf-8") + "settings:\n  digest:\n    archive_days: 0.5\n", encoding="utf-8")
    app = make_datasette(db, config_path=str(custom))
    assert app.plugin_config("veille")["archive_days"] == 0.5
    html = get(app, "/").text
    # The shifted feeds' items arrived about two days late: archive with half a day.
    assert doliprane_story(db) not in story_ids(html) and "Cancer du poumon" in html
    data = json.loads(run_cli(custom, db, "digest", "--since", "24h", "--format", "json").output)
    assert {s["id"] for s in data["stories"]} == set(story_ids(get(app, "/").text))


def test_la_une_remembers_the_specialty(ds):
    response = get(ds, "/?specialite=pharmacologie")
    assert response.status_code == 200
    cookie = response.headers["set-cookie"]
    assert "veille_specialite=pharmacologie" in cookie and "SameSite=lax" in cookie
    html = response.text
    assert '<option value="pharmacologie" selected>' in html
    groups = re.findall(r'<section class="veille-group">\s*<h2>([^<]+)<', html)
    assert [g.strip() for g in groups] == ["Pharmacologie, médicament"]
    assert "Cancer du poumon" not in html
    # Back without a parameter: the cookie keeps the choice.
    again = get(ds, "/", cookies={"veille_specialite": "pharmacologie"}).text
    assert '<option value="pharmacologie" selected>' in again and "Cancer du poumon" not in again
    # "Toutes" clears it; an unknown slug is ignored.
    cleared = get(ds, "/?specialite=", cookies={"veille_specialite": "pharmacologie"})
    assert "Max-Age=0" in cleared.headers["set-cookie"] and "Cancer du poumon" in cleared.text
    assert "Cancer du poumon" in get(ds, "/?specialite=nope").text


def test_la_une_shows_the_first_stories_of_each_specialty_and_links_to_the_rest(ds, monkeypatch):
    monkeypatch.setattr("veille.plugins.reading_room.GROUP_SIZE", 1)
    html = get(ds, "/?specialite=").text
    group = html.split("<h2>Pharmacologie, médicament")[1].split("</section>")[0]
    assert group.count('<li class="veille-story">') == 1
    assert '<a href="/?specialite=pharmacologie">Les 2 sujets en Pharmacologie, médicament</a>' in group
    # Filtered by that specialty, the whole group.
    whole = get(ds, "/?specialite=pharmacologie").text.split("<h2>Pharmacologie, médicament")[1]
    assert whole.count('<li class="veille-story">') == 2


def test_la_une_keeps_feed_text_inert(ds):
    html = get(ds, "/").text
    assert "&lt;script&gt;alert(&#34;titre&#34;)&lt;/script&gt;" in html
    assert_inert(html)


# --- the story page --------------------------------------------------------------------------


def test_story_page_lists_every_item_and_why(ds, built):
    db = built[1]
    sid = doliprane_story(db)
    members = rows(db, "select id, source_id from items where story_id = ?", (sid,))
    (story,) = rows(db, "select title from stories where id = ?", (sid,))
    linked = rows(db, "select count(*) n from story_links where story_id = ?", (sid,))[0]["n"]
    html = get(ds, f"/histoires/{sid}").text
    assert f"<title>{escape(story['title'])} — Histoire — Veille médicale</title>" in html
    items = html.split('<ol class="veille-story-items">')[1].split("</ol>")[0].split("<li ")[1:]
    assert len(items) == len(members) >= 3
    assert "Article représentatif" in items[0] and "(officiel)" in items[0]
    assert html.count("Relié à l'histoire : titres proches (") == linked >= 2
    assert "EGORA (presse)" in html and "VIDAL (presse)" in html
    assert f"{len(members)} articles, " in html and "Rappel · Pharmacologie, médicament" in html
    assert re.search(r"\d\d/\d\d/\d{4} \d\d:\d\d", items[0])
    assert 'href="https://' in items[0]


def test_an_article_carried_by_two_sources_says_so(server, write_config, tmp_path):
    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>https://t.example/</link>'
        "<item><title>Vaccination antigrippale : la campagne est prolongée</title>"
        "<link>https://t.example/grippe?utm_source=rss</link><description>Prolongée jusqu'en février.</description>"
        "</item></channel></rss>"
    ).encode()
    config = write_config([
        {"id": "spf", "name": "Santé publique France", "url": server.add("/a.xml", feed), "tier": "official"},
        {"id": "qdm", "name": "Le Quotidien du Médecin", "url": server.add("/b.xml", feed.replace(b"utm_source=rss", b"utm_source=x")), "tier": "press"},
    ])
    db = tmp_path / "veille.db"
    assert run_cli(config, db, "collect").exit_code == 0
    (item,) = rows(db, "select id, story_id from items")
    app = make_datasette(db)
    html = get(app, "/veille/articles").text
    assert '<td class="col-autres_sources type-str">Le Quotidien du Médecin</td>' in html
    assert '<td class="col-source type-str">Santé publique France</td>' in html
    story = get(app, f"/histoires/{item['story_id'] or item['id']}").text
    assert "Même adresse : aussi publié par Le Quotidien du Médecin" in story


def test_story_page_of_an_item_id_and_of_nothing(ds, built):
    db = built[1]
    item = rows(db, "select id, story_id from items where story_id is not null limit 1")[0]
    response = get(ds, f"/histoires/{item['id']}")
    assert response.status_code == 302 and response.headers["location"] == f"/histoires/{item['story_id']}"
    missing = get(ds, "/histoires/nope")
    assert missing.status_code == 404 and "Histoire introuvable" in missing.text


def test_story_pages_keep_feed_text_inert(ds, built):
    db = built[1]
    for r in rows(db, "select coalesce(story_id, id) k from items where source_id in ('hostile', 'spf')"):
        response = get(ds, f"/histoires/{r['k']}")
        assert response.status_code == 200
        assert_inert(response.text)


def test_source_names_with_payloads_stay_text(server, write_config, tmp_path):
    config = write_config([
        {"id": "piege", "name": XSS_NAME, "url": server.add("/p.xml", dated_now("ansm_actualites.rss.xml", 1)), "tier": "official"},
    ])
    db = tmp_path / "veille.db"
    assert run_cli(config, db, "collect").exit_code == 0
    app = make_datasette(db)
    home = get(app, "/").text
    assert "&lt;script&gt;alert(&#34;nom&#34;)&lt;/script&gt;" in home
    pages = [home, get(app, "/veille/articles").text, get(app, "/veille/articles?_facet=source").text]
    pages += [get(app, f"/histoires/{sid}").text for sid in story_ids(home)]
    for html in pages:
        assert_inert(html)
        assert "<script>alert(" not in html


# --- Articles, Recherche, chrome -------------------------------------------------------------


def test_articles_unfiltered_count_is_capped_filtered_is_exact(ds, built, monkeypatch):
    n = rows(built[1], "select count(*) n from items")[0]["n"]
    assert re.search(rf"<h3>{n} articles\s+triés par date décroissant", get(ds, "/veille/articles").text)
    assert get(ds, "/veille/articles.json").json()["filtered_table_rows_count"] is None
    exact = get(ds, "/veille/articles.json?niveau=official").json()["filtered_table_rows_count"]
    assert exact == rows(built[1], "select count(*) n from items where tier = 'official'")[0]["n"]
    monkeypatch.setattr("veille.plugins.facets.COUNT_CAP", n - 1)
    # Another address of the same page (the one above is kept whole until the next commit).
    assert f"<h3>Plus de {n - 1} articles" in get(ds, "/veille/articles?_size=25").text


def test_articles_in_french_labels_and_no_sql(ds):
    html = get(ds, "/veille/articles?_facet_size=max").text
    for english in ("Search:", 'value="Apply"', "(view)", "Powered by", "This data as", "row</h3>", "rows</h3>", "CREATE VIEW", "create view"):
        assert english not in html, english
    assert "<title>Articles — Veille médicale</title>" in html
    assert "Que veulent dire les colonnes ?</summary>" in html  # folded, not in the way
    assert '<td class="col-niveau type-str">Officiel</td>' in html
    assert '<td class="col-type type-str">Rappel</td>' in html
    assert "Pharmacologie, médicament" in html and '["pharmacologie"]' not in html
    assert 'href="/histoires/' in html and "voir l'histoire" in html
    facets = html.split('class="facet-results"')[1]
    assert "Spécialités" in facets and "Officiel" in facets and "Rappel" in facets
    assert ">Source piégée" not in facets and ">ANSM-SECURITE</a>" in facets  # names, not ids


def test_every_story_row_of_the_canned_pages_links_to_its_story_page(ds, built):
    """Aujourd'hui (one row a story) and Recherche (articles) link each row to its story page,
    like Articles and Histoires reprises: no page of the issue leaves a story unlinked."""
    for path in ("/veille/aujourdhui", "/veille/recherche?texte=&specialite=&type=&depuis=", "/veille/histoires"):
        html = get(ds, path).text
        body = html.split("<tbody>")[1].split("</tbody>")[0]
        shown = body.count("<tr>")
        links = re.findall(r'<td class="col-histoire">(.*?)</td>', body, re.S)
        assert shown >= 2 and len(links) == shown, path
        for sid in {re.search(r'href="/histoires/([^"]+)"', cell)[1] for cell in links}:
            assert get(ds, f"/histoires/{sid}", follow_redirects=True).status_code == 200, (path, sid)
    today = get(ds, "/veille/aujourdhui").text
    assert f'href="/histoires/{doliprane_story(built[1])}"' in today


def test_articles_filter_and_column_menu_in_french(ds):
    """The filter row names columns as the table does, and the column menu (Datasette's
    table.js) speaks French and shows no SQL type."""
    html = get(ds, "/veille/articles").text
    select = html.split('<select name="_filter_column">')[1].split("</select>")[0]
    assert '<option value="specialites">Spécialités</option>' in select
    assert '<option value="autres_sources">Aussi publié par</option>' in select
    assert ">autres_sources<" not in select and ">resume<" not in select
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert "/-/veille-table.js" in scripts and not [s for s in scripts if s.endswith("/table.js")]
    script = get(ds, "/-/veille-table.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    for french in ("Trier par ordre croissant", "Facettes sur cette colonne", "Masquer cette colonne", "Afficher toutes les colonnes"):
        assert french in script.text
    for english in ("Sort ascending", "Facet by this", "Hide this column", "Show all columns", "Show not-blank rows"):
        assert f">{english}<" not in script.text  # the menu's labels (comments may keep them)
    assert "Remove this filter" not in script.text and "Retirer ce filtre" in script.text
    assert "Type: " not in script.text
    # A search says what it looked for in French quotes.
    assert "recherche « epidemie »" in get(ds, "/veille/articles?_search=epidemie").text


def test_recherche_has_drop_downs_and_takes_french_words_and_dates(ds):
    page = get(ds, "/veille/recherche?texte=&specialite=&type=&depuis=").text
    assert "<title>Recherche — Veille médicale</title>" in page
    for english in ("Run SQL", "Edit SQL", "Custom SQL query", "Query parameters", "<pre id=\"sql-query\">", "with hits(r)"):
        assert english not in page, english
    assert '<select id="qp-specialite" name="specialite">' in page and ">Pédiatrie</option>" in page
    assert '<select id="qp-type" name="type">' in page and '<option value="recall">Rappel</option>' in page
    assert '<input type="text" id="qp-depuis" name="depuis" value="" placeholder="JJ/MM/AAAA"' in page
    assert '<input type="date" class="veille-picker" data-for="qp-depuis"' in page

    def titles(query: str) -> list[str]:
        data = get(ds, f"/veille/recherche.json?_shape=array&{query}").json()
        return [r["titre"] for r in data]

    by_slug = titles("texte=&specialite=pharmacologie&type=recall&depuis=")
    assert by_slug and titles("texte=&specialite=Pharmacologie&type=rappel&depuis=") == by_slug
    iso = titles("texte=&specialite=&type=&depuis=2026-11-01")
    assert iso and titles("texte=&specialite=&type=&depuis=01/11/2026") == iso
    assert titles("texte=epidemie&specialite=&type=&depuis=")  # accents ignored
    # The chosen values come back selected; a French date shows in the picker as ISO.
    page = get(ds, "/veille/recherche?texte=&specialite=P%C3%A9diatrie&type=rappel&depuis=25/11/2026").text
    assert '<option value="pediatrie" selected>' in page and '<option value="recall" selected>' in page
    assert 'name="depuis" value="25/11/2026"' in page and 'data-for="qp-depuis" value="2026-11-25"' in page


def test_recherche_says_which_filter_emptied_it(ds):
    def message(query: str) -> str:
        html = get(ds, f"/veille/recherche?{query}").text
        return re.search(r'<p class="zero-results">(.*?)</p>', html, re.S)[1]

    assert "aucun article ne contient « zzyzx »" in message("texte=zzyzx&specialite=&type=&depuis=")
    said = message("texte=doliprane&specialite=oncologie&type=&depuis=")
    assert "des articles correspondent (« doliprane »), mais aucun en Oncologie" in said
    assert "mais aucun de type Emploi" in message("texte=doliprane&specialite=&type=job&depuis=")
    assert "la date « 32/13/2026 » n&#39;est pas comprise" in message("texte=&specialite=&type=&depuis=32/13/2026")


def test_datasette_chrome_in_french(ds):
    html = get(ds, "/veille/sources").text
    assert "Propulsé par" in html and "Powered by" not in html and ">La une</a>" in html
    assert ">home</a>" not in html
    missing = get(ds, "/veille/nope")
    assert missing.status_code == 404 and "Table introuvable" in missing.text and "Revenir à La une" in missing.text
    db_page = get(ds, "/veille").text
    assert "Tables brutes" in db_page and "Custom SQL query" not in db_page


# --- faults ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/veille/articles?_sort=titre", "Impossible de trier par « titre »"),
        ("/veille/articles?_sort_desc=resume", "Impossible de trier par « resume »"),
        ("/veille/sources?_sort=nope", "Impossible de trier par « nope »"),
        ("/veille/articles?_next=abc", "_next n&#39;est pas une page valide"),
    ],
)
def test_bad_sort_and_next_answer_400_in_french(ds, path, words):
    response = get(ds, path)
    assert response.status_code == 400 and words in response.text
    data = get(ds, path.replace("?", ".json?", 1)).json()
    assert data["status"] == 400 and words.replace("&#39;", "'") in data["error"]


def test_atom_valid_when_an_item_has_no_link_and_no_description(server, write_config, tmp_path):
    bare = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>https://t.example/</link>'
        "<item><title>Rappel de lots : une alerte sans lien ni description</title></item></channel></rss>"
    )
    config = write_config([{"id": "bare", "url": server.add("/bare.xml", bare.encode()), "tier": "official"}])
    db = tmp_path / "veille.db"
    assert run_cli(config, db, "collect").exit_code == 0
    (item,) = rows(db, "select id, url, summary from items")
    assert not item["url"] and not item["summary"]
    app = make_datasette(db)
    for path in ("/veille/articles.atom", "/veille/aujourdhui.atom", "/veille/recherche.atom?texte=alerte&specialite=&type=&depuis="):
        response = get(app, path)
        assert response.status_code == 200, (path, response.text[:300])
        entries = ET.fromstring(response.content).findall(f"{ATOM}entry")
        assert len(entries) == 1
        (link,) = entries[0].findall(f"{ATOM}link")
        assert link.get("href") == f"http://localhost/histoires/{item['id']}"
        # The item's page is its story's page.
        assert get(app, f"/histoires/{item['id']}", follow_redirects=True).status_code == 200


def test_view_check_compares_normalised_sql_and_read_only_databases_serve(built, tmp_path):
    db = tmp_path / "copy.db"
    db.write_bytes(built[1].read_bytes())
    ensure_views(str(db))
    conn = sqlite3.connect(db)
    stored = dict(conn.execute("select name, sql from sqlite_master where type = 'view'").fetchall())
    conn.close()
    assert stored["articles"].startswith("CREATE VIEW")  # what SQLite does to our text
    assert normalised_sql(stored["articles"]) == normalised_sql(VIEWS["articles"])
    assert stale_views(stored) == []
    _check_views_current(str(db))  # the read-only path: raised before (every view "outdated")
    # And a second serve writes nothing.
    before = db.stat().st_mtime_ns, Path(f"{db}-wal").stat().st_size if Path(f"{db}-wal").exists() else 0
    ensure_views(str(db))
    after = db.stat().st_mtime_ns, Path(f"{db}-wal").stat().st_size if Path(f"{db}-wal").exists() else 0
    assert before == after


def test_hosts_need_public_and_a_database_must_exist(built, tmp_path):
    config, db = built
    result = run_cli(config, db, "serve", "--host", "0.0.0.0")
    assert result.exit_code == 2 and "--host 0.0.0.0 would serve arbitrary SQL to the network: add --public" in result.output
    result = run_cli(config, db, "run", "--serve", "--host", "192.168.1.10")
    assert result.exit_code == 2 and "add --public" in result.output
    missing = tmp_path / "typo.db"
    result = run_cli(config, missing, "serve")
    assert result.exit_code == 2 and f"no database at {missing}: run `veille collect` first" in result.output
    assert not missing.exists()


def test_busy_port_is_one_line(built):
    config, db = built
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = run_cli(config, db, "serve", "--port", str(port))
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and re.fullmatch(rf"Error: port {port} is in use: try --port \d+", lines[0]), result.output
    assert "Veille on" not in result.output and "Traceback" not in result.output


def test_public_mode_hides_secrets_in_urls(server, write_config, tmp_path):
    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Privé</title><link>/</link>'
        "<item><title>Article relatif</title><link>/article?id=1</link><guid>/guid/1</guid>"
        f"<pubDate>{'Tue, 01 Dec 2026 10:00:00 +0000'}</pubDate></item></channel></rss>"
    )
    url = server.add("/secret.xml", feed.encode()) + "?token=t0k3nvalue&apikey=k3yvalue"
    config = write_config([{"id": "prive", "url": url, "tier": "press"}])
    db = tmp_path / "veille.db"
    assert run_cli(config, db, "collect").exit_code == 0
    # feeds.yaml refuses a user name and password in an address now; a database written before
    # may still hold one.
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("update sources set config_url = replace(config_url, 'http://', 'http://alice:s3cr3tpw@')")
        conn.execute("update items set url = replace(url, 'http://', 'http://alice:s3cr3tpw@')")
    conn.close()
    stored = json.dumps(rows(db, "select url, config_url from sources") + rows(db, "select url, guid from items"))
    assert "s3cr3tpw" in stored and "t0k3nvalue" in stored  # the data keep them: only display hides
    local = make_datasette(db)
    assert "t0k3nvalue" in get(local, "/veille/sources.json").text  # local mode shows the data as is
    public = make_datasette(db, public=True)
    for path in ("/veille/sources", "/veille/sources.json", "/veille/items", "/veille/items.json?_shape=array",
                 "/veille/articles.atom", "/veille/sante_sources", "/veille/sante_sources.json", "/veille/fetches.json",
                 "/veille/sources/prive", "/"):
        response = get(public, path)
        assert response.status_code == 200, path
        for value in ("s3cr3tpw", "alice:", "t0k3nvalue", "k3yvalue"):
            assert value not in response.text, (path, value)
    assert "token=***" in get(public, "/veille/sources.json").text
