"""Every real-world document of ../shared/realfeeds goes through the whole collect path over HTTP.

None crashes the run; well-formed ones yield items with a URL or text; broken ones yield what can
be recovered or a clear error on their own source only."""

from __future__ import annotations

import pytest

from tests.conftest import REALFEEDS
from tests.helpers import rows, run_cli

pytestmark = pytest.mark.skipif(
    not REALFEEDS.is_dir(), reason="../shared/realfeeds is absent (only the project's CI and sessions have it)"
)

# Documents that are not feeds for the `feed` kind (Bluesky API JSON: see the bluesky kind) and
# documents that hold no item at all (described in realfeeds/README.md).
NOT_FEEDS = {"bluesky_getAuthorFeed", "bluesky_getPosts"}
NO_ITEMS = {
    "miniflux_windows-1252-declared-but-utf8.rss.xml",
    "reuters_invalid-truncated.rss.xml",
    "feedparser-illformed_undeclared-namespace.rss.xml",
}
# Broken on purpose and nothing worth keeping: a clear error on that source is the right outcome.
CLEAR_ERROR = {
    "feedparser-illformed_incomplete-cdata.rss.xml": "the feed is damaged at line 6: something comes before "
    "the <?xml …?> line that must open it; no item could be read",
}
CONTENT_TYPES = {".json": "application/feed+json", ".atom.xml": "application/atom+xml", ".rdf.xml": "application/rdf+xml"}


def _documents():
    return sorted(p for p in REALFEEDS.iterdir() if p.suffix in (".xml", ".json"))


def _ctype(name: str) -> str:
    for suffix, ctype in CONTENT_TYPES.items():
        if name.endswith(suffix):
            return ctype
    return "application/rss+xml"


def test_every_real_document_through_collect(server, write_config, tmp_path):
    docs = _documents()
    assert len(docs) >= 30
    sources = []
    for i, path in enumerate(docs):
        url = server.add(f"/{path.name}", path.read_bytes(), headers={"Content-Type": _ctype(path.name)})
        sources.append({"id": f"doc{i:02d}", "name": path.name, "url": url})
    db = tmp_path / "veille.db"
    result = run_cli(write_config(sources), db, "collect")
    assert result.exit_code == 0, result.output
    by_id = {r["id"]: r for r in rows(db, "select id, name, last_error from sources")}
    counts = {r["source_id"]: r["n"] for r in rows(db, "select source_id, count(*) n from item_sources group by source_id")}
    for i, path in enumerate(docs):
        sid, name = f"doc{i:02d}", path.name
        error = by_id[sid]["last_error"]
        if any(name.startswith(prefix) for prefix in NOT_FEEDS):
            assert error and error.startswith("not a feed"), (name, error)
            continue
        if name in CLEAR_ERROR:
            assert error == CLEAR_ERROR[name]
            continue
        if name in NO_ITEMS:
            assert counts.get(sid, 0) == 0
            continue
        assert error is None, (name, error)
        assert counts.get(sid, 0) > 0, name
    bad = rows(db, "select source_id, title, url, summary from items where (url is null or url = '') and title = '' and summary = ''")
    assert bad == []
    # Text is plain: no markup left in what we store.
    leaked = rows(db, "select source_id, title from items where title like '%<script%' or summary like '%<script%' or summary like '%<img %' or summary like '%<p>%'")
    assert leaked == []
    # Encodings decoded right: French and German accents survive, no mojibake.
    titles = " ".join(r["title"] for r in rows(db, "select title from items"))
    assert "Ã©" not in titles and "Ã¨" not in titles
    assert "Perturbateurs endocriniens" in titles  # ISO-8859-1 without declaration
    assert "建国35周年纪念" in titles  # GB2312
    # Dates are UTC ISO and never in the future.
    dates = rows(db, "select published_at, fetched_at from items")
    assert all(d["published_at"].endswith("Z") and d["published_at"] <= d["fetched_at"] for d in dates)


@pytest.mark.parametrize("name", ["mastodon_account_toot-cat_DPSsys.rss.xml", "bluesky_profile_kaedotcom.rss.xml"])
def test_untitled_social_posts_get_a_title_from_their_text(server, write_config, tmp_path, name):
    db = tmp_path / "veille.db"
    url = server.add(f"/{name}", (REALFEEDS / name).read_bytes())
    run_cli(write_config([{"id": "social", "url": url, "tier": "social"}]), db, "collect")
    items = rows(db, "select title, summary, url from items")
    assert items and all(i["title"] for i in items)
    assert all(i["url"].startswith("https://") for i in items)
