"""Write (or check) the tagger's output on the development sets, to prove that a change to the
tagger's code changes no tag (tests/test_tag_snapshot.py compares against the same snapshot).

    .venv/bin/python scripts/tag_snapshot.py          # rewrite tests/golden/tag-snapshot*.jsonl

Rewrite it only when an output change is intended (a taxonomy or rule change), and say so in
the commit. Sets: tests/devset/tagging.jsonl, realworld_dev.jsonl, items stitched from them as
bench/bench_tag.py does (long summaries), and the dev split of ../shared/realfeeds (a separate
file: the test skips it when ../shared is absent). Never the held-out splits.
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from veille.tag import Tagger, Tagging  # noqa: E402
from veille.tag_eval import read_jsonl, realfeed_examples  # noqa: E402

DEVSET = ROOT / "tests" / "devset"
REALFEEDS = ROOT.parent / "shared" / "realfeeds"
SNAPSHOT = ROOT / "tests" / "golden" / "tag-snapshot.jsonl"
SNAPSHOT_REALFEEDS = ROOT / "tests" / "golden" / "tag-snapshot-realfeeds.jsonl"


def written_items() -> list[tuple[str, str]]:
    examples = read_jsonl(DEVSET / "tagging.jsonl") + read_jsonl(DEVSET / "realworld_dev.jsonl")
    items = [(e.title, e.text) for e in examples]
    # Stitched items: a title and a long body of several texts (title repeated at the start of
    # some, as feeds do), so that body repeats, negatives and the body cut are exercised.
    rng = random.Random(7)
    texts = [e.text for e in examples if e.text]
    for i in range(600):
        title = rng.choice(examples).title
        body = " ".join(rng.choice(texts) for _ in range(rng.choice((1, 3, 8, 20))))
        if i % 3 == 0:
            body = f"{title} {body}"
        items.append((title, body))
    return items


def realfeed_items() -> list[tuple[str, str]]:
    return [
        (e.title, e.text)
        for e in realfeed_examples(DEVSET / "realfeeds_labels.jsonl", REALFEEDS, "dev")
    ]


def record(tagging: Tagging) -> dict[str, object]:
    return {
        "specialties": [[t.specialty, t.score, list(t.evidence)] for t in tagging.specialties],
        "type": tagging.item_type,
        "type_evidence": list(tagging.type_evidence),
    }


def records(tagger: Tagger, items: list[tuple[str, str]]) -> Iterator[dict[str, object]]:
    for title, text in items:
        yield {"title": title[:60], **record(tagger.tag(title, text))}


def write(path: Path, rows: Iterator[dict[str, object]]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")


def main() -> None:
    tagger = Tagger.load()
    write(SNAPSHOT, records(tagger, written_items()))
    if REALFEEDS.is_dir():
        write(SNAPSHOT_REALFEEDS, records(tagger, realfeed_items()))
    print(
        f"wrote {SNAPSHOT.relative_to(ROOT)}"
        + (" and the realfeeds one" if REALFEEDS.is_dir() else "")
    )


if __name__ == "__main__":
    main()
