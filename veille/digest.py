"""Stories of a period -> a digest in Markdown, HTML, JSON or Atom, and `veille digest`.

Three stages, as elsewhere: `build_digest()` reads the database into frozen dataclasses,
`arrange()` decides order and grouping (pure), and `render()` (veille/render.py) turns a `Digest` into text.
Every piece of feed text goes through `_clean()` (control characters out, length capped) and is
then escaped for the output format; links are kept only when they are http(s).

What "new in the period" means: an item whose `fetched_at` (the moment Veille first stored it)
falls in the period. A story is in the digest when at least one of its items is new; the entry
shows the story's representative item and every source that carried any of its items. Items
without a `story_id` (data collected before clustering) are a story of their own.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import click

from veille.cli import CONTEXT, Env, UsageProblem, pass_env, user_errors
from veille.errors import VeilleError
from veille.models import ITEM_TYPES, SPECIALTIES, TIER_RANK
from veille.normalise import utc_iso

FORMATS = ("md", "html", "json", "atom")
LANGS = ("fr", "en")
ALERT_TYPES = ("recall", "shortage", "safety")
SCHEMA_VERSION = 1
SCHEMA_ID = "https://github.com/veille/veille/blob/main/docs/digest-schema.json"
DEFAULT_TIME = "07:00"
DEFAULT_DIR = "digests"
DEFAULT_BASE_URL = "http://127.0.0.1:8001/"
MAX_TITLE = 500
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_SPACES = re.compile(r"\s+")
_SINCE = re.compile(r"^\s*(\d+)\s*(m|min|h|d)\s*$", re.IGNORECASE)

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
        "filters": "Filtres", "no_link": "sans lien",
    },
    "en": {
        "title": "Medical news", "period": "Period", "from": "from", "to": "to",
        "stories": "stories", "story": "story", "by_specialty": "By specialty",
        "by_type": "By type", "alerts": "Flagged", "also": "Also reported by",
        "other": "Other", "nothing": "Nothing new in this period.",
        "filters": "Filters", "no_link": "no link",
    },
}


# --- data --------------------------------------------------------------------------------------


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
    """One story as the digest shows it."""

    story_id: str
    title: str
    url: str | None  # http(s) only, else None
    source: SourceRef
    published_at: datetime
    specialties: tuple[str, ...]  # strongest first
    item_type: str
    also: tuple[SourceRef, ...] = ()
    updated_at: datetime | None = None

    @property
    def official(self) -> bool:
        return self.source.tier == "official" or any(s.tier == "official" for s in self.also)

    @property
    def source_count(self) -> int:
        return 1 + len(self.also)

    @property
    def alert(self) -> bool:
        return self.item_type in ALERT_TYPES


@dataclass(frozen=True)
class Group:
    specialty: str | None  # None: stories without a specialty
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class Digest:
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

    def specialty_label(self, slug: str | None) -> str:
        if slug is None:
            return TEXT[self.lang]["other"]
        fr, en = self.labels.get(slug, (slug, slug))
        return fr if self.lang == "fr" else en

    def type_label(self, item_type: str) -> str:
        return TYPE_LABELS[self.lang].get(item_type, item_type)


# --- periods -----------------------------------------------------------------------------------


def parse_time_of_day(value: Any) -> time:
    """'07:00' -> time(7, 0); YAML may also give 420 (sexagesimal 7:00) for an unquoted 7:00."""
    if isinstance(value, int) and not isinstance(value, bool):
        return time(value // 60 % 24, value % 60)
    match = re.match(r"^\s*(\d{1,2})[:h](\d{2})\s*$", str(value))
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise VeilleError(f"settings.digest.time {value!r} must be a time such as 07:00")
    return time(int(match.group(1)), int(match.group(2)))


def period_for_date(day: date, tz: str, at: time) -> Period:
    """The digest of `day`: the 24 hours that end on that day at the digest time (07:00 by
    default), so that `veille digest --date D` reproduces what the service wrote and mailed on D."""
    zone = ZoneInfo(tz)
    end = datetime.combine(day, at, tzinfo=zone)
    start = datetime.combine(day - timedelta(days=1), at, tzinfo=zone)
    return Period(start.astimezone(UTC), end.astimezone(UTC), day.isoformat(), tz)


def parse_since(value: str) -> timedelta:
    match = _SINCE.match(value)
    if not match:
        raise UsageProblem(f"--since {value!r}: write a duration such as 90m, 24h or 7d")
    unit = match.group(2).lower()
    minutes = {"m": 1, "min": 1, "h": 60, "d": 1440}[unit]
    return timedelta(minutes=int(match.group(1)) * minutes)


def period_since(delta: timedelta, now: datetime, tz: str) -> Period:
    # Stored times have whole seconds: the end is the next whole second, so that an item stored
    # during the current second is included.
    now = now.astimezone(UTC).replace(microsecond=0) + timedelta(seconds=1)
    hours = int(delta.total_seconds() // 3600)
    label = f"since-{hours}h" if delta.total_seconds() % 3600 == 0 else f"since-{int(delta.total_seconds() // 60)}m"
    return Period(now - delta, now, label, tz)


# --- reading the database ------------------------------------------------------------------------


def _clean(text: Any, limit: int = MAX_TITLE) -> str:
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


def _parse_ts(value: str | None) -> datetime:
    if not value:
        return datetime(1970, 1, 1, tzinfo=UTC)
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _chunks(values: Sequence[str], size: int = 500) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {r[1] for r in conn.execute(f"pragma table_info([{table}])")}


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


def _table_names(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}


def read_entries(conn: sqlite3.Connection, period: Period) -> list[Entry]:
    """The stories with at least one item first stored in `period`, one Entry each."""
    item_cols = _columns(conn, "items")
    has_story = "story_id" in item_cols
    story_expr = "coalesce(story_id, id)" if has_story else "id"
    keys = sorted(
        {
            r[0]
            for r in conn.execute(
                f"select distinct {story_expr} from items where fetched_at >= ? and fetched_at < ?",
                [utc_iso(period.start), utc_iso(period.end)],
            )
        }
    )
    if not keys:
        return []
    type_expr = "item_type" if "item_type" in item_cols else "'news'"
    select = (
        f"select id, {story_expr} as story_key, source_id, url, title, published_at, fetched_at, "
        f"{type_expr} as item_type from items"
    )
    items: dict[str, dict] = {}
    for chunk in _chunks(keys):
        marks = ",".join("?" * len(chunk))
        where = f"story_id in ({marks}) or (story_id is null and id in ({marks}))" if has_story else f"id in ({marks})"
        for r in conn.execute(f"{select} where {where}", [*chunk, *chunk] if has_story else list(chunk)):
            items[r[0]] = dict(zip(("id", "story", "source_id", "url", "title", "published_at", "fetched_at", "item_type"), r, strict=True))
    ids = sorted(items)
    sources = {
        r[0]: SourceRef(r[0], _clean(r[1] or r[0], 200), r[2] or "press")
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
        for chunk in _chunks(keys):
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
        also = tuple(sorted((source(s) for s in others), key=lambda s: (TIER_RANK.get(s.tier, 99), s.name.lower(), s.id)))
        types = [m["item_type"] for m in members if m["item_type"] in ITEM_TYPES]
        item_type = min(types, key=ITEM_TYPES.index) if types else "news"
        specialties = tuple(s for s, _ in sorted(scores.get(key, {}).items(), key=lambda kv: (-kv[1], kv[0])))
        entries.append(
            Entry(
                story_id=key,
                title=_clean(rep["title"]) or "(sans titre)",
                url=safe_url(rep["url"]),
                source=main,
                published_at=_parse_ts(rep["published_at"]),
                specialties=specialties,
                item_type=item_type,
                also=also,
                updated_at=max(_parse_ts(m["fetched_at"]) for m in members),
            )
        )
    return entries


# --- deciding (pure) -----------------------------------------------------------------------------


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
) -> Digest:
    """Filter, group by specialty and order: a pure function of the entries."""
    chosen = []
    for e in entries:
        if specialties and not set(e.specialties) & set(specialties):
            continue
        if types and e.item_type not in types:
            continue
        if specialties:  # the group is the strongest of the asked specialties, the others stay listed
            first = next(s for s in e.specialties if s in specialties)
            e = replace(e, specialties=(first, *[s for s in e.specialties if s != first]))
        chosen.append(e)
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


def build_digest(
    db_path: str,
    period: Period,
    *,
    lang: str = "fr",
    specialties: Sequence[str] = (),
    types: Sequence[str] = (),
    base_url: str = DEFAULT_BASE_URL,
) -> Digest:
    """Read the database (read-only) and arrange the digest of `period`."""
    if not os.path.exists(db_path):
        raise VeilleError(f"{db_path}: no database yet; run `veille collect` first")
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        conn.execute("pragma busy_timeout = 10000")
        entries = read_entries(conn, period)
        labels = load_labels(conn)
    except sqlite3.DatabaseError as e:
        raise VeilleError(f"{db_path}: cannot read the database ({e})") from e
    finally:
        conn.close()
    return arrange(entries, period, lang=lang, specialties=specialties, types=types, labels=labels, base_url=base_url)


# --- files ---------------------------------------------------------------------------------------


def write_atomic(path: str | Path, text: str) -> None:
    """Write through a temporary file in the same directory, then rename: readers never see a
    half-written digest."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def digest_settings(settings: Any) -> dict[str, Any]:
    """settings.digest with defaults, validated."""
    raw = settings.section("digest") if settings is not None else {}
    formats = raw.get("formats", list(FORMATS))
    if isinstance(formats, str):
        formats = [formats]
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise VeilleError(f"settings.digest.formats: unknown {', '.join(map(str, bad))} (one of: {', '.join(FORMATS)})")
    lang = raw.get("lang", "fr")
    if lang not in LANGS:
        raise VeilleError(f"settings.digest.lang {lang!r} must be fr or en")
    mail_to = raw.get("mail_to") or []
    if isinstance(mail_to, str):
        mail_to = [mail_to]
    from veille.mail import address_problem

    for address in mail_to:
        problem = address_problem(address)
        if problem:
            raise VeilleError(f"settings.digest.mail_to: {problem}")
    return {
        "time": parse_time_of_day(raw.get("time", DEFAULT_TIME)),
        "dir": str(raw.get("dir", DEFAULT_DIR)),
        "formats": tuple(formats),
        "lang": lang,
        "mail_to": tuple(str(a) for a in mail_to),
        "base_url": str(raw.get("base_url", DEFAULT_BASE_URL)),
        "specialties": tuple(raw.get("specialties") or ()),
        "types": tuple(raw.get("types") or ()),
    }


