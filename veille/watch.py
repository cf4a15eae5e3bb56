"""Watches: a saved search that notifies. Pure decisions: which new items match which watches,
one hit per story per watch. The collect hands newly stored items to :func:`match_new`; storing
the hits and delivering them is :mod:`veille.alerts`.

Matching 1,000 watches against every new item must cost little next to a collect, so watches
are looked up through an index of the words each one needs (see ``query.anchors``): an item is
only evaluated against the watches one of whose words it contains.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import urlsplit

from veille.errors import VeilleError
from veille.models import ITEM_TYPES, SPECIALTIES, TIERS
from veille.query import Node, QueryError, Text, anchors, compile_node, matches, parse_query

NAME_MAX = 64


class WatchError(VeilleError):
    """A watch that cannot be saved (bad name, query, filter or target)."""


@dataclass(frozen=True)
class Watch:
    """One entry of ``watches:`` in feeds.yaml."""

    name: str
    query: str | None = None
    specialties: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    notify: tuple[str, ...] = ()
    spike: bool = False  # notify when this watch's daily count spikes, not on each story
    line: int | None = None

    @property
    def node(self) -> Node | None:
        return parse_query(self.query) if self.query else None


@dataclass(frozen=True)
class NewItem:
    """What matching needs of a newly stored item."""

    id: str
    story_id: str | None
    source_id: str
    title: str
    summary: str = ""
    content: str = ""
    item_type: str = "news"
    tier: str = "press"
    specialties: tuple[str, ...] = ()
    url: str | None = None
    published_at: str = ""
    text: Text | None = field(default=None, compare=False, repr=False)

    @property
    def story_key(self) -> str:
        return self.story_id or self.id

    def prepared(self) -> Text:
        return self.text if self.text is not None else Text.of(self.title, self.summary, self.content)


class Hit(NamedTuple):  # a tuple: a collect may create a million of them
    watch: str
    story_key: str
    item_id: str


def check_target(target: str) -> str:
    """A notification target, checked: ``mailto:ADDRESS`` or an http(s) webhook URL."""
    target = target.strip()
    if target.lower().startswith("mailto:"):
        address = target[7:]
        local, _, domain = address.partition("@")
        if (not local or "." not in domain or not address.isprintable()
                or any(c in address for c in " ,;<>\"'") or address.count("@") != 1):
            raise WatchError(f"{target!r}: give one address, e.g. mailto:moi@example.org")
        return "mailto:" + address
    try:
        parts = urlsplit(target)
    except ValueError as e:
        raise WatchError(f"{target!r} is not a valid URL ({e})") from e
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WatchError(
            f"{target!r}: a target is mailto:ADDRESS or an http(s):// webhook URL"
        )
    return target


def shown_target(target: str) -> str:
    """A target as logs and `watch list` show it: a webhook's path may hold a secret token."""
    if target.lower().startswith("mailto:"):
        return target
    parts = urlsplit(target)
    return f"{parts.scheme}://{parts.hostname}{':' + str(parts.port) if parts.port else ''}/…"


def check_watch(watch: Watch) -> Watch:
    """The watch if valid, else WatchError with a one-line reason (the first problem)."""
    import re

    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,63}", watch.name or ""):
        raise WatchError(
            f"watch name {watch.name!r} must be a slug: lower-case letters, digits, '-' or '_'"
        )
    if watch.query:
        try:
            parse_query(watch.query)
        except QueryError as e:
            raise WatchError(str(e)) from None
    elif not (watch.spike and watch.specialties):
        raise WatchError(
            f"watch {watch.name!r} needs a query (--query), or --spike with --specialty "
            "to watch a specialty's activity"
        )
    for values, allowed, what in (
        (watch.specialties, SPECIALTIES, "specialty"),
        (watch.types, ITEM_TYPES, "type"),
        (watch.tiers, TIERS, "tier"),
    ):
        for value in values:
            if value not in allowed:
                raise WatchError(f"unknown {what} {value!r} (one of: {', '.join(allowed)})")
    for target in watch.notify:
        check_target(target)
    return watch


def passes_filters(watch: Watch, item: NewItem) -> bool:
    if watch.specialties and not set(watch.specialties) & set(item.specialties):
        return False
    if watch.types and item.item_type not in watch.types:
        return False
    return not (watch.tiers and item.tier not in watch.tiers)


def watch_matches(watch: Watch, item: NewItem) -> bool:
    """The whole rule for one watch and one item (no index)."""
    if not passes_filters(watch, item):
        return False
    node = watch.node
    return True if node is None else matches(node, item.prepared())


class WatchIndex:
    """Watches looked up by the words they need. ``candidates`` is a superset of the matches."""

    def __init__(self, watches: Sequence[Watch]):
        self.watches = tuple(watches)
        self._tests = tuple(compile_node(w.node) if w.query else None for w in self.watches)
        self._filters = tuple(
            (frozenset(w.specialties), frozenset(w.types), frozenset(w.tiers))
            if w.specialties or w.types or w.tiers else None
            for w in self.watches
        )
        self._exact: dict[str, list[int]] = {}
        self._prefix: dict[str, list[int]] = {}
        self._lengths: list[int] = []
        self._always: list[int] = []  # no anchor (only filters): checked on every item
        for i, watch in enumerate(self.watches):
            node = watch.node
            found = anchors(node) if node is not None else None
            if found is None:
                self._always.append(i)
                continue
            for word, is_prefix in found:
                (self._prefix if is_prefix else self._exact).setdefault(word, []).append(i)
        self._lengths = sorted({len(p) for p in self._prefix})

    def candidates(self, text: Text) -> set[int]:
        out = set(self._always)
        exact, prefix, lengths = self._exact, self._prefix, self._lengths
        for word in text.words:
            hit = exact.get(word)
            if hit:
                out.update(hit)
            for n in lengths:
                if n > len(word):
                    break
                hit = prefix.get(word[:n])
                if hit:
                    out.update(hit)
        return out

    def matching(self, item: NewItem) -> list[Watch]:
        text = item.prepared()
        found = []
        tests, filters, watches = self._tests, self._filters, self.watches
        for i in sorted(self.candidates(text)):
            f = filters[i]
            if f is not None and (
                (f[0] and f[0].isdisjoint(item.specialties))
                or (f[1] and item.item_type not in f[1])
                or (f[2] and item.tier not in f[2])
            ):
                continue
            test = tests[i]
            if test is None or test(text):
                found.append(watches[i])
        return found


@lru_cache(maxsize=4)
def index_for(watches: tuple[Watch, ...]) -> WatchIndex:
    """The index of a set of watches, kept while feeds.yaml does not change (the service
    collects again and again with the same watches)."""
    return WatchIndex(watches)


def match_new(
    watches: Sequence[Watch],
    items: Iterable[NewItem],
    *,
    muted: Iterable[str] = (),
    index: WatchIndex | None = None,
) -> list[Hit]:
    """One hit per (watch, story) among the new items of a collect, in the items' order (the
    first item of a story wins); muted items never hit. Spike watches hit too (their hits are
    what they count) but notify on spikes only. Whether a story already hit a watch in an earlier
    collect is the store's business."""
    if not watches:
        return []
    index = index or WatchIndex(watches)
    skip = set(muted)
    seen: set[tuple[str, str]] = set()
    hits: list[Hit] = []
    for item in items:
        if item.id in skip:
            continue
        for watch in index.matching(item):
            key = (watch.name, item.story_key)
            if key not in seen:
                seen.add(key)
                hits.append(Hit(watch.name, item.story_key, item.id))
    return hits
