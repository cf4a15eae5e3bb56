"""Near-duplicate detection: "the same story told differently".

Pure code, no I/O. An agency notice and the press articles about it are distinct items (different
URLs, paraphrased titles) that share a *story*. :class:`StoryIndex` links each new item to a story
already seen within a bounded time window, or starts a new one.

Design
------
* **Tokens.** Titles (and the head of the summary) are folded (accents, case, punctuation), split
  into words, stripped of FR/EN stop words and stemmed crudely but predictably: a final plural
  ``s`` is dropped and words are cut to their first 6 letters (``rappelle``/``rappel``,
  ``comprimés``/``comprimé``, ``recalled``/``recalls``). Digit groups are kept whole
  (``1 000`` -> ``1000``). A few FR/EN equivalences (measles/rougeole, shortage/pénurie, ...).
* **Weights.** Ordinary tokens weigh 1; generic and place words (``maladie``, ``patients``,
  ``France``, ``RDC``, ...) 0.5; template words (``rappel``, ``lot``, ``alerte``, ``sécurité``,
  ``recall``, ``update``, agency names, dosage units, ...) 0.15. Neither of the last two kinds
  can link two titles on its own, nor is used to find candidates. Once the window holds enough
  stories, tokens used by more than 0.5 % of its *stories* weigh less (IDF-like; counting
  stories, not documents, keeps a big story's own words heavy).
* **Index.** An inverted index ``token -> documents`` over the distinguishing title tokens of the
  documents in the window only. A lookup reads the postings of the query's rarest tokens (a token
  used by more than a few dozen documents is read only when nothing rarer is shared, and then
  only its most recent users), ranks candidates by the rarity of what they share (sum of
  1/posting length) and scores the best few precisely. Documents older than ``newest - retain``
  (``retain`` defaults to ``window``) are evicted as documents are added, so the cost of a lookup
  depends on the window's size, never on the archive's.
* **Similarity.** Weighted cosine (Ochiai) between title token sets, with typo-tolerant soft
  matches of leftover long words (rapidfuzz Levenshtein). The head of the summary can raise a
  title score that is already plausible (>= 0.3), never create one.
* **Caution.** A match needs at least one shared *distinguishing* title token: "Rappel de lots de
  Doliprane" and "Rappel de lots de Spasfon" share only template words and score 0. The score is
  then multiplied down when each title has a name (capitalised word, acronym, "Name :" prefix)
  the other lacks ("-names"), when each has its own rare word while they share only words common
  in the window ("-rare"), when their numbers all differ ("-numbers"), when they name different
  diseases or subjects ("-subject") or different kinds of event, recall vs shortage vs approval
  ("-kind"). The suffixes appear in :attr:`StoryMatch.method`.
* **Deterministic.** No randomness; ties are broken by item ids. Same input order -> same stories.
"""

from __future__ import annotations

import functools
import hashlib
import heapq
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from rapidfuzz.distance import Levenshtein

from veille.models import TIER_RANK

__all__ = [
    "BOILERPLATE",
    "DEFAULT_THRESHOLD",
    "DEFAULT_WINDOW",
    "DISEASES",
    "GENERIC",
    "StoryDoc",
    "StoryIndex",
    "StoryMatch",
    "fold",
    "new_story_id",
    "representative",
    "similarity",
    "tokens",
]

DEFAULT_WINDOW = timedelta(days=3)
DEFAULT_THRESHOLD = 0.45

