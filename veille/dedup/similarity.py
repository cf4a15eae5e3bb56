"""The similarity decision: are two documents the same story? Pure functions.

* **Weights.** Drug names (ATC vocabulary) and diseases weigh 2, ordinary tokens 1; generic and place words (``maladie``, ``patients``,
  ``France``, ...) and numbers 0.5; template words (``rappel``, ``lot``, ``alerte``, agency
  names, dosage units, ...) 0.15. None of these can link two titles on their own. Once the window
  holds enough stories, tokens used by more than 0.5 % of its *stories* weigh less (IDF-like).
* **Similarity.** Weighted cosine (Ochiai) between title token sets, with typo-tolerant soft
  matches of leftover long words (rapidfuzz Levenshtein). The head of the summary can raise a
  title score that is already plausible (>= 0.3), never create one.
* **Never the same story** (score 0): two different products (drug names from the ATC
  vocabulary: "Levothyrox 100 µg" / "Ventoline 100 µg"; brands named as such: "marque Istara" /
  "marque Agour"), two different doses, two different
  numbered editions ("semaine 47" / "semaine 48", lot numbers, years), two different diseases
  ("Mpox" / "Choléra") or two different places ("Lyon" / "Marseille"; "France" and "Lyon" are
  compatible; place words inside a disease's name, "Crimée-Congo", "West Nile", do not count),
  two counts of the same thing ("2 000 cas" / "500 cas"), two months of one year ("mars 2025" /
  "février 2025": editions are typed, see `veille.dedup.markers`), two drug classes
  ("benzodiazépines" / "antihypertenseurs"), two serogroups or types ("méningocoque B" / "W"),
  two named trials ("FIND-CKD" / "FIDELIO-DKD"), a population and its negation ("non-diabetic"
  / "diabetes"), two parts of the body ("cancer du sein" / "cancer de la prostate": the
  glossary's ``[organ]`` lines), two groups of people ("seniors" / "pregnancies": its
  ``[people <group>]`` lines), two houses of a parliament ("sénateurs" / "Assemblée
  nationale": its ``[chamber]`` lines). The method then ends with ``-products``, ``-doses``,
  ``-edition``, ``-diseases``, ``-organs``, ``-people``, ``-chambers``, ``-places``, ``-quantities``, ``-classes``,
  ``-variants``, ``-trials`` or ``-negation``.
* **Caution** (score multiplied down): one title names a drug and the other none
  (``-product``), each title has a name the other lacks (``-names``), its
  own rare word while they share only common ones (``-rare``), different numbers
  (``-numbers``), different subjects before a colon (``-subject``), different kinds of event,
  recall vs shortage vs approval (``-kind``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from rapidfuzz.distance import Levenshtein

from veille.dedup.concepts import chambers, organs, people_groups
from veille.dedup.docs import StoryDoc
from veille.dedup.features import Features, features
from veille.dedup.text import base_weight
from veille.dedup.text import distinguishing as is_key

__all__ = ["Weights", "conflict", "score", "similarity"]

MIN_FUZZY_LEN = 6  # words shorter than this never match approximately
FUZZY_MIN_SIMILARITY = 0.8  # normalised Levenshtein similarity
SUMMARY_SHARE = 0.4  # final = max(T, (1 - share) * T + share * S)
MIN_TITLE_FOR_SUMMARY = 0.3
NUMBER_MISMATCH_FACTOR = 0.6
KIND_MISMATCH_FACTOR = 0.5
SUBJECT_MISMATCH_FACTOR = 0.5
RARE_CONFLICT_FACTOR = 0.4
NAME_CONFLICT_FACTOR = 0.5
PRODUCT_ASYMMETRY_FACTOR = 0.75
UNBRANDED_FACTOR = 0.5
LOCAL_BONUS = 0.15
RARE_RATIO = 3  # "rare" = at least this many times rarer in the window than anything shared
IDF_MIN_DOCS = 50  # below this many documents in the window, no frequency weighting
IDF_FREE_RATE = 0.005  # tokens in at most 0.5 % of the window keep their full weight
IDF_FLOOR = 0.2


def conflict(a: Features, b: Features) -> str | None:
    """Why two documents can never tell the same story, or None. Symmetric."""
    if a.products and b.products and not (a.products & b.products):
        # An INN is compatible with a brand of the same substance ("paracétamol" / "Doliprane"),
        # two brands are not ("Doliprane" / "Dafalgan").
        if not (a.product_codes & (b.product_codes | b.brand_codes)) and not (b.product_codes & a.brand_codes):
            return "products"
    if a.makers != b.makers and a.products and b.products:
        # A maker's generic is neither another maker's nor a brand ("Ibuprofène Mylan" / "Nurofen").
        lone = b if not b.makers else a if not a.makers else None
        if lone is None or lone.brand_codes:
            return "products"
    if a.labels and b.labels and not (a.labels & b.labels):
        return "products"  # two brands named as such ("marque Istara" / "marque Agour")
    if a.labels and b.labels and a.foods and b.foods and not (a.foods & b.foods):
        return "products"  # one brand, two kinds of food ("camembert" / "brie", marque Président)
    if a.doses and b.doses and not (a.doses & b.doses):
        return "doses"
    if a.quantities and b.quantities:
        counted_a: dict[str, set[str]] = {}
        for noun, n in a.quantities:
            counted_a.setdefault(noun, set()).add(n)
        counted_b: dict[str, set[str]] = {}
        for noun, n in b.quantities:
            counted_b.setdefault(noun, set()).add(n)
        # "2 000 cas" / "500 cas": two counts of the same thing are two reports.
        if any(not (counted_a[noun] & counted_b[noun]) for noun in counted_a.keys() & counted_b.keys()):
            return "quantities"
    if a.editions and b.editions and _editions_differ(a.editions, b.editions):
        return "edition"
    if a.classes and b.classes and not (a.classes & b.classes):
        return "classes"
    if a.variants and b.variants and not (a.variants & b.variants):
        return "variants"
    if a.trials and b.trials and not (a.trials & b.trials):
        return "trials"
    if (a.negated & (b.title.keys() - b.negated)) or (b.negated & (a.title.keys() - a.negated)):
        # "non-diabetic" / "type 1 diabetes": two populations.
        return "negation"
    if a.diseases and b.diseases and not (a.diseases & b.diseases):
        return "diseases"
    if a.concepts and b.concepts:
        organs_a, organs_b = organs(a.concepts), organs(b.concepts)
        if organs_a and organs_b and not (organs_a & organs_b):
            return "organs"  # "cancer du sein" / "cancer de la prostate"
        people_a, people_b = people_groups(a.concepts), people_groups(b.concepts)
        if people_a and people_b and not (people_a & people_b):
            return "people"  # "chez les seniors" / "in high-risk pregnancies"
        chambers_a, chambers_b = chambers(a.concepts), chambers(b.concepts)
        if chambers_a and chambers_b and not (chambers_a & chambers_b):
            return "chambers"  # "feu vert des sénateurs" / "l'Assemblée nationale adopte"
    if a.places and b.places and not (a.places & b.places):
        # A country is compatible with the places inside it ("France" / "Lyon").
        # So is a region with the départements and cities inside it ("Limousin" / "Haute-Vienne"),
        # and one place named in two languages ("Écosse" / "Scotland"): they share an area.
        if not ((a.country_only or b.country_only) and a.countries & b.countries) and not (a.areas & b.areas):
            return "places"
    return None


def _editions_differ(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether two sets of typed editions ("week:47", "month:3", "year:2025") share a type and
    no value of it: "mars 2025" / "février 2025" differ by month though they share the year."""
    by_type_a: dict[str, set[str]] = {}
    for e in a:
        kind, _, value = e.partition(":")
        by_type_a.setdefault(kind, set()).add(value)
    by_type_b: dict[str, set[str]] = {}
    for e in b:
        kind, _, value = e.partition(":")
        by_type_b.setdefault(kind, set()).add(value)
    return any(not (by_type_a[k] & by_type_b[k]) for k in by_type_a.keys() & by_type_b.keys())


