"""Specialties and item types of a news item: pure functions of its title and text.

The taxonomy is data (``veille/taxonomy/specialties.yaml`` and ``types.yaml``, whose header
documents the term notation). Matching works on *folded* text (see :func:`fold`): every term
variant becomes one key of a single Aho-Corasick automaton, keyed with a leading space (and a
trailing one unless the term is a ``stem*``), so one pass over ``" title | body "`` finds every
whole-word hit of every specialty and type at once. Python then only looks at the hits.

A hit in the title weighs ``title_weight`` (3) times its term weight, a hit in the body once
(+50 % per repeat, two repeats at most); a specialty or a type needs ``threshold`` (2.0). So a
title mention tags, a single incidental mention in a long body does not, and two different
terms in the body do.
"""

from __future__ import annotations

import functools
import itertools
import operator
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ahocorasick
from ruamel.yaml import YAML

from veille.models import ITEM_TYPES
from veille.tag_context import CONTEXT_FILE, DRUG_CUE, Context, apply_rules, load_context, vetoed
from veille.vocab import VocabTerm

TAXONOMY_DIR = Path(__file__).resolve().parent / "taxonomy"
DEFAULT_THRESHOLD = 2.0
DEFAULT_TITLE_WEIGHT = 3.0
DEFAULT_WEAK_WEIGHT = 0.5
SOURCE_SCORE = 1.0
STUDY_THRESHOLD = 1.0
PHARMACOLOGY_SLUG = "pharmacologie"
# WHO INN stems of drug families (the "-mab" of monoclonal antibodies, "-tinib" of kinase
# inhibitors...), French and English spellings; words this long with these endings are drugs.
_INN_STEMS = (
    "mab tinib ciclib parib rafenib gliflozin gliflozine glutide patide gliptin gliptine sartan "
    "vastatin vastatine floxacin floxacine cillin cilline prazole lukast previr buvir tegravir "
    "ercept zomib lisib degib"
).split()
BODY_CHARS = 2000  # of the body (summary + content) that tagging reads
SOURCE_EVIDENCE = "source"


class TaxonomyError(ValueError):
    """The taxonomy YAML is invalid; the message names the file, the entry and the term."""


# ---------------------------------------------------------------------------------------------
# Folding

# Characters NFKD leaves alone that matter: letters to spell out, and punctuation that would
# glue words together if simply dropped ("l’insuffisance", "cancer–étude", "médecin·e·s").
# Other non-ASCII characters are dropped, as are the combining marks NFKD splits off accents.
_SPECIAL = {
    "œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", "ø": "o", "Ø": "O", "ł": "l",
    "Ł": "L", "đ": "d", "Đ": "D", "ı": "i", "α": " alpha ", "β": " beta ", "γ": " gamma ",
    "δ": " delta ", "κ": " kappa ",
    **{c: " " for c in "‘’‚‛“”„‟‹›«»‐‑‒–—―−…·•◦×°§†‡′″"},
}  # fmt: skip
_SPECIAL_RE = re.compile("[" + "".join(_SPECIAL) + "]")
# ASCII letters and digits stay (case kept), every other byte becomes a space.
_ASCII_TABLE = bytes(b if chr(b).isascii() and chr(b).isalnum() else 32 for b in range(256))


def _special(m: re.Match[str]) -> str:
    return _SPECIAL[m.group()]


def _fold_raw(text: str) -> str:
    """ASCII letters, digits and spaces, case kept; runs of spaces are not collapsed."""
    if text.isascii():
        raw = text.encode("ascii")
    else:
        if _SPECIAL_RE.search(text):
            text = _SPECIAL_RE.sub(_special, text)
        raw = unicodedata.normalize("NFKD", text).encode("ascii", "ignore")
    return raw.translate(_ASCII_TABLE).decode("ascii")


def fold_cased(text: str) -> str:
    """Like :func:`fold` but keeps ASCII case."""
    return " ".join(_fold_raw(text).split())


