"""Source kinds: Mastodon, Bluesky, YouTube, PubMed, web pages. Fixture answers in the services'
real shapes, served on 127.0.0.1 (settings point the services there), real SQLite, exact rows."""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import REALFEEDS
from tests.feedserver import FEEDS, Route
from tests.helpers import collect_all, one, rows, run_cli
from veille.config import load_config
from veille.kinds import bluesky, bridge_advice, mastodon, page, pubmed, recognise, youtube

KINDS = FEEDS / "kinds"


def fixture(name: str) -> bytes:
    return (KINDS / name).read_bytes()


def real(name: str) -> bytes:
    path = REALFEEDS / name
    if not path.exists():
        pytest.skip(f"{path} is absent (the shared real-feed corpus lives in ../shared/realfeeds)")
    return path.read_bytes()


def queries(server, path: str) -> list[dict[str, list[str]]]:
    return [parse_qs(urlsplit(p).query) for p, _ in server.requests if p.split("?", 1)[0] == path]


def reply(status: int, body: bytes, headers: dict[str, str] | None = None):
    def handler(h):
        h._send(status, body, {"Content-Type": "application/json", **(headers or {})})
    return handler


def settings_for(server) -> str:
    base = server.url("")
    return (
        f"mastodon:\n  instances:\n    med-mastodon.com: {base}\n"
        f"bluesky:\n  appview: {base}\n"
        f"youtube:\n  base_url: {base}\n"
        f"pubmed:\n  eutils: {base}/eutils\n"
    )


# --- recognising what the user typed ---------------------------------------------------------

@pytest.mark.parametrize(
    "text, expected",
    [
        ("@someone@med-mastodon.com", ("mastodon", "@someone@med-mastodon.com")),
        ("@Someone@Med-Mastodon.com", ("mastodon", "@Someone@med-mastodon.com")),
        ("https://med-mastodon.com/@someone", ("mastodon", "@someone@med-mastodon.com")),
        ("https://piaille.fr/@docteur.rss", ("mastodon", "@docteur@piaille.fr")),
        ("https://medium.com/@someone", None),  # not every /@name is Mastodon
        ("someone@med-mastodon.com", None),  # an e-mail address, not a handle
        ("https://bsky.app/profile/santepubliquefr.bsky.social", ("bluesky", "santepubliquefr.bsky.social")),
        ("bsky.app/profile/inserm.fr/post/3abc", ("bluesky", "inserm.fr")),
        ("santepubliquefr.bsky.social", ("bluesky", "santepubliquefr.bsky.social")),
        ("@inserm.fr", ("bluesky", "inserm.fr")),
        ("bsky:inserm.fr", ("bluesky", "inserm.fr")),
        ("https://bsky.app/profile/did:plc:u5cwb2mwiv2bfq53cjufe6yn", ("bluesky", "did:plc:u5cwb2mwiv2bfq53cjufe6yn")),
        ("https://www.youtube.com/@InstitutPasteur", ("youtube", "https://www.youtube.com/@InstitutPasteur")),
        ("https://www.youtube.com/@InstitutPasteur/videos", ("youtube", "https://www.youtube.com/@InstitutPasteur")),
        ("youtube.com/channel/UCQ1bWmiwCgj0_KDpDYdBvNw", ("youtube", "https://www.youtube.com/channel/UCQ1bWmiwCgj0_KDpDYdBvNw")),
        ("UCQ1bWmiwCgj0_KDpDYdBvNw", ("youtube", "https://www.youtube.com/channel/UCQ1bWmiwCgj0_KDpDYdBvNw")),
        ("https://www.youtube.com/feeds/videos.xml?channel_id=UCQ1bWmiwCgj0_KDpDYdBvNw", ("youtube", "https://www.youtube.com/channel/UCQ1bWmiwCgj0_KDpDYdBvNw")),
        ("https://www.youtube.com/user/google", ("youtube", "https://www.youtube.com/user/google")),
        ('pubmed:"heart failure"[ti] AND france[ad]', ("pubmed", '"heart failure"[ti] AND france[ad]')),
        ("pubmed:'asthma'", ("pubmed", "asthma")),
        ("https://pubmed.ncbi.nlm.nih.gov/?term=bronchiolitis+france&sort=date", ("pubmed", "bronchiolitis france")),
        ("page:https://www.ars.sante.fr/permanence-des-soins", ("page", "https://www.ars.sante.fr/permanence-des-soins")),
        ("https://ansm.sante.fr/rss/actualites", None),
        ("https://www.doctissimo.fr/", None),  # a forum: its RSS, or --kind page
    ],
)
def test_recognise(text, expected):
    found = recognise(text)
    assert ((found.kind, found.address) if found else None) == expected


@pytest.mark.parametrize("url", [
    "https://x.com/HAS_sante", "twitter.com/ansm", "https://www.facebook.com/SantePubliqueFrance",
    "https://www.linkedin.com/company/haute-autorite-de-sante/",
])
def test_closed_networks_get_bridge_advice(url):
    advice = bridge_advice(url)
    assert advice is not None
    assert "RSS-Bridge" in advice and "127.0.0.1" in advice and "veille sources add" in advice
    assert ("Nitter" in advice) == ("x.com" in url or "twitter" in url)


