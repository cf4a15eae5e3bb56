"""What the kinds share: JSON over the Fetcher, combining several requests into one Fetched."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from veille.fetch import Fetcher
from veille.models import Fetched, Settings, Source, SourceState
from veille.parse import loads_json

JSON_ACCEPT = {"Accept": "application/json"}


@dataclass(frozen=True)
class Recognised:
    """What ``sources add`` understood from the user's input: the kind and the address to store."""

    kind: str
    address: str
    name: str | None = None  # a default display name (the handle, the query)


def setting(settings: Settings, section: str, key: str, default: str) -> str:
    value = settings.section(section).get(key)
    return str(value).rstrip("/") if isinstance(value, str) and value.strip() else default


def options(source: Source) -> dict[str, Any]:
    return dict(source.options)


def first_run(state: SourceState) -> bool:
    """No document was ever stored for this source: the time to read a few pages back."""
    return state.body_hash is None


def same_origin(url: str, other: str) -> bool:
    a, b = urlsplit(url), urlsplit(other)
    try:
        return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)
    except ValueError:  # a port out of range
        return False


def link_policy(link: str, origin: str) -> bool | None:
    """``require_public`` for a URL that a document gave (a pagination link, a page's feed link):
    a third party's choice, so public addresses only, unless it stays on the origin the user
    chose (a Mastodon instance's own next page), which is then fetched like that origin."""
    return None if same_origin(link, origin) else True


async def get_json(
    fetcher: Fetcher, source: Source, url: str, *, require_public: bool | None = None
) -> tuple[Fetched, Any]:
    """GET ``url`` as JSON. On failure the Fetched carries the error (status, Retry-After, 410
    kept for the backoff decision) and the document is None."""
    fetched = await fetcher.fetch(source, url=url, headers=JSON_ACCEPT, require_public=require_public)
    if fetched.error or fetched.body is None:
        return fetched, None
    try:
        return fetched, loads_json(fetched.body)
    except ValueError as e:
        return replace(fetched, body=None, error=f"the API did not answer with JSON ({e})"), None


def with_document(fetched: Fetched, document: Any, *, started: Fetched | None = None) -> Fetched:
    """A successful Fetched whose body is ``document`` (the pages of an API, merged) as JSON.

    Validators and redirects belong to the last request, not to the source: they are dropped so
    that the source's stored address and conditional-GET state stay untouched."""
    body = json.dumps(document, ensure_ascii=False, sort_keys=True).encode("utf-8")
    first = started or fetched
    return replace(
        fetched,
        started_at=first.started_at,
        duration_ms=int((fetched.started_at - first.started_at).total_seconds() * 1000) + fetched.duration_ms,
        status=200,
        body=body,
        body_hash=hashlib.sha256(body).hexdigest(),
        headers=(("content-type", "application/json"),),
        etag=None,
        last_modified=None,
        permanent_url=None,
        error=None,
    )


def failed(fetched: Fetched, message: str) -> Fetched:
    """The same failure with a message that says what it means for this kind of source."""
    return replace(fetched, error=message, body=None, permanent_url=None)


async def fetch_document(fetcher: Fetcher, source: Source, state: SourceState, url: str) -> Fetched:
    """A conditional GET of ``url`` on behalf of ``source`` (an account's RSS, a channel's Atom):
    ETag and Last-Modified are used and kept, the stored address is not moved by redirects."""
    fetched = await fetcher.fetch(replace(source, url=url), replace(state, url=None))
    return replace(fetched, permanent_url=None)


class Pacer:
    """At most ``rate`` request starts per second (PubMed: 3, or 10 with an API key)."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._next = 0.0

    async def wait(self, rate: float) -> None:
        async with self._lock:
            now = time.monotonic()
            if self._next > now:
                await asyncio.sleep(self._next - now)
                now = time.monotonic()
            self._next = now + 1.0 / rate
