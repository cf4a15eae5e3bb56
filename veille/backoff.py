"""When to fetch a source next: pure decisions, tested without a network."""

from __future__ import annotations

import math
import random
import re
from datetime import datetime, timedelta

from veille.errors import ConfigError

MAX_BACKOFF = timedelta(hours=24)
MAX_RETRY_AFTER = timedelta(hours=24)
MAX_EVERY = 31 * 86400  # a month: beyond, a date computed from it soon leaves the calendar
# Twelve digits at most: Python refuses to convert more than 4,300, and no interval needs 13.
_EVERY = re.compile(r"^\s*(\d{1,12})\s*(s|m|min|h|d)?\s*$", re.IGNORECASE)
_SECONDS = re.compile(r"^[0-9]{1,32}$")
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
    if seconds > MAX_EVERY:
        raise ConfigError(f"interval {value!r} is too long: the maximum is 31d")
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
    every = min(max(int(every), 60), MAX_EVERY)  # the callers validated it; dates must never overflow
    if error_count <= 0:
        delay = timedelta(seconds=every)
    else:
        base = min(every * (2 ** min(error_count - 1, 16)), MAX_BACKOFF.total_seconds())
        base = max(base, 60)
        delay = timedelta(seconds=base * rng.uniform(0.75, 1.25))
        delay = min(delay, MAX_BACKOFF + timedelta(hours=2))
    if retry_after is not None and math.isfinite(retry_after) and retry_after > 0:
        capped = min(retry_after, MAX_RETRY_AFTER.total_seconds())  # before timedelta overflows
        delay = max(delay, timedelta(seconds=capped))
    return now + delay


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), capped at
    MAX_RETRY_AFTER: the value is the server's to choose (``90000000000000``, 20 digits)."""
    if not value:
        return None
    value = value.strip()
    cap = MAX_RETRY_AFTER.total_seconds()
    if value.isdigit():  # also true for "²" or Arabic-Indic digits: those are not delta-seconds
        return min(float(value), cap) if _SECONDS.match(value) else cap if value.isascii() else None
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    if when is None or when.tzinfo is None:
        return None
    try:
        return min(cap, max(0.0, (when - now).total_seconds()))
    except (OverflowError, TypeError):
        return None
