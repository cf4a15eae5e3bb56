"""The taxonomy's data: specialties and item-type rules read from YAML, and the term notation.

``specialties.yaml``'s header documents the notation that :func:`parse_term` reads: a weight
(``enfant @0.7``), a stem (``cardiolog*``), an exact form (``=goutte``); a term with an
abbreviation-like word is case-sensitive, and every other term gets its plural variants.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from veille.models import ITEM_TYPES
from veille.tag_fold import fold_cased

TAXONOMY_DIR = Path(__file__).resolve().parent / "taxonomy"


class TaxonomyError(ValueError):
    """The taxonomy YAML is invalid; the message names the file, the entry and the term."""


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
class Term:
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


def parse_term(raw: str, default_weight: float = 1.0) -> Term:
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
    return Term(weight, forms, prefix, case_sensitive)


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
