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


def fold_cased(text: str) -> str:
    """Like :func:`fold` but keeps ASCII case."""
    return " ".join(fold_raw(text).split())


def fold(text: str) -> str:
    """Accent- and case-folded text: ASCII letters and digits, words separated by one space.

    >>> fold("Cœur : l’Insuffisance cardiaque — 2ème AVC!")
    'coeur l insuffisance cardiaque 2eme avc'
    """
    return fold_cased(text).lower()
