"""Keeps stories (near-duplicate clusters, see dedup.py) and tags in step with the database.

The decisions are pure (dedup.StoryIndex, tag.Tagger); this module only reads the recent window
from SQLite and writes what they decided, inside the caller's transaction."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlite_utils import Database

from veille.dedup import DEFAULT_WINDOW, StoryDoc, StoryIndex, representative
from veille.models import Item
from veille.normalise import utc_iso
from veille.tag import Tagging

STORY_TEXT_CHARS = 300


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def story_doc(item_id: str, source_id: str, tier: str, title: str, summary: str, published_at: str,
              story_id: str | None = None) -> StoryDoc:
    return StoryDoc(
        item_id=item_id,
        source_id=source_id,
        tier=tier,
        title=title,
        text=(summary or "")[:STORY_TEXT_CHARS],
        published_at=_when(published_at),
        story_id=story_id,
    )


class StoryBook:
    """The near-duplicate index of recent items, loaded once per collect run."""

    def __init__(self, db: Database, now: datetime, window: timedelta = DEFAULT_WINDOW):
        self.index = StoryIndex(window=window)
        since = utc_iso(now - 2 * window)
        rows = db.execute(
            "select i.id, i.source_id, coalesce(s.tier, 'press'), i.title, i.summary, i.published_at, "
            "i.story_id from items i left join sources s on s.id = i.source_id "
            "where i.published_at >= ? and i.story_id is not null order by i.published_at, i.id",
            [since],
        ).fetchall()
        for row in rows:
            doc = story_doc(*row)
            self.index.add(doc, row[6])

    def assign(self, db: Database, item: Item, tier: str) -> str:
        """Give a new item its story (an existing one it matches, or its own)."""
        doc = story_doc(item.id, item.source_id, tier, item.title, item.summary, item.published_at)
        story_id, match = self.index.assign(doc)
        db.execute("update items set story_id = ? where id = ?", [story_id, item.id])
        if match is not None:
            db.execute(
                "insert or replace into story_links (item_id, story_id, matched_item_id, similarity, method) "
                "values (?, ?, ?, ?, ?)",
                [item.id, story_id, match.item_id, round(match.similarity, 4), match.method],
            )
        return story_id


def refresh_stories(db: Database, story_ids: Iterable[str]) -> None:
    """Recompute each story's representative and counts from its members."""
    for story_id in sorted(set(story_ids)):
        members = db.execute(
            "select i.id, i.source_id, coalesce(min(s.rank), 9), i.title, i.summary, i.published_at, "
            "i.fetched_at from items i left join (select item_sources.item_id, case sources.tier "
            "when 'official' then 0 when 'journal' then 1 when 'society' then 2 when 'press' then 3 "
            "when 'social' then 4 else 5 end rank from item_sources join sources on "
            "sources.id = item_sources.source_id) s on s.item_id = i.id where i.story_id = ? group by i.id",
            [story_id],
        ).fetchall()
        if not members:
            db.execute("delete from stories where id = ?", [story_id])
            continue
        tiers = ("official", "journal", "society", "press", "social", "press")
        docs = [
            story_doc(m[0], m[1], tiers[min(int(m[2]), 5)], m[3], m[4], m[5], story_id) for m in members
        ]
        best = representative(docs)
        sources = db.execute(
            "select count(distinct s.source_id) from item_sources s join items i on i.id = s.item_id "
            "where i.story_id = ?",
            [story_id],
        ).fetchone()[0]
        db.execute(
            "insert or replace into stories (id, representative_item_id, title, first_seen_at, "
            "last_seen_at, item_count, source_count) values (?, ?, ?, ?, ?, ?, ?)",
            [
                story_id,
                best.item_id,
                best.title,
                min(m[6] for m in members),
                max(m[6] for m in members),
                len(members),
                sources,
            ],
        )


def write_tags(db: Database, item_id: str, tagging: Tagging) -> None:
    """Replace an item's specialties and type with a fresh tagging."""
    db.execute("delete from item_specialties where item_id = ?", [item_id])
    db.conn.executemany(
        "insert into item_specialties (item_id, specialty, score, evidence) values (?, ?, ?, ?)",
        [
            (item_id, t.specialty, round(t.score, 3), json.dumps(list(t.evidence), ensure_ascii=False))
            for t in tagging.specialties
        ],
    )
    db.execute("update items set item_type = ? where id = ?", [tagging.item_type, item_id])
    _denormalise(db, item_id)


def _denormalise(db: Database, item_id: str) -> None:
    db.execute(
        "update items set specialties = coalesce((select json_group_array(specialty) from "
        "(select specialty from item_specialties where item_id = ? order by specialty)), '[]') "
        "where id = ?",
        [item_id, item_id],
    )


def add_source_specialties(db: Database, item_id: str, specialties: Iterable[str]) -> None:
    """An item carried by one more source gains that source's own specialties."""
    db.conn.executemany(
        "insert or ignore into item_specialties (item_id, specialty, score, evidence) values (?, ?, 1.0, ?)",
        [(item_id, slug, json.dumps(["source"])) for slug in specialties],
    )
    _denormalise(db, item_id)


def sync_specialties(db: Database) -> None:
    """The specialties table mirrors the packaged taxonomy (labels for Datasette and digests).
    Parsing the YAML costs a quarter of a second, so it is skipped when the file is unchanged."""
    import hashlib

    from veille.tag import TAXONOMY_DIR, load_specialties

    path = TAXONOMY_DIR / "specialties.yaml"
    digest = hashlib.sha1(path.read_bytes()).hexdigest()
    row = db.execute("select value from veille_meta where key = 'taxonomy_sha1'").fetchone()
    if row and row[0] == digest:
        return
    db.execute("insert or replace into veille_meta (key, value) values ('taxonomy_sha1', ?)", [digest])
    specs = load_specialties(path)
    current = {r[0]: (r[1], r[2]) for r in db.execute("select slug, label_fr, label_en from specialties")}
    wanted = {slug: (s.label_fr, s.label_en) for slug, s in specs.items()}
    if current != wanted:
        marks = ",".join("?" * len(wanted))
        db.execute(f"delete from specialties where slug not in ({marks})", list(wanted))
        db.conn.executemany(
            "insert or replace into specialties (slug, label_fr, label_en) values (?, ?, ?)",
            [(slug, fr, en) for slug, (fr, en) in sorted(wanted.items())],
        )
