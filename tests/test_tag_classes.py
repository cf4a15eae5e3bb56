"""Failure classes found on the dev sets in round 5 (issue 11, after realworld_holdout2.jsonl was
measured blind): each test has the case that must tag and, where there is one, the case that
must not (docs/tagging.md, "Conventions" and "Item types")."""

from __future__ import annotations

import pytest

from tests.helpers import slugs


def test_asthma_is_respiratory_medicine_not_allergology(tagger):
    assert slugs(tagger, "Asthme : la HAS publie un guide du parcours de soins") == {"pneumologie"}
    assert "allergologie" not in slugs(
        tagger, "Lupin gets FDA approval for generic of asthma inhaler"
    )
    # An allergy is still allergology, and so is allergic rhinitis.
    assert "allergologie" in slugs(tagger, "Rhinite allergique : la saison des pollens commence")


@pytest.mark.parametrize(
    "title",
    [
        "Prévalence de l'ostéoporose chez les hommes de plus de 70 ans",
        "Vaccination contre le zona : le rappel proposé aux 75 ans et plus",
        "Prevalence of osteoporosis among men over 70",
    ],
)
def test_french_age_phrases_weigh_as_much_as_english_ones(tagger, title):
    assert "geriatrie" in slugs(tagger, title)


def test_schoolchildren_and_youth_sport_are_paediatrics(tagger):
    assert "pediatrie" in slugs(tagger, "Myopia among schoolchildren in East Asia")
    assert "pediatrie" in slugs(tagger, "Concussions in youth football linked to later depression")
    # "youth" is weak: a youth unemployment figure is no paediatrics.
    assert "pediatrie" not in slugs(tagger, "Youth unemployment falls to a ten-year low")


@pytest.mark.parametrize(
    "title",
    [
        "Rural hospitals close maternity wards as births decline",
        "Medical devices: government caps prices of coronary stents",
        "Hospital stocks rally as insurers raise claim limits",
        "Carbon monoxide poisonings after a winter storm in Texas",
        "Trends in firearm injuries among children",
        "Manque de lits : des patients sur des brancards toute la nuit",
        "Fermeture de la maternité : les élus manifestent",
    ],
)
def test_health_system_prices_and_environmental_poisoning_are_public_health(tagger, title):
    assert "sante-publique" in slugs(tagger, title)


def test_a_falsified_or_unlicensed_medicine_is_pharmacology(tagger):
    title = "MHRA urges the public not to buy weight-loss injections from unregulated sellers"
    assert "pharmacologie" in slugs(tagger, title)
    assert "pharmacologie" in slugs(
        tagger, "Des comprimés contrefaits vendus sur les réseaux sociaux"
    )
    # Counterfeit handbags are no medicine.
    assert "pharmacologie" not in slugs(tagger, "Counterfeit handbags seized at the port")


def test_perioperative_alone_is_no_anaesthesia(tagger):
    got = slugs(tagger, "Cancer de l'estomac : la chimiothérapie périopératoire améliore la survie")
    assert "anesthesie-reanimation" not in got and "oncologie" in got
    assert "anesthesie-reanimation" in slugs(
        tagger, "Anesthésie : la prise en charge périopératoire du sujet âgé"
    )


@pytest.mark.parametrize(
    "title, text, item_type",
    [
        ("Épilepsie : le cannabidiol autorisé dans le syndrome de Dravet", "", "approval"),
        ("Cancer de la vessie : l'immunothérapie intravésicale en rupture", "", "shortage"),
        ("Ten-Year Outcomes of Bariatric Surgery in Adolescents", "", "study"),
        ("Deep Learning for Skin Cancer: External Validation on Diverse Populations", "", "study"),
        ("Our paper on CAR-T for myeloma is out in The Lancet!", "", "study"),
        ("Sugar tax and purchases: an interrupted time series", "", "study"),
    ],
)
def test_item_types_from_approval_shortage_and_abstract_wording(tagger, title, text, item_type):
    assert tagger.tag(title, text).item_type == item_type


def test_everyday_wording_is_no_study_or_shortage(tagger):
    assert tagger.tag("Football : le stade rouvre après deux ans de travaux").item_type == "news"
    # "en rupture" needs a product: a broken-off relationship is no shortage.
    assert tagger.tag("Le couple présidentiel en rupture avec la tradition").item_type == "news"


def test_recruiting_alone_is_no_job_offer(tagger):
    assert tagger.tag("Football : le PSG recrute un attaquant brésilien").item_type == "news"
    assert tagger.tag("Labour market cools as hiring slows in IT sector").item_type == "news"
    job = tagger.tag("Le centre de santé de Vierzon recrute un médecin généraliste (H/F)")
    assert job.item_type == "job"


def test_a_disease_counted_in_a_population_is_public_health(tagger):
    got = slugs(tagger, "Le paludisme tue encore 600 000 personnes par an en Afrique")
    assert {"infectiologie", "sante-publique"} <= got
    # One patient is not.
    assert "sante-publique" not in slugs(tagger, "Paludisme : un voyageur hospitalisé à Lyon")
