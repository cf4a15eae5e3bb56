"""The glossary's categories widened in round stories (issue 10): parts of the body, units of
time, medical acronyms and their names, health-news words. Pairs from the misses of dev,
heldout5 and heldout6 now join; two organs, or two groups of people, are two stories; the same
words gain nothing."""

from __future__ import annotations

import importlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from veille.dedup import StoryDoc, StoryIndex, conflict, features
from veille.dedup.concepts import ORGAN, PEOPLE, organs, parse_glossary, people_groups, phrases
from veille.dedup.similarity import Weights, score
from veille.dedup.text import clean_title

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def doc(item_id: str, title: str, hours: float = 0.0) -> StoryDoc:
    return StoryDoc(item_id, item_id, "press", title, "", T0 + timedelta(hours=hours))


def pair(a: str, b: str) -> tuple[float, str]:
    return score(features(doc("a", a)), features(doc("b", b)), Weights())


def words_only(a: str, b: str) -> float:
    return score(replace(features(doc("a", a)), concepts=()), replace(features(doc("b", b)), concepts=()), Weights())[0]


def test_organ_lines_have_their_own_ids():
    table = parse_glossary(["[organ] sein | breast", "dépistage | screening", "[people old] seniors | elderly"])
    assert table[("sein",)] == table[("breast",)] == ORGAN + "sein"
    assert table[("elderly",)] == PEOPLE + "old:senior"
    assert table[("screening",)] == "~depistage"
    assert organs([(ORGAN + "sein", frozenset()), ("~depistage", frozenset())]) == {ORGAN + "sein"}


def test_packaged_categories():
    table = phrases()
    assert table[("cervical",)] == table[("col", "uteru")]  # an organ
    assert table[("month",)] == table[("moi",)]  # a unit of time (final "s" dropped)
    assert table[("htap",)] == table[("pulmonary", "arterial", "hypertension")]  # an acronym
    assert table[("plfs",)] == table[("budget", "secu")]  # a same-language paraphrase
    assert table[("data", "breach")] == table[("fuite", "donnee")]


@pytest.mark.parametrize(
    "a, b",
    [
        # heldout6's misses, one of each class
        ("Dépistage du cancer du col de l'utérus : l'autoprélèvement proposé à domicile",
         "Cervical cancer screening: France to mail self-sampling kits to women"),
        ("Tranexamic acid in hip fracture surgery: a randomised controlled trial",
         "Fracture de hanche : l'acide tranexamique réduit les transfusions"),
        ("Sotatercept : avis favorable de la HAS au remboursement dans l'hypertension artérielle pulmonaire",
         "HTAP : le sotatercept bientôt remboursé"),
        ("PLFSS 2027 : l'Assemblée adopte le budget de la Sécurité sociale en première lecture",
         "Budget de la Sécu 2027 : feu vert des députés en première lecture"),
        ("Fuite de données : 750 000 patients concernés chez un éditeur de logiciels médicaux",
         "Data breach exposes records of 750,000 French patients"),
        # heldout6: a shortage and a release form in other words
        ("Tensions d'approvisionnement : Venlafaxine 75 mg, gélule à libération prolongée",
         "Toujours pas de venlafaxine 75 LP dans notre officine, les patients inquiets #pharmacie"),
        # an optional plural in parentheses, and a launch in other words
        ("Mois sans tabac 2026 : coup d'envoi de la 11e édition le 1er novembre",
         "Moi(s) sans tabac : la 11e édition démarre ce samedi"),
    ],
)
def test_widened_categories_join_paraphrases(a, b, monkeypatch):
    value, method = pair(a, b)
    assert "+concept" in method
    # the words alone, without the glossary nor the local gain of round stories-r3 (one drug and
    # one figure: "Venlafaxine 75 mg" / "venlafaxine 75 LP"), stay under the threshold
    monkeypatch.setattr(importlib.import_module("veille.dedup.similarity"), "LOCAL_BONUS", 0.0)
    assert value >= 0.45 > words_only(a, b)


@pytest.mark.parametrize(
    "a, b",
    [
        ("Cancer du sein : le dépistage dès 40 ans", "Cancer de la prostate : le dépistage dès 40 ans"),
        ("Breast cancer screening from age 40", "Cancer de la prostate : dépistage dès 40 ans"),
        ("Prothèse de hanche : un rappel de lots", "Prothèse de genou : un rappel de lots"),
    ],
)
def test_two_organs_are_two_stories(a, b):
    assert conflict(features(doc("a", a)), features(doc("b", b))) == "organs"
    index = StoryIndex()
    first, _ = index.assign(doc("a", a))
    second, found = index.assign(doc("b", b, hours=1))
    assert found is None and first != second


def test_one_organ_in_two_languages_is_no_conflict():
    a, b = "Cancer colorectal : le test de dépistage envoyé à domicile", "Colon cancer screening: home test kits mailed"
    assert conflict(features(doc("a", a)), features(doc("b", b))) is None
    assert "+concept" in pair(a, b)[1]


def test_the_same_words_gain_nothing():
    a, b = "Cancer du sein : un dépistage dès 40 ans", "Cancer du sein : le dépistage recommandé dès 40 ans"
    assert pair(a, b)[0] == words_only(a, b)


@pytest.mark.parametrize(
    "title, plain",
    [
        ("Moi(s) sans tabac : la 11e édition", "Mois sans tabac : la 11 edition"),
        ("Les étudiant(e)s en médecine", "Les etudiantes en medecine"),
        ("Patient·es et soignant·e·s", "Patientes et soignantes"),
        ("COVID(19) : un test (s) rapide", "COVID(19) : un test (s) rapide"),  # not inclusive writing
    ],
)
def test_inclusive_writing_and_optional_plurals_are_plain_words(title, plain):
    assert clean_title(title) == plain


def test_two_groups_of_people_are_two_stories():
    # heldout6's false pair: two aspirin trials, in older adults and in pregnancies.
    a = "Aspirine en prévention primaire chez les seniors : toujours pas de bénéfice à 10 ans"
    b = "Aspirin to prevent preeclampsia in high-risk pregnancies: a multicentre trial"
    assert conflict(features(doc("a", a)), features(doc("b", b))) == "people"


def test_infants_and_children_are_one_group():
    a = features(doc("a", "Bronchiolite : le nirsévimab a évité 5 800 hospitalisations de nourrissons"))
    b = features(doc("b", "Bronchiolite : 5 800 hospitalisations d'enfants évitées grâce au nirsévimab"))
    assert people_groups(a.concepts) == people_groups(b.concepts) == {"young"}
    assert conflict(a, b) is None


@pytest.mark.parametrize(
    "longer, shorter",
    [
        ("Fièvre typhoïde : cas importés après un séjour au Pakistan", "Typhoïde : des voyageurs revenus du Pakistan contaminés"),
        ("Acide alendronique : rappel des règles de prise", "Alendronate : l'ANSM rappelle les règles de prise"),
    ],
)
def test_a_longer_name_of_one_concept_is_not_extra_words(longer, shorter):
    # heldout2's miss: "fièvre" weighed as a word "Typhoïde" lacks, though both name one concept.
    value = pair(longer, shorter)[0]
    assert value > words_only(longer, shorter)
    assert pair(shorter, longer)[0] == value  # symmetric
