"""When to fetch a source next: pure decisions, tested without a network."""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta

from veille.errors import ConfigError

MAX_BACKOFF = timedelta(hours=24)
MAX_RETRY_AFTER = timedelta(hours=24)
_EVERY = re.compile(r"^\s*(\d+)\s*(s|m|min|h|d)?\s*$", re.IGNORECASE)
_UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}


def parse_every(value: str | int) -> int:
    """'30m', '2h', '1d' (or a number of seconds) -> seconds. At least one minute."""
    if isinstance(value, bool):
        raise ConfigError(f"invalid interval {value!r}")
    if isinstance(value, int):
        seconds = value
    else:
        match = _EVERY.match(str(value))
        if not match:
            raise ConfigError(f"invalid interval {value!r}: write it like 30m, 2h or 1d")
        seconds = int(match.group(1)) * _UNITS[(match.group(2) or "s").lower()]
    if seconds < 60:
        raise ConfigError(f"interval {value!r} is too short: the minimum is 1m")
    return seconds


def format_every(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def next_fetch(
    now: datetime,
    every: int,
    *,
    error_count: int = 0,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> datetime:
    """The next time a source may be fetched.

    Success: ``every`` later. Failure number n: exponential backoff from ``every`` (capped near a
    day) with ±25 % jitter so that failing sources do not retry together. A server's
    ``Retry-After`` wins when it asks for longer (capped at a day)."""
    rng = rng or random.Random()
    if error_count <= 0:
        delay = timedelta(seconds=every)
    else:
        base = min(every * (2 ** min(error_count - 1, 16)), MAX_BACKOFF.total_seconds())
        base = max(base, 60)
        delay = timedelta(seconds=base * rng.uniform(0.75, 1.25))
        delay = min(delay, MAX_BACKOFF + timedelta(hours=2))
    if retry_after is not None and retry_after > 0:
        delay = max(delay, min(timedelta(seconds=retry_after), MAX_RETRY_AFTER))
    return now + delay


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())
