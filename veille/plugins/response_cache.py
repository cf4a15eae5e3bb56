"""Whole responses of the Articles and Recherche pages, kept until the data change.

A page viewed again before the collector's next commit (a reload, "Page précédente", another
reader on the same search) is the same bytes: its rows, counts and facets depend on the data
alone (nothing on these pages depends on the time of day). Rendering it again cost 20-40 ms of
Python on 1M items (Datasette's cell loop and templates, bench/bench_search.py --reading-room);
this wrapper answers it from memory, keyed by everything a response depends on (path, query
string, host, scheme, cookies, authorization) and valid for one :func:`veille.plugins.page_cache.data_version`
and at most ``plugins.veille.response_cache_seconds`` (default: ``page_cache_seconds``; 0 turns
it off). Only complete 200 answers without a ``Set-Cookie``, of at most 500 kB, are kept; a page viewed for the
first time after a commit is computed as before.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from datasette import hookimpl

from veille.plugins.page_cache import DEFAULT_MAX_AGE, Cache, data_version

CACHED_PATHS = frozenset({"/veille/articles", "/veille/articles.json", "/veille/recherche", "/veille/recherche.json"})
ENTRIES = 64  # about 50 kB a page: a few MB
LARGEST = 512_000  # bytes: a larger answer (?_size=1000 in JSON) is not kept

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]


def response_key(scope: Scope) -> tuple[Any, ...] | None:
    """What a cached response depends on, or None when the request is not one to cache."""
    if scope.get("type") != "http" or scope.get("method") != "GET" or scope.get("path") not in CACHED_PATHS:
        return None
    headers = dict(scope.get("headers") or [])
    return (
        scope["path"],
        scope.get("query_string", b""),
        scope.get("scheme"),
        headers.get(b"host"),
        headers.get(b"cookie"),
        headers.get(b"authorization"),  # an API token is an actor too: never share its answers
    )


def cacheable(messages: list[Message]) -> bool:
    """A complete 200 answer that sets no cookie, of at most LARGEST bytes."""
    start = messages[0] if messages else {}
    if start.get("type") != "http.response.start" or start.get("status") != 200:
        return False
    if any(name.lower() == b"set-cookie" for name, _ in start.get("headers") or []):
        return False
    if sum(len(m.get("body", b"")) for m in messages[1:]) > LARGEST:
        return False
    return messages[-1].get("type") == "http.response.body" and not messages[-1].get("more_body", False)


@hookimpl
def asgi_wrapper(datasette):  # noqa: ANN001, ANN201
    def wrap(app):  # noqa: ANN001, ANN202
        async def cached(scope: Scope, receive: Callable[[], Awaitable[Message]], send: Callable[[Message], Awaitable[None]]) -> None:
            key = response_key(scope)
            db = datasette.databases.get("veille")
            version = data_version(db.path) if key is not None and db is not None else None
            if version is None:
                await app(scope, receive, send)
                return
            cache = _cache(datasette)
            hit, messages = cache.get(key, version)
            if hit:
                for message in messages:
                    await send(message)
                return
            sent: list[Message] = []

            async def keep(message: Message) -> None:
                sent.append(message)
                await send(message)

            await app(scope, receive, keep)
            if cacheable(sent):
                cache.put(key, version, [dict(m) for m in sent])

        return cached

    return wrap


def _cache(datasette: Any) -> Cache:  # noqa: ANN401 - a Datasette instance
    cache = datasette.__dict__.get("_veille_response_cache")
    if cache is None:
        config = datasette.plugin_config("veille") or {}
        seconds = config.get("response_cache_seconds", config.get("page_cache_seconds", DEFAULT_MAX_AGE))
        cache = Cache(max_age=float(seconds), entries=ENTRIES)
        datasette.__dict__["_veille_response_cache"] = cache
    return cache
