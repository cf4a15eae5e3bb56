"""`veille digest`: the stories of a day or of the last hours, written as files and mailed.

The layers, top to bottom, none importing a layer above it:

- this module: the command, the settings (``settings.digest``), writing the files;
- :mod:`veille.mail` (SMTP) and :mod:`veille.render` (Markdown, HTML, JSON, Atom text);
- :mod:`veille.arrange` (which stories are news, order, groups, the alert box; pure), fed by
  :mod:`veille.news` (reads the database). La une (the Datasette home page) uses the same two.

What "news of the period" means: an item *published* in the period, or published before it and
first seen in it (a late arrival), unless it was first seen more than ``archive_days`` (default
3) after its publication: then it is archive (a first collect of an old blog). See
:func:`veille.arrange.is_news`. A story is in the digest when one of its items is news.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from veille.arrange import (  # noqa: F401 - re-exported: the digest's public names
    ALERT_TYPES,
    DEFAULT_ARCHIVE_DAYS,
    DEFAULT_BASE_URL,
    TEXT,
    Digest,
    Entry,
    Period,
    SourceRef,
    arrange,
)
from veille.cli import CONTEXT, Env, UsageProblem, pass_env, user_errors
from veille.errors import VeilleError
from veille.mail import send_digest
from veille.models import ITEM_TYPES, SPECIALTIES
from veille.news import load_labels, read_entries, safe_url  # noqa: F401 - safe_url re-exported
from veille.render import FORMATS, render

LANGS = ("fr", "en")
DEFAULT_TIME = "07:00"
DEFAULT_DIR = "digests"
_SINCE = re.compile(r"^\s*(\d+)\s*(m|min|h|d)\s*$", re.IGNORECASE)


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


# --- reading and arranging ---------------------------------------------------------------------


def build_digest(
    db_path: str,
    period: Period,
    *,
    lang: str = "fr",
    specialties: Sequence[str] = (),
    types: Sequence[str] = (),
    base_url: str = DEFAULT_BASE_URL,
    archive_days: float = DEFAULT_ARCHIVE_DAYS,
    keep: Sequence[Callable[[Entry], bool]] = (),
    settings: Any = None,
) -> Digest:
    """Read the database (read-only) and arrange the digest of `period`. With ``settings``
    (feeds.yaml's), muted items are left out and the day's specialty spikes are listed."""
    if not os.path.exists(db_path):
        raise VeilleError(f"{db_path}: no database yet; run `veille collect` first")
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        conn.execute("pragma busy_timeout = 10000")
        entries = read_entries(conn, period, archive_days)
        labels = load_labels(conn)
        spikes = _spikes(conn, settings, period, labels) if settings is not None else ()
    except sqlite3.DatabaseError as e:
        raise VeilleError(f"{db_path}: cannot read the database ({e})") from e
    finally:
        conn.close()
    if settings is not None:
        keep = (*keep, *_mute_keep(settings))
    digest = arrange(
        entries, period, lang=lang, specialties=specialties, types=types, labels=labels, base_url=base_url, keep=keep,
    )
    return replace(digest, spikes=spikes)


def _mute_keep(settings: Any) -> tuple[Callable[[Entry], bool], ...]:
    """settings.mute as a `keep` predicate of arrange(): muted entries leave every count."""
    from veille.mute import keep_entry, rules_from_settings

    rules = rules_from_settings(settings)
    return (keep_entry(rules),) if rules else ()


def _spikes(conn: sqlite3.Connection, settings: Any, period: Period, labels: dict[str, tuple[str, str]]) -> tuple[str, ...]:
    """The specialty spikes of the period's last day (see veille.spikes), in French."""
    from veille.spike_counts import specialty_spikes, spike_lines

    found = specialty_spikes(conn, settings, period.end - timedelta(seconds=1))
    return tuple(spike_lines(found, {slug: fr for slug, (fr, _) in labels.items()}))


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
    archive_days = raw.get("archive_days", DEFAULT_ARCHIVE_DAYS)
    if isinstance(archive_days, bool) or not isinstance(archive_days, int | float) or archive_days < 0:
        raise VeilleError(f"settings.digest.archive_days {archive_days!r} must be a number of days (default 3)")
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
        "archive_days": archive_days,
    }


def write_digest_files(digest: Digest, directory: str | Path, formats: Sequence[str]) -> list[Path]:
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
        base_url=options["base_url"], archive_days=options["archive_days"], settings=settings,
    )
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
        send_digest(settings, digest, list(mail_to))
        click.echo(f"sent to {', '.join(mail_to)}", err=True)
