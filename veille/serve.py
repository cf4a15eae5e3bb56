"""`veille serve`: Datasette on the Veille database, in French, safe to expose.

The database is always served under the name ``veille`` (``/veille/articles``) whatever its file
name, as a *mutable* database: Datasette then reads through ordinary read-only connections that
honour SQLite's locks, so it sees consistent snapshots while the collector writes (serving it
immutable, ``-i``, turns locking off and can show torn pages).

Other code (``veille run --serve``) starts the web server with::

    from veille.serve import start_server
    await start_server("db/veille.db", host="127.0.0.1", port=8001, public=False)

which runs until cancelled. Tests build the app with :func:`make_datasette` and use ``ds.client``.
"""

from __future__ import annotations

import errno
import ipaddress
import json
import os
import re
import socket
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from veille.cli import CONTEXT, Env, UsageProblem, pass_env, user_errors

DATABASE_NAME = "veille"
METADATA_FILE = "datasette-metadata.json"
PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
# The copy of the metadata shipped inside the package (a test keeps it identical to the one at
# the repository root), for installs where there is no checkout to find it in.
PACKAGED_METADATA = TEMPLATES_DIR / METADATA_FILE

# Views are schema: created or replaced (when their SQL changed) by ensure_views() before
# serving. The browsing view has French column names: Datasette 0.65 has no column titles.
# It reads items alone: m004 keeps each item's specialties (a sorted JSON array) and its source's
# tier on the row, so a page, a count or a facet costs no join and no subquery per item.
# `arrivee` is the real rowid (arrival order; FTS5 shares it): a search (veille_search_filters in
# the plugin: `arrivee in (the most recent matches)`) looks its few matches up by rowid and,
# ordered by arrivee, reads one page and stops (bench/bench_search.py).
# Every column is a plain column: SQLite computes all of them for each row it sorts (a search's
# 1,000 matches by date), so the other carriers are kept on the row (m011) and the Atom entries
# are made from the page's columns by the plugin's renderer (no atom_* copies).
VIEWS: dict[str, str] = {
    "articles": """
create view articles as
select
  i.rowid as arrivee,
  i.published_at as date,
  i.title as titre,
  i.source_id as source,
  i.tier as niveau,
  i.item_type as type,
  i.lang as langue,
  i.specialties as specialites,
  i.summary as resume,
  i.other_sources as autres_sources,
  i.story_id as histoire,
  i.url as lien,
  i.id as id
from items i
""".strip(),
}


class ServeError(click.ClickException):
    exit_code = 2


def normalised_sql(sql: str | None) -> str:
    """A view's SQL as compared with VIEWS: SQLite stores ``create view`` as ``CREATE VIEW`` and
    keeps the rest as written; spacing is not meaning."""
    if not sql:
        return ""
    sql = re.sub(r"^\s*create\s+view\s+", "create view ", sql.strip(), flags=re.IGNORECASE)
    return " ".join(sql.split())


def stale_views(current: Mapping[str, str | None]) -> list[str]:
    """The views of VIEWS that are missing from ``current`` (name -> stored SQL) or differ."""
    return [name for name, sql in VIEWS.items() if normalised_sql(current.get(name)) != normalised_sql(sql)]


# --- schema ----------------------------------------------------------------------------------

def ensure_views(db_path: str) -> None:
    """Create the schema (migrations) and the views; a view whose SQL changed is replaced.

    Writes only when something is missing or outdated, so serving a read-only file whose views
    are current works."""
    from veille.store import Store

    if os.path.exists(db_path) and not os.access(db_path, os.W_OK):
        _check_views_current(db_path)
        return
    store = Store(db_path)
    try:
        current = {r["name"]: r["sql"] for r in store.db.query("select name, sql from sqlite_master where type = 'view'")}
        stale = stale_views(current)
        if stale:
            with store.immediate() as db:
                for name in stale:
                    db.execute(f"drop view if exists [{name}]")
                    db.execute(VIEWS[name])
    finally:
        store.close()


def _check_views_current(db_path: str) -> None:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        current = dict(conn.execute("select name, sql from sqlite_master where type = 'view'").fetchall())
    finally:
        conn.close()
    stale = stale_views(current)
    if stale:
        raise ServeError(
            f"{db_path} is read-only and its views ({', '.join(stale)}) are missing or outdated; "
            "run `veille serve` once with write access to create them."
        )


# --- metadata --------------------------------------------------------------------------------

def find_metadata(config_path: str | None = None) -> Path:
    """Where datasette-metadata.json is: $VEILLE_METADATA, next to feeds.yaml, the current
    directory, the checkout this package runs from, else the copy shipped in the package."""
    candidates: list[Path] = []
    if os.environ.get("VEILLE_METADATA"):
        candidates.append(Path(os.environ["VEILLE_METADATA"]))
    if config_path:
        candidates.append(Path(config_path).resolve().parent / METADATA_FILE)
    candidates.append(Path.cwd() / METADATA_FILE)
    candidates.append(PACKAGE_DIR.parent / METADATA_FILE)
    candidates.append(PACKAGED_METADATA)
    for path in candidates:
        if path.is_file():
            return path
    raise ServeError(f"cannot find {METADATA_FILE} (looked in {', '.join(map(str, candidates))})")


