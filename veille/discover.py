"""Checking a source before adding it, and finding the feed of a web site.

``check_source`` fetches any kind once (a feed, an account, a channel, a PubMed query, a page)
and says what it found; for a web site it looks for the feeds the site announces with
``<link rel="alternate">``, then at the usual paths, and lists them when there are several."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, replace
from urllib.parse import urljoin

from lxml import html as lxml_html

from veille.errors import ConfigError, NotAFeedError, VeilleError
from veille.fetch import Fetcher
from veille.kinds._common import link_policy
from veille.models import Settings, Source, SourceState
from veille.parse import looks_like_html, parse_document

FEED_TYPES = {
    "application/rss+xml", "application/atom+xml", "application/feed+json", "application/json",
    "application/rdf+xml", "text/xml", "application/xml",
}
COMMON_PATHS = ("/feed", "/rss.xml", "/feed.xml", "/atom.xml", "/rss", "/index.xml", "/feed/")


@dataclass(frozen=True)
class Found:
    url: str  # the address to store (a feed found on a site, a channel id looked up)
    kind: str
    title: str | None
    count: int


def feed_links(page: bytes, base: str) -> list[tuple[str, str]]:
    """(url, title) of the feeds a page announces with <link rel="alternate">."""
    try:
        # Pages that declare no charset are mostly UTF-8 today; lxml would read them as Latin-1.
        doc = lxml_html.fromstring(page.decode("utf-8"))
    except UnicodeDecodeError:
        try:
            doc = lxml_html.fromstring(page)
        except (ValueError, lxml_html.etree.ParserError):
            return []
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


async def _check(url: str, settings: Settings, fetcher: Fetcher | None = None) -> Found:
    if fetcher is None:
        async with Fetcher(settings) as own:
            return await _check(url, settings, own)
    source = Source(id="check", name="check", url=url)
    fetched = await fetcher.fetch(source)
    if fetched.error:
        raise _check_failed(url, fetched.error, settings)
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
    refused = None
    for candidate in tried:
        # The page's links are its author's choice: off the site, public addresses only.
        policy = link_policy(candidate, fetched.url)
        sub = await fetcher.fetch(Source(id="check", name="check", url=candidate), require_public=policy)
        if sub.error and "refused" in sub.error:
            refused = sub.error
        if sub.error or not sub.body:
            continue
        try:
            feed = parse_document(sub.body, url=sub.url, content_type=sub.header("content-type"))
        except VeilleError:
            continue
        return Found(url=sub.permanent_url or candidate, kind="feed", title=feed.title, count=len(feed.entries))
    if refused and candidates:
        raise VeilleError(f"{url} announces a feed that Veille will not follow: {refused}; nothing was added")
    raise NotAFeedError(
        f"{url} is a web page and no feed was found on it; look for an RSS link on the site, "
        "or follow the page's text itself with --kind page (a new item each time it changes)"
    )


async def check_kind(
    kind: str, address: str, settings: Settings, fetcher: Fetcher | None = None,
    options: tuple[tuple[str, object], ...] = (),
) -> Found:
    """Fetch an account, channel, PubMed query or page once, as ``veille collect`` would."""
    from veille.kinds import fetch_source, parse_source
    from veille.kinds.youtube import channel_id_in_page, feed_query

    if fetcher is None:
        async with Fetcher(settings) as own:
            return await check_kind(kind, address, settings, own, options)
    source = Source(id="check", name="check", url=address, kind=kind, options=options)
    if kind == "youtube" and feed_query(address) is None:
        # Look the channel id up once, now, rather than at every collect.
        from veille.kinds._common import setting
        from veille.kinds.youtube import BASE

        base = setting(settings, "youtube", "base_url", BASE)
        path = address.split("youtube.com", 1)[-1] if "youtube.com" in address else "/" + address.lstrip("/")
        page = await fetcher.fetch(source, url=f"{base}{path}")
        channel = channel_id_in_page(page.body or b"") if not page.error else None
        if channel:
            source = replace(source, url=f"{BASE}/channel/{channel}")
    fetched = await fetch_source(fetcher, source, SourceState(id="check"), settings)
    if fetched.error or fetched.body is None:
        raise _check_failed(address, fetched.error or "nothing received", settings, fetched.url)
    feed = parse_source(
        kind, fetched.body, url=fetched.url, content_type=fetched.header("content-type"),
        options=dict(options), max_items=settings.max_items,
    )
    return Found(url=source.url, kind=kind, title=feed.title, count=len(feed.entries))


def _check_failed(address: str, error: str, settings: Settings, url: str | None = None) -> VeilleError:
    from veille.network import offline_hint, proxy_policy

    hint = offline_hint([(url or address, error)], proxy_policy(settings.proxy, settings.no_proxy))
    advice = f"; {hint}" if hint else ""
    return VeilleError(f"{address}: {error}{advice} (use --no-check to add it anyway)")


def _settings(config_path: str | None) -> Settings:
    if config_path and os.path.exists(config_path):
        from veille.config import load_config

        return load_config(config_path).settings
    return Settings()


def check_source(
    kind: str, address: str, config_path: str | None = None, options: tuple[tuple[str, object], ...] = ()
) -> Found:
    """Fetch any source once and say what it is (raises a VeilleError with advice otherwise)."""
    settings = _settings(config_path)
    if kind == "feed":
        return asyncio.run(_check(address, settings))
    return asyncio.run(check_kind(kind, address, settings, options=options))

