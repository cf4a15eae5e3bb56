"""A real forward proxy on 127.0.0.1, as hospitals have: plain HTTP requests in absolute form
(``GET http://host/path``) and ``CONNECT host:443`` tunnels for HTTPS. It resolves names from its
own table, so a test can use a host name that only the proxy can resolve (the hospital case:
no DNS for the internet on the workstation). Every request is logged; ``refuse`` makes it answer
with an error status instead (407 for a proxy that wants a login)."""

from __future__ import annotations

import select
import socket
import socketserver
import threading


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        line = self.rfile.readline(65537).decode("latin-1").rstrip("\r\n")
        if not line:
            return
        headers: list[str] = []
        while True:
            header = self.rfile.readline(65537).decode("latin-1")
            if header in ("\r\n", "\n", ""):
                break
            headers.append(header.rstrip("\r\n"))
        method, target, _version = (line.split(" ") + ["", ""])[:3]
        self.server.log.append((method, target))
        if self.server.refuse:
            self._answer(self.server.refuse)
            return
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            upstream = self._open(host, int(port or 443))
            if upstream is None:
                return
            self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            self.wfile.flush()
            self._pipe(upstream)
            return
        if not target.startswith("http://"):
            self._answer("400 Bad Request")
            return
        rest = target[len("http://"):]
        authority, _, path = rest.partition("/")
        host, _, port = authority.partition(":")
        upstream = self._open(host, int(port or 80))
        if upstream is None:
            return
        kept = [h for h in headers if h.split(":", 1)[0].strip().lower() not in ("connection", "proxy-connection", "keep-alive")]
        request = f"{method} /{path} HTTP/1.1\r\n" + "".join(f"{h}\r\n" for h in kept) + "Connection: close\r\n\r\n"
        length = next((int(h.split(":", 1)[1]) for h in headers if h.lower().startswith("content-length:")), 0)
        upstream.sendall(request.encode("latin-1") + (self.rfile.read(length) if length else b""))  # a POST's body
        with upstream:
            while True:
                chunk = upstream.recv(65536)
                if not chunk:
                    break
                self.wfile.write(chunk)
        self.wfile.flush()
        self.close_connection = True

    def _open(self, host: str, port: int) -> socket.socket | None:
        address = self.server.hosts.get(host.lower())
        if address is None:  # the proxy's DNS knows only its table: no internet in tests
            self._answer("502 Bad Gateway")
            return None
        try:
            return socket.create_connection((address, port), timeout=10)
        except OSError:
            self._answer("502 Bad Gateway")
            return None

    def _answer(self, status: str) -> None:
        body = f"proxy: {status}\n".encode()
        extra = "Proxy-Authenticate: Basic realm=\"proxy\"\r\n" if status.startswith("407") else ""
        head = f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n{extra}\r\n"
        self.wfile.write(head.encode() + body)
        self.wfile.flush()

    def _pipe(self, upstream: socket.socket) -> None:
        client = self.connection
        with upstream:
            while True:
                ready, _, _ = select.select([client, upstream], [], [], 30)
                if not ready:
                    return
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (upstream if sock is client else client).sendall(data)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    hosts: dict[str, str]
    log: list[tuple[str, str]]
    refuse: str | None


class ForwardProxy:
    def __init__(self, hosts: dict[str, str]) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.hosts = {k.lower(): v for k, v in hosts.items()}
        self._server.log = []
        self._server.refuse = None
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    @property
    def log(self) -> list[tuple[str, str]]:
        return self._server.log

    def refuse(self, status: str | None) -> None:
        self._server.refuse = status

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
