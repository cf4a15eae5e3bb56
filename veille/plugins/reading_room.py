"""The reading room: La une at ``/`` and the story page at ``/histoires/<story_id>``.

Registered by :func:`veille.webapp.make_datasette` beside :mod:`veille.plugins.datasette_veille`.
Both pages read through Datasette's own read connections (``execute_fn``) and are rendered with
Datasette's Jinja environment (autoescaped) from ``veille/templates/la_une.html`` and
``histoire.html``. La une arranges the stories with :func:`veille.arrange.arrange`, exactly as the
digest does (news by publication date, archive rule, alert box rule).

Extension points, for watches and mute rules (issue 13): :data:`EXTENSIONS` holds
:class:`Extension` objects (``register_extension``). Each may give

- ``keep(conn)``: predicates ``Entry -> bool`` (mute rules read from the database); an entry one
  of them refuses is not on La une, in no count and not in the alert box;
- ``blocks(conn, digest)``: HTML fragments (``markupsafe.Markup``, escaped by their author) shown
  in La une's ``spikes`` block, between the alert box and the specialty groups.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup

from veille.arrange import (
    DEFAULT_ARCHIVE_DAYS,
    TIER_LABELS,
    TYPE_LABELS,
    Digest,
    Entry,
    Period,
    arrange,
)
from veille.models import SPECIALTIES
from veille.plugins.page_cache import data_version

DATABASE = "veille"
COOKIE = "veille_specialite"
COOKIE_AGE = 365 * 24 * 3600
GROUP_SIZE = 8  # stories shown per specialty on La une before "N autres"
CACHE_SECONDS = 60.0  # the day's entries are read again after this, or when the data change


@dataclass(frozen=True)
class Extension:
    name: str
    keep: Callable[[sqlite3.Connection], Sequence[Callable[[Entry], bool]]] | None = None
    blocks: Callable[[sqlite3.Connection, Digest], Sequence[Markup]] | None = None


EXTENSIONS: list[Extension] = []


def register_extension(extension: Extension) -> None:
    """Add (or replace, by name) an extension of La une."""
    EXTENSIONS[:] = [e for e in EXTENSIONS if e.name != extension.name] + [extension]


def _config(datasette) -> dict[str, Any]:  # noqa: ANN001
    return datasette.plugin_config("veille") or {}


def _tz(datasette) -> str:  # noqa: ANN001
    return str(_config(datasette).get("timezone", "Europe/Paris"))


def french_date(moment: datetime, tz: str) -> str:
    from veille.plugins.datasette_veille import _zone

    return moment.astimezone(_zone(tz)).strftime("%d/%m/%Y %H:%M")


def chosen_specialty(args: dict[str, str], cookie: str | None) -> tuple[str | None, bool]:
    """The specialty La une shows, and whether the cookie must change: the URL's
    ``?specialite=`` wins (empty clears it), else the cookie; unknown slugs are ignored."""
    if "specialite" in args:
        value = args["specialite"].strip()
        return (value if value in SPECIALTIES else None), True
    return (cookie if cookie in SPECIALTIES else None), False


def _labels_context() -> dict[str, Any]:
    return {"type_labels": TYPE_LABELS["fr"], "tier_labels": TIER_LABELS["fr"]}


async def la_une(request, datasette):  # noqa: ANN001, ANN201
    from veille.news import load_labels, read_entries

    db = datasette.get_database(DATABASE)
    specialty, changed = chosen_specialty({k: request.args.get(k) for k in request.args.keys()}, request.cookies.get(COOKIE))
    archive_days = float(_config(datasette).get("archive_days", DEFAULT_ARCHIVE_DAYS))
    now = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
    period = Period(now - timedelta(hours=24), now, "24h", _tz(datasette))

    cache = datasette.__dict__.setdefault("_veille_la_une", {})

    def read(conn: sqlite3.Connection) -> tuple[Digest, Digest, list[Markup]]:
        # The page's arrangement (and its extensions' blocks: spikes count days of items) is
        # kept per specialty until anything is written to the database, or for a minute.
        written = data_version(db.path)
        arranged = cache.setdefault("arranged", {})
        key = (specialty, archive_days, tuple(e.name for e in EXTENSIONS))
        hit = arranged.get(key)
        if hit is not None and hit[0] == written and written is not None and time.monotonic() - hit[1] < CACHE_SECONDS:
            return hit[2]
        result = arrange_day(conn)
        arranged[key] = (written, time.monotonic(), result)
        return result

    def arrange_day(conn: sqlite3.Connection) -> tuple[Digest, Digest, list[Markup]]:
        # The day's stories change when items or stories do: read them again then, or after a
        # minute (the 24 hours move), never on every page view.
        version = conn.execute(
            "select (select max(rowid) from items), (select max(last_seen_at) from stories)"
        ).fetchone()
        fresh = cache.get("version") == version and time.monotonic() - cache.get("at", 0.0) < CACHE_SECONDS
        if not fresh or cache.get("archive_days") != archive_days:
            cache.update(
                version=version, at=time.monotonic(), archive_days=archive_days,
                entries=read_entries(conn, period, archive_days), labels=load_labels(conn),
            )
        entries, labels = cache["entries"], cache["labels"]
        keep = [rule for ext in EXTENSIONS if ext.keep for rule in ext.keep(conn)]
        everything = arrange(entries, period, labels=labels, keep=keep)
        shown = arrange(entries, period, labels=labels, keep=keep, specialties=(specialty,) if specialty else ())
        blocks = [b for ext in EXTENSIONS if ext.blocks for b in ext.blocks(conn, shown)]
        return everything, shown, blocks

    everything, digest, blocks = await db.execute_fn(read)
    counts = dict(everything.specialty_counts)
    options = sorted(
        ((slug, digest.specialty_label(slug), counts.get(slug, 0)) for slug in SPECIALTIES),
        key=lambda o: o[1].lower(),
    )
    tz = _tz(datasette)
    html = await datasette.render_template(
        "la_une.html",
        {
            "digest": digest,
            "total": len(everything.entries),
            "specialty": specialty,
            "specialty_options": options,
            "extra_blocks": blocks,
            # The whole group when filtering by that specialty, else its first stories.
            "group_size": None if specialty else GROUP_SIZE,
            "when": lambda moment: french_date(moment, tz),
            "period_start": french_date(period.start, tz),
            "period_end": french_date(period.end, tz),
            **_labels_context(),
        },
        request=request,
        view_name="la_une",
    )
    response = Response.html(html)
    if changed:
        response.set_cookie(COOKIE, specialty or "", max_age=COOKIE_AGE if specialty else 0, samesite="lax")
    return response


async def story_page(request, datasette):  # noqa: ANN001, ANN201
    from veille.news import load_labels
    from veille.story import read_story

    key = request.url_vars["story_id"]
    db = datasette.get_database(DATABASE)

    def read(conn: sqlite3.Connection):  # noqa: ANN202
        return read_story(conn, key), load_labels(conn)

    story, labels = await db.execute_fn(read)
    tz = _tz(datasette)
    if story is None:
        html = await datasette.render_template(
            "histoire.html", {"story": None, "key": key, **_labels_context()}, request=request, view_name="histoire",
        )
        return Response.html(html, status=404)
    if story.id != key:  # an item id: its story's page is the address to keep
        return Response.redirect(f"/histoires/{story.id}")
    html = await datasette.render_template(
        "histoire.html",
        {
            "story": story,
            "key": key,
            "specialty_label": lambda slug: labels.get(slug, (slug, slug))[0],
            "when": lambda moment: french_date(moment, tz),
            **_labels_context(),
        },
        request=request,
        view_name="histoire",
    )
    return Response.html(html)


@hookimpl
def register_routes():  # noqa: ANN201
    return [
        (r"^/$", la_une),
        (r"^/histoires/(?P<story_id>[A-Za-z0-9_:.-]{1,80})$", story_page),
    ]
