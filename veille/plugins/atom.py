"""Veille's Atom renderer for Datasette's ``.atom`` pages (tables, views and canned queries).

Registered by :func:`veille.webapp.make_datasette` beside :mod:`veille.plugins.datasette_veille`.

datasette-atom 0.9 answers 500 when a query returns no rows (max() of nothing) or a row has no
atom_link (lxml refuses None), and it links whatever atom_link holds. This renderer keeps its
column convention (atom_id, atom_title, atom_updated, atom_link, atom_content,
atom_content_html) and replaces it for the .atom extension (trylast: registered after it, so
Datasette keeps ours): empty feeds are valid, only http(s) links are written, HTML content is
cleaned with nh3, plain content stays text.
"""

from __future__ import annotations

from datetime import UTC, datetime

from datasette import hookimpl
from datasette.utils.asgi import Response

from veille.plugins.datasette_veille import is_http_url

ATOM_COLUMNS = {"atom_id", "atom_title", "atom_updated"}
# The articles view has no atom_* copies (SQLite computed them for every row a search sorts):
# its entries are made from its own columns, and the items' updated time is read for the rows
# of the feed only.
ARTICLE_COLUMNS = {"id", "titre", "date"}
ITEM_URN = "urn:veille:item:"


def _atom_title(datasette, database, table, query_name) -> str:  # noqa: ANN001
    meta = datasette.metadata(database=database) or {}
    if query_name:
        query = (meta.get("queries") or {}).get(query_name) or {}
        return str(query.get("title") or query_name)
    if table:
        table_meta = (meta.get("tables") or {}).get(table) or {}
        return str(table_meta.get("title") or table)
    return str(meta.get("title") or database)


def article_entries(columns: list[str], rows: list, updated: dict[str, str]) -> list[dict]:  # noqa: ANN001
    """Rows of the articles view as Atom rows (the atom_* columns of the canned queries)."""
    def column(row, name: str):  # noqa: ANN001, ANN202
        return row[name] if name in columns else None

    return [
        {
            "atom_id": f"{ITEM_URN}{row['id']}",
            "atom_title": row["titre"],
            "atom_updated": updated.get(str(row["id"])) or row["date"],
            "atom_link": column(row, "lien"),
            "atom_content": column(row, "resume"),
        }
        for row in rows
    ]


async def _updated_times(datasette, database: str, ids: list[str]) -> dict[str, str]:  # noqa: ANN001
    """Item id -> ``coalesce(updated_at, published_at)``, for the rows of one feed."""
    found: dict[str, str] = {}
    db = datasette.get_database(database)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        result = await db.execute(
            f"select id, coalesce(updated_at, published_at) from items where id in ({','.join('?' * len(chunk))})", chunk,
        )
        found.update({str(r[0]): r[1] for r in result.rows})
    return found


def render_atom(datasette, request, columns, rows, database, table, query_name):  # noqa: ANN001, ANN201
    from datasette.views.base import DatasetteError

    if ATOM_COLUMNS.issubset(columns):
        return atom_feed(datasette, request, rows, database, table, query_name)
    if not ARTICLE_COLUMNS.issubset(columns):
        raise DatasetteError("the query must return the columns atom_id, atom_title and atom_updated", status=400)

    async def inner():  # noqa: ANN202
        updated = await _updated_times(datasette, database, [str(r["id"]) for r in rows])
        return atom_feed(datasette, request, article_entries(list(columns), rows, updated), database, table, query_name)

    return inner()


def atom_feed(datasette, request, rows, database, table, query_name):  # noqa: ANN001, ANN201
    """The Atom document of rows carrying atom_id, atom_title, atom_updated (and optionally
    atom_link, atom_content, atom_content_html)."""
    import nh3
    from feedgen.feed import FeedGenerator

    site = (datasette.metadata() or {}).get("title") or "Veille"
    fg = FeedGenerator()
    fg.generator(generator="Veille (Datasette)")
    fg.id(request.url)
    fg.link(href=request.url, rel="self")
    page = request.url.replace(".atom", "", 1)
    if is_http_url(page):
        fg.link(href=page, rel="alternate")
    fg.title(f"{site} : {_atom_title(datasette, database, table, query_name)}")
    updated = [r["atom_updated"] for r in rows if r["atom_updated"]]
    fg.updated(max(updated) if updated else datetime.now(UTC))
    origin = _origin(request)
    for row in reversed(rows):
        keys = row.keys()
        entry = fg.add_entry()
        entry.id(str(row["atom_id"]))
        entry.title(str(row["atom_title"] or "(sans titre)"))
        entry.updated(row["atom_updated"] or "1970-01-01T00:00:00Z")
        if "atom_content_html" in keys and row["atom_content_html"]:
            entry.content(nh3.clean(str(row["atom_content_html"])), type="html")
        elif "atom_content" in keys and row["atom_content"]:
            entry.content(str(row["atom_content"]), type="text")
        if "atom_link" in keys and is_http_url(row["atom_link"]):
            entry.link(href=str(row["atom_link"]).strip())
        else:
            # An entry needs a link or content (feedgen refuses it otherwise, and the whole feed
            # answered 500): the item's own page.
            entry.link(href=own_page(origin, str(row["atom_id"]), page))
    return Response(fg.atom_str(pretty=True), content_type="application/xml; charset=utf-8", status=200)


def _origin(request) -> str:  # noqa: ANN001
    return f"{request.scheme}://{request.host}"


def own_page(origin: str, atom_id: str, page: str) -> str:
    """The page of an Atom entry in Veille: its story page for an item or a story
    (``urn:veille:item:ID``, ``urn:veille:story:ID``), else the page the feed comes from."""
    from urllib.parse import quote

    for prefix in (ITEM_URN, "urn:veille:story:"):
        if atom_id.startswith(prefix):
            return f"{origin}/histoires/{quote(atom_id[len(prefix):], safe='')}"
    return page if is_http_url(page) else origin + "/"


def can_render_atom(columns):  # noqa: ANN001, ANN201
    return ATOM_COLUMNS.issubset(columns) or ARTICLE_COLUMNS.issubset(columns)


@hookimpl(trylast=True)
def register_output_renderer(datasette):  # noqa: ANN001, ANN201
    return {"extension": "atom", "render": render_atom, "can_render": can_render_atom}
