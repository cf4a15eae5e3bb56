"""Checking a source before adding it, and finding the feed of a web site."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from urllib.parse import urljoin

from lxml import html as lxml_html

from veille.errors import ConfigError, NotAFeedError, VeilleError
from veille.fetch import Fetcher
from veille.models import Settings, Source
from veille.parse import looks_like_html, parse_document

FEED_TYPES = {
    "application/rss+xml", "application/atom+xml", "application/feed+json", "application/json",
    "application/rdf+xml", "text/xml", "application/xml",
}
COMMON_PATHS = ("/feed", "/rss.xml", "/feed.xml", "/atom.xml", "/rss", "/index.xml", "/feed/")


@dataclass(frozen=True)
class Found:
    url: str
    kind: str
    title: str | None
    count: int


def feed_links(page: bytes, base: str) -> list[tuple[str, str]]:
    """(url, title) of the feeds a page announces with <link rel="alternate">."""
    try:
        doc = lxml_html.fromstring(page)
    except (ValueError, lxml_html.etree.ParserError):
        return []
    out: list[tuple[str, str]] = []
    for link in doc.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").split(";")[0].strip().lower()
        href = link.get("href")
        if "alternate" in rel and kind in FEED_TYPES and href:
            url = urljoin(base, href.strip())
            if url.startswith(("http://", "https://")) and url not in [u for u, _ in out]:
                out.append((url, (link.get("title") or "").strip()))
    return out


async def _check(url: str, settings: Settings) -> Found:
    source = Source(id="check", name="check", url=url)
    async with Fetcher(settings, clients=1) as fetcher:
        fetched = await fetcher.fetch(source)
        if fetched.error:
            raise VeilleError(f"{url}: {fetched.error} (use --no-check to add it anyway)")
        body = fetched.body or b""
        try:
            feed = parse_document(body, url=fetched.url, content_type=fetched.header("content-type"))
            return Found(url=fetched.permanent_url or url, kind="feed", title=feed.title, count=len(feed.entries))
        except NotAFeedError:
            if not looks_like_html(body):
                raise
        # A web page: look for the feeds it announces, then at the usual places.
        candidates = feed_links(body, fetched.url)
        if len(candidates) > 1:
            listing = "\n".join(f"  {u}  {t}" for u, t in candidates)
            raise ConfigError(
                f"{url} announces several feeds; add the one you want:\n{listing}"
            )
        tried = [u for u, _ in candidates] or [urljoin(fetched.url, p) for p in COMMON_PATHS]
        for candidate in tried:
            sub = await fetcher.fetch(Source(id="check", name="check", url=candidate))
            if sub.error or not sub.body:
                continue
            try:
                feed = parse_document(sub.body, url=sub.url, content_type=sub.header("content-type"))
            except VeilleError:
                continue
            return Found(url=sub.permanent_url or candidate, kind="feed", title=feed.title, count=len(feed.entries))
        raise NotAFeedError(
            f"{url} is a web page and no feed was found on it; look for an RSS link on the site, "
            "or use --no-check to add the address anyway"
        )


def check_feed(url: str, config_path: str | None = None) -> Found:
    """Fetch ``url`` once and say what it is; raises a VeilleError with advice when it is no feed."""
    settings = Settings()
    if config_path and os.path.exists(config_path):
        from veille.config import load_config

        settings = load_config(config_path).settings
    return asyncio.run(_check(url, settings))