def fold(text: str) -> str:
    """Accent- and case-folded text: ASCII letters and digits, words separated by one space.

    >>> fold("Cœur : l’Insuffisance cardiaque — 2ème AVC!")
    'coeur l insuffisance cardiaque 2eme avc'
    """
    return fold_cased(text).lower()


# ---------------------------------------------------------------------------------------------
# Taxonomy data


@dataclass(frozen=True)
class Specialty:
    slug: str
    label_fr: str
    label_en: str
    terms_fr: tuple[str, ...] = ()
    terms_en: tuple[str, ...] = ()
    weak: tuple[str, ...] = ()
    negative: tuple[str, ...] = ()


@dataclass(frozen=True)
class TypeRule:
    type: str
    terms: tuple[str, ...] = ()
    negative: tuple[str, ...] = ()


@dataclass(frozen=True)
class SpecialtyTag:
    specialty: str
    score: float
    evidence: tuple[str, ...]  # the terms that fired, folded, e.g. ("infarctus", "cardiaque")


@dataclass(frozen=True)
class Tagging:
    specialties: tuple[SpecialtyTag, ...]  # sorted by score desc then slug
    item_type: str  # one of models.ITEM_TYPES
    type_evidence: tuple[str, ...]

    @property
    def slugs(self) -> tuple[str, ...]:
        return tuple(t.specialty for t in self.specialties)


@dataclass(frozen=True)
class _Term:
    weight: float
    forms: tuple[str, ...]  # folded, case kept; every inflected variant
    prefix: bool
    case_sensitive: bool


_WEIGHT = re.compile(r"^(.*?)\s*@\s*([0-9]*\.?[0-9]+)$")
# Short function words are never pluralised ("maladie de crohn" -> "maladies de crohn").
_STOPWORDS = frozenset(
    "de du des la le les un une et en au aux a d l of the and in for to on with by par sur pour "
    "dans avec sans chez".split()
)


def _plurals(word: str) -> tuple[str, ...]:
    low = word.lower()
    if len(low) < 3 or low in _STOPWORDS or low[-1] in "sxz" or not low.isalpha():
        return (word,)
    forms = [word, word + "s"]
    if low.endswith("al"):
        forms.append(word[:-2] + "aux")
    if low.endswith(("eau", "eu")):
        forms.append(word + "x")
    if low.endswith("y") and low[-2] not in "aeiou":
        forms.append(word[:-1] + "ies")
    return tuple(forms)


def parse_term(raw: str, default_weight: float = 1.0) -> _Term:
    """One taxonomy term -> its folded variants (notation in specialties.yaml's header)."""
    text = str(raw).strip()
    weight = default_weight
    m = _WEIGHT.match(text)
    if m:
        text, weight = m.group(1), float(m.group(2))
    exact = text.startswith("=")
    prefix = text.endswith("*")
    text = text.strip("=*").strip()
    if "*" in text or "=" in text:
        raise TaxonomyError(f"term {raw!r}: '*' only at the end, '=' only at the start")
    if exact and prefix:
        raise TaxonomyError(f"term {raw!r}: '=' and '*' cannot be combined")
    cased = fold_cased(text)
    if not cased:
        raise TaxonomyError(f"term {raw!r} is empty once folded")
    # Abbreviation-like words (AVC, HbA1c, IgE, eGFR, the H of H/F) make a term case-sensitive;
    # a capital initial alone (Crohn, Ozempic, Drug Safety Communication) does not.
    case_sensitive = any(
        (len(w) == 1 and w.isupper()) or any(c.isupper() for c in w[1:]) for w in cased.split()
    )
    if not case_sensitive:
        cased = cased.lower()
    if prefix or exact or case_sensitive:
        forms: tuple[str, ...] = (cased,)
    else:
        variants = [_plurals(w) for w in cased.split()]
        forms = tuple(" ".join(p) for p in itertools.product(*variants))
    return _Term(weight, forms, prefix, case_sensitive)


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        raise TaxonomyError(f"{where}: expected a list of strings")
    return tuple(str(v) for v in value)