def load_metadata(path: str | Path | None = None, *, public: bool = False) -> dict[str, Any]:
    path = Path(path) if path else find_metadata()
    try:
        metadata = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ServeError(f"cannot read {path}: {e}") from e
    if public:
        make_public(metadata)
    return metadata


def make_public(metadata: dict[str, Any]) -> None:
    """No arbitrary SQL for anyone, whatever the file says (canned queries stay available), and
    secrets in URLs redacted from every response (veille.plugins.public)."""
    metadata["allow_sql"] = False
    plugins = metadata.setdefault("plugins", {})
    plugins.setdefault("veille", {})["public"] = True


def settings_for(public: bool) -> dict[str, Any]:
    return {
        # Facet suggestions run a query per column on every table page: on 1M rows that is
        # most of the cost of a search (see bench/bench_search.py).
        "suggest_facets": False,
        "facet_time_limit_ms": 150,
        "sql_time_limit_ms": 1000 if public else 3000,
        "max_returned_rows": 1000,
        "default_page_size": 50,
        "allow_download": False,  # a live WAL database is not a file to hand out
        "allow_csv_stream": not public,
        "default_allow_sql": not public,
        "num_sql_threads": 3,
    }


# --- the app ---------------------------------------------------------------------------------

def register_plugin() -> None:
    from datasette.plugins import pm

    from veille.plugins import (
        atom,
        datasette_alerts,
        datasette_veille,
        facets,
        labels,
        paging,
        public,
        reading_room,
        response_cache,
        table_cells,
    )

    for module, name in (
        (datasette_veille, "veille"), (reading_room, "veille_reading_room"), (labels, "veille_labels"),
        (public, "veille_public"), (facets, "veille_facets"), (datasette_alerts, "veille_alerts"),
        (paging, "veille_paging"), (atom, "veille_atom"), (response_cache, "veille_response_cache"),
    ):
        if not pm.is_registered(module):
            pm.register(module, name=name)
    table_cells.install()


def make_datasette(
    db_path: str | os.PathLike[str],
    public: bool = False,
    *,
    metadata: str | Path | Mapping[str, Any] | None = None,
    config_path: str | None = None,
    settings: Mapping[str, Any] | None = None,
):  # -> datasette.app.Datasette (imported lazily)
    """The Datasette app for one Veille database, served as ``/veille``."""
    from datasette.app import Datasette

    from veille.plugins.schema_cache import (
        SchemaCachedDatabase,
        refresh_only_when_written,
        table_permissions_once,
    )

    db_path = os.fspath(db_path)
    ensure_views(db_path)
    meta: dict[str, Any]
    if metadata is None:
        meta = load_metadata(find_metadata(config_path), public=public)
    elif not isinstance(metadata, Mapping):
        meta = load_metadata(metadata, public=public)
    else:
        meta = json.loads(json.dumps(metadata))
        if public:
            make_public(meta)
    days = archive_days_for(config_path)
    if days is not None:  # La une counts news like the digest: settings.digest.archive_days
        plugins = dict(meta.get("plugins") or {})
        plugins["veille"] = {**(plugins.get("veille") or {}), "archive_days": days}
        meta = {**meta, "plugins": plugins}
    meta = with_mute_rules(dict(meta), config_path)
    register_plugin()
    ds = Datasette(
        files=[],
        metadata=meta,
        settings={**settings_for(public), **(settings or {})},
        template_dir=str(TEMPLATES_DIR),
    )
    # Datasette adds an in-memory database when given no files: it would accept any SQL.
    if "_memory" in ds.databases:
        ds.remove_database("_memory")
    # Schema lookups (about 20 thread round trips a table page) are reused until a commit.
    ds.add_database(SchemaCachedDatabase(ds, path=db_path, is_mutable=True), name=DATABASE_NAME)
    refresh_only_when_written(ds)
    table_permissions_once(ds)
    return ds


def archive_days_for(config_path: str | None) -> float | None:
    """settings.digest.archive_days of feeds.yaml, or None (no file, or one that does not load:
    `veille collect` reports that; the pages then use the default)."""
    if not config_path or not os.path.isfile(config_path):
        return None
    from veille.config import load_config
    from veille.digest import digest_settings
    from veille.errors import VeilleError

    try:
        return float(digest_settings(load_config(config_path).settings)["archive_days"])
    except (VeilleError, OSError):
        return None


def with_mute_rules(metadata: dict[str, Any], config_path: str | None) -> dict[str, Any]:
    """settings.mute and settings.spikes of feeds.yaml, for the pages that leave muted items out
    and show spikes (the alert pages; ``veille_muted()`` in SQL). No feeds.yaml, or an invalid
    one: no rules."""
    from veille.config import load_config
    from veille.errors import ConfigError

    if not config_path or not os.path.exists(config_path):
        return metadata
    try:
        settings = load_config(config_path).settings
    except ConfigError:
        return metadata
    plugins = dict(metadata.get("plugins") or {})
    veille = dict(plugins.get("veille") or {})
    for key in ("mute", "spikes"):
        if settings.sections.get(key):
            veille[key] = settings.sections[key]
    veille.setdefault("timezone", settings.timezone)
    plugins["veille"] = veille
    metadata["plugins"] = plugins
    return metadata


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
