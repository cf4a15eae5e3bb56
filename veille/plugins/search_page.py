"""A searched table page's rows sorted in two steps: keys first, then the shown rows.

Datasette's main query for ``?_search=`` on the articles view is ``select <every column> from
articles where arrivee in (<the window's matches>) order by date desc limit 51``: SQLite reads
each of the window's ~1,000 rows whole and sorts them with all their columns (summaries
included) to keep 51. :func:`two_step` writes the same query as ``… where arrivee in (select
arrivee from articles where <same filters> order by date desc limit 51 offset N) order by date
desc limit 51``: the sort carries the key and the sort column only, and only the page's rows are
read whole (4.3 -> 2.0 ms on 1M items after a commit; bench/bench_search.py --reading-room).

Only Veille's search clause (``<key> in (select rowid from <fts> where <fts> match
escape_fts(:search) order by rowid desc limit N)``, see
:func:`veille.plugins.datasette_veille.veille_search_filters`) is recognised: its key is the
FTS rowid, unique, so both forms select the same rows; ties of the sort column come out in the
same order because the inner sort sees the same rows in the same order as the original did, and
the outer sort the page's rows in that order (tests compare both forms on every sort and page).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NAME = r"(?:\w+|\[[^\]]+\])"
_SEARCH = (
    rf"(?P<key>{_NAME}) in \(select rowid from (?P<fts>{_NAME}) where (?P=fts) match "
    r"escape_fts\(:search\) order by rowid desc limit (?P<window>\d+)\)"
)
_MAIN = re.compile(
    rf"select (?P<columns>.+?) from (?P<table>{_NAME}) where (?P<where>{_SEARCH}(?: and .+?)?) "
    r"(?P<order>order by [^()]+?) limit (?P<limit>\d+)(?P<offset> offset \d+)?",
    re.DOTALL,
)


_ORDER = re.compile(r"order by (?P<column>\w+)(?P<desc> desc)?")


def two_step(sql: str, keys: bool = False) -> str | None:
    """``sql`` with its sort done on the keys alone, or None when it is not a searched page's
    main query. ``keys``: the database has item_keys (m014); the articles view's search alone,
    sorted by a column item_keys holds, is then sorted there (rows of ~70 bytes, not the items'
    ~500: the same rowids, read in the same order, so ties come out the same)."""
    found = _MAIN.fullmatch(sql.strip())
    if found is None:
        return None
    columns, table, where, key, order, limit = found.group("columns", "table", "where", "key", "order", "limit")
    offset = found.group("offset") or ""
    inner = f"select {key} from {table} where {where} {order} limit {limit}{offset}"
    if keys:
        inner = _on_keys(table, where, key, order, limit, offset) or inner
    return f"select {columns} from {table} where {key} in ({inner}) {order} limit {limit}"


def _on_keys(table: str, where: str, key: str, order: str, limit: str, offset: str) -> str | None:
    from veille.plugins.search_keys import COLUMNS, TABLE, VIEW

    sort = _ORDER.fullmatch(order.strip())
    search = re.fullmatch(_SEARCH, where)
    if table != VIEW or key != "arrivee" or search is None or sort is None or sort.group("column") not in COLUMNS:
        return None
    rowid = COLUMNS["arrivee"]
    return (f"select {rowid} from {TABLE} where {rowid}{where[len(key):]} "
            f"order by {COLUMNS[sort.group('column')]}{sort.group('desc') or ''} limit {limit}{offset}")


# Sorted in Python among the window's rows (veille.plugins.search_keys.page_keys): the arrival
# order (integer rowids) and the publication date (text, never NULL in item_keys), the page's two
# sortable columns; any other sort is left to SQLite.
SORTED_ON_WINDOW = ("arrivee", "date")


@dataclass(frozen=True)
class WindowPage:
    """A searched Articles page's main query (the search alone, sorted by ``column`` of
    item_keys) whose rows are chosen among its search window's rows, read once per commit for
    its probe, count and facets: the FTS walk and the window's 1,000 item_keys lookups are not
    done again for the page (3.7 -> 0.5 ms after a commit on 1M items). :meth:`sql` is the query
    of the chosen rows, sorted and limited as Datasette's (and :func:`two_step`'s outer query)."""

    fts: str
    window: int
    column: str
    desc: bool
    limit: int
    offset: int
    head: str  # "select <columns> from <table> where <key> in ("
    tail: str  # ") order by … limit …"

    def sql(self, keys: list[int]) -> str:
        return f"{self.head}{', '.join(str(int(k)) for k in keys)}{self.tail}"


def window_page(sql: str) -> WindowPage | None:
    """The :class:`WindowPage` of a searched page's main query, or None for any other SQL (another
    filter besides the search, another sort, another table: then :func:`two_step`)."""
    from veille.plugins.search_keys import COLUMNS, VIEW

    found = _MAIN.fullmatch(sql.strip())
    if found is None:
        return None
    columns, table, where, key, order, limit = found.group("columns", "table", "where", "key", "order", "limit")
    sort = _ORDER.fullmatch(order.strip())
    if (table != VIEW or key != "arrivee" or re.fullmatch(_SEARCH, where) is None or sort is None
            or sort.group("column") not in SORTED_ON_WINDOW):
        return None
    offset = found.group("offset")
    return WindowPage(
        found.group("fts"), int(found.group("window")), COLUMNS[sort.group("column")], bool(sort.group("desc")),
        int(limit), int(offset.split()[-1]) if offset else 0,
        f"select {columns} from {table} where {key} in (", f") {order} limit {limit}",
    )
