"""Datasette's schema questions answered once per schema version, and its row counts once per
commit, not on every page view.

Datasette 0.65 introspects the schema on every request: a table page asks whether the table is
a view (twice, with its indexes), whether it exists (three lookups, one for permissions), its
primary keys, columns (twice), column details, foreign keys (twice) and FTS table, and every
view first checks ``PRAGMA schema_version`` of each database to refresh its catalogue. Each is
a round trip through the SQL thread pool: about 20 for the Articles page, more time than its
SQL on a busy 2-core machine (bench/bench_search.py --reading-room). These answers are kept
while ``PRAGMA schema_version`` stays the same, and that is read again (one round trip) only
when :func:`veille.plugins.page_cache.data_version` says a commit happened; every answer is also
read again after ``MAX_AGE`` seconds. Datasette's ``select count(*) from …`` (a searched
Articles page counts its matches on every view) depends on the data, and is kept until the
next commit.

A searched page's main query is run with its sort on the keys alone
(:mod:`veille.plugins.search_page`); its probe, count and facet window come from one read of
its search window on ``item_keys`` when the database has it (:mod:`veille.plugins.search_keys`).

:class:`SchemaCachedDatabase` is the Database that ``veille.webapp.make_datasette`` adds;
:func:`refresh_only_when_written` wraps ``Datasette.refresh_schemas`` the same way.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

from datasette.database import Database, Results

from veille.plugins.page_cache import Cache, data_version
from veille.plugins.search_keys import TABLE as KEYS_TABLE
from veille.plugins.search_keys import WindowUse, answer, page_keys, window_sql, window_use
from veille.plugins.search_page import two_step, window_page

MAX_AGE = 60.0
ENTRIES = 512
WINDOWS = 32  # search windows kept (veille.plugins.search_keys)


SCHEMA_VERSION_SQL = "pragma schema_version"


def is_schema_read(sql: str) -> bool:
    """SQL whose answer changes only with the schema: Datasette's catalogue lookups."""
    lowered = sql.lower().strip()
    return "sqlite_master" in lowered or lowered in (SCHEMA_VERSION_SQL, "pragma database_list;")


def is_count(sql: str) -> bool:
    """Datasette's table-page counts (``select count(*) from <table> …``), which change only with
    a commit (not a user's arbitrary SQL, which may call functions of the time)."""
    lowered = sql.lower().strip()
    return lowered.startswith("select count(*) from ") and "now" not in lowered and "random" not in lowered


def frozen(params: Any) -> Hashable:  # noqa: ANN401 - Datasette passes dicts, lists, tuples or None
    if isinstance(params, dict):
        return tuple(sorted(params.items()))
    return tuple(params or ())


