"""A searched Articles page's probe, count and facets answered from one read of its window.

A page with ``?_search=`` (and no other filter) ran, besides its main query, three queries over
the same FTS window: the probe (``select count(*) from (select rowid from items_fts … limit
1001)``, :func:`veille.plugins.datasette_veille.veille_search_filters`), Datasette's count
(``select count(*) from articles where arrivee in (<the window's matches>)``) and the facet
window (``select <facet columns> from (select <every column> from articles where arrivee in
(…)) order by arrivee desc limit 5000``, :mod:`veille.plugins.facets`). Each walked the FTS
index and read the matches' ~500-byte item rows, and after a commit each read them again from
the file on whichever connection of the pool it landed on.

:func:`window_use` recognises the three; the database then reads the window once
(:func:`window_sql`: the newest ``window + 1`` matches' keys from ``item_keys``, migration m014,
rows of ~70 bytes, newest first), keeps it until the next commit, and :func:`answer` computes
each result from it: the same numbers and rows, in the same order (``arrivee`` descending).
Any other SQL, a filter besides the search, or a facet column item_keys does not hold: None,
the query runs as it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

TABLE = "item_keys"
VIEW = "articles"
# The articles view's column -> item_keys' column, in the order window_sql reads them.
COLUMNS = {
    "arrivee": "item_rowid", "date": "published_at", "source": "source_id", "niveau": "tier",
    "type": "item_type", "langue": "lang", "specialites": "specialties",
}

_NAME = r"(?:\w+|\[[^\]]+\])"
_MATCHES = (rf"select rowid from (?P<fts>{_NAME}) where (?P=fts) match escape_fts\(:search\) "
            r"order by rowid desc limit (?P<limit>\d+)")
_PROBE = re.compile(rf"select count\(\*\) from \({_MATCHES}\)")
_COUNT = re.compile(rf"select count\(\*\) from {VIEW} where arrivee in \({_MATCHES}\)")
_FACETS = re.compile(
    rf"select (?P<columns>\w+(?:, \w+)*) from \(select [\w, ]+ from {VIEW} where arrivee in \({_MATCHES}\)\s*\) "
    r"order by arrivee desc limit (?P<rows>\d+)"
)


@dataclass(frozen=True)
class WindowUse:
    """What a query asks of a search window: its FTS table and size (matches kept), and
    ``probe`` (how many of the newest ``window + 1`` matches exist), ``count`` (how many in
    the window) or ``facets`` (``columns`` of its first ``rows``, newest first)."""

    fts: str
    window: int
    kind: str
    columns: tuple[str, ...] = ()
    rows: int = 0


def window_use(sql: str) -> WindowUse | None:
    text = sql.strip()
    found = _PROBE.fullmatch(text)
    if found is not None:
        return WindowUse(found.group("fts"), int(found.group("limit")) - 1, "probe")
    found = _COUNT.fullmatch(text)
    if found is not None:
        return WindowUse(found.group("fts"), int(found.group("limit")), "count")
    found = _FACETS.fullmatch(text)
    if found is None:
        return None
    columns = tuple(found.group("columns").split(", "))
    if not all(c in COLUMNS for c in columns):
        return None
    return WindowUse(found.group("fts"), int(found.group("limit")), "facets", columns, int(found.group("rows")))


def window_sql(fts: str, window: int) -> str:
    """The newest ``window + 1`` matches of ``:search``, their item_keys values (COLUMNS' order),
    newest first."""
    return (f"select {', '.join(COLUMNS.values())} from {TABLE} where {COLUMNS['arrivee']} in "
            f"(select rowid from {fts} where {fts} match escape_fts(:search) order by rowid desc limit {window + 1}) "
            f"order by {COLUMNS['arrivee']} desc")


def answer(use: WindowUse, rows: list[Any]) -> tuple[list[str], list[tuple[Any, ...]]]:
    """(columns, rows) of the query ``use`` stands for, from the rows of :func:`window_sql`."""
    if use.kind == "probe":
        return ["count(*)"], [(len(rows),)]
    kept = rows[:use.window]
    if use.kind == "count":
        return ["count(*)"], [(len(kept),)]
    at = [list(COLUMNS).index(c) for c in use.columns]
    pick = itemgetter(*at)  # in C; one column gives the value itself
    picked = map(pick, kept[:use.rows])
    return list(use.columns), list(picked) if len(at) > 1 else [(value,) for value in picked]


def page_keys(rows: list[Any], window: int, column: str, desc: bool, limit: int, offset: int) -> list[int] | None:
    """The item rowids of a searched page sorted by ``column`` (an item_keys column), the
    ``limit`` rows from ``offset``, chosen among the window's rows (:func:`window_sql`) as SQLite
    chooses them in ``select item_rowid from item_keys where item_rowid in (<the window's
    matches>) order by <column> [desc] limit … offset …``: SQLite visits the matches in ascending
    rowid order and its sort keeps that order among equal values; Python's sort is stable, also
    with ``reverse`` (tests compare both on pages full of ties). None when a value of the column
    is not of the one type SQLite and Python would order alike (integer rowids, text dates)."""
    at = list(COLUMNS.values()).index(column)
    kind = int if column == COLUMNS["arrivee"] else str
    kept = rows[:window]
    if any(type(row[at]) is not kind for row in kept):
        return None
    visited = kept[::-1]  # the window is newest first: ascending rowids
    ranked = sorted(visited, key=itemgetter(at), reverse=desc)
    return [row[0] for row in ranked[offset:offset + limit]]
