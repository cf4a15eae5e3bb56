"""The tagger's folding and matching pass as they were before their speed-up (issue 14), kept
as the references that tests/test_tag_speedup.py compares the fast ones with: NFKD for every
non-ASCII text; one flat list of hits sorted with a key, the outermost ones picked in a second
list, then counted. Not used by Veille itself."""

from __future__ import annotations

import operator
import unicodedata
from collections.abc import Iterable, Mapping

from veille.tag_context import RULE_PREFIX, Rule
from veille.tag_fold import _ASCII_TABLE, _SPECIAL, _SPECIAL_RE
from veille.tag_match import BODY_CHARS, CASED, NEGATIVE_PREFIX, PLAIN, PREFIX, SUFFIX, Matcher


def fold_raw(text: str) -> str:
    """What veille.tag_fold.fold_raw returns, the NFKD way for any non-ASCII text."""
    if text.isascii():
        raw = text.encode("ascii")
    else:
        if _SPECIAL_RE.search(text):
            text = _SPECIAL_RE.sub(lambda m: _SPECIAL[m.group()], text)
        raw = unicodedata.normalize("NFKD", text).encode("ascii", "ignore")
    return raw.translate(_ASCII_TABLE).decode("ascii")


def reference_scan(matcher: Matcher, title: str, text: str) -> dict[int, dict[str, list[float]]]:
    """What Matcher.scan returns, computed the straightforward way from the same automaton."""
    ct = fold_raw(title).replace("  ", " ").replace("  ", " ")
    if len(text) > BODY_CHARS:
        cut = text.rfind(" ", 0, BODY_CHARS)
        text = text[: cut if cut > 0 else BODY_CHARS]
    cb = fold_raw(text).replace("  ", " ").replace("  ", " ")
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
    for end, (plain, entries) in matcher._automaton.iter(low):
        # the automaton's values: plain (group, back, rank, shown, weight), special entries
        # (group, weight, back, kind, evidence, shown, rank) or None
        for group, back, _, shown, weight in plain:
            hits.append((group, shown, weight, end - back, end))
        for group, weight, back, kind, evidence, shown, _ in entries or ():
            assert kind != PLAIN
            stop = end
            start = end - back
            if kind == PREFIX:
                stop = low.find(" ", end + 1)
                shown = low[start:stop]
            elif kind == SUFFIX:
                start = low.rfind(" ", 0, start) + 1
                if end - start < back + 3:
                    continue
                shown = f"{low[start:end]} [INN -{evidence}]"
            elif kind == CASED:
                if cased[start : start + len(evidence)] != evidence:
                    continue
            else:
                stop = low.find(" ", end + 1) if kind == NEGATIVE_PREFIX else end
                negatives.append((group, start, stop))
                continue
            hits.append((group, shown, weight, end - back, stop))
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
        slot = groups.setdefault(group, {})
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


def _outermost(
    hits: list[tuple[int, str, float, int, int]],
) -> list[tuple[int, str, float, int, int]]:
    out: list[tuple[int, str, float, int, int]] = []
    group = start = end = -1
    for h in sorted(hits, key=operator.itemgetter(0, 3, 4)):  # stable: ties stay as found
        if h[0] == group:
            if h[3] == start:
                last = out[-1]
                if h[4] > end or (h[2], "[" in h[1]) > (last[2], "[" in last[1]):
                    out[-1], end = h, h[4]
                continue
            if h[4] <= end:
                continue
        group, start, end = h[0], h[3], h[4]
        out.append(h)
    return out


def apply_rules(
    rules: Iterable[Rule], tagged: Mapping[str, object], cues: Mapping[str, tuple[str, ...]]
) -> dict[str, tuple[str, ...]]:
    """What veille.tag_context.apply_rules returns, with comprehensions and any()."""
    out: dict[str, tuple[str, ...]] = {}
    for rule in rules:
        if rule.add in tagged or rule.add in out:
            continue
        context = [c for c in rule.context if c in cues]
        if not context:
            continue
        if not any(n in tagged or n in cues for n in rule.when):
            continue
        if rule.unless and any(c in cues for c in rule.unless):
            continue
        terms = [t for c in context for t in cues[c]][:3]
        out[rule.add] = (RULE_PREFIX + rule.name, *terms)
    return out
