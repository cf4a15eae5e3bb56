"""The compiled hit collection and scoring (veille/_tag_scan.pyx, issue 14) against the Python
code they replace (veille.tag_match.Matcher._collect, veille.tag_score.python_group_score):
same groups, same evidence in the same order, same values, and the same taggings."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.test_tag_speedup import phrase
from veille import tag_match, tag_score
from veille.tag import Tagger, default_tagger

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import tag_snapshot  # noqa: E402

compiled = importlib.import_module("veille._tag_scan")  # built by `pip install -e .`


def test_the_tagger_runs_the_compiled_code() -> None:
    # A missing build would only be slow, never wrong: this says so instead of hiding it.
    assert tag_match._compiled_collect is compiled.collect
    assert tag_score.group_score is compiled.group_score


def _python_tag(tagger: Tagger, title: str, body: str) -> object:
    """The tagging with the Python hit collection and scoring."""
    import veille.tag as tag_module

    tag_match.Matcher.compiled = False
    tag_module.group_score = tag_score.python_group_score
    try:
        return tagger.tag(title, body)
    finally:
        tag_match.Matcher.compiled = True
        tag_module.group_score = tag_score.group_score


def _items() -> list[tuple[str, str]]:
    items = tag_snapshot.written_items()
    if tag_snapshot.REALFEEDS.is_dir():
        items += tag_snapshot.realfeed_items()
    return items


def test_every_dev_item_tags_the_same_with_the_python_code() -> None:
    tagger = default_tagger()
    items = _items()
    assert len(items) > 1000
    diffs = [(t, b) for t, b in items if tagger.tag(t, b) != _python_tag(tagger, t, b)]
    assert not diffs, f"{len(diffs)} items tagged differently, first: {diffs[0]}"
    # And every group's score, on the evidence the items give.
    matcher, weight = tagger._matcher, tagger.title_weight
    for title, body in items:
        for evidence in matcher.scan(title, body).values():
            got = compiled.group_score(evidence, weight)
            assert got == tag_score.python_group_score(evidence, weight), evidence


def _python_scan(matcher: tag_match.Matcher, title: str, body: str) -> tag_match.Hits:
    matcher.compiled = False  # on the instance: the class keeps the compiled path
    try:
        return matcher.scan(title, body)
    finally:
        del matcher.compiled


@settings(max_examples=500, deadline=None)
@given(title=phrase, body=phrase, repeat=st.booleans())
def test_compiled_collection_finds_what_the_python_one_finds(
    title: str, body: str, repeat: bool
) -> None:
    if repeat:
        body = f"{title} {body}"  # a description that begins with the title
    matcher = default_tagger()._matcher
    got = matcher.scan(title, body)
    expected = _python_scan(matcher, title, body)
    assert [(g, list(ev.items())) for g, ev in got.items()] == [
        (g, list(ev.items())) for g, ev in expected.items()
    ]


_evidence = st.dictionaries(
    st.text("abc[]", max_size=4),
    st.tuples(
        st.sampled_from([0.0, 0.3, 0.5, 0.6, 1.0, 1.5, 2.0, 3.0]),
        st.sampled_from([0.0, 1.0]),
        st.sampled_from([0.0, 1.0, 2.0, 3.0, 4.0, 7.0]),
    ).map(list),
    min_size=1,
    max_size=5,
)


@settings(max_examples=500, deadline=None)
@given(evidence=_evidence, title_weight=st.sampled_from([1.0, 2.5, 3.0]))
def test_compiled_score_is_the_python_score(
    evidence: dict[str, list[float]], title_weight: float
) -> None:
    assert compiled.group_score(evidence, title_weight) == tag_score.python_group_score(
        evidence, title_weight
    )


def test_a_missing_build_falls_back_to_the_python_code(monkeypatch: pytest.MonkeyPatch) -> None:
    tagger = default_tagger()
    title, body = "Rappel de lot : Doliprane 500 mg", "L'ANSM retire des lots de paracétamol."
    expected = tagger.tag(title, body)
    monkeypatch.setattr(tag_match, "_compiled_collect", None)
    assert tagger.tag(title, body) == expected
