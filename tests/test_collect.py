"""The collect path end to end: fixture feeds over real HTTP on 127.0.0.1, a real SQLite file."""

from __future__ import annotations

import gzip
import json

import pytest

from tests.feedserver import http_date
from tests.helpers import one, rows, run_cli
from veille.config import load_config
from veille.store import Store


def test_collect_fixture_feeds_exact_rows(server, write_config, db):
    config = write_config([
        {"id": "ansm", "url": server.add_file("/ansm.xml", "ansm_actualites.rss.xml"), "tier": "official"},
        {"id": "has", "url": server.add_file("/has.atom.xml", "has_recommandations.atom.xml"), "tier": "official"},
        {"id": "who", "url": server.add_file("/who.json", "who_news.json"), "lang": "en"},
    ])
    result = run_cli(config, db, "collect")
    assert result.exit_code == 0, result.output
    assert "ansm: 3 new, 0 already known" in result.output
    assert "3 sources: 7 new items, 0 unchanged, 0 errors" in result.output
    ansm = rows(db, "select * from items where source_id = 'ansm' order by published_at desc")
    assert [
        {k: r[k] for k in ("guid", "url", "canonical_url", "title", "summary", "content", "published_at", "lang")}
        for r in ansm
    ] == [
        {
            "guid": "ansm-2026-0001",
            "url": "https://ansm.sante.fr/actualites/epidemie-de-bronchiolite-point-de-situation?utm_source=rss&utm_medium=feed&xtor=RSS-1",
            "canonical_url": "https://ansm.sante.fr/actualites/epidemie-de-bronchiolite-point-de-situation",
            "title": "Épidémie de bronchiolite : point de situation et recommandations",
            "summary": "L'épidémie de bronchiolite progresse chez les nourrissons.",
            "content": "",
            "published_at": "2026-11-27T08:30:00Z",
            "lang": "fr",
        },
        {
            "guid": "ansm-2026-0002",
            "url": "https://ansm.sante.fr/informations-de-securite/rappel-de-lots-de-doliprane-1000-mg",
            "canonical_url": "https://ansm.sante.fr/informations-de-securite/rappel-de-lots-de-doliprane-1000-mg",
            "title": "Rappel de lots de Doliprane 1000 mg comprimés",
            "summary": "Par mesure de précaution, des lots de Doliprane 1000 mg sont rappelés en raison d'un défaut de dissolution.",
            "content": "",
            "published_at": "2026-11-26T13:00:00Z",
            "lang": "fr",
        },
        {
            "guid": "ansm-2026-0003",
            # a relative link resolves against the feed's final URL
            "url": server.url("/disponibilite-des-produits-de-sante/amoxicilline"),
            "canonical_url": server.url("/disponibilite-des-produits-de-sante/amoxicilline"),
            "title": "Tensions d'approvisionnement en amoxicilline : mesures pour les officines",
            "summary": "Les pharmaciens peuvent délivrer à l'unité.",
            "content": "",
            "published_at": "2026-11-25T09:00:00Z",
            "lang": "fr",
        },
    ]
    has = rows(db, "select title, url, summary, content, author, published_at from items where source_id = 'has' order by published_at desc")
    assert has[0] == {
        "title": "Cancer du sein : dépistage organisé chez les femmes de 50 à 74 ans",
        "url": "https://www.has-sante.fr/jcms/p_3500001/fr/cancer-du-sein-depistage",  # xml:base
        "summary": "La HAS actualise ses recommandations sur le dépistage du cancer du sein en oncologie.",
        "content": "",
        "author": "Haute Autorité de santé",
        "published_at": "2026-11-27T06:30:00Z",
    }
    assert has[1]["summary"] == "Points clés\nLe parcours du patient atteint d'insuffisance cardiaque."
    who = rows(db, "select guid, title, author, published_at, lang from items where source_id = 'who' order by published_at")
    assert who == [
        {"guid": "42", "title": "Antimicrobial resistance report", "author": None, "published_at": "2026-11-25T09:00:00Z", "lang": "en"},
        {"guid": "https://www.who.int/news/item/26-11-2026-measles-outbreak", "title": "Measles outbreak: WHO calls for vaccination catch-up", "author": "WHO", "published_at": "2026-11-26T12:00:00Z", "lang": "en"},
    ]
    fetch = one(db, "select source_id, http_status, outcome, items_new, items_seen, error from fetches where source_id = 'ansm'")
    assert fetch == {"source_id": "ansm", "http_status": 200, "outcome": "new", "items_new": 3, "items_seen": 3, "error": None}
    assert one(db, "select count(*) n from item_sources")["n"] == 7


