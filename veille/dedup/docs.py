"""What the story engine receives and returns: documents, matches, story ids. Pure data."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from veille.models import TIER_RANK

__all__ = ["DEFAULT_SPAN", "DEFAULT_THRESHOLD", "DEFAULT_WINDOW", "StoryDoc", "StoryMatch", "new_story_id", "representative"]

DEFAULT_WINDOW = timedelta(days=3)
DEFAULT_SPAN = timedelta(days=3)  # first to last member of one story, at most
DEFAULT_THRESHOLD = 0.45


@dataclass(frozen=True)
class StoryDoc:
    item_id: str
    source_id: str
    tier: str  # one of models.TIERS
    title: str
    text: str  # summary/plain text, may be ""
    published_at: datetime  # aware UTC (the first-seen time when the feed gave no date)
    story_id: str | None = None  # known story, when loading the window from the database
    seen_at: datetime | None = None  # when Veille first saw it (default: published_at)


@dataclass(frozen=True)
class StoryMatch:
    story_id: str
    item_id: str  # the member it matched best
    similarity: float  # 0..1
    method: str  # e.g. "title-tokens+rapidfuzz"
    rule: str = "core"  # core: matched the story's first or best-ranked item; members: two members or more
    members: int = 1  # members of the story it matched


def new_story_id(doc: StoryDoc) -> str:
    """A deterministic story id for a story that starts with ``doc``."""
    return "s" + hashlib.sha1(doc.item_id.encode("utf-8"), usedforsecurity=False).hexdigest()[:16]


def tier_key(doc: StoryDoc) -> tuple[int, datetime, str]:
    return (TIER_RANK.get(doc.tier, len(TIER_RANK)), doc.published_at, doc.item_id)


def representative(docs: Iterable[StoryDoc]) -> StoryDoc:
    """The item that stands for a story: best tier, then earliest publication, then item id."""
    best: StoryDoc | None = None
    best_key: tuple[int, datetime, str] | None = None
    for doc in docs:
        key = tier_key(doc)
        if best_key is None or key < best_key:
            best, best_key = doc, key
    if best is None:
        raise ValueError("representative() of no documents")
    return best
