"""Stories you can trust: one test for each way clustering failed on realistic streams (issue 10).

Pure decisions first, then the whole path: feeds over HTTP on 127.0.0.1, a real SQLite file, and
`veille restory`. Dates are relative to now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from tests.helpers import collect_all, rows, run_cli
from veille.dedup import StoryDoc, StoryIndex, clean_title, conflict, features, fold, similarity
from veille.normalise import identifies_article, item_id, item_lang
from veille.restory import restory
from veille.store import Store

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def doc(item_id: str, title: str, hours: float = 0.0, *, tier: str = "press", seen: float | None = None) -> StoryDoc:
    return StoryDoc(item_id, item_id, tier, title, "", T0 + timedelta(hours=hours),
                    seen_at=None if seen is None else T0 + timedelta(hours=seen))


def stories_of(index: StoryIndex, docs: list[StoryDoc]) -> dict[str, str]:
    return {d.item_id: index.assign(d)[0] for d in docs}


# --- Window from each item's own date ----------------------------------------------------------


def test_backfill_clusters_items_older_than_the_newest_seen():
    """A first collect: today's items first, then two outlets' story of twelve days ago."""
    index = StoryIndex()
    today = [doc(f"new{i}", f"Sujet du jour numéro {i} : la région Bretagne lance un plan", 12 * 24 + i, seen=12 * 24 + 10) for i in range(5)]
    old = [
        doc("old-a", "Rappel de lots de Ventoline 100 µg pour défaut de valve", 0, tier="official", seen=12 * 24 + 11),
        doc("old-b", "Ventoline 100 µg : des lots rappelés pour un défaut de valve", 5, seen=12 * 24 + 11),
    ]
    got = stories_of(index, today + old)
    assert got["old-a"] == got["old-b"]


def test_future_dated_source_does_not_evict_the_others():
    index = StoryIndex()
    a = doc("a", "Légionellose : cas groupés à Grenoble, enquête de l'ARS", 0, seen=1)
    future = doc("future", "Un tout autre sujet publié dans le futur : le budget de la Sécu", 24 * 9, seen=2)
    b = doc("b", "Grenoble : des cas groupés de légionellose, l'ARS enquête", 3, seen=3)
    got = stories_of(index, [a, future, b])
    assert got["a"] == got["b"]


# --- Core, not chains; bounded span --------------------------------------------------------------


def test_follow_ups_do_not_chain_into_one_story():
    index = StoryIndex()
    docs = [
        doc("d1", "Dengue : premier cas autochtone confirmé à Lyon", 0, tier="official"),
        doc("d1b", "Lyon : un premier cas de dengue autochtone confirmé", 5),
        doc("d4", "Dengue : deuxième cas autochtone confirmé à Lyon", 24 * 3.5, tier="official"),
        doc("d4b", "Un deuxième cas de dengue autochtone à Lyon", 24 * 3.6),
    ]
    got = stories_of(index, docs)
    assert got["d1"] == got["d1b"]
    assert got["d4"] == got["d4b"]
    assert got["d1"] != got["d4"]


def test_a_story_spans_at_most_its_span_and_a_late_follow_up_names_the_earlier_story():
    index = StoryIndex(window=timedelta(days=5), span=timedelta(days=3))
    first = doc("first", "Mpox : la HAS actualise ses recommandations vaccinales", 0, tier="official")
    later = doc("later", "Mpox : la HAS actualise ses recommandations vaccinales", 24 * 4)
    s1, _ = index.assign(first)
    s2, match = index.assign(later)
    assert s1 != s2 and match is None
    assert index.follows("later") == s1


def test_an_item_joins_through_the_core_not_through_any_single_member():
    index = StoryIndex()
    core = doc("core", "Pénurie d'amoxicilline pédiatrique : les recommandations de l'ANSM", 0, tier="official")
    member = doc("member", "Amoxicilline pédiatrique : l'ANSM publie des recommandations contre la pénurie", 1)
    # Shares words with the member only, not with the core.
    drift = doc("drift", "L'ANSM publie des recommandations contre la pénurie de dispositifs", 2)
    got = stories_of(index, [core, member, drift])
    assert got["member"] == got["core"]
    assert got["drift"] != got["core"]
    index2 = StoryIndex()
    index2.assign(core)
    _, match = index2.assign(member)
    assert match is not None and match.rule == "core"


# --- Never two products, editions, places --------------------------------------------------------

RECALLS = ["Levothyrox 100 µg", "Ventoline 100 µg", "Amoxicilline 500 mg", "Dafalgan 1 g",
           "Kardegic 75 mg", "Spasfon 80 mg", "Doliprane 1000 mg", "Eliquis 5 mg"]


def test_eight_recalls_of_eight_drugs_are_eight_stories():
    index = StoryIndex()
    docs = [doc(f"r{i}", f"Rappel de lot : {name}", i, tier="official") for i, name in enumerate(RECALLS)]
    got = stories_of(index, docs)
    assert len(set(got.values())) == 8


def test_brand_and_its_substance_may_match_two_brands_never():
    assert conflict(features(doc("a", "Rappel de Doliprane 1000 mg")), features(doc("b", "Rappel de Dafalgan 1000 mg"))) == "products"
    assert conflict(features(doc("a", "Rappel de Doliprane 1000 mg")), features(doc("b", "Rappel de paracétamol 1000 mg"))) is None


@pytest.mark.parametrize(
    "a, b, why",
    [
        ("Point épidémiologique grippe, semaine 47", "Point épidémiologique grippe, semaine 48", "edition"),
        ("Rappel de Ventoline 100 µg, lot 24A0312", "Rappel de Ventoline 100 µg, lot 24B0457", "edition"),
        ("Rappel de lot : Xarelto 20 mg", "Rappel de lot : Xarelto 15 mg", "doses"),
        ("Légionellose : cluster de cas à Lyon", "Légionellose : cluster de cas à Grenoble", "places"),
        ("Dengue : 2 000 cas importés depuis janvier", "Dengue : 500 cas importés depuis janvier", "quantities"),
        ("Mpox : l'épidémie s'étend, selon l'OMS", "Choléra : l'épidémie s'étend, selon l'OMS", "diseases"),
        ("Tabac : le paquet à 13 € au 1er janvier", "Tabac : le paquet à 14 euros au 1er janvier", "doses"),
    ],
)
def test_different_editions_doses_and_places_never_match(a, b, why):
    score, method = similarity(doc("a", a), doc("b", b))
    assert score == 0.0 and method.endswith(why)
    index = StoryIndex()
    assert index.assign(doc("a", a))[0] != index.assign(doc("b", b, 24 * 7 if why == "edition" else 1))[0]


def test_a_country_and_a_city_inside_it_are_compatible():
    assert conflict(features(doc("a", "Mpox : premier cas de clade Ib en France")),
                    features(doc("b", "Mpox : premier cas de clade Ib à Lyon"))) is None


# --- Normalisation -------------------------------------------------------------------------------


def test_number_formats_are_one_number():
    assert {fold(x) for x in ("12 000 cas", "12,000 cas", "12.000 cas", "12000 cas", "12\u202f000 cas")} == {"12000 cas"}
    assert fold("1,5 mg") == fold("1.5 mg") == "1d5 mg"
    assert fold("premier cas") == fold("1er cas") == fold("1re cas") == "1 cas"
    assert fold("first case") == "1 case" and fold("deuxième cas") == fold("2e cas") == "2 cas"
    assert fold("trois cas") == fold("3 cas") and fold("three cases") == "3 cases"


def test_social_prefixes_handles_hashtags_site_suffixes_and_rubrics_are_stripped():
    assert clean_title("RT @ANSM_fr: Rappel de lot : Doliprane 500 mg #pharmacie #rappel") == "Rappel de lot : Doliprane 500 mg"
    assert clean_title("@DrMartin Très bonne synthèse de la HAS") == "Tres bonne synthese de la HAS"
    assert clean_title("Bronchiolite : bulletin hebdomadaire | Site officiel du ministère") == "Bronchiolite : bulletin hebdomadaire"
    assert clean_title("Le point sur : la nouvelle doctrine vaccinale contre le mpox") == "la nouvelle doctrine vaccinale contre le mpox"
    assert clean_title("Q&A: what the new measles figures mean") == "what the new measles figures mean"
    assert clean_title("Dengue à Montpellier - Le Quotidien du Médecin") == "Dengue a Montpellier"
    assert clean_title("#rappel") == "#rappel"  # nothing else: kept whole
    a = doc("a", "RT @ANSM_fr: Rappel de lot : Doliprane 500 mg, gélule")
    b = doc("b", "Rappel de lot : Doliprane 500 mg, gélule | ANSM")
    assert similarity(a, b)[0] == pytest.approx(1.0)


def test_bare_homepage_urls_are_not_identity_keys():
    assert not identifies_article("https://www.example-agency.org/")
    assert not identifies_article("https://www.example-agency.org/actualites/")
    assert identifies_article("https://www.example-agency.org/actualites/rappel-doliprane")
    assert identifies_article("https://www.example-agency.org/?p=123")
    home = "https://www.example-agency.org/"
    assert item_id("src", "post-1", home) != item_id("src", "post-2", home)
    assert item_id("a", "x", "https://e.org/article-1") == item_id("b", "y", "https://e.org/article-1")


def test_wrong_declared_language_is_corrected_from_the_text():
    assert item_lang("en", "Rappel de lots de Doliprane : les pharmaciens sont invités à retirer les boîtes de la vente") == "fr"
    assert item_lang("fr", "The agency says that the recall of the batches is a precaution for patients") == "en"
    assert item_lang("en", "Doliprane 1000 mg") == "en"  # too little text: the feed is believed
    assert item_lang(None, "Les cas de rougeole sont en hausse dans la région") == "fr"


# --- The whole path ------------------------------------------------------------------------------


def rss(items: list[tuple[str, str, datetime]], lang: str = "fr") -> str:
    entries = "".join(
        f"<item><title>{t}</title><link>{link}</link>{'' if link.endswith('/') else f'<guid>{link}</guid>'}"
        f"<pubDate>{format_datetime(d)}</pubDate></item>"
        for t, link, d in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><language>{lang}</language>{entries}</channel></rss>'


def test_collect_backfill_two_outlets_twelve_days_ago_share_a_story_and_restory_is_idempotent(server, write_config, db):
    now = datetime.now(UTC).replace(microsecond=0)
    old = now - timedelta(days=12)
    server.add("/agency.xml", rss([
        ("Rappel de lots de Ventoline 100 µg pour défaut de valve", "https://agency.example.org/rappel-ventoline", old),
        ("Rappel de lot : Levothyrox 100 µg", "https://agency.example.org/rappel-levothyrox", old + timedelta(hours=1)),
        ("Rappel de lot : Kardegic 75 mg", "https://agency.example.org/rappel-kardegic", now - timedelta(hours=2)),
    ]))
    server.add("/outlet.xml", rss([
        ("Ventoline 100 µg : des lots rappelés pour un défaut de valve", "https://outlet.example.org/ventoline", old + timedelta(hours=6)),
        ("Aujourd'hui : la grève des urgentistes continue à Marseille", "https://outlet.example.org/greve", now - timedelta(hours=1)),
        ("Un sujet sans lien publié sur la page d'accueil", "https://outlet.example.org/", now - timedelta(hours=3)),
        ("Un autre sujet qui renvoie vers l'accueil", "https://outlet.example.org/", now - timedelta(hours=4)),
    ], lang="en"))
    config = write_config([
        {"id": "agency", "url": server.url("/agency.xml"), "tier": "official"},
        {"id": "outlet", "url": server.url("/outlet.xml")},
    ])
    # Today's items first (the outlet), then the agency's two-week backlog.
    collect_all(config, db, "outlet")
    collect_all(config, db, "agency")
    items = {r["title"]: r for r in rows(db, "select title, story_id, lang from items")}
    assert len(items) == 7  # the two homepage posts stay two items
    ventoline = [r["story_id"] for t, r in items.items() if "Ventoline" in t]
    assert len(ventoline) == 2 and ventoline[0] == ventoline[1]
    assert items["Un sujet sans lien publié sur la page d'accueil"]["lang"] == "fr"  # declared en
    links = rows(db, "select rule, reason from story_links")
    assert links and all(r["rule"] in ("core", "members") and "similarité" in r["reason"] for r in links)
    story = rows(db, "select title, lang, item_count from stories where id = ?", (ventoline[0],))[0]
    assert story == {"title": "Rappel de lots de Ventoline 100 µg pour défaut de valve", "lang": "fr", "item_count": 2}

    result = run_cli(config, db, "restory")
    assert result.exit_code == 0 and "7 items" in result.output
    before = rows(db, "select id, story_id from items order by id")
    assert len({r["story_id"] for r in before}) == 6  # the Ventoline pair still shares one
    assert run_cli(config, db, "restory").exit_code == 0
    assert rows(db, "select id, story_id from items order by id") == before
    run_cli(config, db, "restory", "--since", (now - timedelta(days=1)).date().isoformat())
    assert rows(db, "select id, story_id from items order by id") == before
    bad = run_cli(config, db, "restory", "--since", "yesterday")
    assert bad.exit_code == 2 and "not a date" in bad.output


def test_restory_separates_what_old_rules_merged(db):
    """Stories stored by older rules (two recalls of two drugs in one story) are split."""
    with Store(str(db)) as store:
        with store.immediate() as conn:
            conn.execute("insert into sources (id, name, url, tier) values ('s', 's', 'https://e.org/f', 'official')")
            for n, name in enumerate(["Levothyrox 100 µg", "Ventoline 100 µg"]):
                conn.execute(
                    "insert into items (id, source_id, guid, title, summary, content, published_at, fetched_at, "
                    "content_hash, tier, story_id) values (?, 's', ?, ?, '', '', ?, ?, ?, 'official', 'sold')",
                    [f"i{n}", f"g{n}", f"Rappel de lot : {name}", f"2026-03-0{n + 1}T08:00:00Z", "2026-03-05T08:00:00Z", f"h{n}"],
                )
            conn.execute("insert into stories (id, title, item_count) values ('sold', 'x', 2)")
            count, stories = restory(conn)
        assert (count, stories) == (2, 2)
        assert {r[0] for r in store.db.execute("select id from stories")} == {r[0] for r in store.db.execute("select story_id from items")}
