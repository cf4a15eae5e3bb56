"""The fast XML feed parser (fastfeedparser, lxml and a Rust core) and when not to trust it.

feedparser costs 10-25 ms for a 20-item feed, fastfeedparser under 1 ms (PERFORMANCE-NOTES), and
on a first collect the parser is nearly the whole cost. fastfeedparser reads the documents we
meet; the few it gets wrong or cannot read go to feedparser, and ``fallback_reason`` (pure) says
which: the conformance test over ../shared/realfeeds checks that it names exactly those.

fastfeedparser does not clean HTML (``<script>`` and ``onclick=`` pass through): normalise's own
text extraction is the safety net, as it is for feedparser (which runs with sanitising off).
It is only ever given bytes: given a str starting with ``http`` it would fetch it itself.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from veille.models import Entry, Feed
from veille.parse import _lang, _text  # the same field rules as feedparser's path

# Start tags of entries: RSS/RDF <item>, Atom <entry>, with or without a namespace prefix. The
# prefix's name is possessive (``*+``; ':' is not a name character): at every other tag
# ("<description>") the patterns below gave the name back one character at a time.
_ENTRY_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*+:)?(?:item|entry)[\s/>]")
_ENTRY_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*+:)?(?:item|entry)\s*>")
# The document's language: RSS <language>/<dc:language> or the root's xml:lang, before the first
# entry (fastfeedparser does not report it for RSS).
_LANGUAGE = re.compile(rb"<(?:dc:)?language>\s*([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]+)?)\s*</(?:dc:)?language>|xml:lang=[\"']([A-Za-z]{2,3})")
# '&' that starts no entity or character reference: lxml's recovering parser drops it.
_BARE_AMP = re.compile(rb"&(?![A-Za-z][A-Za-z0-9._-]*;|#[0-9]+;|#[xX][0-9A-Fa-f]+;)")
# Date elements of entries (and of the feed): when every entry can have had one, no date came
# from a guid, and the costly check (dateparser, ~0.6 ms a guid) is skipped.
_DATE_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*+:)?(?:pubDate|date|published|updated|issued|modified|created)[\s>]")
# RSS guids: feedparser resolves one that is not an absolute URL against the document's address
# unless isPermaLink="false" (<guid><![CDATA[1559104147038]]></guid> in Livemint's feed).
_GUID = re.compile(rb"<guid(\s[^>]*)?>\s*(?:<!\[CDATA\[)?\s*([^<\]\s]*)")
_NOT_PERMALINK = re.compile(rb"""ispermalink\s*=\s*["']false["']""", re.I)
# Entry ids: fastfeedparser makes the link an entry's id when it has none; feedparser does not.
_ID_TAG = re.compile(rb"<(?:guid|(?:[A-Za-z_][\w.-]*+:)?id)[\s>]")
_CDATA = re.compile(rb"<!\[CDATA\[.*?\]\]>", re.S)
# Extension elements the feed kind keeps in Item.extra (DOIs of bioRxiv/medRxiv, YouTube ids)
# and that fastfeedparser does not expose: feedparser reads those documents.
_EXTENSIONS = (b"dc:identifier", b"prism:doi", b"yt:videoid", b"yt:channelid")
# Atom titles declared as HTML (Google Alerts, HAS); RSS titles are text, as feedparser reads them.
_HTML_TITLE = re.compile(rb"<(?:[A-Za-z_][\w.-]*+:)?title\s[^>]*type\s*=\s*[\"'](?:html|xhtml|text/html)[\"']")
# Byte sequences of UTF-8 text decoded as Latin-1/Windows-1252 ('Ã©' for 'é').
_MOJIBAKE = re.compile("[\u00c2\u00c3][\u0080-\u00bf\u2018-\u203a\u20ac\u0152\u0153\u0160\u0161\u0178\u017d\u017e]")


def _outside_cdata(body: bytes) -> bytes:
    """The document without its CDATA sections (HTML quoted there may contain anything)."""
    # What _CDATA.sub(b"", body) gives, found with bytes.find (the lazy pattern walked each
    # section a byte at a time).
    start = body.find(b"<![CDATA[")
    if start < 0:
        return body
    parts = []
    at = 0
    while start >= 0:
        end = body.find(b"]]>", start + 9)
        if end < 0:
            break
        parts.append(body[at:start])
        at = end + 3
        start = body.find(b"<![CDATA[", at)
    parts.append(body[at:])
    return b"".join(parts)


def entry_tags(body: bytes) -> tuple[int, int]:
    """How many entry start and end tags the document has, outside CDATA sections."""
    body = _outside_cdata(body)
    return len(_ENTRY_TAG.findall(body)), len(_ENTRY_END.findall(body))


def document_lang(body: bytes) -> str | None:
    """The language a document declares before its first entry (``fr-FR`` -> ``fr``)."""
    head = body[:8192]
    first = _ENTRY_TAG.search(head)
    m = _LANGUAGE.search(head[: first.start()] if first else head)
    if not m:
        return None
    return _lang((m.group(1) or m.group(2)).decode("ascii"))


def fast_parse(body: bytes, *, max_items: int = 1000) -> Feed:
    """Parse with fastfeedparser; raises whatever it raises (ValueError for most documents it
    cannot read, sometimes KeyError or TypeError)."""
    if not isinstance(body, bytes):  # a str would be taken for a URL
        raise TypeError("fast_parse takes bytes")
    import fastfeedparser

    parsed = fastfeedparser.parse(body, include_tags=False, include_media=False, include_enclosures=False)
    meta = parsed.get("feed") or {}
    html_titles = bool(_HTML_TITLE.search(body))
    raws = (parsed.get("entries") or [])[:max_items]
    first = _ENTRY_TAG.search(body)
    undated = bool(raws) and len(_DATE_TAG.findall(body, first.start() if first else 0)) < len(raws)
    without_ids = bool(raws) and len(_ID_TAG.findall(body, first.start() if first else 0)) < len(raws)
    entries = [_entry(raw, html_titles, undated, without_ids) for raw in raws]
    return Feed(
        title=_text(meta.get("title")),
        link=_text(meta.get("link")),
        lang=_lang(meta.get("language")) or document_lang(body),
        entries=tuple(entries),
        parser="fastfeedparser",
    )


def fallback_reason(body: bytes, feed: Feed | None, error: BaseException | None, *, max_items: int = 1000) -> str | None:
    """Why feedparser must read this document instead (None: fastfeedparser's result stands).

    - fastfeedparser failed (an unknown namespace, an encoding it refuses, a JSON shape);
    - it found fewer entries than the document has entry tags (RSS 0.9 of heise.de: none);
    - the document ends inside an entry (a truncated answer): lxml's recovery turns the debris
      into an entry (``<![CD`` became a title), feedparser keeps the complete entries only;
    - a bare ``&`` (not well-formed XML): lxml's recovery drops it, feedparser keeps it;
    - relative links under ``xml:base`` (Drupal, HAS's Atom): fastfeedparser ignores the base;
    - RSS guids that are relative permalinks, which feedparser resolves (guids are part of
      the stored items' identity: the same item must keep its guid whichever parser reads it);
    - the document carries extensions we keep and fastfeedparser drops (DOIs, YouTube ids);
    - the document is not well-formed (an undeclared prefix, a missing end): fastfeedparser's
      recovery says nothing, feedparser's warning says where the feed is damaged;
    - its text has U+FFFD replacement characters the bytes do not have (Latin-1 without an
      XML declaration, read as UTF-8: Le Cercle Psy) or shows UTF-8 decoded as Latin-1;
      feedparser's encoding detection gets both right.
    """
    if error is not None:
        detail = " ".join(str(error).split())[:120]
        return f"fastfeedparser failed ({type(error).__name__}: {detail})"
    assert feed is not None
    markup = _outside_cdata(body)
    starts, ends = len(_ENTRY_TAG.findall(markup)), len(_ENTRY_END.findall(markup))
    expected = min(starts, max_items)
    if len(feed.entries) < expected:
        return f"fastfeedparser read {len(feed.entries)} of {expected} entries"
    if starts > ends:
        return "the document ends inside an entry (truncated)"
    for attrs, value in _GUID.findall(body):
        if value and not _NOT_PERMALINK.search(attrs or b"") and not value.lower().startswith((b"http://", b"https://")):
            # Kept as feedparser made them: guids are part of stored items' identity.
            return "RSS guids that feedparser resolves as relative permalinks"
    if _BARE_AMP.search(markup):
        return "the document has a bare '&' (not well-formed), which fastfeedparser drops"
    if b"xml:base" in body and any(
        e.link and not e.link.lower().startswith(("http://", "https://")) for e in feed.entries
    ):
        return "relative links under xml:base, which fastfeedparser does not apply"
    head = body.lower()
    for marker in _EXTENSIONS:
        if marker in head:
            return f"the document uses {marker.decode()}, which fastfeedparser does not expose"
    texts = [feed.title or ""] + [f"{e.title or ''} {e.summary or ''}" for e in feed.entries[:50]]
    if any("\ufffd" in t for t in texts) and b"\xef\xbf\xbd" not in body:
        return "fastfeedparser decoded the document with the wrong encoding (U+FFFD in its text)"
    if any(("\u00c2" in t or "\u00c3" in t) and _MOJIBAKE.search(t) for t in texts):
        return "fastfeedparser's text looks like mis-decoded UTF-8"
    if not well_formed(body):
        return "the document is not well-formed XML (feedparser says where it is damaged)"
    return None


def well_formed(body: bytes) -> bool:
    """Whether lxml's strict parser accepts the document (entities never expanded, no network).
    About the cost of fastfeedparser's own parse, a small share of a document's processing."""
    from lxml import etree

    parser = etree.XMLParser(recover=False, resolve_entities=False, no_network=True, huge_tree=False)
    try:
        etree.fromstring(body, parser=parser)
    except (etree.XMLSyntaxError, ValueError):
        return False
    return True


def _entry(raw: Any, html_titles: bool, undated: bool = True, without_ids: bool = True) -> Entry:
    title = _text(raw.get("title"))
    contents = raw.get("content") or []
    content = None
    if isinstance(contents, list) and contents:
        content = max((str(c.get("value") or "") for c in contents if isinstance(c, dict)), key=len, default="") or None
    published = _date(raw.get("published")) or _date(raw.get("updated"))
    guid = _text(raw.get("id"))
    if undated and published is not None and guid and _guid_date(guid) == raw.get("published"):
        # fastfeedparser's last resort reads a date out of the guid: 'h1' became 1 January of
        # the current year. feedparser never did; an item without a date gets its fetch time.
        # Checked only when the document has fewer date elements than entries.
        published = None
    link = _text(raw.get("link"))
    if without_ids and guid is not None and guid == link:
        # An id made from the link (two posts linking to the same home page would be one item);
        # normalise derives the guid as it did with feedparser.
        guid = None
    if link is None:
        # .NET SyndicationFeed (the WHO's generator) puts the link in a10:link only.
        for candidate in raw.get("links") or []:
            if isinstance(candidate, dict) and candidate.get("rel") in (None, "alternate") and _text(candidate.get("href")):
                link = candidate["href"]
                break
    summary = _text(raw.get("description"))
    if content is not None and content == summary:
        content = None  # fastfeedparser copies an RSS description into content as well
    return Entry(
        guid=guid,
        link=link,
        title=title,
        title_is_html=html_titles or _looks_like_html(title),
        summary=summary,
        content=_text(content),
        author=_text(raw.get("author")),
        published=published,
        lang=None,
    )


def _looks_like_html(title: str | None) -> bool:
    """fastfeedparser does not say whether a title is HTML; feedparser's rule decides, as before:
    HTML when it has a closing tag or an entity and only harmless tags ('<span>₹</span>' in
    Livemint's CDATA titles is HTML; an escaped '<script>' is text, kept as the publisher wrote)."""
    if not title or ("<" not in title and "&" not in title):
        return False
    from feedparser.mixin import _FeedParserMixin  # only for the rare titles with markup

    return bool(_FeedParserMixin.looks_like_html(title))


def _guid_date(guid: str) -> str | None:
    if guid.startswith(("http://", "https://")):
        return None
    from fastfeedparser.main import _parse_date  # the function fastfeedparser applies to guids

    try:
        found = _parse_date(guid)
        return found if isinstance(found, str) else None
    except Exception:  # noqa: BLE001 - whatever it makes of a guid, it is not a date we keep
        return None


def _date(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


