"""Reading the database into :class:`veille.arrange.Entry` objects: the stories of a period.

Used by the digest (:mod:`veille.digest`) and La une (:mod:`veille.plugins.reading_room`) with a
plain ``sqlite3`` connection (Datasette lends one through ``execute_fn``). Every piece of feed
text goes through :func:`clean` (control characters out, spaces collapsed, length capped);
links are kept only when they are http(s) (:func:`safe_url`). Which items are news of the period
is decided by :func:`veille.arrange.is_news` (publication date, late arrivals, archive rule).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from veille.arrange import DEFAULT_ARCHIVE_DAYS, Entry, Period, SourceRef, best_first, is_news
from veille.models import ITEM_TYPES, SPECIALTIES, TIER_RANK
from veille.normalise import utc_iso

MAX_TITLE = 500
MAX_SUMMARY = 280
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_SPACES = re.compile(r"\s+")


def clean(text: Any, limit: int = MAX_TITLE) -> str:
    """Feed text as one plain line: no control characters, collapsed spaces, capped length."""
    text = _SPACES.sub(" ", _CONTROL.sub(" ", str(text or ""))).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def safe_url(url: Any) -> str | None:
    """The URL when it is an absolute http(s) address, else None (javascript:, data:, relative)."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    if not url or _CONTROL.search(url) or " " in url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def parse_ts(value: str | None) -> datetime:
    if not value:
        return datetime(1970, 1, 1, tzinfo=UTC)
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _chunks(values: Sequence[str], size: int = 500) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {r[1] for r in conn.execute(f"pragma table_info([{table}])")}


def _table_names(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}


def load_labels(conn: sqlite3.Connection | None = None) -> dict[str, tuple[str, str]]:
    """slug -> (label_fr, label_en): the specialties table (the Store fills it on open), and the
    packaged taxonomy for any slug the table lacks."""
    labels: dict[str, tuple[str, str]] = {}
    if conn is not None and "specialties" in _table_names(conn):
        for slug, fr, en in conn.execute("select slug, label_fr, label_en from specialties"):
            if fr:
                labels[slug] = (fr, en or fr)
    if not set(SPECIALTIES) <= set(labels):
        labels = {**_taxonomy_labels(), **labels}
    return labels


def _taxonomy_labels() -> dict[str, tuple[str, str]]:
    from veille.tag import default_tagger

    return {slug: (spec.label_fr, spec.label_en) for slug, spec in default_tagger().specialties.items()}


def news_story_keys(conn: sqlite3.Connection, period: Period, archive_days: float = DEFAULT_ARCHIVE_DAYS) -> list[str]:
    """The stories (story_id, or the item id of an item without one) with at least one item that
    is news of ``period`` (:func:`veille.arrange.is_news`)."""
    has_story = "story_id" in _columns(conn, "items")
    story_expr = "coalesce(story_id, id)" if has_story else "id"
    start, end = utc_iso(period.start), utc_iso(period.end)
    # Candidates through the published_at and fetched_at indexes; is_news() decides.
    rows = conn.execute(
        f"select {story_expr}, published_at, fetched_at from items where published_at >= ? and published_at < ? "
        f"union all select {story_expr}, published_at, fetched_at from items "
        "where fetched_at >= ? and fetched_at < ? and published_at < ? and published_at >= ?",
        [start, end, start, end, start, utc_iso(period.start - timedelta(days=archive_days + 1))],
    )
    keys = {key for key, published, fetched in rows if is_news(parse_ts(published), parse_ts(fetched), period, archive_days)}
    return sorted(keys)


def read_entries(conn: sqlite3.Connection, period: Period, archive_days: float = DEFAULT_ARCHIVE_DAYS) -> list[Entry]:
    """The stories of ``period`` (:func:`news_story_keys`), one Entry each."""
    return read_stories(conn, news_story_keys(conn, period, archive_days))