def read_yaml(path: Path, error: type[ValueError] = TaxonomyError) -> Any:
    """A taxonomy data file (safe YAML); ``error`` names the file when it cannot be read."""
    try:
        with path.open(encoding="utf-8") as f:
            return YAML(typ="safe").load(f)
    except OSError as e:
        raise error(f"{path}: cannot read ({e})") from e
    except Exception as e:  # ruamel raises several unrelated classes for syntax errors
        raise error(f"{path}: invalid YAML ({e})") from e


_SPECIALTY_KEYS = {"label_fr", "label_en", "terms_fr", "terms_en", "weak", "negative"}


def load_specialties(path: Path) -> dict[str, Specialty]:
    data = read_yaml(path)
    if not isinstance(data, dict) or not data:
        raise TaxonomyError(f"{path}: expected a mapping of specialty slug -> definition")
    out: dict[str, Specialty] = {}
    for slug, spec in data.items():
        where = f"{path}: {slug}"
        if not isinstance(spec, dict):
            raise TaxonomyError(f"{where}: expected a mapping")
        unknown = set(spec) - _SPECIALTY_KEYS
        if unknown:
            raise TaxonomyError(f"{where}: unknown keys {sorted(unknown)}")
        if not spec.get("label_fr") or not spec.get("label_en"):
            raise TaxonomyError(f"{where}: label_fr and label_en are required")
        out[str(slug)] = Specialty(
            slug=str(slug),
            label_fr=str(spec["label_fr"]),
            label_en=str(spec["label_en"]),
            terms_fr=_strings(spec.get("terms_fr"), f"{where}.terms_fr"),
            terms_en=_strings(spec.get("terms_en"), f"{where}.terms_en"),
            weak=_strings(spec.get("weak"), f"{where}.weak"),
            negative=_strings(spec.get("negative"), f"{where}.negative"),
        )
    return out


def load_types(path: Path) -> tuple[list[TypeRule], tuple[str, ...], str]:
    data = read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("types"), dict):
        raise TaxonomyError(f"{path}: expected 'types:' mapping")
    rules = []
    for name, spec in data["types"].items():
        where = f"{path}: types.{name}"
        if name not in ITEM_TYPES:
            raise TaxonomyError(f"{where}: not one of {ITEM_TYPES}")
        if not isinstance(spec, dict) or set(spec) - {"terms", "negative"}:
            raise TaxonomyError(f"{where}: expected 'terms' and optional 'negative'")
        rules.append(
            TypeRule(
                str(name),
                _strings(spec.get("terms"), f"{where}.terms"),
                _strings(spec.get("negative"), f"{where}.negative"),
            )
        )
    precedence = _strings(data.get("precedence"), f"{path}: precedence")
    default = str(data.get("default", "news"))
    names = {r.type for r in rules}
    if set(precedence) != names or len(precedence) != len(names):
        raise TaxonomyError(f"{path}: precedence must list each defined type once")
    if default not in ITEM_TYPES or default in names:
        raise TaxonomyError(f"{path}: default must be an item type without rules")
    return rules, precedence, default


# ---------------------------------------------------------------------------------------------
# The tagger

# One automaton value entry: (group, weight, back, kind, form, shown). ``end - back`` is the
# first letter of the match. kind: _PLAIN (the key itself, known in advance), _PREFIX (the whole
# word, found at match time), _CASED (``form`` is the cased form, which the text must spell the
# same way), _NEGATIVE (a span that cancels the group's hits inside it; _NEGATIVE_PREFIX when
# the span ends with a stem* and so extends to the end of its last word). ``shown`` is the
# evidence recorded for a hit: the term, and for a vocabulary term its code
# ("infarctus du myocarde [CIM-10 I21]").
_Entry = tuple[int, float, int, int, str, str]
_PLAIN, _PREFIX, _CASED, _NEGATIVE, _NEGATIVE_PREFIX, _SUFFIX = 0, 1, 2, 3, 4, 5


