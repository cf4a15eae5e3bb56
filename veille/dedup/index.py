"""The windowed index: which story of its contemporaries a new document tells.

* **Contemporaries.** A document is compared with documents *published* at most ``window``
  from its own date, either way: never with "the newest date seen so far". Entries leave the
  index when they were *seen* (``StoryDoc.seen_at``, default the publication date) more than
  ``retain`` before the latest document seen: a backfill of two weeks, or a source dated in the
  future of the others, keeps every entry it needs, and memory stays bounded by what arrived
  within ``retain``.
* **The story's core.** A document joins a story only when it matches the story's core, its
  first item or its best-ranked one (official first), or at least two of its members; never
  through any single member ("first case in Lyon" -> … -> "second case in Lyon" is no chain).
* **Bounded span.** A story's members are published within ``span`` of each other; a follow-up
  later than that starts a new story, and :attr:`StoryMatch` of that new story is None, but
  :meth:`StoryIndex.follows` says which story it continues.
* **Postings.** An inverted index ``token -> entries`` over distinguishing title tokens. A lookup
  reads the postings of the query's rarest tokens (a token used by more than a few dozen entries
  is read only when nothing rarer is shared, and then only its most recent users), ranks
  candidates by the rarity of what they share and scores the best few precisely.
* **Deterministic.** No randomness; ties are broken by item ids. Same input order, same stories.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from veille.dedup.docs import (
    DEFAULT_SPAN,
    DEFAULT_THRESHOLD,
    DEFAULT_WINDOW,
    StoryDoc,
    StoryMatch,
    new_story_id,
)
from veille.dedup.features import Features, features
from veille.dedup.similarity import Weights, score
from veille.models import TIER_RANK

__all__ = ["StoryIndex"]

WEIGHTS_RENEW_ADDS = 500  # window weights are recomputed after this many adds...
WEIGHTS_RENEW_SHARE = 0.02  # ... or when the number of stories changed by this share
QUERY_TOKENS = 5  # postings of the query's rarest tokens that are read
COMMON_READ = 64  # entries read from a common token's posting when nothing rarer is shared
COMMON_CANDIDATES = 3  # candidates scored then
CANDIDATES = 8  # candidates scored precisely, at most
CANDIDATE_RATIO = 0.34  # ... among those sharing at least this share of the best candidate's weight
COMMON_POSTING = 48  # a posting longer than this is common (no story has that many items in days)
QUORUM = 2  # members matched that stand for the core


@dataclass(slots=True)
class _Entry:
    item_id: str  # the document itself is not kept: its summary may be long
    story_id: str
    features: Features
    ts: float  # published_at as a POSIX timestamp
    seen: float  # seen_at as a POSIX timestamp
    seq: int
    rank: int  # tier rank (official first)
    total: float = 0.0  # weight of the title's tokens, as of weights epoch ``epoch``
    epoch: int = -1


def _members(story: int | list[int]) -> list[int]:
    """A story's entry seqs, in the order they were added (a story of one item is its seq)."""
    return [story] if isinstance(story, int) else story


def _core(members: list[int], entries: dict[int, _Entry]) -> tuple[int, ...]:
    """The first member (earliest published) and the best-ranked one (earliest among equals)."""
    if not members:
        return ()
    first = min(members, key=lambda s: (entries[s].ts, s))
    best = min(members, key=lambda s: (entries[s].rank, entries[s].ts, entries[s].item_id))
    return (first,) if best == first else (first, best)


def _span(members: list[int], entries: dict[int, _Entry]) -> tuple[float, float]:
    times = [entries[s].ts for s in members]
    return min(times), max(times)