def read_stories(conn: sqlite3.Connection, keys: Sequence[str]) -> list[Entry]:
    """One Entry per story key: its representative item and every source that carried any of
    its items."""
    if not keys:
        return []
    item_cols = _columns(conn, "items")
    has_story = "story_id" in item_cols
    story_expr = "coalesce(story_id, id)" if has_story else "id"
    type_expr = "item_type" if "item_type" in item_cols else "'news'"
    select = (
        f"select id, {story_expr} as story_key, source_id, url, title, published_at, fetched_at, "
        f"{type_expr} as item_type, summary from items"
    )
    names = ("id", "story", "source_id", "url", "title", "published_at", "fetched_at", "item_type", "summary")
    items: dict[str, dict] = {}
    for chunk in _chunks(keys):
        marks = ",".join("?" * len(chunk))
        # Two lookups, each through an index (an OR of the two made SQLite scan the table).
        wheres = (
            [f"indexed by idx_items_story_id where story_id in ({marks})", f"where id in ({marks}) and story_id is null"]
            if has_story else [f"where id in ({marks})"]
        )
        for where in wheres:
            for r in conn.execute(f"{select} {where}", list(chunk)):
                items[r[0]] = dict(zip(names, r, strict=True))
    ids = sorted(items)
    sources = {
        r[0]: SourceRef(r[0], clean(r[1] or r[0], 200), r[2] or "press")
        for r in conn.execute("select id, name, tier from sources")
    }
    carried: dict[str, set[str]] = {i: {items[i]["source_id"]} for i in ids}
    scores: dict[str, dict[str, float]] = {}
    tables = _table_names(conn)
    for chunk in _chunks(ids):
        marks = ",".join("?" * len(chunk))
        for item_id, source_id in conn.execute(
            f"select item_id, source_id from item_sources where item_id in ({marks})", list(chunk)
        ):
            carried[item_id].add(source_id)
        if "item_specialties" in tables:
            for item_id, slug, score in conn.execute(
                f"select item_id, specialty, score from item_specialties where item_id in ({marks})",
                list(chunk),
            ):
                story = items[item_id]["story"]
                scores.setdefault(story, {})
                scores[story][slug] = max(scores[story].get(slug, 0.0), float(score or 0.0))
    representative: dict[str, str] = {}
    if "stories" in tables and has_story:
        for chunk in _chunks(list(keys)):
            marks = ",".join("?" * len(chunk))
            for sid, rep in conn.execute(
                f"select id, representative_item_id from stories where id in ({marks})", list(chunk)
            ):
                if rep in items:
                    representative[sid] = rep
    by_story: dict[str, list[dict]] = {}
    for item in items.values():
        by_story.setdefault(item["story"], []).append(item)

    def source(sid: str) -> SourceRef:
        return sources.get(sid) or SourceRef(sid, sid, "press")

    def rank(item: dict) -> tuple:
        return (TIER_RANK.get(source(item["source_id"]).tier, 99), item["published_at"] or "", item["id"])

    entries = []
    for key in keys:
        members = by_story.get(key)
        if not members:
            continue
        rep = items[representative[key]] if key in representative else min(members, key=rank)
        main = source(rep["source_id"])
        others = {s for m in members for s in carried[m["id"]]} - {main.id}
        types = [m["item_type"] for m in members if m["item_type"] in ITEM_TYPES]
        item_type = min(types, key=ITEM_TYPES.index) if types else "news"
        specialties = tuple(s for s, _ in sorted(scores.get(key, {}).items(), key=lambda kv: (-kv[1], kv[0])))
        entries.append(
            Entry(
                story_id=key,
                title=clean(rep["title"]) or "(sans titre)",
                url=safe_url(rep["url"]),
                source=main,
                published_at=parse_ts(rep["published_at"]),
                specialties=specialties,
                item_type=item_type,
                also=best_first(source(s) for s in others),
                updated_at=max(parse_ts(m["fetched_at"]) for m in members),
                summary=clean(rep["summary"], MAX_SUMMARY),
            )
        )
    return entries
