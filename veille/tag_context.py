"""Context rules of the tagger: conventions that no single keyword carries (docs/tagging.md).

*Cues* are named lists of terms matched by the tagger's automaton like specialty terms, but
they tag nothing by themselves ("contact tracing", "strike", "phase 3", "lots"). A *rule* adds
a specialty when the item has one of its ``when`` (a tagged specialty or a cue that fired) and
one of its ``context`` cues, unless one of its ``unless`` cues fired:

    epidemic-response: infectiologie + a response cue (tracing, screening, quarantine, government
                       or agency action, epidemic-level figures)      -> sante-publique
    vaccine-rnd:       a vaccine + an R&D or business cue             -> pharmacologie
    vaccine-policy:    a vaccine + a campaign or policy cue, no R&D   -> sante-publique
    workers-conflict:  health workers + a safety, strike or working-conditions cue
                                                                      -> medecine-travail

Item types may also ``require`` a cue: a recall needs a product (a drug name counts), so "rappel
de l'importance de la vaccination" is no recall. Data in taxonomy/context.yaml; everything here
is pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CONTEXT_FILE = Path(__file__).resolve().parent / "taxonomy" / "context.yaml"
DRUG_CUE = "drug"  # fired by every ATC drug name of the vocabularies
RULE_PREFIX = "rule:"
OTHER_SPECIALTY = "other-specialty"  # in a veto's unless: another specialty is tagged


class ContextError(ValueError):
    """context.yaml is invalid; the message names the file and the entry."""


@dataclass(frozen=True)
class Cue:
    name: str
    terms: tuple[str, ...]
    negative: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rule:
    name: str
    add: str  # specialty slug
    when: tuple[str, ...]  # specialty slugs or cue names: any of them
    context: tuple[str, ...]  # cue names: any of them
    unless: tuple[str, ...] = ()  # cue names: none of them


@dataclass(frozen=True)
class Veto:
    """Drop specialties when a cue says the text is not about people (a plant's genome, a
    crop's virus), unless another cue brings people back."""

    name: str
    when: tuple[str, ...]  # cue names: any of them
    drop: tuple[str, ...]  # specialty slugs, or "*" for every specialty
    unless: tuple[str, ...] = ()  # cue names (none of them), or OTHER_SPECIALTY


@dataclass(frozen=True)
class Context:
    cues: tuple[Cue, ...]
    rules: tuple[Rule, ...]
    requires: tuple[tuple[str, tuple[str, ...]], ...]  # item type -> cues (any of them)
    vetoes: tuple[Veto, ...] = ()


def _names(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ContextError(f"{where}: expected a list of names")
    return tuple(value)


def parse_context(
    data: Any, slugs: Iterable[str], types: Iterable[str], where: str, *, strict: bool = True
) -> Context:
    """Validate context.yaml's data against the taxonomy's specialty slugs and item types.
    ``strict=False`` (the packaged rules applied to another taxonomy) drops the rules whose
    specialties that taxonomy lacks instead of reporting them."""
    if not isinstance(data, dict) or set(data) - {"cues", "rules", "requires", "vetoes"}:
        raise ContextError(f"{where}: expected 'cues', 'rules', 'requires' and 'vetoes'")
    cues = []
    for name, spec in (data.get("cues") or {}).items():
        if isinstance(spec, list):
            spec = {"terms": spec}
        if not isinstance(spec, dict) or set(spec) - {"terms", "negative"}:
            raise ContextError(f"{where}: cues.{name}: a list of terms, or 'terms' and 'negative'")
        terms = tuple(str(t) for t in spec.get("terms") or ())
        negative = tuple(str(t) for t in spec.get("negative") or ())
        cues.append(Cue(str(name), terms, negative))
    cue_names = {c.name for c in cues} | {DRUG_CUE}
    slugs = set(slugs)
    rules = []
    for name, spec in (data.get("rules") or {}).items():
        at = f"{where}: rules.{name}"
        if not isinstance(spec, dict) or set(spec) - {"add", "when", "context", "unless"}:
            raise ContextError(f"{at}: expected add, when, context and optional unless")
        rule = Rule(
            str(name), str(spec.get("add")), _names(spec.get("when"), at),
            _names(spec.get("context"), at), _names(spec.get("unless"), at),
        )
        if rule.add not in slugs:
            if not strict:
                continue
            raise ContextError(f"{at}: add {rule.add!r} is not a specialty slug")
        unknown = [n for n in rule.when if n not in slugs | cue_names]
        unknown += [n for n in rule.context + rule.unless if n not in cue_names]
        if unknown or not rule.when or not rule.context:
            raise ContextError(f"{at}: unknown or missing names {unknown or ['when/context']}")
        rules.append(rule)
    requires = []
    types = set(types)
    for name, needed in (data.get("requires") or {}).items():
        at = f"{where}: requires.{name}"
        needed = _names(needed, at)
        if name not in types and not strict:
            continue
        if name not in types or not needed or set(needed) - cue_names:
            raise ContextError(f"{at}: an item type and a list of cue names")
        requires.append((str(name), needed))
    vetoes = []
    for name, spec in (data.get("vetoes") or {}).items():
        at = f"{where}: vetoes.{name}"
        if not isinstance(spec, dict) or set(spec) - {"when", "drop", "unless"}:
            raise ContextError(f"{at}: expected when, drop and optional unless")
        veto = Veto(
            str(name), _names(spec.get("when"), at), _names(spec.get("drop"), at),
            _names(spec.get("unless"), at),
        )
        unknown = [n for n in veto.when + veto.unless if n not in cue_names | {OTHER_SPECIALTY}]
        unknown += [n for n in veto.drop if n not in slugs and n != "*" and strict]
        if unknown or not veto.when or not veto.drop:
            raise ContextError(f"{at}: unknown or missing names {unknown or ['when/drop']}")
        vetoes.append(veto)
    return Context(tuple(cues), tuple(rules), tuple(requires), tuple(vetoes))


def load_context(
    path: Path, slugs: Iterable[str], types: Iterable[str], *, strict: bool = True
) -> Context:
    from veille.tag_taxonomy import read_yaml

    return parse_context(read_yaml(path, ContextError), slugs, types, str(path), strict=strict)


def vetoed(
    vetoes: Iterable[Veto],
    cues: Mapping[str, Iterable[str]],
    tagged: Mapping[str, Iterable[str]],
) -> set[str]:
    """The tagged specialties that the vetoes whose cues fired take away. ``tagged``: slug ->
    its evidence. A veto with "*" drops everything; one that names its specialties drops them
    only when their evidence is nothing but the veto's own cue terms ("machine learning" alone
    is no digital health, "téléconsultation" is)."""
    out: set[str] = set()
    for veto in vetoes:
        fired = [c for c in veto.when if c in cues]
        if not fired or any(c in cues for c in veto.unless):
            continue
        if "*" in veto.drop:
            dropped = set(tagged)
        else:
            terms = {t for c in fired for t in cues[c]}
            dropped = {s for s in veto.drop if s in tagged and set(tagged[s]) <= terms}
        if OTHER_SPECIALTY in veto.unless and set(tagged) - dropped:
            continue  # the text is about health after all
        out.update(dropped)
    return out


def apply_rules(
    rules: Iterable[Rule],
    tagged: Mapping[str, object],
    cues: Mapping[str, Iterable[str]],
) -> dict[str, tuple[str, ...]]:
    """Specialty -> evidence of the rules that add it, e.g. ``{"sante-publique":
    ("rule:epidemic-response", "contact tracing")}``. ``tagged``: specialties already tagged;
    ``cues``: cue name -> the terms that fired it, in order."""
    # Plain loops rather than comprehensions and any(): this runs for nearly every item.
    out: dict[str, tuple[str, ...]] = {}
    for rule in rules:
        if rule.add in tagged or rule.add in out:
            continue
        for name in rule.when:
            if name in tagged or name in cues:
                break
        else:
            continue
        for name in rule.unless:
            if name in cues:
                break
        else:
            terms: list[str] | None = None
            for name in rule.context:
                if name in cues:
                    if terms is None:
                        terms = []
                    terms.extend(cues[name])
            if terms is not None:
                out[rule.add] = (RULE_PREFIX + rule.name, *terms[:3])
    return out
