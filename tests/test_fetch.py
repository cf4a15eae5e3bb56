"""Fetcher policies that need more than a feed: address checks and redirects into private space."""

from __future__ import annotations

import asyncio

import pytest

from tests.feedserver import FeedServer
from veille.fetch import Fetcher
from veille.fetch_guard import address_is_public
from veille.models import Settings, Source


@pytest.mark.parametrize(
    "address, public",
    [
        ("127.0.0.1", False), ("10.0.0.1", False), ("172.16.5.4", False), ("192.168.1.1", False),
        ("169.254.169.254", False), ("::1", False), ("fc00::1", False), ("fe80::1", False),
        ("::ffff:127.0.0.1", False), ("0.0.0.0", False), ("100.64.0.1", False),
        ("93.184.216.34", True), ("2606:4700::1111", True), ("8.8.8.8", True),
    ],
)
def test_address_is_public(address, public):
    assert address_is_public(address) is public


@pytest.fixture
def private_server():
    # 127.0.0.2 plays the private network; 127.0.0.1 plays the public internet.
    s = FeedServer("127.0.0.2")
    yield s
    s.close()


def _fetch(url: str, **kwargs):
    async def go():
        async with Fetcher(Settings(), is_public=lambda a: a == "127.0.0.1") as fetcher:
            return await fetcher.fetch(Source(id="s", name="s", url=url), **kwargs)

    return asyncio.run(go())


def test_public_source_may_not_redirect_into_private_space(server, private_server):
    private_server.add("/secret.xml", "<rss version='2.0'><channel><title>secret</title></channel></rss>")
    server.add("/jump.xml", status=302, headers={"Location": private_server.url("/secret.xml")})
    fetched = _fetch(server.url("/jump.xml"))
    assert fetched.error and "refused to follow a link to 127.0.0.2" in fetched.error
    assert private_server.hits("/secret.xml") == 0


def test_a_source_the_user_put_on_a_private_address_is_allowed(private_server):
    private_server.add("/bridge.xml", "<rss version='2.0'><channel><title>bridge</title></channel></rss>")
    fetched = _fetch(private_server.url("/bridge.xml"))
    assert fetched.error is None and fetched.status == 200


def test_require_public_refuses_private_addresses(private_server):
    private_server.add("/a.html", "<html></html>")
    fetched = _fetch(private_server.url("/a.html"), require_public=True)
    assert fetched.error and "private, loopback or link-local" in fetched.error
    assert private_server.hits("/a.html") == 0


def test_redirect_to_non_http_scheme_is_refused(server):
    server.add("/js.xml", status=301, headers={"Location": "javascript:alert(1)"})
    fetched = _fetch(server.url("/js.xml"))
    assert fetched.error and "refused" in fetched.error and "non-http address" in fetched.error


def test_user_agent_names_the_project(server):
    server.add("/ua.xml", "<rss version='2.0'><channel><title>x</title></channel></rss>")
    _fetch(server.url("/ua.xml"))
    assert server.requests[-1][1]["User-Agent"].startswith("Veille/")


def test_not_modified_answers_keep_their_connection(server):
    """A 304 is read to its end, so its keep-alive connection serves the next request (closing it
    unread made an unchanged pass open one TCP connection per feed)."""
    from veille.models import SourceState

    url = server.add("/kept.xml", "<rss version='2.0'><channel><title>K</title></channel></rss>", etag='"v1"')
    source = Source(id="kept", name="Kept", url=url)

    async def go() -> list[int | None]:
        async with Fetcher(Settings(), is_public=lambda a: a == "127.0.0.1") as fetcher:
            return [(await fetcher.fetch(source, SourceState(id="kept", etag='"v1"'))).status for _ in range(6)]

    assert asyncio.run(go()) == [304] * 6
    assert len(server.peers) == 6
    assert len(set(server.peers)) == 1  # one connection, reused