def test_open_addresses_get_no_bridge_advice():
    assert bridge_advice("https://ansm.sante.fr/rss/actualites") is None
    assert bridge_advice("@someone@med-mastodon.com") is None


# --- pure parsers on real documents ----------------------------------------------------------

def test_bluesky_real_author_feed_reposts_and_replies_are_deliberate():
    body = real("bluesky_getAuthorFeed_atproto-snapshot_reposts.json")
    default = bluesky.parse(body, url="x", options={})
    # record(0) is a reposted reply, record(3) a repost: neither is the account's own news.
    assert [e.guid for e in default.entries] == ["record(9)", "record(12)"]
    # a quoted post's text is part of the item
    assert default.entries[0].summary == "@alice.bluesky.xyz is the best\nQuoting @carol.test: hi im carol"
    everything = bluesky.parse(body, url="x", options={"reposts": True, "replies": True})
    assert [e.guid for e in everything.entries] == ["record(0)", "record(3)", "record(9)", "record(12)"]
    assert ("reposted_by", "dan.test") in everything.entries[1].extra


def test_bluesky_real_pinned_post_is_skipped_unless_asked():
    body = real("bluesky_getAuthorFeed_atproto-snapshot_pinned.json")
    assert "pinned post" not in [e.summary for e in bluesky.parse(body, url="x", options={}).entries]
    with_pin = bluesky.parse(body, url="x", options={"pinned": True})
    assert with_pin.entries[0].summary == "pinned post"


@pytest.mark.parametrize("name, link, text", [
    ("bluesky_getPosts_recorded_external-embed_motherjones.json",
     "https://www.motherjones.com/politics/2026/10/ice-shooting-nypd-bronx-tisch/",
     "After ICE Shooting, Progressives Want New York's Police Commissioner to Step Down"),
    ("bluesky_getPosts_recorded_recordWithMedia-embed_motherjones.json",
     "https://sh.reddit.com/r/IAmA/comments/1x1n1i1/after_the_fall_of_roe_v_wade_the_antiabortion/",
     "Quoting @amylittlefield.bsky.social: I spent months following Kristan Hawkins"),
    ("bluesky_getPosts_recorded_images-embed_bsky-app.json",
     "https://bsky.app/profile/bsky.app/post/3mv3shqdfuc2e",
     "[Image: An enormous pile of red apples and green apples"),
])
def test_bluesky_link_card_becomes_the_link_and_alt_text_is_kept(name, link, text):
    posts = json.loads(real(name))["posts"]
    body = json.dumps({"feed": [{"post": p} for p in posts]}).encode()
    entry = bluesky.parse(body, url="x", options={}).entries[0]
    assert entry.link == link
    assert text in (entry.summary or "")
    assert dict(entry.extra)["post_url"].startswith("https://bsky.app/profile/")


def test_bluesky_video_embed_keeps_its_text():
    posts = json.loads(real("bluesky_getPosts_recorded_video-embed_motherjones.json"))["posts"]
    body = json.dumps({"feed": [{"post": p} for p in posts]}).encode()
    entry = bluesky.parse(body, url="x", options={}).entries[0]
    assert entry.link == "https://bsky.app/profile/motherjones.com/post/" + posts[0]["uri"].rsplit("/", 1)[-1]
    assert entry.summary and entry.author == "Mother Jones (@motherjones.com)"


def test_mastodon_real_rss_keeps_media_descriptions():
    feed = mastodon.parse(real("mastodon_account_toot-cat_DPSsys.rss.xml"), url="https://toot.cat/@DPSsys.rss", options={})
    entry = next(e for e in feed.entries if e.guid == "https://toot.cat/@DPSsys/111490106099021865")
    assert entry.summary.startswith("I tried full body tracking in VRChat")
    assert entry.summary.endswith(
        "[Image: An anthro gargoyle in VRchat where the hand goes through the head and the tail up and "
        "the body is twisted and hidden somehow]"
    )
    assert entry.summary.count("[Image: ") == 3
    assert feed.title == "Hyenrådjuret Elisabeth ΘΔ"


@pytest.mark.parametrize("name, count, video, description", [
    ("youtube_channel_pbs-spacetime.atom.xml", 1, "0A1ouV7iD8o", "Check Out Weathered on PBS Terra"),
    ("youtube_channel_google_leading-newline.atom.xml", 15, None, "A question is the most powerful force"),
])
def test_youtube_real_feeds_description_from_media_group(name, count, video, description):
    feed = youtube.parse(real(name), url="https://www.youtube.com/feeds/videos.xml", options={})
    assert len(feed.entries) == count
    first = feed.entries[0]
    assert (first.summary or "").startswith(description)
    if video:
        assert ("video_id", video) in first.extra


