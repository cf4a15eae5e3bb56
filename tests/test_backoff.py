import random
from datetime import UTC, datetime, timedelta

import pytest

from veille.backoff import format_every, next_fetch, parse_every, parse_retry_after
from veille.errors import ConfigError

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("text, seconds", [("30m", 1800), ("2h", 7200), ("1d", 86400), (3600, 3600), ("90 min", 5400)])
def test_parse_every(text, seconds):
    assert parse_every(text) == seconds
    assert parse_every(format_every(seconds)) == seconds


@pytest.mark.parametrize("text", ["", "soon", "10s", "-1h", True])
def test_parse_every_rejects(text):
    with pytest.raises(ConfigError):
        parse_every(text)


def test_success_waits_one_interval():
    assert next_fetch(NOW, 3600) == NOW + timedelta(hours=1)


def test_backoff_grows_with_jitter_and_is_capped():
    rng = random.Random(1)
    delays = [(next_fetch(NOW, 1800, error_count=n, rng=rng) - NOW).total_seconds() for n in range(1, 12)]
    assert delays[0] == pytest.approx(1800, rel=0.25)
    assert delays[2] > delays[0] * 2
    assert max(delays) <= 26 * 3600
    assert delays[-1] >= 0.75 * 24 * 3600


def test_jitter_spreads_sources():
    values = {next_fetch(NOW, 3600, error_count=3, rng=random.Random(seed)) for seed in range(10)}
    assert len(values) == 10


def test_retry_after_wins_when_longer_and_is_capped():
    assert next_fetch(NOW, 600, retry_after=7200) == NOW + timedelta(hours=2)
    assert next_fetch(NOW, 600, retry_after=10**9) == NOW + timedelta(hours=24)


def test_parse_retry_after():
    assert parse_retry_after("120", NOW) == 120
    assert parse_retry_after("Sat, 28 Nov 2026 13:00:00 GMT", NOW) == 3600
    assert parse_retry_after("garbage", NOW) is None
    assert parse_retry_after(None, NOW) is None


@pytest.mark.parametrize(
    "value, seconds",
    [
        ("90000000000000", 86400),  # overflowed timedelta before the cap (issue 9)
        ("9" * 20, 86400),
        ("9" * 5000, 86400),  # more digits than Python converts
        ("Fri, 31 Dec 9999 23:59:59 GMT", 86400),
        ("Mon, 01 Jan 0001 00:00:00 GMT", 0),
        ("²", None),  # str.isdigit() says yes; not delta-seconds
        ("١٢٠", None),
    ],
)
def test_parse_retry_after_caps_what_the_server_says(value, seconds):
    assert parse_retry_after(value, NOW) == seconds


def test_next_fetch_never_overflows():
    assert next_fetch(NOW, 600, retry_after=1e300) == NOW + timedelta(hours=24)
    assert next_fetch(NOW, 600, retry_after=float("nan")) == NOW + timedelta(minutes=10)
    assert next_fetch(NOW, 10**15) == NOW + timedelta(days=31)


@pytest.mark.parametrize("text", ["3000000d", "32d", 10**12, "9" * 5000])
def test_parse_every_refuses_what_would_overflow(text):
    with pytest.raises(ConfigError, match="too long|invalid interval"):
        parse_every(text)
