"""`veille serve`: the reading room (:mod:`veille.webapp`) on a port, safe to expose.

What is checked before anything listens: the database exists, the host is loopback unless
``--public``, the port is free (one line when it is not). Other code (``veille run --serve``)
starts the web server with::

    from veille.serve import start_server
    await start_server("db/veille.db", host="127.0.0.1", port=8001, public=False)

which runs until cancelled.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
from pathlib import Path

import click

from veille.cli import CONTEXT, Env, UsageProblem, pass_env, user_errors
from veille.webapp import make_datasette


def make_server(ds, host: str = "127.0.0.1", port: int = 8001):  # -> uvicorn.Server
    import uvicorn

    config = uvicorn.Config(ds.app(), host=host, port=port, log_level="warning", lifespan="on")
    return uvicorn.Server(config)


async def start_server(
    db_path: str, host: str = "127.0.0.1", port: int = 8001, public: bool = False,
    *, metadata: str | Path | None = None, config_path: str | None = None,
) -> None:
    """Serve until cancelled (or until the server is told to exit). For `veille run --serve`."""
    ds = make_datasette(db_path, public, metadata=metadata, config_path=config_path)
    await ds.invoke_startup()
    server = make_server(ds, host, port)
    await server.serve()


def default_host(host: str | None, public: bool) -> str:
    if host:
        return host
    return "0.0.0.0" if public else "127.0.0.1"  # noqa: S104 - --public asks for every interface


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_host(host: str, public: bool) -> None:
    """Arbitrary SQL is served on loopback only: another address needs --public (canned
    queries only, secrets redacted)."""
    if not public and not is_loopback(host):
        raise UsageProblem(
            f"--host {host} would serve arbitrary SQL to the network: add --public "
            "(canned queries only), or listen on 127.0.0.1"
        )


def check_database_exists(db_path: str) -> None:
    if not os.path.isfile(db_path):
        raise UsageProblem(f"no database at {db_path}: run `veille collect` first (or pass --db FILE)")


def bind_socket(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything is printed: a busy port is one line."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as e:
        sock.close()
        if e.errno == errno.EADDRINUSE:
            raise UsageProblem(f"port {port} is in use: try --port {free_port_after(host, port)}") from None
        raise UsageProblem(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def free_port_after(host: str, port: int) -> int:
    for candidate in range(port + 1, min(port + 50, 65535)):
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            try:
                probe.bind((host.strip("[]"), candidate))
            except OSError:
                continue
            return candidate
    return port + 1


@click.command("serve", context_settings=CONTEXT)
@click.option("--host", default=None, help="Address to listen on.  [default: 127.0.0.1, 0.0.0.0 with --public]")
@click.option("-p", "--port", default=8001, show_default=True, type=click.IntRange(0, 65535), help="Port.")
@click.option("--public", is_flag=True, help="Listen on every interface; no arbitrary SQL, only canned queries.")
@click.option("--metadata", "metadata_path", type=click.Path(dir_okay=False, exists=True),
              help="datasette-metadata.json to use (default: found next to feeds.yaml, here, or packaged).")
@pass_env
@user_errors
def serve_command(env: Env, host: str | None, port: int, public: bool, metadata_path: str | None) -> None:
    """Browse and search the database in Datasette (French pages, Atom feeds, canned queries).

    Listens on 127.0.0.1; another --host needs --public. Pages: / (La une), /histoires/<id>
    (a story), /veille/articles, /veille/recherche; the database is served as /veille whatever
    its file name.

    \b
    Example:
        veille serve
        veille --db db/veille.db serve --port 8080 --public
    """
    import asyncio

    from veille.store import check_database_file

    check_database_exists(env.db_path)
    check_database_file(env.db_path)
    host = default_host(host, public)
    check_host(host, public)
    ds = make_datasette(env.db_path, public, metadata=metadata_path, config_path=env.config_path)
    sock = bind_socket(host, port)
    shown = "localhost" if host == "127.0.0.1" else host
    click.echo(f"Veille on http://{shown}:{port}/ ({'public, canned queries only' if public else 'local'}); Ctrl-C stops.")

    async def run() -> None:
        await ds.invoke_startup()
        await make_server(ds, host, port).serve(sockets=[sock])

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
