"""Deduplication into stories and tagging, through the real collect path."""

from __future__ import annotations

import json

import pytest

from tests.helpers import one, rows, run_cli


@pytest.fixture
def story_db(server, write_config, tmp_path):
    db = tmp_path / "veille.db"
    config = write_config([
        {"id": "egora", "url": server.add_file("/egora.xml", "story_egora.rss.xml"), "tier": "press"},
        {"id": "ansm", "url": server.add_file("/ansm.xml", "story_ansm.rss.xml"), "tier": "official",
         "specialties": "[pharmacologie]"},
        {"id": "vidal", "url": server.add_file("/vidal.xml", "story_vidal.rss.xml"), "tier": "press"},
    ])
    result = run_cli(config, db, "collect")
    assert result.exit_code == 0, result.output
    return config, db


def test_paraphrased_story_across_agency_and_two_outlets(story_db):
    _, db = story_db
    members = rows(db, "select i.source_id, i.story_id from items i where i.title like '%Doliprane%' order by source_id")
    assert [m["source_id"] for m in members] == ["ansm", "egora", "vidal"]
    assert len({m["story_id"] for m in members}) == 1
    story = one(db, "select s.*, i.source_id rep_source from stories s join items i on i.id = s.representative_item_id where s.id = ?", (members[0]["story_id"],))
    assert story["rep_source"] == "ansm"  # official first, whatever arrived first
    assert story["title"].startswith("Rappel de lots de Doliprane 1000 mg")
    assert (story["item_count"], story["source_count"]) == (3, 3)
    links = rows(db, "select similarity, method from story_links where story_id = ?", (members[0]["story_id"],))
    assert len(links) == 2 and all(0 < link["similarity"] <= 1 and link["method"] for link in links)


def test_two_recalls_the_same_day_do_not_merge(story_db):
    _, db = story_db
    doliprane = one(db, "select story_id from items where source_id = 'ansm' and title like '%Doliprane%'")
    spasfon = one(db, "select story_id from items where source_id = 'ansm' and title like '%Spasfon%'")
    assert doliprane["story_id"] != spasfon["story_id"]
    assert one(db, "select count(*) n from stories")["n"] == 3


def test_items_carry_specialties_with_evidence_and_a_type(story_db):
    _, db = story_db
    spasfon = one(db, "select id, item_type from items where title like '%Spasfon%'")
    assert spasfon["item_type"] == "recall"
    tags = {r["specialty"]: json.loads(r["evidence"]) for r in rows(db, "select specialty, evidence from item_specialties where item_id = ?", (spasfon["id"],))}
    assert "pharmacologie" in tags and tags["pharmacologie"]  # the source's own specialty at least
    infarctus = one(db, "select id, item_type from items where title like 'Infarctus%'")
    assert infarctus["item_type"] == "study"
    cardio = one(db, "select score, evidence from item_specialties where item_id = ? and specialty = 'cardiologie'", (infarctus["id"],))
    assert "infarctus" in " ".join(json.loads(cardio["evidence"]))
    assert one(db, "select count(*) n from items where id not in (select item_id from item_specialties)")["n"] == 0
    assert one(db, "select label_fr from specialties where slug = 'cardiologie'")["label_fr"].startswith("Cardiologie")


def test_same_article_through_another_source_updates_story_counts(server, story_db):
    config, db = story_db
    # A Mastodon account links to Vidal's article: same item, one more source.
    server.add("/masto.xml", """<rss version="2.0"><channel><title>m</title>
      <item><title>Rappel Doliprane, lisez Vidal</title><link>https://vidal.fr/actualites/doliprane-1000-rappel-lots.html?utm_source=mastodon</link><guid>m-1</guid></item>
      </channel></rss>""")
    text = config.read_text() + f"  - id: masto\n    name: masto\n    url: {server.url('/masto.xml')}\n    tier: social\n    specialties: [sante-numerique]\n"
    config.write_text(text)
    run_cli(config, db, "collect")
    vidal = one(db, "select id, story_id from items where source_id = 'vidal'")
    assert one(db, "select count(*) n from item_sources where item_id = ?", (vidal["id"],))["n"] == 2
    assert one(db, "select source_count, item_count from stories where id = ?", (vidal["story_id"],)) == {"source_count": 4, "item_count": 3}
    assert one(db, "select evidence from item_specialties where item_id = ? and specialty = 'sante-numerique'", (vidal["id"],))["evidence"] == '["source"]'


def test_retag_is_idempotent(story_db):
    config, db = story_db
    before = rows(db, "select * from item_specialties order by item_id, specialty")
    types = rows(db, "select id, item_type from items order by id")
    result = run_cli(config, db, "retag")
    assert result.exit_code == 0 and "retagged 5 items: 0 changed" in result.output
    assert rows(db, "select * from item_specialties order by item_id, specialty") == before
    assert rows(db, "select id, item_type from items order by id") == types


def test_tag_dry_run():
    from click.testing import CliRunner

    from veille.cli import cli

    out = CliRunner().invoke(cli, ["tag", "--json", "Rappel de lots de Doliprane : défaut de dissolution"]).output
    data = json.loads(out)
    assert data["item_type"] == "recall"
    assert "pharmacologie" in [s["specialty"] for s in data["specialties"]]
    out = CliRunner().invoke(cli, ["tag", "Rappel vaccinal contre la grippe pour les plus de 65 ans"]).output
    assert "type: recall" not in out


def test_items_carry_their_specialties_and_tier_for_browsing(story_db):
    config, db = story_db
    for item in rows(db, "select id, specialties, tier, source_id from items"):
        expected = [r["specialty"] for r in rows(db, "select specialty from item_specialties where item_id = ? order by specialty", (item["id"],))]
        assert json.loads(item["specialties"]) == expected
        assert item["tier"] == one(db, "select tier from sources where id = ?", (item["source_id"],))["tier"]
    # A tier changed in feeds.yaml follows on the items.
    config.write_text(config.read_text().replace("tier: press", "tier: society"))
    run_cli(config, db, "collect")
    assert {r["tier"] for r in rows(db, "select tier from items where source_id = 'vidal'")} == {"society"}


def test_purging_a_source_recomputes_its_stories(story_db):
    config, db = story_db
    story = one(db, "select story_id from items where source_id = 'ansm' and title like '%Doliprane%'")["story_id"]
    out = run_cli(config, db, "sources", "remove", "ansm", "--purge").output
    assert "purged 2 items" in out
    row = one(db, "select s.item_count, s.source_count, i.source_id from stories s join items i on i.id = s.representative_item_id where s.id = ?", (story,))
    assert row == {"item_count": 2, "source_count": 2, "source_id": "vidal"}  # the earliest press item now
    assert rows(db, "select id from stories where representative_item_id not in (select id from items)") == []
