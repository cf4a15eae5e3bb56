"""Spikes: is today's count of new stories (of a specialty, or of a watch) well above usual?

The baseline is **the same weekday over the last 8 weeks** (historical limits, the method of
the CDC's EARS and of the Farrington family, in daily form). Why not an EWMA over every day:
medical news has a strong weekly rhythm (agencies and journals publish on weekdays; Mondays and
Tuesdays are the busiest, Sundays almost empty), and a daily EWMA would flag every Monday after
a quiet weekend. Comparing a Monday with the previous Mondays removes that rhythm without a
model, and the figure is easy to explain to a reader ("d'habitude 4 le lundi").

A count is a spike when all of these hold (``SpikeRule``):
- at least ``min_history`` (4) same-weekday days of history exist: days before Veille started
  collecting (or before the watch existed) are *no data*, not zeros, so a new install, a new
  source set or a new watch never alarms ("quiet baselines never alarm");
- today >= ``min_count`` (5) stories: 1 story instead of 0 is not news;
- today >= ``min_ratio`` (2) x the mean (floored at 1);
- today > mean + ``z`` (3) x the spread, the spread being the sample standard deviation floored
  at sqrt(mean) (a Poisson count varies at least that much) and at 1. The floor keeps a
  perfectly steady baseline from alarming at +1.

Today's count is the count so far: before the day is over it is an underestimate, so the rule
errs on the side of silence. The counts themselves come from the database (``veille.alerts``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any


@dataclass(frozen=True)
class SpikeRule:
    weeks: int = 8
    min_history: int = 4
    min_count: int = 5
    min_ratio: float = 2.0
    z: float = 3.0

    @staticmethod
    def from_settings(settings: Any) -> SpikeRule:
        """``settings.spikes`` (weeks, min_history, min_count, min_ratio, z), defaults otherwise."""
        raw = settings.section("spikes") if settings is not None else {}
        values: dict[str, Any] = {}
        for key, kind in (("weeks", int), ("min_history", int), ("min_count", int),
                          ("min_ratio", float), ("z", float)):
            if key in raw:
                value = raw[key]
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                    from veille.errors import ConfigError

                    raise ConfigError(f"settings.spikes.{key} must be a positive number, not {value!r}")
                values[key] = kind(value)
        return SpikeRule(**values)


@dataclass(frozen=True)
class Spike:
    key: str  # a specialty slug, or a watch name
    day: date
    today: int
    mean: float
    threshold: float
    history: tuple[int, ...]

    @property
    def ratio(self) -> float:
        return self.today / max(self.mean, 1.0)


def history_for(counts: Mapping[date, int], day: date, first_day: date | None, weeks: int) -> tuple[int, ...]:
    """The same weekday's counts over the previous ``weeks`` weeks, most recent first, leaving
    out days before ``first_day`` (no data then: not zeros)."""
    out = []
    for k in range(1, weeks + 1):
        d = day - timedelta(days=7 * k)
        if first_day is None or d < first_day:
            break
        out.append(int(counts.get(d, 0)))
    return tuple(out)


def check(key: str, day: date, today: int, history: Sequence[int], rule: SpikeRule = SpikeRule()) -> Spike | None:
    """A Spike when ``today`` is significantly above ``history`` (see the module doc), else None."""
    if len(history) < rule.min_history or today < rule.min_count:
        return None
    mean = sum(history) / len(history)
    var = sum((x - mean) ** 2 for x in history) / (len(history) - 1) if len(history) > 1 else 0.0
    spread = max(math.sqrt(var), math.sqrt(mean), 1.0)
    above = mean + rule.z * spread
    if today < rule.min_ratio * max(mean, 1.0) or today <= above:
        return None
    threshold = max(math.floor(above) + 1, math.ceil(rule.min_ratio * max(mean, 1.0)), rule.min_count)
    return Spike(key, day, today, round(mean, 2), round(threshold, 2), tuple(history))


def find_spikes(
    counts: Mapping[str, Mapping[date, int]], day: date, first_day: date | None,
    rule: SpikeRule = SpikeRule(), first_days: Mapping[str, date] | None = None,
) -> list[Spike]:
    """Every key whose count on ``day`` spikes; ``first_days`` overrides ``first_day`` per key
    (a watch's history starts when it was created). Biggest ratio first."""
    found = []
    for key, per_day in counts.items():
        start = (first_days or {}).get(key, first_day)
        history = history_for(per_day, day, start, rule.weeks)
        spike = check(key, day, int(per_day.get(day, 0)), history, rule)
        if spike is not None:
            found.append(spike)
    return sorted(found, key=lambda s: (-s.ratio, s.key))


def spike_sentence(spike: Spike, label: str) -> str:
    """« Infectiologie : 3× plus de sujets que d'habitude (12 aujourd'hui, 4 d'habitude le lundi) »"""
    days = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
    usual = f"{spike.mean:.1f}".replace(".", ",").removesuffix(",0")
    ratio = f"{spike.ratio:.1f}".replace(".", ",").removesuffix(",0")
    return (
        f"{label} : {ratio}× plus de sujets que d'habitude "
        f"({spike.today} aujourd'hui, {usual} d'habitude le {days[spike.day.weekday()]})"
    )
