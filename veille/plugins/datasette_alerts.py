"""Each watch's page and Atom feed: ``/alertes`` (every watch), ``/alertes/NAME`` and
``/alertes/NAME.atom`` (follow a watch in any feed reader). Read only; the watches table mirrors
feeds.yaml (written by each collect) and watch_hits holds one row per story per watch.

Also the SQL function ``veille_muted(title, summary, source_id, item_type)``: the name of the
settings.mute rule hiding an item, or NULL (rules given to Datasette by ``veille serve`` as
``plugins.veille.mute``), for pages that leave muted items out.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

from datasette import hookimpl
from datasette.utils.asgi import Response

from veille.mute import MuteRule, mute_reason, parse_rules
from veille.plugins.datasette_veille import is_http_url, readable_date

DATABASE = "veille"
HITS_SHOWN = 100
_NAME = r"[a-z0-9][a-z0-9_-]{0,63}"


def _rules(datasette: Any) -> tuple[MuteRule, ...]:
    raw = (datasette.plugin_config("veille") or {}).get("mute")
    try:
        return parse_rules(raw) if raw else ()
    except Exception:  # noqa: BLE001 - feeds.yaml was validated when serve loaded it
        return ()


def _settings(datasette: Any) -> Any:
    """A Settings carrying what the pages need of feeds.yaml: time zone, mute and spike rules."""
    from veille.models import Settings

    conf = datasette.plugin_config("veille") or {}
    sections = {k: conf[k] for k in ("mute", "spikes") if conf.get(k)}
    return Settings(timezone=_timezone(datasette), sections=sections)


async def _spike_lines(datasette: Any, db: Any, watch: str | None = None) -> list[str]:
    """Today's specialty spikes (no watch), or this watch's spike."""
    from zoneinfo import ZoneInfo

    from veille.spike_counts import specialty_spikes, watch_spikes
    from veille.spikes import SpikeRule, spike_sentence

    settings = _settings(datasette)
    now = datetime.now(UTC)

    def compute(conn: sqlite3.Connection) -> list[str]:
        if watch is not None:
            found = watch_spikes(conn, [watch], now, ZoneInfo(settings.timezone), SpikeRule.from_settings(settings))
            return [spike_sentence(s, f"« {watch} »") for s in found]
        labels = dict(conn.execute("select slug, label_fr from specialties").fetchall())
        return [spike_sentence(s, labels.get(s.key, s.key)) for s in specialty_spikes(conn, settings, now)]

    try:
        return list(await db.execute_fn(compute))
    except Exception:  # noqa: BLE001 - a page without its spike line is still a page
        return []


def _timezone(datasette: Any) -> str:
    return str((datasette.plugin_config("veille") or {}).get("timezone", "Europe/Paris"))


@hookimpl
def prepare_connection(conn: sqlite3.Connection, database: str, datasette: Any) -> None:
    rules = _rules(datasette)

    def muted(title: Any, summary: Any, source_id: Any, item_type: Any) -> str | None:
        return mute_reason(rules, title=str(title or ""), summary=str(summary or ""),
                           source_id=source_id, item_type=item_type)

    conn.create_function("veille_muted", 4, muted, deterministic=True)
    conf = datasette.plugin_config("veille") or {}
    settings = json.dumps(
        {"timezone": _timezone(datasette), "mute": conf.get("mute") or [], "spikes": conf.get("spikes") or {}},
        ensure_ascii=False,
    )
    conn.create_function("veille_settings", 0, lambda: settings, deterministic=True)


# --- La une (veille.plugins.reading_room, when present): mute rules and spikes -----------------

def settings_of(conn: sqlite3.Connection) -> Any:
    """What this Datasette was given of feeds.yaml (``veille_settings()``), as Settings."""
    from veille.models import Settings

    try:
        data = json.loads(conn.execute("select veille_settings()").fetchone()[0])
    except (sqlite3.Error, ValueError, TypeError):
        return Settings()
    sections = {k: data[k] for k in ("mute", "spikes") if data.get(k)}
    return Settings(timezone=data.get("timezone") or "Europe/Paris", sections=sections)


def la_une_keep(conn: sqlite3.Connection) -> list[Any]:
    from veille.mute import keep_entry, rules_from_settings

    try:
        rules = rules_from_settings(settings_of(conn))
    except Exception:  # noqa: BLE001 - rules were validated when serve loaded feeds.yaml
        return []
    return [keep_entry(rules)] if rules else []


def la_une_blocks(conn: sqlite3.Connection, digest: Any) -> list[Any]:
    """« Pics d'activité » on La une: the day's specialty spikes (escaped by markupsafe)."""
    from markupsafe import Markup

    from veille.spike_counts import specialty_spikes
    from veille.spikes import spike_sentence

    settings = settings_of(conn)
    try:
        found = specialty_spikes(conn, settings, datetime.now(UTC))
        labels = dict(conn.execute("select slug, label_fr from specialties").fetchall())
    except sqlite3.Error:
        return []
    if not found:
        return []
    lines = Markup("").join(
        Markup("<li>⚠ {}</li>").format(spike_sentence(s, labels.get(s.key, s.key))) for s in found
    )
    return [Markup('<h2>Pics d\'activité</h2><ul class="veille-spikes">{}</ul>').format(lines)]


def register_la_une() -> bool:
    """Hook the mute rules and the spikes into La une (issue 12's extension points)."""
    try:
        from veille.plugins.reading_room import Extension, register_extension
    except ImportError:
        return False
    register_extension(Extension("watches", keep=la_une_keep, blocks=la_une_blocks))
    return True


register_la_une()


@hookimpl
def extra_template_vars(view_name: str, table: str | None, database: str | None, request: Any, datasette: Any):  # noqa: ANN201
    """On an item's row page: which mute rule hides it (shown by row-veille-items.html)."""
    if view_name != "row" or table != "items" or database != DATABASE or request is None:
        return None

    async def inner() -> dict[str, Any]:
        from datasette.utils import tilde_decode

        rules = _rules(datasette)
        pks = (request.url_vars or {}).get("pks")
        if not rules or not pks:
            return {"veille_muted": None}
        db = datasette.get_database(DATABASE)
        item_id = tilde_decode(pks)
        rows = (await db.execute(
            "select title, summary, source_id, item_type from items where id = ?", [item_id]
        )).rows
        if not rows:
            return {"veille_muted": None}
        carriers = [r[0] for r in (await db.execute(
            "select source_id from item_sources where item_id = ?", [item_id])).rows]
        r = rows[0]
        name = mute_reason(rules, title=r["title"] or "", summary=r["summary"] or "", source_id=r["source_id"],
                           item_type=r["item_type"], sources=carriers)
        rule = next((x for x in rules if x.name == name), None)
        return {"veille_muted": {"name": rule.name, "describe": rule.describe()} if rule else None}

    return inner


async def _watch(db: Any, name: str) -> dict[str, Any] | None:
    rows = (await db.execute("select name, query, definition from watches where name = ?", [name])).rows
    if not rows:
        return None
    try:
        definition = json.loads(rows[0]["definition"] or "{}")
    except ValueError:
        definition = {}
    filters = " · ".join(
        f"{label} : {', '.join(definition.get(key) or [])}"
        for key, label in (("specialties", "spécialités"), ("types", "types"), ("tiers", "niveaux"))
        if definition.get(key)
    )
    return {"name": name, "query": rows[0]["query"], "filters": filters, "spike": bool(definition.get("spike"))}


async def _hits(datasette: Any, db: Any, name: str) -> list[dict[str, Any]]:
    from veille.arrange import TYPE_LABELS

    rows = (await db.execute(
        "select h.story_key, h.matched_at, i.id, i.title, i.summary, i.url, i.published_at, i.source_id, "
        "i.item_type, i.story_id, coalesce(s.name, i.source_id) as source_name "
        "from watch_hits h join items i on i.id = h.item_id left join sources s on s.id = i.source_id "
        "where h.watch = ? order by h.matched_at desc, i.published_at desc limit ?",
        [name, HITS_SHOWN],
    )).rows
    rules = _rules(datasette)
    tz = _timezone(datasette)
    out = []
    for r in rows:
        if mute_reason(rules, title=r["title"] or "", summary=r["summary"] or "", source_id=r["source_id"],
                       item_type=r["item_type"]):
            continue
        out.append({
            "id": r["id"], "title": r["title"] or "(sans titre)", "summary": r["summary"] or "",
            "url": r["url"].strip() if is_http_url(r["url"]) else None,
            "source": r["source_name"], "matched_at": r["matched_at"],
            "published": _date(r["published_at"], tz), "published_at": r["published_at"],
            "type_label": TYPE_LABELS["fr"].get(r["item_type"], r["item_type"]),
            "story_url": datasette.urls.path(f"/histoires/{r['story_id']}") if r["story_id"] else None,
        })
    return out


def _date(value: str | None, tz: str) -> str:
    try:
        return readable_date(value, tz) if value else ""
    except ValueError:
        return value or ""


async def alert_page(request: Any, datasette: Any) -> Response:
    name = request.url_vars.get("name")
    db = datasette.get_database(DATABASE)
    if name is None:
        rows = (await db.execute(
            "select w.name, w.query, count(h.story_key) as hits, max(h.matched_at) as last "
            "from watches w left join watch_hits h on h.watch = w.name group by w.name order by w.name"
        )).rows
        watches = [
            {"name": r["name"], "query": r["query"], "hits": r["hits"], "url": datasette.urls.path(f"/alertes/{r['name']}"),
             "last": _date(r["last"], _timezone(datasette)) if r["last"] else None}
            for r in rows
        ]
        html = await datasette.render_template(
            "veille_alertes.html",
            {"page_title": "Alertes", "watch": None, "watches": watches, "spikes": await _spike_lines(datasette, db)},
            request=request,
        )
        return Response.html(html)
    watch = await _watch(db, name)
    if watch is None:
        return Response.html(
            await datasette.render_template(
                "veille_alertes.html",
                {"page_title": f"Alerte « {name} » introuvable", "watch": None, "watches": []}, request=request,
            ),
            status=404,
        )
    hits = await _hits(datasette, db, name)
    if request.url_vars.get("atom"):
        return _atom(request, datasette, watch, hits)
    html = await datasette.render_template(
        "veille_alertes.html",
        {
            "page_title": f"Alerte « {name} »", "watch": watch, "hits": hits,
            "atom_url": datasette.urls.path(f"/alertes/{name}.atom"), "index_url": datasette.urls.path("/alertes"),
            "spike": " ; ".join(await _spike_lines(datasette, db, name)) or None,
        },
        request=request,
    )
    return Response.html(html)


def _atom(request: Any, datasette: Any, watch: dict[str, Any], hits: list[dict[str, Any]]) -> Response:
    from feedgen.feed import FeedGenerator

    fg = FeedGenerator()
    fg.generator(generator="Veille (Datasette)")
    fg.id(f"urn:veille:alerte:{watch['name']}")
    fg.title(f"Veille : alerte « {watch['name']} »")
    fg.link(href=request.url, rel="self")
    page = request.url.removesuffix(".atom")
    if is_http_url(page):
        fg.link(href=page, rel="alternate")
    fg.subtitle(f"Recherche : {watch['query'] or '—'}")
    updated = [h["matched_at"] for h in hits if h["matched_at"]]
    fg.updated(max(updated) if updated else datetime.now(UTC))
    for hit in reversed(hits):
        entry = fg.add_entry()
        entry.id(f"urn:veille:alerte:{watch['name']}:{hit['id']}")
        entry.title(hit["title"])
        entry.updated(hit["matched_at"])
        if hit["published_at"]:
            entry.published(hit["published_at"])
        link = hit["url"] or (request.url.split("/alertes/")[0] + hit["story_url"] if hit["story_url"] else page)
        if is_http_url(link):
            entry.link(href=link)
        entry.content(f"{hit['source']} · {hit['type_label']}\n{hit['summary']}".strip(), type="text")
    return Response(fg.atom_str(pretty=True), content_type="application/atom+xml; charset=utf-8", status=200)


@hookimpl
def register_routes():  # noqa: ANN201
    return [
        (r"^/alertes/?$", alert_page),
        (rf"^/alertes/(?P<name>{_NAME})(?P<atom>\.atom)?$", alert_page),
    ]

