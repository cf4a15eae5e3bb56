"""Daily counts of new stories, per specialty and per watch, for the spike rule (veille.spikes,
pure). A story counts on the local day it was first seen, if it was published at most FRESH
before: a new source's archive is no news and no spike. Days before the first collect (or before
a watch existed) are no data, never zeros."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from veille.mute import MuteRule, mute_reason, rules_from_settings
from veille.normalise import utc_iso
from veille.spikes import Spike, SpikeRule, find_spikes, spike_sentence

# A story is news of the day it was first seen only if it was published at most this long before.
FRESH = timedelta(days=3)


def _iso(moment: datetime) -> str:
    return utc_iso(moment)


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def day_start(day: date, tz: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


def first_collect_day(conn: Any, tz: ZoneInfo) -> date | None:
    row = conn.execute("select min(started_at) from fetches").fetchone()
    return _parse(row[0]).astimezone(tz).date() if row and row[0] else None


def specialty_counts(
    conn: Any, since: datetime, tz: ZoneInfo, rules: Sequence[MuteRule] = (),
) -> dict[str, dict[date, int]]:
    """New stories per specialty per local day: stories first seen that day whose representative
    was published at most FRESH before (archive brought by a new source is no news)."""
    counts: dict[str, dict[date, int]] = {}
    for first_seen, published, specialties, title, summary, source_id, item_type in conn.execute(
        "select s.first_seen_at, i.published_at, i.specialties, i.title, i.summary, i.source_id, "
        "i.item_type from stories s join items i on i.id = s.representative_item_id "
        "where s.first_seen_at >= ?",
        [_iso(since)],
    ):
        seen = _parse(first_seen)
        if published and _parse(published) < seen - FRESH:
            continue
        if rules and mute_reason(rules, title=title or "", summary=summary or "", source_id=source_id,
                                 item_type=item_type):
            continue
        day = seen.astimezone(tz).date()
        try:
            slugs = json.loads(specialties or "[]")
        except ValueError:
            slugs = []
        for slug in slugs:
            per_day = counts.setdefault(slug, {})
            per_day[day] = per_day.get(day, 0) + 1
    return counts


def hit_counts(conn: Any, names: Iterable[str], since: datetime, tz: ZoneInfo) -> dict[str, dict[date, int]]:
    counts: dict[str, dict[date, int]] = {name: {} for name in names}
    marks = ",".join("?" * len(counts))
    if not counts:
        return counts
    for name, matched_at, published in conn.execute(
        f"select h.watch, h.matched_at, i.published_at from watch_hits h left join items i on i.id = h.item_id "
        f"where h.watch in ({marks}) and h.matched_at >= ?",
        [*counts, _iso(since)],
    ):
        seen = _parse(matched_at)
        if published and _parse(published) < seen - FRESH:
            continue  # archive, not news of the day (as for specialties)
        day = seen.astimezone(tz).date()
        counts[name][day] = counts[name].get(day, 0) + 1
    return counts


def watch_spikes(conn: Any, names: Sequence[str], now: datetime, tz: ZoneInfo, rule: SpikeRule) -> list[Spike]:
    """Spikes of the watches' daily hit counts; a watch's history starts the day it was created."""
    today = now.astimezone(tz).date()
    since = day_start(today - timedelta(days=7 * rule.weeks), tz)
    created = {
        r[0]: _parse(r[1]).astimezone(tz).date()
        for r in conn.execute("select name, created_at from watches").fetchall() if r[1]
    }
    first = first_collect_day(conn, tz)
    starts = {n: max(d for d in (created.get(n), first) if d) for n in names if created.get(n) or first}
    return find_spikes(hit_counts(conn, names, since, tz), today, None, rule, first_days=starts)


def specialty_spikes(conn: Any, settings: Any, now: datetime | None = None) -> list[Spike]:
    """Today's specialty spikes (for the digest and La une)."""
    now = now or datetime.now(UTC)
    tz = ZoneInfo(getattr(settings, "timezone", "Europe/Paris"))
    rule = SpikeRule.from_settings(settings)
    today = now.astimezone(tz).date()
    since = day_start(today - timedelta(days=7 * rule.weeks), tz)
    counts = specialty_counts(conn, since, tz, rules_from_settings(settings))
    return find_spikes(counts, today, first_collect_day(conn, tz), rule)


def spike_lines(spikes: Sequence[Spike], labels: Mapping[str, str]) -> list[str]:
    return [spike_sentence(s, labels.get(s.key, s.key)) for s in spikes]
