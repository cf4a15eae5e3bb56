"""What the story engine compares of a document: tokens, names, products, places, numbers.

Pure and picklable, so it can be computed in the parsing workers. Products come from the ATC
vocabulary (`veille.dedup.names.drugs`), places from ISO 3166 names (`veille.dedup.names.places`); names are
capitalised words, acronyms and words like EzriCare or H5N1.
"""

from __future__ import annotations

import functools
import re
import sys
from dataclasses import dataclass, fields

from veille.dedup import markers
from veille.dedup.concepts import concept_spans
from veille.dedup.docs import StoryDoc
from veille.dedup.names import GENERIC_MAKERS, areas, article_places, drugs, places
from veille.dedup.text import (
    DISEASE_FAMILY,
    STEMMED_DISEASES,
    clean_title,
    distinguishing,
    tokens,
    word_info,
)

__all__ = ["Features", "features"]

SUMMARY_CHARS = 300  # how much of the summary counts as supporting evidence
_EMPTY: frozenset[str] = frozenset()
_RAW_WORD = re.compile(r"[A-Za-z0-9]+")
_SUBJECT = re.compile(r"^\s*([^:|–—]{1,60}?)\s*(?::|\s[|–—]\s)")
_DOSE = re.compile(
    r"\b([0-9]+(?:d[0-9]+)?)\s?(mg|ug|mcg|g|ml|ui|iu|microgrammes?|milligrammes?|grammes?|unites?|"
    r"euros?|eur|dollars?|usd)\b",
    re.IGNORECASE,
)
# WHO stems of international non-proprietary names, for substances newer than the ATC table
# ("lenacapavir", "donanemab", "tirzepatide").
_INN_STEM = re.compile(
    r"^[a-z]{3,}(?:mab|cept|tinib|ciclib|lisib|rafenib|parib|gravir|capavir|previr|buvir|asvir|"
    r"tegravir|navir|vudine|glutide|glinide|gliflozin|gliptin|xaban|gatran|parin|prazole|sartan|"
    r"pril|olol|statin|vastatin|cycline|cillin|mycin|floxacin|conazole|dipine|afil|triptan|setron|"
    r"lukast|semide|tidine|oxetine|apine|idone|azepam|azolam|profen|coxib|dronate|tide|siran|rsen|"
    r"gepant|fungin|penem|bactam|trozole|lutamide|glitazone|sentan|plase|kinra|degib|zomib|relix|"
    r"sertib|renone)$"
)


@dataclass(frozen=True, slots=True)
class Features:
    title: dict[str, str]  # stem -> first full folded word, in title order
    # Stems of the summary's head that the title does not have, in the order of their set (a
    # tuple is a sixth of a frozenset's size, and the index keeps one per item of a collect).
    head: tuple[str, ...]
    numbers: frozenset[str]
    kinds: frozenset[str]
    keys: tuple[str, ...]  # distinguishing title stems (index keys)
    subject: frozenset[str]  # distinguishing stems before a "Subject :" colon
    diseases: frozenset[str]
    names: frozenset[str]  # stems of capitalised words (products, places, people)
    has_text: bool  # the summary adds tokens to the title's
    products: frozenset[str] = _EMPTY  # drug names (folded), brands and INNs
    product_codes: frozenset[str] = _EMPTY  # ATC codes of the INNs named
    brand_codes: frozenset[str] = _EMPTY  # ATC codes of the brands named
    places: frozenset[str] = _EMPTY  # place names (folded)
    countries: frozenset[str] = _EMPTY  # ISO codes of every place named
    country_only: bool = True  # every place named is a whole country
    editions: frozenset[str] = _EMPTY  # typed edition numbers: "week:47", "month:3", "year:2025"
    doses: frozenset[str] = _EMPTY  # "100ug", "1d5mg"
    quantities: frozenset[tuple[str, str]] = frozenset()  # (noun stem, number): "2000 cas"
    classes: frozenset[str] = _EMPTY  # drug classes: "benzodiazepine"
    variants: frozenset[str] = _EMPTY  # serogroups, clades, types: "b", "acwy", "ib"
    trials: frozenset[str] = _EMPTY  # named trials: "findckd"
    negated: frozenset[str] = _EMPTY  # stems of negated words: "non-diabetic" -> "diabet"
    # (concept id, stems of the title words naming it): "~I50" <- {"insuff", "cardia"}
    concepts: tuple[tuple[str, frozenset[str]], ...] = ()
    makers: frozenset[str] = _EMPTY  # makers of generics named with a drug: "mylan"
    labels: frozenset[str] = _EMPTY  # brands a title names as such: "de la marque Istara", "Acme brand"
    areas: frozenset[str] = _EMPTY  # ISO 3166-2 areas the places named cover: "FR-87" for "Limousin"
    foods: frozenset[str] = _EMPTY  # kinds of food named: "camembert", "steak hache"
    local: frozenset[str] = _EMPTY  # places named that are not whole countries: "grenoble"

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        # Features cross from the parsing workers to the main process, whose story index keeps
        # them for the whole collect: rebuilt by `_restore` (a positional call, faster than the
        # dataclass's field-by-field setstate), sharing one copy of each title and head word.
        # An empty set travels as None and comes back as the one shared empty frozenset: most
        # of an item's 20 sets are empty, and unpickled empties are 216-byte objects each.
        values = (getattr(self, name) for name in _FIELDS)
        return _restore, tuple(None if type(v) is frozenset and not v else v for v in values)


