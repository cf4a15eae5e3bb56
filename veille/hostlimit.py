"""How many requests one host gets at once: an adaptive, polite limit (pure decision + a gate).

Many sources share a host (every YouTube channel, every Bluesky account through the AppView,
PubMed's E-utilities, several feeds of one agency). With a fixed 2 requests in flight per host and
50 ms per answer, 300 conditional requests to one host cannot take less than 7.5 s, while the
same pass over 30 hosts takes about 1 s.

The policy, additive increase and multiplicative decrease as in TCP's congestion control (and
Scrapy's AutoThrottle in spirit):

- a host starts at ``settings.per_host`` requests in flight (2);
- every answer that comes back well and fast (under ``SLOW_S``) adds one, up to
  ``settings.per_host_max`` (24): a host that answers 304s in 50 ms has room to spare, and 24
  is what it takes for an unchanged pass over 300 feeds of one host (YouTube channels, Bluesky
  accounts through the AppView) to keep pace with reader's 20 workers (bench/bench_collect.py:
  16 left it at 1.32x reader's time, 24 at 0.97-1.06x); a host only gets there while every
  answer is fast and good, and any strain halves it;
- a slow answer takes one back (never below the start), and any sign of strain halves it at
  once (down to 1): 429 or 503 (which also set Retry-After for the source), any 5xx, a timeout
  or a refused or reset connection.

Per-request rate limits that a host announces (PubMed: 3/s, 10 with a key) are kept by the kinds
themselves, on top of this limit.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

SLOW_S = 2.0  # an answer slower than this says the host is busy


@dataclass(frozen=True)
class HostPolicy:
    start: int = 2
    cap: int = 24
    slow_s: float = SLOW_S

    def __post_init__(self) -> None:
        if self.start < 1 or self.cap < self.start:
            raise ValueError("need 1 <= start <= cap")


@dataclass(frozen=True)
class Answer:
    """What the limit learns from one request: its HTTP status (None when none came) and
    whether the network failed (timeout, refused or reset connection), and how long it took."""

    status: int | None
    network_error: bool
    seconds: float


def next_limit(limit: int, answer: Answer, policy: HostPolicy) -> int:
    """The host's limit after ``answer`` (pure)."""
    strained = answer.network_error or (answer.status is not None and (answer.status == 429 or answer.status >= 500))
    if strained:
        return max(1, limit // 2)
    if answer.status is None:
        return limit  # refused by us (a blocked address, an invalid URL): says nothing of the host
    if answer.seconds > policy.slow_s:
        return max(min(limit, policy.start), limit - 1)
    return min(policy.cap, limit + 1)


class HostGate:
    """An asyncio gate whose capacity follows ``next_limit``. Not thread-safe (one event loop)."""

    def __init__(self, policy: HostPolicy):
        self.policy = policy
        self.limit = policy.start
        self.in_flight = 0
        self.peak = 0
        self._changed = asyncio.Condition()

    async def __aenter__(self) -> HostGate:
        async with self._changed:
            await self._changed.wait_for(lambda: self.in_flight < self.limit)
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        return self

    async def __aexit__(self, *exc: object) -> None:
        async with self._changed:
            self.in_flight -= 1
            # Wake only as many waiters as may enter (all of them would be O(n²) on one host).
            self._changed.notify(max(0, self.limit - self.in_flight))

    def learn(self, answer: Answer) -> None:
        """Adjust the limit; waiters are woken on release (a higher limit lets more in then)."""
        self.limit = next_limit(self.limit, answer, self.policy)
