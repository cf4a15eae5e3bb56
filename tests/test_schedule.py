"""`veille run` end to end as a real subprocess against fixture feeds on 127.0.0.1, with
VEILLE_TIME_SCALE shortening intervals; and the pure scheduling decisions."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.helpers import dated_now, rows, run_cli
from veille.config import config_from_document
from veille.config_doc import parse_document
from veille.models import Source
from veille.service_timing import config_changes, due_at, timing
from veille.store import Store

VEILLE = [sys.executable, "-m", "veille"]


class Service:
    """`veille run` in a subprocess; its log lines collected as they come."""

    def __init__(self, config: Path, db: Path, *args: str, scale: str = "0.05"):
        env = dict(os.environ, VEILLE_TIME_SCALE=scale, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [*VEILLE, "--config", str(config), "--db", str(db), "run", *args],
            cwd=config.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, predicate, timeout: float = 15.0, what: str = "") -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}; log:\n" + "\n".join(self.lines))

    def logged(self, text: str) -> int:
        return sum(text in line for line in self.lines)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> int:
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        finally:
            self._reader.join(2)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_service_end_to_end(server, write_config, tmp_path):
    config = write_config(
        [
            {"id": "ansm", "url": server.add("/ansm.xml", dated_now("ansm_actualites.rss.xml", 2)), "tier": "official", "every": "1m"},
            {"id": "has", "url": server.add_file("/has.atom.xml", "has_recommandations.atom.xml"), "tier": "official", "every": "1m"},
        ],
        settings="digest:\n  dir: out/digests\n",
    )
    who = server.add_file("/who.json", "who_news.json")
    db = tmp_path / "veille.db"
    port = free_port()
    service = Service(config, db, "--digest-now", "--serve", "--port", str(port))
    try:
        # Two collections of each source (every 1m scaled by 0.05 = 3 s), batched together.
        service.wait_for(lambda: server.hits("/ansm.xml") >= 2 and server.hits("/has.atom.xml") >= 2, 20, "two collections")
        service.wait_for(lambda: service.logged("collection done") >= 2, 5, "the second collection's summary")
        assert service.logged("collecting 2 sources: ansm, has") >= 1
        # One digest, written atomically (no temporary file left) after the first collection.
        digests = tmp_path / "out" / "digests"
        service.wait_for(lambda: service.logged("INFO digest "), 5, "the digest")
        day = datetime.now(UTC).astimezone().date()  # named after today in Europe/Paris (~ the same)
        files = sorted(p.name for p in digests.iterdir())
        assert [f for f in files if f.startswith(".")] == []
        assert {f.rsplit(".", 1)[1] for f in files} == {"md", "html", "json", "atom"}
        data = json.loads(next(digests.glob("*.json")).read_text(encoding="utf-8"))
        assert data["counts"]["stories"] >= 1 and abs((date_of(data["period"]["label"]) - day).days) <= 1
        # The Datasette UI answers from the same process.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            assert response.status == 200
        # An invalid edit of feeds.yaml is logged and the old configuration kept.
        good = config.read_text(encoding="utf-8")
        config.write_text(good + "  - id: [broken\n", encoding="utf-8")
        service.wait_for(lambda: service.logged("is invalid after an edit"), 5, "the invalid-config message")
        hits = server.hits("/ansm.xml")
        service.wait_for(lambda: server.hits("/ansm.xml") > hits, 8, "collection with the old configuration")
        config.write_text(good, encoding="utf-8")
        # A source added through the CLI is collected without a restart.
        result = run_cli(config, db, "sources", "add", who, "--name", "WHO", "--no-check", "--lang", "en")
        assert result.exit_code == 0, result.output
        service.wait_for(lambda: server.hits("/who.json") >= 1, 8, "the new source's collection")
        service.wait_for(lambda: service.logged("collected who: 2 new"), 5, "the new source's result")
        code = service.stop(signal.SIGTERM)
    finally:
        service.kill()
    log = "\n".join(service.lines)
    print(log)  # shown with pytest -s: what the service says during a run
    assert code == 0, log
    assert "SIGTERM received" in log and log.rstrip().endswith("INFO stopped"), log
    assert "Traceback" not in log, log
    store = Store(str(db))
    try:
        assert store.integrity() == "ok" and store.fts_consistent()
    finally:
        store.close()
    assert {r["source_id"] for r in rows(db, "select distinct source_id from items")} == {"ansm", "has", "who"}


def date_of(label: str):
    return datetime.strptime(label, "%Y-%m-%d").date()


def rows_count(db, sql):
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def test_stop_during_a_slow_fetch_is_quick_and_clean(server, write_config, tmp_path):
    """A source that drips its body holds the collection; SIGTERM still exits within seconds,
    and a second signal exits at once."""
    body = (Path(__file__).parent / "feeds" / "ansm_actualites.rss.xml").read_bytes()
    config = write_config([
        {"id": "fast", "url": server.add_file("/fast.xml", "no_guids.rss.xml"), "every": "1m"},
        {"id": "slow", "url": server.add("/slow.xml", body, drip=0.05), "every": "1m"},
    ])
    db = tmp_path / "veille.db"
    for signals in ([signal.SIGTERM], [signal.SIGINT, signal.SIGINT]):
        service = Service(config, db)
        try:
            service.wait_for(
                lambda s=service: any("collecting" in line and "slow" in line for line in s.lines), 15,
                "the collection",
            )
            time.sleep(0.5)  # the slow body is dripping now
            started = time.monotonic()
            for sig in signals[:-1]:
                service.proc.send_signal(sig)
                time.sleep(0.01)
            code = service.stop(signals[-1])
            elapsed = time.monotonic() - started
        finally:
            service.kill()
        log = "\n".join(service.lines)
        assert elapsed < 6, log
        if len(signals) == 1:
            assert code == 0 and "Traceback" not in log, log
            assert "abandoning the fetches in progress" in log and "collection interrupted" in log, log
            if "collected fast" in log:  # finished before the signal: its items were kept
                assert rows_count(db, "select count(*) from item_sources where source_id = 'fast'") == 3, log
        else:  # the second signal normally lands while the first stop is under way
            assert code in (0, 128 + signal.SIGINT), log
            assert code == 0 or "exiting at once" in log, log
        store = Store(str(db))
        try:
            assert store.integrity() == "ok" and store.fts_consistent()
        finally:
            store.close()


# --- pure decisions -----------------------------------------------------------------------------


def test_due_at_scales_the_wait_collect_decided():
    row = {"last_fetch_at": "2026-11-27T10:00:00Z", "next_fetch_at": "2026-11-27T11:00:00Z"}
    assert due_at(row) == datetime(2026, 11, 27, 11, tzinfo=UTC)
    assert due_at(row, 0.05) == datetime(2026, 11, 27, 10, 3, tzinfo=UTC)
    assert due_at({"last_fetch_at": None, "next_fetch_at": None}) is None
    assert due_at(None) is None


def test_timing_has_jitter_and_an_explicit_misfire_grace():
    source = Source(id="a", name="A", url="https://a.example/rss", every=3600)
    assert timing(source) == timing(source, 1.0)
    t = timing(source)
    assert (t.interval, t.jitter, t.misfire_grace) == (3600, 300, 3600)
    fast = timing(Source(id="b", name="B", url="https://b.example/rss", every=60), 0.05)
    assert (fast.interval, round(fast.jitter, 2), fast.misfire_grace) == (3.0, 0.3, 60)


def test_config_changes():
    def cfg(text: str):
        return config_from_document(parse_document(text), "feeds.yaml")

    old = cfg(
        "sources:\n"
        "  - {id: a, name: A, url: 'https://a.example/rss'}\n"
        "  - {id: b, name: B, url: 'https://b.example/rss', every: 2h}\n"
        "  - {id: c, name: C, url: 'https://c.example/rss'}\n"
    )
    new = cfg(
        "sources:\n"
        "  - {id: a, name: A renamed, url: 'https://a.example/rss'}\n"
        "  - {id: b, name: B, url: 'https://b.example/rss', every: 30m}\n"
        "  - {id: c, name: C, url: 'https://c.example/rss', enabled: false}\n"
        "  - {id: d, name: D, url: 'https://d.example/rss'}\n"
    )
    added, removed, changed = config_changes(old, new)
    assert [s.id for s in added] == ["d"]
    assert removed == ["c"]
    assert [(s.id, s.every) for s in changed] == [("b", 1800)]
    assert config_changes(new, new) == ([], [], [])
    assert timedelta(seconds=timing(changed[0]).interval) == timedelta(minutes=30)


def test_a_mail_failure_never_stops_the_collector(server, write_config, tmp_path):
    # Issue 9: with --digest-now, a mail error other than an SMTP one (here the email package
    # refusing a sender with a line break) killed the collector thread; the service then ran on
    # without ever collecting again.
    config = write_config(
        [{"id": "ansm", "url": server.add_file("/ansm.xml", "ansm_actualites.rss.xml"), "every": "1m"}],
        settings=(
            "digest:\n  dir: out/digests\n  mail_to: [moi@chu.fr]\n"
            'smtp:\n  host: 127.0.0.1\n  port: 9\n  from: "veille@chu.fr\\nBcc: tous@chu.fr"\n'
        ),
    )
    db = tmp_path / "veille.db"
    service = Service(config, db, "--digest-now")
    try:
        service.wait_for(lambda: service.logged("not mailed"), 20, "the mail failure")
        hits = server.hits("/ansm.xml")
        service.wait_for(lambda: server.hits("/ansm.xml") > hits, 10, "a collection after the mail failure")
        service.wait_for(lambda: service.logged("collection done") >= 2, 5, "its summary")
        code = service.stop(signal.SIGTERM)
    finally:
        service.kill()
    log = "\n".join(service.lines)
    assert code == 0, log
    assert "Traceback" not in log, log
    failure = next(line for line in service.lines if "not mailed" in line)
    assert "could not build the message" in failure and "ERROR" in failure, failure
    assert len(list((tmp_path / "out" / "digests").glob("*.md"))) == 1
