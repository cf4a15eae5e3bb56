"""Specialties and item types of a news item: pure functions of its title and text.

The taxonomy is data (``veille/taxonomy/specialties.yaml`` and ``types.yaml``, whose header
documents the term notation; ``context.yaml`` for the rules that need context). The work is
split by idea: :mod:`veille.tag_fold` folds text, :mod:`veille.tag_taxonomy` reads the
taxonomy, :mod:`veille.tag_match` compiles every term into one automaton and finds each
group's evidence, :mod:`veille.tag_score` says what a hit is worth; this module decides (the
thresholds, the item type, the context rules, the source's specialties) and caches the built
tagger.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from veille.tag_context import (
    CONTEXT_FILE,
    DRUG_CUE,
    RULE_PREFIX,
    Context,
    Rule,
    Veto,
    apply_rules,
    load_context,
    vetoed,
)
from veille.tag_fold import fold, fold_cased
from veille.tag_match import BODY_CHARS, KeyTable
from veille.tag_score import DEFAULT_WEAK_WEIGHT, group_score
from veille.tag_taxonomy import (
    TAXONOMY_DIR,
    Specialty,
    TaxonomyError,
    TypeRule,
    load_specialties,
    load_types,
    parse_term,
    read_yaml,
)
from veille.vocab import VocabTerm

__all__ = [
    "BODY_CHARS", "DEFAULT_THRESHOLD", "DEFAULT_TITLE_WEIGHT", "DEFAULT_WEAK_WEIGHT",
    "TAXONOMY_DIR", "Specialty", "SpecialtyTag", "Tagger", "Tagging", "TaxonomyError",
    "TypeRule", "default_tagger", "fold", "fold_cased", "load_specialties", "load_types",
    "parse_term", "read_yaml", "tag",
]  # fmt: skip

DEFAULT_THRESHOLD = 2.0
DEFAULT_TITLE_WEIGHT = 3.0
SOURCE_SCORE = 1.0
STUDY_THRESHOLD = 1.0
PHARMACOLOGY_SLUG = "pharmacologie"
# WHO INN stems of drug families (the "-mab" of monoclonal antibodies, "-tinib" of kinase
# inhibitors...), French and English spellings; words this long with these endings are drugs.
_INN_STEMS = (
    "mab tinib ciclib parib rafenib gliflozin gliflozine glutide patide gliptin gliptine sartan "
    "vastatin vastatine floxacin floxacine cillin cilline prazole lukast previr buvir tegravir "
    "ercept zomib lisib degib sentan gepant siran"
).split()
SOURCE_EVIDENCE = "source"
_SPECIALTY, _TYPE, _CUE = 0, 1, 2  # kinds of groups
# The modules whose code decides a tagging: their text keys the cached tagger.
_TAGGER_MODULES = ("tag", "tag_context", "tag_fold", "tag_match", "tag_score", "tag_taxonomy")


@dataclass(frozen=True)
class SpecialtyTag:
    specialty: str
    score: float
    evidence: tuple[str, ...]  # the terms that fired, folded, e.g. ("infarctus", "cardiaque")

    def __reduce__(self) -> tuple[object, tuple[str, float, tuple[str, ...]]]:
        return SpecialtyTag, (self.specialty, self.score, self.evidence)


@dataclass(frozen=True)
class Tagging:
    specialties: tuple[SpecialtyTag, ...]  # sorted by score desc then slug
    item_type: str  # one of models.ITEM_TYPES
    type_evidence: tuple[str, ...]

    @property
    def slugs(self) -> tuple[str, ...]:
        return tuple(t.specialty for t in self.specialties)

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        # Plain tuples, which pickle in C: with a dataclass's default reduce, a pool's main
        # process spent 6-8 us unpickling each result it got back (3.5 us this way).
        tags = tuple((t.specialty, t.score, t.evidence) for t in self.specialties)
        return _tagging, (tags, self.item_type, self.type_evidence)


def _tagging(
    tags: tuple[tuple[str, float, tuple[str, ...]], ...], item_type: str, type_evidence: tuple[str, ...]
) -> Tagging:
    """A pickled Tagging back (see :meth:`Tagging.__reduce__`)."""
    return Tagging(tuple([SpecialtyTag(*t) for t in tags]), item_type, type_evidence)


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
        table = KeyTable()
        add = table.add
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
        table.hand_written_done()
        index = {slug: i for i, slug in enumerate(self._slugs)}
        drug_group = cue_base + len(self.context.cues)
        hand_drugs: set[str] = set()
        hand_keys = table.hand_keys
        for v in vocabulary:
            code = f"{v.vocabulary} {v.code}"
            for slug, weight in v.specialties:
                if slug in index:
                    # A drug name is a medicine whatever the hand list says it is about.
                    first = slug == v.specialties[0][0] and v.vocabulary == "ATC"
                    add(index[slug], (v.form,), weight, False, code, v.cased, first)
            if v.vocabulary == "ATC":
                add(drug_group, (v.form,), 1.0, False, code, v.cased, True)
                if " " + fold(v.form) + " " in hand_keys:
                    hand_drugs.add(fold(v.form))  # "dupilumab" of dermatology is a drug too
        self._requires = {
            base + self._types.index(name): tuple(cue_base + self._cue_names.index(c) for c in cues)
            for name, cues in self.context.requires
            if name in self._types
        }
        self._hand_drugs = frozenset(hand_drugs)
        self.vocabulary_terms = len(vocabulary)
        if vocabulary and PHARMACOLOGY_SLUG in index:
            for stem in _INN_STEMS:
                table.add_suffix(stem, (index[PHARMACOLOGY_SLUG], drug_group))
        # A journal abstract rarely says "study" twice, but one full study term is enough when
        # no other type fired (study comes last in the precedence).
        self._type_thresholds = {
            base + i: STUDY_THRESHOLD for i, name in enumerate(self._types) if name == "study"
        }
        # Per group: its name (slug, type or cue), its kind and its threshold.
        self._group_names = self._slugs + self._types + self._cue_names
        self._group_kinds = (
            (_SPECIALTY,) * base + (_TYPE,) * len(self._types) + (_CUE,) * len(self._cue_names)
        )
        self._group_thresholds = (threshold,) * base + tuple(
            self._type_thresholds.get(base + i, type_threshold) for i in range(len(self._types))
        ) + (0.0,) * len(self._cue_names)
        # The same in one tuple per group, with the cues an item type requires: one look-up
        # per group in the tagging loop.
        self._group_info = tuple(
            (kind, name, limit, self._requires.get(group), -self._rank[name] if kind == _TYPE else 0)
            for group, (kind, name, limit) in enumerate(
                zip(self._group_kinds, self._group_names, self._group_thresholds, strict=True)
            )
        )
        self._context_memo: dict[tuple[str, ...], tuple[tuple[Rule, ...], tuple[Veto, ...]]] = {}
        self._matcher = table.compile()
        self.term_count = self._matcher.key_count

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

    def tag(self, title: str, text: str = "", source_specialties: tuple[str, ...] = ()) -> Tagging:
        """Specialties (sorted by score, then slug) and the item type of one item."""
        groups = self._matcher.scan(title or "", text or "")
        info = self._group_info
        title_weight = self.title_weight
        tags: dict[str, SpecialtyTag] = {}
        best: tuple[bool, int, str, tuple[str, ...]] | None = None
        cues: dict[str, dict[str, list[float]]] = {}
        for group, evidence in groups.items():
            kind, name, limit, needed, rank = info[group]
            if kind == _CUE:
                cues[name] = evidence  # its terms, in the order found
                continue
            score, in_title = group_score(evidence, title_weight)
            if score < limit:
                continue
            if kind == _SPECIALTY:
                tags[name] = SpecialtyTag(name, _rounded(score), tuple(evidence))
                continue
            if needed and not any(g in groups for g in needed):
                continue  # e.g. a recall without a product
            if best is None or (in_title, rank) > best[:2]:
                best = (in_title, rank, name, tuple(evidence))
        if cues:  # every rule and veto needs a cue
            rules, vetoes = self._context_for(cues)
            if rules:
                for slug, why in apply_rules(rules, tags, cues).items():
                    tags[slug] = SpecialtyTag(slug, self.threshold, why)
            if DRUG_CUE in cues and len(tags) > 2 and _DRUG_ISSUE_CUE not in cues:
                for slug in _drug_only(tags, cues[DRUG_CUE], self._hand_drugs):
                    del tags[slug]
            if vetoes:
                tag_evidence = {slug: t.evidence for slug, t in tags.items()}
                for slug in vetoed(vetoes, cues, tag_evidence):  # after the rules
                    tags.pop(slug, None)
        for slug in source_specialties:
            if slug not in self.specialties:
                continue  # config validation reports unknown slugs; tagging ignores them
            old = tags.get(slug)
            if old is None:
                tags[slug] = SpecialtyTag(slug, SOURCE_SCORE, (SOURCE_EVIDENCE,))
            elif SOURCE_EVIDENCE not in old.evidence:
                tags[slug] = SpecialtyTag(slug, old.score, old.evidence + (SOURCE_EVIDENCE,))
        ordered = tuple(sorted(tags.values(), key=_by_score) if len(tags) > 1 else tags.values())
        if best is None:
            return Tagging(ordered, self.default_type, ())
        return Tagging(ordered, best[2], best[3])

    def _context_for(self, cues: Mapping[str, object]) -> tuple[tuple[Rule, ...], tuple[Veto, ...]]:
        """The rules and vetoes that the cues that fired can trigger, in their order: those
        with none of their cues among them do nothing (remembered per set of cues: a few
        dozen sets occur)."""
        key = tuple(cues)  # in the order of the groups: one key per set
        found = self._context_memo.get(key)
        if found is None:
            names = frozenset(key)
            rules = tuple(r for r in self.context.rules if not names.isdisjoint(r.context))
            vetoes = tuple(v for v in self.context.vetoes if not names.isdisjoint(v.when))
            found = self._context_memo[key] = (rules, vetoes)
        return found


_DRUG_ISSUE_CUE = "drug_issue"  # context.yaml: a recall, shortage, safety or price context


def _drug_only(
    tags: Mapping[str, SpecialtyTag], drugs: Mapping[str, object], hand_drugs: frozenset[str]
) -> list[str]:
    """The specialties that only a drug's name brought (the ATC group of dupilumab is
    dermatology), when another specialty rests on other evidence (COPD): the item is about that
    disease, and the drug's usual specialty is no reader's (docs/tagging.md). Not when the item
    is about the drug as a product (``drug_issue``: a safety warning concerns its prescribers).
    ``drugs``: the drug cue's evidence ("dupilumab [ATC D11AH05]"); ``hand_drugs``: the
    hand-written terms that are drug names too ("dupilumab")."""
    only: list[str] = []
    other = False
    for slug, t in tags.items():
        if slug == PHARMACOLOGY_SLUG:
            continue
        for e in t.evidence:
            if e not in drugs and e not in hand_drugs:
                if not other and not e.startswith(RULE_PREFIX):
                    other = True
                break
        else:
            only.append(slug)
    return only if other else []


_ROUNDED: dict[float, float] = {}


def _rounded(score: float) -> float:
    """``round(score, 2)``, remembered: round() of a float costs as much as making its tag, and
    sums of a few weights take few values (at most 4,096 are kept)."""
    rounded = _ROUNDED.get(score)
    if rounded is None:
        rounded = round(score, 2)
        if len(_ROUNDED) < 4096:
            _ROUNDED[score] = rounded
    return rounded


def _by_score(t: SpecialtyTag) -> tuple[float, str]:
    return (-t.score, t.specialty)


@functools.lru_cache(maxsize=1)
def default_tagger() -> Tagger:
    """The packaged taxonomy, loaded once per process.

    Building the automaton from YAML takes about half a second, which every `veille collect`
    would pay; the built tagger is cached (pickled) in the user's cache directory, keyed by the
    taxonomy files and the tagger's modules, so a changed taxonomy or tagger is rebuilt."""
    from veille.build_cache import load_or_build
    from veille.vocab import vocabulary_files

    here = Path(__file__).parent
    files = (
        TAXONOMY_DIR / "specialties.yaml", TAXONOMY_DIR / "types.yaml", CONTEXT_FILE,
        *(here / f"{name}.py" for name in _TAGGER_MODULES), *vocabulary_files(),
    )
    return load_or_build("tagger", files, Tagger.load, Tagger)


def tag(title: str, text: str = "", source_specialties: tuple[str, ...] = ()) -> Tagging:
    """Tag with the packaged taxonomy (see :meth:`Tagger.tag`)."""
    return default_tagger().tag(title, text, source_specialties)
