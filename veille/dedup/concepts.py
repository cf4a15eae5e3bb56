"""Concepts named in other words: the same disease, drug or health-news term in French and in
English ("insuffisance cardiaque" / "heart failure"), or a salt and its acid. Pure, loaded once.

A title's concepts are spans of its words with a concept id; two titles that name one concept
in *different* words match those words as the typo-tolerant soft matches do
(`veille.dedup.similarity.score`); two titles that use the same words gain nothing, so
same-language scores are unchanged. Sources, all packaged:

* CIM-10 (French) and ICD-10 (English) labels of one code (`veille.vocab`, the forms the tagger
  matches, its stop list applied): "Apnée du sommeil" / "Sleep apnoea" (G47.3);
* ATC codes of drug names (`veille.dedup.names.drugs`, read in `veille.dedup.features`): an INN
  and its brands, French and English INN, a salt and its acid share a code;
* ``glossary.txt`` beside this module: health-news terms the vocabularies lack or name
  differently ("antibiorésistance" / "antimicrobial resistance", "Nil occidental" / "West Nile").

Words are compared folded, without stop words and a final plural ``s``; the longest name wins.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from veille.dedup.text import fold, word_info

__all__ = ["GLOSSARY_FILE", "MAX_WORDS", "ORGAN", "PEOPLE", "chambers", "concept_spans", "key", "organs", "people_groups", "phrases"]

GLOSSARY_FILE = Path(__file__).resolve().parent / "glossary.txt"
MAX_WORDS = 4  # longer names never occur whole in a title
ORGAN = "~organ:"  # the concept ids of the glossary's "[organ]" lines: parts of the body
PEOPLE = "~people:"  # ... of its "[people <group>]" lines: "~people:young:enfant"
CHAMBER = "~chamber:"  # ... of its "[chamber]" lines: the houses of a parliament
_MARK = re.compile(r"^\[(organ|people|chamber) ?(\w*)\]\s+")


@functools.lru_cache(maxsize=1 << 16)
def key(word: str) -> str | None:
    """How a folded word is compared inside a concept's name; None for a stop word."""
    if word_info(word) is None:
        return None
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word[0].isdigit() else word


def _keys(name: str) -> tuple[str, ...]:
    return tuple(k for w in fold(name).split() if (k := key(w)) is not None)


def parse_glossary(lines: Iterable[str]) -> dict[tuple[str, ...], str]:
    """Glossary lines -> {name keys: concept id}; the id is the first name's keys, after
    ``ORGAN`` for a line marked ``[organ]``, ``CHAMBER`` for ``[chamber]``, ``PEOPLE`` and its group for ``[people <group>]``
    (`organs`, `people_groups`)."""
    out: dict[tuple[str, ...], str] = {}
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        prefix = "~"
        mark = _MARK.match(line)
        if mark is not None:
            prefix = {"organ": ORGAN, "chamber": CHAMBER}.get(mark.group(1)) or f"{PEOPLE}{mark.group(2)}:"
            line = line[mark.end() :]
        names = [n for n in (_keys(part) for part in line.split(" | ")) if n and len(n) <= MAX_WORDS]
        if len(names) < 2:
            continue
        concept = prefix + "_".join(names[0])
        for name in names:
            out.setdefault(name, concept)
    return out


def _icd_phrases() -> dict[tuple[str, ...], str]:
    """ICD-10 names in both languages -> "~<code>", for the codes the tagger maps; a name used
    by several codes goes to the shortest (the category before its subcategories)."""
    from veille import vocab

    mapping = vocab.load_mapping()
    by_lang: list[dict[tuple[str, ...], str]] = []
    for rows in (vocab.icd10_fr(), vocab.icd10_en()):
        names: dict[tuple[str, ...], str] = {}
        for code, label in rows:
            code = code.replace(".", "")
            if vocab.icd_specialties(code, mapping) is None:
                continue
            for form in vocab.label_forms(label, mapping.stop_icd):
                k = _keys(form)
                if not k or len(k) > MAX_WORDS:
                    continue
                old = names.get(k)
                if old is None or (len(code), code) < (len(old), old):
                    names[k] = code
        by_lang.append(names)
    fr, en = by_lang
    # Only codes named in both languages bridge anything.
    shared = set(fr.values()) & set(en.values())
    return {k: "~" + code for names in (fr, en) for k, code in names.items() if code in shared}