class Tagger:
    """Tags items with specialties and an item type. Build with :meth:`load`; thread-safe."""

    specialties: dict[str, Specialty]

    def __init__(
        self,
        specialties: Mapping[str, Specialty],
        types: Sequence[TypeRule],
        precedence: Sequence[str],
        default_type: str = "news",
        *,
        threshold: float = DEFAULT_THRESHOLD,
        title_weight: float = DEFAULT_TITLE_WEIGHT,
        type_threshold: float = DEFAULT_THRESHOLD,
        vocabulary: Sequence[VocabTerm] = (),
        context: Context | None = None,
    ) -> None:
        self.specialties = dict(specialties)
        self.threshold = threshold
        self.title_weight = title_weight
        self.type_threshold = type_threshold
        self.default_type = default_type
        self._slugs = tuple(self.specialties)
        self._types = tuple(r.type for r in types)
        self._rank = {name: i for i, name in enumerate(precedence)}
        self.context = context or Context((), (), ())
        keys: dict[str, dict[tuple[int, int, str], _Entry]] = {}
        hand_keys: set[str] = set()

        def add(
            group: int, raw_terms: Iterable[str], weight: float, negative: bool,
            code: str = "", cased: bool | None = None, drug: bool = False,
        ) -> None:
            for raw in raw_terms:
                term = parse_term(raw, weight)
                if cased is not None and not term.prefix:
                    # Brand names: "Doliprane" or "DOLIPRANE", never the everyday word.
                    low = fold(raw)
                    forms = tuple(dict.fromkeys((low.title(), low.upper()))) if cased else (low,)
                    term = _Term(weight, forms, False, cased)
                for form in term.forms:
                    low = form.lower()
                    key = " " + low + ("" if term.prefix else " ")
                    if code and key in hand_keys and not (code.startswith("ATC") and drug):
                        continue  # the hand-written taxonomy decides what its own terms mean
                    if negative:
                        kind, evidence = (_NEGATIVE_PREFIX if term.prefix else _NEGATIVE), ""
                    elif term.case_sensitive:
                        kind, evidence = _CASED, form
                    elif term.prefix:
                        kind, evidence = _PREFIX, ""
                    else:
                        kind, evidence = _PLAIN, low
                    shown = f"{evidence} [{code}]" if code and evidence else evidence
                    slot = keys.setdefault(key, {})
                    old = slot.get((group, kind, evidence))
                    if old is None or old[1] < term.weight:
                        back = len(key) - 2
                        slot[(group, kind, evidence)] = (group, term.weight, back, kind, evidence, shown)

        for group, spec in enumerate(self.specialties.values()):
            add(group, spec.terms_fr + spec.terms_en, 1.0, False)
            add(group, spec.weak, DEFAULT_WEAK_WEIGHT, False)
            add(group, spec.negative, 0.0, True)
        base = len(self._slugs)
        for i, rule in enumerate(types):
            add(base + i, rule.terms, 1.0, False)
            add(base + i, rule.negative, 0.0, True)
        self._cue_names = tuple(c.name for c in self.context.cues) + (DRUG_CUE,)
        self._cue_base = cue_base = base + len(self._types)
        for i, cue in enumerate(self.context.cues):
            add(cue_base + i, cue.terms, 1.0, False)
            add(cue_base + i, cue.negative, 0.0, True)
        hand_keys.update(keys)
        index = {slug: i for i, slug in enumerate(self._slugs)}
        drug_group = cue_base + len(self.context.cues)
        for v in vocabulary:
            code = f"{v.vocabulary} {v.code}"
            for slug, weight in v.specialties:
                if slug in index:
                    # A drug name is a medicine whatever the hand list says it is about.
                    first = slug == v.specialties[0][0] and v.vocabulary == "ATC"
                    add(index[slug], (v.form,), weight, False, code, v.cased, first)
            if v.vocabulary == "ATC":
                add(drug_group, (v.form,), 1.0, False, code, v.cased, True)
        self._requires = {
            base + self._types.index(name): tuple(cue_base + self._cue_names.index(c) for c in cues)
            for name, cues in self.context.requires
            if name in self._types
        }
        self.vocabulary_terms = len(vocabulary)
        if vocabulary and PHARMACOLOGY_SLUG in index:
            # Keys without the leading space: they match the end of any word (see _SUFFIX).
            for stem in _INN_STEMS:
                for form in (stem, stem + "s"):
                    slot = keys.setdefault(form + " ", {})
                    for group in (index[PHARMACOLOGY_SLUG], drug_group):
                        slot[(group, _SUFFIX, stem)] = (group, 1.0, len(form), _SUFFIX, stem, "")
        # A journal abstract rarely says "study" twice, but one full study term is enough when
        # no other type fired (study comes last in the precedence).
        self._type_thresholds = {
            base + i: STUDY_THRESHOLD for i, name in enumerate(self._types) if name == "study"
        }
        automaton = ahocorasick.Automaton()
        for key, slot in keys.items():
            # Plain entries (most of them) are stored apart, ready to append: (group, shown,
            # weight, back); the others keep their kind. The match loop then does no unpacking
            # or branching for the common case.
            plain = tuple((e[0], e[5], e[1], e[2]) for e in slot.values() if e[3] == _PLAIN)
            special = tuple(e for e in slot.values() if e[3] != _PLAIN)
            automaton.add_word(key, (plain, special))
        automaton.make_automaton()
        self._automaton = automaton
        self.term_count = len(keys)

    @classmethod
    def load(cls, path: str | None = None, *, vocabularies: bool = True, **options: float) -> Tagger:
        """Load a taxonomy: ``path`` is a directory holding specialties.yaml, types.yaml and
        context.yaml, or a specialties YAML file (types.yaml and context.yaml are then read
        beside it, else the packaged ones). Default: the packaged taxonomy (use
        :func:`default_tagger` to share one instance). ``vocabularies``: add the packaged
        ICD-10 / CIM-10 / ATC terms (veille.vocab)."""
        base = Path(path) if path else TAXONOMY_DIR
        spec_file = base / "specialties.yaml" if base.is_dir() else base
        types_file = spec_file.parent / "types.yaml"
        if not types_file.exists():
            types_file = TAXONOMY_DIR / "types.yaml"
        context_file = spec_file.parent / "context.yaml"
        strict = context_file.exists()
        if not strict:
            context_file = CONTEXT_FILE
        rules, precedence, default = load_types(types_file)
        specialties = load_specialties(spec_file)
        context = load_context(context_file, specialties, [r.type for r in rules], strict=strict)
        terms: tuple[VocabTerm, ...] = ()
        if vocabularies:
            from veille.vocab import vocabulary_terms

            terms = vocabulary_terms()
        return cls(
            specialties, rules, precedence, default, vocabulary=terms, context=context, **options
        )

    def _hits(self, title: str, text: str) -> dict[int, dict[str, list[float]]]:
        """group -> evidence -> [weight, in title (0/1), body count], negatives applied."""
        # Runs of spaces are squeezed to one (up to 4, enough for "word : word" and the like)
        # without a split/join, which would cost a third of the folding time.
        ct = _fold_raw(title).replace("  ", " ").replace("  ", " ")
        if len(text) > BODY_CHARS:
            # What an item is about is in its title and lead: a 300 KB blog post that mentions
            # "psychiatre" on page 12 is not psychiatry (and folding it all costs milliseconds).
            cut = text.rfind(" ", 0, BODY_CHARS)
            text = text[: cut if cut > 0 else BODY_CHARS]
        cb = _fold_raw(text).replace("  ", " ").replace("  ", " ")
        # Most feeds begin the description with the title: it must not count twice.
        stripped = ct.strip()
        if stripped and len(stripped) > 8:
            at = cb.find(stripped)
            if 0 <= at < 4:
                cb = cb[at + len(stripped) :]
        cased = f" {ct} | {cb} "
        low = cased.lower()
        title_end = len(ct) + 2
        hits: list[tuple[int, str, float, int, int]] = []
        negatives: list[tuple[int, int, int]] = []
        append, find = hits.append, low.find
        for end, (plain, entries) in self._automaton.iter(low):
            for group, shown, weight, back in plain:
                append((group, shown, weight, end - back, end))
            for group, weight, back, kind, evidence, shown in entries:
                stop = end
                if kind:
                    start = end - back
                    if kind == _PREFIX:
                        stop = find(" ", end + 1)
                        shown = low[start:stop]
                    elif kind == _SUFFIX:
                        # A drug too new for the ATC list, known by its INN stem (-mab, -tinib).
                        start = low.rfind(" ", 0, start) + 1
                        if end - start < back + 3:
                            continue
                        shown = f"{low[start:end]} [INN -{evidence}]"
                    elif kind == _CASED:
                        if cased[start : start + len(evidence)] != evidence:
                            continue
                    else:
                        stop = find(" ", end + 1) if kind == _NEGATIVE_PREFIX else end
                        negatives.append((group, start, stop))
                        continue
                append((group, shown, weight, end - back, stop))
        if negatives:
            spans: dict[int, list[tuple[int, int]]] = {}
            for g, s, e in negatives:
                spans.setdefault(g, []).append((s, e))
            hits = [
                h
                for h in hits
                if h[0] not in spans or not any(s <= h[3] and h[4] <= e for s, e in spans[h[0]])
            ]
        groups: dict[int, dict[str, list[float]]] = {}
        for group, evidence, weight, start, _ in _outermost(hits):
            slot = groups.get(group)
            if slot is None:
                slot = groups[group] = {}
            ev = slot.get(evidence)
            if ev is None:
                ev = slot[evidence] = [weight, 0.0, 0.0]
            elif weight > ev[0]:
                ev[0] = weight
            if start < title_end:
                ev[1] = 1.0
            else:
                ev[2] += 1.0
        return groups

    def _score(self, evidence: dict[str, list[float]]) -> tuple[float, bool]:
        """Score and whether a term is in the title; 0 when only one weak term fired (a weak
        term needs support from a different term, wherever it is and however often)."""
        score, in_title = 0.0, False
        title_weight = self.title_weight
        if len(evidence) == 1:
            for weight, _, _ in evidence.values():
                if weight <= DEFAULT_WEAK_WEIGHT:
                    return 0.0, False
        for weight, title, body in evidence.values():
            if title:
                score += weight * title_weight
                in_title = True
            if body:
                # Repeats add up for full terms only: "PR ... (PR)" is still one weak hint.
                if body > 1.0 and weight >= 1.0:
                    score += weight * (1.0 + 0.5 * min(body - 1.0, 2.0))
                else:
                    score += weight
        return score, in_title

    def tag(self, title: str, text: str = "", source_specialties: tuple[str, ...] = ()) -> Tagging:
        """Specialties (sorted by score, then slug) and the item type of one item."""
        groups = self._hits(title or "", text or "")
        base, cue_base = len(self._slugs), self._cue_base
        tags: dict[str, SpecialtyTag] = {}
        best: tuple[bool, int, str, tuple[str, ...]] | None = None
        cues: dict[str, tuple[str, ...]] = {}
        for group, evidence in groups.items():
            if group >= cue_base:
                cues[self._cue_names[group - cue_base]] = tuple(evidence)
                continue
            score, in_title = self._score(evidence)
            if group < base:
                if score >= self.threshold:
                    slug = self._slugs[group]
                    tags[slug] = SpecialtyTag(slug, round(score, 2), tuple(evidence))
            elif score >= self._type_thresholds.get(group, self.type_threshold):
                needed = self._requires.get(group)
                if needed and not any(g in groups for g in needed):
                    continue  # e.g. a recall without a product
                name = self._types[group - base]
                candidate = (in_title, -self._rank[name], name, tuple(evidence))
                if best is None or candidate[:2] > best[:2]:
                    best = candidate
        if cues:  # every rule and veto needs a cue
            for slug, why in apply_rules(self.context.rules, tags, cues).items():
                tags[slug] = SpecialtyTag(slug, self.threshold, why)
            tag_evidence = {slug: t.evidence for slug, t in tags.items()}
            for slug in vetoed(self.context.vetoes, cues, tag_evidence):  # after the rules
                tags.pop(slug, None)
        for slug in source_specialties:
            if slug not in self.specialties:
                continue  # config validation reports unknown slugs; tagging ignores them
            old = tags.get(slug)
            if old is None:
                tags[slug] = SpecialtyTag(slug, SOURCE_SCORE, (SOURCE_EVIDENCE,))
            elif SOURCE_EVIDENCE not in old.evidence:
                tags[slug] = SpecialtyTag(slug, old.score, old.evidence + (SOURCE_EVIDENCE,))
        ordered = tuple(sorted(tags.values(), key=lambda t: (-t.score, t.specialty)))
        if best is None:
            return Tagging(ordered, self.default_type, ())
        return Tagging(ordered, best[2], best[3])


