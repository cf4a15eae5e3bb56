"""fastfeedparser first, feedparser as the fallback: conformance over ../shared/realfeeds.

Every XML document of the corpus is read by both parsers and compared item by item (titles,
links, dates, guids after normalise, and the extension fields Veille keeps). The test pins the
whole list of differences, and checks that the fallback triggers on exactly the documents where
fastfeedparser fails or is wrong. `python -m tests.parser_diff` prints the list.
"""

from __future__ import annotations

import pytest

from tests.parser_diff import REALFEEDS, compare, documents
from veille.parse import parse_document, parse_xml_feed
from veille.parse_fast import fallback_reason, fast_parse

needs_corpus = pytest.mark.skipif(
    not REALFEEDS.is_dir(), reason="../shared/realfeeds is absent (only the project's CI and sessions have it)"
)

# Where fastfeedparser fails or is wrong, and what veille.parse_fast says about it.
FALLBACK = {
    "biorxiv_genomics_rdf-1.0_cdata.rdf.xml": "the document uses dc:identifier",  # DOI lost
    "biorxiv_plant-biology_rdf-1.0_no-prolog.rdf.xml": "the document uses dc:identifier",
    "cercle-psy_fr_iso-8859-1_no-prolog.rss.xml": "fastfeedparser decoded the document with the wrong encoding",
    "feedparser-illformed_incomplete-cdata.rss.xml": "the document ends inside an entry",
    "heise_rdf-0.9.rdf.xml": "fastfeedparser read 0 of 60 entries",
    # <guid><![CDATA[1559104147038]]></guid>: feedparser resolves it against the document's
    # address as a relative permalink, fastfeedparser keeps it as given; guids are part of an
    # item's identity, so the document stays with feedparser.
    "livemint_cdata-links_media.rss.xml": "RSS guids that feedparser resolves",
    # Not well-formed: fastfeedparser recovers silently, feedparser says where the feed is
    # damaged (and on the first, takes the dc:date epoch over the valid pubDate).
    "feedparser-illformed_undeclared-namespace.rss.xml": "the document is not well-formed",
    "invalid-dcdate-epoch.rss.xml": "the document is not well-formed",
    "reuters_invalid-truncated.rss.xml": "the document is not well-formed",
    "miniflux_invalid-encoding-prolog.atom.xml": "fastfeedparser failed (ValueError",
    "youtube_channel_google_leading-newline.atom.xml": "the document uses yt:videoid",  # video ids lost
    "youtube_channel_pbs-spacetime.atom.xml": "the document uses yt:videoid",
}
# Differences where fastfeedparser is right and is kept (none left in the corpus).
ACCEPTED: dict[str, set[str]] = {
}


def _matches(differences: tuple[str, ...], accepted: set[str]) -> bool:
    return all(any(d.startswith(a) for a in accepted) for d in differences) and all(
        any(d.startswith(a) for d in differences) for a in accepted
    )


@needs_corpus
@pytest.mark.parametrize("path", documents() if REALFEEDS.is_dir() else [], ids=lambda p: p.name)
def test_fast_parser_against_feedparser(path):
    c = compare(path.read_bytes(), path.name)
    listing = "\n".join(c.differences)
    if path.name in FALLBACK:
        # The fallback triggers, and fastfeedparser's result there really is wrong or missing.
        assert c.fallback is not None and c.fallback.startswith(FALLBACK[path.name]), (c.fallback, listing)
        assert c.differences, f"{path.name}: the fallback triggers, yet both parsers agree"
        assert parse_xml_feed(path.read_bytes(), url="http://127.0.0.1/").parser.startswith("feedparser (")
    else:
        assert c.fallback is None, (c.fallback, listing)
        assert _matches(c.differences, ACCEPTED.get(path.name, set())), listing
        assert parse_xml_feed(path.read_bytes(), url="http://127.0.0.1/").parser == "fastfeedparser"


@needs_corpus
def test_every_expected_document_is_in_the_corpus():
    names = {p.name for p in documents()}
    assert set(FALLBACK) | set(ACCEPTED) <= names
    assert len(names) >= 25


@needs_corpus
def test_bare_ampersand_in_a_french_feed():
    """No document of the corpus has a bare '&': a copy of Le Monde's feed edited in memory."""
    body = (REALFEEDS / "lemonde_international_fr_rss_full_cdata.rss.xml").read_bytes()
    title = body.index(b"<title>", body.index(b"<item>")) + len(b"<title>")
    broken = body[:title] + b"Sant\xc3\xa9 & soins : " + body[title:]
    feed = parse_document(broken, url="https://www.lemonde.fr/international/rss_full.xml")
    assert len(feed.entries) == 20
    assert "Santé & soins" in (feed.entries[0].title or "")


