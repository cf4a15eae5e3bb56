"""Watches end to end: feeds over real HTTP, a real SMTP server (aiosmtpd) and a real webhook
receiver on 127.0.0.1, real SQLite files, the CLI."""

from __future__ import annotations

import json
import socket
import threading
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.utils import format_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.helpers import one, rows, run_cli
from veille.alerts import after_collect, deliver_due, retry_delay
from veille.config import load_config
from veille.notify import DeliveryError, post_webhook
from veille.store import Store


class Receiver:
    """A webhook receiver: records each POST; answers the statuses it is given, then 200."""

    def __init__(self, host: str = "127.0.0.1"):
        self.posts: list[dict] = []
        self.statuses: list[int] = []
        self.redirect: str | None = None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                receiver.posts.append({"path": self.path, "body": json.loads(body), "headers": dict(self.headers)})
                if receiver.redirect and self.path == "/hook":
                    self.send_response(307)
                    self.send_header("Location", receiver.redirect)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://{host}:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def smtp():
    from aiosmtpd.controller import Controller

    class Handler:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's naming
            self.messages.append((list(envelope.rcpt_tos), envelope.content))
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = Handler()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, handler.messages
    finally:
        controller.stop()


def rss(name: str, entries: list[tuple[str, str, str]]) -> str:
    now = datetime.now(UTC)
    items = "".join(
        f"<item><title>{escape(title)}</title><link>{escape(link)}</link><guid>{escape(link)}</guid>"
        f"<description>{escape(summary)}</description>"
        f"<pubDate>{format_datetime(now - timedelta(hours=i + 1))}</pubDate></item>"
        for i, (title, link, summary) in enumerate(entries)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>{name}</title>{items}</channel></rss>'


ANSM = [
    ("Rappel de lots de Lévothyrox 100 microgrammes : défaut de dosage", "https://ansm.example/levo-1",
     "L'ANSM rappelle des lots de Lévothyrox 100 microgrammes en raison d'un défaut de dosage."),
    ("Rougeole : point de situation", "https://ansm.example/rougeole", "Cas de rougeole en hausse."),
]
PRESS = [
    ("Rappel de lots de Levothyrox 100 microgrammes : défaut de dosage", "https://presse.example/levo",
     "L'ANSM rappelle des lots de Levothyrox 100 microgrammes en raison d'un défaut de dosage."),
]


def write_feeds(tmp_path: Path, server, smtp_port: int, watches: str, sources=("ansm",), extra_settings: str = "") -> Path:
    lines = ["# my sources, with comments", "sources:"]
    for sid in sources:
        tier = "official" if sid == "ansm" else "press"
        lines += [f"  - id: {sid}", f"    name: {sid.upper()} actualités", f"    url: {server.url('/' + sid + '.xml')}",
                  f"    tier: {tier}", "    lang: fr"]
    lines += [
        "settings:",
        "  smtp:", "    host: 127.0.0.1", f"    port: {smtp_port}", "    security: none",
        "    from: Veille <veille@example.org>",
        "  digest:", "    base_url: https://veille.chu.example/",
    ]
    if extra_settings:
        lines.append(extra_settings.rstrip())
    path = tmp_path / "feeds.yaml"
    path.write_text("\n".join(lines) + "\n" + watches, encoding="utf-8")
    return path


def test_a_matching_story_notifies_once_by_mail_and_webhook(tmp_path, db, server, smtp, receiver):
    smtp_port, messages = smtp
    server.add("/ansm.xml", rss("ANSM", ANSM))
    server.add("/presse.xml", rss("Presse", PRESS))
    watches = (
        "watches:\n  # the pharmacy's watch\n  - name: levo\n    query: levothyrox\n"
        f"    notify: ['mailto:pharmacie@chu.example', '{receiver.url}']\n"
    )
    config = write_feeds(tmp_path, server, smtp_port, watches)
    result = run_cli(config, db, "collect")
    assert result.exit_code == 0, result.output
    assert "watches: 2 notifications sent, 0 failed" in result.output

    assert len(receiver.posts) == 1
    payload = receiver.posts[0]["body"]
    item = one(db, "select id, story_id, published_at from items where url = ?", ("https://ansm.example/levo-1",))
    assert payload == {
        "kind": "stories",
        "watch": "levo",
        "query": "levothyrox",
        "page_url": "https://veille.chu.example/alertes/levo",
        "stories": [{
            "title": ANSM[0][0],
            "url": "https://ansm.example/levo-1",
            "source": "ANSM actualités",
            "published_at": item["published_at"],
            "specialties": payload["stories"][0]["specialties"],
            "type": "recall",
            "story_url": f"https://veille.chu.example/histoires/{item['story_id']}",
        }],
    }
    assert receiver.posts[0]["headers"]["Content-Type"].startswith("application/json")
    assert len(messages) == 1
    rcpts, content = messages[0]
    assert rcpts == ["pharmacie@chu.example"]
    msg = message_from_bytes(content, policy=policy.default)
    assert msg["Subject"] == "Veille — alerte « levo » : 1 nouveau sujet"
    assert ANSM[0][0] in msg.get_body(("plain",)).get_content()
    assert one(db, "select watch, story_key, item_id from watch_hits") == {
        "watch": "levo", "story_key": item["story_id"], "item_id": item["id"],
    }

    # An unchanged second collect notifies nobody.
    assert run_cli(config, db, "collect").exit_code == 0
    assert len(receiver.posts) == 1 and len(messages) == 1

    # A second source carrying the same story (another address): no second notification.
    config = write_feeds(tmp_path, server, smtp_port, watches, sources=("ansm", "presse"))
    assert run_cli(config, db, "collect").exit_code == 0
    press = one(db, "select story_id from items where url = ?", ("https://presse.example/levo",))
    assert press["story_id"] == item["story_id"], "precondition: the press article joined the story"
    assert len(receiver.posts) == 1 and len(messages) == 1

    # A new story, in capitals and without accent: notified, alone.
    server.add("/ansm.xml", rss("ANSM", [("LEVOTHYROX : reprise de l'approvisionnement", "https://ansm.example/levo-2",
                                          "Fin de la tension.")] + ANSM))
    assert run_cli(config, db, "collect").exit_code == 0
    assert len(receiver.posts) == 2
    assert [s["title"] for s in receiver.posts[1]["body"]["stories"]] == ["LEVOTHYROX : reprise de l'approvisionnement"]
    listing = run_cli(config, db, "watch", "list")
    assert "hits 2 (7 days: 2)" in listing.output and "sent 4 · pending 0 · failed 0" in listing.output
    # The target shown hides the webhook's path (it may hold a token).
    assert "/hook" not in listing.output


def test_a_failing_receiver_is_retried_and_the_collect_completes(tmp_path, db, server, smtp, receiver):
    smtp_port, _ = smtp
    server.add("/ansm.xml", rss("ANSM", ANSM))
    receiver.statuses = [500]
    config = write_feeds(tmp_path, server, smtp_port, f"watches:\n  - name: rougeole\n    query: rougeole\n    notify: ['{receiver.url}']\n")
    result = run_cli(config, db, "collect")
    assert result.exit_code == 0, result.output
    assert "ansm: 2 new" in result.output
    assert "watches: 0 notifications sent, 1 failed (retried later)" in result.output
    assert len(receiver.posts) == 1
    delivery = one(db, "select attempts, last_error, delivered_at, next_attempt_at, last_attempt_at from watch_deliveries")
    assert delivery["attempts"] == 1 and delivery["delivered_at"] is None
    assert delivery["last_error"] == "the webhook answered HTTP 500"
    tried = datetime.fromisoformat(delivery["last_attempt_at"].replace("Z", "+00:00"))
    assert datetime.fromisoformat(delivery["next_attempt_at"].replace("Z", "+00:00")) - tried == timedelta(seconds=retry_delay(1))
    listing = run_cli(config, db, "watch", "list")
    assert "last delivery error" in listing.output and "HTTP 500" in listing.output

    with Store(str(db)) as store:
        # Not yet due: nothing is attempted.
        assert deliver_due(store, load_config(str(config)).settings, tried + timedelta(seconds=30)).sent == 0
        report = deliver_due(store, load_config(str(config)).settings, tried + timedelta(minutes=2))
    assert (report.sent, report.failed) == (1, 0)
    assert len(receiver.posts) == 2 and receiver.posts[0]["body"] == receiver.posts[1]["body"]
    assert one(db, "select attempts, last_error from watch_deliveries") == {"attempts": 2, "last_error": None}


def test_a_receiver_that_never_answers_gives_up_after_the_last_attempt(tmp_path, db, server, smtp, receiver):
    from veille.alerts import MAX_ATTEMPTS

    smtp_port, _ = smtp
    server.add("/ansm.xml", rss("ANSM", ANSM))
    config = write_feeds(tmp_path, server, smtp_port, "watches:\n  - name: r\n    query: rougeole\n    notify: ['http://127.0.0.1:9/hook']\n")
    settings = load_config(str(config)).settings
    with Store(str(db)) as store:
        from tests.helpers import collect_all

        collect_all(config, db)
        now = datetime.now(UTC)
        for _ in range(MAX_ATTEMPTS):
            now += timedelta(seconds=retry_delay(MAX_ATTEMPTS) + 1)
            deliver_due(store, settings, now)
    row = one(db, "select attempts, gave_up_at is not null as gave_up, last_error from watch_deliveries")
    assert row["attempts"] == MAX_ATTEMPTS and row["gave_up"] == 1
    assert "could not reach the webhook 127.0.0.1:9" in row["last_error"]


def test_redirects_are_not_followed_into_private_addresses(receiver):
    # The configured receiver may be private (the user chose it) ...
    assert post_webhook(receiver.url, {"watch": "x"}) == 200
    # ... but a redirect from it into a private address is refused.
    receiver.redirect = receiver.url.replace("/hook", "/elsewhere")
    with pytest.raises(DeliveryError, match="private or loopback address: not followed"):
        post_webhook(receiver.url, {"watch": "x"})
    assert [p["path"] for p in receiver.posts] == ["/hook", "/hook"]
    # A redirect to a public address (here 127.0.0.2, declared public) is followed, body kept.
    other = Receiver("127.0.0.2")
    try:
        receiver.redirect = other.url.replace("/hook", "/moved")
        assert post_webhook(receiver.url, {"watch": "y"}, is_public=lambda a: a == "127.0.0.2") == 200
        assert [(p["path"], p["body"]) for p in other.posts] == [("/moved", {"watch": "y"})]
    finally:
        other.close()


def test_archive_brought_by_a_new_source_is_recorded_but_not_notified(tmp_path, db, server, smtp, receiver):
    old = format_datetime(datetime.now(UTC) - timedelta(days=40))
    feed = rss("ANSM", ANSM).replace("</channel>", (
        "<item><title>Levothyrox : archive</title><link>https://ansm.example/old</link>"
        f"<guid>https://ansm.example/old</guid><pubDate>{old}</pubDate></item></channel>"))
    server.add("/ansm.xml", feed)
    config = write_feeds(tmp_path, server, smtp[0], f"watches:\n  - name: levo\n    query: levothyrox\n    notify: ['{receiver.url}']\n")
    assert run_cli(config, db, "collect").exit_code == 0
    assert len(rows(db, "select * from watch_hits")) == 2
    assert [s["title"] for s in receiver.posts[0]["body"]["stories"]] == [ANSM[0][0]]


def test_muted_items_never_reach_a_watch(tmp_path, db, server, smtp, receiver):
    smtp_port, _ = smtp
    server.add("/ansm.xml", rss("ANSM", ANSM))
    config = write_feeds(
        tmp_path, server, smtp_port, f"watches:\n  - name: r\n    query: rougeole OR levothyrox\n    notify: ['{receiver.url}']\n",
        extra_settings="  mute:\n    - name: pas-de-rougeole\n      terms: [rougeole]\n",
    )
    assert run_cli(config, db, "collect").exit_code == 0
    assert [s["title"] for s in receiver.posts[0]["body"]["stories"]] == [ANSM[0][0]]
    assert len(rows(db, "select * from items")) == 2  # muted, not deleted


def test_a_spike_watch_notifies_once_a_day_when_its_count_spikes(tmp_path, db, server, smtp, receiver):
    smtp_port, _ = smtp
    config = write_feeds(tmp_path, server, smtp_port,
                         f"watches:\n  - name: infectio\n    specialties: [infectiologie]\n    spike: true\n    notify: ['{receiver.url}']\n")
    now = datetime.now(UTC)
    stamp = lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    with Store(str(db)) as store, store.immediate() as conn:
        conn.execute("insert into sources (id, name, url) values ('x', 'X', 'http://x')")
        conn.execute("insert into fetches (source_id, started_at) values ('x', ?)", [stamp(now - timedelta(days=70))])
        conn.execute("insert into watches (name, created_at, definition) values ('infectio', ?, '')", [stamp(now - timedelta(days=70))])
        for week in range(1, 9):
            for n in range(2):
                conn.execute("insert into watch_hits values ('infectio', ?, null, ?)",
                             [f"old-{week}-{n}", stamp(now - timedelta(days=7 * week))])
    cfg = load_config(str(config))
    with Store(str(db)) as store:
        assert after_collect(store, cfg, [], now).queued == 0  # 0 today: nothing
        with store.immediate() as conn:
            for n in range(9):
                conn.execute("insert into watch_hits values ('infectio', ?, null, ?)", [f"new-{n}", stamp(now)])
        first = after_collect(store, cfg, [], now)
        again = after_collect(store, cfg, [], now)
        deliver_due(store, cfg.settings, now)
    assert first.queued == 1 and again.queued == 0
    assert first.spikes[0].startswith("« infectio » : 4,5× plus de sujets que d'habitude (9 aujourd'hui, 2 d'habitude le ")
    assert receiver.posts[0]["body"]["kind"] == "spike" and receiver.posts[0]["body"]["today"] == 9


# --- the CLI and feeds.yaml ---------------------------------------------------------------------

def test_watch_add_keeps_comments_and_refuses_bad_input_leaving_the_file_untouched(tmp_path, db, server, smtp):
    config = write_feeds(tmp_path, server, smtp[0], "")
    before = config.read_bytes()
    for args, message in [
        (["--query", '"rappel de'], "quote is not closed"),
        (["--query", "-vaccin"], "only excludes words"),
        (["--query", "x", "--notify", "ftp://example.org/"], "a target is mailto:ADDRESS or an http(s):// webhook URL"),
        (["--query", "x", "--notify", "mailto:nobody"], "give one address"),
        ([], "needs a query"),
    ]:
        result = run_cli(config, db, "watch", "add", "levo", *args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output and "nothing was added" in result.output
        assert len(result.output.strip().splitlines()) == 1, result.output
        assert config.read_bytes() == before
    result = run_cli(config, db, "watch", "add", "levo", "--query", "levothyrox OR lévothyroxine",
                     "--specialty", "endocrinologie", "--notify", "mailto:moi@example.org")
    assert result.exit_code == 0, result.output
    assert "warning: settings.smtp" not in result.output  # it is configured here
    text = config.read_text()
    assert text.startswith(before.decode()) and "# my sources, with comments" in text
    assert "watches:\n  - name: levo\n    query: levothyrox OR lévothyroxine\n    specialties: [endocrinologie]\n" in text
    again = run_cli(config, db, "watch", "add", "levo", "--query", "x")
    assert again.exit_code == 2 and "already exists" in again.output
    assert run_cli(config, db, "watch", "remove", "levo").exit_code == 0
    assert config.read_bytes() == before
    missing = run_cli(config, db, "watch", "remove", "levo")
    assert missing.exit_code == 2 and "no watch named 'levo'" in missing.output


def test_watches_in_feeds_yaml_are_validated_with_file_and_line(tmp_path):
    path = tmp_path / "feeds.yaml"
    path.write_text(
        "sources: []\nwatches:\n  - name: ok\n    query: rougeole\n  - name: bad\n    query: '\"open'\n"
        "  - name: ok\n    query: mpox\n  - name: t\n    query: x\n    notify: [ftp://x]\n  - name: k\n    colour: red\n",
        encoding="utf-8",
    )
    from veille.errors import ConfigError

    with pytest.raises(ConfigError) as e:
        load_config(str(path))
    assert str(e.value).splitlines() == [
        f"{path}:6: query '\"open': a quote is not closed",
        f"{path}:7: duplicate watch name 'ok' (first at line 3)",
        f"{path}:11: 'ftp://x': a target is mailto:ADDRESS or an http(s):// webhook URL",
        f"{path}:13: unknown key 'colour' in a watch (allowed: name, notify, query, specialties, spike, tiers, types)",
    ]


def test_mute_settings_are_validated_with_line(tmp_path):
    path = tmp_path / "feeds.yaml"
    path.write_text("sources: []\nsettings:\n  mute:\n    - types: [job]\n    - types: [jobs]\n", encoding="utf-8")
    from veille.errors import ConfigError

    with pytest.raises(ConfigError, match=rf"{path}:5: settings.mute\[1\]: unknown type 'jobs'"):
        load_config(str(path))


def test_spike_settings_are_validated_with_line(tmp_path):
    from veille.errors import ConfigError

    path = tmp_path / "feeds.yaml"
    path.write_text("sources: []\nsettings:\n  spikes:\n    weeks: 6\n    z: -1\n    ratio: 2\n", encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_config(str(path))
    assert str(e.value).splitlines() == [
        f"{path}:6: unknown key 'ratio' in settings.spikes (allowed: weeks, min_history, min_count, min_ratio, z)",
        f"{path}:4: settings.spikes.z must be a positive number, not -1",
    ]


def test_watch_test_is_a_dry_run_over_the_archive(tmp_path, db, server, smtp, receiver):
    server.add("/ansm.xml", rss("ANSM", ANSM))
    config = write_feeds(tmp_path, server, smtp[0], "")
    assert run_cli(config, db, "collect").exit_code == 0
    assert run_cli(config, db, "watch", "add", "levo", "--query", "LEVOTHYROX", "--notify", receiver.url).exit_code == 0
    result = run_cli(config, db, "watch", "test", "levo", "--since", "7d")
    assert result.exit_code == 0, result.output
    assert ANSM[0][0] in result.output and "Rougeole" not in result.output
    assert "1 stories would have matched 'levo'" in result.output
    assert rows(db, "select * from watch_hits") == [] and receiver.posts == []
    # The watch sees new items only: the archive it was tested on does not notify later.
    assert run_cli(config, db, "collect").exit_code == 0
    assert receiver.posts == []


# --- each watch's page and Atom feed ---------------------------------------------------------------

def test_alert_page_and_atom_feed(tmp_path, db, server, smtp):
    import asyncio

    from lxml import etree

    from veille.webapp import make_datasette

    hostile = [("Lévothyrox <script>alert(1)</script> rappel", "javascript:alert(1)", "<img src=x onerror=alert(1)>"),
               ("Levothyrox : offre d'emploi pharmacien", "https://ansm.example/job", "Poste à pourvoir")]
    server.add("/ansm.xml", rss("ANSM", ANSM + hostile))
    config = write_feeds(tmp_path, server, smtp[0], "watches:\n  - name: levo\n    query: levothyrox\n",
                         extra_settings="  mute:\n    - name: emploi\n      terms: ['\"offre d emploi\"']\n")
    assert run_cli(config, db, "collect").exit_code == 0
    assert len(rows(db, "select * from watch_hits")) == 2  # the job offer was muted at match time
    ds = make_datasette(db, config_path=str(config))

    def get(path):
        return asyncio.run(ds.client.get(path))

    page = get("/alertes/levo")
    assert page.status_code == 200
    assert "Alerte « levo »" in page.text and ANSM[0][0] in page.text
    assert '<a href="https://ansm.example/levo-1"' in page.text
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;" in page.text
    assert 'href="javascript:' not in page.text
    story = one(db, "select story_id from items where url = 'https://ansm.example/levo-1'")["story_id"]
    assert f'href="/histoires/{story}"' in page.text
    assert "offre d'emploi" not in page.text

    feed = get("/alertes/levo.atom")
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("application/atom+xml")
    tree = etree.fromstring(feed.content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = [t.text for t in tree.findall("a:entry/a:title", ns)]
    assert sorted(titles) == sorted([ANSM[0][0], hostile[0][0]])
    links = [link.get("href") for link in tree.findall("a:entry/a:link", ns)]
    assert all(link.startswith("http") for link in links) and "https://ansm.example/levo-1" in links

    # Notification targets (addresses, webhook tokens) are never served.
    assert get("/veille/watch_deliveries").status_code == 403
    assert get("/veille/watch_deliveries.json").status_code == 403
    watches_table = get("/veille/watches.json?_shape=array").json()
    assert [w["name"] for w in watches_table] == ["levo"] and "notify" not in watches_table[0]["definition"]
    listing = get("/alertes")
    assert listing.status_code == 200 and 'href="/alertes/levo"' in listing.text and "2 sujets" in listing.text
    assert get("/alertes/nothing").status_code == 404
    assert get("/alertes/nothing.atom").status_code == 404


# --- the digest: spikes and mute rules -----------------------------------------------------------

def seed_specialty_history(db) -> datetime:
    """Eight weeks of 2 infectiology and 2 cardiology stories on today's weekday, then today 10
    infectiology stories, 1 cardiology story and a muted job offer. Returns now."""
    now = datetime.now(UTC)
    stamp = lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    n = 0
    with Store(str(db)) as store, store.immediate() as conn:
        conn.execute("insert into sources (id, name, url, tier) values ('spf', 'Santé publique France', 'http://x', 'official')")
        conn.execute("insert into fetches (source_id, started_at) values ('spf', ?)", [stamp(now - timedelta(days=70))])

        def story(when, title, specialty="infectiologie", item_type="news"):
            nonlocal n
            n += 1
            conn.execute(
                "insert into items (id, source_id, title, published_at, fetched_at, story_id, specialties, item_type, tier) "
                "values (?, 'spf', ?, ?, ?, ?, ?, ?, 'official')",
                [f"i{n}", title, stamp(when), stamp(when), f"s{n}", json.dumps([specialty]), item_type],
            )
            conn.execute("insert into item_sources (item_id, source_id, first_seen_at) values (?, 'spf', ?)", [f"i{n}", stamp(when)])
            conn.execute(
                "insert into stories (id, representative_item_id, title, first_seen_at, last_seen_at, item_count, source_count) "
                "values (?, ?, ?, ?, ?, 1, 1)", [f"s{n}", f"i{n}", title, stamp(when), stamp(when)],
            )

        for week in range(1, 9):
            for k in range(2):
                story(now - timedelta(days=7 * week, minutes=k), f"Bulletin {week}-{k}")
                story(now - timedelta(days=7 * week, minutes=k), f"Cardio {week}-{k}", specialty="cardiologie")
        for k in range(10):
            story(now - timedelta(minutes=k), f"Rougeole : foyer {k}")
        story(now - timedelta(minutes=20), "Cardio du jour", specialty="cardiologie")
        story(now - timedelta(minutes=30), "Offre d'emploi : infectiologue H/F", item_type="job")
    return now


def test_digest_lists_specialty_spikes_and_leaves_muted_items_out(tmp_path, db):
    from veille.digest import build_digest, period_since
    from veille.render import render

    now = seed_specialty_history(db)
    config = tmp_path / "feeds.yaml"
    config.write_text("sources: []\nsettings:\n  mute:\n    - name: emploi\n      types: [job]\n", encoding="utf-8")
    settings = load_config(str(config)).settings
    digest = build_digest(str(db), period_since(timedelta(hours=24), now, "Europe/Paris"), settings=settings)
    assert len(digest.spikes) == 1
    assert digest.spikes[0].startswith("Infectiologie : 5× plus de sujets que d'habitude (10 aujourd'hui, 2 d'habitude le ")
    titles = [e.title for e in digest.entries]
    assert "Offre d'emploi : infectiologue H/F" not in titles and "Rougeole : foyer 0" in titles
    assert "## Pics d'activité\n\n- Infectiologie : 5× plus" in render(digest, "md")
    assert '<section class="spikes"><h2>Pics d\'activité</h2><ul><li>Infectiologie : 5×' in render(digest, "html").replace("\n", "")
    assert json.loads(render(digest, "json"))["spikes"] == list(digest.spikes)
    # Without settings (no feeds.yaml), nothing is muted and no spike is computed.
    plain = build_digest(str(db), period_since(timedelta(hours=24), now, "Europe/Paris"))
    assert plain.spikes == () and "Offre d'emploi : infectiologue H/F" in [e.title for e in plain.entries]
    # The alert pages show the day's specialty spikes too.
    import asyncio

    from veille.webapp import make_datasette

    page = asyncio.run(make_datasette(db, config_path=str(config)).client.get("/alertes"))
    assert page.status_code == 200
    assert "<h2>Pics d'activité aujourd'hui</h2>" in page.text
    assert "⚠ Infectiologie : 5× plus de sujets que d" in page.text


def test_the_article_page_says_which_rule_mutes_it(tmp_path, db, server, smtp):
    import asyncio

    from veille.webapp import make_datasette

    server.add("/ansm.xml", rss("ANSM", ANSM))
    config = write_feeds(tmp_path, server, smtp[0], "",
                         extra_settings="  mute:\n    - name: pas-de-rougeole\n      terms: [rougeole]\n")
    assert run_cli(config, db, "collect").exit_code == 0
    muted = one(db, "select id from items where title like 'Rougeole%'")["id"]
    shown = one(db, "select id from items where title like 'Rappel%'")["id"]
    ds = make_datasette(db, config_path=str(config))
    page = asyncio.run(ds.client.get(f"/veille/items/{muted}"))
    assert page.status_code == 200
    assert "masqué de La une, du digest et des alertes par la règle « pas-de-rougeole » (termes rougeole)" in page.text
    other = asyncio.run(ds.client.get(f"/veille/items/{shown}"))
    assert other.status_code == 200 and "masqué" not in other.text
    # Without rules (no feeds.yaml given), nothing is said.
    plain = make_datasette(db)
    assert "masqué" not in asyncio.run(plain.client.get(f"/veille/items/{muted}")).text


def test_the_service_delivers_in_its_own_job(tmp_path, db, server, smtp, receiver):
    from tests.test_schedule import Service

    server.add("/ansm.xml", rss("ANSM", ANSM))
    receiver.statuses = [503]  # the first attempt fails, the job retries it later
    config = write_feeds(tmp_path, server, smtp[0], f"watches:\n  - name: levo\n    query: levothyrox\n    notify: ['{receiver.url}']\n")
    service = Service(config, db)
    try:
        service.wait_for(lambda: service.logged("watch notifications: 0 sent, 1 failed"), timeout=40, what="a failed delivery")
        assert len(receiver.posts) == 1
        # The collect was not held by the failure: the source is collected and the service runs.
        assert one(db, "select count(*) as n from items")["n"] == 2
        with Store(str(db)) as store, store.immediate() as conn:  # make the retry due now
            conn.execute("update watch_deliveries set next_attempt_at = '2000-01-01T00:00:00Z'")
        service.wait_for(lambda: len(receiver.posts) == 2, timeout=30, what="the retry")
        assert receiver.posts[0]["body"] == receiver.posts[1]["body"]
    finally:
        assert service.stop() == 0


def test_a_failure_of_the_watches_never_loses_the_collect(tmp_path, db, server, smtp, receiver, caplog):
    import sqlite3

    from tests.helpers import collect_all

    server.add("/ansm.xml", rss("ANSM", ANSM))
    config = write_feeds(tmp_path, server, smtp[0], f"watches:\n  - name: r\n    query: rougeole\n    notify: ['{receiver.url}']\n")
    conn = sqlite3.connect(db)
    conn.execute("drop table watch_hits")  # a broken database for the watches only
    conn.commit()
    conn.close()
    results = collect_all(config, db)
    assert results["ansm"].outcome == "new" and results["ansm"].items_new == 2
    assert len(rows(db, "select * from items")) == 2
    assert "watches not matched after this collect: no such table: watch_hits" in caplog.text


def test_la_une_leaves_muted_stories_out_and_shows_spikes(tmp_path, db):
    import asyncio

    from veille.webapp import make_datasette

    seed_specialty_history(db)
    config = tmp_path / "feeds.yaml"
    config.write_text("sources: []\nsettings:\n  mute:\n    - name: emploi\n      types: [job]\n", encoding="utf-8")
    page = asyncio.run(make_datasette(db, config_path=str(config)).client.get("/"))
    assert page.status_code == 200
    assert "Rougeole : foyer 0" in page.text
    assert "infectiologue H/F" not in page.text
    assert ("<h2>Pics d'activité</h2><ul class=\"veille-spikes\"><li>⚠ Infectiologie : 5× plus de sujets "
            "que d&#39;habitude (10 aujourd&#39;hui, 2 d&#39;habitude le ") in page.text
    # The muted job offer is in no count either (11 stories today, 12 without the rule).
    assert '<h2>Autres <span class="veille-count">(11)</span></h2>' in page.text
    plain = asyncio.run(make_datasette(db).client.get("/"))
    assert '<h2>Autres <span class="veille-count">(12)</span></h2>' in plain.text
    # Spikes need no feeds.yaml (default rule); without the mute rule the job offer counts too.
    assert "Infectiologie : 5,5× plus de sujets que d&#39;habitude (11 aujourd&#39;hui" in plain.text


def test_webhooks_go_through_the_hospital_proxy(receiver):
    """A webhook on the internet is posted through settings.proxy, like every request Veille
    makes; the name only the proxy can resolve is no obstacle."""
    from tests.proxyserver import ForwardProxy
    from veille.network import proxy_policy

    port = receiver.url.split(":")[2].split("/")[0]
    proxy = ForwardProxy({"hooks.chu-exemple.invalid": "127.0.0.1"})
    try:
        status = post_webhook(f"http://hooks.chu-exemple.invalid:{port}/hook", {"watch": "levo"},
                              policy=proxy_policy(f"http://u:secret@127.0.0.1:{proxy.port}"))
        assert status == 200
        assert proxy.log == [("POST", f"http://hooks.chu-exemple.invalid:{port}/hook")]
        assert [p["body"] for p in receiver.posts] == [{"watch": "levo"}]
        proxy.refuse("502 Bad Gateway")
        with pytest.raises(DeliveryError, match="the webhook answered HTTP 502") as e:
            post_webhook(f"http://hooks.chu-exemple.invalid:{port}/hook", {"watch": "levo"},
                         policy=proxy_policy(f"http://u:secret@127.0.0.1:{proxy.port}"))
        assert "secret" not in str(e.value)
    finally:
        proxy.close()


def test_watch_add_warns_when_mail_cannot_be_sent(tmp_path, db):
    config = tmp_path / "feeds.yaml"
    config.write_text("# mine\nsources: []\n", encoding="utf-8")
    result = run_cli(config, db, "watch", "add", "levo", "--query", "levothyrox", "--notify", "mailto:moi@example.org")
    assert result.exit_code == 0
    assert "warning: settings.smtp is not configured in feeds.yaml" in result.output
    assert load_config(str(config)).watch("levo").notify == ("mailto:moi@example.org",)