def write_digest_files(digest: Digest, directory: str | Path, formats: Sequence[str]) -> list[Path]:
    from veille.render import render

    """`<dir>/<label>.<ext>` for each format, plus `latest.atom` so a feed reader can follow."""
    directory = Path(directory)
    written = []
    base = digest.base_url if digest.base_url.endswith("/") else digest.base_url + "/"
    for fmt in formats:
        path = directory / f"{digest.period.label}.{fmt}"
        write_atomic(path, render(digest, fmt, self_url=f"{base}{path.name}" if fmt == "atom" else None))
        written.append(path)
    if "atom" in formats:
        latest = directory / "latest.atom"
        write_atomic(latest, render(digest, "atom", self_url=f"{base}latest.atom"))
    return written


def mail_subject(digest: Digest) -> str:
    from veille.render import _heading

    t = TEXT[digest.lang]
    n = len(digest.entries)
    alerts = f", {len(digest.alerts)} ⚠" if digest.alerts else ""
    return f"{_heading(digest)} ({n} {t['story'] if n == 1 else t['stories']}{alerts})"


# --- CLI -----------------------------------------------------------------------------------------


def check_choices(specialties: Sequence[str], types: Sequence[str]) -> None:
    bad = [s for s in specialties if s not in SPECIALTIES]
    if bad:
        raise UsageProblem(f"unknown specialty {', '.join(map(repr, bad))}; valid: {', '.join(SPECIALTIES)}")
    bad = [k for k in types if k not in ITEM_TYPES]
    if bad:
        raise UsageProblem(f"unknown type {', '.join(map(repr, bad))}; valid: {', '.join(ITEM_TYPES)}")


