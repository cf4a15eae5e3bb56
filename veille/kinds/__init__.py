"""Source kinds other than plain feeds: one small module each, with the same three parts.

- ``recognise(text) -> Recognised | None``: what ``veille sources add`` makes of the user's input;
- ``fetch(fetcher, source, state, settings) -> Fetched``: the network part (several requests for
  an API, merged into one JSON document as the Fetched's body);
- ``parse(body, *, url, options, max_items, ...) -> Feed``: pure, bytes in, entries out.

The pipeline dispatches on ``source.kind`` through ``fetch_source`` and ``parse_source``.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

from veille.fetch import Fetcher
from veille.kinds import bluesky, mastodon, page, pubmed, youtube
from veille.kinds._common import Recognised
from veille.models import Feed, Fetched, Settings, Source, SourceState
from veille.parse import parse_document

__all__ = ["KIND_MODULES", "Recognised", "bridge_advice", "fetch_source", "parse_source", "recognise"]

KIND_MODULES: dict[str, ModuleType] = {
    "mastodon": mastodon,
    "bluesky": bluesky,
    "youtube": youtube,
    "pubmed": pubmed,
    "page": page,
}
# Tried in this order: the explicit prefixes and the unambiguous hosts first.
_RECOGNISERS = (pubmed, page, youtube, bluesky, mastodon)

# Networks that give no open, login-free access to accounts.
CLOSED_NETWORKS = {
    "x.com": "X (Twitter)", "twitter.com": "X (Twitter)", "mobile.twitter.com": "X (Twitter)",
    "facebook.com": "Facebook", "fb.com": "Facebook", "m.facebook.com": "Facebook", "fb.me": "Facebook",
    "linkedin.com": "LinkedIn", "lnkd.in": "LinkedIn",
    "instagram.com": "Instagram",
}


def recognise(text: str) -> Recognised | None:
    """The kind and address for a handle, profile URL, channel URL or ``pubmed:``/``page:``
    prefix; None for anything else (a feed or a web site, to be checked as such)."""
    for module in _RECOGNISERS:
        found = module.recognise(text)
        if found is not None:
            return found
    return None


def bridge_advice(text: str) -> str | None:
    """For an X/Twitter, Facebook or LinkedIn address: how to follow it through a bridge the
    user runs, since Veille cannot read these networks without a login."""
    candidate = text.strip()
    if "://" not in candidate:
        candidate = f"https://{candidate}"
    try:
        host = (urlsplit(candidate).hostname or "").lower()
    except ValueError:
        return None
    host = host[4:] if host.startswith("www.") else host
    network = CLOSED_NETWORKS.get(host)
    if network is None:
        return None
    nitter = (
        " or a Nitter-like service you host (its feeds are http://127.0.0.1:8080/ACCOUNT/rss)"
        if network.startswith("X") else ""
    )
    return (
        f"{network} gives no open access to accounts without a login, so Veille cannot follow "
        f"{text.strip()} directly. Run a bridge on your own machine, such as RSS-Bridge "
        "(`docker run -d -p 127.0.0.1:3000:80 rssbridge/rss-bridge`, then open http://127.0.0.1:3000 "
        f"and pick the {network.split(' ')[0]} bridge){nitter}, copy the Atom/RSS feed address it "
        "gives for this account, and add that: `veille sources add http://127.0.0.1:3000/?action=display&…`. "
        "Veille then collects it like any feed."
    )


async def fetch_source(fetcher: Fetcher, source: Source, state: SourceState, settings: Settings) -> Fetched:
    """Fetch one source according to its kind (a feed: one conditional GET)."""
    module = KIND_MODULES.get(source.kind)
    if module is None:
        return await fetcher.fetch(source, state)
    return await module.fetch(fetcher, source, state, settings)


def parse_source(
    kind: str,
    body: bytes,
    *,
    url: str,
    content_type: str | None,
    options: dict[str, Any],
    max_items: int,
    previous: str | None = None,
) -> Feed:
    """Bytes -> Feed according to the kind. Pure."""
    if kind == "mastodon":
        return mastodon.parse(body, url=url, options=options, max_items=max_items, content_type=content_type)
    if kind == "youtube":
        return youtube.parse(body, url=url, options=options, max_items=max_items, content_type=content_type)
    if kind == "bluesky":
        return bluesky.parse(body, url=url, options=options, max_items=max_items)
    if kind == "pubmed":
        return pubmed.parse(body, url=url, options=options, max_items=max_items)
    if kind == "page":
        return page.parse(body, url=url, options=options, max_items=max_items, previous=previous)
    return parse_document(body, url=url, content_type=content_type, max_items=max_items)
