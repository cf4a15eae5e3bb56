"""Web pages without a feed: each fetch extracts the page's main text (trafilatura, in a process
that can be killed) and records a new item when that text changed, with a short account of what
changed. Menus, dates and counters around the text do not count: only the main text is compared.

Address in feeds.yaml: the page's URL, with ``kind: page``.
Settings: ``settings.fulltext`` (timeout, max_bytes, max_memory_mb) apply to the extraction.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from dataclasses import replace
from typing import Any

from veille.errors import ParseError
from veille.fetch import Fetcher
from veille.fulltext import ExtractionFailed, FulltextSettings, extract_killable
from veille.kinds._common import Recognised
from veille.models import Entry, Feed, Fetched, Settings, Source, SourceState
from veille.normalise import cap, clean_text
from veille.parse import loads_json, looks_like_html

SUMMARY_CHARS = 400


def recognise(text: str) -> Recognised | None:
    """``page:URL`` (a plain URL is first tried as a feed or a site with a feed)."""
    text = text.strip()
    if text.lower().startswith("page:"):
        url = text[5:].strip()
        if "://" not in url:
            url = f"https://{url}"
        return Recognised("page", url)
    return None


async def fetch(fetcher: Fetcher, source: Source, state: SourceState, settings: Settings) -> Fetched:
    fetched = await fetcher.fetch(source, state)
    if fetched.error or fetched.body is None:
        return fetched
    if not looks_like_html(fetched.body) and b"<" not in fetched.body[:2048]:
        return replace(fetched, body=None, error="not a web page: the server sent no HTML")
    try:
        extracted = await extract_killable(fetched.body, fetched.url, FulltextSettings.from_settings(settings))
    except ExtractionFailed as e:
        return replace(fetched, body=None, error=f"could not extract the page's main text: {e}")
    if extracted is None:
        return replace(fetched, body=None, error="no main text found on the page (is it built by JavaScript?)")
    text = clean_text(extracted.text, keep_newlines=True)
    document = {"url": fetched.url, "title": extracted.title, "text": text}
    body = json.dumps(document, ensure_ascii=False, sort_keys=True).encode("utf-8")
    # The hash of the extracted text, not of the HTML: an unchanged text is "unchanged".
    return replace(
        fetched, body=body, body_hash=hashlib.sha256(body).hexdigest(),
        headers=(("content-type", "application/json"),),
    )


def what_changed(previous: str, current: str) -> str:
    """A short, plain account of the differences between two versions of a page's text."""
    old = [line for line in previous.split("\n") if line.strip()]
    new = [line for line in current.split("\n") if line.strip()]
    added: list[str] = []
    removed: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag in ("replace", "delete"):
            removed.extend(old[i1:i2])
        if tag in ("replace", "insert"):
            added.extend(new[j1:j2])
    if not added and not removed:
        return "The text changed only in spacing."
    counts = []
    if added:
        counts.append(f"{len(added)} paragraph{'s' if len(added) > 1 else ''} added or changed")
    if removed:
        counts.append(f"{len(removed)} removed or replaced")
    parts = [", ".join(counts).capitalize() + "."]
    if added:
        parts.append("New: " + cap(" / ".join(added), SUMMARY_CHARS))
    if removed:
        parts.append("Before: " + cap(" / ".join(removed), SUMMARY_CHARS // 2))
    return "\n".join(parts)


def parse(body: bytes, *, url: str, options: dict[str, Any], max_items: int = 1000,
          previous: str | None = None) -> Feed:
    """The extracted text (see ``fetch``) -> one entry for this version of the page."""
    try:
        doc = loads_json(body)
    except ValueError as e:
        raise ParseError(f"not an extracted page: {e}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("text"), str):
        raise ParseError("not an extracted page: no text")
    text = doc["text"]
    page_url = str(doc.get("url") or url)
    title = str(doc.get("title") or "").strip() or page_url
    if previous is not None and clean_text(previous, keep_newlines=True) == text:
        return Feed(title=title, link=page_url, lang=None, entries=())
    version = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    if previous is None:
        first, _, rest = text.partition("\n")
        lead = rest if first.strip() == title and rest.strip() else text  # no title twice
        summary = cap(" ".join(lead.split()), SUMMARY_CHARS)
        item_title = title
    else:
        summary = what_changed(previous, text)
        item_title = f"{title} (page updated)"
    entry = Entry(
        guid=f"{page_url}#text-{version}",
        link=page_url,
        title=item_title,
        summary=summary,
        content=text,
        extra=(("page_version", version),),
    )
    return Feed(title=title, link=page_url, lang=None, entries=(entry,))
