"""Pages of a canned query that declares a ``page`` parameter (Recherche: 25 articles a page).

Datasette pages tables (``_next``) but not canned queries, and Recherche showed its 50 most
recent matches with no way further. Its SQL reads ``:page`` (``limit 26 offset (page - 1) * 25``,
the page clamped to 1..LAST_PAGE: the search looks among its 2,000 most recent matches) and
shows 25 of those rows, each with a ``page_suivante`` column saying whether a 26th was found:
the query template shows "Page suivante" only then (a last page exactly full offered an empty
next page before), and "Page précédente", with links built here.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from datasette import hookimpl

PAGE_SIZE = 25
LAST_PAGE = 80  # 2,000 matches


@dataclass(frozen=True)
class Pages:
    page: int
    previous: str | None
    next: str | None


def page_number(value: object) -> int:
    """What ``?page=`` holds -> a page between 1 and LAST_PAGE (anything else: 1)."""
    try:
        number = int(str(value).strip())
    except ValueError:
        return 1
    return min(max(number, 1), LAST_PAGE)


NEXT_PAGE_COLUMN = "page_suivante"


def has_next(columns: list[str], rows: list) -> bool:  # noqa: ANN001 - sqlite3 rows or tuples
    """Whether the query found a row past the page (its ``page_suivante`` column, on every row)."""
    if NEXT_PAGE_COLUMN not in columns or not rows:
        return False
    return bool(rows[0][columns.index(NEXT_PAGE_COLUMN)])


def pages(path: str, args: list[tuple[str, str]], more: bool) -> Pages:
    """The page shown and the addresses of its neighbours (``args``: the query string's pairs;
    ``more``: a row was found past this page)."""
    page = page_number(dict(args).get("page", ""))
    kept = [(k, v) for k, v in args if k != "page"]

    def link(number: int) -> str:
        return f"{path}?{urlencode(kept + ([('page', str(number))] if number > 1 else []))}"

    return Pages(
        page,
        link(page - 1) if page > 1 else None,
        link(page + 1) if more and page < LAST_PAGE else None,
    )


@hookimpl
def prepare_jinja2_environment(env):  # noqa: ANN001, ANN201
    def veille_pages(request, more: bool) -> Pages:  # noqa: ANN001
        return pages(request.path, [(k, v) for k in request.args.keys() for v in request.args.getlist(k)], more)

    env.globals["veille_pages"] = veille_pages
    env.globals["veille_has_next"] = has_next