class SchemaCachedDatabase(Database):
    """A Database whose schema lookups are reused while the schema version stays (read again,
    one round trip, only when something was written) and whose counts while nothing is written."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # noqa: ANN401
        super().__init__(*args, **kwargs)
        self._cache = Cache(max_age=MAX_AGE, entries=ENTRIES)
        self._windows = Cache(max_age=MAX_AGE, entries=WINDOWS)  # about 150 kB each
        self._seen: tuple[int, ...] | None = None
        self._schema_version: Any = None  # the Results of PRAGMA schema_version

    async def schema_key(self) -> tuple[Any, ...] | None:
        """(schema version,), read again only when the data version changed; None for a
        database that is not a file (then nothing is kept)."""
        version = data_version(self.path)
        if version is None:
            return None
        if version != self._seen or self._schema_version is None:
            self._schema_version = await super().execute(SCHEMA_VERSION_SQL)
            self._seen = version
        return ("schema", self._schema_version.first()[0])

    async def _cached(self, key: Hashable, compute: Callable[[], Awaitable[Any]], *, schema: bool = True) -> Any:  # noqa: ANN401
        version = await self.schema_key() if schema else data_version(self.path)
        hit, value = self._cache.get(key, version)
        if not hit:
            value = await compute()
            self._cache.put(key, version, value)
        # Lists are the callers' to change (hidden_table_names appends): each gets its own.
        return list(value) if isinstance(value, list) else value

    async def execute(self, sql, params=None, truncate=False, custom_time_limit=None, page_size=None,  # noqa: ANN001, ANN201
                      log_sql_errors=True):
        run = super().execute
        searched = isinstance(params, dict) and set(params) == {"search"}
        use = window_use(sql) if searched else None
        if use is not None and await self.has_item_keys():
            return await self.from_window(use, params, custom_time_limit)
        page = window_page(sql) if searched else None
        if page is not None and await self.has_item_keys():
            rows = await self.window_rows(page.fts, page.window, params, custom_time_limit)
            keys = page_keys(rows, page.window, page.column, page.desc, page.limit, page.offset)
            if keys is not None:
                return await run(page.sql(keys), params, truncate, custom_time_limit, page_size, log_sql_errors)
        schema, count = is_schema_read(sql), is_count(sql)
        if not (schema or count):
            rewritten = two_step(sql, keys=await self.has_item_keys()) if " order by " in sql else None
            return await run(rewritten or sql, params, truncate, custom_time_limit, page_size, log_sql_errors)
        if sql.lower().strip() == SCHEMA_VERSION_SQL and await self.schema_key() is not None:
            return self._schema_version
        key = ("execute", sql, frozen(params), truncate, custom_time_limit, page_size)
        return await self._cached(key, lambda: run(sql, params, truncate, custom_time_limit, page_size, log_sql_errors),
                                  schema=schema)

    async def has_item_keys(self) -> bool:
        """Whether the database has m014's item_keys (an old read-only file may not)."""
        return bool(await self._cached(("has_item_keys",), lambda: super(SchemaCachedDatabase, self).table_exists(KEYS_TABLE)))

    async def from_window(self, use: WindowUse, params: dict[str, Any], custom_time_limit: int | None) -> Results:
        """A searched page's probe, count or facet window, from one read of its search window
        kept until the next commit (:mod:`veille.plugins.search_keys`)."""
        rows = await self.window_rows(use.fts, use.window, params, custom_time_limit)
        columns, answered = answer(use, rows)
        return Results(answered, False, [(c, None, None, None, None, None, None) for c in columns])

    async def window_rows(self, fts: str, window: int, params: dict[str, Any],
                          custom_time_limit: int | None) -> list[tuple[Any, ...]]:
        """The rows of :func:`window_sql` for this search, read once per data version."""
        key = (fts, window, params["search"])
        version = data_version(self.path)  # before the read: a commit during it is seen next time
        hit, rows = self._windows.get(key, version)
        if not hit:
            rows = await self.execute_fn(plain_reader(window_sql(fts, window), params,
                                                      self.time_limit_ms(custom_time_limit)))
            self._windows.put(key, version, rows)
        return rows

    def time_limit_ms(self, custom: int | None) -> int:
        """Datasette's limit for a query: sql_time_limit_ms, or the caller's if lower."""
        limit = self.ds.sql_time_limit_ms
        return custom if custom and custom < limit else limit

    async def table_columns(self, table):  # noqa: ANN001, ANN201
        return await self._cached(("table_columns", table), lambda: super(SchemaCachedDatabase, self).table_columns(table))

    async def table_column_details(self, table):  # noqa: ANN001, ANN201
        return await self._cached(("column_details", table),
                                  lambda: super(SchemaCachedDatabase, self).table_column_details(table))

    async def primary_keys(self, table):  # noqa: ANN001, ANN201
        return await self._cached(("primary_keys", table), lambda: super(SchemaCachedDatabase, self).primary_keys(table))

    async def fts_table(self, table):  # noqa: ANN001, ANN201
        return await self._cached(("fts_table", table), lambda: super(SchemaCachedDatabase, self).fts_table(table))

    async def foreign_keys_for_table(self, table):  # noqa: ANN001, ANN201
        return await self._cached(("foreign_keys", table),
                                  lambda: super(SchemaCachedDatabase, self).foreign_keys_for_table(table))

    async def hidden_table_names(self):  # noqa: ANN201
        return await self._cached(("hidden",), lambda: super(SchemaCachedDatabase, self).hidden_table_names())