BOILERPLATE_WEIGHT = 0.15
GENERIC_WEIGHT = 0.5
SUMMARY_CHARS = 300  # how much of the summary counts as supporting evidence
STEM_LEN = 6
MIN_FUZZY_LEN = 6  # words shorter than this never match approximately
FUZZY_MIN_SIMILARITY = 0.8  # normalised Levenshtein similarity
SUMMARY_SHARE = 0.4  # final = max(T, (1 - share) * T + share * S)
MIN_TITLE_FOR_SUMMARY = 0.3
NUMBER_MISMATCH_FACTOR = 0.6
KIND_MISMATCH_FACTOR = 0.5
SUBJECT_MISMATCH_FACTOR = 0.5
RARE_CONFLICT_FACTOR = 0.4
NAME_CONFLICT_FACTOR = 0.5
RARE_RATIO = 3  # "rare" = at least this many times rarer in the window than anything shared
IDF_MIN_DOCS = 50  # below this many documents in the window, no frequency weighting
IDF_FREE_RATE = 0.005  # tokens in at most 0.5 % of the window keep their full weight
IDF_FLOOR = 0.2
WEIGHTS_RENEW_ADDS = 500  # window weights are recomputed after this many adds...
WEIGHTS_RENEW_SHARE = 0.02  # ... or when the number of stories changed by this share
QUERY_TOKENS = 5  # postings of the query's rarest tokens that are read
COMMON_READ = 64  # entries read from a common token's posting when nothing rarer is shared
COMMON_CANDIDATES = 3  # candidates scored then
CANDIDATES = 6  # candidates scored precisely, at most
CANDIDATE_RATIO = 0.34  # ... among those sharing at least this share of the best candidate's weight
COMMON_POSTING = 48  # a posting longer than this is common (no story has that many items in days)


# --------------------------------------------------------------------------------------------
# Public data


@dataclass(frozen=True)
class StoryDoc:
    item_id: str
    source_id: str
    tier: str  # one of models.TIERS
    title: str
    text: str  # summary/plain text, may be ""
    published_at: datetime  # aware UTC
    story_id: str | None = None  # known story, when loading the window from the database


@dataclass(frozen=True)
class StoryMatch:
    story_id: str
    item_id: str  # the indexed item it matched best
    similarity: float  # 0..1
    method: str  # e.g. "title-tokens+rapidfuzz"


def new_story_id(doc: StoryDoc) -> str:
    """A deterministic story id for a story that starts with ``doc``."""
    return "s" + hashlib.sha1(doc.item_id.encode("utf-8"), usedforsecurity=False).hexdigest()[:16]


def representative(docs: Iterable[StoryDoc]) -> StoryDoc:
    """The item that stands for a story: best tier, then earliest publication, then item id."""
    best: StoryDoc | None = None
    best_key: tuple[int, datetime, str] | None = None
    for doc in docs:
        key = (TIER_RANK.get(doc.tier, len(TIER_RANK)), doc.published_at, doc.item_id)
        if best_key is None or key < best_key:
            best, best_key = doc, key
    if best is None:
        raise ValueError("representative() of no documents")
    return best


# --------------------------------------------------------------------------------------------
# Text


