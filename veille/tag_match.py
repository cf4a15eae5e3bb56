"""The tagger's matcher: every term of every group (specialty, item type, context cue) compiled
into one Aho-Corasick automaton, and the pass that turns a text into each group's evidence.

Every term variant becomes one key, *folded* (see :mod:`veille.tag_fold`) with a leading space
(and a trailing one unless the term is a ``stem*``), so one pass over ``" title | body "`` finds
every whole-word hit of every group at once. Python then only looks at the hits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import ahocorasick

from veille.tag_fold import fold, fold_raw_pair
from veille.tag_taxonomy import Term, parse_term

_compiled_collect: Callable[[object, str, str, int], dict[int, dict[str, list[float]]]] | None
try:  # the compiled hit collection (veille/_tag_scan.pyx): same result, a scan in ~0.6x the time
    from veille._tag_scan import collect

    _compiled_collect = collect
except ImportError:  # not built (no C compiler at install): the Python code below
    _compiled_collect = None

BODY_CHARS = 2000  # of the body (summary + content) that tagging reads
# One automaton value entry: (group, weight, back, kind, form, shown). ``end - back`` is the
# first letter of the match. kind: PLAIN (the key itself, known in advance), PREFIX (the whole
# word, found at match time), CASED (``form`` is the cased form, which the text must spell the
# same way), NEGATIVE (a span that cancels the group's hits inside it; NEGATIVE_PREFIX when the
# span ends with a stem* and so extends to the end of its last word), SUFFIX (a word ending: an
# INN stem). ``shown`` is the evidence recorded for a hit: the term, and for a vocabulary term
# its code ("infarctus du myocarde [CIM-10 I21]").
_Entry = tuple[int, float, int, int, str, str]
PLAIN, PREFIX, CASED, NEGATIVE, NEGATIVE_PREFIX, SUFFIX = 0, 1, 2, 3, 4, 5
# What the groups found in one item: group -> evidence shown -> [weight, in title (0/1), body
# hits], in the order of first hit.
Hits = dict[int, dict[str, list[float]]]


class KeyTable:
    """Collects terms as automaton keys -> entries; :meth:`compile` builds the matcher."""

    def __init__(self) -> None:
        self.keys: dict[str, dict[tuple[int, int, str], _Entry]] = {}
        self._hand_keys: set[str] = set()

    def add(
        self, group: int, raw_terms: Iterable[str], weight: float, negative: bool,
        code: str = "", cased: bool | None = None, drug: bool = False,
    ) -> None:
        """Terms of ``group`` in the taxonomy notation. ``code``: a vocabulary term's code
        ("ATC N02BE01"); ``cased``: brand names (True) or vocabulary names that are never
        case-sensitive (False); ``drug``: an ATC name may go where the hand list has a term."""
        for raw in raw_terms:
            term = parse_term(raw, weight)
            if cased is not None and not term.prefix:
                # Brand names: "Doliprane" or "DOLIPRANE", never the everyday word.
                low = fold(raw)
                forms = tuple(dict.fromkeys((low.title(), low.upper()))) if cased else (low,)
                term = Term(weight, forms, False, cased)
            for form in term.forms:
                low = form.lower()
                key = " " + low + ("" if term.prefix else " ")
                if code and key in self._hand_keys and not (code.startswith("ATC") and drug):
                    continue  # the hand-written taxonomy decides what its own terms mean
                if negative:
                    kind, evidence = (NEGATIVE_PREFIX if term.prefix else NEGATIVE), ""
                elif term.case_sensitive:
                    kind, evidence = CASED, form
                elif term.prefix:
                    kind, evidence = PREFIX, ""
                else:
                    kind, evidence = PLAIN, low
                shown = f"{evidence} [{code}]" if code and evidence else evidence
                slot = self.keys.setdefault(key, {})
                old = slot.get((group, kind, evidence))
                if old is None or old[1] < term.weight:
                    slot[(group, kind, evidence)] = (group, term.weight, len(key) - 2, kind, evidence, shown)

    @property
    def hand_keys(self) -> frozenset[str]:
        """The keys of the hand-written taxonomy (" dupilumab ")."""
        return frozenset(self._hand_keys)

    def hand_written_done(self) -> None:
        """The keys so far are the hand-written taxonomy's: vocabulary terms added after this
        do not override them (except ATC drug names, see :meth:`add`)."""
        self._hand_keys.update(self.keys)

    def add_suffix(self, stem: str, groups: Iterable[int]) -> None:
        """A word ending (an INN stem, and its plural): keys without the leading space, which
        match the end of any word of at least three more letters."""
        for form in (stem, stem + "s"):
            slot = self.keys.setdefault(form + " ", {})
            for group in groups:
                slot[(group, SUFFIX, stem)] = (group, 1.0, len(form), SUFFIX, stem, "")

    def compile(self) -> Matcher:
        return Matcher(self.keys)


class Matcher:
    """The compiled automaton; :meth:`scan` is pure and thread-safe."""

    def __init__(self, keys: dict[str, dict[tuple[int, int, str], _Entry]]) -> None:
        automaton = ahocorasick.Automaton()
        for key, slot in keys.items():
            # Plain entries (most of them) are stored apart, ready to append: (group, back,
            # rank, shown, weight); the others keep their kind, and None stands for none. The
            # match loop then does no unpacking or branching for the common case. ``rank``, the
            # entry's place in the key (plain ones first), orders the hits of one match as they were found.
            entries = list(slot.values())
            plain = tuple((e[0], e[2], 0, e[5], e[1]) for e in entries if e[3] == PLAIN)
            plain = tuple((*e[:2], rank, *e[3:]) for rank, e in enumerate(plain))
            special = tuple(
                (*e, rank) for rank, e in enumerate((e for e in entries if e[3] != PLAIN), len(plain))
            ) or None
            automaton.add_word(key, (plain, special))
        automaton.make_automaton()
        self._automaton = automaton
        self.key_count = len(keys)

    # False: the Python hit collection even where the compiled one is built (tests compare them).
    compiled = True

    def scan(self, title: str, text: str) -> Hits:
        """What each group found in the title and the first BODY_CHARS of ``text``, its
        negatives applied; the body does not count what repeats the title."""
        # Runs of spaces are squeezed to one (up to 4, enough for "word : word" and the like)
        # without a split/join, which would cost a third of the folding time.
        if len(text) > BODY_CHARS:
            # What an item is about is in its title and lead: a 300 KB blog post that mentions
            # "psychiatre" on page 12 is not psychiatry (and folding it all costs milliseconds).
            cut = text.rfind(" ", 0, BODY_CHARS)
            text = text[: cut if cut > 0 else BODY_CHARS]
        ct, cb = fold_raw_pair(title, text)
        ct = ct.replace("  ", " ").replace("  ", " ")
        cb = cb.replace("  ", " ").replace("  ", " ")
        # Most feeds begin the description with the title: it must not count twice.
        stripped = ct.strip()
        if stripped and len(stripped) > 8:
            at = cb.find(stripped, 0, len(stripped) + 4)  # at its start, not anywhere
            if at >= 0:
                cb = cb[at + len(stripped) :]
        cased = f" {ct} | {cb} "
        low = cased.lower()
        if self.compiled and _compiled_collect is not None:
            return _compiled_collect(self._automaton, low, cased, len(ct) + 2)
        return self._collect(low, cased, len(ct) + 2)

    def _collect(self, low: str, cased: str, title_end: int) -> Hits:
        """The hits of the folded text ``low`` (``cased``: with its case), in Python: the
        reference for the compiled ``veille._tag_scan.collect``."""
        # A hit: (group, start, stop, match number, rank, shown, weight); sorted as they come,
        # the first five say everything about order (a hit's place among the matches breaks
        # ties as a stable sort would).
        hits: list[tuple[int, int, int, int, int, str, float]] = []
        negatives: list[tuple[int, int, int]] = []
        append, find = hits.append, low.find
        for seq, (end, (plain, entries)) in enumerate(self._automaton.iter(low)):
            for group, back, rank, shown, weight in plain:
                append((group, end - back, end, seq, rank, shown, weight))
            if entries is None:
                continue
            for group, weight, back, kind, evidence, shown, rank in entries:
                stop = end
                start = end - back
                if kind == PREFIX:
                    stop = find(" ", end + 1)
                    shown = low[start:stop]
                elif kind == SUFFIX:
                    # A drug too new for the ATC list, known by its INN stem (-mab, -tinib).
                    word = low.rfind(" ", 0, start) + 1
                    if end - word < back + 3:
                        continue
                    shown = f"{low[word:end]} [INN -{evidence}]"
                elif kind == CASED:
                    if cased[start : start + len(evidence)] != evidence:
                        continue
                else:
                    stop = find(" ", end + 1) if kind == NEGATIVE_PREFIX else end
                    negatives.append((group, start, stop))
                    continue
                append((group, start, stop, seq, rank, shown, weight))
        if negatives:
            spans: dict[int, list[tuple[int, int]]] = {}
            for g, s, e in negatives:
                spans.setdefault(g, []).append((s, e))
            hits = [
                h
                for h in hits
                if h[0] not in spans or not any(s <= h[1] and h[2] <= e for s, e in spans[h[0]])
            ]
        return _evidence(hits, title_end)


def _evidence(hits: list[tuple[int, int, int, int, int, str, float]], title_end: int) -> Hits:
    """Each group's evidence from its hits, keeping only the hits that no other hit of the same
    group covers (issue 11): "rénale" inside "insuffisance rénale", or a hand-written term and a
    vocabulary label on the same words, are one piece of evidence, not two terms that support
    each other. Of hits on the same words the heaviest is kept, a vocabulary one (it names its
    code) before a hand-written one. A kept hit is counted once the next one is known not to
    replace it (a last, empty group flushes the last one)."""
    groups: Hits = {}
    hits.sort()  # by group, start, then the shorter first, then as found
    hits.append(_FLUSH)
    slot: dict[str, list[float]] = {}
    group = start = stop = -1
    shown = ""
    weight = 0.0
    for g, s, e, _, _, h_shown, h_weight in hits:
        if g == group:
            if s == start:  # same start: h is as long or longer than the kept one
                if e > stop or (h_weight, "[" in h_shown) > (weight, "[" in shown):
                    stop, shown, weight = e, h_shown, h_weight
                continue
            if e <= stop:
                continue  # inside the kept hit
        if group >= 0:  # count the kept hit: [weight, in title (0/1), body hits]
            ev = slot.get(shown)
            if ev is None:
                slot[shown] = [weight, 1.0, 0.0] if start < title_end else [weight, 0.0, 1.0]
            else:
                if weight > ev[0]:
                    ev[0] = weight
                if start < title_end:
                    ev[1] = 1.0
                else:
                    ev[2] += 1.0
        if g != group:
            slot = groups[g] = {}
            group = g
        start, stop, shown, weight = s, e, h_shown, h_weight
    del groups[_FLUSH[0]]
    return groups


# After every real hit once sorted: its group takes the last kept hit's count.
_FLUSH = (2**62, -1, -1, -1, -1, "", 0.0)
