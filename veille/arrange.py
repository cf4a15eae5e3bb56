"""Which stories are the news of a period, and in what order: shared by the digest and La une.

Pure decisions on frozen dataclasses, no I/O: :mod:`veille.news` reads the database into
:class:`Entry` objects, :func:`arrange` filters, groups and orders them into a :class:`Digest`,
and :mod:`veille.render` (digest files, mail) and the La une page
(:mod:`veille.plugins.reading_room`) show it. Nothing here imports the renderers, the mailer or
Datasette.

Two rules live here because the digest and La une must agree on them:

- **News by publication date** (:func:`is_news`): an item is news in the period that contains
  its publication date; an item that arrives late (published before the period, first seen in
  it) is news of the period it arrived in, unless it was first seen more than ``archive_days``
  (setting ``digest.archive_days``, default 3) after its publication: then it is *archive*, never
  today's news, whatever the period (it stays searchable). Items without a date carry their
  first-seen time as publication date (see ``normalise.item_date``).
- **Who may raise an alert** (:func:`alert_issuer`): recalls, shortages and safety notices go to
  the alert box only from an official source, or from the press quoting an agency by name; the
  box says which.

Extension points (for watches and mute rules, issue 13): :func:`arrange` takes ``keep``, a
sequence of ``Entry -> bool`` predicates applied before grouping (a muted entry returns False and
leaves every count, group and the alert box); La une's template has a ``spikes`` block fed by
``extra_blocks`` in its context (see :mod:`veille.plugins.reading_room`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from veille.models import ITEM_TYPES, TIER_RANK

ALERT_TYPES = ("recall", "shortage", "safety")
DEFAULT_ARCHIVE_DAYS = 3
DEFAULT_BASE_URL = "http://127.0.0.1:8001/"

TYPE_LABELS = {
    "fr": {
        "recall": "Rappel", "shortage": "Rupture ou tension", "safety": "Sécurité",
        "guideline": "Recommandation", "approval": "Autorisation", "study": "Étude",
        "event": "Événement", "job": "Emploi", "news": "Actualité",
    },
    "en": {
        "recall": "Recall", "shortage": "Shortage", "safety": "Safety", "guideline": "Guideline",
        "approval": "Approval", "study": "Study", "event": "Event", "job": "Job", "news": "News",
    },
}
TIER_LABELS = {
    "fr": {"official": "officiel", "journal": "revue", "society": "société savante",
           "press": "presse", "social": "réseau social"},
    "en": {"official": "official", "journal": "journal", "society": "society",
           "press": "press", "social": "social"},
}
TEXT = {
    "fr": {
        "title": "Veille médicale", "period": "Période", "from": "du", "to": "au",
        "stories": "sujets", "story": "sujet", "by_specialty": "Par spécialité",
        "by_type": "Par type", "alerts": "À signaler", "also": "Aussi rapporté par",
        "other": "Autres", "nothing": "Rien de nouveau sur cette période.",
        "filters": "Filtres", "no_link": "sans lien", "quoted_by": "cité par",
    },
    "en": {
        "title": "Medical news", "period": "Period", "from": "from", "to": "to",
        "stories": "stories", "story": "story", "by_specialty": "By specialty",
        "by_type": "By type", "alerts": "Flagged", "also": "Also reported by",
        "other": "Other", "nothing": "Nothing new in this period.",
        "filters": "Filters", "no_link": "no link", "quoted_by": "quoted by",
    },
}

# Agencies whose recalls, shortages and safety notices the press relays. Acronyms are matched
# case-sensitively as whole words ("HAS" the agency, not "has" the verb), names ignoring case.
AGENCIES: tuple[tuple[str, str], ...] = (
    ("ANSM", r"\bANSM\b"),
    ("HAS", r"\bHAS\b|haute autorit[ée] de sant[ée]"),
    ("Santé publique France", r"sant[ée] publique france"),
    ("DGS", r"\bDGS\b|direction g[ée]n[ée]rale de la sant[ée]"),
    ("ministère de la Santé", r"minist[èe]re de la sant[ée]"),
    ("ARS", r"\bARS\b|agence r[ée]gionale de sant[ée]"),
    ("Rappel Conso", r"rappel ?conso"),
    ("DGCCRF", r"\bDGCCRF\b"),
    ("Anses", r"\bANSES\b|\bAnses\b"),
    ("EMA", r"\bEMA\b|european medicines agency|agence europ[ée]enne des m[ée]dicaments"),
    ("FDA", r"\bFDA\b|food and drug administration"),
    ("MHRA", r"\bMHRA\b"),
    ("OMS", r"\bOMS\b|\bWHO\b|organisation mondiale de la sant[ée]|world health organi[sz]ation"),
    ("ECDC", r"\bECDC\b"),
    ("CDC", r"\bCDC\b"),
    ("Swissmedic", r"swissmedic"),
    ("AFMPS", r"\bAFMPS\b|\bFAGG\b"),
    ("Santé Canada", r"sant[ée] canada|health canada"),
)
def _agency_regex(pattern: str) -> re.Pattern[str]:
    # Acronym alternatives (\bXYZ\b) stay case-sensitive; names ignore case (inline flag).
    parts = []
    for alt in pattern.split("|"):
        plain = alt.replace(r"\b", "")
        parts.append(alt if plain.isupper() or plain in ("Anses",) else f"(?i:{alt})")
    return re.compile("|".join(parts))


_AGENCY_RES = tuple((name, _agency_regex(pattern)) for name, pattern in AGENCIES)


# --- data ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A half-open UTC interval [start, end) and the name its files get."""

    start: datetime
    end: datetime
    label: str  # "2026-11-27" for a day, "since-24h" otherwise
    timezone: str = "Europe/Paris"