# One copy of each set that several items have ({"FR"}, {"year:2026", "month:10"}, a disease,
# the concepts of a title): the story index keeps every item of the window, and most of an
# entry's bytes were small sets equal to other entries' (bench_index_memory). Emptied when it
# grows past _SHARED_MAX (the sets already shared stay shared).
_SHARED: dict[object, object] = {}
_SHARED_MAX = 200_000


def _restore(title: dict[str, str], head: tuple[str, ...], numbers: frozenset[str] | None,
             kinds: frozenset[str] | None, keys: tuple[str, ...], *rest: object) -> Features:
    """A pickled `Features`, its title, head and key words interned (one string per word in the
    process, not one per item), its empty sets the shared `_EMPTY` and its other sets shared
    with the equal sets of other items."""
    intern = sys.intern
    return Features(
        {intern(stem): intern(word) for stem, word in title.items()},
        tuple(map(intern, head)),
        _shared(numbers),  # type: ignore[arg-type]
        _shared(kinds),  # type: ignore[arg-type]
        tuple(map(intern, keys)),
        *map(_shared, rest),  # type: ignore[arg-type]
    )


def _shared(value: object) -> object:
    """`value`, or the equal value another item already has (see `_SHARED`). A set or tuple
    seen for the first time is kept with its strings interned and its inner sets and tuples
    shared: the (concept, stems) pairs and ("cas", "2000") quantities recur across items."""
    if value is None:
        return _EMPTY
    if not value or type(value) is bool:
        return value
    if len(_SHARED) > _SHARED_MAX:
        _SHARED.clear()
    known = _SHARED.get(value)
    if known is not None:
        return known
    if type(value) is frozenset:
        value = frozenset(map(_part, value))
    elif type(value) is tuple:
        value = tuple(map(_part, value))
    _SHARED[value] = value
    return value


def _part(value: object) -> object:
    if type(value) is str:
        return sys.intern(value)
    if type(value) is tuple or type(value) is frozenset:
        return _shared(value)
    return value


_FIELDS = tuple(f.name for f in fields(Features))


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
            info = word_info(word.lower())
            if info is not None and distinguishing(info[0]):
                names.add(info[0])
    return frozenset(names) or _EMPTY


def _makers(words: list[str]) -> frozenset[str]:
    """Makers of generics a title names beside an INN ("Ibuprofène Mylan"). Beside a brand only
    ("Mylan recalls EpiPen"), a maker is the brand's own: not a generic, not counted."""
    return frozenset(w.lower() for w in words if w.lower() in GENERIC_MAKERS) or _EMPTY


_LABEL_BEFORE = frozenset({"marque", "marques", "brand", "brands"})
_LABEL_ARTICLES = frozenset({"le", "la", "les", "l", "the"})  # "de la marque Istara", "brand Acme"


def _labels(words: list[str]) -> frozenset[str]:
    """Brands a title names as such, folded: the capitalised word after "marque" or "brand", or
    before "brand" ("Rappel Conso : tomme de la marque Istara", "Acme brand peanut butter"). Food
    and consumer recalls name a brand no drug table holds; two of them are two products."""
    found = set()
    lower = [w.lower() for w in words]
    for i, word in enumerate(lower):
        if word in _LABEL_BEFORE:
            at = i + 1
            if at + 1 < len(words) and lower[at] in _LABEL_ARTICLES:
                at += 1  # "de la marque Le Petit Berger": the brand is "Petit", not "Le"
            if at < len(words) and words[at][:1].isupper():
                found.add(lower[at])
            if word.startswith("brand") and i > 1 and words[i - 1][:1].isupper():
                found.add(lower[i - 1])
    return frozenset(found) or _EMPTY


def _ngrams(words: list[str], n: int) -> list[tuple[int, str]]:
    return [(i, " ".join(words[i : i + n])) for i in range(len(words) - n + 1)]