class StoryIndex:
    """Stories of the documents published within a sliding time window.

    ``window``: a document is compared with documents published at most this far from it, either
    way. ``threshold``: the similarity from which two documents tell the same story. ``span``:
    the longest time between the first and the last member of a story. ``retain``: how long
    after it was seen an entry is kept, behind the latest document seen (default ``window``).
    """

    def __init__(
        self,
        window: timedelta = DEFAULT_WINDOW,
        threshold: float = DEFAULT_THRESHOLD,
        retain: timedelta | None = None,
        span: timedelta = DEFAULT_SPAN,
    ) -> None:
        if window <= timedelta(0) or span <= timedelta(0):
            raise ValueError("window and span must be positive")
        if not 0.0 < threshold <= 1.0:
            raise ValueError("threshold must be in (0, 1]")
        self.window = window
        self.threshold = threshold
        self.span = span
        self.retain = retain if retain is not None else window
        self._window_s = window.total_seconds()
        self._span_s = span.total_seconds()
        self._retain_s = self.retain.total_seconds()
        self._entries: dict[int, _Entry] = {}
        self._by_item: dict[str, int] = {}
        # token -> seqs of the entries using it, in the order they were added (a list: an eighth of a
        # dict's bytes, and eviction removes the oldest, near the front)
        self._postings: dict[str, list[int]] = {}
        self._df: dict[str, int] = {}  # token -> number of stories in the index using it
        # story -> token -> members using it, for stories of two items or more (most stories
        # have one, whose counts are its title's: not stored, a dict less per entry)
        self._story_tokens: dict[str, dict[str, int]] = {}
        self._token_stories = 0  # stories whose titles have at least one token
        # story -> its members' seqs in the order they were added; a story of one item (most
        # of them) is its seq alone, not a list
        self._stories: dict[str, int | list[int]] = {}
        self._heap: list[tuple[float, int]] = []  # (seen, seq)
        self._weights = Weights(self._df, 0)
        self._weights_seq = 0
        self._seq = 0
        self._clock = -math.inf  # latest seen_at
        self._follows: dict[str, str] = {}  # item -> story it continues (last assign only)
        self.evicted = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._by_item

    def story_of(self, item_id: str) -> str | None:
        seq = self._by_item.get(item_id)
        return None if seq is None else self._entries[seq].story_id

    def follows(self, item_id: str) -> str | None:
        """The story that a document started by `assign` continues: it matched that story's
        core but was published too long after its first member."""
        return self._follows.get(item_id)

    # -- adding and evicting

    def add(self, doc: StoryDoc, story_id: str, prepared: Features | None = None) -> None:
        """Index ``doc`` as a member of ``story_id`` (replacing an earlier add of the same item)."""
        self._add(doc, story_id, prepared if prepared is not None else features(doc))

    def _add(self, doc: StoryDoc, story_id: str, feats: Features) -> None:
        old = self._by_item.get(doc.item_id)
        if old is not None:
            self._remove(old)
        ts = doc.published_at.timestamp()
        seen = doc.seen_at.timestamp() if doc.seen_at is not None else ts
        self._seq += 1
        seq = self._seq
        self._entries[seq] = _Entry(doc.item_id, story_id, feats, ts, seen, seq, TIER_RANK.get(doc.tier, len(TIER_RANK)))
        self._by_item[doc.item_id] = seq
        story = self._stories.get(story_id)
        if story is None:
            self._stories[story_id] = seq
            members = [seq]
        else:
            members = [story] if isinstance(story, int) else story
            members.append(seq)
            self._stories[story_id] = members
        df = self._df
        if len(members) == 1:  # a story of one item: its counts are its title's (not stored)
            for t in feats.title:
                df[t] = df.get(t, 0) + 1
            if feats.title:
                self._token_stories += 1
        else:
            counts = self._story_tokens.get(story_id)
            if counts is None:  # a second member: the first one's counts are written out
                counts = self._story_tokens[story_id] = dict.fromkeys(self._entries[members[0]].features.title, 1)
            had = bool(counts)
            for t in feats.title:
                n = counts.get(t, 0)
                counts[t] = n + 1
                if not n:
                    df[t] = df.get(t, 0) + 1
            if counts and not had:
                self._token_stories += 1
        for t in feats.keys:
            self._postings.setdefault(t, []).append(seq)
        heapq.heappush(self._heap, (seen, seq))
        if seen > self._clock:
            self._clock = seen
        self._evict(self._clock - self._retain_s)

    def _evict(self, cutoff: float) -> None:
        heap = self._heap
        while heap and heap[0][0] < cutoff:
            _, seq = heapq.heappop(heap)
            if seq in self._entries:
                self._remove(seq)
                self.evicted += 1

    def _remove(self, seq: int) -> None:
        entry = self._entries.pop(seq)
        if self._by_item.get(entry.item_id) == seq:
            del self._by_item[entry.item_id]
        members = _members(self._stories[entry.story_id])
        members.remove(seq)
        left = len(members)
        if left == 1:
            self._stories[entry.story_id] = members[0]
        if not left:
            del self._stories[entry.story_id]
            gone: Iterable[str] = entry.features.title
            if entry.features.title:
                self._token_stories -= 1
        else:
            counts = self._story_tokens[entry.story_id]
            had = bool(counts)
            gone = []
            for t in entry.features.title:
                n = counts[t] - 1
                if n:
                    counts[t] = n
                else:
                    del counts[t]
                    gone.append(t)
            if had and not counts:
                self._token_stories -= 1
            if left == 1:  # one member left: its title gives its counts again
                del self._story_tokens[entry.story_id]
        df = self._df
        for t in gone:
            n = df[t] - 1
            if n:
                df[t] = n
            else:
                del df[t]
        for t in entry.features.keys:
            posting = self._postings[t]
            posting.remove(seq)
            if not posting:
                del self._postings[t]

    # -- matching

    def match(self, doc: StoryDoc) -> StoryMatch | None:
        """The story within the window that ``doc`` tells best, or None."""
        return self._match(doc, features(doc))[0]

    def _weights_for(self) -> Weights:
        """The weights of the window, renewed when it changed enough since they were made."""
        n = self._token_stories
        w = self._weights
        if self._seq - self._weights_seq >= WEIGHTS_RENEW_ADDS or abs(n - w.n) > WEIGHTS_RENEW_SHARE * w.n:
            w = self._weights = Weights(self._df, n, w.epoch + 1)
            self._weights_seq = self._seq
        return w

    def _candidates(self, doc: StoryDoc, feats: Features) -> tuple[list[int], float]:
        """Entries worth scoring, rarest shared tokens first, and the document's timestamp."""
        ts = doc.published_at.timestamp()
        lo, hi = ts - self._window_s, ts + self._window_s
        postings = self._postings
        entries = self._entries
        # Tokens nobody else used do not take the place of shared ones.
        keys = sorted((t for t in feats.keys if t in postings), key=lambda t: (len(postings[t]), t))[:QUERY_TOKENS]
        tally: dict[int, float] = {}
        limit = CANDIDATES
        for t in keys:
            posting = postings.get(t)
            if not posting:
                continue
            if len(posting) > COMMON_POSTING:
                if tally:
                    break
                cap = COMMON_READ  # nothing rarer is shared: the most recent users of t only
                limit = COMMON_CANDIDATES
            else:
                cap = COMMON_POSTING
            wt = 1.0 / len(posting)  # rarer shared tokens rank candidates first
            for n, seq in enumerate(reversed(posting)):
                if n >= cap:
                    break
                if lo <= entries[seq].ts <= hi:
                    tally[seq] = tally.get(seq, 0.0) + wt
            if cap == COMMON_READ:
                break
        tally.pop(self._by_item.get(doc.item_id, -1), None)
        if not tally:
            return [], ts
        least = CANDIDATE_RATIO * max(tally.values())
        ranked = sorted((-shared, seq) for seq, shared in tally.items() if shared >= least)
        return [seq for _, seq in ranked[:limit]], ts

    def _match(self, doc: StoryDoc, feats: Features) -> tuple[StoryMatch | None, str | None]:
        """(the story ``doc`` joins, or None; the story it would continue when only its span
        forbids joining, or None)."""
        if not feats.keys or not self._entries:
            return None, None
        candidates, ts = self._candidates(doc, feats)
        if not candidates:
            return None, None
        weights = self._weights_for()
        wa = weights.total(feats.title)
        scored: dict[int, tuple[float, str]] = {}

        def score_of(seq: int) -> tuple[float, str]:
            got = scored.get(seq)
            if got is None:
                entry = self._entries[seq]
                if entry.epoch != weights.epoch:
                    entry.total = weights.total(entry.features.title)
                    entry.epoch = weights.epoch
                got = scored[seq] = score(feats, entry.features, weights, self.threshold, wa, entry.total)
            return got

        hits: dict[str, list[int]] = {}
        for seq in candidates:
            if score_of(seq)[0] >= self.threshold:
                hits.setdefault(self._entries[seq].story_id, []).append(seq)
        best: tuple[int, float, str, StoryMatch] | None = None  # (rule rank, -score, item id, match)
        follows: tuple[float, str] | None = None
        for story_id, seqs in hits.items():
            members = _members(self._stories[story_id])
            core = _core(members, self._entries)
            core_hits = [s for s in core if score_of(s)[0] >= self.threshold]
            if core_hits:
                rule, chosen = "core", max(core_hits, key=lambda s: (score_of(s)[0], -s))
            elif len(seqs) >= QUORUM:
                rule, chosen = "members", max(seqs, key=lambda s: (score_of(s)[0], -s))
            else:
                continue
            sim, method = score_of(chosen)
            first, last = _span(members, self._entries)
            if max(last, ts) - min(first, ts) > self._span_s:
                if follows is None or sim > follows[0]:
                    follows = (sim, story_id)
                continue
            entry = self._entries[chosen]
            found = StoryMatch(story_id, entry.item_id, round(sim, 4), method, rule, len(members))
            key = (0 if rule == "core" else 1, -sim, entry.item_id, found)
            if best is None or key[:3] < best[:3]:
                best = key
        return (best[3] if best else None), (follows[1] if follows and best is None else None)

    def assign(self, doc: StoryDoc, prepared: Features | None = None) -> tuple[str, StoryMatch | None]:
        """Match ``doc``; on no match start a new story (``new_story_id(doc)``); then index it.

        A ``doc.story_id`` already known (loaded from the database) is kept as is.
        ``prepared``: ``features(doc)`` computed beforehand (e.g. in a parsing worker process).
        """
        feats = prepared if prepared is not None else features(doc)
        self._follows.clear()
        if doc.story_id is not None:
            self._add(doc, doc.story_id, feats)
            return doc.story_id, None
        found, follows = self._match(doc, feats)
        story_id = found.story_id if found is not None else new_story_id(doc)
        if follows is not None:
            self._follows[doc.item_id] = follows
        self._add(doc, story_id, feats)
        return story_id, found
