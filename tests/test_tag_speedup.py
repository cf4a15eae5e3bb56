"""The fast paths of the tagger (issue 14) against the straightforward code they replace, on
random texts made of the taxonomy's own terms: same evidence, same order, same values."""

from __future__ import annotations

import pickle

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.tag_reference import apply_rules as reference_apply_rules
from tests.tag_reference import fold_raw as reference_fold_raw
from tests.tag_reference import reference_scan
from veille.tag import SpecialtyTag, Tagging, default_tagger
from veille.tag_context import Rule, apply_rules
from veille.tag_fold import fold_raw, fold_raw_pair


def _words() -> list[str]:
    automaton = default_tagger()._matcher._automaton
    keys = sorted(automaton.keys())
    terms = [k.strip() for k in keys[:: max(1, len(keys) // 3000)]]
    # Keys where one group has several entries (a brand name both plain and cased, a stem* and
    # a full word): hits on the same words, which only the order found tells apart.
    ties = []
    for key, (plain, special) in sorted(automaton.items()):
        groups = [e[0] for e in plain] + [e[0] for e in special or ()]
        if len(groups) != len(set(groups)):
            ties.append(key.strip())
    terms += ties[:: max(1, len(ties) // 300)]
    # Hand-picked shapes: nested terms, a stem*, INN stems, brand names (cased), negatives.
    return terms + [
        "insuffisance", "renale", "cardiaque", "cardiologie", "cardio", "adalimumab",
        "nivolumab", "mab", "xyztinib", "tinibs", "Doliprane", "DOLIPRANE", "doliprane",
        "infarctus", "myocarde", "vaccin", "rappel", "lots", "FDA", "HAS", "ANSM",
    ]


WORDS = _words()
_SEPARATORS = [" ", " ", " ", "  ", ", ", " : ", "’", "-", " (", ") ", " — ", ". ", "\n", "«", "œ"]
word = st.builds(
    lambda w, case: w.upper() if case == 1 else w.title() if case == 2 else w,
    st.sampled_from(WORDS),
    st.integers(0, 4),
)
phrase = st.lists(
    st.tuples(word, st.sampled_from(_SEPARATORS)), max_size=30
).map(lambda parts: "".join(w + s for w, s in parts))


@settings(max_examples=400, deadline=None)
@given(title=phrase, body=phrase, repeat=st.integers(0, 2), noise=st.text(max_size=8))
def test_scan_finds_what_the_straightforward_pass_finds(
    title: str, body: str, repeat: int, noise: str
) -> None:
    if repeat == 1:
        body = f"{title} {body}"  # a description that begins with the title
    elif repeat == 2:
        body = body + noise
    matcher = default_tagger()._matcher
    got = matcher.scan(title, body)
    expected = reference_scan(matcher, title, body)
    assert [(g, list(ev.items())) for g, ev in got.items()] == [
        (g, list(ev.items())) for g, ev in expected.items()
    ]


# Mostly Latin-1 (its own fast path), with the characters that leave it or spell out.
_latin = st.text(
    st.one_of(st.characters(max_codepoint=0x17F), st.sampled_from("’œŒ«»—–…\u0301αß½\0"))
)


@settings(max_examples=600, deadline=None)
@given(first=st.one_of(_latin, st.text()), second=st.one_of(_latin, st.text()))
def test_fold_raw_and_fold_raw_pair_fold_as_nfkd_does(first: str, second: str) -> None:
    expected = reference_fold_raw(first), reference_fold_raw(second)
    assert (fold_raw(first), fold_raw(second)) == expected
    assert fold_raw_pair(first, second) == expected


def test_a_tagging_pickles_back_the_same() -> None:
    tagging = default_tagger().tag(
        "Infarctus du myocarde chez l'enfant : une étude", "Cardiologues et pédiatres", ("orl",)
    )
    assert len(tagging.specialties) >= 2
    back = pickle.loads(pickle.dumps(tagging, protocol=pickle.HIGHEST_PROTOCOL))
    assert back == tagging and repr(back) == repr(tagging)
    assert type(back) is Tagging and all(type(t) is SpecialtyTag for t in back.specialties)
    assert back.specialties[0] == SpecialtyTag(*(getattr(tagging.specialties[0], f) for f in (
        "specialty", "score", "evidence")))
    empty = Tagging((), "news", ())
    assert pickle.loads(pickle.dumps(empty)) == empty


_names = st.lists(st.sampled_from("abcdefg"), max_size=3, unique=True).map(tuple)
_rule = st.builds(Rule, st.sampled_from(["r1", "r2", "r3"]), st.sampled_from("abcdefg"), _names, _names, _names)


@settings(max_examples=400, deadline=None)
@given(
    rules=st.lists(_rule, max_size=6),
    tagged=st.dictionaries(st.sampled_from("abcdefg"), st.none(), max_size=4),
    cues=st.dictionaries(
        st.sampled_from("abcdefg"), st.lists(st.sampled_from("uvwxyz"), max_size=3).map(tuple),
        max_size=5,
    ),
)
def test_apply_rules_as_before(
    rules: list[Rule], tagged: dict[str, None], cues: dict[str, tuple[str, ...]]
) -> None:
    assert apply_rules(rules, tagged, cues) == reference_apply_rules(rules, tagged, cues)