def test_pubmed_summary_parser_carries_pmid_doi_journal():
    body = fixture("pubmed_esummary.json")
    feed = pubmed.parse(body, url="x", options={})
    first, second = feed.entries
    assert first.guid == "pmid:41234567" and first.link == "https://pubmed.ncbi.nlm.nih.gov/41234567/"
    assert dict(first.extra) == {"pmid": "41234567", "doi": "10.1002/ejhf.9876", "journal": "European journal of heart failure"}
    assert first.summary == "Martin C, Dupont A, Bernard L\nEur J Heart Fail. 2026 Nov; 28(11) :2101-2112.\nDOI: 10.1002/ejhf.9876\nJournal Article"
    assert first.published == datetime.fromisoformat("2026-11-21T06:42:00+00:00")
    assert first.lang == "en" and second.lang == "fr"
    assert dict(second.extra) == {"pmid": "41198765", "journal": "La Revue du praticien"}


def test_page_what_changed_says_it_briefly():
    old = "Titre\nPremier paragraphe.\nLe cahier des charges est révisé chaque année."
    new = "Titre\nPremier paragraphe.\nLe cahier des charges a été révisé le 1er décembre.\nUn nouveau numéro : 116 117."
    assert page.what_changed(old, new) == (
        "2 paragraphs added or changed, 1 removed or replaced.\n"
        "New: Le cahier des charges a été révisé le 1er décembre. / Un nouveau numéro : 116 117.\n"
        "Before: Le cahier des charges est révisé chaque année."
    )
    assert page.what_changed("a\nb", "a\n\nb") == "The text changed only in spacing."


# --- Mastodon over HTTP ----------------------------------------------------------------------

def serve_mastodon(server, *, statuses_p2: bool = True) -> None:
    server.add("/api/v1/accounts/lookup", fixture("mastodon_account.json"), headers={"Content-Type": "application/json"})
    statuses = "/api/v1/accounts/109347528746183510/statuses"

    def paged(h):
        query = parse_qs(urlsplit(h.path).query)
        if "max_id" in query:
            h._send(200, fixture("mastodon_statuses_p2.json") if statuses_p2 else b"[]", {"Content-Type": "application/json"})
            return
        nxt = f"{server.url(statuses)}?limit=40&max_id=113510000000000001"
        link = f'<{nxt}>; rel="next", <{server.url(statuses)}?limit=40&min_id=113512000000000004>; rel="prev"'
        h._send(200, fixture("mastodon_statuses_p1.json"), {"Content-Type": "application/json", "Link": link})

    server.routes[statuses] = Route(handler=paged)


def test_mastodon_account_through_the_api(api, write_config, db):
    serve_mastodon(api)
    config = write_config([{"id": "someone", "kind": "mastodon", "url": '"@someone@med-mastodon.com"', "tier": "social"}],
                          settings=settings_for(api))
    result = collect_all(config, db)["someone"]
    assert (result.outcome, result.items_new, result.error) == ("new", 3, None)
    got = rows(db, "select guid, url, title, summary, author, published_at, lang, extra from items order by published_at desc")
    assert got == [
        {
            "guid": "https://med-mastodon.com/users/someone/statuses/113512000000000004",
            "url": "https://med-mastodon.com/@someone/113512000000000004",
            "title": "CW: Image médicale (plaie)",
            "summary": "CW: Image médicale (plaie)\nUlcère veineux de jambe : la compression reste le traitement de "
            "référence. #dermatologie\n[Image: Photographie d'un ulcère veineux de la malléole interne, avant bandage.]",
            "author": "Dr Someone (@someone)",
            "published_at": "2026-11-27T09:15:00Z",
            "lang": "fr",
            "extra": '{"content_warning": "Image médicale (plaie)"}',
        },
        {
            # a reply to oneself continues a thread: kept; the reply to a colleague is not
            "guid": "https://med-mastodon.com/users/someone/statuses/113510500000000002",
            "url": "https://med-mastodon.com/@someone/113510500000000002",
            "title": "2/2 Le rapport complet de la HAS sur la vaccination antigrippale est en ligne.",
            "summary": "2/2 Le rapport complet de la HAS sur la vaccination antigrippale est en ligne.",
            "author": "Dr Someone (@someone)",
            "published_at": "2026-11-26T10:00:00Z",
            "lang": "fr",
            "extra": '{"card_url": "https://www.has-sante.fr/jcms/p_3500002/fr/vaccination-antigrippale"}',
        },
        {
            # page 2, read on the first run only
            "guid": "https://med-mastodon.com/users/someone/statuses/113400000000000000",
            "url": "https://med-mastodon.com/@someone/113400000000000000",
            "title": "Rupture de stock d'amoxicilline buvable : les pharmacies peuvent délivrer à l'unité.",
            "summary": "Rupture de stock d'amoxicilline buvable : les pharmacies peuvent délivrer à l'unité.",
            "author": "Dr Someone (@someone)",
            "published_at": "2026-11-10T07:45:00Z",
            "lang": "fr",
            "extra": None,
        },
    ]
    calls = queries(api, "/api/v1/accounts/109347528746183510/statuses")
    assert calls[0] == {"limit": ["40"], "exclude_replies": ["true"], "exclude_reblogs": ["true"]}
    assert len(calls) == 2
    assert queries(api, "/api/v1/accounts/lookup") == [{"acct": ["someone"]}]
    # Tagged like any item.
    assert one(db, "select item_type from items where title like 'Rupture%'")["item_type"] == "shortage"
    assert rows(db, "select specialty from item_specialties s join items i on i.id = s.item_id "
                    "where i.title like 'Rupture%' order by 1") == [{"specialty": "infectiologie"}, {"specialty": "pharmacologie"}]
    # Second run: one page only, nothing new.
    again = collect_all(config, db)["someone"]
    assert (again.outcome, again.items_new) == ("new", 0)
    assert len(queries(api, "/api/v1/accounts/109347528746183510/statuses")) == 3