def plain_reader(sql: str, params: dict[str, Any], time_limit_ms: int) -> Callable[[Any], list[tuple[Any, ...]]]:
    """What Datasette's ``execute`` runs in its SQL thread (the time limit, QueryInterrupted), with
    plain tuples for rows: a window's 1,001 rows read as sqlite3.Row objects cost a millisecond
    more after a commit (bench/bench_search.py --reading-room).

    Text is decoded by sqlite3 itself (``text_factory = str``, in C), not by the Python function
    Datasette sets on its connections (``str(b, "utf-8", "replace")``, called for each of a
    window's ~6,000 text values: 2.3 ms of its 6.7 ms after a commit on 1M items). The two give
    the same strings for valid UTF-8, which is all Veille writes; text that is not valid UTF-8
    makes sqlite3 refuse the row, and the query is read again with Datasette's decoding."""
    import sqlite3

    from datasette.database import QueryInterrupted
    from datasette.utils import sqlite_timelimit

    def run(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
        with sqlite_timelimit(conn, time_limit_ms):
            cursor = conn.cursor()
            cursor.row_factory = None
            try:
                return cursor.execute(sql, params).fetchall()
            except sqlite3.OperationalError as e:
                if e.args == ("interrupted",):
                    raise QueryInterrupted(e, sql, params) from e
                raise

    def read(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
        replacing = conn.text_factory
        conn.text_factory = str
        try:
            return run(conn)
        except sqlite3.OperationalError as e:
            if not str(e).startswith("Could not decode to UTF-8"):
                raise
        finally:
            conn.text_factory = replacing
        return run(conn)  # text that is not UTF-8: decoded as Datasette does, invalid bytes replaced

    return read


def refresh_only_when_written(datasette: Any) -> None:  # noqa: ANN401 - a Datasette instance
    """Datasette refreshes its catalogue of every database before each view (three lookups);
    skip that while no file database's schema changed and less than MAX_AGE seconds passed."""
    original = datasette.refresh_schemas
    state: dict[str, Any] = {"version": None, "at": 0.0}

    async def refresh_schemas() -> None:
        version = []
        for db in datasette.databases.values():
            if isinstance(db, SchemaCachedDatabase):
                version.append(await db.schema_key())
            elif not db.is_memory:
                version.append(data_version(db.path))
        if version == state["version"] and None not in version and time.monotonic() - state["at"] < MAX_AGE:
            return
        await original()
        state.update(version=version, at=time.monotonic())

    datasette.refresh_schemas = refresh_schemas


def table_permissions_once(datasette: Any) -> None:  # noqa: ANN401 - a Datasette instance
    """Datasette answers "who may view this table" (asked on every table page, and again for
    each canned query and link it shows) by deep-copying the whole metadata and merging it
    again: about 1 ms a page. The answer depends on the metadata alone, so it is kept per
    (database, table) while the instance's metadata is the same object and no plugin supplies
    metadata through ``get_metadata`` (then every call computes it, as Datasette does)."""
    from datasette.plugins import pm

    original = datasette._table_permission_allows
    kept: dict[tuple[Any, ...], list[Any]] = {}

    def table_permission_allows(database: str, table: str) -> list[Any]:
        if pm.hook.get_metadata.get_hookimpls():
            return original(database, table)
        key = (id(datasette._metadata_local), database, table)
        if key not in kept:
            if len(kept) > ENTRIES:
                kept.clear()
            kept[key] = original(database, table)
        return list(kept[key])

    datasette._table_permission_allows = table_permission_allows
