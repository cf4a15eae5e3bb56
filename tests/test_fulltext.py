"""Full text (``fulltext: true``): each new item's article page is fetched and its main text
stored, within hard limits (size, time, memory), only from addresses the source may reach."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.feedserver import FEEDS
from tests.helpers import collect_all, loopback_plays_public, one, rows
from veille.config import load_config
from veille.fetch import Fetcher
from veille.fetch_guard import resolve
from veille.fulltext import ExtractionFailed, FulltextSettings, extract_killable, run_killable
from veille.models import Settings, SourceState
from veille.pipeline import Collector
from veille.store import Store

ARTICLE = (FEEDS / "kinds" / "article.html").read_bytes()




def feed(*links: str, extra: str = "") -> str:
    items = "".join(
        f"<item><title>Article {n}</title><link>{link}</link><guid>g{n}</guid>"
        f"<description>Résumé court {n}.</description></item>"
        for n, link in enumerate(links, 1)
    )
    return f'<rss version="2.0"><channel><title>Fil{extra}</title>{items}</channel></rss>'



def test_article_page_is_extracted_into_content(server, write_config, db):
    server.add("/article", ARTICLE, headers={"Content-Type": "text/html; charset=utf-8"})
    config = write_config([
        {"id": "has", "url": server.add("/has.xml", feed(server.url("/article"))), "fulltext": "true"},
        {"id": "plain", "url": server.add("/plain.xml", feed(server.url("/article?b=1")))},
    ])
    results = collect_all(config, db, is_public=loopback_plays_public)
    assert (results["has"].items_new, results["has"].warning) == (1, None)
    item = one(db, "select summary, content from items where source_id = 'has'")
    assert item["summary"] == "Résumé court 1."
    assert item["content"] == (
        "Vaccination antigrippale : recommandations 2026-2027\n"
        "La Haute Autorité de santé actualise ses recommandations de vaccination contre la grippe "
        "saisonnière pour la campagne 2026-2027.\n"
        "La vaccination est recommandée chez les personnes âgées de 65 ans et plus, les personnes "
        "atteintes de certaines maladies chroniques, les femmes enceintes et les professionnels de santé.\n"
        "La HAS rappelle que la co-administration avec le vaccin contre le Covid-19 est possible, sur deux "
        "sites d'injection différents.\n"
        "Les pharmaciens, infirmiers et sages-femmes peuvent prescrire et administrer le vaccin aux "
        "adultes, sans ordonnance préalable."
    )
    # A source without fulltext never fetches its articles.
    assert server.hits("/article?b=1") == 0
    assert one(db, "select content from items where source_id = 'plain'")["content"] == ""
    # Search and tagging see the whole article.
    hits = rows(db, "select i.source_id from items i join items_fts f on f.rowid = i.rowid "
                    "where items_fts match 'injection'")
    assert hits == [{"source_id": "has"}]
    assert {"specialty": "infectiologie"} in rows(
        db, "select specialty from item_specialties s join items i on i.id = s.item_id where i.source_id = 'has'")
    # Known items are not fetched again when the feed changes.
    server.add("/has.xml", feed(server.url("/article"), extra=" v2"))
    assert collect_all(config, db, is_public=loopback_plays_public)["has"].items_new == 0
    assert server.hits("/article") == 1


def test_hanging_and_huge_pages_are_abandoned_and_items_kept(server, write_config, db):
    server.add("/hang", ARTICLE, delay=4, headers={"Content-Type": "text/html"})
    server.add("/drip", ARTICLE, drip=0.01, headers={"Content-Type": "text/html"})
    server.add("/huge", b"<html><body><p>" + b"x " * 200_000 + b"</p></body></html>", headers={"Content-Type": "text/html"})
    server.add("/ok", ARTICLE, headers={"Content-Type": "text/html"})
    links = [server.url(p) for p in ("/hang", "/drip", "/huge", "/ok")]
    config = write_config(
        [{"id": "s", "url": server.add("/s.xml", feed(*links)), "fulltext": "true"}],
        settings="fulltext:\n  deadline: 1\n  max_bytes: 100000\n",
    )
    started = time.monotonic()
    result = collect_all(config, db, is_public=loopback_plays_public)["s"]
    assert time.monotonic() - started < 3.5  # the hanging page did not hold the run for 4 s
    assert (result.outcome, result.items_new) == ("new", 4)
    assert result.warning.startswith("full text: 3 of 4 article pages not read (timed out after 1 s")
    contents = {r["url"].rsplit("/", 1)[-1]: r["content"] for r in rows(db, "select url, content from items")}
    assert contents["hang"] == contents["drip"] == contents["huge"] == ""
    assert contents["ok"].startswith("Vaccination antigrippale")


def test_links_to_private_addresses_are_refused_from_a_public_source(server, tmp_path, write_config, db):
    # Test device: the server on 127.0.0.1 counts as "public", everything else as private.
    port = server.port
    server.add("/article", ARTICLE, headers={"Content-Type": "text/html"})
    server.add("/redirect", status=302, headers={"Location": f"http://127.0.0.2:{port}/article"})
    links = [
        f"http://127.0.0.2:{port}/article",
        "http://10.0.0.1/article",
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        f"http://[::1]:{port}/article",
        server.url("/redirect"),
        server.url("/article"),
    ]
    config = load_config(str(write_config([{"id": "pub", "url": server.add("/pub.xml", feed(*links)), "fulltext": "true"}])))
    source = config.sources[0]

    async def run():
        store = Store(str(db))
        try:
            store.sync_sources(config.sources)
            async with Fetcher(Settings(), resolver=resolve, is_public=lambda a: a == "127.0.0.1") as fetcher:
                return await Collector(config, store).collect_source(fetcher, source, SourceState(id=source.id))
        finally:
            store.close()

    result = asyncio.run(run())
    assert result.items_new == 6
    assert result.warning.startswith(
        "full text: 5 of 6 article pages not read (refused to follow a link to 127.0.0.2: it is a private, "
        "loopback or link-local address)"
    )
    got = {r["url"]: r["content"] for r in rows(db, "select url, content from items")}
    assert got[server.url("/article")].startswith("Vaccination antigrippale")
    assert [u for u, c in got.items() if c] == [server.url("/article")]
    # Nothing but the feed, the public article and the redirect that pointed inside was requested.
    assert sorted(p for p, _ in server.requests) == ["/article", "/pub.xml", "/redirect"]


def test_a_bridge_on_a_private_address_gets_only_public_article_pages(server, write_config, db):
    # Issue 9: the RSS-Bridge set-up (a source on a private address) used to fetch its items'
    # links to private and link-local addresses; the links are third parties' choice.
    from tests.feedserver import FeedServer

    bridge = FeedServer("127.0.0.2")  # the user's bridge, in the private network
    try:
        port = bridge.port
        bridge.add("/article", ARTICLE, headers={"Content-Type": "text/html"})
        server.add("/article", ARTICLE, headers={"Content-Type": "text/html"})
        links = [
            bridge.url("/article"),  # the bridge itself: still a link some post gave
            "http://10.0.0.1/article",
            "http://169.254.169.254/latest/meta-data/",
            f"http://[::1]:{port}/article",
            server.url("/article"),  # the public internet
        ]
        config = write_config([{"id": "bridge", "url": bridge.add("/x.xml", feed(*links)), "fulltext": "true"}])
        result = collect_all(config, db, is_public=loopback_plays_public)["bridge"]
        assert (result.outcome, result.items_new) == ("new", 5)
        assert result.warning.startswith(
            "full text: 4 of 5 article pages not read (refused to follow a link to 127.0.0.2: it is a "
            "private, loopback or link-local address)"
        )
        got = {r["url"]: r["content"] for r in rows(db, "select url, content from items")}
        assert [u for u, c in got.items() if c] == [server.url("/article")]
        assert bridge.hits("/article") == 0
        assert [p for p, _ in bridge.requests] == ["/x.xml"]
    finally:
        bridge.close()


def test_extraction_that_never_ends_is_killed():
    started = time.monotonic()
    with pytest.raises(ExtractionFailed, match="gave up after 0.5 s"):
        run_killable(time.sleep, (60,), timeout=0.5)
    assert time.monotonic() - started < 2


def test_extraction_memory_is_capped():
    with pytest.raises(ExtractionFailed, match="ran out of memory"):
        run_killable(bytearray, (3 * 1024**3,), timeout=10, memory_mb=512)


def test_huge_page_is_not_extracted_at_all():
    conf = FulltextSettings(max_bytes=1000)
    with pytest.raises(ExtractionFailed, match="page larger than 1000 bytes"):
        asyncio.run(extract_killable(b"<p>" + b"x" * 2000, None, conf))


def test_fulltext_settings():
    settings = Settings(sections={"fulltext": {"timeout": 3, "max_items": 5, "deadline": "soon", "max_bytes": -1}})
    assert FulltextSettings.from_settings(settings) == FulltextSettings(timeout=3.0, max_items=5)
