"""Results that only change when the data do, kept between page views.

The unfiltered Articles page counts its facets among the 5,000 most recent items and counts up
to 10,001 items on every view (about 25 ms of SQL on 1M items); a search's facets are five more
queries. None of it changes until the writer commits. :func:`data_version` is what changes
when it does: SQLite in WAL mode appends every commit to ``<db>-wal`` (its size and mtime
change) and a checkpoint rewrites the database file (its mtime changes), so two ``stat`` calls
tell a page whether anything was written since a result was computed. A result is also
recomputed after ``max_age`` seconds whatever the files say (mtime granularity, a WAL reused at
the same size).

Pure: :class:`Cache` knows nothing of Datasette; the plugins key it by SQL and parameters.
"""

from __future__ import annotations

import os
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

DEFAULT_MAX_AGE = 300.0
DEFAULT_ENTRIES = 256


def data_version(path: str | None) -> tuple[int, ...] | None:
    """What changes whenever a commit reaches the database file or its WAL; None when the
    database is not a file (memory): then nothing is cached."""
    if not path:
        return None
    try:
        main = os.stat(path)
    except OSError:
        return None
    try:
        wal = os.stat(f"{path}-wal")
        wal_state: tuple[int, ...] = (wal.st_size, wal.st_mtime_ns)
    except OSError:
        wal_state = (-1, -1)
    return (main.st_size, main.st_mtime_ns, *wal_state)


@dataclass(frozen=True)
class Entry:
    version: tuple[int, ...]
    at: float
    value: Any


class Cache:
    """A bounded map of results, each valid for one data version and at most ``max_age`` s."""

    def __init__(self, max_age: float = DEFAULT_MAX_AGE, entries: int = DEFAULT_ENTRIES,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_age = max_age
        self.entries = entries
        self.clock = clock
        self._items: OrderedDict[Hashable, Entry] = OrderedDict()

    def get(self, key: Hashable, version: tuple[int, ...] | None) -> tuple[bool, Any]:
        """(True, value) when ``key`` was stored for this version less than max_age ago."""
        entry = self._items.get(key)
        if version is None or entry is None or entry.version != version or self.clock() - entry.at > self.max_age:
            return False, None
        self._items.move_to_end(key)
        return True, entry.value

    def put(self, key: Hashable, version: tuple[int, ...] | None, value: Any) -> None:
        if version is None or self.max_age <= 0:
            return
        self._items[key] = Entry(version, self.clock(), value)
        self._items.move_to_end(key)
        while len(self._items) > self.entries:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


def cache_for(datasette: Any) -> Cache:  # noqa: ANN401 - a Datasette instance
    """The Datasette instance's cache; ``plugins.veille.page_cache_seconds`` (0: none)."""
    cache = datasette.__dict__.get("_veille_page_cache")
    if cache is None:
        seconds = (datasette.plugin_config("veille") or {}).get("page_cache_seconds", DEFAULT_MAX_AGE)
        cache = Cache(max_age=float(seconds))
        datasette.__dict__["_veille_page_cache"] = cache
    return cache


async def cached_execute(datasette: Any, database: str, sql: str, params: Any = None, **kwargs: Any) -> Any:  # noqa: ANN401
    """``datasette.get_database(database).execute(sql, params)``, reused while the data have
    not changed (the Results object: rows and columns, read only by the callers)."""
    db = datasette.get_database(database)
    version = data_version(db.path)
    key = (database, sql, tuple(sorted((params or {}).items())) if isinstance(params, dict) else tuple(params or ()))
    cache = cache_for(datasette)
    hit, value = cache.get(key, version)
    if hit:
        return value
    result = await db.execute(sql, params, **kwargs)
    cache.put(key, version, result)
    return result