def test_mastodon_boosts_and_replies_when_asked(api, write_config, db):
    serve_mastodon(api, statuses_p2=False)
    config = write_config(
        [{"id": "someone", "kind": "mastodon", "url": '"@someone@med-mastodon.com"', "boosts": "true", "replies": "true"}],
        settings=settings_for(api),
    )
    assert collect_all(config, db)["someone"].items_new == 4
    boost = one(db, "select url, author, summary, lang, extra from items where author like 'WHO%'")
    assert boost == {
        "url": "https://mastodon.social/@whonews/113509000000000000",
        "author": "WHO News (@whonews@mastodon.social)",
        "summary": "Measles cases rose sharply in Europe this year. Vaccination is the best protection.\n[Poll: Vaccinated / Not yet]",
        "lang": "en",
        "extra": '{"boosted_by": "@someone"}',
    }
    assert queries(api, "/api/v1/accounts/109347528746183510/statuses")[0] == {"limit": ["40"]}


def test_mastodon_closed_api_falls_back_to_rss(api, write_config, db):
    api.add("/api/v1/accounts/lookup", b'{"error":"This API requires an authenticated user"}', status=401,
            headers={"Content-Type": "application/json"})
    api.add("/@DPSsys.rss", real("mastodon_account_toot-cat_DPSsys.rss.xml"))
    config = write_config([{"id": "cat", "kind": "mastodon", "url": '"@DPSsys@toot.cat"'}],
                          settings=f"mastodon:\n  instances:\n    toot.cat: {api.url('')}\n")
    result = collect_all(config, db)["cat"]
    assert (result.outcome, result.items_new) == ("new", real("mastodon_account_toot-cat_DPSsys.rss.xml").count(b"<item>"))
    alt = one(db, "select summary from items where guid = 'https://toot.cat/@DPSsys/111490106099021865'")["summary"]
    assert alt.count("[Image: An anthro gargoyle") == 3


def test_mastodon_deleted_and_gone_accounts(api, write_config, db):
    api.add("/api/v1/accounts/lookup", b'{"error":"Record not found"}', status=404, headers={"Content-Type": "application/json"})
    config = write_config([{"id": "gone", "kind": "mastodon", "url": '"@left@med-mastodon.com"'}], settings=settings_for(api))
    result = collect_all(config, db)["gone"]
    assert result.error == "@left@med-mastodon.com not found on med-mastodon.com (deleted, moved, or a typo in the handle)"
    assert one(db, "select enabled, error_count from sources") == {"enabled": 1, "error_count": 1}
    api.add("/api/v1/accounts/lookup", b"", status=410)
    result = collect_all(config, db)["gone"]
    assert "is gone from med-mastodon.com" in result.error
    assert one(db, "select enabled from sources")["enabled"] == 0


def test_mastodon_empty_account(api, write_config, db):
    api.add("/api/v1/accounts/lookup", fixture("mastodon_account.json"), headers={"Content-Type": "application/json"})
    api.add("/api/v1/accounts/109347528746183510/statuses", b"[]", headers={"Content-Type": "application/json"})
    config = write_config([{"id": "quiet", "kind": "mastodon", "url": '"@someone@med-mastodon.com"'}], settings=settings_for(api))
    result = collect_all(config, db)["quiet"]
    assert (result.outcome, result.items_new, result.error) == ("new", 0, None)


# --- Bluesky over HTTP -----------------------------------------------------------------------

FEED_PATH = "/xrpc/app.bsky.feed.getAuthorFeed"


def serve_bluesky(server) -> None:
    def paged(h):
        query = parse_qs(urlsplit(h.path).query)
        if query.get("cursor") == ["2026-11-26T09:00:00.800Z"]:
            h._send(200, fixture("bluesky_authorfeed_p2.json"), {"Content-Type": "application/json"})
        else:
            h._send(200, fixture("bluesky_authorfeed_p1.json"), {"Content-Type": "application/json"})

    server.routes[FEED_PATH] = Route(handler=paged)


