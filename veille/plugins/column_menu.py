"""The column menu of table pages (the cog beside a column title) in French, without SQL.

Datasette 0.65's ``static/table.js`` writes its menu in English ("Sort ascending", "Facet by
this", "Hide this column"…) and shows each column's SQL type ("Type: TEXT NOT NULL"). Veille's
``table.html`` loads ``/-/veille-table.js`` instead: the same script, read from the installed
Datasette once per process, with its labels translated and the type line left out. A Datasette
whose script no longer holds one of the labels serves it unchanged rather than break the menu
(``test_articles_filter_and_column_menu_in_french`` then fails and says which).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from datasette import hookimpl
from datasette.utils.asgi import Response

ROUTE = "/-/veille-table.js"
LABELS = {
    ">Sort ascending<": ">Trier par ordre croissant<",
    ">Sort descending<": ">Trier par ordre décroissant<",
    ">Facet by this<": ">Facettes sur cette colonne<",
    ">Hide this column<": ">Masquer cette colonne<",
    ">Show all columns<": ">Afficher toutes les colonnes<",
    ">Show not-blank rows<": ">Seulement les lignes remplies<",
    '"Remove this filter"': '"Retirer ce filtre"',  # the ✖ of a filter row, read aloud
}
# The SQL type of the column ("Type: TEXT NOT NULL"): shown to nobody.
TYPE_LINE = ("    if (columnType) {\n", "    if (false && columnType) {\n")


def translated(script: str) -> str:
    """``table.js`` with French labels and no type line; unchanged if any piece is missing."""
    pieces = [*LABELS.items(), TYPE_LINE]
    if not all(old in script for old, _ in pieces):
        return script
    for old, new in pieces:
        script = script.replace(old, new)
    return script.replace("Type: ${", "${")


@lru_cache(maxsize=1)
def french_table_js() -> str:
    import datasette

    return translated((Path(datasette.__file__).parent / "static" / "table.js").read_text(encoding="utf-8"))


async def _script(request):  # noqa: ANN001, ANN202
    return Response(french_table_js(), content_type="application/javascript; charset=utf-8",
                    headers={"Cache-Control": "max-age=3600"})


@hookimpl
def register_routes():  # noqa: ANN201
    return [(r"^/-/veille-table\.js$", _script)]