def _build() -> dict[tuple[str, ...], str]:
    glossary = parse_glossary(GLOSSARY_FILE.read_text(encoding="utf-8").splitlines())
    out = {k: v for k, v in _icd_phrases().items() if not _holds_a_name(k, glossary)}
    out.update(glossary)
    return out


def _holds_a_name(name: tuple[str, ...], glossary: dict[tuple[str, ...], str]) -> bool:
    """Whether a longer ICD-10 name holds a glossary name of two words or more: "West Nile virus
    infection" holds "West Nile". The longest name wins in a title, so the ICD name would hide
    the glossary's concept from a title that names it otherwise ("virus du Nil occidental")."""
    return any(name[i : i + n] in glossary for n in range(2, len(name)) for i in range(len(name) - n + 1))


@functools.cache
def phrases() -> dict[tuple[str, ...], str]:
    """Name keys -> concept id, glossary first, then ICD-10. Reading the ICD-10 labels takes a
    second or more: the table is cached, keyed by the files it comes from."""
    from veille import vocab
    from veille.build_cache import load_or_build
    from veille.dedup import text

    files = (GLOSSARY_FILE, Path(__file__), Path(text.__file__), Path(vocab.__file__), *vocab.vocabulary_files())
    return load_or_build("concepts", files, _build, dict)


def _start_lengths(table: dict[tuple[str, ...], str]) -> dict[str, int]:
    """First word of a name -> the most words of a name starting with it."""
    starts: dict[str, int] = {}
    for name in table:
        starts[name[0]] = max(starts.get(name[0], 0), len(name))
    return starts


@functools.cache
def _starts() -> dict[str, int]:
    return _start_lengths(phrases())


def concept_spans(words: Sequence[str], table: dict[tuple[str, ...], str] | None = None) -> list[tuple[str, list[int]]]:
    """The concepts named by folded ``words``: (concept id, indices of the words naming it),
    from left to right, the longest name at each word first, no word in two concepts."""
    starts = _starts() if table is None else _start_lengths(table)
    table = phrases() if table is None else table
    content = [(i, k) for i, w in enumerate(words) if (k := key(w)) is not None]
    found: list[tuple[str, list[int]]] = []
    if not any(k in starts for _, k in content):
        return found
    at = 0
    while at < len(content):
        longest = starts.get(content[at][1], 0)
        for n in range(min(longest, len(content) - at), 0, -1):
            window = content[at : at + n]
            concept = table.get(tuple(k for _, k in window))
            if concept is not None:
                found.append((concept, [i for i, _ in window]))
                at += n
                break
        else:
            at += 1
    return found


def organs(concepts: Iterable[tuple[str, object]]) -> frozenset[str]:
    """The parts of the body among a title's concepts ("~organ:sein")."""
    return frozenset(c for c, _ in concepts if c.startswith(ORGAN))


def people_groups(concepts: Iterable[tuple[str, object]]) -> frozenset[str]:
    """The groups of people among a title's concepts: "young" (infants, children, teenagers),
    "old", "pregnant"; one group can be named in several ways ("enfants" / "nourrissons")."""
    return frozenset(c[len(PEOPLE) :].partition(":")[0] for c, _ in concepts if c.startswith(PEOPLE))


def chambers(concepts: Iterable[tuple[str, object]]) -> frozenset[str]:
    """The houses of a parliament among a title's concepts ("~chamber:senat"): a vote of the
    Senate and one of the National Assembly on one bill are two stories."""
    return frozenset(c for c, _ in concepts if c.startswith(CHAMBER))
