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
  (``1 000`` -> ``1000``).
* **Weights.** Ordinary tokens weigh 1. Template/boilerplate words (``rappel``, ``lot``,
  ``alerte``, ``sécurité``, ``recall``, ``update``, agency names, dosage units, ...) weigh
  ``0.15`` and are never used to find candidates. When the window holds enough documents, tokens
  frequent in the window (IDF-like: more than 0.5 % of documents) are down-weighted further.
* **Index.** An inverted index ``token -> documents`` over the non-boilerplate title tokens of the
  documents in the window only. A lookup reads the postings of the query's rarest tokens (each
  posting read is capped), ranks candidates by shared weight and scores the best few precisely.
  Documents older than ``newest - retain`` (``retain`` defaults to ``window``) are evicted as
  documents are added, so the cost of a lookup depends on the window's size, never on the archive.
* **Similarity.** Weighted cosine (Ochiai) between title token sets, with typo-tolerant soft
  matches of leftover words (rapidfuzz Levenshtein, long non-numeric words only). The head of the
  summary can raise a title score that is already plausible, never create one.
* **Caution.** A match needs at least one shared *distinguishing* title token (not boilerplate):
  "Rappel de lots de Doliprane" and "Rappel de lots de Spasfon" share only template words and
  score 0. Titles whose numbers are all different (doses, strains) and titles of different event
  kinds (recall vs shortage vs approval) are penalised.
* **Deterministic.** No randomness; ties are broken by item ids. Same input order -> same stories.
"""

from __future__ import annotations

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
IDF_MIN_DOCS = 50  # below this many documents in the window, no frequency weighting
IDF_FREE_RATE = 0.005  # tokens in at most 0.5 % of the window keep their full weight
IDF_FLOOR = 0.2
QUERY_TOKENS = 6  # postings of the query's rarest tokens that are read
POSTING_CAP = 2000  # most recent entries read from one posting list
CANDIDATES = 40  # candidates scored precisely


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
    return "s" + hashlib.sha1(doc.item_id.encode("utf-8")).hexdigest()[:16]


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


_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss", "ø": "o", "Ø": "o", "ł": "l", "Ł": "l", "đ": "d", "Đ": "d"})
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_DIGIT_GROUP = re.compile(r"(?<=\d)[ .\u00a0\u202f\u2009](?=\d{3}(?!\d))")


def fold(text: str) -> str:
    """Lower-case ASCII words separated by single spaces: accents, case, punctuation removed."""
    text = _DIGIT_GROUP.sub("", text.translate(_LIGATURES))
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NON_ALNUM.sub(" ", text.lower()).strip()


_STOP = frozenset(
    """
    a au aux avec ce ces cet cette d de des du elle en entre et il ils j l la le les leur leurs
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


def _words(folded: str) -> list[str]:
    return [w for w in folded.split() if w not in _STOP and (len(w) > 1 or w.isdigit())]


def tokens(text: str) -> list[str]:
    """The stemmed tokens of ``text`` (stop words removed), in order, duplicates kept."""
    return [_stem(w) for w in _words(fold(text))]


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
    head: frozenset[str]  # stems of title + summary head
    numbers: frozenset[str]
    kinds: frozenset[str]
    keys: tuple[str, ...]  # distinguishing title stems (index keys)
    subject: frozenset[str]  # distinguishing stems before a "Subject :" colon
    diseases: frozenset[str]


def _features(doc: StoryDoc) -> _Features:
    title_words = _words(fold(doc.title))
    title: dict[str, str] = {}
    for word in title_words:
        title.setdefault(_stem(word), word)
    head = set(title)
    if doc.text:
        head.update(tokens(doc.text[:SUMMARY_CHARS]))
    kinds = frozenset(kind for word in title_words if (kind := _kind(word)) is not None)
    numbers = frozenset(t for t in title if t[0].isdigit())
    keys = tuple(t for t in title if _distinguishing(t))
    subject: frozenset[str] = frozenset()
    found = _SUBJECT.match(doc.title)
    if found is not None and len(found.group(1).split()) <= 5:
        subject = frozenset(t for t in tokens(found.group(1)) if _distinguishing(t))
    diseases = frozenset(t for t in title if t in _STEMMED_DISEASES)
    return _Features(title, frozenset(head), numbers, kinds, keys, subject, diseases)


class _Weights:
    """Token weights: boilerplate is light; tokens frequent in the window are lighter."""

    __slots__ = ("df", "n")

    def __init__(self, df: dict[str, int] | None = None, n: int = 0) -> None:
        self.df = df if df is not None else {}
        self.n = n

    def __call__(self, token: str) -> float:
        base = _base_weight(token)
        if self.n < IDF_MIN_DOCS:
            return base
        rate = self.df.get(token, 0) / self.n
        if rate <= IDF_FREE_RATE:
            return base
        return base * max(IDF_FLOOR, 1.0 - 0.4 * math.log10(rate / IDF_FREE_RATE))


def _ochiai(a: Iterable[str], b: frozenset[str] | set[str], wa: float, wb: float, w: _Weights) -> float:
    if wa <= 0 or wb <= 0:
        return 0.0
    shared = sum(w(t) for t in a if t in b)
    return shared / math.sqrt(wa * wb)


