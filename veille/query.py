"""The search syntax of watches and mute rules, parsed once and evaluated in pure Python.

    levothyrox                 a word (accents and case ignored: finds « Lévothyrox »)
    "rappel de lots"           a phrase (these words, in this order)
    cardio*                    a prefix
    rougeole OR mpox           either (also OU); binds tighter than the implicit AND
    valproate -grossesse       NOT / SAUF / a leading minus: without this word
    (a OR b) c                 parentheses group

Words are folded exactly as the full-text index folds them (SQLite FTS5 ``unicode61
remove_diacritics 2``: letters and digits make words, case and accents are ignored), so a watch
finds what a search of the Articles page finds. ``covid-19`` is the phrase ``covid 19``, as the
index sees it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from veille.errors import VeilleError

MAX_QUERY_CHARS = 500
_TOKEN = re.compile(r"[^\W_]+")
# Combining marks (what NFD splits off accented letters): Latin, Greek, Cyrillic diacritics and
# the rarer blocks, as FTS5's remove_diacritics does for the scripts it knows.
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_LEX = re.compile(r'\s*(?:(-)?("[^"]*"?|\(|\)|[^\s()"]+))')
OR_WORDS = frozenset({"OR", "OU"})
AND_WORDS = frozenset({"AND", "ET"})
NOT_WORDS = frozenset({"NOT", "SAUF"})


class QueryError(VeilleError):
    """A watch or mute query that cannot be understood."""


def fold(text: str) -> str:
    """Lower case, accents removed (é -> e, ç -> c), as the full-text index does."""
    if text.isascii():
        return text.lower()
    # NFD and lower(), not NFKD and casefold(): FTS5 keeps ligatures (ﬁ) and ß as they are.
    decomposed = unicodedata.normalize("NFD", text)
    return _COMBINING.sub("", decomposed).lower()


def words(text: str) -> list[str]:
    """The folded words of a text, in order."""
    return _TOKEN.findall(fold(text))


# --- the syntax tree ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Phrase:
    """One word (a phrase of one) or several in a row; ``prefix``: the last one is a prefix."""

    words: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True)
class And:
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    part: Node


Node = Phrase | And | Or | Not


@dataclass(frozen=True)
class Text:
    """A text prepared for matching: its set of words and its words joined by spaces."""

    words: frozenset[str]
    joined: str  # " w1 w2 w3 " (leading and trailing space)

    @staticmethod
    def of(*parts: str | None) -> Text:
        found: list[str] = []
        for part in parts:
            if part:
                found.extend(words(part))
                found.append("")  # a phrase never spans two fields
        return Text(frozenset(w for w in found if w), " " + " ".join(found) + " ")


def matches(node: Node, text: Text) -> bool:
    if isinstance(node, Phrase):
        if len(node.words) == 1 and not node.prefix:
            return node.words[0] in text.words
        needle = " " + " ".join(node.words) + ("" if node.prefix else " ")
        return needle in text.joined
    if isinstance(node, And):
        return all(matches(p, text) for p in node.parts)
    if isinstance(node, Or):
        return any(matches(p, text) for p in node.parts)
    return not matches(node.part, text)


Test = Callable[[Text], bool]


@lru_cache(maxsize=8192)
def compile_node(node: Node) -> Test:
    """``matches`` as one closure per node: the watch index evaluates thousands of queries per
    item, and a closure avoids re-dispatching on the node's type each time."""
    if isinstance(node, Phrase):
        if len(node.words) == 1 and not node.prefix:
            word = node.words[0]
            return lambda text: word in text.words
        needle = " " + " ".join(node.words) + ("" if node.prefix else " ")
        return lambda text: needle in text.joined
    if isinstance(node, Not):
        inner = compile_node(node.part)
        return lambda text: not inner(text)
    parts = tuple(compile_node(p) for p in node.parts)
    if len(parts) == 2:  # the common case, without a generator per call
        first, second = parts
        if isinstance(node, And):
            return lambda text: first(text) and second(text)
        return lambda text: first(text) or second(text)
    if isinstance(node, And):
        return lambda text: all(p(text) for p in parts)
    return lambda text: any(p(text) for p in parts)