@click.command(context_settings=CONTEXT)
@click.option("--date", "day", metavar="YYYY-MM-DD", help="The digest of that day: the 24 h ending at settings.digest.time (07:00).")
@click.option("--since", metavar="DURATION", help="The last 90m, 24h, 7d... (default: 24h).")
@click.option("--specialty", "specialties", multiple=True, metavar="SLUG", help="Only stories of this specialty (repeatable).")
@click.option("--type", "types", multiple=True, metavar="TYPE", help="Only stories of this type: recall, shortage, ... (repeatable).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="md", show_default=True, help="Output format.")
@click.option("--out", type=click.Path(dir_okay=False), help="Write to this file (atomically) instead of stdout.")
@click.option("--lang", type=click.Choice(LANGS), help="Labels in French (default) or English.")
@click.option("--mail-to", "mail_to", multiple=True, metavar="ADDR", help="Also send it by e-mail (settings.smtp), text + HTML.")
@pass_env
@user_errors
def digest_command(
    env: Env, day: str | None, since: str | None, specialties: tuple[str, ...], types: tuple[str, ...],
    fmt: str, out: str | None, lang: str | None, mail_to: tuple[str, ...],
) -> None:
    """Write the digest of a day or of the last hours: one entry per story, grouped by specialty.

    \b
    Example:
        veille digest --since 24h
        veille digest --date 2026-11-27 --specialty cardiologie --format html --out digest.html
        veille digest --type recall --type shortage --mail-to moi@example.org
    """
    check_choices(specialties, types)
    from veille.mail import address_problem

    for address in mail_to:
        problem = address_problem(address)
        if problem:
            raise UsageProblem(f"--mail-to: {problem}")
    if day and since:
        raise UsageProblem("--date and --since cannot be used together; choose one")
    settings = env.config().settings if os.path.exists(env.config_path) else None
    tz = settings.timezone if settings is not None else "Europe/Paris"
    options = digest_settings(settings)
    if day:
        try:
            when = date.fromisoformat(day)
        except ValueError:
            raise UsageProblem(f"--date {day!r}: write the date as YYYY-MM-DD") from None
        period = period_for_date(when, tz, options["time"])
    else:
        period = period_since(parse_since(since or "24h"), datetime.now(UTC), tz)
    digest = build_digest(
        env.db_path, period, lang=lang or options["lang"], specialties=specialties, types=types,
        base_url=options["base_url"],
    )
    from veille.render import render

    text = render(digest, fmt)
    if out:
        try:
            write_atomic(out, text)
        except OSError as e:
            raise click.ClickException(
                f"could not write {out}: {e.strerror or e} (nothing was written; a full disk?)"
            ) from None
        click.echo(f"wrote {out} ({len(digest.entries)} stories)", err=True)
    else:
        click.echo(text, nl=False)
    if mail_to:
        from veille.mail import send_digest

        send_digest(settings, digest, list(mail_to))
        click.echo(f"sent to {', '.join(mail_to)}", err=True)
