"""A follow-up published after a story's span is a new story that says which one it continues
("suite de", issue 10): stored by the real collect path and shown on /histoires/<id>; a member
that names the story in other words (another language) says so in its link."""

from __future__ import annotations

import asyncio

from markupsafe import escape

from tests.helpers import rows, run_cli
from veille.webapp import make_datasette


def rss(*items: tuple[str, str, str]) -> bytes:
    body = "".join(f"<item><title>{t}</title><link>https://x.example/{slug}</link><pubDate>{when}</pubDate></item>"
                   for slug, t, when in items)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>https://x.example/</link>{body}</channel></rss>'.encode()


PRESS = rss(
    ("mpox-press", "Mpox clade Ib : un premier cas confirmé à Lyon", "Mon, 02 Mar 2026 09:00:00 +0000"),
    ("amr-fr", "Antibiorésistance : 5 500 décès par an en France, selon un rapport", "Mon, 02 Mar 2026 10:00:00 +0000"),
)
OFFICIAL = rss(
    ("mpox-ars", "Mpox clade Ib : un premier cas confirmé à Lyon", "Wed, 04 Mar 2026 09:00:00 +0000"),
    # Three and a half days after the story's first item: beyond its span, a story of its own.
    ("mpox-later", "Mpox clade Ib : un premier cas confirmé à Lyon, suivi des contacts", "Thu, 05 Mar 2026 21:00:00 +0000"),
    ("amr-en", "Antimicrobial resistance causes 5,500 deaths a year in France, report finds", "Mon, 02 Mar 2026 16:00:00 +0000"),
)


def collected(server, write_config, tmp_path):  # noqa: ANN001, ANN201
    """The press feed collected, then the agency's: the database and each item's story, by the
    last part of its URL. (Two collects: one collect fetches sources concurrently, and which
    feed comes first would decide which item starts the story.)"""
    press = {"id": "presse", "name": "Presse", "url": server.add("/press.xml", PRESS), "tier": "press"}
    agency = {"id": "ars", "name": "ARS", "url": server.add("/ars.xml", OFFICIAL), "tier": "official"}
    db = tmp_path / "veille.db"
    assert run_cli(write_config([press]), db, "collect").exit_code == 0
    assert run_cli(write_config([press, agency]), db, "collect").exit_code == 0
    return db, {r["url"].rsplit("/", 1)[1]: r["story_id"] for r in rows(db, "select url, story_id from items")}


def test_a_follow_up_links_to_the_story_it_continues(server, write_config, tmp_path):
    db, story = collected(server, write_config, tmp_path)
    first, later = story["mpox-press"], story["mpox-later"]
    assert story["mpox-ars"] == first and later != first
    (row,) = rows(db, "select follows_story_id from stories where id = ?", (later,))
    assert row["follows_story_id"] == first
    (earlier,) = rows(db, "select title from stories where id = ?", (first,))

    app = make_datasette(db)
    page = asyncio.run(app.client.get(f"/histoires/{later}")).text
    assert f'Suite de l\'histoire : <a href="/histoires/{first}">{escape(earlier["title"])}</a>' in page
    page = asyncio.run(app.client.get(f"/histoires/{first}")).text
    assert "Suite de l'histoire :" not in page
    (follow_up,) = rows(db, "select title from stories where id = ?", (later,))
    assert f'Suites de l\'histoire : <a href="/histoires/{later}">{escape(follow_up["title"])}</a>' in page
    assert "Suites de l'histoire" not in asyncio.run(app.client.get(f"/histoires/{later}")).text


def test_follow_ups_are_found_by_an_index(server, write_config, tmp_path):
    import sqlite3

    db, _ = collected(server, write_config, tmp_path)
    plan = sqlite3.connect(db).execute(
        "explain query plan select id, title from stories where follows_story_id = ? order by first_seen_at, id", ["x"]
    ).fetchall()
    assert any("USING INDEX" in row[-1] and "follows_story_id" in row[-1] for row in plan), plan


def test_a_member_named_in_other_words_says_so(server, write_config, tmp_path):
    db, story = collected(server, write_config, tmp_path)
    assert story["amr-fr"] == story["amr-en"]
    (link,) = rows(db, "select method, reason from story_links where story_id = ?", (story["amr-fr"],))
    assert "+concept" in link["method"] and "dit en d'autres mots" in link["reason"]
    page = asyncio.run(make_datasette(db).client.get(f"/histoires/{story['amr-fr']}")).text
    assert "Relié à l'histoire : titres proches, une même notion en d&#39;autres mots (" in page
