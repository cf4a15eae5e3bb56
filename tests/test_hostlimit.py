"""The adaptive per-host limit: the pure decision, then real requests to one host on 127.0.0.1."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from veille.fetch import Fetcher
from veille.hostlimit import Answer, HostGate, HostPolicy, next_limit
from veille.models import Settings, Source, SourceState

POLICY = HostPolicy(start=2, cap=16, slow_s=2.0)


def ok(seconds: float = 0.05, status: int = 304) -> Answer:
    return Answer(status=status, network_error=False, seconds=seconds)


def test_grows_by_one_per_fast_answer_up_to_the_cap():
    limit = 2
    seen = []
    for _ in range(20):
        limit = next_limit(limit, ok(), POLICY)
        seen.append(limit)
    assert seen[:3] == [3, 4, 5] and seen[-1] == 16 and max(seen) == 16
    assert next_limit(5, ok(status=200), POLICY) == 6
    assert next_limit(5, ok(status=404), POLICY) == 6  # an answer, and a fast one


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_halves_on_strain(status):
    assert next_limit(16, ok(status=status), POLICY) == 8
    assert next_limit(3, ok(status=status), POLICY) == 1
    assert next_limit(1, ok(status=status), POLICY) == 1


def test_network_errors_halve_and_slow_answers_step_back():
    assert next_limit(12, Answer(None, True, 10.0), POLICY) == 6
    assert next_limit(12, ok(seconds=2.5), POLICY) == 11
    assert next_limit(2, ok(seconds=2.5), POLICY) == 2  # never below the start for slowness
    assert next_limit(1, ok(seconds=2.5), POLICY) == 1  # ... nor back up to it
    # Refused by us before any request (a blocked address): the host taught us nothing.
    assert next_limit(7, Answer(None, False, 0.0), POLICY) == 7


def test_policy_is_checked():
    with pytest.raises(ValueError):
        HostPolicy(start=0)
    with pytest.raises(ValueError):
        HostPolicy(start=4, cap=2)


def test_gate_never_admits_more_than_the_limit():
    async def run() -> int:
        gate = HostGate(HostPolicy(start=3, cap=3))
        inside = peak = 0

        async def one() -> None:
            nonlocal inside, peak
            async with gate:
                inside += 1
                peak = max(peak, inside)
                await asyncio.sleep(0.001)
                inside -= 1

        await asyncio.gather(*(one() for _ in range(50)))
        return peak

    assert asyncio.run(run()) == 3


class _Counting:
    """A route handler that answers after ``delay`` and records how many requests overlapped."""

    def __init__(self, status: int, delay: float = 0.05):
        self.status, self.delay = status, delay
        self.lock = threading.Lock()
        self.inside = self.peak = self.count = 0

    def __call__(self, handler) -> None:
        with self.lock:
            self.inside += 1
            self.count += 1
            self.peak = max(self.peak, self.inside)
        try:
            time.sleep(self.delay)
        finally:
            # Counted out before answering: once the answer is sent, the client may start its
            # next request before this thread gets to run again.
            with self.lock:
                self.inside -= 1
        handler.send_response(self.status)
        handler.send_header("Content-Length", "0")
        handler.send_header("ETag", '"v1"')
        handler.end_headers()


def _fetch_all(urls: list[str], settings: Settings) -> tuple[list, dict]:
    async def go():
        async with Fetcher(settings, is_public=lambda a: a == "127.0.0.1") as fetcher:
            sources = [Source(id=f"s{i}", name="s", url=u) for i, u in enumerate(urls)]
            results = await asyncio.gather(
                *(fetcher.fetch(s, SourceState(id=s.id, etag='"v1"')) for s in sources)
            )
            return results, fetcher.host_limits()

    return asyncio.run(go())


def test_one_host_answering_304_fast_gets_more_requests_in_flight(server):
    handler = _Counting(304)
    urls = [server.add(f"/feed-{i}.xml", handler=handler) for i in range(80)]
    results, limits = _fetch_all(urls, Settings())
    assert all(r.status == 304 and r.error is None for r in results)
    assert handler.count == 80
    cap = Settings().per_host_max
    assert 2 < handler.peak <= cap
    assert handler.peak <= limits["127.0.0.1"][1] <= cap  # the server never saw more than admitted


def test_a_host_answering_503_stays_at_few_requests(server):
    handler = _Counting(503)
    urls = [server.add(f"/busy-{i}.xml", handler=handler) for i in range(30)]
    results, limits = _fetch_all(urls, Settings())
    assert all(r.status == 503 for r in results)
    assert handler.peak <= 2
    assert limits["127.0.0.1"][0] == 1  # halved down to one request at a time


def test_per_host_max_caps_the_growth(server):
    handler = _Counting(304)
    urls = [server.add(f"/capped-{i}.xml", handler=handler) for i in range(40)]
    _fetch_all(urls, Settings(per_host=2, per_host_max=4))
    assert 2 < handler.peak <= 4
