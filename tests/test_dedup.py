"""Golden cases for the near-duplicate ("same story told differently") engine."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veille.dedup import (
    StoryDoc,
    StoryIndex,
    StoryMatch,
    fold,
    new_story_id,
    representative,
    similarity,
)

T0 = datetime(2024, 5, 6, 8, 0, tzinfo=UTC)


def doc(
    item_id: str,
    title: str,
    *,
    source: str = "src",
    tier: str = "press",
    hours: float = 0.0,
    text: str = "",
    story_id: str | None = None,
) -> StoryDoc:
    return StoryDoc(
        item_id=item_id,
        source_id=source,
        tier=tier,
        title=title,
        text=text,
        published_at=T0 + timedelta(hours=hours),
        story_id=story_id,
    )


# (agency notice, outlet 1, outlet 2): each triple is one story.
TRIPLES = [
    (
        doc("ansm-1", "Rappel de lots de Doliprane 1000 mg comprimés en raison d'un défaut de dissolution", source="ansm", tier="official", hours=0),
        doc("vidal-1", "Doliprane 1000 mg : rappel de plusieurs lots pour défaut de dissolution", source="vidal", tier="journal", hours=3),
        doc("egora-1", "Défaut de dissolution : l'ANSM rappelle des lots de Doliprane", source="egora", tier="press", hours=7),
    ),
    (
        doc("ansm-2", "Tensions d'approvisionnement en amoxicilline : l'ANSM recommande de prioriser les formes pédiatriques", source="ansm", tier="official", hours=1),
        doc("quoti-2", "Pénurie d'amoxicilline pédiatrique : les recommandations de l'ANSM", source="quotidien", tier="press", hours=5),
        doc("egora-2", "Amoxicilline : l'agence demande de prioriser les formes pédiatriques face aux tensions", source="egora", tier="press", hours=20),
    ),
    (
        doc("spf-3", "Dengue : premier cas autochtone de l'année en Occitanie", source="spf", tier="official", hours=2),
        doc("lemonde-3", "Occitanie : un cas autochtone de dengue signalé, le premier de l'année", source="lemonde", tier="press", hours=6),
        doc("vidal-3", "Dengue autochtone en Occitanie : premier cas confirmé par Santé publique France", source="vidal", tier="journal", hours=30),
    ),
    (
        doc("fda-4", "EzriCare Artificial Tears recalled due to possible bacterial contamination", source="fda", tier="official", hours=0.5),
        doc("cnn-4", "Artificial tears recalled after bacterial contamination linked to infections", source="cnn", tier="press", hours=4),
        doc("stat-4", "EzriCare artificial tears: what to know about the bacterial contamination recall", source="stat", tier="journal", hours=26),
    ),
    (
        doc("fda-5", "FDA approves Leqembi, first drug shown to slow Alzheimer's disease progression", source="fda", tier="official", hours=1.5),
        doc("cnn-5", "FDA grants full approval to Alzheimer's drug Leqembi", source="cnn", tier="press", hours=2),
        doc("reuters-5", "Alzheimer's drug Leqembi wins full FDA approval", source="reuters", tier="press", hours=9),
    ),
    (
        doc("cdc-6", "CDC confirms H5N1 bird flu infection in a Texas dairy worker", source="cdc", tier="official", hours=4),
        doc("cnn-6", "Texas dairy worker infected with H5N1 bird flu, CDC says", source="cnn", tier="press", hours=6),
        doc("nyt-6", "Bird flu H5N1: dairy farm worker in Texas tests positive", source="nyt", tier="press", hours=40),
    ),
]

# Distinct stories that share templates, sources, days or places: none may merge.
DISTINCT = [
    doc("ansm-10", "Rappel de lots de Dafalgan 1000 mg", source="ansm", tier="official", hours=50),
    doc("ansm-11", "Rappel de lots de Spasfon", source="ansm", tier="official", hours=50.5),
    doc("ansm-12", "Rappel de lots de Levothyrox 50 µg pour défaut de qualité", source="ansm", tier="official", hours=51),
    doc("ansm-13", "Alerte de sécurité : pompes à insuline MiniMed 780G – risque de surdosage", source="ansm", tier="official", hours=51),
    doc("ansm-14", "Alerte de sécurité : défibrillateurs Lifepak 15 – défaut de batterie", source="ansm", tier="official", hours=51.5),
    doc("oms-15", "Mpox en RDC", source="oms", tier="official", hours=52),
    doc("oms-16", "Choléra en RDC", source="oms", tier="official", hours=52),
    doc("fda-17", "Recall: Cardinal Health Monoject syringes", source="fda", tier="official", hours=53),
    doc("fda-18", "Recall: Medtronic HeartWare HVAD pump", source="fda", tier="official", hours=53),
    doc("fda-19", "Safety alert: Philips DreamStation CPAP devices", source="fda", tier="official", hours=53.5),
    doc("ansm-20", "Ozempic : tensions d'approvisionnement jusqu'à fin juin", source="ansm", tier="official", hours=54),
    doc("ansm-21", "Information de sécurité : Ozempic et risque de pancréatite", source="ansm", tier="official", hours=54.5),
    doc("ansm-22", "Rappel de lots de Doliprane 500 mg gélules", source="ansm", tier="official", hours=55),
]


def _all_docs() -> list[StoryDoc]:
    docs = [d for triple in TRIPLES for d in triple] + DISTINCT
    return sorted(docs, key=lambda d: (d.published_at, d.item_id))


def _assign_all(docs: list[StoryDoc], **kwargs: object) -> dict[str, str]:
    index = StoryIndex(**kwargs)  # type: ignore[arg-type]
    return {d.item_id: index.assign(d)[0] for d in docs}


# -- merging


@pytest.mark.parametrize("triple", TRIPLES, ids=[t[0].item_id for t in TRIPLES])
def test_paraphrased_triple_merges(triple: tuple[StoryDoc, StoryDoc, StoryDoc]) -> None:
    stories = _assign_all(sorted(triple, key=lambda d: d.published_at))
    assert len(set(stories.values())) == 1, stories
    assert representative(triple).tier == "official"


def test_triples_merge_among_noise() -> None:
    stories = _assign_all(_all_docs())
    for triple in TRIPLES:
        ids = {stories[d.item_id] for d in triple}
        assert len(ids) == 1, [d.title for d in triple]
        # The story id is the one of the first item published (the agency notice here).
        first = min(triple, key=lambda d: (d.published_at, d.item_id))
        assert ids == {new_story_id(first)}
        assert representative(triple) is triple[0]
    in_triples = {stories[d.item_id] for t in TRIPLES for d in t}
    for d in DISTINCT:
        assert stories[d.item_id] == new_story_id(d), d.title
        assert stories[d.item_id] not in in_triples


def test_match_is_explainable() -> None:
    index = StoryIndex()
    a, b, c = TRIPLES[0]
    index.add(a, "story-a")
    found = index.match(b)
    assert isinstance(found, StoryMatch)
    assert found.story_id == "story-a"
    assert found.item_id == "ansm-1"
    assert 0.5 <= found.similarity <= 1.0
    assert found.method.startswith("title-tokens")
    # match() does not index
    assert len(index) == 1


def test_same_source_republished_with_edit_matches() -> None:
    index = StoryIndex()
    first = doc("f-1", "Valproate : nouvelles mesures pour limiter l'exposition pendant la grossesse", source="ansm", tier="official")
    again = doc("f-2", "Valproate : de nouvelles mesures pour limiter l'exposition au cours de la grossesse (mise à jour)", source="ansm", tier="official", hours=5)
    sid, _ = index.assign(first)
    sid2, found = index.assign(again)
    assert sid2 == sid and found is not None


def test_typo_matches_with_rapidfuzz() -> None:
    index = StoryIndex()
    index.add(doc("a", "Ozempic shortage expected to last until summer, Novo Nordisk says"), "s1")
    found = index.match(doc("b", "Novo Nordisk expects Ozenpic shortage to last until summer", hours=1))
    assert found is not None and found.story_id == "s1"
    assert "rapidfuzz" in found.method


def test_summary_supports_a_borderline_title() -> None:
    a = doc("a", "Leqembi : feu vert complet de la FDA contre Alzheimer", text="La FDA a accordé une autorisation complète au lecanemab (Leqembi) d'Eisai et Biogen contre la maladie d'Alzheimer.")
    b = doc("b", "Alzheimer : le lecanemab obtient une autorisation complète aux États-Unis", text="Le lecanemab (Leqembi), développé par Eisai et Biogen, a obtenu une autorisation complète de la FDA.", hours=2)
    title_only, _ = similarity(doc("a", a.title), doc("b", b.title))
    with_text, method = similarity(a, b)
    assert with_text > title_only
    assert "summary" in method
    index = StoryIndex()
    index.add(a, "s")
    assert index.match(b) is not None


def test_summary_alone_never_links() -> None:
    text = "L'ANSM a été informée par le laboratoire d'un défaut de qualité sur certains lots. Par mesure de précaution, les lots concernés sont rappelés."
    a = doc("a", "Rappel de lots de Doliprane 1000 mg", text=text)
    b = doc("b", "Rappel de lots de Spasfon", text=text, hours=1)
    assert similarity(a, b)[0] == 0.0
    index = StoryIndex()
    index.add(a, "s")
    assert index.match(b) is None


# -- caution


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Rappel de lots de Doliprane 1000 mg", "Rappel de lots de Spasfon"),
        ("Rappel de lots de Doliprane 1000 mg", "Rappel de lots de Doliprane 500 mg gélules"),
        ("Alerte de sécurité : pompes à insuline MiniMed 780G", "Alerte de sécurité : défibrillateurs Lifepak 15"),
        ("Mpox en RDC", "Choléra en RDC"),
        ("Mpox : l'épidémie s'étend en RDC", "Choléra : l'épidémie s'étend en RDC"),
        ("Recall: Cardinal Health Monoject syringes", "Recall: Medtronic HeartWare HVAD pump"),
        ("Ozempic : tensions d'approvisionnement", "Rappel de lots d'Ozempic"),
        ("Press release: update on measles", "Press release: update on mpox"),
    ],
)
def test_template_titles_do_not_merge(a: str, b: str) -> None:
    index = StoryIndex()
    index.add(doc("a", a, source="agency", tier="official"), "s1")
    assert index.match(doc("b", b, source="agency", tier="official", hours=0.5)) is None


def test_distinct_same_day_recalls_from_one_agency() -> None:
    stories = _assign_all(sorted(DISTINCT, key=lambda d: d.published_at))
    assert len(set(stories.values())) == len(DISTINCT)


# -- window, folding, determinism


def test_outside_window_no_match() -> None:
    a, b, _ = TRIPLES[0]
    late = doc("late", b.title, hours=3 * 24 + 1)
    index = StoryIndex()
    index.add(a, "s")
    assert index.match(late) is None
    assert index.match(doc("in", b.title, hours=3 * 24 - 1)) is not None
    wide = StoryIndex(window=timedelta(days=5), span=timedelta(days=5))
    wide.add(a, "s")
    assert wide.match(late) is not None


def test_window_is_both_ways() -> None:
    index = StoryIndex()
    a, b, _ = TRIPLES[0]
    index.add(b, "s")  # the later item arrives first
    found = index.match(a)
    assert found is not None and found.story_id == "s"


def test_accents_case_punctuation_do_not_matter() -> None:
    assert fold("Éléphant, ÉLÉPHANT ; «éléphant» !") == "elephant elephant elephant"
    assert fold("Œdème — cœur") == "oedeme coeur"
    assert fold("1 000 mg") == "1000 mg"
    a = doc("a", "Rappel de lots de Doliprane 1000 mg : défaut de dissolution")
    b = doc("b", "RAPPEL DE LOTS DE DOLIPRANE 1 000 MG -- DEFAUT DE DISSOLUTION!!!", hours=1)
    score, _ = similarity(a, b)
    assert score == pytest.approx(1.0)


def test_deterministic_twice() -> None:
    docs = _all_docs()
    assert _assign_all(docs) == _assign_all(docs)
    index1, index2 = StoryIndex(), StoryIndex()
    m1 = [index1.assign(d) for d in docs]
    m2 = [index2.assign(d) for d in docs]
    assert m1 == m2


def test_ties_broken_by_item_id() -> None:
    index = StoryIndex()
    title = "Doliprane 1000 mg : rappel de plusieurs lots pour défaut de dissolution"
    index.add(doc("b-item", title), "s-b")
    index.add(doc("a-item", title), "s-a")
    found = index.match(doc("q", title, hours=1))
    assert found is not None and found.item_id == "a-item" and found.story_id == "s-a"


def test_known_story_id_is_kept() -> None:
    index = StoryIndex()
    a, b, _ = TRIPLES[0]
    assert index.assign(doc(a.item_id, a.title, story_id="from-db")) == ("from-db", None)
    sid, found = index.assign(b)
    assert sid == "from-db" and found is not None and found.item_id == a.item_id


def test_new_story_id() -> None:
    a = TRIPLES[0][0]
    assert new_story_id(a) == new_story_id(doc(a.item_id, "another title"))
    assert new_story_id(a).startswith("s") and len(new_story_id(a)) == 17
    assert new_story_id(a) != new_story_id(TRIPLES[0][1])


# -- representative


def test_representative_tier_then_date_then_id() -> None:
    press = doc("p", "t", tier="press", hours=0)
    journal_late = doc("j2", "t", tier="journal", hours=5)
    journal_early = doc("j1", "t", tier="journal", hours=1)
    journal_early_b = doc("j0", "t", tier="journal", hours=1)
    social = doc("x", "t", tier="social", hours=-10)
    assert representative([press, journal_late, social]) is journal_late
    assert representative([press, journal_late, journal_early, social]) is journal_early
    assert representative([journal_early, journal_early_b]) is journal_early_b
    official = doc("o", "t", tier="official", hours=48)
    assert representative([press, official, journal_early]) is official
    with pytest.raises(ValueError):
        representative([])


# -- bounded cost


def test_index_stays_window_sized() -> None:
    rng = random.Random(7)
    names = ["Doliprane", "Spasfon", "Ozempic", "Levothyrox", "Amoxicilline", "Dafalgan", "Xarelto", "Eliquis"]
    index = StoryIndex(window=timedelta(days=3))
    n, days = 20_000, 60
    per_day = n / days
    largest = 0
    for i in range(n):
        name = f"{rng.choice(names)}{rng.randrange(1000)}"
        d = doc(f"i{i}", f"Rappel de lots de {name} {rng.choice((5, 10, 20, 40))} mg", hours=i * 24 / per_day)
        index.assign(d)
        largest = max(largest, len(index))
    window_docs = 3 * per_day
    assert largest <= window_docs * 1.05 + 2
    assert len(index) <= window_docs * 1.05 + 2
    assert index.evicted >= n - window_docs * 1.05 - 2


def test_out_of_order_items_do_not_grow_the_index() -> None:
    index = StoryIndex()
    for i in range(2000):
        # alternately far in the past and in the present
        hours = i * 0.5 if i % 2 else -1000.0 + i
        index.add(doc(f"i{i}", f"Produit{i} défaut", hours=hours), f"s{i}")
    assert len(index) <= 3 * 24 * 2 + 2


# -- properties


_titles = st.text(alphabet=st.sampled_from("abcdéèEÉ 0123456789:-'rappellotsDoliprane"), max_size=60)


@settings(max_examples=200, deadline=None)
@given(_titles, _titles, _titles, _titles)
def test_similarity_symmetric_and_bounded(t1: str, t2: str, s1: str, s2: str) -> None:
    a = doc("a", t1, text=s1)
    b = doc("b", t2, text=s2, hours=1)
    ab, _ = similarity(a, b)
    ba, _ = similarity(b, a)
    assert 0.0 <= ab <= 1.0
    assert ab == pytest.approx(ba)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=40), min_size=1, max_size=8), st.sampled_from(["", "   ", " : ", "de la", "Rappel de lots", "!!!", "— update —"]))
def test_empty_or_template_title_matches_nothing(titles: list[str], empty: str) -> None:
    index = StoryIndex()
    for i, title in enumerate(titles):
        index.add(doc(f"i{i}", title, text=title), f"s{i}")
    index.add(doc("e0", empty), "se")
    assert index.match(doc("e", empty, text="Rappel de lots")) is None
    sid, found = index.assign(doc("e2", empty, hours=1))
    assert found is None and sid == new_story_id(doc("e2", empty))


# -- explanations and odds and ends


def test_penalties_are_named_in_the_method() -> None:
    score, method = similarity(doc("a", "Ozempic : tensions d'approvisionnement"), doc("b", "Rappel de lots d'Ozempic"))
    assert "-kind" in method and score < 0.45
    score, method = similarity(
        doc("a", "Contamination microbienne : l'ANSM rappelle des lots de Robulisa"),
        doc("b", "Fotanefe : retrait de lots après une contamination microbienne"),
    )
    assert "-names" in method and score < 0.45


def test_cross_language_is_a_bonus() -> None:
    score, _ = similarity(doc("a", "Rougeole : hausse des cas en Europe"), doc("b", "Measles cases rise in Europe"))
    assert score > 0.0


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError):
        StoryIndex(window=timedelta(0))
    with pytest.raises(ValueError):
        StoryIndex(threshold=0.0)


def test_readding_an_item_replaces_it() -> None:
    index = StoryIndex()
    a = TRIPLES[0][0]
    index.add(a, "s1")
    index.add(a, "s2")
    assert len(index) == 1
    found = index.match(TRIPLES[0][1])
    assert found is not None and found.story_id == "s2"
    assert index.match(a) is None  # an item never matches itself


def test_features_cross_processes_unchanged_and_share_their_words() -> None:
    """Features pickled by two parsing workers come back equal, score the same, and the words
    they have in common are one string in the main process (the index keeps them all)."""
    import pickle

    from veille.dedup import features
    from veille.dedup.similarity import Weights, score

    a = doc("a", "Leqembi : feu vert complet de la FDA contre Alzheimer", text="La FDA a accordé une autorisation complète au lecanemab (Leqembi) d'Eisai et Biogen contre la maladie d'Alzheimer.")
    b = doc("b", "Alzheimer : le lecanemab obtient une autorisation complète aux États-Unis", text="Le lecanemab (Leqembi), développé par Eisai et Biogen, a obtenu une autorisation complète de la FDA.", hours=2)
    fa, fb = features(a), features(b)
    ra, rb = pickle.loads(pickle.dumps(fa)), pickle.loads(pickle.dumps(fb))
    assert (ra, rb) == (fa, fb) and ra.head == fa.head and ra.head
    assert score(ra, rb, Weights()) == score(fa, fb, Weights()) == similarity(a, b)
    theirs = {t: t for t in rb.title}
    shared = [t for t in ra.title if t in theirs]
    assert shared
    assert all(t is theirs[t] for t in shared)
    own = {t: t for t in ra.title}
    assert all(own[t] is t for t in ra.keys) and all(own.get(t, t) is t for t in ra.head)
    # The head keeps only the summary's words that the title lacks; a word of both heads is one string.
    assert not own.keys() & set(ra.head) and ra.keys
    heads = {t: t for t in rb.head}
    assert any(t in heads for t in ra.head) and all(t is heads[t] for t in ra.head if t in heads)
    # Empty sets come back as one shared object (most of an item's sets are empty), full ones equal.
    from dataclasses import fields as dc_fields

    sets = [(getattr(fa, f.name), getattr(ra, f.name), getattr(rb, f.name)) for f in dc_fields(fa)
            if isinstance(getattr(fa, f.name), frozenset)]
    empties = [r for orig, r, _ in sets if not orig]
    assert empties and all(r is empties[0] for r in empties)
    assert all(r == orig for orig, r, _ in sets) and any(orig for orig, _, _ in sets)
    # Full sets equal to another item's are that item's set: the index keeps one copy.
    equal = [(x, y) for _, x, y in sets if x and x == y]
    assert equal and all(x is y for x, y in equal)
    assert ra.has_text is fa.has_text and ra.country_only is fa.country_only


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 11), st.integers(0, 3), st.integers(0, 5), st.integers(0, 200)), min_size=1, max_size=60))
def test_token_counts_stay_those_of_the_stories_in_the_index(ops) -> None:
    """The index keeps per-story token counts only for stories of two items or more (most
    stories have one); whatever the adds, replacements and evictions, its document frequencies
    and story count are those recomputed from the entries it holds."""
    from collections import Counter

    words = ["grippe", "vaccin", "rougeole", "Lyon", "hausse", "rappel", "lot", "", "cas", "hôpital"]
    index = StoryIndex(retain=timedelta(hours=48))
    for item, story, word, hours in ops:
        title = " ".join(words[(word + k) % len(words)] for k in range(word % 3 + 1)).strip()
        index.add(doc(f"i{item}", title or "2026", hours=hours), f"s{story}")
        by_story: dict[str, set[str]] = {}
        for entry in index._entries.values():
            by_story.setdefault(entry.story_id, set()).update(entry.features.title)
        expected = Counter(t for tokens in by_story.values() for t in tokens)
        assert index._df == dict(expected)
        assert index._token_stories == sum(1 for tokens in by_story.values() if tokens)
        assert set(index._story_tokens) == {s for s, members in index._stories.items() if not isinstance(members, int)}
        assert all(len(members) >= 2 for members in index._stories.values() if not isinstance(members, int))
        members_of: dict[str, set[int]] = {}
        for seq, entry in index._entries.items():
            members_of.setdefault(entry.story_id, set()).add(seq)
        assert {s: {m} if isinstance(m, int) else set(m) for s, m in index._stories.items()} == members_of


def test_unpickled_sets_keep_one_copy_of_their_words_and_concept_pairs() -> None:
    """Two items naming the same concept and places, each with its own other words: after the
    trip from a worker, the (concept, stems) pair is one object, and the words inside sets that
    differ are the same strings as the other item's (the index keeps every item of the window)."""
    import pickle

    from veille.dedup import features

    a = doc("a", "Insuffisance cardiaque : hausse des hospitalisations à Lyon et Grenoble")
    b = doc("b", "Insuffisance cardiaque : nouvelles recommandations à Lyon et Marseille", hours=3)
    fa, fb = features(a), features(b)
    assert fa.concepts and fb.concepts and fa.places != fb.places
    ra, rb = pickle.loads(pickle.dumps(fa)), pickle.loads(pickle.dumps(fb))
    assert (ra, rb) == (fa, fb)
    pairs_b = dict(rb.concepts)
    common = [(c, stems) for c, stems in ra.concepts if c in pairs_b]
    assert common
    for concept, stems in common:
        twin = next(p for p in rb.concepts if p[0] == concept)
        assert twin is next(p for p in ra.concepts if p[0] == concept)
        assert stems is pairs_b[concept]
    words_b = {w: w for w in rb.places}
    lyon = [w for w in ra.places if w in words_b]
    assert lyon and all(w is words_b[w] for w in lyon)


def test_the_index_weighs_local_places_without_loading_the_place_tables() -> None:
    """The main process keeps the story index and scores unpickled features: whether a shared
    place is inside a country ("+local") was read off the place table where the features were
    made (the parsing workers), so the main process never loads pycountry's tables (~7 MB)."""
    import pickle
    import subprocess
    import sys

    from veille.dedup import features

    a = doc("a", "Légionellose à Grenoble : l'ARS enquête sur l'origine des cas")
    b = doc("b", "Grenoble : l'origine des cas de légionellose recherchée par l'ARS", hours=2)
    blob = pickle.dumps((features(a), features(b)))
    code = (
        "import pickle, sys\n"
        "from veille.dedup import names\n"
        "from veille.dedup.similarity import Weights, score\n"
        "fa, fb = pickle.loads(sys.stdin.buffer.read())\n"
        "print(score(fa, fb, Weights())[1], names.places.cache_info().currsize)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], input=blob, capture_output=True, check=True).stdout.decode().split()
    assert "+local" in out[0]
    assert out[1] == "0"
