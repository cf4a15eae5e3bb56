"""The rows of Datasette's table and query pages as HTML, built in Python without hidden cells.

Jinja's per-cell loop (a ``<td>``, its CSS class, the escaped value) was the largest cost of an
Articles page: 25 rows of 18 columns, eight of which the stylesheet hides anyway (``atom_*``,
kept for the Atom renderer; ``arrivee``, ``lien`` and ``id`` of the articles view; ``lien`` of
a canned query, already the title's link). :func:`visible` names the columns a page shows and
:func:`table_rows` / :func:`query_rows` write the ``<tr>`` elements of the shown ones; the
values are escaped by markupsafe exactly as Jinja's autoescape did (``Markup`` from
``render_cell`` stays as it is, anything else is text).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from datasette.utils import to_css_class
from datasette.views.table import Row
from markupsafe import Markup, escape

HIDDEN_IN_ARTICLES = frozenset({"arrivee", "lien", "id"})
HIDDEN_IN_QUERIES = frozenset({"lien", "page_suivante"})  # page_suivante: veille.plugins.paging


def hidden(table: str | None, column: str) -> bool:
    """Whether a page leaves ``column`` out (the stylesheet hid these cells before)."""
    if column.startswith("atom_"):
        return True
    if table == "articles":
        return column in HIDDEN_IN_ARTICLES
    return table is None and column in HIDDEN_IN_QUERIES


def visible(table: str | None, columns: Iterable[Any]) -> list[Any]:
    """The columns shown: ``columns`` holds names (query pages) or Datasette's column dicts."""
    return [c for c in columns if not hidden(table, c if isinstance(c, str) else c["name"])]


@lru_cache(maxsize=512)
def css_class(column: str) -> str:
    return str(to_css_class(column))


class RenderedRow(Row):
    """Datasette's display row (its cells, for templates and plugins) with its ``<tr>`` already
    written by :mod:`veille.plugins.table_cells` (shown cells only, values escaped)."""

    def __init__(self, cells: list[dict[str, Any]], html: Markup) -> None:
        super().__init__(cells)
        self.html = html


def table_rows(table: str | None, rows: Iterable[Iterable[dict[str, Any]]]) -> Markup:
    """A table page's ``<tr>``s (Datasette's display_rows: cells with column, value, value_type)."""
    out: list[str] = []
    for row in rows:
        if isinstance(row, RenderedRow):
            out.append(row.html)
            continue
        out.append("<tr>")
        for cell in row:
            column = cell["column"]
            if hidden(table, column):
                continue
            out.append(f'<td class="col-{css_class(column)} type-{escape(cell["value_type"])}">{escape(cell["value"])}</td>')
        out.append("</tr>")
    return Markup("".join(out))


def query_rows(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Markup:
    """A query page's ``<tr>``s (rows of rendered values, in ``columns`` order)."""
    shown = [(i, f'<td class="col-{css_class(c)}">') for i, c in enumerate(columns) if not hidden(None, c)]
    out: list[str] = []
    for row in rows:
        out.append("<tr>")
        out.extend(f"{start}{escape(row[i])}</td>" for i, start in shown)
        out.append("</tr>")
    return Markup("".join(out))


def facet_lists(
    database: str, table: str | None, facets: Iterable[dict[str, Any]], label: Any, title: Any,  # noqa: ANN401
    more_url: str, showing_all: bool,
) -> Markup:
    """Datasette 0.65's ``_facet_results.html`` loop (Veille's French version) in Python: each
    facet's title, its values with French labels (``label(column, value, label)``), counts and
    toggle links, and the "…" link to every value when the list is truncated."""
    from veille.plugins.labels import thousands

    prefix = f"facet-{css_class(database)}-{css_class(table or '')}-"
    out: list[str] = []
    for info in facets:
        name = str(info["name"])
        css = css_class(name)
        results = info["results"]
        out.append(
            f'<div class="facet-info {prefix}{css}" id="facet-{css}" data-column="{escape(name)}">'
            f'<p class="facet-info-name"><strong>{escape(title(name))} <span class="facet-info-total">'
            f'{"&gt;" if info.get("truncated") else ""}{len(results)}</span></strong>'
        )
        if info.get("hideable"):
            out.append(f' <a href="{escape(info["toggle_url"])}" class="cross">&#x2716;</a>')
        out.append('</p><ul class="tight-bullets">')
        for value in results:
            text = escape(label(name, value["value"], value["label"]) or "-")
            if not value["selected"]:
                out.append(f'<li><a href="{escape(value["toggle_url"])}">{text}</a> {escape(thousands(value["count"]))}</li>')
            else:
                out.append(f'<li>{text} &middot; {value["count"]:,} <a href="{escape(value["toggle_url"])}" class="cross">&#x2716;</a></li>')
        if info.get("truncated"):
            more = "…" if showing_all else f'<a href="{escape(more_url)}">…</a>'
            out.append(f'<li class="facet-truncated">{more}</li>')
        out.append("</ul></div>")
    return Markup("".join(out))