def test_fast_parser_never_takes_a_url():
    with pytest.raises(TypeError):
        fast_parse("https://example.org/feed.xml")  # type: ignore[arg-type]


def test_fallback_decisions_on_small_documents():
    ok = b'<rss version="2.0"><channel><title>t</title><item><title>a</title><link>https://e.org/a</link></item></channel></rss>'
    assert fallback_reason(ok, fast_parse(ok), None) is None
    # An entry in CDATA is quoted HTML, not an entry.
    quoted = ok.replace(b"<title>a</title>", b"<title>a</title><description><![CDATA[<item>x</item>]]></description>")
    assert fallback_reason(quoted, fast_parse(quoted), None) is None
    truncated = ok.replace(b"</channel></rss>", b"<item><title>b")
    assert "ends inside an entry" in (fallback_reason(truncated, fast_parse(truncated), None) or "")
    assert "failed" in (fallback_reason(b"{}", None, ValueError("not XML")) or "")
    mojibake = ok.replace(b"<title>a</title>", "<title>Ã©pidémie</title>".encode())
    assert "mis-decoded" in (fallback_reason(mojibake, fast_parse(mojibake), None) or "")
    more = ok.replace(b"</channel>", b"<item><title>b</title></item><item><title>c</title></item></channel>")
    assert fallback_reason(more, fast_parse(more), None) is None
    assert "read 1 of 3" in (fallback_reason(more, fast_parse(ok), None) or "")
    # max_items caps what is expected as well as what is read.
    assert fallback_reason(more, fast_parse(more, max_items=2), None, max_items=2) is None


def test_fast_parser_keeps_markup_for_normalise_to_strip():
    """fastfeedparser does not clean HTML: normalise's text extraction is the safety net."""
    from datetime import UTC, datetime

    from veille.normalise import normalise

    body = (
        b'<rss version="2.0"><channel><title>t</title><item><title>Alerte &lt;script&gt;x()&lt;/script&gt;</title>'
        b'<link>javascript:alert(1)</link><guid isPermaLink="false">g1</guid>'
        b'<description>&lt;p onclick="x()"&gt;Texte&lt;/p&gt;&lt;script&gt;steal()&lt;/script&gt;</description>'
        b"</item></channel></rss>"
    )
    feed = parse_xml_feed(body, url="https://example.org/feed.xml")
    assert feed.parser == "fastfeedparser"
    item = normalise(feed.entries[0], source_id="s", base_url="https://example.org/", fetched_at=datetime.now(UTC))
    assert item is not None
    assert item.url is None  # javascript: links are dropped
    # An escaped title is text (stored as written, shown escaped), as feedparser read it.
    assert item.title == "Alerte <script>x()</script>"
    assert "script" not in item.summary and "onclick" not in item.summary
    assert item.summary == "Texte"


def test_no_date_taken_out_of_a_guid():
    """fastfeedparser reads 'h1' as 1 January of the current year; an undated item has no date."""
    body = (
        b'<rss version="2.0"><channel><title>t</title>'
        b"<item><title>a</title><link>https://e.org/a</link><guid>h1</guid></item>"
        b"<item><title>b</title><link>https://e.org/b</link><guid>h2</guid>"
        b"<pubDate>Tue, 01 Dec 2026 10:00:00 +0100</pubDate></item></channel></rss>"
    )
    feed = fast_parse(body)
    assert feed.entries[0].published is None
    assert feed.entries[1].published is not None and feed.entries[1].published.isoformat() == "2026-12-01T09:00:00+00:00"


def test_the_document_outside_cdata_is_what_the_cdata_pattern_leaves():
    from veille.parse_fast import _CDATA, _outside_cdata

    for body in [b"", b"<a/>", b"<![CDATA[x]]>", b"a<![CDATA[<b>]]>c<![CDATA[d]]]>e", b"a<![CDATA[never closed",
                 b"<![CDATA[]]>]]><![CDATA[", b"x<![CDATA[<![CDATA[y]]>z]]>", b"<![CDATA[a]]]]><![CDATA[>]]>"]:
        assert _outside_cdata(body) == _CDATA.sub(b"", body), body