def _score(a: _Features, b: _Features, w: _Weights) -> tuple[float, str]:
    """Similarity of two documents (0..1) and how it was reached; symmetric."""
    shared = [t for t in a.title if t in b.title]
    distinguishing = sum(1 for t in shared if _distinguishing(t))
    inter = sum(w(t) for t in shared)
    method = "title-tokens"
    # Typo-tolerant soft matches between leftover long words (rapidfuzz).
    left_a = sorted((t, word) for t, word in a.title.items() if t not in b.title and len(word) >= MIN_FUZZY_LEN and not word[0].isdigit())
    if left_a:
        left_b = sorted((t, word) for t, word in b.title.items() if t not in a.title and len(word) >= MIN_FUZZY_LEN and not word[0].isdigit())
        used: set[str] = set()
        for ta, wa_word in left_a:
            best, best_tb = 0.0, ""
            for tb, wb_word in left_b:
                if tb in used:
                    continue
                sim = Levenshtein.normalized_similarity(wa_word, wb_word)
                if sim > best:
                    best, best_tb = sim, tb
            if best >= FUZZY_MIN_SIMILARITY:
                used.add(best_tb)
                inter += min(w(ta), w(best_tb)) * best
                if _distinguishing(ta) and _distinguishing(best_tb):
                    distinguishing += 1
                method = "title-tokens+rapidfuzz"
    if distinguishing == 0:
        return 0.0, method
    wa = sum(w(t) for t in a.title)
    wb = sum(w(t) for t in b.title)
    score = min(1.0, inter / math.sqrt(wa * wb)) if wa > 0 and wb > 0 else 0.0
    if score >= MIN_TITLE_FOR_SUMMARY and (a.head != frozenset(a.title) or b.head != frozenset(b.title)):
        ha = sum(w(t) for t in a.head)
        hb = sum(w(t) for t in b.head)
        support = _ochiai(a.head, b.head, ha, hb, w)
        combined = (1 - SUMMARY_SHARE) * score + SUMMARY_SHARE * support
        if combined > score:
            score = combined
            method += "+summary"
    if a.numbers and b.numbers and not (a.numbers & b.numbers):
        score *= NUMBER_MISMATCH_FACTOR
        method += "-numbers"
    if (a.diseases and b.diseases and not (a.diseases & b.diseases)) or (
        a.subject and b.subject and not (a.subject & b.title.keys()) and not (b.subject & a.title.keys())
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
    doc: StoryDoc
    story_id: str
    features: _Features
    ts: float  # published_at as a POSIX timestamp
    seq: int


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
        self._postings: dict[str, dict[int, None]] = {}
        self._df: dict[str, int] = {}
        self._heap: list[tuple[float, int]] = []
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
        self._entries[seq] = _Entry(doc, story_id, features, ts, seq)
        self._by_item[doc.item_id] = seq
        for t in features.title:
            self._df[t] = self._df.get(t, 0) + 1
        for t in features.keys:
            self._postings.setdefault(t, {})[seq] = None
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
        if self._by_item.get(entry.doc.item_id) == seq:
            del self._by_item[entry.doc.item_id]
        for t in entry.features.title:
            left = self._df[t] - 1
            if left:
                self._df[t] = left
            else:
                del self._df[t]
        for t in entry.features.keys:
            posting = self._postings[t]
            del posting[seq]
            if not posting:
                del self._postings[t]

    # -- matching

    def match(self, doc: StoryDoc) -> StoryMatch | None:
        """The story within the window that ``doc`` tells best, or None."""
        return self._match(doc, _features(doc))

    def _match(self, doc: StoryDoc, features: _Features) -> StoryMatch | None:
        if not features.keys or not self._entries:
            return None
        weights = _Weights(self._df, len(self._entries))
        ts = doc.published_at.timestamp()
        # Read the postings of the rarest distinguishing tokens, most recent entries first.
        keys = sorted(features.keys, key=lambda t: (len(self._postings.get(t, ())), t))[:QUERY_TOKENS]
        tally: dict[int, float] = {}
        for t in keys:
            posting = self._postings.get(t)
            if not posting:
                continue
            wt = weights(t)
            for n, seq in enumerate(reversed(posting)):
                if n >= POSTING_CAP:
                    break
                tally[seq] = tally.get(seq, 0.0) + wt
        if not tally:
            return None
        candidates = sorted(tally.items(), key=lambda kv: (-kv[1], kv[0]))
        best: tuple[float, str, str, str] | None = None  # (score, item_id, story_id, method)
        scored = 0
        for seq, _ in candidates:
            entry = self._entries[seq]
            if entry.doc.item_id == doc.item_id or abs(entry.ts - ts) > self._window_s:
                continue
            scored += 1
            score, method = _score(features, entry.features, weights)
            if score >= self.threshold:
                key = (score, entry.doc.item_id)
                if best is None or key[0] > best[0] or (key[0] == best[0] and key[1] < best[1]):
                    best = (score, entry.doc.item_id, entry.story_id, method)
            if scored >= CANDIDATES:
                break
        if best is None:
            return None
        score, item_id, story_id, method = best
        return StoryMatch(story_id=story_id, item_id=item_id, similarity=round(score, 4), method=method)

    def assign(self, doc: StoryDoc) -> tuple[str, StoryMatch | None]:
        """Match ``doc``; on no match start a new story (``new_story_id(doc)``); then index it.

        A ``doc.story_id`` already known (loaded from the database) is kept as is.
        """
        features = _features(doc)
        if doc.story_id is not None:
            self._add(doc, doc.story_id, features)
            return doc.story_id, None
        found = self._match(doc, features)
        story_id = found.story_id if found is not None else new_story_id(doc)
        self._add(doc, story_id, features)
        return story_id, found
