"""A table page's cells rendered in one loop, without a plugin-hook round per cell.

Datasette 0.65's ``display_columns_and_rows`` asks every ``render_cell`` plugin about every
cell through pluggy (25 rows of 18 columns on the Articles page: 450 hook calls, each building
its keyword arguments and a result list) and awaits each answer: about a third of a first view
of the page on 1M items (bench/bench_search.py --reading-room, rows "new address"). This does
the same for a page whose rows are plain values (no foreign-key labels, no blobs, no units): the
same columns, the same cell dictionaries, the same display values (the first truthy answer of
the ``render_cell`` implementations, called directly in pluggy's order; else ``&nbsp;`` for an
empty value, a link for a bare http(s) URL, the text otherwise), and no call at all for the
columns the page leaves out (:func:`veille.plugins.table_html.hidden`). Any other page, and a
table page with a link column or a hook wrapper, goes to Datasette's own function.

:func:`install` puts :func:`display_columns_and_rows` in place of Datasette's (the table view
looks it up in its module on each view; the row page keeps its own import).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import markupsafe
from datasette.plugins import pm
from datasette.utils import is_url, truncate_url

from veille.plugins.table_html import RenderedRow, css_class, hidden

ORIGINAL_ATTRIBUTE = "_veille_original_display_columns_and_rows"


ARGUMENTS = ("row", "value", "column", "table", "database", "datasette")


def renderers() -> list[tuple[Callable[..., Any], tuple[int, ...]]] | None:
    """The ``render_cell`` implementations in the order pluggy calls them (last registered
    first, ``tryfirst`` before, ``trylast`` after), each with the positions in
    :data:`ARGUMENTS` of the arguments it takes (empty: all of them, in that order); None when
    one is a hook wrapper (then only pluggy can call them)."""
    impls = pm.hook.render_cell.get_hookimpls()
    if any(impl.hookwrapper or getattr(impl, "wrapper", False) for impl in impls):
        return None
    return [(impl.function, () if tuple(impl.argnames) == ARGUMENTS else tuple(ARGUMENTS.index(a) for a in impl.argnames))
            for impl in reversed(impls)]


def plain_display(value: Any, truncate_cells: int) -> Any:  # noqa: ANN401 - a SQLite value
    """Datasette's display of a value no plugin rendered (strings, numbers and NULL)."""
    if value in ("", None):
        return markupsafe.Markup("&nbsp;")
    if is_url(str(value).strip()):
        return markupsafe.Markup(f'<a href="{markupsafe.escape(value.strip())}">{markupsafe.escape(truncate_url(value.strip(), truncate_cells))}</a>')
    text = str(value)
    if truncate_cells and len(text) > truncate_cells:
        text = text[:truncate_cells] + "\u2026"
    return text


def plain_rows(rows: Sequence[Sequence[Any]]) -> bool:
    """Rows whose values Datasette renders without their table's foreign keys or blob URLs."""
    return not any(isinstance(value, bytes | dict) for row in rows for value in row)


async def display_columns_and_rows(datasette, database_name, table_name, description, rows,  # noqa: ANN001, ANN201
                                   link_column=False, truncate_cells=0, sortable_columns=None):  # noqa: ANN001
    import datasette.views.table as table_view

    original = getattr(table_view, ORIGINAL_ATTRIBUTE)
    calls = renderers()
    table_metadata = datasette.table_metadata(database_name, table_name)
    if link_column or calls is None or table_metadata.get("units") or not plain_rows(rows):
        return await original(datasette, database_name, table_name, description, rows, link_column=link_column,
                              truncate_cells=truncate_cells, sortable_columns=sortable_columns)
    from datasette.utils import await_me_maybe

    sortable_columns = sortable_columns or set()
    db = datasette.databases[database_name]
    descriptions = table_metadata.get("columns") or {}
    details = {col.name: col for col in await db.table_column_details(table_name)}
    pks = await db.primary_keys(table_name) or ["rowid"]
    columns = []
    for r in description:
        name = r[0]
        plain_rowid = name == "rowid" and "rowid" not in details
        columns.append({
            "name": name,
            "sortable": name in sortable_columns,
            "is_pk": name in pks,
            "type": "integer" if plain_rowid else details[name].type,
            "notnull": 0 if plain_rowid else details[name].notnull,
            "description": descriptions.get(name),
        })
    names = [c["name"] for c in columns]
    starts = [None if hidden(table_name, name) else f'<td class="col-{css_class(name)} type-' for name in names]
    cell_rows = []
    for row in rows:
        cells, html = [], ["<tr>"]
        for value, column, start in zip(row, names, starts, strict=False):
            value_type = "none" if value is None else type(value).__name__
            display: Any = value
            if start is not None:
                rendered = None
                arguments = (row, value, column, table_name, database_name, datasette)
                for function, positions in calls:
                    candidate = function(*(arguments[i] for i in positions)) if positions else function(*arguments)
                    if candidate is not None and not isinstance(candidate, str):  # a coroutine or callable
                        candidate = await await_me_maybe(candidate)
                    if candidate is not None:
                        rendered = candidate
                        break
                display = rendered if rendered else plain_display(value, truncate_cells)
                html.append(f'{start}{value_type}">{markupsafe.escape(display)}</td>')
            cells.append({"column": column, "value": display, "raw": value, "value_type": value_type})
        html.append("</tr>")
        cell_rows.append(RenderedRow(cells, markupsafe.Markup("".join(html))))
    return columns, cell_rows


def install() -> None:
    """Put :func:`display_columns_and_rows` in Datasette's table view (once per process)."""
    import datasette.views.table as table_view

    if not hasattr(table_view, ORIGINAL_ATTRIBUTE):
        setattr(table_view, ORIGINAL_ATTRIBUTE, table_view.display_columns_and_rows)
        table_view.display_columns_and_rows = display_columns_and_rows