def test_search_ignores_accents_and_index_stays_consistent(server, write_config, db):
    config = write_config([{"id": "ansm", "url": server.add_file("/ansm.xml", "ansm_actualites.rss.xml")}])
    run_cli(config, db, "collect")
    hits = rows(db, "select title from items where rowid in (select rowid from items_fts where items_fts match 'epidemie')")
    assert [h["title"] for h in hits] == ["Épidémie de bronchiolite : point de situation et recommandations"]
    # The feed changes its texts: items are updated in place, the index follows.
    body = (server.routes["/ansm.xml"].body.replace(b"bronchiolite", "grippe saisonnière".encode()))
    server.add("/ansm.xml", body)
    run_cli(config, db, "collect")
    assert one(db, "select count(*) n from items")["n"] == 3
    assert rows(db, "select rowid from items_fts where items_fts match 'bronchiolite'") == []
    assert len(rows(db, "select rowid from items_fts where items_fts match 'saisonniere'")) == 1
    store = Store(str(db))
    assert store.fts_consistent() and store.integrity() == "ok"
    store.close()


def test_conditional_get_with_etag_and_last_modified(server, write_config, db):
    lm = http_date(1_700_000_000)
    config = write_config([
        {"id": "etag", "url": server.add_file("/etag.xml", "ansm_actualites.rss.xml", etag='W/"abc-1"')},
        {"id": "lm", "url": server.add_file("/lm.xml", "no_guids.rss.xml", last_modified=lm)},
    ])
    run_cli(config, db, "collect")
    assert one(db, "select etag from sources where id = 'etag'")["etag"] == 'W/"abc-1"'  # exactly as received
    result = run_cli(config, db, "collect")
    assert "etag: unchanged" in result.output and "lm: unchanged" in result.output
    last = [h for p, h in server.requests if p == "/etag.xml"][-1]
    assert last["If-None-Match"] == 'W/"abc-1"'
    assert [h for p, h in server.requests if p == "/lm.xml"][-1]["If-Modified-Since"] == lm
    assert rows(db, "select outcome, http_status, items_new from fetches where source_id = 'etag' order by id") == [
        {"outcome": "new", "http_status": 200, "items_new": 3},
        {"outcome": "not_modified", "http_status": 304, "items_new": 0},
    ]


def test_identical_body_without_validators_is_unchanged(server, write_config, db):
    config = write_config([{"id": "plain", "url": server.add_file("/plain.xml", "ansm_actualites.rss.xml")}])
    run_cli(config, db, "collect")
    result = run_cli(config, db, "collect")
    assert "plain: unchanged" in result.output
    assert one(db, "select outcome, http_status from fetches where id = 2") == {"outcome": "not_modified", "http_status": 200}


def test_gzip(server, write_config, db):
    config = write_config([{"id": "gz", "url": server.add_file("/gz.xml", "ansm_actualites.rss.xml", gzip=True)}])
    assert "gz: 3 new" in run_cli(config, db, "collect").output


def test_permanent_redirect_moves_the_url_temporary_does_not(server, write_config, db):
    server.add_file("/new.xml", "ansm_actualites.rss.xml")
    server.add_file("/tmp-target.xml", "no_guids.rss.xml")
    server.add("/old.xml", status=301, headers={"Location": "/new.xml"})
    server.add("/tmp.xml", status=302, headers={"Location": server.url("/tmp-target.xml")})
    config = write_config([{"id": "moved", "url": server.url("/old.xml")}, {"id": "temp", "url": server.url("/tmp.xml")}])
    result = run_cli(config, db, "collect")
    assert "moved: 3 new" in result.output and "temp: 3 new" in result.output
    assert one(db, "select url, config_url from sources where id = 'moved'") == {"url": server.url("/new.xml"), "config_url": server.url("/old.xml")}
    assert one(db, "select url from sources where id = 'temp'")["url"] == server.url("/tmp.xml")
    old_hits = server.hits("/old.xml")
    run_cli(config, db, "collect")
    assert server.hits("/old.xml") == old_hits  # the next fetch goes straight to the new URL


def test_redirect_loop_is_an_error(server, write_config, db):
    server.add("/loop.xml", status=302, headers={"Location": "/loop.xml"})
    config = write_config([{"id": "loop", "url": server.url("/loop.xml")}])
    assert "too many redirects" in run_cli(config, db, "collect").output


