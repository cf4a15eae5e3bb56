"""Bytes -> Feed. feedparser for XML feeds (always given bytes, never a URL), a small reader for
JSON Feed. No I/O."""

from __future__ import annotations

import calendar
import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from veille.errors import NotAFeedError, ParseError
from veille.models import Entry, Feed

_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html[\s>]|head[\s>]|body[\s>])", re.I | re.S)
_JSON_START = re.compile(rb"^(\xef\xbb\xbf)?\s*[\[{]")
_BOM = b"\xef\xbb\xbf"


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_REF = re.compile(
    rb"&#(?:[xX]0*[dD][89a-fA-F][0-9a-fA-F]{2}|0*(?:5529[6-9]|55[3-9][0-9]{2}|56[0-9]{3}|57[0-2][0-9]{2}"
    rb"|573[0-3][0-9]|5734[0-3]));"
)


def loads_json(body: bytes) -> Any:
    """``json.loads`` of a UTF-8 document, with lone surrogates ("\\ud800", which JSON allows and
    UTF-8 cannot encode) replaced by U+FFFD, in keys and values alike. Raises ValueError."""
    doc = json.loads(body.decode("utf-8-sig", errors="replace"))
    if _SURROGATE_ESCAPE.search(body):  # pairs were joined by json.loads
        doc = _without_surrogates(doc)
    return doc


def _without_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_without_surrogates(k): _without_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_surrogates(v) for v in value]
    return value


def json_document(body: bytes, what: str) -> Any:
    """Decode a JSON answer; a ParseError saying it is ``not {what}`` when it is not JSON."""
    try:
        return loads_json(body)
    except ValueError as e:
        raise ParseError(f"not {what}: invalid JSON ({e})") from None


def xml_root(body: bytes) -> Any:
    """The root element of a possibly broken XML document, or None: lxml's recovering parser
    with entities, network access and huge trees all refused (XXE, billion laughs)."""
    from lxml import etree

    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
    try:
        return etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError:
        return None


def looks_like_html(body: bytes) -> bool:
    return bool(_HTML_START.match(body[:4096]))


def parse_document(body: bytes, *, url: str, content_type: str | None = None, max_items: int = 1000) -> Feed:
    """Parse a fetched document. Raises NotAFeedError for HTML pages and empty bodies,
    ParseError when nothing at all can be read."""
    if not body or not body.strip(b" \t\r\n\x00" + _BOM):
        raise NotAFeedError("not a feed: the server sent an empty response")
    ctype = (content_type or "").split(";", 1)[0].strip().lower()
    if _JSON_START.match(body[:64]) or ctype in ("application/feed+json", "application/json"):
        return parse_json_feed(body, url=url, max_items=max_items)
    if looks_like_html(body):
        raise NotAFeedError(
            "not a feed: the server sent an HTML page instead of a feed (often a bot check or a "
            "login wall; some sites, such as HAS, do this to automated clients). Open the URL "
            "in a browser to check it"
        )
    return parse_xml_feed(body, url=url, content_type=content_type, max_items=max_items)


