"""All or nothing per source: a failed write or a killed collector leaves the database consistent."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

from tests.helpers import one, rows, run_cli
from veille.store import Store

FEED = """<rss version="2.0"><channel><title>{sid}</title>{items}</channel></rss>"""
ITEM = "<item><title>{title}</title><link>https://example.org/{sid}/{n}</link><guid>{sid}-{n}</guid><description>Texte {n} de {sid}.</description></item>"


def feed(sid: str, titles: list[str]) -> str:
    return FEED.format(sid=sid, items="".join(ITEM.format(title=t, sid=sid, n=n) for n, t in enumerate(titles)))


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if text.encode() in f.read():
                        found.append(int(entry))
            except OSError:
                continue
    return found


def _descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (its parsing workers, their fork server)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    parents[int(entry)] = int(f.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    found: set[int] = set()
    todo = [pid]
    while todo:
        here = todo.pop()
        for child, parent in parents.items():
            if parent == here and child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                if f.read().rsplit(b")", 1)[1].split()[0] != b"Z":
                    alive.add(pid)
        except OSError:
            continue
    return alive


def test_a_failed_write_rolls_back_the_whole_source(server, write_config, tmp_path):
    db = tmp_path / "veille.db"
    config = write_config([
        {"id": "good", "url": server.add("/good.xml", feed("good", ["Un", "Deux"]))},
        {"id": "bad", "url": server.add("/bad.xml", feed("bad", ["Premier", "Second", "BOOM troisième"]))},
    ])
    Store(str(db)).close()
    conn = sqlite3.connect(db)
    # A real failure inside SQLite in the middle of the source's transaction (like a full disk).
    conn.execute("create trigger boom before insert on items when new.title like 'BOOM%' "
                 "begin select raise(abort, 'simulated write failure'); end")
    conn.commit()
    conn.close()
    result = run_cli(config, db, "collect")
    assert result.exit_code == 0
    assert "bad: ERROR could not store: simulated write failure" in result.output
    assert one(db, "select count(*) n from items where source_id = 'bad'")["n"] == 0
    assert one(db, "select count(*) n from item_sources where source_id = 'bad'")["n"] == 0
    assert one(db, "select count(*) n from items where source_id = 'good'")["n"] == 2
    src = one(db, "select error_count, last_error, etag, body_hash from sources where id = 'bad'")
    assert src["error_count"] == 1 and "simulated write failure" in src["last_error"] and src["body_hash"] is None
    assert rows(db, "select outcome from fetches where source_id = 'bad'") == [{"outcome": "error"}]
    store = Store(str(db))
    assert store.integrity() == "ok" and store.fts_consistent()
    store.db.execute("drop trigger boom")
    store.close()
    assert "bad: 3 new" in run_cli(config, db, "collect").output


def test_kill_9_mid_run_then_rerun(server, write_config, tmp_path):
    db = tmp_path / "veille.db"
    sources = []
    for i in range(40):
        sid = f"s{i:02d}"
        url = server.add(f"/{sid}.xml", feed(sid, [f"Article {n} de {sid}" for n in range(30)]), delay=0.05 * (i % 8))
        sources.append({"id": sid, "url": url})
    config = write_config(sources, settings="concurrency: 4\nper_host: 4\n")
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    proc = subprocess.Popen(
        [sys.executable, "-m", "veille", "--config", str(config), "--db", str(db), "collect"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    written = 0
    below: set[int] = set()
    while time.monotonic() < deadline and proc.poll() is None:
        below |= _descendants(proc.pid)
        try:
            conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
            written = conn.execute("select count(*) from fetches").fetchone()[0]
            conn.close()
        except sqlite3.Error:
            written = 0
        if written >= 5:
            break
        time.sleep(0.01)
    below |= _descendants(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert 0 < written < 40, "the collector should have been killed mid-run"
    assert len(below) >= 3, below  # the fork server and two parsing workers were running
    # Its parsing workers (and their fork server) do not outlive it.
    deadline = time.monotonic() + 10
    while (_processes_mentioning(str(config)) or _alive(below)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _processes_mentioning(str(config)) == []
    assert _alive(below) == set()
    store = Store(str(db))
    assert store.integrity() == "ok" and store.fts_consistent()
    # Every source is either fully written or untouched.
    per_source = rows(db, "select s.id, count(i.item_id) n from sources s left join item_sources i on i.source_id = s.id group by s.id")
    assert all(r["n"] in (0, 30) for r in per_source), per_source
    store.close()
    result = run_cli(config, db, "collect")
    assert result.exit_code == 0
    assert one(db, "select count(*) n from items")["n"] == 40 * 30
    assert one(db, "select count(*) n from item_sources")["n"] == 40 * 30
    assert one(db, "select count(distinct guid) n from items")["n"] == 40 * 30
    store = Store(str(db))
    assert store.integrity() == "ok" and store.fts_consistent()
    store.close()