def test_gone_disables_source_and_keeps_items(server, write_config, db):
    config = write_config([{"id": "gone", "url": server.add_file("/gone.xml", "ansm_actualites.rss.xml")}])
    run_cli(config, db, "collect")
    server.add("/gone.xml", b"", status=410)
    result = run_cli(config, db, "collect")
    assert "HTTP 410 Gone" in result.output and result.exit_code == 0
    assert one(db, "select enabled, disabled_reason from sources")["enabled"] == 0
    assert one(db, "select count(*) n from items")["n"] == 3
    listing = run_cli(config, db, "sources", "list").output
    assert "disabled: HTTP 410 Gone" in listing
    result = run_cli(config, db, "collect")
    assert "gone: skipped" in result.output and "veille sources enable gone" in result.output
    assert "enabled 'gone'" in run_cli(config, db, "sources", "enable", "gone").output
    server.add_file("/gone.xml", "ansm_actualites.rss.xml")
    assert "gone: unchanged" in run_cli(config, db, "collect").output


def test_errors_back_off_and_reset_on_success(server, write_config, db):
    server.add("/flaky.xml", b"oops", status=503, headers={"Retry-After": "7200"})
    config = write_config([{"id": "flaky", "url": server.url("/flaky.xml"), "every": "30m"}])
    run_cli(config, db, "collect")
    first = one(db, "select error_count, last_error, last_status, next_fetch_at, last_fetch_at from sources")
    assert first["error_count"] == 1 and first["last_status"] == 503
    assert "HTTP 503" in first["last_error"]
    from datetime import datetime
    wait = datetime.fromisoformat(first["next_fetch_at"]) - datetime.fromisoformat(first["last_fetch_at"])
    assert wait.total_seconds() >= 7200  # Retry-After honoured
    server.add("/flaky.xml", b"nope", status=404)
    run_cli(config, db, "collect")
    assert one(db, "select error_count from sources")["error_count"] == 2
    # --due respects the backoff
    assert "0 sources" in run_cli(config, db, "collect", "--due").output
    server.add_file("/flaky.xml", "ansm_actualites.rss.xml")
    run_cli(config, db, "collect")
    assert one(db, "select error_count, last_error from sources") == {"error_count": 0, "last_error": None}


def test_slow_drip_hits_the_overall_deadline(server, write_config, db):
    config = write_config(
        [{"id": "drip", "url": server.add_file("/drip.xml", "ansm_actualites.rss.xml", drip=0.05)},
         {"id": "fine", "url": server.add_file("/fine.xml", "no_guids.rss.xml")}],
        settings="read_timeout: 5\ndeadline: 1\n",
    )
    result = run_cli(config, db, "collect")
    assert "drip: ERROR timed out after 1 s" in result.output
    assert "fine: 3 new" in result.output


def test_oversized_body_and_decompression_bombs(server, write_config, db):
    big = b"<rss version='2.0'><channel><title>x</title>" + b" " * 3_000_000 + b"</channel></rss>"
    server.add("/big.xml", big)
    bomb = gzip.compress(b"\0" * 50_000_000)
    server.add("/bomb.xml", bomb, headers={"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"})
    stacked = gzip.compress(gzip.compress(b"<rss/>" * 10))
    server.add("/stacked.xml", stacked, headers={"Content-Type": "application/rss+xml", "Content-Encoding": "gzip, gzip"})
    config = write_config(
        [{"id": "big", "url": server.url("/big.xml")}, {"id": "bomb", "url": server.url("/bomb.xml")},
         {"id": "stacked", "url": server.url("/stacked.xml")}],
        settings="max_bytes: 1000000\n",
    )
    out = run_cli(config, db, "collect").output
    assert "big: ERROR response larger than" in out
    assert "bomb: ERROR response larger than" in out
    assert "stacked: ERROR refused stacked content encodings" in out