@dataclass(frozen=True)
class SourceRef:
    id: str
    name: str
    tier: str


@dataclass(frozen=True)
class Entry:
    """One story as the digest and La une show it."""

    story_id: str
    title: str
    url: str | None  # http(s) only, else None
    source: SourceRef
    published_at: datetime
    specialties: tuple[str, ...]  # strongest first
    item_type: str
    also: tuple[SourceRef, ...] = ()
    updated_at: datetime | None = None
    summary: str = ""  # one plain line, capped
    alert_from: str | None = None  # set by arrange(): who issued the alert (see alert_issuer)

    @property
    def official(self) -> bool:
        return self.source.tier == "official" or any(s.tier == "official" for s in self.also)

    @property
    def source_count(self) -> int:
        return 1 + len(self.also)

    @property
    def alert(self) -> bool:
        return self.alert_from is not None


@dataclass(frozen=True)
class Group:
    specialty: str | None  # None: stories without a specialty
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class Digest:
    """Stories of a period, arranged: what the digest files, the mail and La une show."""

    period: Period
    lang: str
    entries: tuple[Entry, ...]  # every story, in reading order
    groups: tuple[Group, ...] = ()
    alerts: tuple[Entry, ...] = ()
    specialty_counts: tuple[tuple[str, int], ...] = ()
    type_counts: tuple[tuple[str, int], ...] = ()
    labels: dict[str, tuple[str, str]] = field(default_factory=dict, compare=False)  # slug -> (fr, en)
    filters: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())  # specialties, types
    base_url: str = DEFAULT_BASE_URL
    spikes: tuple[str, ...] = ()  # « Infectiologie : 3× plus de sujets que d'habitude … » (veille.spikes)

    def specialty_label(self, slug: str | None) -> str:
        if slug is None:
            return TEXT[self.lang]["other"]
        fr, en = self.labels.get(slug, (slug, slug))
        return fr if self.lang == "fr" else en

    def type_label(self, item_type: str) -> str:
        return TYPE_LABELS[self.lang].get(item_type, item_type)

    def tier_label(self, tier: str) -> str:
        return TIER_LABELS[self.lang].get(tier, tier)


# --- rules (pure) ----------------------------------------------------------------------------


def is_archive(published_at: datetime, first_seen_at: datetime, archive_days: float = DEFAULT_ARCHIVE_DAYS) -> bool:
    """First seen more than ``archive_days`` after its publication: an old item, never news."""
    return first_seen_at - published_at > timedelta(days=archive_days)


def is_news(
    published_at: datetime, first_seen_at: datetime, period: Period, archive_days: float = DEFAULT_ARCHIVE_DAYS,
) -> bool:
    """Is this item news of ``period``? Published in it; or published earlier but first seen in
    it (a late arrival); and in both cases not archive (:func:`is_archive`)."""
    if is_archive(published_at, first_seen_at, archive_days):
        return False
    if period.start <= published_at < period.end:
        return True
    return published_at < period.start and period.start <= first_seen_at < period.end


