"""Tagging quality on text nobody here wrote with the taxonomy in view (issue 11).

Sets (tests/devset/, conventions in docs/tagging.md): realworld_dev.jsonl and
realworld_holdout.jsonl (FR and EN items in the styles of headlines, agency notices, social posts
and journal abstracts) and the real items of ../shared/realfeeds, labelled by file and guid in
realfeeds_labels.jsonl and read from there (those tests skip when ../shared is absent). The
held-out split was labelled before any tuning and is never tuned on. Floors sit a little below
the figures measured when they were set (bench/eval_tag.py prints them all): they catch a
regression, they are not the targets. Run with -s to see the figures.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from veille.models import ITEM_TYPES
from veille.tag import default_tagger
from veille.tag_eval import Example, by_lang, evaluate, read_jsonl, realfeed_examples

DEVSET = Path(__file__).parent / "devset"
LABELS = DEVSET / "realfeeds_labels.jsonl"
REALFEEDS = Path(__file__).resolve().parent.parent.parent / "shared" / "realfeeds"
needs_realfeeds = pytest.mark.skipif(
    not REALFEEDS.is_dir(), reason="../shared/realfeeds is absent (only the project's CI and sessions have it)"
)


def written(split: str) -> list[Example]:
    return read_jsonl(DEVSET / f"realworld_{split}.jsonl")


def test_sets_shape():
    slugs = set(default_tagger().specialties)
    dev, holdout = written("dev"), written("holdout")
    labels = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines() if line]
    assert len(dev) + len(holdout) + len(labels) >= 600
    for examples in (dev, holdout):
        assert {e.lang for e in examples} == {"fr", "en"}
        assert {e.style for e in examples} == {"headline", "agency", "social", "abstract"}
        assert {s for e in examples for s in e.specialties} <= slugs
        assert {e.type for e in examples} <= set(ITEM_TYPES)
    # Every specialty is labelled in the held-out split, most of them several times.
    counts = Counter(s for e in holdout for s in e.specialties)
    assert set(counts) == slugs
    assert sum(1 for n in counts.values() if n >= 3) >= 28
    # No item is in both splits.
    assert not {e.title for e in dev} & {e.title for e in holdout}
    assert {d["split"] for d in labels} == {"dev", "holdout"}
    assert len({(d["file"], d["guid"]) for d in labels}) == len(labels)


@pytest.mark.parametrize("lang, f1_floor, recall_floor", [("fr", 0.82, 0.85), ("en", 0.81, 0.83)])
def test_holdout_written_scores(lang, f1_floor, recall_floor):
    report = evaluate(by_lang(written("holdout"), lang), labels=sorted(default_tagger().specialties))
    micro = report.micro
    print(f"\nheld-out written {lang}:\n{report.format()}")
    assert micro.f1 >= f1_floor and micro.recall >= recall_floor
    # One known false alert: "Primary care physician shortage…" is typed shortage (a staff
    # shortage). Found on the held-out split, so deliberately not tuned away.
    assert len(report.false_alerts) <= (1 if lang == "en" else 0)


def test_dev_written_scores():
    for lang in ("fr", "en"):
        report = evaluate(by_lang(written("dev"), lang), labels=sorted(default_tagger().specialties))
        assert report.micro.f1 >= 0.80 and report.false_alerts == []


@needs_realfeeds
def test_realfeeds_labels_find_their_items():
    examples = realfeed_examples(LABELS, REALFEEDS)
    assert len(examples) == len(LABELS.read_text(encoding="utf-8").splitlines())
    ent = [e for e in examples if e.style.startswith("ent-expert-opinion")]
    assert len(ent) == 43 and all(e.lang == "en" for e in ent)


@needs_realfeeds
@pytest.mark.parametrize("split", ["dev", "holdout"])
def test_realfeeds_scores(split):
    """Mostly non-medical items (world news, tech, football, court chronicles, plant biology)
    and an ENT podcast: what matters is few false tags and no false alert."""
    report = evaluate(realfeed_examples(LABELS, REALFEEDS, split))
    print(f"\nrealfeeds {split}:\n{report.format()}")
    untagged = sum(1 for e in realfeed_examples(LABELS, REALFEEDS, split) if not e.specialties)
    assert report.false_alerts == []
    assert report.micro.precision >= 0.55
    # Items labelled with no specialty that get one (false tags on non-medical text).
    false_tags = sum(1 for ex, got, _ in report.errors if got and not ex.specialties)
    assert false_tags <= 0.1 * untagged


def test_second_holdout_set_shape():
    """realworld_holdout2.jsonl: written after the first held-out split had been measured in
    every round, labelled before the tagger was run on it; never tuned on."""
    slugs = set(default_tagger().specialties)
    holdout2 = written("holdout2")
    assert len(by_lang(holdout2, "fr")) >= 120 and len(by_lang(holdout2, "en")) >= 120
    assert {e.style for e in holdout2} == {"headline", "agency", "social", "abstract"}
    assert {s for e in holdout2 for s in e.specialties} == slugs
    assert {e.type for e in holdout2} == set(ITEM_TYPES)
    others = {e.title for split in ("dev", "holdout") for e in written(split)}
    assert not {e.title for e in holdout2} & others
