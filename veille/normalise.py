"""Entry -> Item: canonical URLs, plain text, UTC dates, language. Pure functions, no I/O."""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from lxml import etree

from veille.models import Entry, Item

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")

ITEM_ID_VERSION = "1"
MAX_TITLE = 500
MAX_SUMMARY = 5_000
MAX_CONTENT = 200_000
MAX_AUTHOR = 200
MAX_GUID = 1_000
MAX_URL = 2_000
MAX_NAME = 120  # a source's display name (a feed's title can be 5,000 characters)

# Query parameters that only track the reader; removing them never changes the page.
TRACKING_PARAMS = frozenset(
    {
        "xtor", "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid",
        "mc_cid", "mc_eid", "_hsenc", "_hsmi", "mkt_tok", "igshid", "ref_src", "ref_url",
        "cmpid", "at_medium", "at_campaign", "at_xtor", "ncid", "sr_share", "vero_id", "oly_anon_id",
        "oly_enc_id", "rss", "utm",
    }
)
TRACKING_PREFIXES = ("utm_", "at_", "pk_", "mtm_", "hsa_", "ga_")
DEFAULT_PORTS = {"http": 80, "https": 443}
SAFE_SCHEMES = ("http", "https")


# --- URLs ------------------------------------------------------------------------------------

def is_tracking_param(name: str) -> bool:
    low = name.lower()
    return low in TRACKING_PARAMS or low.startswith(TRACKING_PREFIXES)


_LINK_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def safe_link(link: str | None, base: str | None = None) -> str | None:
    """Resolve ``link`` against ``base``; return it only if it is an http(s) URL with a host."""
    if not link:
        return None
    link = _LINK_CONTROL.sub("", link.strip())
    if not link:
        return None
    try:
        resolved = urljoin(base, link) if base else link
        parts = urlsplit(resolved)
    except ValueError:
        return None
    if parts.scheme.lower() not in SAFE_SCHEMES or not parts.hostname:
        return None
    return resolved[:MAX_URL]


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, no default port, no fragment, no tracking parameters,
    remaining parameters sorted. Idempotent; the path keeps its case."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if host and not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            pass
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host
    if port is not None and DEFAULT_PORTS.get(scheme) != port:
        netloc = f"{host}:{port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    path = parts.path or "/"
    query_pairs = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not is_tracking_param(k)
    ]
    query = urlencode(sorted(query_pairs), doseq=False)
    return urlunsplit((scheme, netloc, path, query, ""))


def dedup_url(url: str) -> str:
    """The key under which two URLs are the same article, whatever source carried them:
    canonical URL without scheme, ``www.`` or trailing slash."""
    parts = urlsplit(canonical_url(url))
    host = parts.netloc
    if host.startswith("www."):
        host = host[4:]
    path = parts.path.rstrip("/")
    return urlunsplit(("", host, path, parts.query, "")).lstrip("/")


# Paths of a site's home or section fronts: many posts link there, so they identify no article.
_FRONT_PAGES = frozenset(
    "index index.html index.htm index.php home accueil fr en fr-fr en-us news actualites actualite "
    "actus blog presse press articles".split()
)


def identifies_article(url: str) -> bool:
    """Whether a URL can stand for one article: not a bare homepage (``https://agency.org/``) nor
    a section front (``/actualites``, ``/fr/``) without a query. Posts that link to a site's home
    are different items."""
    parts = urlsplit(url)
    path = parts.path.strip("/").lower()
    if parts.query:
        return True
    return bool(path) and path not in _FRONT_PAGES


# --- Text ------------------------------------------------------------------------------------

# Lone surrogates too: JSON can carry them ("\\ud800") and UTF-8 cannot encode them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# Terminal escape sequences (CSI "ESC[31m", OSC "ESC]0;title BEL", two-byte "ESC c") and the
# bidirectional overrides that make a terminal line read differently from what it is.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x9b[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -~]|[\u202a-\u202e\u2066-\u2069]"
)
_SPACE_CHARS = r"[ \t\r\f\v\u00a0\u2000-\u200b\u202f\u205f\u3000]"
# The runs of these that are not already one plain space: replacing every run by a space gives
# the same text, and replacing each single space by itself was most of clean_text's time.
_SPACE_RUNS = re.compile(_SPACE_CHARS.replace("[ ", "[") + _SPACE_CHARS + "*| " + _SPACE_CHARS + "+")
_BLOCK_TAGS = frozenset(
    "p div br li ul ol h1 h2 h3 h4 h5 h6 tr td th blockquote pre section article figure "
    "figcaption header footer table dd dt hr".split()
)
_DROP_TAGS = ("script", "style", "noscript", "template", "head", "title", "iframe", "object")


