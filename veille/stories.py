"""Keeps stories (near-duplicate clusters, see dedup.py) and tags in step with the database.

The decisions are pure (dedup.StoryIndex, tag.Tagger); this module only reads the recent window
from SQLite and writes what they decided, inside the caller's transaction."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from sqlite_utils import Database

from veille.dedup import (
    DEFAULT_SPAN,
    DEFAULT_WINDOW,
    Features,
    StoryDoc,
    StoryIndex,
    StoryMatch,
    features,
    representative,
)
from veille.models import TIER_RANK, Item
from veille.normalise import utc_iso
from veille.tag import Tagging

STORY_TEXT_CHARS = 300
# json.dumps(..., ensure_ascii=False) builds an encoder on every call: one, made once, encodes
# the specialties of every item written (the same text as json.dumps).
_JSON = json.JSONEncoder(ensure_ascii=False).encode


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def story_doc(item_id: str, source_id: str, tier: str, title: str, summary: str, published_at: str,
              story_id: str | None = None, seen_at: datetime | None = None) -> StoryDoc:
    return StoryDoc(
        item_id=item_id,
        source_id=source_id,
        tier=tier,
        title=title,
        text=(summary or "")[:STORY_TEXT_CHARS],
        published_at=_when(published_at),
        story_id=story_id,
        seen_at=seen_at,
    )


_WINDOW_SQL = (
    "select id, source_id, coalesce(tier, 'press'), title, summary, published_at, story_id "
    "from items where published_at >= ? and published_at < ? and story_id is not null "
    "order by published_at, id"
)


class StoryBook:
    """The near-duplicate index of the items around the ones being stored. Loaded on the first
    new item, so a run where nothing is new does not pay for it. An item older than what is
    loaded (a backfill, a feed that carries two weeks) first loads its own contemporaries from
    the database: every item is clustered against the items published around its own date."""

    def __init__(self, db: Database, now: datetime, window: timedelta = DEFAULT_WINDOW,
                 span: timedelta = DEFAULT_SPAN):
        self._db = db
        self._now = now
        self._window = window
        self._span = span
        self._loaded_from = now - (window + span)
        self._index: StoryIndex | None = None
        self.follows: dict[str, str] = {}  # new story -> the story it continues

    @property
    def index(self) -> StoryIndex:
        if self._index is None:
            self._index = StoryIndex(window=self._window, span=self._span)
            self._load(utc_iso(self._loaded_from), "9999")
        return self._index

    def _load(self, since: str, until: str) -> None:
        assert self._index is not None
        for row in self._db.execute(_WINDOW_SQL, [since, until]).fetchall():
            if row[0] not in self._index:
                # Seen "now": entries loaded for this run stay for the run.
                item_id, source_id, tier, title, summary, published_at, story_id = row
                doc = story_doc(item_id, source_id, tier, title, summary, published_at, story_id, seen_at=self._now)
                self._index.add(doc, story_id)

    def assign(self, item: Item, tier: str, prepared: Features | None = None) -> tuple[str, StoryMatch | None]:
        """The story of a new item: an existing one it matches, or its own (in memory; the
        caller stores it with the item, and the link with `write_link`). ``prepared``: the
        item's `item_features`, computed in the parsing worker."""
        index = self.index
        doc = item_story_doc(item, tier)
        wanted = doc.published_at - (self._window + self._span)
        if wanted < self._loaded_from:
            self._load(utc_iso(wanted), utc_iso(self._loaded_from))
            self._loaded_from = wanted
        story_id, match = index.assign(doc, prepared)
        follows = index.follows(item.id)
        if follows is not None:
            self.follows[story_id] = follows
        return story_id, match


def item_story_doc(item: Item, tier: str = "press") -> StoryDoc:
    return story_doc(item.id, item.source_id, tier, item.title, item.summary, item.published_at,
                     seen_at=_when(item.fetched_at))


def item_features(item: Item) -> Features:
    """The dedup features of an item (they do not depend on its source's tier)."""
    return features(item_story_doc(item))


def link_reason(match: StoryMatch) -> str:
    """Why an item joined its story, in French, for the reader of the Histoires page."""
    similarity = f"{match.similarity:.2f}".replace(".", ",")
    # "+concept": a disease, drug or term named in other words (another language, brand / substance)
    words = ", dit en d'autres mots" if "+concept" in match.method else ""
    if match.rule == "members":
        return f"proche de {min(match.members, 2)} articles ou plus de l'histoire{words} (similarité {similarity})"
    return f"même sujet que l'article de tête de l'histoire{words} (similarité {similarity})"


def write_link(db: Database, item_id: str, match: StoryMatch) -> None:
    """Why an item joined its story: the item it matched, how similar they were, which rule."""
    db.execute(
        "insert or replace into story_links (item_id, story_id, matched_item_id, similarity, method, "
        "rule, reason) values (?, ?, ?, ?, ?, ?, ?)",
        [item_id, match.story_id, match.item_id, round(match.similarity, 4), match.method, match.rule,
         link_reason(match)],
    )


