"""The digest: golden files in every format from a fixed database, safety of the HTML, the JSON
schema, Atom validity, the CLI's usage errors, e-mail through a real SMTP server on 127.0.0.1,
and one digest built through the real collect path."""

from __future__ import annotations

import json
import os
import re
import socket
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, time, timedelta
from email import message_from_bytes, policy
from email.utils import format_datetime
from pathlib import Path

import feedparser
import pytest
from sqlite_utils import Database

from tests.helpers import dated_now, rows, run_cli
from veille.digest import (
    FORMATS,
    arrange,
    build_digest,
    period_for_date,
    safe_url,
    write_atomic,
)
from veille.models import ITEM_TYPES, SPECIALTIES
from veille.render import render
from veille.store import Store

GOLDEN = Path(__file__).parent / "golden"
SCHEMA = Path(__file__).resolve().parents[1] / "docs" / "digest-schema.json"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
DAY = date(2026, 11, 27)  # window: 2026-11-26 06:00Z -> 2026-11-27 06:00Z (07:00 Paris)
HOSTILE_TITLE = '<script>alert(1)</script> *gras* [x](javascript:alert(1)) & "quotes" \x07bell'

SOURCES = [
    {"id": "ansm", "name": "ANSM", "tier": "official", "url": "https://ansm.sante.fr/rss"},
    {"id": "has", "name": "HAS", "tier": "official", "url": "https://www.has-sante.fr/rss"},
    {"id": "qdm", "name": "Le Quotidien du Médecin", "tier": "press", "url": "https://www.lequotidiendumedecin.fr/rss"},
    {"id": "who", "name": "OMS / WHO", "tier": "official", "url": "https://www.who.int/rss"},
    {"id": "egora", "name": "Egora", "tier": "press", "url": "https://www.egora.fr/rss"},
    {"id": "hostile", "name": "Hostile <b>feed</b>", "tier": "social", "url": "https://evil.example/rss"},
]
# (id, source, story, type, title, url, published, fetched, specialties {slug: score}, also-carried-by)
ITEMS = [
    ("i-doliprane", "ansm", "s-doliprane", "recall", "Rappel de lots de Doliprane 1000 mg comprimés",
     "https://ansm.sante.fr/informations-de-securite/rappel-doliprane", "2026-11-26T13:00:00Z",
     "2026-11-26T13:05:00Z", {"pharmacologie": 4.0, "medecine-generale": 2.0}, []),
    # Same story, seen the day before by the press: listed under "aussi rapporté par".
    ("i-doliprane-qdm", "qdm", "s-doliprane", "recall", "Doliprane : l'ANSM rappelle des lots",
     "https://www.lequotidiendumedecin.fr/doliprane", "2026-11-25T18:00:00Z",
     "2026-11-25T18:10:00Z", {"pharmacologie": 3.0}, []),
    ("i-amox", "ansm", "s-amox", "shortage", "Tensions d'approvisionnement en amoxicilline",
     "https://ansm.sante.fr/disponibilite/amoxicilline", "2026-11-26T09:00:00Z",
     "2026-11-26T09:30:00Z", {"infectiologie": 3.0, "pediatrie": 2.5}, ["egora"]),
    ("i-sein-has", "has", "s-sein", "guideline", "Cancer du sein : dépistage organisé de 50 à 74 ans",
     "https://www.has-sante.fr/jcms/p_3500001/fr/cancer-du-sein", "2026-11-27T05:30:00Z",
     "2026-11-27T05:40:00Z", {"oncologie": 5.0, "gynecologie-obstetrique": 2.0}, []),
    ("i-sein-qdm", "qdm", "s-sein", "news", "Dépistage du cancer du sein : la HAS actualise ses recommandations",
     "https://www.lequotidiendumedecin.fr/sein", "2026-11-27T05:45:00Z",
     "2026-11-27T05:50:00Z", {"oncologie": 4.0}, []),
    ("i-sein-egora", "egora", "s-sein", "news", "Sein : ce que change l'avis de la HAS",
     "https://www.egora.fr/sein", "2026-11-26T20:00:00Z",
     "2026-11-26T20:00:00Z", {"oncologie": 3.0}, []),
    # Older data without a story: a story of its own.
    ("i-ic", "qdm", None, "news", "Insuffisance cardiaque : le parcours de soins en 5 points",
     "https://www.lequotidiendumedecin.fr/ic", "2026-11-26T10:00:00Z",
     "2026-11-26T10:05:00Z", {"cardiologie": 6.0}, []),
    ("i-hostile", "hostile", None, "news", HOSTILE_TITLE, "javascript:alert(document.cookie)",
     "2026-11-26T11:00:00Z", "2026-11-26T11:00:00Z", {"cardiologie": 2.0}, []),
    ("i-measles", "who", "s-measles", "safety", "Measles outbreak: WHO calls for vaccination catch-up",
     "https://www.who.int/news/item/measles", "2026-11-26T12:00:00Z",
     "2026-11-26T12:01:00Z", {"infectiologie": 4.0, "sante-publique": 3.0}, ["qdm"]),
    ("i-congres", "egora", None, "event", "Congrès de médecine générale : le programme",
     "https://www.egora.fr/congres?utm_source=rss&x=(1)", "2026-11-26T15:00:00Z",
     "2026-11-26T15:00:00Z", {}, []),
    # Outside the window: not in the digest of the 27th.
    ("i-old", "has", None, "news", "Ancienne recommandation", "https://www.has-sante.fr/old",
     "2026-11-20T10:00:00Z", "2026-11-25T10:00:00Z", {"cardiologie": 3.0}, []),
]