class Weights:
    """Token weights: boilerplate is light; tokens frequent in the window are lighter.

    Frequencies count *stories* (not documents) of the window, so that the members of one story
    do not make its own words look common. The index keeps one instance (and its cache) for a
    while and renews it as the window changes (``StoryIndex._weights_for``).
    """

    __slots__ = ("df", "n", "epoch", "_cache")

    def __init__(self, df: dict[str, int] | None = None, n: int = 0, epoch: int = 0) -> None:
        self.df = df if df is not None else {}
        self.n = n
        self.epoch = epoch
        self._cache: dict[str, float] = {}

    def df_of(self, token: str) -> int:
        """Stories of the window using ``token`` (at least 1: the document that has it)."""
        return self.df.get(token, 0) or 1

    def total(self, tokens: Iterable[str]) -> float:
        cache = self._cache
        total = 0.0
        for t in tokens:
            v = cache.get(t)
            total += v if v is not None else self(t)
        return total

    def __call__(self, token: str) -> float:
        cached = self._cache.get(token)
        if cached is not None:
            return cached
        weight = base_weight(token)
        if self.n >= IDF_MIN_DOCS:
            rate = self.df_of(token) / self.n
            if rate > IDF_FREE_RATE:
                weight *= max(IDF_FLOOR, 1.0 - 0.4 * math.log10(rate / IDF_FREE_RATE))
        self._cache[token] = weight
        return weight


