"""A real HTTP server on 127.0.0.1 serving fixture feeds, with the behaviours real servers have
(conditional GET, gzip, redirects, slow drips, bombs). Tests add routes; every request is logged."""

from __future__ import annotations

import gzip
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FEEDS = Path(__file__).parent / "feeds"


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    gzip: bool = False
    delay: float = 0.0  # before the headers
    drip: float | None = None  # seconds between body bytes
    handler: Callable[[BaseHTTPRequestHandler], None] | None = None


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # silence stderr
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.server.requests.append((self.path, dict(self.headers.items())))
        self.server.peers.append(self.client_address)
        route = self.server.routes.get(self.path)
        if route is None:
            self._send(404, b"not found", {"Content-Type": "text/plain"})
            return
        if route.delay:
            time.sleep(route.delay)
        if route.handler is not None:
            route.handler(self)
            return
        if route.etag and self.headers.get("If-None-Match") == route.etag:
            self._send(304, b"", {"ETag": route.etag})
            return
        if route.last_modified and self.headers.get("If-Modified-Since") == route.last_modified:
            self._send(304, b"", {"Last-Modified": route.last_modified})
            return
        headers = dict(route.headers)
        if route.etag:
            headers["ETag"] = route.etag
        if route.last_modified:
            headers["Last-Modified"] = route.last_modified
        body = route.body
        if route.gzip:
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        if route.drip is not None:
            self.send_response(route.status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                for i in range(len(body)):
                    self.wfile.write(body[i : i + 1])
                    self.wfile.flush()
                    time.sleep(route.drip)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return
        self._send(route.status, body, headers)

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        try:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            if status != 304:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if status != 304 and body:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    routes: dict[str, Route]
    requests: list[tuple[str, dict[str, str]]]
    peers: list[tuple[str, int]]  # the client address of each request: one per TCP connection

    def handle_error(self, request: object, client_address: object) -> None:
        # A client closing a keep-alive connection is normal (a collect's clients close theirs
        # when it ends); socketserver would print a traceback to stderr, which a CliRunner
        # running at that moment takes for the command's output.
        import sys

        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class FeedServer:
    def __init__(self, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> None:
        self.host = host
        self.scheme = "https" if tls else "http"
        self._server = _Server((host, 0), _Handler)
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self._server.routes = {}
        self._server.requests = []
        self._server.peers = []
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def routes(self) -> dict[str, Route]:
        return self._server.routes

    @property
    def requests(self) -> list[tuple[str, dict[str, str]]]:
        return self._server.requests

    @property
    def peers(self) -> list[tuple[str, int]]:
        return self._server.peers

    def url(self, path: str) -> str:
        return f"{self.scheme}://{self.host}:{self.port}{path}"

    def add(self, path: str, body: bytes | str = b"", **kwargs: object) -> str:
        if isinstance(body, str):
            body = body.encode("utf-8")
        kwargs.setdefault("headers", {"Content-Type": _content_type(path)})
        self.routes[path] = Route(body=body, **kwargs)  # type: ignore[arg-type]
        return self.url(path)

    def add_file(self, path: str, filename: str | Path, **kwargs: object) -> str:
        file = Path(filename)
        if not file.is_absolute():
            file = FEEDS / file
        return self.add(path, file.read_bytes(), **kwargs)

    def hits(self, path: str) -> int:
        return sum(1 for p, _ in self.requests if p == path)

    def reset(self) -> None:
        """Forget every route and request (one server serves a whole test session)."""
        self._server.routes = {}
        self._server.requests.clear()
        self._server.peers.clear()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _content_type(path: str) -> str:
    if path.endswith(".json"):
        return "application/feed+json"
    if path.endswith(".html") or path.endswith("/"):
        return "text/html; charset=utf-8"
    if path.endswith(".atom.xml"):
        return "application/atom+xml"
    return "application/rss+xml"


def http_date(ts: float | None = None) -> str:
    return formatdate(ts, usegmt=True)
