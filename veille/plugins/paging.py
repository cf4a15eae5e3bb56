"""Pages of a canned query that declares a ``page`` parameter (Recherche: 25 articles a page).

Datasette pages tables (``_next``) but not canned queries, and Recherche showed its 50 most
recent matches with no way further. Its SQL reads ``:page`` (``limit 25 offset (page - 1) * 25``,
the page clamped to 1..LAST_PAGE: the search looks among its 2,000 most recent matches); the
query template shows "Page précédente" / "Page suivante" links built here. A full page means
there may be a next one (an extra row would have to be shown or hidden in every format).
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


def pages(path: str, args: list[tuple[str, str]], shown: int) -> Pages:
    """The page shown and the addresses of its neighbours (``args``: the query string's pairs)."""
    page = page_number(dict(args).get("page", ""))
    kept = [(k, v) for k, v in args if k != "page"]

    def link(number: int) -> str:
        return f"{path}?{urlencode(kept + ([('page', str(number))] if number > 1 else []))}"

    return Pages(
        page,
        link(page - 1) if page > 1 else None,
        link(page + 1) if shown >= PAGE_SIZE and page < LAST_PAGE else None,
    )


@hookimpl
def prepare_jinja2_environment(env):  # noqa: ANN001, ANN201
    def veille_pages(request, shown: int) -> Pages:  # noqa: ANN001
        return pages(request.path, [(k, v) for k in request.args.keys() for v in request.args.getlist(k)], shown)

    env.globals["veille_pages"] = veille_pages