def _struct_to_datetime(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (OverflowError, ValueError, TypeError):
        return None


_SLASH_DATE = re.compile(r"^\s*\d{4}/\d{1,2}/\d{1,2}\b")


def _entry_date(entry: Any) -> datetime | None:
    for key in ("published", "updated"):
        raw = entry.get(key)
        # feedparser reads '2020/1/10 14:33:00' (seen in Chinese CMS feeds) as 1 November,
        # and epoch numbers in dc:date (seen in a Feedjira sample) as arbitrary dates.
        if isinstance(raw, str) and (_SLASH_DATE.match(raw) or raw.strip().isdigit()):
            return parse_date(raw)
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        moment = _struct_to_datetime(entry.get(key))
        if moment is not None:
            return moment
    for key in ("published", "updated", "dc_date"):
        raw = entry.get(key)
        if isinstance(raw, str):
            moment = parse_date(raw)
            if moment is not None:
                return moment
    return None


def parse_date(raw: str) -> datetime | None:
    """Dates feedparser misses: epoch numbers, '2020/1/10 14:33:00', ISO with or without zone."""
    raw = raw.strip()
    if not raw:
        return None
    if raw.isdigit() and 9 <= len(raw) <= 11:
        try:
            return datetime.fromtimestamp(int(raw), UTC)
        except (OverflowError, ValueError):
            return None
    try:
        moment = datetime.fromisoformat(raw.replace("/", "-").replace(" Z", "+00:00"))
    except ValueError:
        try:
            moment = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            m = re.match(r"^(\d{4})[/-](\d{1,2})[/-](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?", raw)
            if not m:
                return None
            y, mo, d, h, mi, sec = (int(p) if p else 0 for p in m.groups())
            try:
                moment = datetime(y, mo, d, h, mi, sec)
            except ValueError:
                return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _lang(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    code = value.strip().split("-", 1)[0].split("_", 1)[0].lower()
    return code if re.fullmatch(r"[a-z]{2,3}", code) else None


def parse_xml_feed(
    body: bytes, *, url: str, content_type: str | None = None, max_items: int = 1000, fast: bool = True
) -> Feed:
    """RSS, Atom or RDF: fastfeedparser first, feedparser when the fast one fails or is wrong
    (``veille.parse_fast.fallback_reason``); ``fast=False`` goes straight to feedparser (kinds
    that read feedparser's extension fields)."""
    if not isinstance(body, bytes):  # a str would be taken for a URL or a path
        raise TypeError("parse_xml_feed takes bytes")
    if not fast:
        return parse_with_feedparser(body, url=url, content_type=content_type, max_items=max_items)
    from veille.parse_fast import fallback_reason, fast_parse

    feed: Feed | None = None
    error: Exception | None = None
    try:
        feed = fast_parse(body, max_items=max_items)
    except Exception as e:  # noqa: BLE001 - any failure of the fast parser means: use feedparser
        error = e
    reason = fallback_reason(body, feed, error, max_items=max_items)
    if reason is None and feed is not None:
        return feed
    slow = parse_with_feedparser(body, url=url, content_type=content_type, max_items=max_items)
    return replace(slow, parser=f"feedparser ({reason})")


def parse_with_feedparser(
    body: bytes, *, url: str, content_type: str | None = None, max_items: int = 1000
) -> Feed:
    if not isinstance(body, bytes):  # a str would be taken for a URL or a path
        raise TypeError("parse_with_feedparser takes bytes")
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    import feedparser  # imported when needed: it costs ~0.1 s at start-up

    # Sanitising and URI resolution are feedparser's costliest steps; we store plain text and
    # resolve links ourselves, so both are off (PERFORMANCE-NOTES: about 2x faster).
    if _SURROGATE_REF.search(body):
        # feedparser's loose parser raises UnicodeEncodeError on "&#xD800;" (a lone surrogate).
        body = _SURROGATE_REF.sub(b"&#xFFFD;", body)
    parsed = feedparser.parse(
        body, response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )
    version = parsed.get("version") or ""
    if not version and not parsed.entries:
        reason = parsed.get("bozo_exception")
        detail = f" ({' '.join(str(reason).split())[:160]})" if reason else ""
        raise ParseError(f"not a feed: the document is not RSS, Atom or JSON Feed{detail}")
    damage = None
    if parsed.get("bozo"):
        exc = parsed.get("bozo_exception")
        if exc is not None and not isinstance(
            exc, (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
        ):
            damage = describe_damage(exc)
    meta = parsed.get("feed", {})
    feed_lang = _lang(meta.get("language"))
    entries = []
    for raw in parsed.entries[:max_items]:
        title_detail = raw.get("title_detail") or {}
        content = None
        contents = raw.get("content") or []
        if contents:
            content = max((c.get("value") or "" for c in contents), key=len) or None
        summary = raw.get("summary")
        if not summary:
            media = raw.get("media_description") if isinstance(raw.get("media_description"), str) else None
            summary = media
        extra: list[tuple[str, str]] = []
        for key in ("yt_videoid", "yt_channelid", "dc_identifier", "prism_doi"):
            if isinstance(raw.get(key), str):
                extra.append((key, raw[key]))
        entries.append(
            Entry(
                guid=_text(raw.get("id")),
                link=_text(raw.get("link")),
                title=_text(raw.get("title")),
                title_is_html="html" in (title_detail.get("type") or ""),
                summary=_text(summary),
                content=_text(content),
                author=_text(raw.get("author")),
                published=_entry_date(raw),
                lang=_lang((raw.get("title_detail") or {}).get("language")) if raw.get("title_detail") else None,
                extra=tuple(extra),
            )
        )
    return Feed(
        title=_text(meta.get("title")),
        link=_text(meta.get("link")),
        lang=feed_lang,
        entries=tuple(entries),
        warning=damage_warning(damage, len(entries)) if damage else None,
        parser="feedparser",
    )


DAMAGED = "the feed is damaged"
# What expat's messages mean, for a user who is not an XML parser.
_XML_PROBLEMS = (
    ("no element found", "it ends too early, as if cut short"),
    ("unclosed token", "it ends too early, as if cut short"),
    ("mismatched tag", "a tag is closed in the wrong place"),
    ("undefined entity", "an unknown named character such as &nbsp;"),
    ("not well-formed", "a character that XML does not allow there (often a bare & or <)"),
    ("junk after document element", "text after the end of the feed"),
    ("unbound prefix", "an undeclared namespace prefix"),
    ("duplicate attribute", "an attribute given twice"),
    ("syntax error", "text that is not XML"),
    ("declaration not at start", "something comes before the <?xml …?> line that must open it"),
)


def describe_damage(exc: BaseException) -> str:
    """``the feed is damaged at line 3: a character that XML does not allow …`` from a parser
    exception (``<unknown>:3:231: not well-formed (invalid token)``)."""
    get_line = getattr(exc, "getLineNumber", None)
    get_message = getattr(exc, "getMessage", None)
    line = get_line() if callable(get_line) else None
    message = str(get_message() if callable(get_message) else exc)
    plain = next((p for key, p in _XML_PROBLEMS if key in message), None)
    if plain is None:
        plain = " ".join(message.split())[:160] or type(exc).__name__
    where = f" at line {line}" if isinstance(line, int) and line > 0 else ""
    return f"{DAMAGED}{where}: {plain}"


def damage_warning(damage: str, kept: int) -> str:
    """The warning of a damaged document from which ``kept`` entries were read."""
    if not kept:
        return f"{damage}; no item could be read"
    return f"{damage}; kept the {kept} {'item' if kept == 1 else 'items'} that could be read"


def parse_json_feed(body: bytes, *, url: str, max_items: int = 1000) -> Feed:
    """JSON Feed 1.0/1.1, tolerant of wrong types (a field of the wrong type is ignored)."""
    doc = json_document(body, "a feed")
    if not isinstance(doc, dict) or "jsonfeed.org" not in str(doc.get("version", "")):
        hint = ""
        if isinstance(doc, dict) and isinstance(doc.get("feed") or doc.get("posts"), list):
            hint = " (it looks like a Bluesky API answer: add the account itself, e.g. `veille sources add name.bsky.social`)"
        raise ParseError(f"not a feed: JSON document that is not a JSON Feed{hint}")
    feed_lang = _lang(doc.get("language"))
    entries = []
    items = doc.get("items")
    for raw in items[:max_items] if isinstance(items, list) else []:
        if not isinstance(raw, dict):
            continue
        guid = raw.get("id")
        guid = str(guid) if isinstance(guid, (str, int)) and not isinstance(guid, bool) else None
        authors: list[Any] = raw["authors"] if isinstance(raw.get("authors"), list) else []
        if not authors and isinstance(raw.get("author"), dict):
            authors = [raw["author"]]
        names = [str(a["name"]) for a in authors if isinstance(a, dict) and isinstance(a.get("name"), str)]
        content = _text(raw.get("content_html")) or _text(raw.get("content_text"))
        published = None
        for key in ("date_published", "date_modified"):
            if isinstance(raw.get(key), str):
                published = parse_date(raw[key])
                if published:
                    break
        entries.append(
            Entry(
                guid=guid,
                link=_text(raw.get("url")) or _text(raw.get("external_url")),
                title=_text(raw.get("title")),
                title_is_html=False,
                summary=_text(raw.get("summary")),
                content=content,
                author=", ".join(names) or None,
                published=published,
                lang=_lang(raw.get("language")),
            )
        )
    return Feed(
        title=_text(doc.get("title")),
        link=_text(doc.get("home_page_url")),
        lang=feed_lang,
        entries=tuple(entries),
    )
