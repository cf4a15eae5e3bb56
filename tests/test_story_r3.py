"""Round stories-r3 (issue 10): the classes of heldout8's errors and the local-event gain. Each
rule as a pure decision on two titles, and the index where the rule is about a story."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta

from veille.dedup import StoryDoc, StoryIndex, concepts, conflict, features
from veille.dedup.concepts import parse_glossary
from veille.dedup.markers import editions, negated
from veille.dedup.similarity import Weights, score
from veille.dedup.text import clean_title

T0 = datetime(2026, 10, 5, 8, 0, tzinfo=UTC)


def doc(item_id: str, title: str, hours: float = 0.0, tier: str = "press") -> StoryDoc:
    return StoryDoc(item_id, item_id, tier, title, "", T0 + timedelta(hours=hours))


def feats(title: str):  # noqa: ANN201
    return features(doc("x", title))


def pair(a: str, b: str) -> tuple[float, str]:
    return score(feats(a), feats(b), Weights())


# -- two houses of a parliament


def test_chamber_lines_of_the_glossary_are_marked():
    table = parse_glossary(["[chamber] Sénat | sénateurs | Senate"])
    assert set(table.values()) == {"~chamber:senat"}
    assert concepts.chambers(feats("Fin de vie : feu vert des sénateurs au texte").concepts) == {"~chamber:senat"}


def test_the_senate_and_the_national_assembly_on_one_bill_are_two_stories():
    senate = "Fin de vie : feu vert des sénateurs au texte sur l'aide à mourir"
    assembly = "Aide à mourir : l'Assemblée nationale adopte le texte en deuxième lecture"
    assert conflict(feats(senate), feats(assembly)) == "chambers"
    assert pair("Les députés votent la taxe sur les boissons sucrées", "Les sénateurs suppriment la taxe sur les boissons sucrées")[0] == 0.0


def test_one_chamber_in_two_languages_stays_one_story():
    assert conflict(feats("Le Sénat adopte la proposition de loi sur l'aide à mourir"), feats("French Senate passes assisted dying bill")) is None


# -- bulletins dated by day


def test_a_weekly_bulletin_dated_by_its_day_is_an_edition():
    assert "day:10-22" in editions(clean_title("Covid-19 : point épidémiologique hebdomadaire du 22 octobre 2026"))
    # a date in a news item is not an edition
    assert not any(e.startswith("day:") for e in editions(clean_title("Grippe : la campagne démarre le 14 octobre")))


def test_two_weekly_bulletins_of_two_days_are_two_stories():
    a = "Covid-19 : point épidémiologique hebdomadaire du 22 octobre 2026"
    b = "Covid-19 : point épidémiologique hebdomadaire du 15 octobre 2026"
    assert pair(a, b) == (0.0, "title-tokens-edition")
    assert pair(a, a)[0] == 1.0


def test_a_bulletin_number_is_not_a_figure():
    bulletin = feats("Dengue à La Réunion : point épidémiologique, semaine 40")
    assert not bulletin.numbers and "week:40" in bulletin.editions
    s, method = pair("Dengue à La Réunion : point épidémiologique, semaine 40", "La Réunion : la dengue s'accélère, 1 800 cas signalés en une semaine")
    assert "-numbers" not in method and s > 0.0


# -- vetoes that were wrong


def test_a_drug_after_sans_is_a_missing_treatment_not_a_population():
    assert negated(clean_title("Troisième pharmacie sans Plaquenil ce matin")) == frozenset()
    assert negated(clean_title("un hiver sans antibiotiques pour enfants")) == frozenset()
    assert negated(clean_title("adultes sans diabète")) != frozenset()  # a population still
    s, method = pair("Tensions d'approvisionnement : Plaquenil 200 mg, comprimé pelliculé", "Troisième pharmacie sans Plaquenil ce matin. Patiente lupique, jamais vu ça")
    assert "negation" not in method


def test_a_maker_beside_its_own_brand_is_not_a_generic():
    assert feats("Mylan recalls EpiPen 0.3 mg auto-injectors that may fail to activate").makers == frozenset()
    assert feats("Rappel de lot : Ibuprofène Mylan 400 mg").makers == {"mylan"}
    assert conflict(feats("Mylan recalls EpiPen 0.3 mg auto-injectors"), feats("EpiPen recall: what parents need to know")) is None
    assert conflict(feats("Rappel de lot : Ibuprofène Mylan 400 mg"), feats("Rappel de lot : Nurofen 400 mg")) == "products"


def test_malaria_and_monkeypox_in_their_french_names_are_one_disease():
    assert conflict(feats("Paludisme : l'OMS certifie le Cap-Vert exempt de la maladie"), feats("Cabo Verde certified malaria-free by WHO")) is None
    assert conflict(feats("Épidémie de variole du singe en RDC : l'OMS maintient l'urgence"), feats("WHO keeps mpox a public health emergency")) is None
    assert conflict(feats("Variole : un cas suspect"), feats("Mpox : un cas suspect")) == "diseases"  # smallpox is not mpox


def test_ocaliva_is_obeticholic_acid():
    brand, inn = feats("FDA warns of serious liver injury with Ocaliva"), feats("Acide obéticholique : la FDA alerte sur des atteintes hépatiques")
    assert brand.products and conflict(brand, inn) is None
    assert "-product" not in pair("FDA warns of liver injury with Ocaliva", "Acide obéticholique : la FDA alerte sur des atteintes hépatiques")[1]


# -- brands of food recalls


def test_the_brand_after_an_article_is_the_next_word():
    assert feats("Rappel de fromages de la marque Le Petit Berger").labels == {"petit"}
    assert conflict(feats("Rappel de fromages de la marque Le Petit Berger"), feats("Rappel de fromages de la marque Le Val Fleuri")) == "products"


def test_an_unbranded_item_weighs_half_against_a_brands_recall():
    unbranded = "Raclette : attention, ce fromage au lait cru est rappelé dans plusieurs enseignes"
    branded = "Rappel Conso : fromage à raclette au lait cru de la marque Entremont, présence de Listeria"
    s, method = pair(unbranded, branded)
    assert method.endswith("-brand") and s < 0.45
    # the brand named without "marque" is the same brand
    assert "-brand" not in pair("Listeria : du fromage à raclette Entremont rappelé", branded)[1]


def test_rappel_conso_and_a_magazine_suffix_are_not_names():
    official = feats("Rappel Conso : saucisson sec pur porc de la marque Cochonou, présence de Salmonella")
    press = feats("Rappel de saucissons Cochonou : ne les consommez pas, risque de salmonellose - 60 Millions de consommateurs")
    assert "conso" not in official.names and "millio" not in press.names
    assert score(official, press, Weights())[0] >= 0.45


# -- one disease or drug in one place


def test_one_disease_in_one_city_raises_a_clean_score():
    a = "Légionellose à Grenoble : onze cas recensés, l'ARS recherche la source de contamination"
    b = "Grenoble : 11 cas de légionellose, les tours aéroréfrigérantes de l'agglomération contrôlées"
    s, method = pair(a, b)
    assert method.endswith("+local") and s >= 0.45
    # a whole country is not a place of one event
    assert "+local" not in pair("Rougeole en France : 412 cas depuis janvier", "France : la rougeole progresse, les pédiatres inquiets")[1]


def test_one_disease_with_one_figure_raises_a_clean_score():
    s, method = pair("Rougeole en Angleterre : 412 cas depuis janvier, l'agence sanitaire britannique s'inquiète", "UKHSA: measles cases in England rise to 412 since January")
    assert method.endswith("+local") and s >= 0.45
    # a year is not a figure
    assert "+local" not in pair("Rougeole : bilan 2025 de Santé publique France", "Rougeole : les pédiatres inquiets pour 2025")[1]


def test_no_local_gain_when_something_sets_two_titles_apart():
    # a follow-up with other figures keeps its caution and gets no gain
    s, method = pair("Rougeole à Nice : trois nouveaux cas liés à la crèche", "Nice : deux enfants atteints de rougeole dans une crèche")
    assert "+local" not in method
    # two places are never one event
    assert pair("Légionellose à Grenoble : onze cas", "Légionellose à Lyon : onze cas")[0] == 0.0


def test_the_local_gain_reaches_the_index():
    index = StoryIndex()
    first, _ = index.assign(doc("ars", "Légionellose à Grenoble : onze cas recensés, l'ARS recherche la source de contamination", tier="official"))
    story, found = index.assign(doc("press", "Grenoble : 11 cas de légionellose, les tours aéroréfrigérantes de l'agglomération contrôlées", hours=5))
    assert story == first and found is not None and found.method.endswith("+local")
    assert importlib.import_module("veille.dedup.similarity").LOCAL_BONUS < 0.45 / 2  # the gain never makes a pair out of nothing
