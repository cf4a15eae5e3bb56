"""The Datasette app of one Veille database: its views, metadata, settings and plugins.

The database is always served under the name ``veille`` (``/veille/articles``) whatever its file
name, as a *mutable* database: Datasette then reads through ordinary read-only connections that
honour SQLite's locks, so it sees consistent snapshots while the collector writes (serving it
immutable, ``-i``, turns locking off and can show torn pages).

Tests build the app with :func:`make_datasette` and use ``ds.client``; :mod:`veille.serve` (the
``serve`` command, ``veille run --serve``) puts it behind uvicorn.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

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
        column_menu,
        datasette_alerts,
        datasette_veille,
        facets,
        labels,
        paging,
        public,
        reading_room,
        request_args,
        response_cache,
        table_cells,
    )

    for module, name in (
        (datasette_veille, "veille"), (reading_room, "veille_reading_room"), (labels, "veille_labels"),
        (public, "veille_public"), (facets, "veille_facets"), (datasette_alerts, "veille_alerts"),
        (paging, "veille_paging"), (atom, "veille_atom"), (response_cache, "veille_response_cache"),
        (column_menu, "veille_column_menu"),
    ):
        if not pm.is_registered(module):
            pm.register(module, name=name)
    table_cells.install()
    request_args.install()


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