_GROUP_SPAN = operator.itemgetter(0, 3, 4)


def _outermost(
    hits: list[tuple[int, str, float, int, int]],
) -> list[tuple[int, str, float, int, int]]:
    """The hits that no other hit of the same group covers (issue 11): "rénale" inside
    "insuffisance rénale", or a hand-written term and a vocabulary label on the same words, are
    one piece of evidence, not two terms that support each other. Of hits on the same words the
    heaviest is kept, a vocabulary one (it names its code) before a hand-written one."""
    out: list[tuple[int, str, float, int, int]] = []
    group = start = end = -1
    for h in sorted(hits, key=_GROUP_SPAN):  # by group, start, then the shorter first
        if h[0] == group:
            if h[3] == start:  # same start: h is as long or longer than the kept one
                last = out[-1]
                if h[4] > end or (h[2], "[" in h[1]) > (last[2], "[" in last[1]):
                    out[-1], end = h, h[4]
                continue
            if h[4] <= end:
                continue  # inside the kept hit
        group, start, end = h[0], h[3], h[4]
        out.append(h)
    return out


@functools.lru_cache(maxsize=1)
def default_tagger() -> Tagger:
    """The packaged taxonomy, loaded once per process.

    Building the automaton from YAML takes about half a second, which every `veille collect`
    would pay; the built tagger is cached (pickled) in the user's cache directory, keyed by the
    taxonomy files and this module, so a changed taxonomy or tagger is rebuilt."""
    import hashlib
    import os
    import pickle
    import tempfile

    from veille import tag_context
    from veille.vocab import vocabulary_files

    key = hashlib.sha1()
    files = (
        TAXONOMY_DIR / "specialties.yaml", TAXONOMY_DIR / "types.yaml", CONTEXT_FILE,
        Path(__file__), Path(tag_context.__file__), *vocabulary_files(),
    )
    for path in files:
        key.update(path.read_bytes())
    cache_dir = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "veille"
    cache = cache_dir / f"tagger-{key.hexdigest()[:16]}.pickle"
    try:
        with cache.open("rb") as f:
            tagger = pickle.load(f)
        if isinstance(tagger, Tagger):
            return tagger
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
        pass
    tagger = Tagger.load()
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            pickle.dump(tagger, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, cache)
    except OSError:
        pass  # a read-only home only costs the rebuild
    return tagger


def tag(title: str, text: str = "", source_specialties: tuple[str, ...] = ()) -> Tagging:
    """Tag with the packaged taxonomy (see :meth:`Tagger.tag`)."""
    return default_tagger().tag(title, text, source_specialties)