_LIGATURES = {"œ": "oe", "Œ": "Oe", "æ": "ae", "Æ": "Ae", "ß": "ss", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D"}
_EMPTY: frozenset[str] = frozenset()
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_DIGIT_GROUP = re.compile(r"(?<=\d)[ .\u00a0\u202f\u2009](?=\d{3}(?!\d))")


def _ascii(text: str) -> str:
    """``text`` in ASCII, case kept: ligatures spelt out, accents dropped, "1 000" -> "1000"."""
    if not text.isascii():
        for char, spelt in _LIGATURES.items():
            if char in text:
                text = text.replace(char, spelt)
        text = unicodedata.normalize("NFKD", text)
        text = _DIGIT_GROUP.sub("", text).encode("ascii", "ignore").decode("ascii")
    elif " " in text or "." in text:
        text = _DIGIT_GROUP.sub("", text)
    return text


def fold(text: str) -> str:
    """Lower-case ASCII words separated by single spaces: accents, case, punctuation removed."""
    return _NON_ALNUM.sub(" ", _ascii(text).lower()).strip()


_STOP = frozenset(
    """
    a au aux avec ce ces cet cette d dans de des du elle en entre et il ils j l la le les leur leurs
    lui m ma mais me meme mes moi mon n ne ni nos notre nous on ou par pas plus pour qu que qui
    s sa se selon ses si son sont sur t ta te tes toi ton tu un une vos votre vous y est ete etre
    ont a apres avant chez contre depuis dont sans sous vers tout tous toute toutes tres
    plusieurs certains certaines quelques deja encore aussi raison cause suite afin ainsi lors
    nouveau nouvelle nouveaux nouvelles
    the of and or in on for to with by at from is are was were be been as it its this that these
    those an into about over after before under than then there their they we you your our not
    no can could may might will would should has have had do does did new more most some several
    what how why who when where which amid via per vs due possible possibly know get gets got
    first says said say show shows shown just now here also still yet all any one out up
    faut fait faire font pourrait peut peuvent doit doivent ceux celle celles cela ca quoi
    comment pourquoi quand voici voila
    """.split()
)

# Generic and place words: they weigh less and never link two titles on their own
# ("Mpox en RDC" and "Choléra en RDC" share only a place).
GENERIC = frozenset(
    """
    maladie maladies disease diseases patient patients patiente patientes cas case cases etude
    etudes study studies risque risques risk risks traitement traitements treatment treatments
    sante health hopital hopitaux hospital hospitals medecin medecins doctor doctors soin soins
    care sanitaire public publique france francais francaise europe european europeen
    europeenne monde world mondial global international nationale national pays country
    region regions ville city usa us etats unis united states america american americain
    americaine uk royaume britain british chine china inde india afrique africa rdc congo
    allemagne germany espagne spain italie italy canada quebec bresil brazil japon japan
    paris lyon marseille londres london
    hausse baisse rise fall increase decrease augmentation nombre number chiffres figures
    annee year mois month semaine week jour day jours days aujourd hui today
    """.split()
)

# Template words: they say what kind of notice a title is, not which story it tells.
BOILERPLATE = frozenset(
    """
    rappel rappels rappele rappelle rappellent rappeler lot lots retrait retire retirer alerte
    alertes information informations securite communique communiques avis mise jour point
    situation annonce annoncent annonce urgent important actualite actualites message
    recommandation recommandations bulletin precaution mesure mesures produit produits
    medicament medicaments specialite specialites comprime comprimes gelule gelules sirop
    injectable solution suspension boite boites flacon flacons mg ml g ug mcg ui
    recall recalls recalled recalling press release releases update updates updated alert alerts
    safety warning warnings warns warn notice notices announcement announces announce statement
    product products drug drugs tablet tablets capsule capsules vial vials
    ansm has fda ema oms who cdc hcsp dgs spf sante publique mhra
    """.split()
)

# A few FR/EN equivalences, applied after stemming (cross-language matches are a bonus).
_SYNONYMS = {
    "measle": "rougeo",
    "shorta": "penuri",
    "outbre": "epidem",
    "flu": "grippe",
    "influe": "grippe",
    "case": "cas",
    "corona": "covid",
    "monkey": "mpox",
    "smallp": "variol",
    "hiv": "vih",
    "aids": "sida",
    "rsv": "vrs",
    "pertus": "coquel",
    "diphth": "diphte",
    "chicke": "varice",
    "rubell": "rubeol",
    "mumps": "oreill",
    "tetanu": "tetano",
    "scabie": "gale",
    "rabie": "rage",
    "poliom": "polio",
    "death": "deces",
    "dead": "deces",
    "child": "enfant",
    "childr": "enfant",
    "pregna": "grosse",
    "heart": "cardia",
    "cancer": "cancer",
    "breast": "sein",
    "bird": "aviair",
    "avian": "aviair",
}

# Kinds of event: two titles of different kinds tell different stories.
_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("recall", ("rappel", "recall", "retrait", "withdr")),
    ("shortage", ("penuri", "rupture", "tension", "shortage", "indisponib")),
    ("approval", ("autoris", "approve", "approval", "approuv")),
)


