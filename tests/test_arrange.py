"""The arrangement rules shared by the digest and La une: news by publication date (archive
rule), who may raise an alert, mute predicates. Pure functions on frozen dataclasses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from veille.arrange import (
    Entry,
    Period,
    SourceRef,
    alert_issuer,
    arrange,
    is_archive,
    is_news,
    quoted_agency,
)

NOW = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)  # a frozen clock: none of this reads the real one
DAY = Period(NOW - timedelta(days=1), NOW, "2026-11-27")
ANSM = SourceRef("ansm", "ANSM", "official")
EGORA = SourceRef("egora", "Egora", "press")
LANCET = SourceRef("lancet", "The Lancet", "journal")
SOCIAL = SourceRef("someone", "@someone", "social")


def entry(story: str, source: SourceRef, item_type: str = "news", title: str = "Titre", summary: str = "",
          also: tuple[SourceRef, ...] = (), specialties: tuple[str, ...] = ()) -> Entry:
    return Entry(story, title, None, source, NOW - timedelta(hours=2), specialties, item_type, also, summary=summary)


@pytest.mark.parametrize(
    ("published", "seen", "news"),
    [
        (NOW - timedelta(hours=3), NOW - timedelta(hours=2), True),  # published and seen today
        (NOW - timedelta(days=2), NOW - timedelta(hours=2), True),  # a late arrival, within 3 days
        (NOW - timedelta(days=4), NOW - timedelta(hours=2), False),  # archive: seen 4 days later
        (datetime(2012, 3, 1, tzinfo=UTC), NOW - timedelta(hours=2), False),  # an old blog post
        (NOW - timedelta(days=2), NOW - timedelta(days=2), False),  # yesterday's news, seen then
        (NOW + timedelta(hours=1), NOW + timedelta(hours=1), False),  # tomorrow's
        (NOW - timedelta(hours=1), NOW - timedelta(hours=1), True),  # no date: published = seen
    ],
)
def test_news_by_publication_date(published, seen, news):
    assert is_news(published, seen, DAY) is news


def test_archive_limit_is_a_setting():
    published, seen = NOW - timedelta(days=2), NOW - timedelta(hours=1)
    assert not is_archive(published, seen, 3) and is_archive(published, seen, 1)
    assert not is_news(published, seen, DAY, archive_days=1)


def test_alert_box_only_from_an_issuing_tier():
    # Official: the source itself.
    assert alert_issuer(entry("a", ANSM, "recall")) == "ANSM"
    # Press relaying a story an official source also carried: the official source.
    assert alert_issuer(entry("b", EGORA, "shortage", also=(ANSM,))) == "ANSM"
    # Press quoting an agency by name: the agency, and who quoted it.
    assert alert_issuer(entry("c", EGORA, "recall", "Doliprane : l'ANSM rappelle des lots")) == "ANSM, cité par Egora"
    assert alert_issuer(entry("c", EGORA, "safety", "Valproate", "Selon la FDA, ..."), "en") == "FDA, quoted by Egora"
    # Press without an agency, journals and social accounts: not in the box.
    assert alert_issuer(entry("d", EGORA, "recall", "Rappel de lots de compotes")) is None
    assert alert_issuer(entry("e", LANCET, "safety", "EMA review of valproate")) is None
    assert alert_issuer(entry("f", SOCIAL, "recall", "L'ANSM rappelle des lots")) is None
    # Not an alert type.
    assert alert_issuer(entry("g", ANSM, "guideline")) is None


def test_agency_acronyms_are_case_sensitive():
    assert quoted_agency("La HAS publie") == "HAS" and quoted_agency("he has said") is None
    assert quoted_agency("La Haute Autorité de santé recommande") == "HAS"
    assert quoted_agency("who knows") is None and quoted_agency("WHO warns") == "OMS"
    assert quoted_agency("Un avis de Santé publique France") == "Santé publique France"


def test_arrange_alerts_say_where_they_come_from_and_keep_hook_mutes():
    entries = [
        entry("a", ANSM, "recall", specialties=("pharmacologie",)),
        entry("b", EGORA, "recall", "Rappel de lots de compotes", specialties=("pediatrie",)),
        entry("c", EGORA, "shortage", "Amoxicilline : l'ANSM annonce des tensions", specialties=("infectiologie",)),
    ]
    digest = arrange(entries, DAY)
    assert [(e.story_id, e.alert_from) for e in digest.alerts] == [("a", "ANSM"), ("c", "ANSM, cité par Egora")]
    assert not next(e for e in digest.entries if e.story_id == "b").alert
    muted = arrange(entries, DAY, keep=[lambda e: "compotes" not in e.title, lambda e: e.source.id != "ansm"])
    assert [e.story_id for e in muted.entries] == ["c"]
    assert dict(muted.specialty_counts) == {"infectiologie": 1}


def test_layers_import_downwards_only():
    """digest -> mail -> render -> arrange/news: no module imports one above it (no cycle)."""
    import ast
    from pathlib import Path

    package = Path(__file__).resolve().parent.parent / "veille"
    above = {
        "arrange": {"news", "render", "mail", "digest", "plugins", "serve"},
        "news": {"render", "mail", "digest", "plugins", "serve"},
        "render": {"mail", "digest", "plugins", "serve"},
        "mail": {"digest", "plugins", "serve"},
    }
    for module, forbidden in above.items():
        tree = ast.parse((package / f"{module}.py").read_text(encoding="utf-8"))
        imported = {
            node.module.split(".")[1] for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("veille.")
        }
        assert not imported & forbidden, (module, imported & forbidden)


def test_pure_helpers_of_the_reading_room():
    from veille.plugins.labels import canonical_specialty, canonical_type, parse_date
    from veille.plugins.public import redact
    from veille.plugins.reading_room import chosen_specialty
    from veille.story import link_reason

    assert chosen_specialty({"specialite": "pediatrie"}, "cardiologie") == ("pediatrie", True)
    assert chosen_specialty({}, "cardiologie") == ("cardiologie", False)
    assert chosen_specialty({"specialite": ""}, "cardiologie") == (None, True)
    assert chosen_specialty({}, "nope") == (None, False)
    assert link_reason("title-tokens+rapidfuzz+summary-names", 0.8234) == "titres et résumés proches (0,82 ; noms propres différents)"
    assert link_reason("title-tokens", 1.0) == "titres proches (1,00)"
    assert link_reason("title-tokens-product", 0.6) == "titres proches (0,60 ; un seul titre nomme un médicament)"
    # Every part of a method is said in French, none shown as it is written ("+local", "-brand").
    assert link_reason("title-tokens+summary+local", 1.0) == (
        "titres et résumés proches (1,00 ; même maladie ou même médicament, au même endroit ou avec le même chiffre)"
    )
    assert link_reason("title-tokens+concept-brand", 0.7) == (
        "titres proches, une même notion en d'autres mots (0,70 ; un seul titre nomme une marque)"
    )
    assert parse_date("25/11/2026") == parse_date("2026-11-25") == parse_date("25.11.2026") == "2026-11-25"
    assert parse_date("32/13/2026") is None and parse_date("demain") is None
    assert canonical_specialty("Pédiatrie") == canonical_specialty("PEDIATRIE") == "pediatrie"
    assert canonical_specialty("Endocrinologie") == "endocrinologie" and canonical_specialty("") == ""
    assert canonical_type("rappel") == canonical_type("Rappel") == canonical_type("recall") == "recall"
    assert canonical_type("Rupture ou tension") == canonical_type("pénurie") == "shortage"
    assert redact("http://u:p@h.example/f?token=abc&x=1&apikey=k") == "http://h.example/f?token=***&x=1&apikey=***"
    assert redact("https://h.example/?keyword=1&monkey=2") == "https://h.example/?keyword=1&monkey=2"
