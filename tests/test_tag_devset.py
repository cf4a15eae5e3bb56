"""Regression test on the development set: prints P/R/F1 (run with -s), asserts a floor.

The floors are well below today's figures on purpose: they catch a broken taxonomy or matcher,
not a one-item change. The devset itself is checked for coverage (each slug labelled at least
four times, every item type present).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from veille.models import ITEM_TYPES
from veille.tag import default_tagger
from veille.tag_eval import Example, evaluate, read_jsonl

DEVSET = Path(__file__).parent / "devset" / "tagging.jsonl"


@pytest.fixture(scope="module")
def examples() -> list[Example]:
    return read_jsonl(DEVSET)


def test_devset_shape(examples: list[Example]) -> None:
    assert len(examples) >= 220
    labels = Counter(s for e in examples for s in e.specialties)
    known = set(default_tagger().specialties)
    assert set(labels) <= known
    assert {slug: labels[slug] for slug in known if labels[slug] < 4} == {}
    assert {e.type for e in examples} == set(ITEM_TYPES)
    assert len({(e.title, e.text) for e in examples}) == len(examples)


def test_devset_scores(examples: list[Example]) -> None:
    report = evaluate(examples, labels=sorted(default_tagger().specialties))
    print()
    print(report.format(errors=len(report.errors)))
    micro = report.micro
    macro_p, macro_r, macro_f1 = report.macro()
    assert micro.f1 >= 0.80
    assert micro.precision >= 0.75 and micro.recall >= 0.75
    assert macro_f1 >= 0.75
    assert min(c.f1 for c in report.per_label.values()) >= 0.5
    assert report.type_accuracy >= 0.80


HOLDOUT = Path(__file__).parent / "devset" / "tagging_holdout.jsonl"


def test_holdout_scores() -> None:
    """A smaller set written after the taxonomy and never used to tune it: the honest estimate
    of how the tagger does on unseen wording (expect lower recall than on the devset)."""
    report = evaluate(read_jsonl(HOLDOUT), labels=sorted(default_tagger().specialties))
    micro = report.micro
    macro_p, macro_r, macro_f1 = report.macro()
    print(
        f"\nholdout ({report.n} items): micro P {micro.precision:.2f} R {micro.recall:.2f} "
        f"F1 {micro.f1:.2f}; macro P {macro_p:.2f} R {macro_r:.2f} F1 {macro_f1:.2f}; "
        f"type accuracy {report.type_accuracy:.2f}"
    )
    assert micro.f1 >= 0.70
    assert report.type_accuracy >= 0.65
