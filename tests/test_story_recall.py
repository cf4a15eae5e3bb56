"""Story recall on real-style timelines (issue 10, round stories-recall): the same story written
with numbers in words, units glued to their numbers, other names of a place; and the guards that
keep two stories apart when these readings meet. Pure decisions, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from veille.dedup import StoryDoc, clean_title, conflict, features, fold, similarity
from veille.dedup.text import number_value

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def doc(item_id: str, title: str) -> StoryDoc:
    return StoryDoc(item_id, item_id, "press", title, "", T0)


# --- Numbers written as words ------------------------------------------------------------------


@pytest.mark.parametrize(("words", "digits"), [
    ("quatorze cas", "14 cas"),
    ("quarante-sept mille cas", "47000 cas"),
    ("mille deux cents intoxications", "1200 intoxications"),
    ("cent vingt personnes", "120 personnes"),
    ("vingt et un décès", "21 deces"),
    ("soixante-dix-sept cas", "77 cas"),
    ("quatre-vingts cas", "80 cas"),
    ("quatre-vingt-dix-neuf cas", "99 cas"),
    ("deux cent mille euros", "200000 euros"),
    ("fourteen cases", "14 cases"),
    ("forty-seven thousand cases", "47000 cases"),
    ("twenty-one deaths", "21 deaths"),
    ("seven hospitalised", "7 hospitalised"),
])
def test_numbers_in_words_are_numbers(words: str, digits: str) -> None:
    assert fold(words) == digits


def test_what_is_not_one_number_stays_words() -> None:
    assert fold("un cas") == "un cas" and fold("one case") == "one case"  # articles as often as numbers
    assert fold("tous les six mois") == "tous les six mois"  # "twice yearly"
    assert fold("le Pont-Neuf") == "le pont neuf"  # not before a noun
    assert number_value(["deux", "trois"]) is None and number_value(["dix", "vingt"]) is None


def test_a_count_in_words_and_in_digits_is_one_story() -> None:
    a = doc("a", "Leptospirose en Guyane : 14 cas graves depuis septembre")
    b = doc("b", "Guyane : quatorze cas graves de leptospirose depuis septembre")
    assert similarity(a, b)[0] >= 0.8
    c = doc("c", "Guyane : quinze cas graves de leptospirose depuis septembre")
    assert conflict(features(b), features(c)) == "quantities"


# --- Units and scales against their number -----------------------------------------------------


def test_glued_units_and_scales_are_spelt_out() -> None:
    assert fold("ramipril 10mg capsules") == fold("ramipril 10 mg capsules")
    assert fold("7.2m patients") == fold("7,2 million patients") == "7d2 million patients"
    assert fold("10 M€ pour la recherche") == "10 millions euros pour la recherche"
    assert fold("1,5 Md€") == "1d5 milliards euros"
    a = features(doc("a", "Class 2 recall: Ramipril 10 mg capsules"))
    b = features(doc("b", "MHRA recalls batches of ramipril 10mg capsules"))
    assert a.numbers & b.numbers and a.doses == b.doses


def test_a_billion_is_a_milliard() -> None:
    assert features(doc("a", "NHS gets £1bn")).title.keys() & features(doc("b", "1 milliard pour le NHS")).title.keys() >= {"millia"}


def test_mumps_is_oreillons_for_the_diseases_veto() -> None:
    a = features(doc("a", "Oreillons : recrudescence chez les étudiants"))
    b = features(doc("b", "Mumps outbreak among university students"))
    assert a.diseases == b.diseases and conflict(a, b) is None


# --- Places: old regions, a region and what is inside it, one place in two languages ------------


def test_old_regions_are_places_and_two_regions_are_two_stories() -> None:
    a = features(doc("a", "Épidémie de varicelle : fin de l'épidémie en Centre-Val de Loire"))
    b = features(doc("b", "Épidémie de varicelle : fin de l'épidémie en Bourgogne"))
    assert "bourgogne" in b.places and "centre val de loire" in a.places
    assert conflict(a, b) == "places"


def test_a_region_and_the_places_inside_it_are_compatible() -> None:
    limousin = features(doc("a", "Méthémoglobinémie : cinq nourrissons hospitalisés dans le Limousin"))
    inside = features(doc("b", "Méthémoglobinémie : cinq cas graves en Haute-Vienne et Corrèze"))
    outside = features(doc("c", "Méthémoglobinémie : cinq cas graves en Gironde"))
    assert conflict(limousin, inside) is None
    assert conflict(limousin, outside) == "places"
    assert conflict(features(doc("d", "Grippe : l'épidémie gagne l'Occitanie")), features(doc("e", "Grippe : l'épidémie gagne Toulouse"))) is None
    assert conflict(features(doc("f", "Grippe : l'épidémie gagne la Bretagne")), features(doc("g", "Grippe : l'épidémie gagne Toulouse"))) == "places"


def test_one_place_in_two_languages_is_one_place() -> None:
    fr = features(doc("a", "Écosse : les infirmières votent la grève"))
    en = features(doc("b", "Nurses in Scotland vote to strike"))
    assert conflict(fr, en) is None
    assert {c for c, _ in fr.concepts} & {c for c, _ in en.concepts}
    assert conflict(en, features(doc("c", "Nurses in Wales vote to strike"))) == "places"
    assert conflict(features(doc("d", "Dengue à La Réunion : 1 800 cas")), features(doc("e", "Dengue : 1 800 cas à la Réunion"))) is None


# --- Brands the ATC table lacks (the tagger's supplement, atc_extra.tsv) ------------------------


def test_supplement_brands_are_products() -> None:
    euthyrox = features(doc("a", "Rappel de lot : Euthyrox 50 microgrammes, comprimé sécable"))
    inn = features(doc("b", "Lévothyroxine 50 microgrammes : un lot rappelé"))
    assert "euthyrox" in euthyrox.products
    assert conflict(euthyrox, inn) is None  # a brand and its substance
    assert conflict(euthyrox, features(doc("c", "Rappel de lot : Levothyrox 50 microgrammes, comprimé sécable"))) == "products"
    assert conflict(features(doc("d", "Ixchiq : l'EMA restreint la vaccination des seniors")),
                    features(doc("e", "Vimkunya : l'EMA confirme la vaccination des seniors"))) == "products"


# --- Translations: institutions, a country's adjective, news words (glossary.txt) ---------------


@pytest.mark.parametrize(("fr", "en"), [
    ("Lithium dans l'eau du robinet : moins de suicides en Autriche", "Lithium in drinking water and suicide rates: a nationwide Austrian study"),
    ("Morsures de vipère : 42 envenimations graves cet été, selon les centres antipoison", "Viper bites: French poison centres report 42 severe envenomations this summer"),
    ("Écosse : les infirmières votent une grève historique pour leurs salaires", "Nurses in Scotland vote to strike over pay for the first time"),
    ("Ixchiq : la vaccination restreinte chez les 65 ans et plus", "Ixchiq: EMA restricts use in people aged 65 and over"),
])
def test_one_story_in_two_languages(fr: str, en: str) -> None:
    assert similarity(doc("a", fr), doc("b", en))[0] >= 0.45


def test_a_glossary_name_inside_a_longer_icd_name_is_not_hidden() -> None:
    """ICD-10 names "West Nile virus infection" (A92.3); the glossary "Nil occidental" / "West Nile":
    both titles name the glossary's concept."""
    en = features(doc("a", "Italy reports 150 West Nile virus infections this season"))
    fr = features(doc("b", "Italie : 150 infections au virus du Nil occidental cette saison"))
    assert {c for c, _ in en.concepts} & {c for c, _ in fr.concepts} >= {"~nil_occidental"}
    assert similarity(doc("a", "Italy reports 150 West Nile virus infections this season"),
                      doc("b", "Italie : 150 infections au virus du Nil occidental cette saison"))[0] >= 0.45