@pytest.mark.parametrize(
    "body, ctype, message",
    [
        ("challenge.html", "text/html", "not a feed: the server sent an HTML page"),
        (b"", "application/rss+xml", "not a feed: the server sent an empty response"),
        (b"just some text", "text/plain", "not a feed"),
        (b'{"hello": "world"}', "application/json", "not a feed: JSON document that is not a JSON Feed"),
    ],
)
def test_not_a_feed_is_an_error_and_keeps_items(server, write_config, db, body, ctype, message):
    config = write_config([{"id": "s", "url": server.add_file("/s.xml", "ansm_actualites.rss.xml")}])
    run_cli(config, db, "collect")
    if isinstance(body, str):
        server.add_file("/s.xml", body, headers={"Content-Type": ctype})
    else:
        server.add("/s.xml", body, headers={"Content-Type": ctype})
    out = run_cli(config, db, "collect").output
    assert f"s: ERROR {message}" in out
    assert one(db, "select count(*) n from items")["n"] == 3
    assert one(db, "select error_count from sources")["error_count"] == 1


def test_malformed_and_odd_feeds(server, write_config, db):
    config = write_config([
        {"id": "broken", "url": server.add_file("/broken.xml", "invalid.xml")},
        {"id": "noguid", "url": server.add_file("/noguid.xml", "no_guids.rss.xml")},
        {"id": "dups", "url": server.add_file("/dups.xml", "duplicate_guids.rss.xml")},
        {"id": "dates", "url": server.add_file("/dates.xml", "odd_dates.rss.xml")},
        {"id": "hostile", "url": server.add_file("/hostile.xml", "hostile_links.rss.xml")},
    ])
    out = run_cli(config, db, "collect").output
    # Plain words, the line number kept (expat said "<unknown>:4:…: not well-formed (invalid token)").
    assert (
        "broken: 2 new, 0 already known (warning: the feed is damaged at line 4: a character that "
        "XML does not allow there (often a bare & or <); kept the 2 items that could be read)"
    ) in out
    assert "Article intact avant la casse" in [r["title"] for r in rows(db, "select title from items where source_id='broken'")]
    noguid = rows(db, "select guid, url, title from items where source_id = 'noguid' order by title")
    assert [r["title"] for r in noguid] == [
        "Premier article sans guid", "Second article sans guid ni lien", "Un billet sans titre, comme sur Mastodon.",
    ]
    assert noguid[0]["guid"] == "https://example.org/a1"
    assert noguid[1]["guid"].startswith("content:") and noguid[1]["url"] is None
    assert one(db, "select count(*) n from items where source_id = 'dups'")["n"] == 2
    dates = {r["title"]: r["published_at"] for r in rows(db, "select title, published_at, fetched_at from items where source_id = 'dates'")}
    fetched = one(db, "select fetched_at from items where title = 'No date'")["fetched_at"]
    assert dates["Future date"] == fetched and dates["No date"] == fetched
    assert dates["Slash date"] == "2020-01-10T14:33:00Z"
    assert dates["Z date"] == "2022-11-15T20:15:04Z"
    assert dates["Epoch date"] == "2018-02-12T23:42:14Z"
    hostile = {r["guid"].rsplit("/", 1)[-1]: r for r in rows(db, "select guid, url, title, summary from items where source_id = 'hostile'")}
    assert hostile["h1"]["url"] is None and hostile["h1"]["summary"] == "Texte conservé."
    assert hostile["h2"]["url"] is None and hostile["h3"]["url"] is None
    # an escaped title is text: stored as the characters the publisher wrote, shown escaped
    assert hostile["h4"]["title"] == '<script>alert("x")</script>Titre piégé'
    assert hostile["h4"]["url"] == "https://example.org/ok"
    # second pass: nothing added twice, even when the documents are served again in full
    assert one(db, "select count(*) n from items")["n"] == 16
    for route in server.routes.values():
        route.body += b"\n"  # defeat the identical-body shortcut
    assert "0 new items" in run_cli(config, db, "collect").output
    assert one(db, "select count(*) n from items")["n"] == 16


def test_republished_feed_with_new_guids_and_dates_adds_nothing(server, write_config, db):
    config = write_config([{"id": "ansm", "url": server.add_file("/ansm.xml", "ansm_actualites.rss.xml")}])
    run_cli(config, db, "collect")
    before = rows(db, "select id, published_at from items order by id")
    body = server.routes["/ansm.xml"].body.decode()
    body = body.replace("ansm-2026-", "new-guid-").replace("Nov 2026", "Nov 2026").replace("09:30:00", "11:45:00")
    server.add("/ansm.xml", body)
    out = run_cli(config, db, "collect").output
    assert "ansm: 0 new, 3 already known" in out
    assert rows(db, "select id, published_at from items order by id") == before