def test_bluesky_account_paginated_on_first_run(api, write_config, db):
    serve_bluesky(api)
    config = write_config([{"id": "spf", "kind": "bluesky", "url": "santepubliquefr.bsky.social", "tier": "official"}],
                          settings=settings_for(api))
    result = collect_all(config, db)["spf"]
    assert (result.outcome, result.items_new, result.error) == ("new", 2, None)
    calls = queries(api, FEED_PATH)
    assert calls == [
        {"actor": ["santepubliquefr.bsky.social"], "limit": ["50"], "filter": ["posts_no_replies"]},
        {"actor": ["santepubliquefr.bsky.social"], "limit": ["50"], "filter": ["posts_no_replies"],
         "cursor": ["2026-11-26T09:00:00.800Z"]},
    ]
    got = rows(db, "select guid, url, canonical_url, summary, author, published_at, lang, extra from items order by published_at desc")
    assert got == [
        {
            "guid": "at://did:plc:u5cwb2mwiv2bfq53cjufe6yn/app.bsky.feed.post/3mbqz7kx2ab2c",
            # the link card's URL is the item's link (tracking removed in the canonical form)
            "url": "https://www.santepubliquefrance.fr/bulletin-bronchiolite?utm_source=bluesky",
            "canonical_url": "https://www.santepubliquefrance.fr/bulletin-bronchiolite",
            "summary": "L'épidémie de bronchiolite progresse en Île-de-France. Le bulletin de la semaine : "
            "www.santepubliquefrance.fr/bulletin-bronc...\nBronchiolite : bulletin épidémiologique\n"
            "Point hebdomadaire de surveillance.",
            "author": "Santé publique France (@santepubliquefr.bsky.social)",
            "published_at": "2026-11-27T08:00:00Z",
            "lang": "fr",
            "extra": json.dumps({
                "at_uri": "at://did:plc:u5cwb2mwiv2bfq53cjufe6yn/app.bsky.feed.post/3mbqz7kx2ab2c",
                "post_url": "https://bsky.app/profile/santepubliquefr.bsky.social/post/3mbqz7kx2ab2c",
            }, ensure_ascii=False),
        },
        {
            "guid": "at://did:plc:u5cwb2mwiv2bfq53cjufe6yn/app.bsky.feed.post/3mbpa3ob6cs2x",
            "url": "https://bsky.app/profile/santepubliquefr.bsky.social/post/3mbpa3ob6cs2x",
            "canonical_url": "https://bsky.app/profile/santepubliquefr.bsky.social/post/3mbpa3ob6cs2x",
            "summary": "Grippe : la carte de la semaine 47.\n[Image: Carte de France de l'incidence de la grippe par région, semaine 47]",
            "author": "Santé publique France (@santepubliquefr.bsky.social)",
            "published_at": "2026-11-20T11:00:00Z",
            "lang": "fr",
            "extra": json.dumps({
                "at_uri": "at://did:plc:u5cwb2mwiv2bfq53cjufe6yn/app.bsky.feed.post/3mbpa3ob6cs2x",
                "post_url": "https://bsky.app/profile/santepubliquefr.bsky.social/post/3mbpa3ob6cs2x",
            }, ensure_ascii=False),
        },
    ]
    # Searchable like any item.
    hits = rows(db, "select rowid from items_fts where items_fts match 'bronchiolite'")
    assert len(hits) == 1
    # Later runs read the first page only.
    collect_all(config, db)
    assert len(queries(api, FEED_PATH)) == 3


def test_bluesky_reposts_replies_and_pins_when_asked(api, write_config, db):
    serve_bluesky(api)
    config = write_config(
        [{"id": "spf", "kind": "bluesky", "url": "santepubliquefr.bsky.social", "reposts": "true",
          "replies": "true", "pinned": "true", "max_pages": 1}],
        settings=settings_for(api),
    )
    assert collect_all(config, db)["spf"].items_new == 3
    assert queries(api, FEED_PATH) == [{"actor": ["santepubliquefr.bsky.social"], "limit": ["50"],
                                         "filter": ["posts_with_replies"], "includePins": ["true"]}]
    repost = one(db, "select author, extra from items where author like 'ANSM%'")
    assert json.loads(repost["extra"])["reposted_by"] == "santepubliquefr.bsky.social"


def test_bluesky_rate_limited_deleted_and_empty(api, write_config, db):
    api.routes[FEED_PATH] = Route(handler=reply(429, b'{"error":"RateLimitExceeded","message":"Rate Limit Exceeded"}',
                                                {"Retry-After": "600"}))
    config = write_config([{"id": "spf", "kind": "bluesky", "url": "santepubliquefr.bsky.social"}], settings=settings_for(api))
    result = collect_all(config, db)["spf"]
    assert result.error.startswith("HTTP 429")
    source = one(db, "select error_count, last_fetch_at, next_fetch_at from sources")
    wait = datetime.fromisoformat(source["next_fetch_at"]) - datetime.fromisoformat(source["last_fetch_at"])
    assert source["error_count"] == 1 and wait.total_seconds() >= 600
    api.routes[FEED_PATH] = Route(handler=reply(400, b'{"error":"InvalidRequest","message":"Profile not found"}'))
    result = collect_all(config, db)["spf"]
    assert result.error.startswith("Bluesky account 'santepubliquefr.bsky.social' cannot be read: it does not exist")
    api.routes[FEED_PATH] = Route(handler=reply(200, b'{"feed":[]}'))
    result = collect_all(config, db)["spf"]
    assert (result.outcome, result.items_new, result.error) == ("new", 0, None)
    assert one(db, "select error_count from sources")["error_count"] == 0


