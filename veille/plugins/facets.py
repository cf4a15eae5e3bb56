"""Facets that stay fast on a million articles: counted among the most recent rows.

Datasette counts a facet over every row of the page's query: on the unfiltered Articles page
(1M items) that is five GROUP BYs over the whole table, and its array facet joins every row
with ``json_each`` and de-duplicates whole rows. The facet types here (``veille_column``,
``veille_array``, used by the articles view's metadata) count the same values among the
``WINDOW`` most recently collected rows of the page's query (``arrivee`` descending: one index
walk that stops there). A search (at most 1,000 matches) or a narrow filter is counted exactly;
past the window the page says the facets describe the most recent articles. Links and filters
are Datasette's own (``?source=``, ``?specialites__arraycontains=``).

Each facet type reads the window once, all its columns in one query, and counts in Python
(:func:`count_values`, :func:`count_arrays`): one GROUP BY per facet cost a window scan each,
five of them two thirds of an Articles page viewed after a commit.

``RecentFacet.compute_results`` follows Datasette 0.65's ``ColumnFacet.facet_results`` and
``ArrayFacet.facet_results`` (Apache-2.0), one loop for both.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from json import JSONDecodeError, loads
from operator import itemgetter
from typing import Any

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.facets import ArrayFacet, ColumnFacet
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args

from veille.plugins.page_cache import cache_for, cached_execute, data_version

WINDOW = 5_000
ORDER_COLUMN = "arrivee"


def recent(sql: str, columns: Iterable[str]) -> str:
    """The columns' values among the WINDOW most recent rows of ``sql`` (only those columns are
    read)."""
    return f"select {', '.join(escape_sqlite(c) for c in columns)} from ({sql}) order by {ORDER_COLUMN} desc limit {WINDOW}"


def _order(item: tuple[Any, int]) -> tuple[int, int, Any]:  # noqa: ANN401
    """SQLite's ``order by count desc, value``: numbers before text."""
    value, n = item
    return (-n, 1 if isinstance(value, str | bytes) else 0, value)


def ordered(counts: dict[Any, int]) -> list[tuple[Any, int]]:
    """``counts``' pairs in SQLite's ``order by count desc, value`` (:func:`_order`). Text values
    alone (the usual case: sources, tiers, types) are sorted with C keys, by value then, stably,
    by count (200 sources: 0.4 -> 0.1 ms); any other mix of types goes through :func:`_order`."""
    pairs = list(counts.items())
    if all(type(value) is str for value in counts):
        pairs.sort(key=itemgetter(0))
        pairs.sort(key=itemgetter(1), reverse=True)  # stable: equal counts stay by value
        return pairs
    return sorted(pairs, key=_order)


def count_values(values: Iterable[Any]) -> list[tuple[Any, int]]:  # noqa: ANN401
    """A column's (value, count) pairs, NULLs left out, most frequent first (ties by value)."""
    counts = Counter(values)  # counted in C, then NULL taken out
    counts.pop(None, None)
    return ordered(counts)


def count_arrays(values: Iterable[Any]) -> list[tuple[Any, int]]:  # noqa: ANN401
    """The (element, count) pairs of JSON arrays (each array holds a value once), most frequent
    first; NULL, malformed JSON and non-arrays count nothing. Each distinct text is parsed once."""
    totals: Counter[Any] = Counter()
    for text, n in Counter(values).items():
        if isinstance(text, str):
            for element in array_elements(text):
                totals[element] += n
    return ordered(totals)


@lru_cache(maxsize=4096)
def array_elements(text: str) -> tuple[Any, ...]:
    """The countable elements of a JSON array (strings and numbers), parsed once per process:
    the same few hundred specialty arrays recur on every page (about 200 json.loads a searched
    page, each time its facets were counted again after a commit)."""
    try:
        parsed = loads(text)
    except (JSONDecodeError, RecursionError):
        return ()
    if not isinstance(parsed, list):
        return ()
    return tuple(e for e in parsed if isinstance(e, str | int | float) and not isinstance(e, bool))


def page_facet_columns(metadata: dict, request: Any) -> list[str]:  # noqa: ANN401 - a Datasette Request
    """Every column faceted on a page: the table's metadata facets (``"col"``, ``{"type": "col"}``
    or ``{"type": {"column": "col"}}``) and the request's ``_facet`` / ``_facet_array``."""
    columns: list[str] = []
    for facet in (metadata or {}).get("facets") or []:
        for value in ([facet] if isinstance(facet, str) else facet.values() if isinstance(facet, dict) else []):
            column = value if isinstance(value, str) else (value or {}).get("column") or (value or {}).get("simple")
            if isinstance(column, str):
                columns.append(column)
    for arg in ("_facet", "_facet_array"):
        columns += request.args.getlist(arg)
    return sorted(set(columns))