def tier_rank_sql(column: str) -> str:
    """SQL ranking a tier column like models.TIER_RANK (official first; unknown last)."""
    cases = " ".join(f"when '{tier}' then {rank}" for tier, rank in TIER_RANK.items())
    return f"case {column} {cases} else {len(TIER_RANK)} end"


# A story member as refresh_stories reads it: id, source, best tier of the sources carrying it,
# title, summary, published_at, fetched_at, lang.
Member = tuple[str, str, str, str, str, str, str, str | None]


def refresh_stories(
    db: Database, story_ids: Iterable[str], follows: dict[str, str] | None = None,
    fresh: Mapping[str, list[Member]] | None = None,
) -> None:
    """Recompute each story's representative, title, language and counts from its members (a
    story's own rows only, through the story_id index). A member's tier is the best of the
    sources carrying it. ``follows``: story -> the earlier story it continues ("suite de").
    ``fresh``: stories that one source's write started, whose members are all items it has just
    stored and that only it carries (the caller knows their rows: they are not read again)."""
    follows = follows or {}
    fresh = fresh or {}
    for story_id in sorted(set(story_ids)):
        members = fresh.get(story_id) or db.execute(
            "select i.id, i.source_id, coalesce((select s.tier from item_sources x join sources s "
            f"on s.id = x.source_id where x.item_id = i.id order by {tier_rank_sql('s.tier')} limit 1), "
            "'press'), i.title, i.summary, i.published_at, i.fetched_at, i.lang from items i where i.story_id = ?",
            [story_id],
        ).fetchall()
        if not members:
            db.execute("delete from stories where id = ?", [story_id])
            continue
        docs = [story_doc(m[0], m[1], m[2], m[3], m[4], m[5], story_id) for m in members]
        best = representative(docs)
        lang = next(m[7] for m in members if m[0] == best.item_id)
        sources = 1 if story_id in fresh else db.execute(
            "select count(distinct x.source_id) from items i join item_sources x on x.item_id = i.id "
            "where i.story_id = ?",
            [story_id],
        ).fetchone()[0]
        db.execute(
            "insert into stories (id, representative_item_id, title, first_seen_at, last_seen_at, "
            "item_count, source_count, lang, follows_story_id) values (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "on conflict(id) do update set representative_item_id = excluded.representative_item_id, "
            "title = excluded.title, first_seen_at = excluded.first_seen_at, "
            "last_seen_at = excluded.last_seen_at, item_count = excluded.item_count, "
            "source_count = excluded.source_count, lang = excluded.lang, "
            "follows_story_id = coalesce(excluded.follows_story_id, stories.follows_story_id)",
            [
                story_id,
                best.item_id,
                best.title,
                min(m[6] for m in members),
                max(m[6] for m in members),
                len(members),
                sources,
                lang,
                follows.get(story_id),
            ],
        )


def specialties_json(tagging: Tagging) -> str:
    return _JSON(sorted(t.specialty for t in tagging.specialties))


def write_item_specialties(db: Database, item_id: str, tagging: Tagging) -> None:
    db.conn.executemany(
        "insert into item_specialties (item_id, specialty, score, evidence) values (?, ?, ?, ?)",
        [
            (item_id, t.specialty, round(t.score, 3), _JSON(list(t.evidence)))
            for t in tagging.specialties
        ],
    )


def write_tags(db: Database, item_id: str, tagging: Tagging) -> None:
    """Replace a stored item's specialties and type with a fresh tagging."""
    db.execute("delete from item_specialties where item_id = ?", [item_id])
    write_item_specialties(db, item_id, tagging)
    db.execute(
        "update items set item_type = ?, specialties = ? where id = ?",
        [tagging.item_type, specialties_json(tagging), item_id],
    )


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
    Labels come from the built tagger, which is cached between runs (parsing the YAML costs a
    second); nothing is written when they are already current. A process that has not loaded
    the tagger yet (a collect, whose workers tag) loads it for the labels and lets it go."""
    from veille.tag import default_tagger

    tagger = default_tagger() if default_tagger.cache_info().currsize else default_tagger.__wrapped__()
    wanted = {slug: (s.label_fr, s.label_en) for slug, s in tagger.specialties.items()}
    del tagger
    current = {r[0]: (r[1], r[2]) for r in db.execute("select slug, label_fr, label_en from specialties")}
    if current != wanted:
        marks = ",".join("?" * len(wanted))
        db.execute(f"delete from specialties where slug not in ({marks})", list(wanted))
        db.conn.executemany(
            "insert or replace into specialties (slug, label_fr, label_en) values (?, ?, ?)",
            [(slug, fr, en) for slug, (fr, en) in sorted(wanted.items())],
        )
