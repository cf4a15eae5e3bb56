"""YouTube channels through their Atom feed (``/feeds/videos.xml?channel_id=UC…``).

Address in feeds.yaml: ``https://www.youtube.com/channel/UC…`` (what ``sources add`` stores), a
bare channel id, ``https://www.youtube.com/@handle`` (the channel id is looked up on the handle's
page at each fetch; ``sources add`` does it once), ``…/user/NAME`` or ``…/playlist?list=…``.
The description comes from ``media:group/media:description``.
Settings: ``settings.youtube.base_url`` (default https://www.youtube.com).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from veille.fetch import Fetcher
from veille.kinds._common import Recognised, failed, fetch_document, setting
from veille.models import Feed, Fetched, Settings, Source, SourceState
from veille.parse import parse_xml_feed

BASE = "https://www.youtube.com"
HOSTS = ("youtube.com", "www.youtube.com", "m.youtube.com")
_CHANNEL_ID = re.compile(r"^UC[A-Za-z0-9_-]{22}$")
_IN_PAGE = (
    re.compile(rb'<link[^>]+rel="canonical"[^>]+href="[^"]*/channel/(UC[A-Za-z0-9_-]{22})"'),
    re.compile(rb'feeds/videos\.xml\?channel_id=(UC[A-Za-z0-9_-]{22})'),
    re.compile(rb'<meta[^>]+itemprop="(?:identifier|channelId)"[^>]+content="(UC[A-Za-z0-9_-]{22})"'),
    re.compile(rb'"(?:externalId|channelId)"\s*:\s*"(UC[A-Za-z0-9_-]{22})"'),
)


def recognise(text: str) -> Recognised | None:
    text = text.strip()
    if _CHANNEL_ID.match(text):
        return Recognised("youtube", f"{BASE}/channel/{text}")
    if "://" not in text and text.lower().startswith(HOSTS):
        text = f"https://{text}"
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if (parts.hostname or "").lower() not in HOSTS:
        return None
    path = parts.path.rstrip("/")
    if m := re.match(r"^/channel/(UC[A-Za-z0-9_-]{22})$", path):
        return Recognised("youtube", f"{BASE}/channel/{m.group(1)}")
    if m := re.match(r"^/(@[^/]{1,100})(?:/(?:videos|featured|streams|shorts))?$", path):
        return Recognised("youtube", f"{BASE}/{m.group(1)}", name=m.group(1))
    if m := re.match(r"^/(user|c)/([^/]{1,100})$", path):
        return Recognised("youtube", f"{BASE}/{m.group(1)}/{m.group(2)}", name=m.group(2))
    if path == "/playlist" and parse_qs(parts.query).get("list"):
        return Recognised("youtube", f"{BASE}/playlist?list={parse_qs(parts.query)['list'][0]}")
    if path == "/feeds/videos.xml":
        query = parse_qs(parts.query)
        if query.get("channel_id"):
            return Recognised("youtube", f"{BASE}/channel/{query['channel_id'][0]}")
        if query.get("playlist_id"):
            return Recognised("youtube", f"{BASE}/playlist?list={query['playlist_id'][0]}")
    return None


def feed_query(address: str) -> str | None:
    """The query string of the channel's feed when the address tells it without a lookup."""
    address = address.strip()
    if _CHANNEL_ID.match(address):
        return f"channel_id={address}"
    parts = urlsplit(address if "://" in address else f"https://www.youtube.com/{address.lstrip('/')}")
    if m := re.match(r"^/channel/(UC[A-Za-z0-9_-]{22})/?$", parts.path):
        return f"channel_id={m.group(1)}"
    if m := re.match(r"^/user/([^/]+)/?$", parts.path):
        return f"user={quote(m.group(1))}"
    if parts.path.rstrip("/") == "/playlist" and parse_qs(parts.query).get("list"):
        return f"playlist_id={quote(parse_qs(parts.query)['list'][0])}"
    return None


def channel_id_in_page(page: bytes) -> str | None:
    for pattern in _IN_PAGE:
        match = pattern.search(page)
        if match:
            return match.group(1).decode()
    return None


async def resolve(fetcher: Fetcher, source: Source, settings: Settings) -> tuple[str | None, Fetched | None]:
    """(feed URL, failure) for the source's address, looking the channel id up when needed."""
    base = setting(settings, "youtube", "base_url", BASE)
    query = feed_query(source.url)
    if query:
        return f"{base}/feeds/videos.xml?{query}", None
    path = urlsplit(source.url).path if "://" in source.url else "/" + source.url.lstrip("/")
    page = await fetcher.fetch(source, url=f"{base}{path}")
    if page.error or not page.body:
        reason = "the channel does not exist (or was deleted)" if page.status in (404, 410) else page.error
        return None, failed(page, f"cannot open the YouTube page {path}: {reason}")
    channel = channel_id_in_page(page.body)
    if channel is None:
        return None, failed(page, f"no channel id on the YouTube page {path}; use the channel's /channel/UC… URL")
    return f"{base}/feeds/videos.xml?channel_id={channel}", None


async def fetch(fetcher: Fetcher, source: Source, state: SourceState, settings: Settings) -> Fetched:
    url, failure = await resolve(fetcher, source, settings)
    if failure is not None or url is None:
        return failure or Fetched(source.id, source.url, datetime.now(UTC), 0, error="no feed address")
    fetched = await fetch_document(fetcher, source, state, url)
    if fetched.status == 404:
        # YouTube answers 404 for the feed of a channel that was deleted or never existed.
        return failed(fetched, f"YouTube has no channel feed for {source.url} (deleted channel, or a wrong id)")
    return fetched


def parse(body: bytes, *, url: str, options: dict[str, Any], max_items: int = 1000,
          content_type: str | None = None) -> Feed:
    """The channel's Atom (feedparser: it reads yt:videoId and the description in media:group)."""
    # Some copies of YouTube feeds start with a newline before <?xml (feedjira's sample).
    feed = parse_xml_feed(
        body.lstrip(), url=url, content_type=content_type, max_items=max_items, fast=False
    )
    entries = []
    for entry in feed.entries:
        extra = tuple((("video_id" if k == "yt_videoid" else "channel_id" if k == "yt_channelid" else k), v)
                      for k, v in entry.extra)
        entries.append(replace(entry, extra=extra))
    return replace(feed, entries=tuple(entries))