def build_fixed_db(path: Path) -> Path:
    """A database with fixed rows: migrations through Store, then plain inserts."""
    Store(str(path)).close()
    db = Database(str(path))
    db["sources"].insert_all(
        [dict(s, kind="feed", enabled=1, config_url=s["url"], every=3600) for s in SOURCES], pk="id"
    )
    stories: dict[str, list[tuple]] = {}
    for (item_id, source, story, kind, title, url, published, fetched, specs, also) in ITEMS:
        db["items"].insert(
            {
                "id": item_id, "source_id": source, "guid": item_id, "url": url, "canonical_url": url,
                "title": title, "summary": "", "content": "", "published_at": published,
                "fetched_at": fetched, "updated_at": fetched, "lang": "fr", "content_hash": item_id,
                "item_type": kind, "story_id": story,
            }
        )
        for carrier in [source, *also]:
            db["item_sources"].insert({"item_id": item_id, "source_id": carrier, "guid": item_id, "first_seen_at": fetched})
        for slug, score in specs.items():
            db["item_specialties"].insert({"item_id": item_id, "specialty": slug, "score": score, "evidence": "[]"})
        if story:
            stories.setdefault(story, []).append((item_id, title, fetched))
    for story, members in stories.items():
        first = min(members, key=lambda m: m[2])
        db["stories"].insert(
            {
                "id": story, "representative_item_id": members[0][0], "title": members[0][1],
                "first_seen_at": first[2], "last_seen_at": max(m[2] for m in members),
                "item_count": len(members), "source_count": len(members),
            }
        )
    db.close()
    return path


@pytest.fixture(scope="module")
def fixed_db(tmp_path_factory) -> Path:
    return build_fixed_db(tmp_path_factory.mktemp("digest") / "veille.db")


def period():
    return period_for_date(DAY, "Europe/Paris", time(7, 0))


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE or not path.exists():
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs (UPDATE_GOLDEN=1 to accept)"


