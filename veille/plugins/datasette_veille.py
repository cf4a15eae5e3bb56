"""Veille's Datasette plugin: safe free-text search, readable dates, safe links, quiet columns.

Registered by :func:`veille.webapp.make_datasette` with ``pm.register``; it only reads.

- ``veille_fts(text)``: an SQL function turning whatever a user typed into a valid FTS5 query
  (every word quoted, AND-ed; ``word*`` keeps its prefix star), or NULL when no word is left.
  Canned queries use it so quotes, NOT, parentheses or 10,000 characters never raise an FTS5
  syntax error (a 500) but find the words.
  The table page's ``?_search=`` gets the same treatment (``escape_fts`` is replaced).
- ``filters_from_request``: the articles page's ``?_search=`` looks among the most recent
  matches only, so that it answers in milliseconds for any term on 1M items.
- ``render_cell``: ISO UTC dates are shown in local time (``27/11/2026 09:30``); a ``titre``
  cell links to the row's ``lien`` only when it is http(s) (feeds carry ``javascript:`` links).
  Everything goes through markupsafe, so feed text is always text.
- ``/-/veille.css``: hides the ``atom_*`` columns of the canned queries (they exist for the
  Atom renderer) and the ``arrivee`` (arrival order) column of the articles view.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

MAX_TERMS = 16
MAX_TERM_CHARS = 60
_WORD = re.compile(r"(\w+)(\*?)")
_ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?Z$")
_HTTP = re.compile(r"^https?://[^\s]+$", re.IGNORECASE)
DEFAULT_TIMEZONE = "Europe/Paris"

CSS = """
th[class*="col-atom_"], td[class*="col-atom_"],
.table-articles th.col-arrivee, .table-articles td.col-arrivee,
.table-articles th.col-lien, .table-articles td.col-lien,
.table-articles th.col-id, .table-articles td.col-id { display: none; }
.query th.col-lien, .query td.col-lien { display: none; }
.search-row label { width: auto; margin-right: 0.5em; }
.veille-help, .column-descriptions-folded { margin: 0.5em 0; }
td.col-titre { min-width: 14em; }
td.col-resume { min-width: 12em; max-width: 22em; }
td.col-histoire { white-space: nowrap; }
td.col-specialites, td.col-autres_sources { max-width: 12em; }
.facet-results .veille-facet-note { flex-basis: 100%; margin: 0 0 0.5em; }
.veille-none { color: #8a93a0; }
.veille-nav { display: flex; flex-wrap: wrap; gap: 0.4em 1.2em; align-items: center; margin: 0 0 1em; }
.veille-nav a[aria-current] { font-weight: bold; }
.veille-search { margin-left: auto; display: flex; gap: 0.3em; }
.veille-search input[type=search] { width: 16em; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
.veille-period, .veille-meta, .veille-also, .veille-reason, .veille-label { color: #555e6d; font-size: 0.9em; margin: 0.2em 0; }
.veille-filter { margin: 0.8em 0 1.2em; }
.veille-alerts { background: #fff4e5; border: 1px solid #f0b46c; border-radius: 6px; padding: 0.4em 1em; margin: 1em 0; }
.veille-alerts h2 { color: #8a4b00; margin: 0.3em 0; border: 0; }
.veille-flag { color: #b3261e; }
.veille-group h2 { border-bottom: 1px solid #dde1e7; padding-bottom: 0.2em; }
.veille-stories, .veille-story-items { list-style: none; padding-left: 0; }
.veille-story { margin: 0 0 1em; }
.veille-story h3, .veille-story-item h2 { font-size: 1.05em; margin: 0 0 0.15em; }
.veille-summary { margin: 0.2em 0; max-width: 60em; }
.veille-story-item { border-left: 3px solid #dde1e7; padding: 0.2em 0 0.2em 0.8em; margin-bottom: 1em; }
.veille-representative { border-left-color: #0b57d0; }
.veille-empty { font-style: italic; }
.veille-pages { display: flex; gap: 1.5em; align-items: center; margin: 1em 0; }
"""


def fts_query(text: object) -> str | None:
    """Free text -> a safe FTS5 query: each word becomes a quoted phrase, all are required.

    FTS operators typed by the user (AND, OR, NOT, NEAR, -, ^, :, parentheses, quotes) are
    searched as words or dropped; ``cardio*`` stays a prefix search. None when no word is left.
    """
    if not isinstance(text, str):
        return None
    terms = []
    for word, star in _WORD.findall(text):
        word = word[:MAX_TERM_CHARS]
        terms.append(f'"{word}"' + ("*" if star else ""))
        if len(terms) == MAX_TERMS:
            break
    return " ".join(terms) or None


def is_http_url(value: object) -> bool:
    return isinstance(value, str) and bool(_HTTP.match(value.strip()))


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def readable_date(value: str, timezone: str = DEFAULT_TIMEZONE) -> str:
    """``2026-11-27T08:30:00Z`` -> ``27/11/2026 09:30`` in the given time zone."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    return moment.astimezone(_zone(timezone)).strftime("%d/%m/%Y %H:%M")


def table_search_query(text: object) -> str:
    """Replacement for Datasette's ``escape_fts`` (used by the table page's ``?_search=``): the
    same quoting as :func:`fts_query`, and a query matching nothing instead of an FTS5 syntax
    error (a 400 page) when no word is left (``"``, ``((``)."""
    return fts_query(text) or '""'


# --- the articles page's search ------------------------------------------------------------
# Datasette's own ``?_search=`` filters with ``rowid in (select rowid from fts where fts match
# ...)``: SQLite first collects every match (500,000 rowids for a frequent word in 1M items),
# then counts them, facets them five times and sorts them all by date: 1-2 s. A table whose
# metadata has ``plugins.veille.search`` (the articles view; without ``fts_table``, so Datasette
# adds nothing) is searched here instead, like the Recherche canned query: among the ``window``
# matches collected most recently (FTS5 walks its index newest first and stops there), then
# filtered, counted and faceted as usual. Any term costs at most ``window`` rows; a rare term
# finds all its matches. A search is shown by publication date like the page (issue 12: the
# window is at most 1,000 rows, sorting it costs a few ms on 1M items); a table whose search
# config has ``sort_desc`` defaults its searches to that order instead (asgi_wrapper).

DEFAULT_SEARCH_WINDOW = 1000


def _thousands(n: int) -> str:
    return f"{n:,}".replace(",", " ")


@hookimpl(specname="filters_from_request", trylast=True)  # trylast: our extra_context wins
def veille_search_filters(request, database, table, datasette):  # noqa: ANN001, ANN201
    config = (datasette.plugin_config("veille", database=database, table=table) or {}).get("search")
    if not isinstance(config, dict) or not config.get("fts_table"):
        return None

    async def inner():  # noqa: ANN202
        from datasette.filters import FilterArguments
        from datasette.utils import escape_sqlite

        from veille.plugins.page_cache import cached_execute

        text = request.args.get("_search", "")
        extra = {"supports_search": True, "search": text}
        if not text.strip():
            return FilterArguments([], extra_context=extra)
        fts = escape_sqlite(str(config["fts_table"]))
        pk = escape_sqlite(str(config.get("fts_pk", "rowid")))
        window = int(config.get("window", DEFAULT_SEARCH_WINDOW))
        newest = f"select rowid from {fts} where {fts} match escape_fts(:search) order by rowid desc limit {window}"
        description = f'search matches "{text}"'
        # Is the window full? Reading window + 1 rowids off the index costs well under 1 ms.
        probe = await cached_execute(
            datasette, database,
            f"select count(*) from (select rowid from {fts} where {fts} match escape_fts(:search) "
            f"order by rowid desc limit {window + 1})",
            {"search": text},
        )
        if probe.first()[0] > window:
            description += f" (parmi les {_thousands(window)} correspondances les plus récentes)"
        return FilterArguments(
            [f"{pk} in ({newest})"], {"search": text}, [description], extra,
        )

    return inner


def search_order(args: list[tuple[str, str]], config: dict, default_sort_desc: str | None) -> list[tuple[str, str]] | None:
    """The query arguments of a search, ordered by ``config["sort_desc"]`` (arrival, newest
    first: one page costs one FTS index walk, where sorting the window by date costs 10-30 ms
    on 1M items) unless the user chose an order; None when nothing changes.

    The table page's form restates the browsing order (``_sort=date&_sort_by_desc=on``); that
    is not a choice. A click on a column header (``_sort_desc=date``) is."""
    sort_desc = config.get("sort_desc")
    keys = {k for k, _ in args}
    if not sort_desc or not any(k == "_search" and v.strip() for k, v in args):
        return None
    restated = dict(args).get("_sort") == default_sort_desc and "_sort_by_desc" in keys and "_sort_desc" not in keys
    if keys & {"_sort", "_sort_desc", "_sort_by_desc"} and not restated:
        return None
    return [(k, v) for k, v in args if k not in ("_sort", "_sort_by_desc")] + [("_sort_desc", str(sort_desc))]


@hookimpl
def asgi_wrapper(datasette):  # noqa: ANN001, ANN201
    """Searches of a table configured with ``plugins.veille.search.sort_desc`` default to that
    order (see :func:`search_order`); the request is otherwise untouched."""
    from urllib.parse import parse_qsl, urlencode

    def wrap(app):  # noqa: ANN001, ANN202
        async def veille_app(scope, receive, send):  # noqa: ANN001, ANN202
            if scope.get("type") == "http" and b"_search" in scope.get("query_string", b""):
                target = _search_table(datasette, scope.get("path", ""))
                if target is not None:
                    config, default_sort_desc = target
                    args = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
                    changed = search_order(args, config, default_sort_desc)
                    if changed is not None:
                        scope = dict(scope, query_string=urlencode(changed).encode("latin-1"))
            await app(scope, receive, send)

        return veille_app

    return wrap


def _search_table(datasette, path: str) -> tuple[dict, str | None] | None:  # noqa: ANN001
    """(search config, browsing sort_desc) when ``path`` is the page (any format) of a table whose
    search is ours; looked up once per path."""
    cache = datasette.__dict__.setdefault("_veille_search_paths", {})
    if path not in cache:
        found = None
        for name in datasette.databases:
            for table, meta in ((datasette.metadata(database=name) or {}).get("tables") or {}).items():
                config = (((meta or {}).get("plugins") or {}).get("veille") or {}).get("search")
                base = datasette.urls.table(name, table)
                if isinstance(config, dict) and path.split(".")[0] == base:
                    found = (config, meta.get("sort_desc"))
        if len(cache) < 1000:
            cache[path] = found
        return found
    return cache[path]


# Memory-mapped reads (plugins.veille.mmap_bytes; default 0: off). They paid when a searched
# Articles page read its ~1,000 matching items whole after each commit (SQLite empties every
# reading connection's page cache then). Since the page reads its window from item_keys and only
# its 25 shown rows from items, mapping costs more than it saves: after a one-row commit, on 1M
# items, interleaved in one process, the searched page took 16.2 ms of CPU unmapped against 18.0
# mapped (1 GB), the unfiltered page 11.5 against 11.8 (the page faults of the remapped reads).
DEFAULT_MMAP_BYTES = 0


def mmap_bytes(datasette) -> int:  # noqa: ANN001
    value = (datasette.plugin_config("veille") or {}).get("mmap_bytes", DEFAULT_MMAP_BYTES)
    return max(0, int(value))


# trylast: called after Datasette's own prepare_connection, so our escape_fts replaces its.
@hookimpl(trylast=True)
def prepare_connection(conn: sqlite3.Connection, database, datasette) -> None:  # noqa: ANN001
    conn.create_function("veille_fts", 1, fts_query, deterministic=True)
    conn.create_function("escape_fts", 1, table_search_query, deterministic=True)
    if database == "veille" and mmap_bytes(datasette):
        conn.execute(f"pragma mmap_size={mmap_bytes(datasette)}")


def _row_value(row: object, key: str) -> object:
    try:
        return row[key]  # type: ignore[index]
    except (KeyError, IndexError, TypeError):
        return None


def _timezone(datasette) -> str:  # noqa: ANN001
    """plugins.veille.timezone, looked up once per Datasette instance (metadata is static)."""
    tz = datasette.__dict__.get("_veille_timezone")
    if tz is None:
        tz = str((datasette.plugin_config("veille") or {}).get("timezone", DEFAULT_TIMEZONE))
        datasette.__dict__["_veille_timezone"] = tz
    return tz


@lru_cache(maxsize=4096)
def date_cell(value: str, timezone: str) -> Markup | None:
    """The ``<time>`` element of an ISO UTC date cell (the same dates recur on every page)."""
    try:
        shown = readable_date(value, timezone)
    except ValueError:
        return None
    return Markup('<time datetime="{}" title="{} UTC">{}</time>').format(value, value, shown)


@hookimpl
def render_cell(row, value, column, table, database, datasette):  # noqa: ANN001 - hook signature
    if not isinstance(value, str) or column.startswith("atom_"):  # hidden columns: no work
        return None
    if _ISO_UTC.match(value):
        return date_cell(value, _timezone(datasette))
    if column == "titre" and isinstance(value, str):
        link = _row_value(row, "lien")
        if is_http_url(link):
            # An f-string of escaped parts: Markup.format costs ~10 µs a cell.
            return Markup(f'<a href="{escape(str(link).strip())}" rel="noopener noreferrer nofollow">{escape(value)}</a>')
        return None
    return None


# --- bad parameters: a clear 400 in French, not a 500 ----------------------------------------


def bad_parameter(args: dict[str, str], exception: BaseException) -> str | None:
    """The French message for a request Datasette failed on because of a bad ``_sort``,
    ``_sort_desc``, ``_next`` or ``_size``; None for any other failure."""
    text = str(exception)
    sort = args.get("_sort") or args.get("_sort_desc")
    if sort is not None and text.startswith("Cannot sort"):
        return f"Impossible de trier par « {sort} » : cette colonne n'est pas triable ici (cliquez sur l'en-tête d'une colonne triable)."
    if "_next" in args and isinstance(exception, ValueError | TypeError | IndexError):
        return "Le paramètre _next n'est pas une page valide : revenez à la première page."
    if "_size" in args and ("_size" in text or isinstance(exception, ValueError)):
        return "Le paramètre _size doit être un nombre de lignes (1 à 1000)."
    return None


@hookimpl
def handle_exception(datasette, request, exception):  # noqa: ANN001, ANN201
    import json

    if request is None:
        return None
    message = bad_parameter({k: request.args.get(k) for k in request.args.keys()}, exception)
    if message is None:
        return None
    if request.path.endswith(".json"):
        return Response(json.dumps({"ok": False, "error": message, "status": 400}, ensure_ascii=False),
                        status=400, content_type="application/json; charset=utf-8")

    async def inner():  # noqa: ANN202
        html = await datasette.render_template(
            "error.html", {"ok": False, "error": message, "title": "Requête invalide", "status": 400}, request=request,
        )
        return Response.html(html, status=400)

    return inner


@hookimpl
def extra_css_urls():  # noqa: ANN201
    return ["/-/veille.css"]


async def _css(request):  # noqa: ANN001, ANN202
    return Response(CSS, content_type="text/css; charset=utf-8", headers={"Cache-Control": "max-age=3600"})


@hookimpl
def register_routes():  # noqa: ANN201
    return [(r"^/-/veille\.css$", _css)]