def test_same_content_new_url_new_guid_in_same_source_is_one_item(server, write_config, db):
    feed = """<rss version="2.0"><channel><title>t</title>
    <item><title>Un avis de la HAS</title><link>{link}</link><guid>{guid}</guid><description>Même texte.</description></item>
    </channel></rss>"""
    config = write_config([{"id": "s", "url": server.add("/s.xml", feed.format(link="https://x.org/a", guid="1"))}])
    run_cli(config, db, "collect")
    server.add("/s.xml", feed.format(link="https://x.org/a-renamed", guid="2"))
    run_cli(config, db, "collect")
    assert one(db, "select count(*) n from items")["n"] == 1


def test_same_article_in_three_sources_is_one_item(server, write_config, db):
    tpl = """<rss version="2.0"><channel><title>{name}</title>
    <item><title>{title}</title><link>{link}</link><guid>{guid}</guid></item></channel></rss>"""
    config = write_config([
        {"id": "press", "url": server.add("/p.xml", tpl.format(name="p", title="Rappel Doliprane (presse)", link="http://www.ansm.sante.fr/rappel-doliprane/?utm_source=egora", guid="p1")), "tier": "press"},
        {"id": "ansm", "url": server.add("/a.xml", tpl.format(name="a", title="Rappel de lots de Doliprane", link="https://ansm.sante.fr/rappel-doliprane", guid="a1")), "tier": "official"},
        {"id": "social", "url": server.add("/m.xml", tpl.format(name="m", title="RT rappel Doliprane", link="https://ansm.sante.fr/rappel-doliprane#xtor=RSS", guid="m1")), "tier": "social"},
    ])
    run_cli(config, db, "collect")
    item = one(db, "select id, source_id, title from items")
    assert item["source_id"] == "ansm" and item["title"] == "Rappel de lots de Doliprane"
    carried = rows(db, "select source_id, guid from item_sources order by source_id")
    assert [(r["source_id"], r["guid"].rsplit("/", 1)[-1]) for r in carried] == [
        ("ansm", "a1"), ("press", "p1"), ("social", "m1"),
    ]


def test_one_failing_source_never_stops_the_others_and_strict(server, write_config, db):
    config = write_config([
        {"id": "ok", "url": server.add_file("/ok.xml", "ansm_actualites.rss.xml")},
        {"id": "dead", "url": "http://127.0.0.1:9/feed.xml"},
        {"id": "missing", "url": server.url("/missing.xml")},
    ])
    result = run_cli(config, db, "collect")
    assert result.exit_code == 0
    assert "ok: 3 new" in result.output and "dead: ERROR cannot connect" in result.output
    assert "missing: ERROR HTTP 404" in result.output
    assert run_cli(config, db, "collect", "--strict").exit_code == 1
    failed = rows(db, "select source_id from fetches where outcome = 'error' order by source_id")
    assert [r["source_id"] for r in failed] == ["dead", "dead", "missing", "missing"]


def test_collect_named_sources_only(server, write_config, db):
    config = write_config([
        {"id": "a", "url": server.add_file("/a.xml", "ansm_actualites.rss.xml")},
        {"id": "b", "url": server.add_file("/b.xml", "no_guids.rss.xml")},
    ])
    out = run_cli(config, db, "collect", "--source", "b").output
    assert "b: 3 new" in out and "a:" not in out
    result = run_cli(config, db, "collect", "--source", "zzz")
    assert result.exit_code == 2 and "no source with id 'zzz'" in result.output


def test_config_errors_exit_2_and_name_the_line(tmp_path, db):
    path = tmp_path / "feeds.yaml"
    path.write_text("sources:\n  - id: a\n    name: A\n    url: https://a.org/\n    tier: gold\n")
    result = run_cli(path, db, "collect")
    assert result.exit_code == 2
    assert f"{path}:5: unknown tier 'gold'" in result.output


def test_corrupt_database_is_reported_and_left_alone(server, write_config, tmp_path):
    config = write_config([{"id": "a", "url": server.add_file("/a.xml", "ansm_actualites.rss.xml")}])
    bad = tmp_path / "notes.db"
    bad.write_bytes(b"these are my precious notes, not a database" * 10)
    result = run_cli(config, bad, "collect")
    assert result.exit_code == 2 and "is not a SQLite database" in result.output
    assert bad.read_bytes() == b"these are my precious notes, not a database" * 10
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"SQLite format 3\x00" + b"\xff" * 5000)
    result = run_cli(config, broken, "collect")
    assert result.exit_code == 2 and "cannot be used as a database" in result.output


