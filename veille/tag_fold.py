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


def _fold_general(text: str) -> bytes:
    """The folding of any text, NUL kept: special letters spelled out, then NFKD, ASCII only."""
    if _SPECIAL_RE.search(text):
        text = _SPECIAL_RE.sub(_special, text)
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").translate(_PAIR_TABLE)


def _latin1_tables() -> tuple[bytes, bytes]:
    """What the general folding makes of each Latin-1 character, as a bytes.translate table
    (NUL kept, as the separator of :func:`fold_raw_pair`) and the bytes it deletes. The few that
    become two letters ("æ", "ß", "½") map to 1, which sends the text to the general path.
    Each character folds on its own: all of Latin-1 are NFKD starters, so nothing reorders."""
    table = bytearray(range(256))
    delete = bytearray()
    for b in range(1, 256):
        folded = _fold_general(chr(b)).decode("ascii")
        if len(folded) == 1:
            table[b] = ord(folded)
        elif not folded:
            delete.append(b)
        else:
            table[b] = 1
    return bytes(table), bytes(delete)


_LATIN1_TABLE, _LATIN1_DELETE = _latin1_tables()


_COMMON_SPECIAL = ("’", "œ")  # outside Latin-1, common in French feeds


def _fold_bytes(text: str) -> bytes:
    """ASCII letters, digits, spaces and NUL. Text in Latin-1 once its apostrophes and "œ" are
    spelled out (most French and English feeds) folds through one byte table, a tenth of the
    cost of NFKD."""
    if text.isascii():
        return text.encode("ascii").translate(_PAIR_TABLE)
    # What the _SPECIAL substitution would do first, for the commonest of them.
    for char in _COMMON_SPECIAL:
        if char in text:
            text = text.replace(char, _SPECIAL[char])
    try:
        raw = text.encode("latin-1").translate(_LATIN1_TABLE, _LATIN1_DELETE)
    except UnicodeEncodeError:
        return _fold_general(text)
    return _fold_general(text) if b"\1" in raw else raw  # 1: a letter that folds to two


def fold_raw(text: str) -> str:
    """ASCII letters, digits and spaces, case kept; runs of spaces are not collapsed."""
    raw = _fold_bytes(text).decode("ascii")
    return raw.replace("\0", " ") if "\0" in raw else raw


def fold_raw_pair(first: str, second: str) -> tuple[str, str]:
    """``(fold_raw(first), fold_raw(second))`` in one pass: one call's overhead for a title and
    its body. NUL separates them (NFKD never moves a character across it: it is a starter)."""
    if "\0" in first or "\0" in second:
        return fold_raw(first), fold_raw(second)
    head, _, tail = _fold_bytes(f"{first}\0{second}").decode("ascii").partition("\0")
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