# Diseases and pathogens: two titles about different ones tell different stories, whatever else
# they share ("Mpox : l'épidémie s'étend en RDC" / "Choléra : l'épidémie s'étend en RDC").
DISEASES = frozenset(
    """
    mpox monkeypox variole smallpox cholera dengue rougeole measles grippe influenza flu covid
    coronavirus sars mers h5n1 h5n5 h1n1 h3n2 ebola marburg zika chikungunya paludisme malaria
    tuberculose tuberculosis polio poliomyelite poliomyelitis coqueluche pertussis diphterie
    diphtheria legionellose legionella listeria listeriose listeriosis salmonella salmonellose
    salmonellosis hepatite hepatitis vih hiv sida aids vrs rsv bronchiolite bronchiolitis
    meningite meningitis nipah lassa anthrax charbon botulisme botulism scarlatine
    scarlet oropouche fievre west nile rage rabies tetanos tetanus oreillons mumps rubeole
    rubella varicelle chickenpox gale scabies syphilis gonorrhee gonorrhea chlamydia
    alzheimer parkinson diabete diabetes obesite obesity cancer
    """.split()
) - {"west", "nile", "fievre", "scarlet", "charbon"}


_RAW_WORD = re.compile(r"[A-Za-z0-9]+")


def _names(words: list[str], first_ok: bool) -> frozenset[str]:
    """Stems of the words written as names: capitalised inside a sentence-case title, the first
    word of a "Name :" prefix, acronyms and words like EzriCare or H5N1 anywhere."""
    long_words = [w for w in words if len(w) >= 4 and w[0].isalpha()]
    title_case = bool(long_words) and sum(w[0].isupper() for w in long_words) >= 0.6 * len(long_words)
    names = set()
    for i, word in enumerate(words):
        if len(word) < 2 or word.isdigit() or word.islower():
            continue
        marked = (word.isupper() and word.isalpha()) or any(c.isupper() for c in word[1:]) or (
            any(c.isdigit() for c in word) and any(c.isalpha() for c in word)
        )
        if not marked and not title_case and word[0].isupper() and (i > 0 or first_ok):
            marked = True
        if marked:
            info = _word_info(word.lower())
            if info is not None and _distinguishing(info[0]):
                names.add(info[0])
    return frozenset(names) or _EMPTY


def _kind(word: str) -> str | None:
    if word.startswith("approvision"):
        return "shortage"
    for kind, prefixes in _KINDS:
        if word.startswith(prefixes):
            return kind
    return None


def _stem(word: str) -> str:
    if len(word) > 3 and word[-1] == "s" and not word.isdigit():
        word = word[:-1]
    if not word[0].isdigit():
        word = word[:STEM_LEN]
    return _SYNONYMS.get(word, word)


@functools.lru_cache(maxsize=1 << 16)
def _word_info(word: str) -> tuple[str, str | None] | None:
    """(stem, kind of event) of a folded word, or None for a stop word."""
    if word in _STOP or (len(word) < 2 and not word.isdigit()):
        return None
    return _stem(word), _kind(word)


def tokens(text: str) -> list[str]:
    """The stemmed tokens of ``text`` (stop words removed), in order, duplicates kept."""
    return [info[0] for w in fold(text).split() if (info := _word_info(w)) is not None]


_STEMMED_BOILERPLATE = frozenset(_stem(w) for w in BOILERPLATE)
_STEMMED_DISEASES = frozenset(_stem(w) for w in DISEASES)
_SUBJECT = re.compile(r"^\s*([^:|–—]{1,60}?)\s*(?::|\s[|–—]\s)")
_STEMMED_GENERIC = frozenset(_stem(w) for w in GENERIC) - _STEMMED_BOILERPLATE


def _is_boilerplate(token: str) -> bool:
    return token in _STEMMED_BOILERPLATE


