"""When the service's jobs run: a source's interval and jitter, when a source may be fetched
again, and what an edited feeds.yaml changes. Pure: data in, data out (times in real seconds,
after the time scale)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from veille.models import Config, Source

MAX_JITTER = 300.0  # seconds, before scaling


@dataclass(frozen=True)
class Timing:
    """A source's job parameters, in real seconds (after the time scale)."""

    interval: float
    jitter: float
    misfire_grace: int


def timing(source: Source, scale: float = 1.0) -> Timing:
    interval = source.every * scale
    jitter = min(source.every * 0.1, MAX_JITTER) * scale
    return Timing(interval, jitter, max(60, int(interval)))


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def due_at(row: dict | None, scale: float = 1.0) -> datetime | None:
    """When a source may be fetched again (None: now). With a time scale, the wait that
    collect() decided (interval or backoff) is shortened by the same factor."""
    if row is None:
        return None
    nxt, last = _parse(row.get("next_fetch_at")), _parse(row.get("last_fetch_at"))
    if nxt is None:
        return None
    if last is None or scale == 1.0:
        return nxt
    return last + (nxt - last) * scale


def config_changes(old: Config, new: Config) -> tuple[list[Source], list[str], list[Source]]:
    """Pure: (sources to add, ids to remove, sources whose interval changed) between two configs."""
    before = {s.id: s for s in old.sources if s.enabled}
    after = {s.id: s for s in new.sources if s.enabled}
    added = [s for sid, s in after.items() if sid not in before]
    removed = [sid for sid in before if sid not in after]
    changed = [s for sid, s in after.items() if sid in before and before[sid].every != s.every]
    return added, removed, changed
