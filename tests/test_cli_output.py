"""What the user reads after `collect` and `sources list`: each line once, plurals right, times in
the user's time zone and labelled, damaged feeds described in plain words."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.helpers import one, run_cli
from veille.cli import plural

TRUNCATED_BEFORE_FIRST_ITEM = '<?xml version="1.0"?>\n<rss version="2.0"><channel><title>Coupé</title>'
TRUNCATED_IN_FIRST_ITEM = '<?xml version="1.0"?>\n<rss version="2.0"><channel><title>Coupé</title><item><ti'
TRUNCATED_AFTER_AN_ITEM = (
    '<?xml version="1.0"?>\n<rss version="2.0"><channel><title>Coupé</title>\n'
    "<item><title>Entier</title><link>https://example.org/1</link></item>\n<item><title>Coup"
)


def test_plural():
    assert [plural(n, "source") for n in (0, 1, 2)] == ["0 sources", "1 source", "2 sources"]


def test_collect_says_each_error_once_and_counts_in_words(server, write_config, db):
    server.add("/missing.xml", "gone", status=404, headers={"Content-Type": "text/plain"})
    server.add("/ok.xml", '<?xml version="1.0"?><rss version="2.0"><channel><title>OK</title>'
               "<item><title>Un</title><link>https://example.org/un</link></item></channel></rss>")
    config = write_config([{"id": "missing", "url": server.url("/missing.xml")}])
    result = run_cli(config, db, "collect")
    lines = result.output.splitlines()
    assert [line for line in lines if "HTTP 404" in line] == [
        "[1/1] missing: ERROR HTTP 404 Not Found: the address no longer exists; check the URL or remove the source"
    ]
    assert lines[-1].startswith("1 source: 0 new items, 0 unchanged, 1 error in ")
    config = write_config([{"id": "ok", "url": server.url("/ok.xml")}, {"id": "missing", "url": server.url("/missing.xml")}])
    lines = run_cli(config, db, "collect").output.splitlines()
    assert lines[-1].startswith("2 sources: 1 new item, 0 unchanged, 1 error in ")
    assert sum("missing:" in line for line in lines) == 1
    # A 404 is not a network problem: no offline hint.
    assert "offline" not in "\n".join(lines)


def test_collect_lists_skipped_sources_once(server, write_config, db):
    server.add("/ok.xml", '<?xml version="1.0"?><rss version="2.0"><channel><title>OK</title></channel></rss>')
    config = write_config([{"id": "ok", "url": server.url("/ok.xml")}, {"id": "off", "url": server.url("/ok.xml?off"), "enabled": "false"}])
    lines = run_cli(config, db, "collect", "--source", "ok", "--source", "off").output.splitlines()
    assert lines[:2] == ["[1/1] ok: 0 new, 0 already known", "off: skipped (disabled in feeds.yaml)"]
    assert lines[2].startswith("2 sources: 0 new items, 0 unchanged, 0 errors in ")


@pytest.mark.parametrize("timezone", ["Europe/Paris", "America/New_York"])
def test_sources_list_shows_local_labelled_times(server, write_config, db, timezone):
    server.add("/ok.xml", '<?xml version="1.0"?><rss version="2.0"><channel><title>OK</title></channel></rss>')
    config = write_config([{"id": "ok", "url": server.url("/ok.xml"), "every": "2h"}], settings=f"timezone: {timezone}\n")
    run_cli(config, db, "collect")
    stored = one(db, "select last_success_at, next_fetch_at from sources where id = 'ok'")

    def local(value: str) -> str:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(ZoneInfo(timezone))
        return moment.strftime("%Y-%m-%d %H:%M ") + moment.tzname()  # type: ignore[operator]

    out = run_cli(config, db, "sources", "list").output
    expected = f"    last success {local(stored['last_success_at'])} · errors 0 · next fetch {local(stored['next_fetch_at'])}"
    assert expected in out.splitlines(), out
    assert (" CET" in expected or " CEST" in expected) if timezone == "Europe/Paris" else (" EST" in expected or " EDT" in expected)


@pytest.mark.parametrize(
    ("body", "items", "warning"),
    [
        (TRUNCATED_BEFORE_FIRST_ITEM, 0, "the feed is damaged at line 2: it ends too early, as if cut short; no item could be read"),
        (TRUNCATED_AFTER_AN_ITEM, 1, "the feed is damaged at line 4: it ends too early, as if cut short; kept the 1 item that could be read"),
    ],
)
def test_truncated_feed_gives_a_plain_warning(server, write_config, db, body, items, warning):
    config = write_config([{"id": "cut", "url": server.add("/cut.xml", body)}])
    result = run_cli(config, db, "collect")
    assert result.exit_code == 0
    assert f"cut: {items} new, 0 already known (warning: {warning})" in result.output, result.output
    assert "<unknown>" not in result.output and "not well-formed" not in result.output
    assert one(db, "select count(*) n from items")["n"] == items


def test_truncated_inside_its_only_item_is_the_sources_error(server, write_config, db):
    config = write_config([{"id": "cut", "url": server.add("/cut.xml", TRUNCATED_IN_FIRST_ITEM)}])
    result = run_cli(config, db, "collect")
    error = "the feed is damaged at line 2: it ends too early, as if cut short; no item could be read"
    assert f"cut: ERROR {error}" in result.output
    assert one(db, "select last_error from sources where id = 'cut'")["last_error"] == error