def test_bluesky_later_page_failing_keeps_the_first(api, write_config, db):
    def flaky(h):
        if "cursor=" in h.path:
            h._send(503, b"busy", {"Content-Type": "text/plain", "Retry-After": "5"})
        else:
            h._send(200, fixture("bluesky_authorfeed_p1.json"), {"Content-Type": "application/json"})

    api.routes[FEED_PATH] = Route(handler=flaky)
    config = write_config([{"id": "spf", "kind": "bluesky", "url": "santepubliquefr.bsky.social"}], settings=settings_for(api))
    result = collect_all(config, db)["spf"]
    assert (result.outcome, result.items_new) == ("new", 1)
    assert result.warning.startswith("read 1 pages of the account's history, then: HTTP 503")


# --- YouTube over HTTP -----------------------------------------------------------------------

def test_youtube_handle_is_resolved_and_channel_feed_read(api, write_config, db):
    api.add("/@InstitutPasteur", fixture("youtube_handle_page.html"), headers={"Content-Type": "text/html"})
    api.add("/feeds/videos.xml", fixture("youtube_channel.atom.xml"), headers={"Content-Type": "application/atom+xml"},
            etag='"yt-1"')
    config = write_config([{"id": "pasteur", "kind": "youtube", "url": "https://www.youtube.com/@InstitutPasteur"}],
                          settings=settings_for(api))
    assert collect_all(config, db)["pasteur"].items_new == 1
    assert queries(api, "/feeds/videos.xml") == [{"channel_id": ["UCQ1bWmiwCgj0_KDpDYdBvNw"]}]
    assert one(db, "select url, title, summary, extra from items") == {
        "url": "https://www.youtube.com/watch?v=Xy12AbCdEfG",
        "title": "Antibiorésistance : comprendre en 3 minutes",
        "summary": "Pourquoi les bactéries deviennent-elles résistantes aux antibiotiques ? Les chercheurs de "
        "l'Institut Pasteur expliquent.",
        "extra": '{"video_id": "Xy12AbCdEfG", "channel_id": "UCQ1bWmiwCgj0_KDpDYdBvNw"}',
    }
    # The channel's feed is fetched conditionally, and the stored address never moves.
    assert collect_all(config, db)["pasteur"].outcome == "not_modified"
    assert [h for p, h in api.requests if p.startswith("/feeds/")][-1]["If-None-Match"] == '"yt-1"'
    assert one(db, "select url from sources")["url"] == "https://www.youtube.com/@InstitutPasteur"


def test_youtube_deleted_channel(api, write_config, db):
    config = write_config([{"id": "old", "kind": "youtube", "url": "https://www.youtube.com/channel/UCaaaaaaaaaaaaaaaaaaaaaa"}],
                          settings=settings_for(api))
    result = collect_all(config, db)["old"]
    assert result.error == ("YouTube has no channel feed for https://www.youtube.com/channel/UCaaaaaaaaaaaaaaaaaaaaaa "
                            "(deleted channel, or a wrong id)")


# --- PubMed over HTTP ------------------------------------------------------------------------

def serve_pubmed(server, search: str = "pubmed_esearch.json") -> None:
    server.add("/eutils/esearch.fcgi", fixture(search), headers={"Content-Type": "application/json; charset=UTF-8"})
    server.add("/eutils/esummary.fcgi", fixture("pubmed_esummary.json"), headers={"Content-Type": "application/json; charset=UTF-8"})


def test_pubmed_query_through_eutils(api, write_config, db, monkeypatch):
    monkeypatch.delenv("NCBI_API_KEY", raising=False)
    serve_pubmed(api)
    config = write_config([{"id": "ic", "kind": "pubmed", "url": "'\"heart failure\"[ti] AND france[ad]'", "tier": "journal"}],
                          settings=settings_for(api))
    result = collect_all(config, db)["ic"]
    assert (result.outcome, result.items_new) == ("new", 2)
    assert queries(api, "/eutils/esearch.fcgi") == [{
        "db": ["pubmed"], "retmode": ["json"], "tool": ["veille"], "term": ['"heart failure"[ti] AND france[ad]'],
        "retmax": ["50"], "sort": ["pub_date"],
    }]
    assert queries(api, "/eutils/esummary.fcgi")[0]["id"] == ["41234567,41198765"]
    got = rows(db, "select guid, url, title, author, published_at, lang, extra, item_type from items order by published_at desc")
    assert got == [
        {
            "guid": "pmid:41234567",
            "url": "https://pubmed.ncbi.nlm.nih.gov/41234567/",
            "title": "Sodium-glucose cotransporter 2 inhibitors in heart failure with preserved ejection fraction: a French nationwide cohort.",
            "author": "Martin C, Dupont A, Bernard L",
            "published_at": "2026-11-21T06:42:00Z",
            "lang": "en",
            "extra": '{"pmid": "41234567", "doi": "10.1002/ejhf.9876", "journal": "European journal of heart failure"}',
            "item_type": "study",
        },
        {
            "guid": "pmid:41198765",
            "url": "https://pubmed.ncbi.nlm.nih.gov/41198765/",
            "title": "[Insuffisance cardiaque du sujet âgé : ce qui change en 2026].",
            "author": "Leroy P",
            "published_at": "2026-10-17T06:00:00Z",
            "lang": "fr",
            "extra": '{"pmid": "41198765", "journal": "La Revue du praticien"}',
            "item_type": got[1]["item_type"],
        },
    ]
    assert {"specialty": "cardiologie"} in rows(db, "select distinct specialty from item_specialties")


