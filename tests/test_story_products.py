"""Round stories-products: two kinds of food under one brand are two products (issue #10)."""

from __future__ import annotations

from datetime import UTC, datetime

from veille.dedup import StoryDoc, conflict, features


def feats(title: str):  # noqa: ANN201
    return features(StoryDoc("x", "x", "press", title, "", datetime(2025, 3, 1, tzinfo=UTC)))


def test_two_food_kinds_of_one_brand_are_two_products() -> None:
    camembert = feats("Rappel Conso : camembert au lait cru de la marque Président, présence de Listeria")
    brie = feats("Rappel Conso : brie de Meaux de la marque Président, présence de Listeria")
    assert camembert.foods == {"camembert"} and brie.foods == {"brie"}
    assert conflict(camembert, brie) == "products"


def test_generic_and_specific_kind_of_one_brand_still_join() -> None:
    camembert = feats("Rappel Conso : camembert au lait cru de la marque Président, présence de Listeria")
    fromage = feats("Rappel de fromages de la marque Président contaminés par Listeria")
    again = feats("Listeria : rappel de camemberts de la marque Président")
    assert conflict(camembert, fromage) is None
    assert conflict(camembert, again) is None


def test_phrases_name_one_kind() -> None:
    assert feats("Rappel de steaks hachés surgelés de la marque Charal").foods == {"steak hache"}
    assert feats("Rappel de lait infantile de la marque Gallia").foods == {"lait infantile"}