def anchors(node: Node) -> frozenset[tuple[str, bool]] | None:
    """Words of which a matching text must contain at least one, as (word, is_prefix); None when
    no such set exists (a query made of negations). The watch index looks watches up by them."""
    if isinstance(node, Phrase):
        if node.prefix and len(node.words) == 1:
            return frozenset({(node.words[0], True)})
        full = node.words[:-1] if node.prefix else node.words
        return frozenset({(max(full, key=len), False)})
    if isinstance(node, Not):
        return None
    if isinstance(node, And):
        found = [a for a in (anchors(p) for p in node.parts) if a is not None]
        # Fewest anchors first, then the longest words (rarer: fewer items to evaluate).
        return min(found, key=lambda a: (len(a), -min(len(w) for w, _ in a))) if found else None
    union: set[tuple[str, bool]] = set()
    for part in node.parts:
        found_part = anchors(part)
        if found_part is None:
            return None
        union |= found_part
    return frozenset(union)


# --- parsing ---------------------------------------------------------------------------------

def _lex(text: str) -> list[tuple[bool, str]]:
    """(negated, token) pairs; a token is '(' or ')', a quoted phrase, or a bare word."""
    out: list[tuple[bool, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _LEX.match(text, pos)
        if m is None or m.end() == pos:
            break
        out.append((m.group(1) is not None, m.group(2)))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = _lex(text)
        self.pos = 0

    def peek(self) -> tuple[bool, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def fail(self, why: str) -> QueryError:
        return QueryError(f"query {self.text!r}: {why}")

    def parse(self) -> Node:
        node = self.and_expr()
        if self.peek() is not None:
            raise self.fail("a ')' has no matching '('")
        return node

    def and_expr(self) -> Node:
        parts: list[Node] = []
        while (tok := self.peek()) is not None and tok != (False, ")"):
            if tok == (False, "") or tok[1] in AND_WORDS and not tok[0]:
                self.pos += 1
                continue
            parts.append(self.or_expr())
        if not parts:
            raise self.fail("nothing to look for" if self.pos == 0 else "empty parentheses")
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def or_expr(self) -> Node:
        parts = [self.unary()]
        while (tok := self.peek()) is not None and not tok[0] and tok[1] in OR_WORDS:
            self.pos += 1
            if self.peek() is None or self.peek() == (False, ")"):
                raise self.fail(f"{tok[1]} needs a word on each side")
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def unary(self) -> Node:
        tok = self.peek()
        assert tok is not None
        negated, value = tok
        if not negated and value in NOT_WORDS:
            self.pos += 1
            if self.peek() is None or self.peek() == (False, ")"):
                raise self.fail(f"{value} needs a word after it")
            return Not(self.unary())
        if not negated and value in OR_WORDS:
            raise self.fail(f"{value} needs a word on each side")
        node = self.atom()
        return Not(node) if negated else node

    def atom(self) -> Node:
        negated, value = self.tokens[self.pos]
        self.pos += 1
        if value == "(":
            node = self.and_expr()
            if self.peek() != (False, ")"):
                raise self.fail("a '(' is not closed")
            self.pos += 1
            return node
        if value == ")":
            raise self.fail("a ')' has no matching '('")
        if value.startswith('"'):
            if len(value) < 2 or not value.endswith('"'):
                raise self.fail("a quote is not closed")
            found = words(value[1:-1])
            if not found:
                raise self.fail(f"the phrase {value} has no word in it")
            return Phrase(tuple(found))
        prefix = value.endswith("*")
        found = words(value)
        if not found:
            raise self.fail(f"{value!r} is not a word (letters or digits)")
        if prefix and len(found[-1]) < 2:
            raise self.fail(f"{value!r}: a prefix needs at least 2 letters")
        return Phrase(tuple(found), prefix=prefix)


def _positive(node: Node) -> bool:
    """Whether the query asks for something (not only for the absence of words)."""
    return anchors(node) is not None


@lru_cache(maxsize=4096)
def parse_query(text: str) -> Node:
    """The syntax tree of a query; QueryError with a one-line reason when it is not valid."""
    if not isinstance(text, str) or not text.strip():
        raise QueryError("the query is empty: give words to look for, e.g. levothyrox")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"the query is longer than {MAX_QUERY_CHARS} characters")
    node = _Parser(text).parse()
    if not _positive(node):
        raise QueryError(
            f"query {text!r}: it only excludes words; say what to look for too, e.g. 'rappel -vaccin'"
        )
    return node
