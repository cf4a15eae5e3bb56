"""Markers that tell near-identical titles apart (issue 10, second round): months as editions,
places inside a disease's name, drug classes, substances the ATC table lacks, named trials,
serogroups and negated populations. Pure decisions, then the index."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from veille.dedup import StoryDoc, StoryIndex, clean_title, conflict, features, markers, similarity

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def doc(item_id: str, title: str, hours: float = 0.0) -> StoryDoc:
    return StoryDoc(item_id, item_id, "press", title, "", T0 + timedelta(hours=hours))


def why(a: str, b: str) -> str | None:
    return conflict(features(doc("a", a)), features(doc("b", b)))


@pytest.mark.parametrize(
    "title, expected",
    [
        ("Surveillance de la grippe : bilan mensuel, octobre 2025", {"month:10", "year:2025"}),
        ("Bulletin de la bronchiolite, semaine 02, 2026", {"week:2", "year:2026"}),
        ("Hépatite A : 3 cas au 15 mars", {"month:3"}),
        ("Mars : la mission habitée reportée", set()),  # the planet, not a month
        ("Drug shortages: what patients may expect", set()),
        ("Measles: monthly update, May 2026", {"month:5", "year:2026"}),
        ("Rappel de lot : Hexaquine, lot 5H1102", {"lot:5h1102"}),
    ],
)
def test_typed_editions(title, expected):
    assert markers.editions(clean_title(title)) == expected


@pytest.mark.parametrize(
    "a, b, reason",
    [
        # Two months of one year are two bulletins; the shared year does not make them one.
        ("Surveillance de la grippe : bilan mensuel, octobre 2025", "Surveillance de la grippe : bilan mensuel, novembre 2025", "edition"),
        ("Bulletin de la bronchiolite, semaine 02, 2026", "Bulletin de la bronchiolite, semaine 03, 2026", "edition"),
        ("Measles monthly update: January 2026", "Measles monthly update: February 2026", "edition"),
        # Place words inside a disease's name are not where the story is.
        ("Fièvre du Nil occidental : un cas détecté en Italie", "Fièvre du Nil occidental : un cas détecté en Croatie", "places"),
        ("West Nile virus: first human case reported in Romania", "West Nile virus: first human case reported in Serbia", "places"),
        ("Fièvre de Crimée-Congo : un cas au Portugal", "Fièvre de Crimée-Congo : un cas au Maroc", "places"),
        # Two drug classes are two alerts.
        ("Information de sécurité : risque de confusion avec les opioïdes chez le sujet âgé",
         "Information de sécurité : risque de confusion avec les antihistaminiques chez le sujet âgé", "classes"),
        ("Statins and dementia risk in older adults", "Antipsychotics and dementia risk in older adults", "classes"),
        # Substances the ATC table may lack: acids in both languages, recent INN stems.
        ("Acide obéticholique : nouvelles restrictions dans la cholangite", "Acide ursodésoxycholique : nouvelles restrictions dans la cholangite", "products"),
        ("Olpasiran and lipoprotein(a) lowering in cardiovascular disease", "Pelacarsen and lipoprotein(a) lowering in cardiovascular disease", "products"),
        # Two named trials, two serogroups or hepatitis letters, two populations.
        ("Semaglutide in heart failure with obesity: the STEP-HFpEF trial", "Semaglutide in heart failure with obesity: the SUMMIT trial", "trials"),
        ("Méningite à méningocoque W : 2 cas à Rouen", "Méningite à méningocoque Y : 2 cas à Rouen", "variants"),
        ("Hépatite B : la HAS élargit le dépistage", "Hépatite C : la HAS élargit le dépistage", "variants"),
        ("Empagliflozin in non-diabetic heart failure", "Empagliflozin in diabetic heart failure", "negation"),
    ],
)
def test_near_identical_titles_that_tell_two_stories(a, b, reason):
    assert why(a, b) == reason
    score, method = similarity(doc("a", a), doc("b", b))
    assert score == 0.0 and method.endswith(reason)
    index = StoryIndex()
    assert index.assign(doc("a", a))[0] != index.assign(doc("b", b, 1))[0]


@pytest.mark.parametrize(
    "a, b",
    [
        # The same month, with and without its year or its day.
        ("Surveillance de la grippe : bilan mensuel, octobre 2025", "Grippe : le bilan d'octobre 2025 de Santé publique France"),
        # The place named outside the disease's name is the one that counts.
        ("Fièvre de Crimée-Congo : un cas au Portugal", "Portugal : un cas de fièvre Crimée-Congo confirmé"),
        # A class and one of its drugs, a French acid and its English name, one trial in two languages.
        ("Fluoroquinolones : restrictions pour la ciprofloxacine", "Ciprofloxacine : l'ANSM restreint son usage"),
        ("Obeticholic acid withdrawn for primary biliary cholangitis", "Acide obéticholique : retrait dans la cholangite biliaire primitive"),
        ("Semaglutide in heart failure with obesity: the STEP-HFpEF trial", "Insuffisance cardiaque : le sémaglutide efficace dans l'essai STEP-HFpEF"),
        # A pathogen and the syndrome it causes are one subject.
        ("Norovirus : 80 cas après un banquet à Vannes", "Vannes : 80 gastro-entérites après un banquet"),
        # A day of a month is a date, not a count ("15 janvier" / "5 janvier").
        ("Grève des kinés : les cabinets fermés du 5 au 15 janvier", "Kinésithérapeutes : une grève à partir du 5 janvier"),
        # "sans médecins" negates a generic word: no population is named.
        ("Urgences de Vierzon fermées la nuit sans médecins", "Vierzon : faute de médecins, les urgences ferment la nuit"),
    ],
)
def test_markers_do_not_split_one_story(a, b):
    assert why(a, b) is None


def test_markers_unit_extractors():
    assert markers.drug_classes("risque avec les ISRS et les benzodiazepines") == {"antidepressant", "benzodiazepine"}
    assert markers.acids("Acide bempedoique") == markers.acids("Bempedoic acid") == {"acid:bempedo"}
    assert markers.trials("the CLEAR SYNERGY trial") == markers.trials("l'essai CLEAR SYNERGY") == {"clearsynergy"}
    assert markers.trials("New Study Shows Benefit") == markers.trials("NEJM study: aspirin cuts risk") == set()
    assert markers.variants("vaccin contre le meningocoque B") == {"b"}
    assert markers.variants("diabete de type 2") == {"2"}
    assert markers.negated("Finerenone in non-diabetic kidney disease") == {"diabet"}
    assert markers.negated("fermees sans medecins") == set()
    words = markers.place_free_words("Fievre Crimee-Congo : un cas en Espagne")
    assert words == ["Fievre", "", "", "un", "cas", "en", "Espagne"]


@pytest.mark.parametrize(
    "a, b, expected",
    [
        # Food and consumer recalls name a brand no drug table holds: two brands, two recalls.
        ("Rappel Conso : tomme de brebis de la marque Ferme Alpha, présence de Listeria",
         "Rappel Conso : tomme de brebis de la marque Berthaud, présence de Listeria", "products"),
        ("Recall: Acme brand peanut butter over Salmonella risk",
         "Recall: Zenith brand peanut butter over Salmonella risk", "products"),
        # The same brand, or one title that names none, is not a conflict.
        ("Rappel Conso : tomme de la marque Berthaud, présence de Listeria",
         "Listeria : une tomme Berthaud rappelée, marque Berthaud", None),
        ("Rappel Conso : tomme de la marque Berthaud, présence de Listeria",
         "Listeria : une tomme de brebis rappelée dans toute la France", None),
        ("Les marques de tabac visées par la loi", "Les marques de tabac visées par la loi", None),
    ],
)
def test_brands_named_as_such_are_products(a, b, expected):
    assert why(a, b) == expected


def test_two_brands_recalled_in_one_template_stay_two_stories():
    index = StoryIndex()
    alpha = doc("alpha", "Rappel Conso : tomme de brebis Ossau-Iraty de la marque Ferme Alpha, présence de Listeria monocytogenes")
    berthaud = doc("berthaud", "Rappel Conso : tomme de brebis Ossau-Iraty de la marque Berthaud, présence de Listeria monocytogenes", 1)
    again = doc("again", "Rappel Conso : tomme de brebis Ossau-Iraty de la marque Berthaud, présence de Listeria monocytogenes", 2)
    first, _ = index.assign(alpha)
    second, match = index.assign(berthaud)
    assert second != first and match is None
    assert index.assign(again)[0] == second