def clean_text(text: str, *, keep_newlines: bool = False) -> str:
    """Remove NUL and control characters, collapse whitespace."""
    text = _CONTROL.sub("", unicodedata.normalize("NFC", text))
    if keep_newlines:
        text = _SPACE_RUNS.sub(" ", text)
        # Each run of white space with a line break in it becomes one line break: the lines,
        # stripped, the empty ones left out (what ``\s*\n\s*`` -> "\n" and strip() give).
        return "\n".join([line for line in (part.strip() for part in text.split("\n")) if line])
    return " ".join(text.split())


def clean_name(text: str, limit: int = MAX_NAME) -> str:
    """A display name safe for a terminal, YAML and XML: escape sequences and control characters
    removed, whitespace collapsed, capped (a feed's title becomes a source's name)."""
    return cap(clean_text(_ESCAPES.sub("", text)), limit)


def fold_words(text: str) -> str:
    """Lower-case ASCII words separated by single spaces (accents and punctuation dropped): how
    names and labels are compared (drug and place names, specialty labels a user typed)."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return " ".join(_NOT_ALNUM.sub(" ", text).split())


def terminal_safe(text: str) -> str:
    """``text`` with its escape sequences, control characters and carriage returns removed, and
    nothing else changed (line breaks and indentation kept): for messages that quote the web."""
    return _CONTROL.sub("", _ESCAPES.sub("", text)).replace("\r", "")


def html_to_text(fragment: str | None, *, keep_newlines: bool = False) -> str:
    """Plain text of an HTML fragment: no tags, entities decoded, scripts dropped."""
    if not fragment:
        return ""
    if "<" not in fragment:
        return clean_text(html.unescape(fragment), keep_newlines=keep_newlines)
    try:
        root = _fragment(_CONTROL.sub("", fragment))
    except (etree.ParserError, ValueError):
        return _strip_tags(fragment, keep_newlines)
    for el in list(root.iter(*_DROP_TAGS)):
        _drop_tree(el)
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.lower() in _BLOCK_TAGS:
            el.tail = "\n" + (el.tail or "")
    text = clean_text(
        etree.tostring(root, method="text", encoding="unicode", with_tail=False),
        keep_newlines=keep_newlines,
    )
    if not text:
        # libxml2 gives up on absurdly deep nesting (hostile documents); fall back to stripping.
        return _strip_tags(fragment, keep_newlines)
    return text


# lxml.html's parser gives every element a class through a Python lookup, a call per element
# of every summary; the plain parser reads the same tree (its elements have no HTML methods).
_HTML_PARSER = etree.HTMLParser()
_FULL_HTML = re.compile(r"^\s*<(?:html|!doctype)", re.I)


def _fragment(fragment: str) -> etree._Element:
    """``lxml.html.fragment_fromstring(fragment, create_parent="div")``, step by step, with the
    plain parser: the fragment in a body, the body's leading text (unless blank) and elements
    moved into a new ``div``."""
    if not _FULL_HTML.match(fragment):
        fragment = f"<html><body>{fragment}</body></html>"
    doc = etree.fromstring(fragment, _HTML_PARSER)
    if doc is None:
        raise etree.ParserError("Document is empty")
    bodies = [e for e in doc if e.tag == "body"] if doc.tag == "html" else []
    if len(bodies) != 1:
        # A whole document with no body (only a head, a frameset): the caller strips its tags.
        raise etree.ParserError("no single body")
    body = bodies[0]
    root = etree.Element("div")
    if body.text and body.text.strip():
        root.text = body.text
    root.extend(body)
    return root


def _drop_tree(el: etree._Element) -> None:
    """lxml.html's ``drop_tree``: the element goes, its tail joins what came before it."""
    parent = el.getparent()
    assert parent is not None
    if el.tail:
        previous = el.getprevious()
        if previous is None:
            parent.text = (parent.text or "") + el.tail
        else:
            previous.tail = (previous.tail or "") + el.tail
    parent.remove(el)


_SCRIPT = re.compile(r"<(script|style)\b.*?(</\1\s*>|$)", re.I | re.S)
_TAG = re.compile(r"<[^>]*>")


def _strip_tags(fragment: str, keep_newlines: bool) -> str:
    text = _TAG.sub(" ", _SCRIPT.sub(" ", fragment))
    return clean_text(html.unescape(text), keep_newlines=keep_newlines)


