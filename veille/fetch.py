"""HTTP fetching: one small httpx pool per host, conditional GET, hard limits, address checks.

Everything the network can do wrong ends as a ``Fetched`` with ``error`` set; nothing raises out of
``Fetcher.fetch`` except cancellation."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict, defaultdict
from datetime import UTC, datetime
from http.cookiejar import CookieJar
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from veille import USER_AGENT
from veille.backoff import parse_retry_after
from veille.errors import BlockedAddressError, FetchError
from veille.fetch_guard import (
    AddressPolicy,
    BodyDecoder,
    GuardedBackend,
    GuardedTransport,
    Resolver,
    address_is_public,
    public_only,
    resolve,
)
from veille.hostlimit import Answer, HostGate, HostPolicy
from veille.models import Fetched, Settings, Source, SourceState
from veille.network import RoutedTransport, name_is_local, proxy_for, proxy_policy, tls_context

ACCEPT = (
    "application/atom+xml, application/rss+xml, application/feed+json, application/json;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
REDIRECTS = (301, 302, 303, 307, 308)
PERMANENT = (301, 308)
RETRY_AFTER_STATUSES = (429, 503)
# Hosts whose client (and idle keep-alive connections) is kept open at once; the least recently
# used idle one is closed past this. Bounds the open sockets of a collect over many hosts.
HOST_CLIENTS = 32
LOCAL_LOOKUP = 2.0  # seconds to look a proxied name up here before leaving it to the proxy
REASONS = {
    401: "the feed needs a login; Veille can only follow public feeds",
    403: "the server refuses automated clients (some sites, such as HAS, block feed readers); "
    "check the URL in a browser",
    404: "the address no longer exists; check the URL or remove the source",
    429: "the server asks us to slow down; Veille will wait before trying again",
    500: "the server had an internal error; Veille will retry later",
    502: "bad gateway at the server; Veille will retry later",
    503: "the server is unavailable; Veille will retry later",
    504: "the server timed out; Veille will retry later",
}


class Fetcher:
    """Fetches sources concurrently within global and per-host limits."""

    def __init__(
        self,
        settings: Settings,
        *,
        resolver: Resolver = resolve,
        is_public: AddressPolicy = address_is_public,
    ):
        self.settings = settings
        self._resolver = resolver
        self._is_public = is_public
        timeout = httpx.Timeout(
            connect=settings.connect_timeout,
            read=settings.read_timeout,
            write=settings.read_timeout,
            pool=settings.deadline,
        )
        # One pool per host, as large as the host may be asked: a host's requests always find
        # its idle keep-alive connections, and httpcore's bookkeeping (a pass over the pool's
        # connections per request, PERFORMANCE-NOTES) stays small. Shared pools of 10 over 30
        # hosts evicted each other's idle connections: an unchanged pass opened one TCP
        # connection per feed.
        per_host = max(settings.per_host, settings.per_host_max)
        self._limits = httpx.Limits(max_connections=per_host, max_keepalive_connections=per_host)
        self._timeout = timeout
        self._headers = {
            "User-Agent": settings.user_agent or USER_AGENT,
            "Accept": ACCEPT,
            "Accept-Encoding": "gzip, deflate",
        }
        self._backend = GuardedBackend(resolver, is_public)
        self.proxies = proxy_policy(settings.proxy, settings.no_proxy)
        self._context = tls_context()
        self._clients: OrderedDict[str, httpx.AsyncClient] = OrderedDict()  # least recently used first
        self._sending: dict[str, int] = defaultdict(int)  # per host: requests inside its client now
        self._global = asyncio.Semaphore(settings.concurrency)
        policy = HostPolicy(start=settings.per_host, cap=max(settings.per_host, settings.per_host_max))
        self._hosts: dict[str, HostGate] = defaultdict(lambda: HostGate(policy))

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        clients = list(self._clients.values())
        self._clients.clear()
        await asyncio.gather(*(c.aclose() for c in clients), return_exceptions=True)

    def _new_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            cookies=_CookieJar(),
            timeout=self._timeout,
            headers=self._headers,
            follow_redirects=False,
            trust_env=False,  # the proxy policy is ours (veille.network), environment included
            transport=RoutedTransport(
                GuardedTransport(self._limits, self._backend, self._context), self.proxies, self._limits, self._context,
            ),
        )

    async def _client(self, host: str) -> httpx.AsyncClient:
        """The host's own client, made on its first request; past HOST_CLIENTS, the least
        recently used client with no request under way is closed (its idle connections)."""
        client = self._clients.get(host)
        if client is not None:
            self._clients.move_to_end(host)
            return client
        client = self._clients[host] = self._new_client()
        if len(self._clients) > HOST_CLIENTS:
            idle = next((h for h in self._clients if not self._sending[h] and h != host), None)
            if idle is not None:
                await self._clients.pop(idle).aclose()
        return client

    def host_limits(self) -> dict[str, tuple[int, int]]:
        """Per host: (current limit, most requests seen in flight at once)."""
        return {host: (gate.limit, gate.peak) for host, gate in self._hosts.items()}

    async def is_public_url(self, url: str) -> bool:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        host = parts.hostname or ""
        if proxy_for(url, self.proxies) is None:
            addresses = await self._resolver(host, port)
            return bool(addresses) and all(self._is_public(a) for a in addresses)
        # Through a proxy, the proxy resolves the name and Veille cannot see the address it
        # connects to; check what can be seen (veille.network explains the choice): local names,
        # literal addresses, and the addresses the name has here when it resolves here.
        if name_is_local(host):
            return False
        try:
            async with asyncio.timeout(LOCAL_LOOKUP):
                addresses = await self._resolver(host, port)
        except (FetchError, TimeoutError):
            return True  # only the proxy can resolve it: the hospital case
        return all(self._is_public(a) for a in addresses)

    async def check_public(self, url: str) -> None:
        """Refuse URLs whose host resolves to loopback, private, link-local or reserved addresses."""
        if urlsplit(url).scheme not in ("http", "https"):
            raise BlockedAddressError(f"refused to follow {url[:80]!r}: only http(s) addresses are fetched")
        if not await self.is_public_url(url):
            host = urlsplit(url).hostname
            raise BlockedAddressError(
                f"refused to follow a link to {host}: it is a private, loopback or link-local address"
            )

    async def fetch(
        self,
        source: Source,
        state: SourceState | None = None,
        *,
        url: str | None = None,
        require_public: bool | None = None,
        max_bytes: int | None = None,
        deadline: float | None = None,
        headers: dict[str, str] | None = None,
    ) -> Fetched:
        """Fetch a source's document (or ``url``), conditionally when the state allows.

        ``require_public``: None (a source's own address: any address the user chose, but a
        public origin may not redirect into the private network), True (links found in feed
        content: public addresses only, at every hop). ``max_bytes``, ``deadline``: tighter
        limits than the settings' (article pages for full text); ``headers``: extra request
        headers (an API's Accept)."""
        state = state or SourceState(id=source.id)
        target = url or state.url or source.url
        host = (urlsplit(target).hostname or "").lower()
        started = datetime.now(UTC)
        clock = time.monotonic()
        conditional = url is None
        limit = min(deadline or self.settings.deadline, self.settings.deadline)
        # The host's gate first, then a global slot: a request waiting for its host must not
        # hold one of the global slots that other hosts could use.
        gate = self._hosts[host]
        async with gate:
            async with self._global:
                sent = time.monotonic()
                result = await self._attempt(
                    source.id, target, state if conditional else None, started, clock, require_public,
                    max_bytes or self.settings.max_bytes, headers or {}, limit, host,
                )
            gate.learn(Answer(result.status, result.network_error, time.monotonic() - sent))
        return result

    async def _attempt(
        self,
        source_id: str,
        target: str,
        state: SourceState | None,
        started: datetime,
        clock: float,
        require_public: bool | None,
        max_bytes: int,
        headers: dict[str, str],
        limit: float,
        host: str,
    ) -> Fetched:
        """One fetch within its limits; every failure becomes a Fetched with ``error`` set."""
        try:
            async with asyncio.timeout(limit):
                return await self._fetch(
                    source_id, target, state, started, clock, require_public, max_bytes, headers,
                )
        except TimeoutError:
            error = f"timed out after {limit:g} s (slow or stalled server)"
            return self._failed(source_id, target, started, clock, error, network=True)
        except FetchError as e:
            return self._failed(source_id, target, started, clock, str(e), e.status, e.retry_after)
        except httpx.InvalidURL as e:
            # httpx also raises this while preparing a redirect from a bad Location header.
            error = f"refused an invalid or non-http address (in the URL or a redirect): {_short(e)}"
            return self._failed(source_id, target, started, clock, error)
        except httpx.ConnectTimeout:
            error = f"timed out connecting to {host} (no answer within {self.settings.connect_timeout:g} s)"
            return self._failed(source_id, target, started, clock, error, network=True)
        except httpx.TimeoutException:
            return self._failed(source_id, target, started, clock, "timed out (server too slow to answer)", network=True)
        except httpx.ConnectError as e:
            return self._failed(source_id, target, started, clock, f"cannot connect to {host} ({_short(e)})", network=True)
        except httpx.HTTPError as e:
            return self._failed(source_id, target, started, clock, f"network error: {_short(e)}", network=True)
        except (OSError, ValueError) as e:
            return self._failed(source_id, target, started, clock, f"network error: {_short(e)}", network=True)

    def _failed(
        self,
        source_id: str,
        url: str,
        started: datetime,
        clock: float,
        error: str,
        status: int | None = None,
        retry_after: float | None = None,
        *,
        network: bool = False,
    ) -> Fetched:
        return Fetched(
            source_id=source_id,
            url=url,
            started_at=started,
            duration_ms=int((time.monotonic() - clock) * 1000),
            status=status,
            error=error,
            retry_after=retry_after,
            gone=status == 410,
            network_error=network,
        )

    async def _fetch(
        self,
        source_id: str,
        url: str,
        state: SourceState | None,
        started: datetime,
        clock: float,
        require_public: bool | None,
        max_bytes: int,
        extra_headers: dict[str, str],
    ) -> Fetched:
        # The user chose the source's address, so it may be a local bridge on 127.0.0.1; but a
        # public address must not redirect us into the private network.
        if require_public:
            await self.check_public(url)
            origin_public = True
        else:
            origin_public = await self.is_public_url(url)
        permanent_url: str | None = None
        all_permanent = True
        headers: dict[str, str] = dict(extra_headers)
        if state is not None:
            if state.etag:
                headers["If-None-Match"] = state.etag
            if state.last_modified:
                headers["If-Modified-Since"] = state.last_modified
        for hop in range(self.settings.max_redirects + 1):
            if hop and origin_public:
                await self.check_public(url)
            hop_host = (urlsplit(url).hostname or "").lower()
            client = await self._client(hop_host)
            request = client.build_request("GET", url, headers=headers)
            token = public_only.set(origin_public and (hop > 0 or bool(require_public)))
            self._sending[hop_host] += 1
            try:
                response = await client.send(request, stream=True)
            except BaseException:
                self._sending[hop_host] -= 1
                raise
            finally:
                public_only.reset(token)
            try:
                status = response.status_code
                if status in REDIRECTS and "location" in response.headers:
                    target = urljoin(url, response.headers["location"].strip())
                    if urlsplit(target).scheme not in ("http", "https"):
                        raise BlockedAddressError(f"refused redirect to a non-http address ({target[:80]})")
                    all_permanent = all_permanent and status in PERMANENT
                    url = target
                    if all_permanent:
                        permanent_url = target
                    continue
                # Only "slow down" answers say when to come back; a 200's Retry-After means nothing.
                retry_after = (
                    parse_retry_after(response.headers.get("retry-after"), datetime.now(UTC))
                    if status in RETRY_AFTER_STATUSES else None
                )
                common = dict(
                    source_id=source_id,
                    url=url,
                    started_at=started,
                    status=status,
                    headers=tuple(response.headers.items()),
                    etag=response.headers.get("etag"),
                    last_modified=response.headers.get("last-modified"),
                    permanent_url=permanent_url,
                    retry_after=retry_after,
                )
                if status == 304:
                    # Read the (empty) body: httpcore keeps a connection for the next request only
                    # once its response was read to the end; closing it unread closed the
                    # connection, and an unchanged pass opened one TCP connection per feed.
                    await response.aread()
                    return Fetched(duration_ms=_ms(clock), **common)
                if status == 410:
                    return Fetched(
                        duration_ms=_ms(clock),
                        error="HTTP 410 Gone: the publisher removed this feed; the source is "
                        "disabled (its items are kept; `veille sources enable` to retry)",
                        gone=True,
                        **common,
                    )
                if status != 200:
                    reason = REASONS.get(status, "") or (
                        "server error; Veille will retry later" if status >= 500 else "unexpected answer"
                    )
                    return Fetched(
                        duration_ms=_ms(clock),
                        error=f"HTTP {status} {response.reason_phrase}: {reason}",
                        **common,
                    )
                decoder = BodyDecoder(response.headers.get("content-encoding", ""), max_bytes)
                async for chunk in response.aiter_raw():
                    decoder.feed(chunk)
                body = decoder.finish()
                return Fetched(
                    duration_ms=_ms(clock),
                    body=body,
                    body_hash=hashlib.sha256(body).hexdigest(),
                    **common,
                )
            finally:
                try:
                    await response.aclose()
                finally:
                    self._sending[hop_host] -= 1
        raise FetchError(f"too many redirects (more than {self.settings.max_redirects})")


class _CookieJar(CookieJar):
    """Cookies as httpx keeps them (a site's consent redirect may need them), but a response
    that sets none is not read for them: httpx copies every response's headers into an
    ``email.message.Message`` for the standard jar, a tenth of an unchanged pass's CPU."""

    def extract_cookies(self, response: Any, request: Any) -> None:
        inner = getattr(response, "response", None)  # httpx's compatibility wrapper
        if isinstance(inner, httpx.Response) and "set-cookie" not in inner.headers and "set-cookie2" not in inner.headers:
            return
        super().extract_cookies(response, request)


def _ms(clock: float) -> int:
    return int((time.monotonic() - clock) * 1000)


def _short(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text[:200]
