"""Mute rules (``settings.mute`` in feeds.yaml): items hidden from La une, the digest and the
watches, never deleted (the Articles page and search still find them).

    settings:
      mute:
        - name: offres-emploi        # optional; shown as "masqué par la règle offres-emploi"
          types: [job]
        - name: egora-sponsorise
          sources: [egora]
          terms: ["publi-rédactionnel", sponsorisé]

A rule mutes an item when every field it sets matches (fields are AND-ed; the values of one
field are OR-ed). ``terms`` use the search syntax (see veille.query) on title and summary.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from veille.errors import ConfigError
from veille.models import ITEM_TYPES
from veille.query import Node, QueryError, Text, matches, parse_query

RULE_KEYS = frozenset({"name", "terms", "sources", "types"})


@dataclass(frozen=True)
class MuteRule:
    name: str
    terms: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    types: tuple[str, ...] = ()

    @property
    def nodes(self) -> tuple[Node, ...]:
        return tuple(parse_query(t) for t in self.terms)

    def describe(self) -> str:
        parts = []
        if self.terms:
            parts.append("termes " + ", ".join(self.terms))
        if self.sources:
            parts.append("sources " + ", ".join(self.sources))
        if self.types:
            parts.append("types " + ", ".join(self.types))
        return "; ".join(parts)


def mute_reason(
    rules: Sequence[MuteRule], *, title: str, summary: str = "", source_id: str | None = None,
    item_type: str | None = None, sources: Sequence[str] = (), text: Text | None = None,
) -> str | None:
    """The name of the first rule that mutes this item, or None. ``sources``: every source that
    carried it (a rule on a source mutes what that source carried)."""
    if not rules:
        return None
    carriers = set(sources) | ({source_id} if source_id else set())
    prepared: Text | None = text
    for rule in rules:
        if rule.sources and not carriers & set(rule.sources):
            continue
        if rule.types and item_type not in rule.types:
            continue
        if rule.terms:
            if prepared is None:
                prepared = Text.of(title, summary)
            if not any(matches(node, prepared) for node in rule.nodes):
                continue
        return rule.name
    return None


def keep_entry(rules: Sequence[MuteRule]) -> Callable[[Any], bool]:
    """A predicate for a digest or La une entry (title, summary, source, also, item_type): True
    when no rule mutes it. Entries are duck-typed: the arrangement module owns their class."""

    def keep(entry: Any) -> bool:
        return mute_reason(
            rules, title=entry.title, summary=getattr(entry, "summary", "") or "",
            source_id=entry.source.id, item_type=entry.item_type,
            sources=[s.id for s in getattr(entry, "also", ())],
        ) is None

    return keep


def parse_rules(raw: Any, where: str = "settings.mute", start: int = 0) -> tuple[MuteRule, ...]:
    """settings.mute as rules; ConfigError (one line per problem) when a rule is not valid."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ConfigError(f"{where} must be a list of rules (each with terms, sources or types)")
    rules: list[MuteRule] = []
    problems: list[str] = []
    names: set[str] = set()
    for i, node in enumerate(raw, start):
        label = f"{where}[{i}]"
        if not isinstance(node, dict):
            problems.append(f"{label} must be a mapping with terms, sources or types")
            continue
        unknown = set(node) - RULE_KEYS
        if unknown:
            problems.append(
                f"{label}: unknown key {sorted(unknown)[0]!r} (allowed: {', '.join(sorted(RULE_KEYS))})"
            )
            continue
        values: dict[str, tuple[str, ...]] = {}
        for key in ("terms", "sources", "types"):
            value = node.get(key)
            if value is None:
                values[key] = ()
            elif isinstance(value, str):
                values[key] = (value,)
            elif isinstance(value, list) and all(isinstance(v, str) for v in value):
                values[key] = tuple(value)
            else:
                problems.append(f"{label}.{key} must be a list of strings")
        if len(values) < 3:
            continue
        if not any(values.values()):
            problems.append(f"{label} mutes nothing: give terms, sources or types")
            continue
        bad_types = [t for t in values["types"] if t not in ITEM_TYPES]
        if bad_types:
            problems.append(f"{label}: unknown type {bad_types[0]!r} (one of: {', '.join(ITEM_TYPES)})")
            continue
        try:
            for term in values["terms"]:
                parse_query(term)
        except QueryError as e:
            problems.append(f"{label}: {e}")
            continue
        name = str(node.get("name") or f"mute-{i + 1}")
        if name in names:
            problems.append(f"{label}: the name {name!r} is used twice")
            continue
        names.add(name)
        rules.append(MuteRule(name=name, **values))
    if problems:
        raise ConfigError("\n".join(problems))
    return tuple(rules)


def rules_from_settings(settings: Any) -> tuple[MuteRule, ...]:
    raw = settings.sections.get("mute") if settings is not None else None
    return parse_rules(raw)
