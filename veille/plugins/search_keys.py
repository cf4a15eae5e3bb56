"""A searched Articles page's count and facets read from ``item_keys``, not the item rows.

A page with ``?_search=`` (and no other filter) runs, besides its main query, ``select count(*)
from articles where arrivee in (<the window's matches>)`` (Datasette's count) and ``select
<facet columns> from (select <every column> from articles where arrivee in (…)) order by arrivee
desc limit 5000`` (:mod:`veille.plugins.facets`): each reads the window's ~1,000 item rows
(~500 bytes each), and after a commit each reads them again from the file on whichever
connection of the pool it lands on. ``item_keys`` (migration m014) holds the same values for
the same rowids in rows of ~70 bytes: :func:`narrowed` writes both queries on it (the same
search clause, the same order; view columns renamed back). Any other SQL, a filter besides the
search, or a facet column item_keys does not hold: None, the query runs as it was.
"""

from __future__ import annotations

import re

from veille.plugins.search_page import _SEARCH

TABLE = "item_keys"
VIEW = "articles"
# The articles view's column -> item_keys' column.
COLUMNS = {
    "arrivee": "item_rowid", "date": "published_at", "source": "source_id", "niveau": "tier",
    "type": "item_type", "langue": "lang", "specialites": "specialties",
}

_COUNT = re.compile(rf"select count\(\*\) from {VIEW} where (?P<search>{_SEARCH})")
_FACETS = re.compile(
    rf"select (?P<columns>\w+(?:, \w+)*) from \(select [\w, ]+ from {VIEW} where (?P<search>{_SEARCH})\s*\) "
    r"order by arrivee desc limit (?P<limit>\d+)"
)


def _search_on_keys(search: str) -> str | None:
    """The search clause on item_keys' key (the clause must test the view's ``arrivee``)."""
    key, rest = search.split(" in ", 1)
    return f"{COLUMNS['arrivee']} in {rest}" if key == "arrivee" else None


def narrowed(sql: str) -> str | None:
    """``sql`` on item_keys, or None when it is not a searched page's count or facet window."""
    text = sql.strip()
    count = _COUNT.fullmatch(text)
    if count is not None:
        search = _search_on_keys(count.group("search"))
        return None if search is None else f"select count(*) from {TABLE} where {search}"
    facets = _FACETS.fullmatch(text)
    if facets is None:
        return None
    columns = facets.group("columns").split(", ")
    search = _search_on_keys(facets.group("search"))
    if search is None or not all(c in COLUMNS for c in columns):
        return None
    selected = ", ".join(f"{COLUMNS[c]} as {c}" for c in columns)
    return f"select {selected} from {TABLE} where {search} order by {COLUMNS['arrivee']} desc limit {facets.group('limit')}"