def test_pubmed_respects_three_requests_per_second(api, write_config, db, monkeypatch):
    monkeypatch.delenv("NCBI_API_KEY", raising=False)
    serve_pubmed(api)
    config = write_config([{"id": f"q{i}", "kind": "pubmed", "url": f"query{i}"} for i in range(2)],
                          settings=settings_for(api))
    started = time.monotonic()
    collect_all(config, db)
    elapsed = time.monotonic() - started
    assert len([p for p, _ in api.requests if p.startswith("/eutils/")]) == 4
    # Four requests at 3 per second, whatever the concurrency: the last starts 1 s after the first.
    assert elapsed >= 1 - 0.05


def test_pubmed_pacer_spacing_with_and_without_key():
    import asyncio

    from veille.kinds._common import Pacer

    async def starts(rate: float, n: int) -> list[float]:
        pacer, out = Pacer(), []
        for _ in range(n):
            await pacer.wait(rate)
            out.append(time.monotonic())
        return out

    slow = asyncio.run(starts(pubmed.rate(None), 3))
    assert min(b - a for a, b in zip(slow, slow[1:], strict=False)) >= 1 / 3 - 0.01
    fast = asyncio.run(starts(pubmed.rate("key"), 4))
    assert min(b - a for a, b in zip(fast, fast[1:], strict=False)) >= 0.1 - 0.01
    assert fast[-1] - fast[0] < 0.6


def test_pubmed_api_key_from_the_environment(api, write_config, db, monkeypatch):
    monkeypatch.setenv("NCBI_API_KEY", "abc123")
    serve_pubmed(api)
    config = write_config([{"id": "q", "kind": "pubmed", "url": "asthma"}], settings=settings_for(api))
    collect_all(config, db)
    assert queries(api, "/eutils/esearch.fcgi")[0]["api_key"] == ["abc123"]
    assert "abc123" not in Path(config).read_text()


def test_pubmed_empty_search_and_rate_limit(api, write_config, db, monkeypatch):
    monkeypatch.delenv("NCBI_API_KEY", raising=False)
    serve_pubmed(api, "pubmed_esearch_empty.json")
    config = write_config([{"id": "q", "kind": "pubmed", "url": "zzzqqq[ti]"}], settings=settings_for(api))
    result = collect_all(config, db)["q"]
    assert (result.outcome, result.items_new, result.error) == ("new", 0, None)
    assert api.hits("/eutils/esummary.fcgi") == 0  # nothing to summarise
    api.routes["/eutils/esearch.fcgi"] = Route(handler=reply(
        429, b'{"error":"API rate limit exceeded","api-key":"203.0.113.9","count":"4","limit":"3"}', {"Retry-After": "2"}))
    result = collect_all(config, db)["q"]
    assert result.error.startswith("PubMed asks us to slow down")
    assert one(db, "select error_count from sources")["error_count"] == 1


# --- pages without a feed --------------------------------------------------------------------

def test_page_records_a_new_item_when_its_text_changes(server, write_config, db):
    v1 = fixture("page_v1.html")
    server.add("/pds", v1.replace(b"__VISIT__", b"1"), headers={"Content-Type": "text/html; charset=utf-8"})
    config = write_config([{"id": "pds", "kind": "page", "url": server.url("/pds"), "tier": "official"}])
    first = collect_all(config, db)["pds"]
    assert (first.outcome, first.items_new, first.error) == ("new", 1, None)
    item = one(db, "select url, title, summary, content from items")
    assert item["url"] == server.url("/pds")
    assert item["title"] == "Permanence des soins ambulatoires"
    assert item["summary"].startswith("La permanence des soins ambulatoires assure l'accès à un médecin")
    assert "composez le 15 ou le 116 117" in item["content"] and "Dernière visite" not in item["content"]
    # The page changes around the text only: nothing new.
    server.add("/pds", v1.replace(b"__VISIT__", b"2"), headers={"Content-Type": "text/html; charset=utf-8"})
    assert collect_all(config, db)["pds"].outcome == "not_modified"
    # The text changes: a second item that says what changed.
    server.add("/pds", fixture("page_v2.html"), headers={"Content-Type": "text/html; charset=utf-8"})
    third = collect_all(config, db)["pds"]
    assert third.items_new == 1
    latest = rows(db, "select title, summary from items order by fetched_at desc, rowid desc")[0]
    assert latest == {
        "title": "Permanence des soins ambulatoires (page updated)",
        "summary": "1 paragraph added or changed, 1 removed or replaced.\n"
        "New: Le cahier des charges régional a été révisé le 1er décembre 2026 après avis des conseils "
        "départementaux de l'ordre des médecins.\n"
        "Before: Le cahier des charges régional est révisé chaque année après avis des conseils "
        "départementaux de l'ordre des médecins.",
    }
    assert one(db, "select count(*) n from items")["n"] == 2