@pytest.mark.parametrize("fmt", FORMATS)
def test_golden_digest_every_format(fixed_db, tmp_path, fmt):
    out = tmp_path / f"digest.{fmt}"
    result = run_cli(tmp_path / "none.yaml", fixed_db, "digest", "--date", "2026-11-27", "--format", fmt, "--out", str(out))
    assert result.exit_code == 0, result.output
    check_golden(f"digest-2026-11-27.{fmt}", out.read_text(encoding="utf-8"))


def test_golden_english_and_filtered(fixed_db, tmp_path):
    en = run_cli(tmp_path / "none.yaml", fixed_db, "digest", "--date", "2026-11-27", "--lang", "en")
    assert en.exit_code == 0, en.output
    check_golden("digest-2026-11-27.en.md", en.output)
    filtered = run_cli(
        tmp_path / "none.yaml", fixed_db, "digest", "--date", "2026-11-27",
        "--specialty", "infectiologie", "--specialty", "pediatrie", "--type", "shortage", "--type", "safety",
    )
    assert filtered.exit_code == 0, filtered.output
    check_golden("digest-2026-11-27.filtered.md", filtered.output)


def test_order_grouping_and_counts(fixed_db):
    digest = build_digest(str(fixed_db), period())
    assert [e.story_id for e in digest.alerts] == ["s-doliprane", "s-amox", "s-measles"]
    groups = {g.specialty: [e.story_id for e in g.entries] for g in digest.groups}
    assert groups == {
        "cardiologie": ["i-hostile", "i-ic"],  # same rank: the most recent first
        "infectiologie": ["s-measles", "s-amox"],  # both official; measles has more sources
        "oncologie": ["s-sein"],
        "pharmacologie": ["s-doliprane"],
        None: ["i-congres"],
    }
    assert [g.specialty for g in digest.groups][-1] is None  # "Autres" last
    sein = next(e for e in digest.entries if e.story_id == "s-sein")
    assert (sein.source.id, [s.id for s in sein.also], sein.item_type) == ("has", ["egora", "qdm"], "guideline")
    doliprane = next(e for e in digest.entries if e.story_id == "s-doliprane")
    assert [s.id for s in doliprane.also] == ["qdm"]  # from an item of the day before
    assert dict(digest.type_counts) == {"news": 2, "recall": 1, "shortage": 1, "safety": 1, "guideline": 1, "event": 1}
    assert dict(digest.specialty_counts)["infectiologie"] == 2
    assert "i-old" not in {e.story_id for e in digest.entries}


def test_feed_text_is_escaped_and_links_are_http_only(fixed_db):
    digest = build_digest(str(fixed_db), period())
    hostile = next(e for e in digest.entries if e.story_id == "i-hostile")
    assert hostile.url is None and "\x07" not in hostile.title
    page = render(digest, "html")
    assert not re.search(r"<script|href=\"(?!https?://)|\x07", page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert '<meta http-equiv="Content-Security-Policy" content="default-src \'none\';' in page
    assert "Hostile &lt;b&gt;feed&lt;/b&gt;" in page
    md = render(digest, "md")
    assert r'- \<script\>alert\(1\)\</script\> \*gras\* \[x\]\(javascript:alert\(1\)\) \& "quotes" bell' in md
    assert "](javascript" not in md and "(<javascript" not in md
    assert "Hostile \\<b\\>feed\\</b\\>" in md
    assert "<https://www.egora.fr/congres?utm_source=rss&x=(1)>" in md
    assert safe_url("jav\tascript:alert(1)") is None and safe_url("//evil.example/x") is None
    assert safe_url("HTTPS://ansm.sante.fr/x") == "HTTPS://ansm.sante.fr/x"


def _validate(instance, schema, root, where="$"):
    """The JSON Schema subset docs/digest-schema.json uses: type, enum, const, required,
    properties, additionalProperties false, items, minimum, $ref to #/$defs."""
    if "$ref" in schema:
        schema = root["$defs"][schema["$ref"].split("/")[-1]]
    types = schema.get("type")
    if types:
        names = types if isinstance(types, list) else [types]
        checks = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}
        ok = any(
            (n == "integer" and isinstance(instance, int) and not isinstance(instance, bool))
            or (n in checks and isinstance(instance, checks[n]))
            for n in names
        )
        assert ok, f"{where}: {instance!r} is not {types}"
    if "enum" in schema:
        assert instance in schema["enum"], f"{where}: {instance!r} not in enum"
    if "const" in schema:
        assert instance == schema["const"], where
    if "minimum" in schema and isinstance(instance, int):
        assert instance >= schema["minimum"], where
    if isinstance(instance, dict):
        for key in schema.get("required", []):
            assert key in instance, f"{where}: missing {key}"
        props = schema.get("properties", {})
        if schema.get("additionalProperties") is False:
            extra = set(instance) - set(props)
            assert not extra, f"{where}: unexpected {extra}"
        for key, value in instance.items():
            if key in props:
                _validate(value, props[key], root, f"{where}.{key}")
    if isinstance(instance, list) and "items" in schema:
        for i, value in enumerate(instance):
            _validate(value, schema["items"], root, f"{where}[{i}]")


