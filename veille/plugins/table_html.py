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
from markupsafe import Markup, escape

HIDDEN_IN_ARTICLES = frozenset({"arrivee", "lien", "id"})
HIDDEN_IN_QUERIES = frozenset({"lien"})


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
def _css(column: str) -> str:
    return str(to_css_class(column))


def table_rows(table: str | None, rows: Iterable[Iterable[dict[str, Any]]]) -> Markup:
    """A table page's ``<tr>``s (Datasette's display_rows: cells with column, value, value_type)."""
    out: list[str] = []
    for row in rows:
        out.append("<tr>")
        for cell in row:
            column = cell["column"]
            if hidden(table, column):
                continue
            out.append(f'<td class="col-{_css(column)} type-{escape(cell["value_type"])}">{escape(cell["value"])}</td>')
        out.append("</tr>")
    return Markup("".join(out))


def query_rows(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Markup:
    """A query page's ``<tr>``s (rows of rendered values, in ``columns`` order)."""
    shown = [(i, f'<td class="col-{_css(c)}">') for i, c in enumerate(columns) if not hidden(None, c)]
    out: list[str] = []
    for row in rows:
        out.append("<tr>")
        out.extend(f"{start}{escape(row[i])}</td>" for i, start in shown)
        out.append("</tr>")
    return Markup("".join(out))