def test_page_without_text_is_an_error(server, write_config, db):
    server.add("/empty", b"<html><body><div id='app'></div><script>render()</script></body></html>",
               headers={"Content-Type": "text/html"})
    config = write_config([{"id": "spa", "kind": "page", "url": server.url("/empty")}])
    result = collect_all(config, db)["spa"]
    assert result.error == "no main text found on the page (is it built by JavaScript?)"


# --- one line each: `veille sources add`, then collect, search and tags ----------------------

def test_sources_add_one_line_per_kind_then_collect(api, tmp_path, db, monkeypatch):
    monkeypatch.delenv("NCBI_API_KEY", raising=False)
    serve_mastodon(api)
    serve_bluesky(api)
    serve_pubmed(api)
    api.add("/@InstitutPasteur", fixture("youtube_handle_page.html"), headers={"Content-Type": "text/html"})
    api.add("/feeds/videos.xml", fixture("youtube_channel.atom.xml"), headers={"Content-Type": "application/atom+xml"})
    api.add("/pds", fixture("page_v1.html"), headers={"Content-Type": "text/html; charset=utf-8"})
    config = tmp_path / "feeds.yaml"
    config.write_text("sources: []\nsettings:\n" + "".join(f"  {line}\n" for line in settings_for(api).splitlines()))

    def add(*args):
        result = run_cli(config, db, "sources", "add", *args)
        assert result.exit_code == 0, result.output
        return result.output

    assert add("@someone@med-mastodon.com") == (
        "found: mastodon, Dr Someone, 3 items\nadded 'dr-someone' (Dr Someone, mastodon) to " + str(config) + "\n"
    )
    assert "found: bluesky, @santepubliquefr.bsky.social on Bluesky, 2 items" in add("santepubliquefr.bsky.social")
    out = add("https://www.youtube.com/@InstitutPasteur")
    assert "found: youtube, Institut Pasteur, 1 item" in out and "added 'institut-pasteur'" in out
    assert "found: pubmed, PubMed: heart failure[ti], 2 items" in add('pubmed:"heart failure[ti]"')
    assert "found: page, Permanence des soins ambulatoires, 1 item" in add(api.url("/pds"), "--kind", "page")
    sources = {s.id: (s.kind, s.url) for s in load_config(str(config)).sources}
    assert sources == {
        "dr-someone": ("mastodon", "@someone@med-mastodon.com"),
        "santepubliquefr-bsky-social-on-bluesky": ("bluesky", "santepubliquefr.bsky.social"),
        # the handle was looked up once: the channel's stable address is stored
        "institut-pasteur": ("youtube", "https://www.youtube.com/channel/UCQ1bWmiwCgj0_KDpDYdBvNw"),
        "pubmed-heart-failure-ti": ("pubmed", "heart failure[ti]"),
        "permanence-des-soins-ambulatoires": ("page", api.url("/pds")),
    }
    again = run_cli(config, db, "sources", "add", "https://med-mastodon.com/@someone")
    assert again.exit_code == 2 and "already followed as 'dr-someone'" in again.output
    result = run_cli(config, db, "collect")
    assert "5 sources: 9 new items, 0 unchanged, 0 errors" in result.output, result.output
    for word, source in [("ulcere", "dr-someone"), ("bronchiolite", "santepubliquefr-bsky-social-on-bluesky"),
                         ("antibioresistance", "institut-pasteur"), ("cotransporter", "pubmed-heart-failure-ti"),
                         ("garde", "permanence-des-soins-ambulatoires")]:
        hits = rows(db, "select i.source_id from items i join items_fts f on f.rowid = i.rowid where items_fts match ?", (word,))
        assert [h["source_id"] for h in hits] == [source], word
    tagged = rows(db, "select distinct i.source_id from items i join item_specialties s on s.item_id = i.id order by 1")
    assert {"source_id": "pubmed-heart-failure-ti"} in tagged and {"source_id": "dr-someone"} in tagged


def test_sources_add_closed_network_explains_the_bridge(tmp_path, db):
    result = run_cli(tmp_path / "feeds.yaml", db, "sources", "add", "https://x.com/HAS_sante")
    assert result.exit_code == 2
    assert "X (Twitter) gives no open access to accounts without a login" in result.output
    assert "RSS-Bridge" in result.output and "Nitter" in result.output
    assert not (tmp_path / "feeds.yaml").exists()


def test_sources_add_wrong_kind_and_no_check(tmp_path, db):
    config = tmp_path / "feeds.yaml"
    bad = run_cli(config, db, "sources", "add", "https://ansm.sante.fr/", "--kind", "mastodon")
    assert bad.exit_code == 2 and "is not a mastodon address" in bad.output
    ok = run_cli(config, db, "sources", "add", "someone@med-mastodon.com", "--kind", "mastodon", "--no-check",
                 "--replies", "--reposts", "--fulltext")
    assert ok.exit_code == 0, ok.output
    source = load_config(str(config)).sources[0]
    assert (source.kind, source.url, source.fulltext, dict(source.options)) == (
        "mastodon", "@someone@med-mastodon.com", True, {"replies": True, "boosts": True},
    )