def test_json_follows_the_documented_schema(fixed_db, tmp_path):
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["$defs"]["story"]["properties"]["type"]["enum"] == list(ITEM_TYPES)
    assert schema["$defs"]["specialty"]["properties"]["slug"]["enum"] == list(SPECIALTIES)
    for p in (period(), period_for_date(date(2020, 1, 1), "Europe/Paris", time(7, 0))):
        data = json.loads(render(build_digest(str(fixed_db), p), "json"))
        _validate(data, schema, schema)
    data = json.loads(render(build_digest(str(fixed_db), period()), "json"))
    assert {s["id"] for s in data["stories"]} == {i for g in data["groups"] for i in g["stories"]}
    assert set(data["alerts"]) <= {s["id"] for s in data["stories"]}


def test_atom_is_valid(fixed_db):
    digest = build_digest(str(fixed_db), period())
    text = render(digest, "atom", self_url="https://veille.example/digests/2026-11-27.atom")
    ns = {"a": "http://www.w3.org/2005/Atom"}
    feed = ET.fromstring(text.encode("utf-8"))
    assert feed.tag == "{http://www.w3.org/2005/Atom}feed"
    for tag in ("id", "title", "updated"):
        assert feed.find(f"a:{tag}", ns) is not None and feed.find(f"a:{tag}", ns).text
    assert feed.find("a:link[@rel='alternate']", ns) is not None
    assert feed.find("a:link[@rel='self']", ns).get("href").endswith("2026-11-27.atom")
    entries = feed.findall("a:entry", ns)
    assert len(entries) == len(digest.entries)
    for entry in entries:
        for tag in ("id", "title", "updated"):
            assert entry.find(f"a:{tag}", ns).text
        for link in entry.findall("a:link", ns):
            assert link.get("href").startswith(("http://", "https://"))
    parsed = feedparser.parse(text.encode("utf-8"))
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10" and len(parsed.entries) == len(digest.entries)
    empty = ET.fromstring(render(build_digest(str(fixed_db), period_for_date(date(2020, 1, 1), "Europe/Paris", time(7))), "atom"))
    assert empty.find("a:updated", ns).text == "2020-01-01T06:00:00Z" and not empty.findall("a:entry", ns)


