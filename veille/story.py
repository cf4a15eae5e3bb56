"""One story, read for its page (``/histoires/<story_id>``): every item, who carried it, and why
the items were linked, in plain French.

:func:`read_story` reads (a ``sqlite3`` connection: Datasette lends one); :func:`link_reason`
and :func:`story_view` decide what is shown (pure). Feed text is cleaned by
:func:`veille.news.clean` and links kept only when http(s); the template escapes everything.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime

from veille.arrange import SourceRef, best_first
from veille.models import ITEM_TYPES, TIER_RANK
from veille.news import MAX_SUMMARY, clean, parse_ts, safe_url

MAX_FOLLOW_UPS = 20  # later stories listed under "Suites de l'histoire"

# Penalties the story matcher may apply (veille/dedup/similarity.py), as a reader would say them.
_PENALTIES = {
    "product": "un seul titre nomme un médicament",
    "names": "noms propres différents",
    "rare": "mots rares différents",
    "numbers": "nombres différents",
    "subject": "sujets différents",
    "kind": "types d'événement différents",
    "brand": "un seul titre nomme une marque",
}
# A gain ("+local") is said among the details, as the penalties are.
_GAINS = {"local": "même maladie ou même médicament, au même endroit ou avec le même chiffre"}


@dataclass(frozen=True)
class StoryItem:
    id: str
    title: str
    url: str | None
    source: SourceRef
    carriers: tuple[SourceRef, ...]  # every other source that carried this same article
    published_at: datetime
    item_type: str
    specialties: tuple[str, ...]
    summary: str
    reason: str | None  # why it joined the story (None for the first item)


@dataclass(frozen=True)
class StoryView:
    id: str
    title: str
    representative: StoryItem
    items: tuple[StoryItem, ...]  # the representative first, then by publication date
    sources: tuple[SourceRef, ...]  # every source that carried any item, best first
    specialties: tuple[str, ...]
    item_type: str
    follows: tuple[str, str] | None = None  # (id, title) of the earlier story this one continues
    followed_by: tuple[tuple[str, str], ...] = ()  # (id, title) of the later stories that continue it, oldest first


def link_reason(method: str | None, similarity: float | None) -> str:
    """``title-tokens+summary-names``, 0.82 -> ``titres et résumés proches (0,82 ; noms propres
    différents)``. Unknown methods are named as they are."""
    if not method:
        return "même histoire"
    if method.startswith("title-tokens"):
        rest = method[len("title-tokens"):]
        added, *penalties = rest.split("-")
        parts = added.split("+")
        words = "titres et résumés proches" if "summary" in parts else "titres proches"
        if "concept" in parts:
            words += ", une même notion en d'autres mots"
        gains = [_GAINS[p] for p in parts if p in _GAINS]
        penalties = [p for p in penalties if p]
    else:
        words, gains, penalties = method, [], []
    details = [f"{similarity:.2f}".replace(".", ",")] if similarity is not None else []
    details += gains + [_PENALTIES.get(p, p) for p in penalties]
    return f"{words} ({' ; '.join(details)})" if details else words


def read_story(conn: sqlite3.Connection, key: str) -> StoryView | None:
    """The story ``key`` (a story id, or the id of an item: its story, or itself alone), or None."""
    rows = conn.execute(
        "select id, source_id, url, title, summary, published_at, item_type, specialties, story_id "
        # INDEXED BY: statistics gathered while most items had no story (data collected before
        # clustering) make SQLite scan the table for this lookup (300 ms on 1M items).
        "from items indexed by idx_items_story_id where story_id = ?",
        [key],
    ).fetchall()
    story_id = key
    if not rows:
        rows = conn.execute(
            "select id, source_id, url, title, summary, published_at, item_type, specialties, story_id "
            "from items where id = ?",
            [key],
        ).fetchall()
        if not rows:
            return None
        if rows[0][8]:
            return read_story(conn, rows[0][8]) if rows[0][8] != key else None
    sources = {r[0]: SourceRef(r[0], clean(r[1] or r[0], 200), r[2] or "press") for r in conn.execute("select id, name, tier from sources")}

    def source(sid: str) -> SourceRef:
        return sources.get(sid) or SourceRef(sid, sid, "press")

    ids = [r[0] for r in rows]
    marks = ",".join("?" * len(ids))
    carriers: dict[str, set[str]] = {i: set() for i in ids}
    for item_id, sid in conn.execute(f"select item_id, source_id from item_sources where item_id in ({marks})", ids):
        carriers[item_id].add(sid)
    links = {
        r[0]: (r[1], r[2])
        for r in conn.execute(f"select item_id, method, similarity from story_links where item_id in ({marks})", ids)
    }
    rep_id = title = follows = None
    found = conn.execute("select representative_item_id, title, follows_story_id from stories where id = ?", [story_id]).fetchone()
    if found:
        rep_id, title, earlier = found
        before = conn.execute("select id, title from stories where id = ?", [earlier]).fetchone() if earlier else None
        follows = (before[0], clean(before[1]) or before[0]) if before else None
    later = tuple(
        (r[0], clean(r[1]) or r[0])
        for r in conn.execute(
            "select id, title from stories where follows_story_id = ? order by first_seen_at, id limit ?",
            [story_id, MAX_FOLLOW_UPS],
        )
    )
    items = []
    for item_id, source_id, url, item_title, summary, published, item_type, specialties, _ in rows:
        try:
            specs = tuple(s for s in json.loads(specialties or "[]") if isinstance(s, str))
        except ValueError:
            specs = ()
        link = links.get(item_id)
        items.append(
            StoryItem(
                id=item_id, title=clean(item_title) or "(sans titre)", url=safe_url(url), source=source(source_id),
                carriers=best_first(source(s) for s in carriers[item_id] - {source_id}),
                published_at=parse_ts(published), item_type=item_type or "news", specialties=specs,
                summary=clean(summary, MAX_SUMMARY * 3), reason=link_reason(*link) if link else None,
            )
        )
    return story_view(story_id, items, rep_id, title, follows, later)


def story_view(
    story_id: str, items: list[StoryItem], representative_id: str | None, title: str | None,
    follows: tuple[str, str] | None = None, followed_by: tuple[tuple[str, str], ...] = (),
) -> StoryView:
    """Order the items (the representative first, then by date) and sum up the story (pure)."""

    def rank(i: StoryItem) -> tuple:
        return (TIER_RANK.get(i.source.tier, 99), i.published_at, i.id)

    rep = next((i for i in items if i.id == representative_id), None) or min(items, key=rank)
    ordered = (rep, *sorted((i for i in items if i is not rep), key=lambda i: (i.published_at, i.id)))
    sources = best_first({s for i in items for s in (i.source, *i.carriers)})
    specialties = tuple(dict.fromkeys(s for i in ordered for s in i.specialties))
    types = [i.item_type for i in items if i.item_type in ITEM_TYPES]
    item_type = min(types, key=ITEM_TYPES.index) if types else "news"
    return StoryView(story_id, clean(title) or rep.title, rep, ordered, sources, specialties, item_type, follows, followed_by)
