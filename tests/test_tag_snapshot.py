"""The tagger's output on the development sets is exactly the recorded one (tags, scores,
evidence, type): a speed-up or a refactoring must change nothing. An intended change (taxonomy,
rules) rewrites the snapshot with scripts/tag_snapshot.py, in the same commit."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import tag_snapshot  # noqa: E402

from veille.tag import default_tagger  # noqa: E402


def _check(path: Path, items: list[tuple[str, str]]) -> None:
    expected = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(expected) == len(items), "snapshot out of date: run scripts/tag_snapshot.py"
    got = list(tag_snapshot.records(default_tagger(), items))
    diffs = [(e, g) for e, g in zip(expected, got, strict=True) if e != json.loads(json.dumps(g))]
    assert not diffs, f"{len(diffs)} items tagged differently, first: {diffs[0]}"


def test_written_dev_sets_tag_as_recorded() -> None:
    _check(tag_snapshot.SNAPSHOT, tag_snapshot.written_items())


def test_realfeeds_dev_split_tags_as_recorded() -> None:
    if not tag_snapshot.REALFEEDS.is_dir():
        pytest.skip(f"{tag_snapshot.REALFEEDS} absent: the real feed documents are not in the repo")
    _check(tag_snapshot.SNAPSHOT_REALFEEDS, tag_snapshot.realfeed_items())
