"""Dedup reads the tagger's hand-written drug supplement (issue 10, round stories): newer
substances and brands, English INNs. A brand and its INN are one drug ("Beyfortus" /
"nirsévimab"), an English INN is the French one ("acetaminophen" / "paracétamol"), and two drugs
that share only an ATC subgroup stay two products ("Leqembi" / "Kisunla", both N06DX)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from veille.dedup import StoryDoc, StoryIndex, conflict, features
from veille.dedup.names import drugs, supplement_drugs
from veille.dedup.similarity import Weights, score

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def doc(item_id: str, title: str, hours: float = 0.0) -> StoryDoc:
    return StoryDoc(item_id, item_id, "press", title, "", T0 + timedelta(hours=hours))


def test_supplement_codes_are_one_per_substance():
    table = supplement_drugs({"paracetamol": {"N02BE01"}})
    assert table["acetaminophen"] == (frozenset({"N02BE01"}), True)  # the table's own code
    assert table["beyfortus"] == (frozenset({"J06BD:nirsevimab"}), False)  # a brand, its INN's code
    assert table["nirsevimab"] == (frozenset({"J06BD:nirsevimab"}), True)  # named by the brand's line only
    assert table["leqembi"][0] != table["kisunla"][0]  # one subgroup (N06DX), two substances


def test_the_atc_table_keeps_its_own_names():
    assert drugs()["apixaban"].codes == drugs()["eliquis"].codes == {"B01AF02"}


@pytest.mark.parametrize(
    "a, b",
    [
        # heldout6: a brand the ATC table lacks, and its INN.
        ("Bronchiolite : le nirsévimab a évité 5 800 hospitalisations de nourrissons",
         "Beyfortus : 5800 hospitalisations évitées l'hiver dernier #bronchiolite #pédiatrie"),
        ("Acetaminophen use in pregnancy and autism: a sibling study",
         "Paracétamol pendant la grossesse et autisme : une étude sur des fratries"),
    ],
)
def test_a_brand_or_an_english_inn_is_its_substance(a, b):
    fa, fb = features(doc("a", a)), features(doc("b", b))
    assert fa.products and fb.products and conflict(fa, fb) is None
    value, method = score(fa, fb, Weights())
    assert "+concept" in method and value >= 0.45


@pytest.mark.parametrize(
    "a, b",
    [
        ("FDA approves Leqembi subcutaneous autoinjector", "FDA approves Kisunla subcutaneous autoinjector"),
        ("Wegovy : baisse de prix en pharmacie", "Ozempic : baisse de prix en pharmacie"),  # two brands of one INN
        ("Zuranolone : avis favorable de l'EMA", "Brexanolone : avis favorable de l'EMA"),  # one subgroup
    ],
)
def test_two_supplement_drugs_never_merge(a, b):
    assert conflict(features(doc("a", a)), features(doc("b", b))) == "products"
    index = StoryIndex()
    first, _ = index.assign(doc("a", a))
    second, found = index.assign(doc("b", b, hours=1))
    assert found is None and first != second