def _base_weight(token: str) -> float:
    if token in _STEMMED_BOILERPLATE:
        return BOILERPLATE_WEIGHT
    if token in _STEMMED_GENERIC:
        return GENERIC_WEIGHT
    return 1.0


def _distinguishing(token: str) -> bool:
    """Whether sharing ``token`` can link two titles (and whether it is an index key)."""
    return token not in _STEMMED_BOILERPLATE and token not in _STEMMED_GENERIC


# --------------------------------------------------------------------------------------------
# Features and similarity


@dataclass(frozen=True, slots=True)
class _Features:
    title: dict[str, str]  # stem -> first full folded word, in title order
    head: frozenset[str]  # stems of title + summary head; empty when the summary adds nothing
    numbers: frozenset[str]
    kinds: frozenset[str]
    keys: tuple[str, ...]  # distinguishing title stems (index keys)
    subject: frozenset[str]  # distinguishing stems before a "Subject :" colon
    diseases: frozenset[str]
    names: frozenset[str]  # stems of capitalised words (products, places, people)
    has_text: bool  # the summary adds tokens to the title's


def _features(doc: StoryDoc) -> _Features:
    words = _RAW_WORD.findall(_ascii(doc.title))
    title: dict[str, str] = {}
    kinds = set()
    for word in words:
        lower = word.lower()
        info = _word_info(lower)
        if info is None:
            continue
        title.setdefault(info[0], lower)
        if info[1] is not None:
            kinds.add(info[1])
    head = set(title)
    if doc.text:
        head.update(tokens(doc.text[:SUMMARY_CHARS]))
    numbers = frozenset(t for t in title if t[0].isdigit()) or _EMPTY
    keys = tuple(t for t in title if _distinguishing(t))
    subject: frozenset[str] = frozenset()
    first_ok = False
    found = _SUBJECT.match(doc.title)
    if found is not None:
        before = _RAW_WORD.findall(_ascii(found.group(1)))
        if len(before) <= 5:
            subject = frozenset(info[0] for w in before if (info := _word_info(w.lower())) is not None and _distinguishing(info[0])) or _EMPTY
        # "Doliprane :", "Navikame 50 mg :", "Novo Nordisk :" but not "Défaut de dissolution :"
        first_ok = len(before) == 1 or (len(before) > 1 and (before[1][0].isdigit() or before[1][0].isupper()))
    diseases = frozenset(t for t in title if t in _STEMMED_DISEASES) or _EMPTY
    return _Features(
        title,
        frozenset(head) if len(head) > len(title) else _EMPTY,
        numbers,
        frozenset(kinds) or _EMPTY,
        keys,
        subject,
        diseases,
        _names(words, first_ok),
        len(head) > len(title),
    )


class _Weights:
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
        weight = _base_weight(token)
        if self.n >= IDF_MIN_DOCS:
            rate = self.df_of(token) / self.n
            if rate > IDF_FREE_RATE:
                weight *= max(IDF_FLOOR, 1.0 - 0.4 * math.log10(rate / IDF_FREE_RATE))
        self._cache[token] = weight
        return weight


def _ochiai(a: Iterable[str], b: frozenset[str] | set[str], wa: float, wb: float, w: _Weights) -> float:
    if wa <= 0 or wb <= 0:
        return 0.0
    shared = w.total(t for t in a if t in b)
    return shared / math.sqrt(wa * wb)


def _names_differ(a: _Features, b: _Features, shared: list[str], soft_a: set[str], soft_b: set[str], w: _Weights) -> bool:
    """Whether each title has its own rare word while they share only common ones.

    "Pénurie de Larobipo 100 mg : les recommandations de l'ANSM" and "Pénurie de Sarubiru 100 mg :
    les recommandations de l'ANSM" share a template; the words that name the story differ.
    """
    common = [w.df_of(t) for t in shared if _distinguishing(t)]
    if not common:
        return False
    rarest_shared = min(common)
    if rarest_shared < RARE_RATIO:
        return False
    own_a = [w.df_of(t) for t in a.title if t not in b.title and t not in soft_a and _distinguishing(t)]
    own_b = [w.df_of(t) for t in b.title if t not in a.title and t not in soft_b and _distinguishing(t)]
    return bool(own_a and own_b) and min(own_a) * RARE_RATIO <= rarest_shared and min(own_b) * RARE_RATIO <= rarest_shared


