"""What hostile or broken servers send (issue 9): each case ends as a clear one-line error on the
source concerned, or is read safely; the other sources of the run are collected as usual and
nothing stored is lost. Every server here is real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from tests.feedserver import FEEDS, FeedServer, Route
from tests.helpers import collect_all, one, rows, run_cli
from veille.config import load_config

KINDS = FEEDS / "kinds"
STATUSES = "/api/v1/accounts/109347528746183510/statuses"
BLUESKY_FEED = "/xrpc/app.bsky.feed.getAuthorFeed"
RSS = (
    '<rss version="2.0"><channel><title>Fil sain</title>'
    "<item><title>Rappel de lots de Doliprane</title><link>https://ansm.sante.fr/a/1</link>"
    "<guid>a1</guid></item></channel></rss>"
)


@pytest.fixture
def private_server():
    # 127.0.0.2 plays the private network (loopback is never public for the default policy).
    s = FeedServer("127.0.0.2")
    yield s
    s.close()


def settings_for(server) -> str:
    base = server.url("")
    return (
        f"mastodon:\n  instances:\n    med-mastodon.com: {base}\n"
        f"bluesky:\n  appview: {base}\n"
        f"pubmed:\n  eutils: {base}/eutils\n"
    )


def json_route(server, path: str, body: bytes, headers: dict[str, str] | None = None) -> None:
    server.add(path, body, headers={"Content-Type": "application/json", **(headers or {})})


def sane(server) -> dict:
    return {"id": "sain", "url": server.add("/sain.xml", RSS)}


# --- one source can no longer stop every other ------------------------------------------------

def test_lone_surrogates_in_json_feed_mastodon_and_bluesky_are_replaced(api, write_config, db):
    # A lone surrogate is valid JSON ("\ud800") that UTF-8 cannot encode: it used to raise
    # UnicodeEncodeError in the store, outside the per-source handler, and end the whole run.
    jsonfeed = json.dumps({
        "version": "https://jsonfeed.org/version/1.1", "title": "Fil \\ud800JSON",
        "items": [{"id": "j1", "url": "https://who.int/n/1", "title": "Alerte \\udfff grippe aviaire",
                   "content_text": "Texte \\ud83d\\ude00 \\ud800."}],
    }).replace("\\\\u", "\\u").encode()
    api.add("/feed.json", jsonfeed, headers={"Content-Type": "application/feed+json"})
    json_route(api, "/api/v1/accounts/lookup", (KINDS / "mastodon_account.json").read_bytes())
    statuses = (KINDS / "mastodon_statuses_p1.json").read_text(encoding="utf-8")
    json_route(api, STATUSES, statuses.replace("Ulcère veineux", "Ulcère \\ud800veineux").encode())
    feed = (KINDS / "bluesky_authorfeed_p2.json").read_text(encoding="utf-8")
    json_route(api, BLUESKY_FEED, feed.replace("Grippe", "Grippe \\udc00").encode())
    config = write_config(
        [
            {"id": "jf", "url": api.url("/feed.json")},
            {"id": "masto", "kind": "mastodon", "url": '"@someone@med-mastodon.com"'},
            {"id": "bsky", "kind": "bluesky", "url": "santepubliquefr.bsky.social"},
            sane(api),
        ],
        settings=settings_for(api),
    )
    results = collect_all(config, db)
    assert {k: (r.outcome, r.error) for k, r in results.items()} == {
        "jf": ("new", None), "masto": ("new", None), "bsky": ("new", None), "sain": ("new", None),
    }
    assert one(db, "select title, content from items where source_id = 'jf'") == {
        "title": "Alerte \ufffd grippe aviaire", "content": "Texte 😀 \ufffd.",
    }
    assert len(rows(db, "select 1 from items where source_id = 'masto' and summary like '%Ulcère \ufffdveineux%'")) == 1
    assert len(rows(db, "select 1 from items where source_id = 'bsky' and summary like 'Grippe \ufffd%'")) == 1
    assert len(rows(db, "select 1 from items where source_id = 'sain'")) == 1


def test_lone_surrogate_character_references_in_xml_are_replaced(server, write_config, db):
    # feedparser's loose parser raised UnicodeEncodeError on "&#xD800;": the feed was lost whole.
    body = RSS.replace("Rappel de lots", "Rappel &#xD800;de lots &#55296;").replace("Fil sain", "Fil")
    config = write_config([{"id": "xml", "url": server.add("/x.xml", body)}])
    assert collect_all(config, db)["xml"].outcome == "new"
    assert one(db, "select title from items")["title"] == "Rappel \ufffdde lots \ufffd de Doliprane"


def _wait(db, source_id: str) -> timedelta:
    row = one(db, "select last_fetch_at, next_fetch_at from sources where id = ?", (source_id,))
    return datetime.fromisoformat(row["next_fetch_at"].replace("Z", "+00:00")) - datetime.fromisoformat(
        row["last_fetch_at"].replace("Z", "+00:00"))


def test_huge_retry_after_is_capped_and_ignored_on_a_200(server, write_config, db):
    # 90000000000000 s overflowed timedelta (OverflowError) before the cap and ended the run.
    server.add("/busy.xml", b"busy", status=503, headers={"Retry-After": "90000000000000"})
    server.add("/slow.xml", b"slow down", status=429, headers={"Retry-After": "9" * 20})
    server.add("/ok.xml", RSS.replace("a1", "b1"), headers={"Retry-After": "99999999999999999999"})
    config = write_config([
        {"id": "busy", "url": server.url("/busy.xml")},
        {"id": "slow", "url": server.url("/slow.xml")},
        {"id": "ok", "url": server.url("/ok.xml"), "every": "30m"},
        sane(server),
    ])
    results = collect_all(config, db)
    assert results["busy"].error.startswith("HTTP 503")
    assert results["slow"].error.startswith("HTTP 429")
    assert (results["ok"].outcome, results["sain"].outcome) == ("new", "new")
    # Capped at a day (the backoff's own jitter may add up to two hours beyond the day).
    for source_id in ("busy", "slow"):
        assert timedelta(hours=24) <= _wait(db, source_id) <= timedelta(hours=26)
    # On a 200 the header means nothing: the source's own interval applies.
    assert _wait(db, "ok") == timedelta(minutes=30)


def test_an_unexpected_exception_is_the_source_s_error_only(api, tmp_path, db):
    # A PubMed answer whose idlist is a number made the kind's fetch raise TypeError, an error
    # nobody listed: the per-source handler now catches everything and records it on the source.
    json_route(api, "/eutils/esearch.fcgi", b'{"esearchresult": {"count": "3", "idlist": 7}}')
    config = tmp_path / "feeds.yaml"
    config.write_text(
        "sources:\n"
        "  - {id: pm, name: PubMed, kind: pubmed, url: asthma}\n"
        f"  - {{id: sain, name: Sain, url: '{api.add('/sain.xml', RSS)}'}}\n"
        "settings:\n" + "".join(f"  {line}\n" for line in settings_for(api).splitlines()),
        encoding="utf-8",
    )
    result = run_cli(config, db, "collect")
    assert result.exit_code == 0, result.output
    assert "pm: ERROR unexpected error (TypeError: 'int' object is not iterable)" in result.output
    assert "sain: 1 new" in result.output
    assert one(db, "select last_error, error_count from sources where id = 'pm'") == {
        "last_error": "unexpected error (TypeError: 'int' object is not iterable)", "error_count": 1,
    }
    assert one(db, "select outcome from fetches where source_id = 'pm'") == {"outcome": "error"}
    assert len(rows(db, "select 1 from items where source_id = 'sain'")) == 1


# --- a public source cannot lead into the private network ---------------------------------------

@pytest.mark.parametrize("which", ["private", "metadata"])
def test_mastodon_pagination_may_not_leave_for_a_private_address(api, private_server, write_config, db, which):
    private_server.add("/statuses", (KINDS / "mastodon_statuses_p2.json").read_bytes(),
                       headers={"Content-Type": "application/json"})
    json_route(api, "/api/v1/accounts/lookup", (KINDS / "mastodon_account.json").read_bytes())
    nxt = {"private": private_server.url("/statuses?max_id=1"),
           "metadata": "http://169.254.169.254/latest/meta-data/?max_id=1"}

    def paged(h):
        h._send(200, (KINDS / "mastodon_statuses_p1.json").read_bytes(),
                {"Content-Type": "application/json", "Link": f'<{nxt[which]}>; rel="next"'})

    api.routes[STATUSES] = Route(handler=paged)
    config = write_config([{"id": "masto", "kind": "mastodon", "url": '"@someone@med-mastodon.com"'}],
                          settings=settings_for(api))
    result = collect_all(config, db)["masto"]
    assert (result.outcome, result.items_new) == ("new", 2)  # page 1 is kept
    host = {"private": "127.0.0.2", "metadata": "169.254.169.254"}[which]
    assert result.warning == (
        f"read 1 pages of the account's history, then: refused to follow a link to {host}: it is a private, "
        "loopback or link-local address"
    )
    assert private_server.hits("/statuses?max_id=1") == 0
    assert private_server.requests == []
    stored = one(db, "select count(*) as n from items where summary like '%amoxicilline%'")
    assert stored == {"n": 0}  # the private page's statuses were never stored


def test_mastodon_pagination_on_its_own_instance_still_works(api, write_config, db):
    json_route(api, "/api/v1/accounts/lookup", (KINDS / "mastodon_account.json").read_bytes())

    def paged(h):
        if "max_id" in h.path:
            h._send(200, (KINDS / "mastodon_statuses_p2.json").read_bytes(), {"Content-Type": "application/json"})
            return
        link = f'<{api.url(STATUSES)}?max_id=1>; rel="next"'
        h._send(200, (KINDS / "mastodon_statuses_p1.json").read_bytes(), {"Content-Type": "application/json", "Link": link})

    api.routes[STATUSES] = Route(handler=paged)
    config = write_config([{"id": "masto", "kind": "mastodon", "url": '"@someone@med-mastodon.com"'}],
                          settings=settings_for(api))
    assert collect_all(config, db)["masto"].items_new == 3


def test_sources_add_does_not_follow_a_page_s_feed_link_into_the_private_network(server, private_server, tmp_path, db):
    private_server.add("/feed.xml", RSS)
    page = (f'<!doctype html><html><head><link rel="alternate" type="application/rss+xml" '
            f'href="{private_server.url("/feed.xml")}"></head><body>Site</body></html>')
    site = server.add("/site", page, headers={"Content-Type": "text/html"})
    config = tmp_path / "feeds.yaml"
    result = run_cli(config, db, "sources", "add", site)
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1] == (
        f"Error: {site} announces a feed that Veille will not follow: refused to follow a link to 127.0.0.2: "
        "it is a private, loopback or link-local address; nothing was added"
    )
    assert private_server.requests == []
    assert not config.exists()


def test_sources_add_follows_a_feed_link_on_the_same_site(server, tmp_path, db):
    page = ('<!doctype html><html><head><link rel="alternate" type="application/rss+xml" '
            'href="/flux.xml"></head><body>Site</body></html>')
    server.add("/flux.xml", RSS)
    site = server.add("/site2", page, headers={"Content-Type": "text/html"})
    config = tmp_path / "feeds.yaml"
    result = run_cli(config, db, "sources", "add", site)
    assert result.exit_code == 0, result.output
    assert load_config(str(config)).sources[0].url == server.url("/flux.xml")


# --- a feed's title as a source name ----------------------------------------------------------------

DIRTY_TITLE = "\x1b]0;pwned\x07ANSM \x1b[31mAlerte\x1b[0m\x00 \u202e" + "x" * 5000


def test_a_feed_title_is_cleaned_before_it_becomes_a_name(server, tmp_path, db):
    url = server.add("/dirty.xml", RSS.replace("Fil sain", DIRTY_TITLE.replace("\x00", "")
                                               .replace("\x1b", "&#x1b;").replace("\x07", "&#x7;")))
    config = tmp_path / "feeds.yaml"
    result = run_cli(config, db, "sources", "add", url)
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
    name = load_config(str(config)).sources[0].name
    assert name == ("ANSM Alerte " + "x" * 120)[:119] + "…"
    assert len(name) == 120
    listing = run_cli(config, db, "sources", "list")
    assert listing.exit_code == 0 and "\x1b" not in listing.output


def test_old_dirty_names_in_feeds_yaml_do_not_break_export_or_the_health_atom(server, tmp_path, db):
    # Written by an earlier Veille: YAML's "\e" and "\a" escapes are ESC and BEL.
    config = tmp_path / "feeds.yaml"
    config.write_text(
        f'sources:\n  - id: sale\n    name: "\\e]0;titre\\aANSM \\e[31mrouge\\e[0m"\n    url: {server.add("/s.xml", RSS)}\n',
        encoding="utf-8",
    )
    exported = run_cli(config, db, "sources", "export")
    assert exported.exit_code == 0, exported.output
    assert 'text="ANSM rouge"' in exported.output
    # An old database row with the dirty name is cleaned by the migration on open.
    import sqlite3

    conn = sqlite3.connect(db)
    conn.execute("insert into sources (id, name, url, last_error) values ('vieux', ?, 'https://x.fr/', ?)",
                 ["\x1b[31mVieux\x07", "HTTP 500 \x1b[2Jboom"])
    conn.execute("delete from _sqlite_migrations where name = 'm007_i9b_clean_source_names'")
    conn.commit()
    conn.close()
    assert run_cli(config, db, "collect").exit_code == 0
    assert rows(db, "select id, name, last_error from sources order by id") == [
        {"id": "sale", "name": "ANSM rouge", "last_error": None},
        {"id": "vieux", "name": "Vieux", "last_error": "HTTP 500 boom"},
    ]
    from tests.test_serve import get
    from veille.webapp import make_datasette

    ds = make_datasette(str(db), config_path=str(config))
    response = get(ds, "/veille/sante_sources.atom")
    assert response.status_code == 200
    assert "ANSM rouge" in response.text and "\x1b" not in response.text


def test_feed_links_a_page_lists_reach_the_terminal_clean(server, tmp_path, db):
    links = "".join(
        f'<link rel="alternate" type="application/rss+xml" href="/f{n}.xml" title="Flux {n}\x1b[2J\x1b]0;x\x07">'
        for n in (1, 2)
    )
    site = server.add("/multi", f"<!doctype html><html><head>{links}</head><body></body></html>",
                      headers={"Content-Type": "text/html"})
    result = run_cli(tmp_path / "feeds.yaml", db, "sources", "add", site)
    assert result.exit_code == 2
    assert result.output.splitlines()[1:] == [f"  {server.url('/f1.xml')}  Flux 1", f"  {server.url('/f2.xml')}  Flux 2"]
