"""Folding: the accent- and case-free ASCII form of a text that the tagger's automaton matches.

Folding keeps ASCII letters and digits, spells out the letters NFKD leaves alone (œ, ß, Greek
letters of drug and variant names) and turns every other character into a space, so that a term
is found whatever the accents, the case (see :func:`fold`) or the punctuation around it.
"""

from __future__ import annotations

import re
import unicodedata

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
# The same, keeping NUL: the separator of the two texts that :func:`fold_raw_pair` folds at once.
_PAIR_TABLE = b"\0" + _ASCII_TABLE[1:]


def _special(m: re.Match[str]) -> str:
    return _SPECIAL[m.group()]


def fold_raw(text: str) -> str:
    """ASCII letters, digits and spaces, case kept; runs of spaces are not collapsed."""
    if text.isascii():
        raw = text.encode("ascii")
    else:
        if _SPECIAL_RE.search(text):
            text = _SPECIAL_RE.sub(_special, text)
        raw = unicodedata.normalize("NFKD", text).encode("ascii", "ignore")
    return raw.translate(_ASCII_TABLE).decode("ascii")


def fold_raw_pair(first: str, second: str) -> tuple[str, str]:
    """``(fold_raw(first), fold_raw(second))`` in one pass: one call's overhead for a title and
    its body. NUL separates them (NFKD never moves a character across it: it is a starter)."""
    if "\0" in first or "\0" in second:
        return fold_raw(first), fold_raw(second)
    text = f"{first}\0{second}"
    if text.isascii():
        raw = text.encode("ascii")
    else:
        if _SPECIAL_RE.search(text):
            text = _SPECIAL_RE.sub(_special, text)
        raw = unicodedata.normalize("NFKD", text).encode("ascii", "ignore")
    head, _, tail = raw.translate(_PAIR_TABLE).decode("ascii").partition("\0")
    return head, tail


def fold_cased(text: str) -> str:
    """Like :func:`fold` but keeps ASCII case."""
    return " ".join(fold_raw(text).split())


def fold(text: str) -> str:
    """Accent- and case-folded text: ASCII letters and digits, words separated by one space.

    >>> fold("Cœur : l’Insuffisance cardiaque — 2ème AVC!")
    'coeur l insuffisance cardiaque 2eme avc'
    """
    return fold_cased(text).lower()