def quoted_agency(text: str) -> str | None:
    """The first agency named in ``text`` (the name Veille shows), or None."""
    for name, pattern in _AGENCY_RES:
        if pattern.search(text):
            return name
    return None


def alert_issuer(entry: Entry, lang: str = "fr") -> str | None:
    """Who issued this recall, shortage or safety notice, as the alert box says it, or None when
    it does not go to the alert box: the official source that carried it ("ANSM"), or the agency
    a press article quotes ("ANSM, cité par Egora"). Journals, societies, social accounts and
    press articles naming no agency do not raise alerts."""
    if entry.item_type not in ALERT_TYPES:
        return None
    if entry.source.tier == "official":
        return entry.source.name
    official = next((s for s in entry.also if s.tier == "official"), None)
    if official is not None:
        return official.name
    if entry.source.tier == "press":
        agency = quoted_agency(f"{entry.title} {entry.summary}")
        if agency:
            return f"{agency}, {TEXT[lang]['quoted_by']} {entry.source.name}"
    return None


def _order(entry: Entry) -> tuple:
    # Official first, then the most widely reported, then the most recent.
    return (not entry.official, -entry.source_count, -entry.published_at.timestamp(), entry.title.lower(), entry.story_id)


def arrange(
    entries: Iterable[Entry],
    period: Period,
    *,
    lang: str = "fr",
    specialties: Sequence[str] = (),
    types: Sequence[str] = (),
    labels: dict[str, tuple[str, str]] | None = None,
    base_url: str = DEFAULT_BASE_URL,
    keep: Sequence[Callable[[Entry], bool]] = (),
) -> Digest:
    """Filter, group by specialty and order: a pure function of the entries.

    ``keep``: predicates an entry must all pass to be shown (mute rules); an entry they drop
    leaves the counts, the groups and the alert box."""
    chosen = []
    for e in entries:
        if specialties and not set(e.specialties) & set(specialties):
            continue
        if types and e.item_type not in types:
            continue
        if not all(rule(e) for rule in keep):
            continue
        if specialties:  # the group is the strongest of the asked specialties, the others stay listed
            first = next(s for s in e.specialties if s in specialties)
            e = replace(e, specialties=(first, *[s for s in e.specialties if s != first]))
        chosen.append(replace(e, alert_from=alert_issuer(e, lang)))
    ordered = sorted(chosen, key=_order)
    labels = labels if labels is not None else {}
    digest = Digest(period, lang, (), labels=labels, filters=(tuple(specialties), tuple(types)), base_url=base_url)
    grouped: dict[str | None, list[Entry]] = {}
    for e in ordered:
        grouped.setdefault(e.specialties[0] if e.specialties else None, []).append(e)
    groups = tuple(
        Group(slug, tuple(members))
        for slug, members in sorted(
            grouped.items(),
            key=lambda kv: (kv[0] is None, -len(kv[1]), digest.specialty_label(kv[0]).lower()),
        )
    )
    reading = tuple(e for g in groups for e in g.entries)
    alerts = tuple(sorted((e for e in reading if e.alert), key=lambda e: (ALERT_TYPES.index(e.item_type), _order(e))))
    spec_counts: dict[str, int] = {}
    type_counts: dict[str, int] = {}
    for e in reading:
        for s in e.specialties:
            spec_counts[s] = spec_counts.get(s, 0) + 1
        type_counts[e.item_type] = type_counts.get(e.item_type, 0) + 1
    return replace(
        digest,
        entries=reading,
        groups=groups,
        alerts=alerts,
        specialty_counts=tuple(sorted(spec_counts.items(), key=lambda kv: (-kv[1], digest.specialty_label(kv[0]).lower()))),
        type_counts=tuple(sorted(type_counts.items(), key=lambda kv: (-kv[1], ITEM_TYPES.index(kv[0]) if kv[0] in ITEM_TYPES else 99))),
    )


def best_first(sources: Iterable[SourceRef]) -> tuple[SourceRef, ...]:
    """Sources in the order they are listed: tier, then name."""
    return tuple(sorted(sources, key=lambda s: (TIER_RANK.get(s.tier, 99), s.name.lower(), s.id)))