def _ochiai(a: Iterable[str], b: frozenset[str] | set[str], wa: float, wb: float, w: Weights) -> float:
    if wa <= 0 or wb <= 0:
        return 0.0
    shared = w.total(t for t in a if t in b)
    return shared / math.sqrt(wa * wb)


def _unbranded(a: Features, b: Features) -> bool:
    """Whether ``a`` names a brand as such ("de la marque Entremont") and ``b`` names no brand
    and no product at all."""
    return bool(a.labels) and not b.labels and not b.products and not (a.labels & set(b.title.values()))


def _names_differ(a: Features, b: Features, shared: list[str], soft_a: set[str], soft_b: set[str], w: Weights) -> bool:
    """Whether each title has its own rare word while they share only common ones.

    "Pénurie de Larobipo 100 mg : les recommandations de l'ANSM" and "Pénurie de Sarubiru 100 mg :
    les recommandations de l'ANSM" share a template; the words that name the story differ.
    """
    common = [w.df_of(t) for t in shared if is_key(t)]
    if not common:
        return False
    rarest_shared = min(common)
    if rarest_shared < RARE_RATIO:
        return False
    own_a = [w.df_of(t) for t in a.title if t not in b.title and t not in soft_a and is_key(t)]
    own_b = [w.df_of(t) for t in b.title if t not in a.title and t not in soft_b and is_key(t)]
    return bool(own_a and own_b) and min(own_a) * RARE_RATIO <= rarest_shared and min(own_b) * RARE_RATIO <= rarest_shared