def _score(
    a: _Features, b: _Features, w: _Weights, floor: float = 0.0, wa: float | None = None, wb: float | None = None
) -> tuple[float, str]:
    """Similarity of two documents (0..1) and how it was reached; symmetric.

    Returns ``(0.0, ...)`` early when the score cannot reach ``floor``.
    """
    bt = b.title
    shared = [t for t in a.title if t in bt]
    distinguishing = sum(1 for t in shared if _distinguishing(t))
    method = "title-tokens"
    left_a = sorted((t, word) for t, word in a.title.items() if t not in bt and len(word) >= MIN_FUZZY_LEN and not word[0].isdigit())
    left_b = sorted((t, word) for t, word in bt.items() if t not in a.title and len(word) >= MIN_FUZZY_LEN and not word[0].isdigit()) if left_a else []
    if not distinguishing and not left_b:
        return 0.0, method
    wa = w.total(a.title) if wa is None else wa
    wb = w.total(bt) if wb is None else wb
    if wa <= 0 or wb <= 0:
        return 0.0, method
    norm = math.sqrt(wa * wb)
    inter = w.total(shared)
    if floor > 0:
        reach = (inter + (min(w.total(t for t, _ in left_a), w.total(t for t, _ in left_b)) if left_b else 0.0)) / norm
        if a.has_text or b.has_text:
            reach = max(reach, (1 - SUMMARY_SHARE) * reach + SUMMARY_SHARE) if reach >= MIN_TITLE_FOR_SUMMARY else reach
        if reach < floor:
            return 0.0, method
    # Typo-tolerant soft matches between leftover long words (rapidfuzz).
    soft_a: set[str] = set()
    soft_b: set[str] = set()
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
                if _distinguishing(ta) and _distinguishing(best_tb):
                    distinguishing += 1
                method = "title-tokens+rapidfuzz"
    if distinguishing == 0:
        return 0.0, method
    score = min(1.0, inter / norm)
    if score >= MIN_TITLE_FOR_SUMMARY and (a.has_text or b.has_text):
        head_a = a.head or frozenset(a.title)
        head_b = b.head or frozenset(bt)
        support = _ochiai(head_a, head_b, w.total(head_a), w.total(head_b), w)
        combined = (1 - SUMMARY_SHARE) * score + SUMMARY_SHARE * support
        if combined > score:
            score = combined
            method += "+summary"
    if (a.names - bt.keys() - soft_a) and (b.names - a.title.keys() - soft_b):
        score *= NAME_CONFLICT_FACTOR
        method += "-names"
    elif _names_differ(a, b, shared, soft_a, soft_b, w):
        score *= RARE_CONFLICT_FACTOR
        method += "-rare"
    if a.numbers and b.numbers and not (a.numbers & b.numbers):
        score *= NUMBER_MISMATCH_FACTOR
        method += "-numbers"
    if (a.diseases and b.diseases and not (a.diseases & b.diseases)) or (
        a.subject and b.subject and not (a.subject & bt.keys()) and not (b.subject & a.title.keys())
    ):
        score *= SUBJECT_MISMATCH_FACTOR
        method += "-subject"
    if a.kinds and b.kinds and not (a.kinds & b.kinds):
        score *= KIND_MISMATCH_FACTOR
        method += "-kind"
    return score, method


def similarity(a: StoryDoc, b: StoryDoc) -> tuple[float, str]:
    """Similarity of two documents on their own (no window statistics), and the method."""
    return _score(_features(a), _features(b), _Weights())