def test_empty_day_says_so(fixed_db, tmp_path):
    result = run_cli(tmp_path / "none.yaml", fixed_db, "digest", "--date", "2020-01-01")
    assert result.exit_code == 0
    check_golden("digest-empty.md", result.output)
    assert "Rien de nouveau sur cette période." in result.output
    html = run_cli(tmp_path / "none.yaml", fixed_db, "digest", "--date", "2020-01-01", "--format", "html", "--lang", "en")
    assert "Nothing new in this period." in html.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["--specialty", "cardio"], "unknown specialty 'cardio'; valid: addictologie, allergologie"),
        (["--type", "rumour"], "unknown type 'rumour'; valid: recall, shortage, safety"),
        (["--date", "27/11/2026"], "write the date as YYYY-MM-DD"),
        (["--since", "yesterday"], "write a duration such as 90m, 24h or 7d"),
        (["--date", "2026-11-27", "--since", "24h"], "cannot be used together"),
        (["--format", "pdf"], "Invalid value for '--format'"),
    ],
)
def test_usage_errors_exit_2(fixed_db, tmp_path, args, message):
    result = run_cli(tmp_path / "none.yaml", fixed_db, "digest", *args)
    assert result.exit_code == 2
    assert message in result.output


def test_atomic_write_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "out" / "d.md"
    write_atomic(target, "one")
    write_atomic(target, "two")
    assert target.read_text() == "two"
    assert sorted(p.name for p in target.parent.iterdir()) == ["d.md"]


def test_pure_arrange_without_database():
    assert arrange([], period()).entries == ()
    assert "Rien de nouveau" in render(arrange([], period()), "md")


# --- e-mail ------------------------------------------------------------------------------------


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    class Handler:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's naming
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content, session.authenticated))
            return "250 OK"

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"veille" and auth_data.password == b"s3cret"
        return AuthResult(success=ok)

    with socket.socket() as probe:  # aiosmtpd checks readiness by connecting: it needs a real port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = Handler()
    controller = Controller(
        handler, hostname="127.0.0.1", port=port, authenticator=authenticator,
        auth_require_tls=False, auth_required=False,
    )
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


def _smtp_config(tmp_path, port, extra=""):
    path = tmp_path / "feeds.yaml"
    path.write_text(
        "sources: []\nsettings:\n  smtp:\n    host: 127.0.0.1\n"
        f"    port: {port}\n    security: none\n    user: veille\n"
        "    password_env: VEILLE_TEST_SMTP_PASSWORD\n    from: Veille <veille@example.org>\n" + extra,
        encoding="utf-8",
    )
    return path


def test_mail_multipart_through_a_real_smtp_server(fixed_db, tmp_path, smtp_server, monkeypatch):
    controller, handler = smtp_server
    config = _smtp_config(tmp_path, controller.port)
    monkeypatch.setenv("VEILLE_TEST_SMTP_PASSWORD", "s3cret")
    result = run_cli(config, fixed_db, "digest", "--date", "2026-11-27", "--mail-to", "doc@example.org",
                     "--out", str(tmp_path / "d.md"))
    assert result.exit_code == 0, result.output
    assert len(handler.messages) == 1
    sender, rcpts, content, authenticated = handler.messages[0]
    assert (sender, rcpts, authenticated) == ("veille@example.org", ["doc@example.org"], True)
    msg = message_from_bytes(content, policy=policy.default)
    assert msg.get_content_type() == "multipart/alternative"
    assert msg["Subject"] == "Veille médicale — 27/11/2026 (7 sujets, 3 ⚠)"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "Rappel de lots de Doliprane 1000 mg comprimés" in text
    assert "Content-Security-Policy" in html and "<script" not in html


def test_mail_refuses_a_password_in_feeds_yaml_and_a_missing_variable(fixed_db, tmp_path, smtp_server, monkeypatch):
    controller, handler = smtp_server
    monkeypatch.delenv("VEILLE_TEST_SMTP_PASSWORD", raising=False)
    config = _smtp_config(tmp_path, controller.port)
    result = run_cli(config, fixed_db, "digest", "--mail-to", "doc@example.org")
    assert result.exit_code == 2 and "VEILLE_TEST_SMTP_PASSWORD is not set" in result.output
    config = _smtp_config(tmp_path, controller.port, extra="    password: hunter2\n")
    result = run_cli(config, fixed_db, "digest", "--mail-to", "doc@example.org")
    assert result.exit_code == 2 and "password_env" in result.output
    assert handler.messages == []