def test_many_sources_use_worker_processes(server, write_config, db, monkeypatch):
    """Twelve sources are parsed in worker processes, started by the first document; a run
    where nothing changed starts none."""
    from veille.process import LazyPool

    starts = []
    real = LazyPool.start

    def start(self: LazyPool) -> None:
        starts.append(self.started)
        real(self)

    monkeypatch.setattr(LazyPool, "start", start)
    sources = [{"id": f"s{i}", "url": server.add_file(f"/s{i}.xml", "ansm_actualites.rss.xml")} for i in range(12)]
    config = write_config(sources)
    out = run_cli(config, db, "collect").output
    assert "12 sources: 3 new items" in out  # the same three articles, one row each
    assert one(db, "select count(*) n from item_sources")["n"] == 36
    assert starts and starts[0] is False  # started once, by the first document
    # The workers tagged and compared the items as the main process does.
    assert one(db, "select count(*) n from items where specialties != '[]'")["n"] >= 1
    assert one(db, "select count(distinct story_id) n from items")["n"] >= 1
    starts.clear()
    out = run_cli(config, db, "collect").output
    assert "12 sources: 0 new items" in out
    assert starts == []


def test_sources_list_json(server, write_config, db):
    config = write_config([{"id": "a", "url": server.add_file("/a.xml", "ansm_actualites.rss.xml"), "tier": "official"}])
    run_cli(config, db, "collect")
    data = json.loads(run_cli(config, db, "sources", "list", "--json").output)
    assert data[0]["id"] == "a" and data[0]["tier"] == "official" and data[0]["error_count"] == 0
    assert data[0]["last_success_at"].endswith("Z") and data[0]["next_fetch_at"]


def test_remove_keeps_items_unless_purge(server, write_config, db):
    config = write_config([
        {"id": "a", "url": server.add_file("/a.xml", "ansm_actualites.rss.xml")},
        {"id": "b", "url": server.add_file("/b.xml", "no_guids.rss.xml")},
    ])
    run_cli(config, db, "collect")
    run_cli(config, db, "sources", "remove", "a")
    assert one(db, "select count(*) n from items where source_id = 'a'")["n"] == 3
    run_cli(config, db, "collect")
    assert one(db, "select disabled_reason from sources where id = 'a'")["disabled_reason"] == "removed from feeds.yaml"
    out = run_cli(config, db, "sources", "remove", "b", "--purge").output
    assert "purged 3 items" in out
    assert one(db, "select count(*) n from items where source_id = 'b'")["n"] == 0
    store = Store(str(db))
    assert store.fts_consistent()
    store.close()


def test_sources_add_checks_the_feed_and_discovers_it(server, tmp_path, db):
    config = tmp_path / "feeds.yaml"
    server.add_file("/ansm.xml", "ansm_actualites.rss.xml")
    server.add_file("/", "site_with_feed.html")
    out = run_cli(config, db, "sources", "add", server.url("/"), "--tier", "official", "--specialty", "pharmacologie").output
    assert "found: feed, ANSM - Actualités, 3 items" in out
    assert "added 'ansm-actualites'" in out
    source = load_config(str(config)).sources[0]
    assert source.url == server.url("/ansm.xml") and source.specialties == ("pharmacologie",)
    again = run_cli(config, db, "sources", "add", server.url("/ansm.xml"))
    assert again.exit_code == 2 and "already followed as 'ansm-actualites'" in again.output
    bad = run_cli(config, db, "sources", "add", "javascript:alert(1)")
    assert bad.exit_code == 2 and "only http:// and https://" in bad.output
    bad = run_cli(config, db, "sources", "add", "file:///etc/passwd")
    assert bad.exit_code == 2
    server.add_file("/challenge", "challenge.html")
    bad = run_cli(config, db, "sources", "add", server.url("/challenge"))
    assert bad.exit_code == 2 and "no feed was found" in bad.output


def test_xml_entities_are_never_expanded(server, write_config, db):
    config = write_config([
        {"id": "xxe", "url": server.add_file("/xxe.xml", "xxe.rss.xml")},
        {"id": "lol", "url": server.add_file("/lol.xml", "billion_laughs.rss.xml")},
    ])
    assert run_cli(config, db, "collect").exit_code == 0
    texts = " ".join(r["title"] + r["summary"] for r in rows(db, "select title, summary from items"))
    assert "root:" not in texts  # /etc/passwd did not leak
    assert "lollollol" not in texts
    assert "Article normal" in texts