def _products(words: list[str]) -> tuple[frozenset[str], frozenset[str], frozenset[str], list[tuple[str, list[int]]]]:
    """Drug names in the title: (names, ATC codes of INNs, ATC codes of brands, the concepts
    they name: ("~<ATC code>", word indices)). A brand must be written with a capital ("Rappel
    de Ventoline"), an INN in any case."""
    table = drugs()
    lower = [w.lower() for w in words]
    found: set[str] = set()
    inn_codes: set[str] = set()
    brand_codes: set[str] = set()
    used: set[int] = set()
    spans: list[tuple[str, list[int]]] = []
    for n in (3, 2, 1):
        for i, gram in _ngrams(lower, n):
            drug = table.get(gram)
            if drug is None or used & set(range(i, i + n)):
                continue
            if not drug.inn and not words[i][0].isupper():
                continue
            found.add(drug.name)
            used.update(range(i, i + n))
            (inn_codes if drug.inn else brand_codes).update(drug.codes)
            spans.extend(("~" + code, list(range(i, i + n))) for code in sorted(drug.codes))
    for i, word in enumerate(lower):
        if i not in used and len(word) >= 8 and _INN_STEM.match(word):
            found.add(word[:-1] if word.endswith("e") else word)  # "tirzepatide" = "tirzepatid"
    return frozenset(found) or _EMPTY, frozenset(inn_codes) or _EMPTY, frozenset(brand_codes) or _EMPTY, spans


def _concepts(lower: list[str], *named: list[tuple[str, list[int]]]) -> tuple[tuple[str, frozenset[str]], ...]:
    """The concepts the title names (glossary and ICD-10 terms, see `veille.dedup.concepts`,
    then what ``named`` found in the other words: drugs by ATC code, countries by ISO code),
    with the stems of the words that name them."""
    spans = concept_spans(lower)
    taken = {i for _, at in spans for i in at}
    for found in named:
        spans += [(concept, at) for concept, at in found if not taken.intersection(at)]
    out = []
    for concept, at in spans:
        stems = frozenset(info[0] for i in at if (info := word_info(lower[i])) is not None)
        if stems:
            out.append((concept, stems))
    return tuple(out)


def _after_article(lower: list[str], i: int) -> bool:
    """Whether word ``i`` follows a département's article: "du Lot", "dans la Manche", "de l'Ain"."""
    before = lower[max(0, i - 2) : i]
    return before[-1:] == ["du"] or (len(before) == 2 and before[0] in ("de", "dans") and before[1] in ("la", "le", "l"))


@functools.cache
def _area_names() -> dict[frozenset[str], int]:
    """Areas -> how many place names cover exactly them ("Écosse", "Scotland": 2)."""
    counts: dict[frozenset[str], int] = {}
    for covered in areas().values():
        counts[covered] = counts.get(covered, 0) + 1
    return counts


@functools.cache
def _country_names() -> dict[str, int]:
    """ISO code -> how many names a country has ("Suède", "Sweden": 2; "France": 1)."""
    counts: dict[str, int] = {}
    for code, whole in places().values():
        if whole:
            counts[code] = counts.get(code, 0) + 1
    return counts


def _places(words: list[str], lead: int = 0) -> tuple[frozenset[str], frozenset[str], bool, list[tuple[str, list[int]]], frozenset[str]]:
    """Places written with a capital: (names, country codes, whether all are whole countries,
    the countries and areas named as concepts: ("~@<ISO code>", word indices), "Suède" =
    "Sweden", "Écosse" = "Scotland"; the areas the places cover, `veille.dedup.names.areas`).
    Blank words (the place words of a disease's name, `markers.place_free_words`) are skipped.
    A département named by an ordinary word counts after its article or as the ``lead`` words
    before the title's colon ("Cher : une crèche fermée")."""
    table = places()
    area_table = areas()
    lower = [w.lower() for w in words]
    found: set[str] = set()
    codes: set[str] = set()
    covered: set[str] = set()
    country_only = True
    used: set[int] = set()
    spans: list[tuple[str, list[int]]] = []
    for n in (4, 3, 2, 1):  # "Centre-Val de Loire", "Nord-Pas-de-Calais"
        for i, gram in _ngrams(lower, n):
            place = table.get(gram)
            if place is None or used & set(range(i, i + n)) or not words[i] or not words[i][0].isupper():
                continue
            found.add(gram)
            codes.add(place[0])
            used.update(range(i, i + n))
            country_only = country_only and place[1]
            if place[1] and _country_names().get(place[0], 0) > 1:
                spans.append(("~@" + place[0], list(range(i, i + n))))
            area = area_table.get(gram)
            if area is not None:  # "Réunion" is a country to ISO 3166-1, an area of France too
                covered.update(area)
                if not place[1] and _area_names().get(area, 0) > 1:
                    spans.append(("~@" + " ".join(sorted(area)), list(range(i, i + n))))
    ordinary = article_places()
    for i, word in enumerate(lower):
        if word in ordinary and i not in used and words[i][0].isupper() and (_after_article(lower, i) or i < lead):
            found.add(word)
            codes.add("FR")
            covered.update(area_table.get(word, ()))
            country_only = False
    return frozenset(found) or _EMPTY, frozenset(codes) or _EMPTY, country_only, spans, frozenset(covered) or _EMPTY


