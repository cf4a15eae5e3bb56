"""The collect's writer: waiting writes commit together, each source still all or nothing."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from concurrent.futures import Future
from datetime import UTC, datetime

import pytest

from tests.helpers import rows
from veille.models import Source
from veille.normalise import utc_iso
from veille.store import Store
from veille.store_write import SourceWrite, WriteOutcome
from veille.writer import Writer, _Call, _Write, group

NOW = datetime(2026, 11, 27, 8, 30, tzinfo=UTC)
SOURCES = [Source(id=f"s{i}", name=f"Source {i}", url=f"https://example.org/{i}.xml") for i in range(6)]


def request(source: Source, items: int = 0, **update: object) -> SourceWrite:
    fetch = {"source_id": source.id, "started_at": utc_iso(NOW), "duration_ms": 5, "http_status": 304,
             "error": None, "outcome": "not_modified"}
    return SourceWrite(source, items=[object()] * items or None, fetch_row=fetch,  # type: ignore[list-item]
                       source_update={"last_status": 304, **update}, now=NOW)


def test_group_takes_the_writes_up_to_the_next_other_job_within_the_limits():
    first = _Write(request(SOURCES[0]), Future())
    writes = [_Write(request(s), Future()) for s in SOURCES[1:]]
    call = _Call(lambda: None, Future())
    assert group(first, [*writes[:2], call, *writes[2:]]) == 2
    assert group(first, [*writes, None]) == 5
    assert group(first, writes, max_sources=3) == 2  # the first one counts
    big = [_Write(request(s, items=400), Future()) for s in SOURCES[1:]]
    assert group(_Write(request(SOURCES[0], items=400), Future()), big, max_items=1000) == 1
    assert group(first, []) == 0


@pytest.fixture
def store(tmp_path):
    store = Store(str(tmp_path / "veille.db"))
    store.sync_sources(SOURCES)
    yield store
    store.close()


def test_one_failing_source_in_a_group_is_rolled_back_alone(store):
    bad = request(SOURCES[1], no_such_column=1)  # fails inside SQLite, in its savepoint
    outcomes = store.write_sources([request(SOURCES[0]), bad, request(SOURCES[2])])
    assert outcomes[0] == outcomes[2] == WriteOutcome((), (), 0)
    assert isinstance(outcomes[1], sqlite3.OperationalError)
    assert rows(store.path, "select source_id, outcome from fetches order by source_id") == [
        {"source_id": "s0", "outcome": "not_modified"}, {"source_id": "s2", "outcome": "not_modified"},
    ]
    assert rows(store.path, "select id, last_status from sources where id in ('s0', 's1', 's2') order by id") == [
        {"id": "s0", "last_status": 304}, {"id": "s1", "last_status": None}, {"id": "s2", "last_status": 304},
    ]
    assert store.integrity() == "ok"


def test_writes_that_wait_are_committed_together_in_order(store):
    writer = Writer(store)
    gate = threading.Event()
    blocked = writer.call(gate.wait)  # the writer is busy: the next writes queue up
    futures = [writer.write(request(s)) for s in SOURCES[:5]]
    after = writer.call(store.db.execute, "select count(*) from fetches")
    gate.set()
    assert blocked.result(timeout=10) is True
    assert [f.result(timeout=10) for f in futures] == [WriteOutcome((), (), 0)] * 5
    assert after.result(timeout=10).fetchone()[0] == 5  # ran after the group, as asked
    writer.close()
    assert writer.groups == [5]


def test_a_failing_write_reaches_its_caller_and_the_others_commit(store):
    writer = Writer(store)
    gate = threading.Event()
    writer.call(gate.wait)
    good = writer.write(request(SOURCES[0]))
    bad = writer.write(request(SOURCES[1], no_such_column=1))
    gate.set()
    assert good.result(timeout=10) == WriteOutcome((), (), 0)
    with pytest.raises(sqlite3.OperationalError):
        bad.result(timeout=10)
    writer.close()
    assert writer.groups == [2]
    assert rows(store.path, "select source_id from fetches") == [{"source_id": "s0"}]


def test_a_cancelled_write_that_has_not_started_is_never_run(store):
    writer = Writer(store)
    gate = threading.Event()
    writer.call(gate.wait)
    cancelled = writer.write(request(SOURCES[0]))
    kept = writer.write(request(SOURCES[1]))
    assert cancelled.cancel()
    gate.set()
    assert kept.result(timeout=10) == WriteOutcome((), (), 0)
    writer.close()
    assert rows(store.path, "select source_id from fetches") == [{"source_id": "s1"}]


LAZY = ("veille.dedup", "veille.stories", "veille.tag", "ahocorasick", "ruamel", "trafilatura")
SHOW_MODULES = (
    "import atexit, sys\n"
    "atexit.register(lambda: print('MODULES', sorted({m.split('.')[0] if not m.startswith('veille.') else "
    "'.'.join(m.split('.')[:2]) for m in sys.modules})))\n"
    "from veille.cli import main\n"
    "sys.argv = ['veille', *sys.argv[1:]]\n"
    "main()\n"
)


def test_an_unchanged_collect_loads_no_dedup_tagging_or_yaml_editing(server, write_config, tmp_path):
    """A pass where every feed answers 304 is start-up plus requests: what only a new item needs
    (dedup, the tagger, trafilatura) or only an edit needs (ruamel.yaml) is never imported."""
    item = "<item><title>Rappel de lots</title><link>https://example.org/{n}</link><guid>g{n}</guid></item>"
    config = write_config([
        {"id": f"f{n}", "url": server.add(f"/f{n}.xml", f"<rss version='2.0'><channel><title>F</title>{item.format(n=n)}</channel></rss>")}
        for n in range(9)  # enough sources for the worker processes
    ])
    db = tmp_path / "veille.db"
    run = [sys.executable, "-c", SHOW_MODULES, "--config", str(config), "--db", str(db), "collect"]
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    first = subprocess.run(run, capture_output=True, text=True, timeout=120, env=env)
    assert "9 new items" in first.stdout, first.stdout + first.stderr
    second = subprocess.run(run, capture_output=True, text=True, timeout=120, env=env)
    assert "9 sources: 0 new items, 9 unchanged, 0 errors" in second.stdout, second.stdout + second.stderr
    loaded = second.stdout.split("MODULES", 1)[1]
    assert "veille.pipeline" in loaded and "httpx" in loaded  # the listing is real
    assert [m for m in LAZY if f"'{m}" in loaded] == []