class RecentFacet:
    """What both facet types share: the results of a page (values, counts and toggle links) are
    computed once per data version and page address (an unfiltered Articles page, viewed again
    before the next commit, costs no query and builds no link: :mod:`veille.plugins.page_cache`),
    over the most recent rows. A type says only its SQL, its ``?_facet…`` argument and the filter
    a value toggles."""

    facet_arg: str  # the query-string argument that shows the facet

    def count(self, values: Iterable[Any]) -> list[tuple[Any, int]]:  # noqa: ANN401
        raise NotImplementedError

    def filter_arg(self, column: str) -> str:
        raise NotImplementedError

    def shown(self, value):  # noqa: ANN001, ANN201
        return value

    async def suggest(self):  # noqa: ANN201
        return []

    async def facet_results(self):  # noqa: ANN201
        db = self.ds.get_database(self.database)
        version = data_version(db.path)
        request = self.request
        key = ("facets", self.type, self.database, self.sql, repr(self.params),
               request.url, self.get_facet_size())  # links are absolute
        cache = cache_for(self.ds)
        hit, value = cache.get(key, version)
        if hit:
            return value
        value = await self.compute_results()
        if not value[1]:  # a facet that timed out is tried again next time
            cache.put(key, version, value)
        return value

    async def window(self, columns: list[str]):  # noqa: ANN201
        """The window's rows, read once per page view whatever the number of facet types (kept
        on the request) and, with the page cache, once per data version."""
        sql = recent(self.sql, columns)  # type: ignore[attr-defined]
        shared = self.request.scope.setdefault("veille_facet_windows", {})  # type: ignore[attr-defined]
        key = (sql, repr(self.params))  # type: ignore[attr-defined]
        if key not in shared:
            shared[key] = await cached_execute(
                self.ds, self.database, sql, self.params,  # type: ignore[attr-defined]
                truncate=False, custom_time_limit=self.ds.setting("facet_time_limit_ms"),  # type: ignore[attr-defined]
            )
        return shared[key]

    async def compute_results(self):  # noqa: ANN201
        """Datasette 0.65's ``facet_results`` loop, with this type's SQL and links."""
        ds, request = self.ds, self.request
        facet_results = []
        facets_timed_out = []
        pairs = self.get_querystring_pairs()
        facet_size = self.get_facet_size()
        configs = [(c, c["config"].get("column") or c["config"]["simple"]) for c in self.get_configs()]
        if not configs:
            return facet_results, facets_timed_out
        whole = await archive_counts(ds) if self.table == COUNTED_TABLE and is_unfiltered(request.path, pairs) else {}
        mine = [column for _, column in configs if column not in whole]
        # Both facet types read one window, with every facet column of the page.
        columns = sorted(set(mine) | {c for c in page_facet_columns(self.metadata, request) if c not in whole})
        window = None
        if mine:
            try:
                window = await self.window(columns)
            except QueryInterrupted:
                facets_timed_out.extend(mine)
        added = adding_links(ds, request)
        for source_and_config, column in configs:
            if column in whole:
                counted = whole[column]
            elif window is not None:
                at = columns.index(column)
                counted = self.count(map(itemgetter(at), window.rows))
            else:
                continue
            values = []
            facet_results.append({
                "name": column,
                "type": self.type,
                "hideable": source_and_config["source"] != "metadata",
                "toggle_url": ds.urls.path(path_with_removed_args(request, {self.facet_arg: column})),
                "results": values,
                "truncated": len(counted) > facet_size,
            })
            arg = self.filter_arg(column)
            for raw, n in counted[:facet_size]:
                value = self.shown(raw)
                selected = (arg, str(value)) in pairs
                if selected:
                    toggle_url = ds.absolute_url(request, ds.urls.path(path_with_removed_args(request, {arg: str(value)})))
                else:
                    toggle_url = added(arg, value)
                values.append({"value": value, "label": value, "count": n, "toggle_url": toggle_url, "selected": selected})
        return facet_results, facets_timed_out


def adding_links(ds, request):  # noqa: ANN001, ANN201
    """``(arg, value) -> ds.absolute_url(request, ds.urls.path(path_with_added_args(request,
    {arg: value})))``, the link of a facet value, with the page's own address resolved once: the
    unfiltered Articles page links about 250 values (200 sources), and joining each one's URL
    again cost more than the rest of its facets after a commit. The query string only grows
    by ``&arg=value`` (urlencode joins pairs with ``&``; urljoin leaves the query as it is)."""
    from urllib.parse import parse_qsl

    page = ds.absolute_url(request, ds.urls.path(path_with_added_args(request, {})))
    joiner = "&" if parse_qsl(request.query_string) else "?"

    def link(arg: str, value: Any) -> str:  # noqa: ANN401 - a facet value
        return f"{page}{joiner}{encoded_pair(arg, value, type(value))}"  # type: ignore[arg-type]

    return link