def test_a_keep_alive_connection_the_server_closed_is_not_reused():
    """Between two requests the server closes the idle connection (its keep-alive timeout):
    the pool sees that the socket became readable and opens a new one, and no fetch fails."""
    connections = []

    async def go():
        closed = asyncio.Event()

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            connections.append(writer)
            await reader.readuntil(b"\r\n\r\n")
            body = b"<rss version='2.0'><channel><title>t</title></channel></rss>"
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nConnection: keep-alive\r\n"
                         b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
            await writer.drain()
            if len(connections) == 1:
                writer.close()  # idle now: closed behind the client's back
                await writer.wait_closed()
                closed.set()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server, Fetcher(Settings(), is_public=lambda a: a == "127.0.0.1") as fetcher:
            source = Source(id="s", name="s", url=f"http://127.0.0.1:{port}/feed.xml")
            first = await fetcher.fetch(source)
            await closed.wait()
            second = await fetcher.fetch(source)
        return first, second

    first, second = asyncio.run(go())
    assert (first.status, first.error, second.status, second.error) == (200, None, 200, None)
    assert len(connections) == 2


def test_each_host_keeps_its_connection_when_many_hosts_share_the_collect():
    """Every host has its own small pool: requests spread over more hosts than there are
    connections overall still find their host's idle keep-alive connection (shared pools
    evicted each other's, and an unchanged pass over 30 hosts opened one connection per feed)."""
    from veille.models import SourceState

    servers = [FeedServer(f"127.0.0.{n}") for n in range(1, 7)]
    try:
        sources = []
        for n, s in enumerate(servers):
            url = s.add("/f.xml", "<rss version='2.0'><channel><title>F</title></channel></rss>", etag='"v1"')
            sources.append(Source(id=f"s{n}", name=f"S{n}", url=url))

        async def go() -> list[int | None]:
            async with Fetcher(Settings(concurrency=4), is_public=lambda a: True) as fetcher:
                out: list[int | None] = []
                for _ in range(4):  # rounds: every host once, concurrently
                    results = await asyncio.gather(
                        *(fetcher.fetch(src, SourceState(id=src.id, etag='"v1"')) for src in sources)
                    )
                    out += [r.status for r in results]
                return out

        assert asyncio.run(go()) == [304] * 24
        for s in servers:
            assert len(s.peers) == 4
            assert len(set(s.peers)) == 1, s.host  # one connection per host, reused every round
    finally:
        for s in servers:
            s.close()


def test_idle_hosts_clients_are_closed_past_the_bound(monkeypatch, server):
    """Past HOST_CLIENTS hosts, the least recently used idle host's client (and its sockets) is
    closed; a host seen again gets a new one and its fetch works."""
    import veille.fetch as fetch_module

    monkeypatch.setattr(fetch_module, "HOST_CLIENTS", 2)
    others = [FeedServer(f"127.0.0.{n}") for n in (2, 3)]
    try:
        urls = [s.add("/f.xml", "<rss version='2.0'><channel><title>F</title></channel></rss>")
                for s in [server, *others]]

        async def go() -> tuple[list[int | None], int]:
            async with Fetcher(Settings(), is_public=lambda a: True) as fetcher:
                statuses = []
                most = 0
                for url in [*urls, urls[0]]:
                    statuses.append((await fetcher.fetch(Source(id="s", name="s", url=url))).status)
                    most = max(most, len(fetcher._clients))
                return statuses, most

        statuses, most = asyncio.run(go())
        assert statuses == [200] * 4
        assert most == 2
        assert len(set(server.peers)) == 2  # its client was closed, then made again
    finally:
        for s in others:
            s.close()


def test_a_cookie_set_by_a_redirect_is_sent_on_the_next_hop(server):
    """Consent walls set a cookie on a redirect and serve the feed only with it: responses that
    set cookies are still read for them (the others are skipped, for speed)."""

    def feed_if_cookie(handler) -> None:
        ok = "consent=yes" in (handler.headers.get("Cookie") or "")
        body = b"<rss version='2.0'><channel><title>C</title></channel></rss>" if ok else b"no cookie"
        handler.send_response(200 if ok else 403)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    server.add("/feed.xml", handler=feed_if_cookie)
    start = server.add(
        "/start", status=302,
        headers={"Location": server.url("/feed.xml"), "Set-Cookie": "consent=yes; Path=/", "Content-Length": "0"},
    )
    fetched = _fetch(start)
    assert fetched.status == 200 and fetched.error is None
    assert b"<title>C</title>" in (fetched.body or b"")