# --------------------------------------------------------------------------------------------
# The index


@dataclass(slots=True)
class _Entry:
    item_id: str  # the document itself is not kept: its summary may be long
    story_id: str
    features: _Features
    ts: float  # published_at as a POSIX timestamp
    seq: int
    total: float = 0.0  # weight of the title's tokens, as of weights epoch ``epoch``
    epoch: int = -1


Features = _Features


def features(doc: StoryDoc) -> Features:
    """What the index compares of a document (title and summary tokens, names, numbers...).
    Pure and picklable, so it can be computed where the document is parsed."""
    return _features(doc)


class StoryIndex:
    """Stories of the documents published within a sliding time window.

    ``window``: a document is compared with documents published at most this far from it, either
    way. ``threshold``: the similarity from which two documents tell the same story.
    ``retain``: how far behind the newest document entries are kept (default ``window``).
    """

    def __init__(
        self,
        window: timedelta = DEFAULT_WINDOW,
        threshold: float = DEFAULT_THRESHOLD,
        retain: timedelta | None = None,
    ) -> None:
        if window <= timedelta(0):
            raise ValueError("window must be positive")
        if not 0.0 < threshold <= 1.0:
            raise ValueError("threshold must be in (0, 1]")
        self.window = window
        self.threshold = threshold
        self.retain = retain if retain is not None else window
        self._window_s = window.total_seconds()
        self._retain_s = self.retain.total_seconds()
        self._entries: dict[int, _Entry] = {}
        self._by_item: dict[str, int] = {}
        self._postings: dict[str, dict[int, float]] = {}  # token -> seq -> timestamp
        self._df: dict[str, int] = {}  # token -> number of stories in the index using it
        self._story_tokens: dict[str, dict[str, int]] = {}  # story -> token -> members using it
        self._heap: list[tuple[float, int]] = []
        self._weights = _Weights(self._df, 0)
        self._weights_seq = 0
        self._seq = 0
        self._newest = -math.inf
        self.evicted = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._by_item

    def story_of(self, item_id: str) -> str | None:
        seq = self._by_item.get(item_id)
        return None if seq is None else self._entries[seq].story_id

    # -- adding and evicting

    def add(self, doc: StoryDoc, story_id: str) -> None:
        """Index ``doc`` as a member of ``story_id`` (replacing an earlier add of the same item)."""
        self._add(doc, story_id, _features(doc))

    def _add(self, doc: StoryDoc, story_id: str, features: _Features) -> None:
        old = self._by_item.get(doc.item_id)
        if old is not None:
            self._remove(old)
        ts = doc.published_at.timestamp()
        self._seq += 1
        seq = self._seq
        self._entries[seq] = _Entry(doc.item_id, story_id, features, ts, seq)
        self._by_item[doc.item_id] = seq
        counts = self._story_tokens.setdefault(story_id, {})
        for t in features.title:
            n = counts.get(t, 0)
            counts[t] = n + 1
            if not n:
                self._df[t] = self._df.get(t, 0) + 1
        for t in features.keys:
            self._postings.setdefault(t, {})[seq] = ts
        heapq.heappush(self._heap, (ts, seq))
        if ts > self._newest:
            self._newest = ts
        self._evict(self._newest - self._retain_s)

    def _evict(self, cutoff: float) -> None:
        heap = self._heap
        while heap and heap[0][0] < cutoff:
            _, seq = heapq.heappop(heap)
            if seq in self._entries:
                self._remove(seq)
                self.evicted += 1

    def _remove(self, seq: int) -> None:
        entry = self._entries.pop(seq)
        if self._by_item.get(entry.item_id) == seq:
            del self._by_item[entry.item_id]
        counts = self._story_tokens[entry.story_id]
        for t in entry.features.title:
            n = counts[t] - 1
            if n:
                counts[t] = n
                continue
            del counts[t]
            left = self._df[t] - 1
            if left:
                self._df[t] = left
            else:
                del self._df[t]
        if not counts:
            del self._story_tokens[entry.story_id]
        for t in entry.features.keys:
            posting = self._postings[t]
            del posting[seq]
            if not posting:
                del self._postings[t]

    # -- matching

    def match(self, doc: StoryDoc) -> StoryMatch | None:
        """The story within the window that ``doc`` tells best, or None."""
        return self._match(doc, _features(doc))

    def _weights_for(self) -> _Weights:
        """The weights of the window, renewed when it changed enough since they were made."""
        n = len(self._story_tokens)
        w = self._weights
        if self._seq - self._weights_seq >= WEIGHTS_RENEW_ADDS or abs(n - w.n) > WEIGHTS_RENEW_SHARE * w.n:
            w = self._weights = _Weights(self._df, n, w.epoch + 1)
            self._weights_seq = self._seq
        return w

    def _match(self, doc: StoryDoc, features: _Features) -> StoryMatch | None:
        if not features.keys or not self._entries:
            return None
        weights = self._weights_for()
        epoch = weights.epoch
        wa = weights.total(features.title)
        ts = doc.published_at.timestamp()
        lo, hi = ts - self._window_s, ts + self._window_s
        # Read the postings of the rarest distinguishing tokens, most recent entries first; a
        # token common in the window is read only while nothing rarer found a candidate.
        postings = self._postings
        keys = sorted(features.keys, key=lambda t: (len(postings.get(t, ())), t))[:QUERY_TOKENS]
        common = COMMON_POSTING
        tally: dict[int, float] = {}
        limit = CANDIDATES
        for t in keys:
            posting = postings.get(t)
            if not posting:
                continue
            if len(posting) > common:
                if tally:
                    break
                cap = COMMON_READ  # nothing rarer is shared: the most recent users of t only
                limit = COMMON_CANDIDATES
            else:
                cap = common
            wt = 1.0 / len(posting)  # rarer shared tokens rank candidates first
            for n, (seq, when) in enumerate(reversed(posting.items())):
                if n >= cap:
                    break
                if lo <= when <= hi:
                    tally[seq] = tally.get(seq, 0.0) + wt
            if cap == COMMON_READ:
                break
        tally.pop(self._by_item.get(doc.item_id, -1), None)
        if not tally:
            return None
        # Candidates sharing the rarest tokens first; those sharing much less than the best are
        # not scored.
        least = CANDIDATE_RATIO * max(tally.values())
        candidates = sorted((-shared, seq) for seq, shared in tally.items() if shared >= least)
        best: tuple[float, str, str, str] | None = None  # (score, item_id, story_id, method)
        for _, seq in candidates[:limit]:
            entry = self._entries[seq]
            if entry.epoch != epoch:
                entry.total = weights.total(entry.features.title)
                entry.epoch = epoch
            score, method = _score(features, entry.features, weights, self.threshold, wa, entry.total)
            if score >= self.threshold and (
                best is None or score > best[0] or (score == best[0] and entry.item_id < best[1])
            ):
                best = (score, entry.item_id, entry.story_id, method)
        if best is None:
            return None
        score, item_id, story_id, method = best
        return StoryMatch(story_id=story_id, item_id=item_id, similarity=round(score, 4), method=method)

    def assign(self, doc: StoryDoc, features: Features | None = None) -> tuple[str, StoryMatch | None]:
        """Match ``doc``; on no match start a new story (``new_story_id(doc)``); then index it.

        A ``doc.story_id`` already known (loaded from the database) is kept as is.
        ``features``: ``features(doc)`` computed beforehand (e.g. in a parsing worker process).
        """
        if features is None:
            features = _features(doc)
        if doc.story_id is not None:
            self._add(doc, doc.story_id, features)
            return doc.story_id, None
        found = self._match(doc, features)
        story_id = found.story_id if found is not None else new_story_id(doc)
        self._add(doc, story_id, features)
        return story_id, found