def test_a_country_adjective_does_not_join_two_countries() -> None:
    a = doc("a", "Clozapine and lymphoma: a Finnish nationwide cohort")
    b = doc("b", "Clozapine and lymphoma: a Swedish nationwide cohort")
    assert similarity(a, b)[0] < 0.45


def test_a_place_after_a_dash_is_the_story_not_a_site() -> None:
    """Disease outbreak news: "<disease> - <country>"; the country is what tells two apart."""
    assert clean_title("Avian Influenza A(H5N1) - Cambodia") == "Avian Influenza A(H5N1) - Cambodia"
    assert clean_title("Marburg virus disease - United Republic of Tanzania").endswith("Tanzania")
    assert clean_title("Dengue à Montpellier - Le Quotidien du Médecin") == "Dengue a Montpellier"
    assert conflict(features(doc("a", "Avian Influenza A(H5N1) - Cambodia")),
                    features(doc("b", "Avian Influenza A(H5N1) - Viet Nam"))) == "places"


def test_social_thread_prefixes_are_rubrics() -> None:
    assert clean_title("Thread: ce que changent les recommandations ESC") == "ce que changent les recommandations ESC"
    assert clean_title("Fil : la HAS publie ses recommandations sur l'endométriose") == "la HAS publie ses recommandations sur l'endometriose"


def test_two_lot_codes_that_start_with_letters_are_two_recalls() -> None:
    a = features(doc("a", "Rappel de lot : Dafalgan codéiné, comprimé pelliculé, lot X1234"))
    b = features(doc("b", "Rappel de lot : Dafalgan codéiné, comprimé pelliculé, lot X5678"))
    assert "lot:x1234" in a.editions and conflict(a, b) == "edition"
    assert conflict(a, features(doc("c", "Dafalgan codéiné : le lot X1234 rappelé"))) is None
    assert not features(doc("d", "Rappel de lot : Doliprane 500 mg")).editions