@lru_cache(maxsize=4096)
def encoded_pair(arg: str, value: Any, kind: type) -> str:  # noqa: ANN401 - a facet value (str or number)
    """``urlencode([(arg, value)])``: the same few hundred values are linked on every page
    (``kind``, the value's type, keeps 1, 1.0 and True apart in the cache)."""
    from urllib.parse import urlencode

    return urlencode([(arg, value)])


class RecentColumnFacet(RecentFacet, ColumnFacet):
    """Datasette 0.65's ColumnFacet over the most recent rows (no foreign key labels: the
    articles view has none; Veille's templates translate the values)."""

    type = "veille_column"
    facet_arg = "_facet"

    def count(self, values: Iterable[Any]) -> list[tuple[Any, int]]:  # noqa: ANN401
        return count_values(values)

    def filter_arg(self, column: str) -> str:
        return f"{column}__exact" if column.startswith("_") else column


class RecentArrayFacet(RecentFacet, ArrayFacet):
    """Datasette 0.65's ArrayFacet, counted in Python: Veille's arrays hold each value once."""

    type = "veille_array"
    facet_arg = "_facet_array"

    def count(self, values: Iterable[Any]) -> list[tuple[Any, int]]:  # noqa: ANN401
        return count_arrays(values)

    def filter_arg(self, column: str) -> str:
        return f"{column}__arraycontains"

    def shown(self, value):  # noqa: ANN001, ANN201
        return str(value)


# --- the unfiltered articles page's facets: the whole archive, counted by the writer ---------
# m011's triggers keep facet_counts (facet, value, n) current with every insert, update and
# delete of an item: the unfiltered page's facets are exact over every article and cost one
# small read per commit.

COUNTED_TABLE = "articles"


async def archive_counts(datasette) -> dict[str, list[tuple[Any, int]]]:  # noqa: ANN001
    """Facet column -> its (value, count) pairs over every item, most frequent first; empty when
    the database has no facet_counts (then the facets are counted over the window)."""
    import sqlite3

    try:
        rows = await cached_execute(datasette, "veille", "select facet, value, n from facet_counts where n > 0")
    except sqlite3.OperationalError:
        return {}
    by_facet: dict[str, list[tuple[Any, int]]] = {}
    for facet, value, n in rows.rows:
        by_facet.setdefault(facet, []).append((value, n))
    return {facet: sorted(pairs, key=_order) for facet, pairs in by_facet.items()}


# --- the unfiltered articles page's count ---------------------------------------------------
# Counting every article costs a full index scan (26 ms on 1M items) on each page view, for a
# number nobody reads exactly: the unfiltered page says "plus de 10 000 articles" instead
# (asgi_wrapper adds Datasette's own ``_nocount``; ``capped_count`` counts up to the cap).
# A filtered or searched page keeps its exact count.

COUNT_CAP = 10_000
UNCOUNTED_PATHS = ("/veille/articles", "/veille/articles.json")
PAGING_ARGS = {"_sort", "_sort_desc", "_sort_by_desc", "_next", "_size", "_facet_size", "_shape", "_labels", "_nocount"}


def is_unfiltered(path: str, pairs: list[tuple[str, str]]) -> bool:
    return path in UNCOUNTED_PATHS and all(k in PAGING_ARGS or (k == "_search" and not v.strip()) for k, v in pairs)


async def capped_count(datasette) -> int:  # noqa: ANN001
    rows = await cached_execute(datasette, "veille", f"select count(*) from (select 1 from items limit {COUNT_CAP + 1})")
    return int(rows.first()[0])


@hookimpl
def asgi_wrapper(datasette):  # noqa: ANN001, ANN201
    from urllib.parse import parse_qsl

    def wrap(app):  # noqa: ANN001, ANN202
        async def uncounted(scope, receive, send):  # noqa: ANN001, ANN202
            if scope.get("type") == "http" and scope.get("path") in UNCOUNTED_PATHS:
                query = scope.get("query_string", b"")
                if is_unfiltered(scope["path"], parse_qsl(query.decode("latin-1"), keep_blank_values=True)):
                    scope = dict(scope, query_string=query + (b"&" if query else b"") + b"_nocount=1")
            await app(scope, receive, send)

        return uncounted

    return wrap


@hookimpl
def extra_template_vars(datasette, table, request):  # noqa: ANN001, ANN201
    if table != "articles" or request is None or not request.args.get("_nocount"):
        return {}

    async def inner():  # noqa: ANN202
        n = await capped_count(datasette)
        return {"veille_capped_count": n, "veille_count_cap": COUNT_CAP}

    return inner


@hookimpl
def register_facet_classes():  # noqa: ANN201
    return [RecentColumnFacet, RecentArrayFacet]
