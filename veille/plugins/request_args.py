"""``request.args`` parsed once per request, not on every access.

Datasette 0.65's ``Request.args`` is a property that parses the query string again each time it
is read: a searched Articles page reads it about 60 times (filters, facets, sorting, paging,
templates), each a ``parse_qs`` and a new ``MultiParams``. :func:`install` replaces the property
with one that keeps the parsed ``MultiParams`` on the request, and parses again only if the
query string changed (nothing in Datasette changes ``scope`` after the request is made; this
check costs a string comparison). Datasette's code only reads ``MultiParams``; the same object
is now shared by the readers of one request, as a dict of lists that none of them changes.
"""

from __future__ import annotations

from typing import Any

ATTRIBUTE = "_veille_args"
ORIGINAL = "_veille_original_args"


def _args(self: Any) -> Any:  # noqa: ANN401 - a datasette Request and its MultiParams
    query = self.scope.get("query_string") or b""
    kept = self.__dict__.get(ATTRIBUTE)
    if kept is None or kept[0] is not query and kept[0] != query:
        kept = (query, getattr(type(self), ORIGINAL).fget(self))
        self.__dict__[ATTRIBUTE] = kept
    return kept[1]


def install() -> None:
    """Put the parsing-once ``args`` on Datasette's Request (once per process)."""
    from datasette.utils.asgi import Request

    if not hasattr(Request, ORIGINAL):
        setattr(Request, ORIGINAL, Request.args)
        Request.args = property(_args)