# --- through the real collect path -----------------------------------------------------------


def test_digest_after_a_real_collect(server, write_config, tmp_path):
    db = tmp_path / "veille.db"
    config = write_config([
        # Published in the last hours: the day's news.
        {"id": "ansm", "url": server.add("/ansm.xml", dated_now("ansm_actualites.rss.xml", 2)), "tier": "official"},
        # Published days ago, first collected now: archive, never today's news.
        {"id": "has", "url": server.add_file("/has.atom.xml", "has_recommandations.atom.xml"), "tier": "official"},
    ])
    assert run_cli(config, db, "collect").exit_code == 0
    result = run_cli(config, db, "digest", "--since", "24h", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    items = rows(db, "select id, source_id, coalesce(story_id, id) story, item_type, title from items")
    assert {i["source_id"] for i in items} == {"ansm", "has"}
    today = {i["story"] for i in items if i["source_id"] == "ansm"}
    assert data["counts"]["stories"] == len(today) == len(data["stories"]) == 3
    assert {s["id"] for s in data["stories"]} == today
    flagged = {i["story"] for i in items if i["source_id"] == "ansm" and i["item_type"] in ("recall", "shortage", "safety")}
    assert flagged and set(data["alerts"]) == flagged
    assert all(s["alert_from"] == "ansm" for s in data["stories"] if s["alert"])
    md = run_cli(config, db, "digest", "--since", "24h").output
    assert "Rappel de lots de Doliprane 1000 mg comprimés" in md


def test_first_collect_of_an_old_blog_does_not_flood_the_digest(server, write_config, tmp_path):
    """The issue's case: a source added today brings items from 2012-2024; the day's ANSM recall
    stays the day's news, the old posts stay searchable but are not in the digest."""
    now = datetime.now(UTC)
    old = "".join(
        f"<item><title>Billet de blog {year}</title><link>https://blog.example/{year}</link>"
        f"<pubDate>{format_datetime(datetime(year, 3, 1, tzinfo=UTC))}</pubDate></item>"
        for year in range(2012, 2025)
    )
    # Published 2 days ago, first seen now: a late arrival within the archive limit (3 days).
    late = f"<item><title>Billet récent</title><link>https://blog.example/late</link><pubDate>{format_datetime(now - timedelta(days=2))}</pubDate></item>"
    blog = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Blog</title><link>https://blog.example/</link>{old}{late}</channel></rss>'
    config = write_config([
        {"id": "ansm", "url": server.add("/ansm.xml", dated_now("ansm_actualites.rss.xml", 2)), "tier": "official"},
        {"id": "blog", "url": server.add("/blog.xml", blog.encode()), "tier": "press"},
    ])
    db = tmp_path / "veille.db"
    assert run_cli(config, db, "collect").exit_code == 0
    assert rows(db, "select count(*) n from items where source_id = 'blog'") == [{"n": 14}]
    data = json.loads(run_cli(config, db, "digest", "--since", "24h", "--format", "json").output)
    titles = [s["title"] for s in data["stories"]]
    assert not [t for t in titles if t.startswith("Billet de blog")]
    assert "Billet récent" in titles
    assert titles[0] == "Rappel de lots de Doliprane 1000 mg comprimés" or data["alerts"]
    # With archive_days 1, the late post is archive too.
    config = write_config(
        [{"id": "ansm", "url": server.add("/ansm.xml", dated_now("ansm_actualites.rss.xml", 2)), "tier": "official"},
         {"id": "blog", "url": server.add("/blog.xml", blog.encode()), "tier": "press"}],
        settings="digest:\n  archive_days: 1\n",
    )
    data = json.loads(run_cli(config, db, "digest", "--since", "24h", "--format", "json").output)
    assert "Billet récent" not in [s["title"] for s in data["stories"]]
    # The old posts are still there to search.
    assert rows(db, "select count(*) n from items_fts where items_fts match 'billet'") == [{"n": 14}]
