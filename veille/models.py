"""Frozen dataclasses passed between pipeline stages.

feeds.yaml -> Source -> fetch -> Fetched -> parse -> Entry -> normalise -> Item -> dedup/tag -> store
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

TIERS = ("official", "journal", "society", "press", "social")
# Lower rank wins when choosing the representative item of a story.
TIER_RANK = {tier: rank for rank, tier in enumerate(TIERS)}
KINDS = ("feed", "mastodon", "bluesky", "youtube", "pubmed", "page")
# The tier a new source of these kinds gets when none is given (`sources add`, OPML import).
KIND_TIERS = {"mastodon": "social", "bluesky": "social", "youtube": "social", "pubmed": "journal"}
ITEM_TYPES = ("recall", "shortage", "safety", "guideline", "approval", "study", "event", "job", "news")


@dataclass(frozen=True)
class Source:
    """One entry of feeds.yaml."""

    id: str
    name: str
    url: str
    kind: str = "feed"
    tier: str = "press"
    lang: str | None = None
    specialties: tuple[str, ...] = ()
    every: int = 3600  # seconds between fetches
    enabled: bool = True
    fulltext: bool = False
    options: tuple[tuple[str, Any], ...] = ()  # kind-specific settings (replies, boosts, ...)
    line: int | None = None  # line in feeds.yaml, for error messages


@dataclass(frozen=True)
class Settings:
    """The optional top-level ``settings:`` of feeds.yaml."""

    user_agent: str | None = None
    concurrency: int = 40  # requests in flight overall
    per_host: int = 2  # requests in flight per host at first (veille.hostlimit)
    per_host_max: int = 24  # ... and at most, while the host answers fast and without errors
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    deadline: float = 60.0  # overall limit for one fetch, body included
    max_bytes: int = 10 * 1024 * 1024  # after decompression
    max_redirects: int = 5
    max_items: int = 1000  # per document
    timezone: str = "Europe/Paris"
    proxy: str | None = None  # None: HTTPS_PROXY/HTTP_PROXY from the environment; "none": direct
    no_proxy: tuple[str, ...] | None = None  # None: NO_PROXY from the environment
    # Nested sections (digest, smtp, mastodon, bluesky, youtube, pubmed, ...) as plain mappings.
    sections: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def section(self, name: str) -> dict[str, Any]:
        value = self.sections.get(name)
        return dict(value) if isinstance(value, dict) else {}


@dataclass(frozen=True)
class Config:
    path: str
    sources: tuple[Source, ...]
    settings: Settings = field(default_factory=Settings)
    watches: tuple[Any, ...] = ()  # veille.watch.Watch (feeds.yaml's top-level `watches:`)

    def watch(self, name: str) -> Any:
        return next((w for w in self.watches if w.name == name), None)

    def source(self, source_id: str) -> Source | None:
        return next((s for s in self.sources if s.id == source_id), None)


@dataclass(frozen=True)
class SourceState:
    """What the database remembers of a source between fetches."""

    id: str
    url: str | None = None  # current URL (after permanent redirects)
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    error_count: int = 0
    next_fetch_at: datetime | None = None
    disabled_reason: str | None = None


@dataclass(frozen=True)
class Fetched:
    """The outcome of one HTTP fetch. ``body`` is None on 304 or error."""

    source_id: str
    url: str  # final URL after redirects
    started_at: datetime
    duration_ms: int
    status: int | None = None
    body: bytes | None = None
    headers: tuple[tuple[str, str], ...] = ()
    etag: str | None = None
    last_modified: str | None = None
    permanent_url: str | None = None  # set when a 301/308 chain moved the feed
    body_hash: str | None = None
    error: str | None = None
    retry_after: float | None = None
    gone: bool = False  # 410
    network_error: bool = False  # timeout, refused or reset connection (the host may be strained)

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)


@dataclass(frozen=True)
class Entry:
    """One entry as the document gave it (HTML may remain); output of parse."""

    guid: str | None
    link: str | None
    title: str | None
    title_is_html: bool = False
    summary: str | None = None  # HTML or text
    content: str | None = None  # HTML or text
    author: str | None = None
    published: datetime | None = None  # aware, as parsed
    lang: str | None = None
    extra: tuple[tuple[str, str], ...] = ()  # kind-specific fields (doi, pmid, journal, ...)


@dataclass(frozen=True)
class Feed:
    """A parsed document: its title, language and entries, plus what went wrong on the way."""

    title: str | None
    link: str | None
    lang: str | None
    entries: tuple[Entry, ...]
    warning: str | None = None  # e.g. recovered from malformed XML
    parser: str = ""  # which parser read it, and why the fast one did not (veille.parse_fast)


@dataclass(frozen=True)
class Item:
    """A normalised item, ready to store: plain text, canonical URL, UTC ISO dates."""

    id: str
    source_id: str
    guid: str
    url: str | None
    canonical_url: str | None
    title: str
    summary: str
    content: str
    author: str | None
    published_at: str  # ISO 8601 UTC
    fetched_at: str  # ISO 8601 UTC
    lang: str | None
    content_hash: str
    extra: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class SourceResult:
    """What collecting one source did, for the summary and the fetches table."""

    source_id: str
    outcome: str  # new | not_modified | error
    items_new: int = 0
    items_seen: int = 0
    error: str | None = None
    http_status: int | None = None
    duration_ms: int = 0
    warning: str | None = None

    @property
    def counts(self) -> str:
        warning = f" (warning: {self.warning})" if self.warning else ""
        return f"{self.items_new} new, {self.items_seen - self.items_new} already known{warning}"

SPECIALTIES = (
    "addictologie", "allergologie", "anesthesie-reanimation", "biologie-medicale", "cardiologie",
    "chirurgie", "dermatologie", "endocrinologie", "gastro-enterologie", "genetique", "geriatrie",
    "gynecologie-obstetrique", "hematologie", "infectiologie", "medecine-generale",
    "medecine-interne", "medecine-travail", "medecine-urgence", "nephrologie", "neurologie",
    "odontologie", "oncologie", "ophtalmologie", "orl", "pediatrie", "pharmacologie",
    "pneumologie", "psychiatrie", "radiologie", "readaptation", "rhumatologie", "sante-numerique",
    "sante-publique", "urologie",
)