def score(
    a: Features, b: Features, w: Weights, floor: float = 0.0, wa: float | None = None, wb: float | None = None
) -> tuple[float, str]:
    """Similarity of two documents (0..1) and how it was reached; symmetric.

    Returns ``(0.0, ...)`` early when the score cannot reach ``floor``, and ``(0.0,
    "title-tokens-<why>")`` when `conflict` says they can never be one story.
    """
    why = conflict(a, b)
    if why is not None:
        return 0.0, f"title-tokens-{why}"
    bt = b.title
    shared = [t for t in a.title if t in bt]
    distinguishing = sum(1 for t in shared if is_key(t))
    method = "title-tokens"
    # One concept in different words ("heart failure" / "insuffisance cardiaque"): those words
    # match as soft matches do.
    concept_a: set[str] = set()
    concept_b: set[str] = set()
    concept_pairs: list[tuple[frozenset[str], frozenset[str]]] = []
    absorbed_a: set[str] = set()
    absorbed_b: set[str] = set()
    if a.concepts and b.concepts:
        named_b = dict(b.concepts)
        for concept, stems_a in a.concepts:
            stems_b = named_b.get(concept)
            if stems_b is None:
                continue
            if bool(stems_a & a.negated) != bool(stems_b & b.negated):
                return 0.0, "title-tokens-negation"  # "non-fumeurs" / "heavy smokers"
            own_a = stems_a - bt.keys() - concept_a
            own_b = stems_b - a.title.keys() - concept_b
            if bool(own_a) != bool(own_b):
                # One name of the concept holds the other's words and more ("acide
                # alendronique" / "alendronate"): the extra words are the same name, not news.
                absorbed_a |= own_a
                absorbed_b |= own_b
            if own_a and own_b:
                concept_a |= own_a
                concept_b |= own_b
                concept_pairs.append((own_a, own_b))
                distinguishing += 1
        if concept_pairs:
            method = "title-tokens+concept"
    concept_a |= absorbed_a
    concept_b |= absorbed_b
    left_a = sorted((t, word) for t, word in a.title.items() if t not in bt and t not in concept_a and len(word) >= MIN_FUZZY_LEN and not word[0].isdigit())
    left_b = sorted((t, word) for t, word in bt.items() if t not in a.title and t not in concept_b and len(word) >= MIN_FUZZY_LEN and not word[0].isdigit()) if left_a else []
    if not distinguishing and not left_b:
        return 0.0, method
    wa = (w.total(a.title) if wa is None else wa) - (w.total(absorbed_a) if absorbed_a else 0.0)
    wb = (w.total(bt) if wb is None else wb) - (w.total(absorbed_b) if absorbed_b else 0.0)
    if wa <= 0 or wb <= 0:
        return 0.0, method
    norm = math.sqrt(wa * wb)
    inter = w.total(shared) + sum(min(w.total(own_a), w.total(own_b)) for own_a, own_b in concept_pairs)
    if floor > 0:
        reach = (inter + (min(w.total(t for t, _ in left_a), w.total(t for t, _ in left_b)) if left_b else 0.0)) / norm
        if a.has_text or b.has_text:
            reach = max(reach, (1 - SUMMARY_SHARE) * reach + SUMMARY_SHARE) if reach >= MIN_TITLE_FOR_SUMMARY else reach
        if reach < floor and (reach + LOCAL_BONUS < floor or not _local_event(a, b)):
            return 0.0, method
    # Typo-tolerant soft matches between leftover long words (rapidfuzz).
    soft_a: set[str] = set(concept_a)
    soft_b: set[str] = set(concept_b)
    if left_b:
        for ta, word_a in left_a:
            best, best_tb = 0.0, ""
            for tb, word_b in left_b:
                if tb in soft_b:
                    continue
                sim = Levenshtein.normalized_similarity(word_a, word_b, score_cutoff=FUZZY_MIN_SIMILARITY)
                if sim > best:
                    best, best_tb = sim, tb
            if best >= FUZZY_MIN_SIMILARITY:
                soft_a.add(ta)
                soft_b.add(best_tb)
                inter += min(w(ta), w(best_tb)) * best
                if is_key(ta) and is_key(best_tb):
                    distinguishing += 1
                method = "title-tokens+rapidfuzz"
    if distinguishing == 0:
        return 0.0, method
    score = min(1.0, inter / norm)
    if score >= MIN_TITLE_FOR_SUMMARY and (a.has_text or b.has_text):
        head_a = a.title.keys() | a.head  # the title's stems and the summary's head
        head_b = bt.keys() | b.head
        support = _ochiai(head_a, head_b, w.total(head_a), w.total(head_b), w)
        combined = (1 - SUMMARY_SHARE) * score + SUMMARY_SHARE * support
        if combined > score:
            score = combined
            method += "+summary"
    plain = method  # what the cautions below add to: none added, the "+local" gain may apply
    if bool(a.products) != bool(b.products) and a.kinds == b.kinds:
        # One names a drug, the other none ("FDA approves donanemab" / "FDA approves a blood test").
        score *= PRODUCT_ASYMMETRY_FACTOR
        method += "-product"
    if _unbranded(a, b) or _unbranded(b, a):
        # "ce fromage au lait cru est rappelé" / "fromage ... de la marque Entremont": the brand
        # is what tells one recall from another's of the same food.
        score *= UNBRANDED_FACTOR
        method += "-brand"
    if (a.names - bt.keys() - soft_a) and (b.names - a.title.keys() - soft_b):
        score *= NAME_CONFLICT_FACTOR
        method += "-names"
    elif _names_differ(a, b, shared, soft_a, soft_b, w):
        score *= RARE_CONFLICT_FACTOR
        method += "-rare"
    if a.numbers and b.numbers and not (a.numbers & b.numbers):
        score *= NUMBER_MISMATCH_FACTOR
        method += "-numbers"
    if a.subject and b.subject and not (a.subject & (bt.keys() | concept_a)) and not (b.subject & (a.title.keys() | concept_b)):
        score *= SUBJECT_MISMATCH_FACTOR
        method += "-subject"
    if a.kinds and b.kinds and not (a.kinds & b.kinds):
        score *= KIND_MISMATCH_FACTOR
        method += "-kind"
    if method == plain and _local_event(a, b):
        # Nothing sets them apart and they name one disease or drug in one place, or with one
        # figure, within days ("Légionellose à Grenoble : onze cas" / "Grenoble : 11 cas de
        # légionellose"; "Rougeole en Angleterre : 412 cas" / "measles cases in England rise to 412").
        score = min(1.0, score + LOCAL_BONUS)
        method += "+local"
    return score, method


def _local_event(a: Features, b: Features) -> bool:
    """Whether two titles share a disease or a drug and either a place inside a country (a city,
    a département, a region) or a figure (a number of 10 or more that is not a year: "412 cas"
    / "412 cases", "4,2 millions" / "4.2 million")."""
    figure = any(len(n) >= 2 and not (len(n) == 4 and n[:2] in ("19", "20")) for n in a.numbers & b.numbers)
    # ``local`` is read off the place table in the parsing workers: the main process, which
    # keeps the story index, does not load pycountry's tables (7 MB) for it.
    if not figure and not (a.areas & b.areas) and not (a.local & b.local):
        return False
    return bool(a.diseases & b.diseases or a.products & b.products or a.product_codes & (b.product_codes | b.brand_codes) or b.product_codes & a.brand_codes)


def similarity(a: StoryDoc, b: StoryDoc) -> tuple[float, str]:
    """Similarity of two documents on their own (no window statistics), and the method."""
    return score(features(a), features(b), Weights())
