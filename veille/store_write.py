"""Writing one fetch of one source into the database: its items (new, changed, or seen again
from another source), their tags and stories, its fetch row and its source row. Pure SQL inside
the transaction `Store.write_sources` opens; nothing here opens a connection or waits on the
network."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlite_utils import Database

from veille.models import TIER_RANK, Item, Source
from veille.normalise import utc_iso

if TYPE_CHECKING:  # veille.stories (dedup, tagging) is imported when items are written
    from veille.dedup import Features
    from veille.stories import StoryBook
    from veille.tag import Tagging


@dataclass(frozen=True)
class SourceWrite:
    """Everything one fetch of one source changes (see Store.write_sources)."""

    source: Source
    items: Sequence[Item] | None
    fetch_row: Mapping[str, object]
    source_update: Mapping[str, object]
    now: datetime
    tags: Mapping[str, Tagging] | None = None
    features: Mapping[str, Features] | None = None
    stories: StoryBook | None = None


@dataclass(frozen=True)
class WriteOutcome:
    new_ids: tuple[str, ...]
    changed_ids: tuple[str, ...]
    seen: int


def write_one(db: Database, write: SourceWrite) -> WriteOutcome:
    """One source's write inside the caller's transaction: its items, its fetch row, its source row."""
    source = write.source
    outcome = (
        _write_items(db, source, write.items, write.now, write.tags or {}, write.features or {}, write.stories)
        if write.items
        else WriteOutcome((), (), 0)
    )
    fetch_row = dict(write.fetch_row, items_new=len(outcome.new_ids), items_seen=outcome.seen)
    # Plain SQL: sqlite-utils' insert and update introspect the table on every call, which
    # was a visible share of a collect where every feed answers 304.
    keys = list(fetch_row)
    db.execute(
        f"insert into fetches ({', '.join(keys)}) values ({', '.join('?' * len(keys))})",
        [fetch_row[k] for k in keys],
    )
    update = dict(write.source_update)
    if outcome.new_ids:
        update["last_new_item_at"] = utc_iso(write.now)
    db.execute(
        f"update sources set {', '.join(f'[{k}] = ?' for k in update)} where id = ?",
        [*update.values(), source.id],
    )
    return outcome

def _write_items(
    db: Database,
    source: Source,
    items: Sequence[Item],
    now: datetime,
    tags: Mapping[str, Tagging],
    features: Mapping[str, Features],
    stories: StoryBook | None,
) -> WriteOutcome:
    from veille.stories import (
        Member,
        add_source_specialties,
        refresh_stories,
        specialties_json,
        write_item_specialties,
        write_link,
        write_tags,
    )

    unique: dict[str, Item] = {}
    for item in items:
        unique.setdefault(item.id, item)  # duplicate guids in one document: first one wins
    owner_ranks: dict[str, int] = {}

    def owner_rank(owner: str) -> int:
        # Looked up for the owners met only: reading every source's tier for each source
        # written made a first collect of 3,000 sources quadratic.
        if owner not in owner_ranks:
            found = db.execute("select tier from sources where id = ?", [owner]).fetchone()
            owner_ranks[owner] = TIER_RANK.get(found[0] if found else "", 99)
        return owner_ranks[owner]

    my_rank = TIER_RANK.get(source.tier, len(TIER_RANK))
    new_ids: list[str] = []
    changed: list[str] = []
    touched_stories: set[str] = set()
    # Stories this write starts, with their members' rows (see refresh_stories): a first
    # collect starts a story with nearly every item, and reading each back cost two queries.
    fresh: dict[str, list[Member]] = {}
    fresh_items: dict[str, str] = {}  # item of a fresh story -> the story
    member_tier: str | None = None
    seen_at = utc_iso(now)
    by_id, by_guid, by_hash = _known(db, source.id, list(unique.values()))
    # In date order, so that a document carrying days of items clusters as steady polling would.
    for item in sorted(unique.values(), key=lambda i: (i.published_at, i.id)):
        # The same item seen again: same id (URL), or in this source the same guid, or the
        # same content (feeds that republish everything with new guids or links).
        row = by_id.get(item.id) or by_guid.get(item.guid) or by_hash.get(item.content_hash)
        if row is None:
            # Tags and story are decided first, so the item is written once, whole.
            tagging = tags.get(item.id)
            story_id, match = (
                stories.assign(item, source.tier, features.get(item.id)) if stories else (None, None)
            )
            db.execute(
                "insert into items (id, source_id, guid, url, canonical_url, title, summary, "
                "content, author, published_at, fetched_at, updated_at, lang, content_hash, extra, "
                "tier, item_type, specialties, story_id) "
                "values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    item.id, source.id, item.guid, item.url, item.canonical_url, item.title,
                    item.summary, item.content, item.author, item.published_at,
                    item.fetched_at, item.fetched_at, item.lang, item.content_hash,
                    json.dumps(dict(item.extra), ensure_ascii=False) if item.extra else None,
                    source.tier,
                    tagging.item_type if tagging else "news",
                    specialties_json(tagging) if tagging else "[]",
                    story_id,
                ],
            )
            new_ids.append(item.id)
            item_id = item.id
            if story_id is not None and (story_id in fresh or (match is None and story_id not in touched_stories and db.execute(
                "select 1 from items where story_id = ? and id != ? limit 1", [story_id, item_id]
            ).fetchone() is None)):
                if member_tier is None:
                    # What refresh_stories reads: the best tier of the sources carrying
                    # the item, which is this source alone ('press' when it has no tier).
                    found = db.execute("select tier from sources where id = ?", [source.id]).fetchone()
                    member_tier = found[0] if found and found[0] is not None else "press"
                fresh.setdefault(story_id, []).append((
                    item_id, source.id, member_tier, item.title, item.summary, item.published_at,
                    item.fetched_at, item.lang,
                ))
                fresh_items[item_id] = story_id
            known = (item.id, source.id, item.title, item.summary, item.content)
            by_id[item.id] = by_guid[item.guid] = by_hash[item.content_hash] = known
            if tagging is not None:
                write_item_specialties(db, item_id, tagging)
            if story_id is not None:
                touched_stories.add(story_id)
            if match is not None:
                write_link(db, item_id, match)
        else:
            item_id, owner, title, summary, content = row
            fresh.pop(fresh_items.get(item_id, ""), None)  # changed again: read it back
            updates: dict[str, object] = {}
            if (title, summary) != (item.title, item.summary) or (item.content and content != item.content):
                if owner == source.id or my_rank <= owner_rank(owner):
                    updates.update(title=item.title, summary=item.summary, content=item.content or content)
                    updates["updated_at"] = seen_at
                    changed.append(item_id)
            if owner != source.id and my_rank < owner_rank(owner):
                # The best-ranked source carrying an article owns it (official first).
                updates["source_id"] = source.id
                updates["tier"] = source.tier
            if updates:
                sets = ", ".join(f"[{k}] = ?" for k in updates)
                db.execute(f"update items set {sets} where id = ?", [*updates.values(), item_id])
            if "title" in updates and item.id in tags:
                write_tags(db, item_id, tags[item.id])
        carried = db.execute(
            "insert or ignore into item_sources (item_id, source_id, guid, first_seen_at) "
            "values (?, ?, ?, ?)",
            [item_id, source.id, item.guid, seen_at],
        ).rowcount
        if carried and row is not None:
            # Layer 2: the same article through one more source.
            add_source_specialties(db, item_id, source.specialties)
            story = db.execute("select story_id from items where id = ?", [item_id]).fetchone()[0]
            if story:
                touched_stories.add(story)
    if touched_stories:
        refresh_stories(db, touched_stories, stories.follows if stories else None, fresh)
    return WriteOutcome(tuple(new_ids), tuple(changed), len(unique))

def _known(db: Database, source_id: str, items: Sequence[Item]) -> tuple[dict, dict, dict]:
    """What the database already holds of a document's items, in three queries per chunk
    rather than three per item: rows by id, and this source's rows by guid and by content."""
    by_id: dict[str, tuple] = {}
    by_guid: dict[str, tuple] = {}
    by_hash: dict[str, tuple] = {}
    columns = "i.id, i.source_id, i.title, i.summary, i.content"
    for start in range(0, len(items), 300):
        chunk = items[start : start + 300]
        marks = ",".join("?" * len(chunk))
        for row in db.execute(
            f"select {columns} from items i where i.id in ({marks})", [i.id for i in chunk]
        ):
            by_id[row[0]] = tuple(row)
        for row in db.execute(
            f"select s.guid, {columns} from item_sources s join items i on i.id = s.item_id "
            f"where s.source_id = ? and s.guid in ({marks})",
            [source_id, *(i.guid for i in chunk)],
        ):
            by_guid.setdefault(row[0], tuple(row[1:]))
        for row in db.execute(
            f"select i.content_hash, {columns} from items i join item_sources s "
            f"on s.item_id = i.id and s.source_id = ? where i.content_hash in ({marks})",
            [source_id, *(i.content_hash for i in chunk)],
        ):
            by_hash.setdefault(row[0], tuple(row[1:]))
    return by_id, by_guid, by_hash
