"""Watches fold text as the full-text index does: a word or phrase query finds, in pure Python,
exactly the rows SQLite FTS5 (``unicode61 remove_diacritics 2``, the tokenizer of items_fts)
finds. Texts: the development set (real-world styles), and the real-world feeds of
../shared/realfeeds when present."""

from __future__ import annotations

import json
import random
import re
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import REALFEEDS
from veille.migrations import FTS_TOKENIZE
from veille.query import Text, matches, parse_query

DEVSET = Path(__file__).parent / "devset" / "tagging.jsonl"


def devset_texts() -> list[str]:
    out = []
    for line in DEVSET.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            out.append(f"{record.get('title', '')} {record.get('text', '')}")
    return out


def realfeed_texts() -> list[str]:
    import feedparser

    out = []
    for path in sorted(REALFEEDS.iterdir()):
        if path.suffix != ".xml":
            continue
        parsed = feedparser.parse(path.read_bytes())
        for entry in parsed.entries:
            text = f"{entry.get('title', '')} {re.sub('<[^>]+>', ' ', entry.get('summary', ''))}"
            if text.strip():
                out.append(text)
    return out


def compare(texts: list[str], seed: int = 13) -> int:
    conn = sqlite3.connect(":memory:")
    conn.execute(f"create virtual table t using fts5(body, tokenize = '{FTS_TOKENIZE}')")
    conn.executemany("insert into t (rowid, body) values (?, ?)", list(enumerate(texts)))
    prepared = [Text.of(t) for t in texts]
    rnd = random.Random(seed)
    raw_words = sorted({w for t in texts for w in re.findall(r"[^\W_]+", t)})
    queries = rnd.sample(raw_words, min(400, len(raw_words)))
    for t in rnd.sample(texts, min(100, len(texts))):  # phrases of two words as written
        found = re.findall(r"[^\W_]+", t)
        if len(found) > 3:
            i = rnd.randrange(len(found) - 1)
            queries.append(f'"{found[i]} {found[i + 1]}"')
    for query in queries:
        fts_query = query if query.startswith('"') else f'"{query}"'
        expected = {r[0] for r in conn.execute("select rowid from t where t match ?", [fts_query])}
        node = parse_query(query)
        got = {i for i, text in enumerate(prepared) if matches(node, text)}
        assert got == expected, (query, [texts[i][:80] for i in got ^ expected][:3])
    return len(queries)


def test_same_matches_as_the_full_text_index_on_the_devset():
    assert compare(devset_texts()) > 400


@pytest.mark.skipif(not REALFEEDS.is_dir(), reason="../shared/realfeeds is absent (only the project's CI and sessions have it)")
def test_same_matches_as_the_full_text_index_on_real_feeds():
    texts = realfeed_texts()
    assert len(texts) > 100
    assert compare(texts) > 400


def test_the_odd_letters_fold_as_in_the_index():
    texts = ["Straße gesperrt", "ŒDÈME pulmonaire", "œdème aigu", "ﬁèvre jaune", "fièvre jaune", "İstanbul",
             "ÉPIDÉMIE", "naïve", "Ǆ test", "Ångström", "ØRESUND"]
    queries = ["strasse", "straße", "œdème", "fievre", "ﬁèvre", "istanbul", "epidemie", "naive", "angstrom",
               "oresund", "ǆ", "Œdème", "NAÏVE"]
    conn = sqlite3.connect(":memory:")
    conn.execute(f"create virtual table t using fts5(body, tokenize = '{FTS_TOKENIZE}')")
    conn.executemany("insert into t (rowid, body) values (?, ?)", list(enumerate(texts)))
    for query in queries:
        expected = {r[0] for r in conn.execute("select rowid from t where t match ?", [f'"{query}"'])}
        got = {i for i, text in enumerate(texts) if matches(parse_query(query), Text.of(text))}
        assert got == expected, query
    assert {i for i, t in enumerate(texts) if matches(parse_query("fievre"), Text.of(t))} == {4}