# "2 000 cas", "12 élevages", "6 personnes": a number and the noun it counts.
_QUANTITY = re.compile(r"\b([0-9]+(?:d[0-9]+)?)\s+([A-Za-z]{3,})")


def _quantities(cleaned: str) -> frozenset[tuple[str, str]]:
    out = set()
    for m in _QUANTITY.finditer(cleaned):
        if markers.is_month(m.group(2)):
            continue  # "du 5 au 15 janvier" is a date, not a count
        info = word_info(m.group(2).lower())
        if info is not None:
            out.add((info[0], m.group(1)))
    return frozenset(out)


_UNITS = {"mg": "mg", "milligramme": "mg", "milligrammes": "mg", "ug": "ug", "mcg": "ug",
          "microgramme": "ug", "microgrammes": "ug", "g": "g", "gramme": "g", "grammes": "g",
          "ml": "ml", "ui": "ui", "iu": "ui", "unite": "ui", "unites": "ui", "euro": "eur",
          "euros": "eur", "eur": "eur", "dollar": "usd", "dollars": "usd", "usd": "usd"}


def features(doc: StoryDoc) -> Features:
    """What the index compares of a document (title and summary tokens, names, numbers...)."""
    cleaned = clean_title(doc.title)
    words = _RAW_WORD.findall(cleaned)
    title: dict[str, str] = {}
    kinds = set()
    for word in words:
        lower = word.lower()
        info = word_info(lower)
        if info is None:
            continue
        title.setdefault(info[0], lower)
        if info[1] is not None:
            kinds.add(info[1])
    head = set(tokens(doc.text[:SUMMARY_CHARS])).difference(title) if doc.text else ()
    keys = tuple(t for t in title if distinguishing(t))
    subject: frozenset[str] = _EMPTY
    first_ok = False
    lead = 0
    found = _SUBJECT.match(cleaned)
    if found is not None:
        before = _RAW_WORD.findall(found.group(1))
        lead = 1 if len(before) == 1 else 0
        if len(before) <= 5:
            subject = frozenset(info[0] for w in before if (info := word_info(w.lower())) is not None and distinguishing(info[0])) or _EMPTY
        # "Doliprane :", "Navikame 50 mg :", "Novo Nordisk :" but not "Défaut de dissolution :"
        first_ok = len(before) == 1 or (len(before) > 1 and (before[1][0].isdigit() or before[1][0].isupper()))
    editions = markers.editions(cleaned) or _EMPTY
    # A bulletin's number ("semaine 40") is its edition, not a figure it reports ("1 800 cas").
    numbered = {e.partition(":")[2] for e in editions if e.startswith(("week:", "issue:"))}
    numbers = frozenset(t for t in title if t[0].isdigit() and t not in numbered) or _EMPTY
    products, inn_codes, brand_codes, drug_spans = _products(words)
    # Same word positions as ``words``.
    place_names, countries, country_only, country_spans, covered = _places(markers.place_free_words(cleaned), lead)
    concepts = _concepts([w.lower() for w in words], drug_spans, country_spans)
    negated = markers.negated(cleaned) or _EMPTY
    # "obèses non diabétiques": a population, not the subject, for the diseases veto
    diseases = frozenset(DISEASE_FAMILY.get(t, t) for t in title if t in STEMMED_DISEASES and t not in negated) or _EMPTY
    if "variol" in diseases and "singe" in title:  # "variole du singe" is mpox, not smallpox
        diseases = (diseases - {"variol"}) | {"mpox"}
    products = products | markers.acids(cleaned)
    doses = frozenset(f"{m.group(1)}{_UNITS[m.group(2).lower()]}" for m in _DOSE.finditer(cleaned)) or _EMPTY
    return Features(
        title,
        tuple(head),
        numbers,
        frozenset(kinds) or _EMPTY,
        keys,
        subject,
        diseases,
        _names(words, first_ok),
        bool(head),
        products,
        inn_codes,
        brand_codes,
        place_names,
        countries,
        country_only,
        editions,
        doses,
        _quantities(cleaned),
        markers.drug_classes(cleaned) or _EMPTY,
        markers.variants(cleaned) or _EMPTY,
        markers.trials(cleaned) or _EMPTY,
        negated,
        concepts,
        _makers(words) if products and (inn_codes or not brand_codes) else _EMPTY,
        _labels(words),
        covered,
        markers.food_kinds(cleaned) or _EMPTY,
        frozenset(p for p in place_names if not places().get(p, ("", False))[1]) or _EMPTY,
    )