def cap(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ", limit - 80)
    return (cut[:space] if space > 0 else cut) + "…"


def derive_title(text: str, limit: int = 120) -> str:
    """A title for items that have none (Mastodon, Bluesky posts): the first sentence, shortened."""
    first = text.split("\n", 1)[0].strip()
    match = re.match(r"(.{20,}?[.!?])(\s|$)", first)
    if match:
        first = match.group(1)
    return cap(first, limit) if first else ""


# --- Dates -----------------------------------------------------------------------------------

def utc_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def item_date(published: datetime | None, fetched_at: datetime) -> datetime:
    """UTC date of an item: missing or future dates (beyond a small clock skew) become the fetch time."""
    if published is None:
        return fetched_at
    if published.tzinfo is None:
        published = published.replace(tzinfo=UTC)
    if published > fetched_at + timedelta(minutes=10) or published.year < 1990:
        return fetched_at
    return published.astimezone(UTC)


# --- Language --------------------------------------------------------------------------------

_FR_WORDS = frozenset(
    "le la les des du de un une et est sont pour dans sur avec par pas que qui au aux ces cette "
    "plus nous vous ils elle son ses leur été être chez entre sans selon après".split()
)
_EN_WORDS = frozenset(
    "the of and to in is are for on with by from that this at as be was were an it its not "
    "have has which their after new study".split()
)


def guess_lang(text: str) -> str | None:
    """'fr' or 'en' from stop-word counts; None when the text says too little."""
    fr, en = _lang_votes(text)
    if fr + en < 2:
        return None
    if fr > en * 1.2:
        return "fr"
    if en > fr * 1.2:
        return "en"
    return None


def _lang_votes(text: str) -> tuple[int, int]:
    words = re.findall(r"[a-zàâçéèêëîïôûùüÿœ']+", text[:2000].lower())
    fr = sum(w in _FR_WORDS for w in words) + sum(w.startswith(("l'", "d'", "qu'")) for w in words)
    return fr, sum(w in _EN_WORDS for w in words)


def item_lang(declared: str | None, text: str) -> str | None:
    """The language of an item: the declared one, unless the text says clearly that it is in
    the other of French and English (an aggregator that declares ``en`` on French items)."""
    if not declared:
        return guess_lang(text)
    primary = declared.split("-")[0].lower()
    fr, en = _lang_votes(text)
    if primary == "en" and fr >= 3 and fr >= 3 * en:
        return "fr"
    if primary == "fr" and en >= 3 and en >= 3 * fr:
        return "en"
    return declared


# --- Entry -> Item ---------------------------------------------------------------------------

def _hash(*parts: str) -> str:
    h = hashlib.sha1(ITEM_ID_VERSION.encode())
    for part in parts:
        h.update(b"\x1f")
        h.update(part.encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def content_hash(title: str, text: str) -> str:
    return _hash("content", " ".join(title.lower().split()), " ".join(text.lower().split()))[:20]


def item_id(source_id: str, guid: str, canonical: str | None) -> str:
    """Stable, content-addressed id: the article's URL when it has one (so the same article from
    several sources is one item), else the source's guid."""
    if canonical and identifies_article(canonical):
        return _hash("url", dedup_url(canonical))[:20]
    return _hash("guid", source_id, guid)[:20]


def normalise(
    entry: Entry,
    *,
    source_id: str,
    base_url: str | None,
    fetched_at: datetime,
    lang: str | None = None,
) -> Item | None:
    """Turn a parsed entry into a storable Item, or None when it has neither text nor link."""
    link = safe_link(entry.link, base_url)
    if not entry.link and entry.guid and entry.guid.startswith(("http://", "https://")):
        # A permalink guid stands in for a missing link, never for an unsafe one.
        link = safe_link(entry.guid, base_url)
    canonical = canonical_url(link) if link else None
    summary = cap(html_to_text(entry.summary, keep_newlines=True), MAX_SUMMARY)
    content = cap(html_to_text(entry.content, keep_newlines=True), MAX_CONTENT)
    if content == summary:
        content = ""
    raw_title = entry.title or ""
    title = html_to_text(raw_title) if entry.title_is_html else clean_text(raw_title)
    if not title:
        title = derive_title(summary or content)
    title = cap(title, MAX_TITLE)
    if not title and not link:
        return None
    chash = content_hash(title, summary or content)
    article_url = canonical if canonical and identifies_article(canonical) else None
    guid = clean_text(entry.guid or "")[:MAX_GUID] or article_url or f"content:{chash}"
    published = item_date(entry.published, fetched_at)
    return Item(
        id=item_id(source_id, guid, canonical),
        source_id=source_id,
        guid=guid,
        url=link,
        canonical_url=canonical,
        title=title,
        summary=summary,
        content=content,
        author=cap(clean_text(entry.author), MAX_AUTHOR) if entry.author else None,
        published_at=utc_iso(published),
        fetched_at=utc_iso(fetched_at),
        lang=item_lang(entry.lang or lang, f"{title} {summary}"),
        content_hash=chash,
        extra=entry.extra,
    )
