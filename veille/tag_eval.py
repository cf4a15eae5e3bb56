"""Precision, recall and F1 of the tagger against labelled sets (tests/devset/, docs/tagging.md).

Sets: ``tagging.jsonl`` (written with the taxonomy in view), ``realworld_dev.jsonl`` and
``realworld_holdout.jsonl`` (real-world styles, FR and EN; the held-out one is never tuned on),
and ``realfeeds_labels.jsonl``: labels by file and guid for the real documents of
``../shared/realfeeds``, whose texts are read from there (:func:`realfeed_examples`), never
copied. Used by tests/test_tag_devset.py, tests/test_tag_realworld.py and bench/eval_tag.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from veille.tag import Tagger, default_tagger

ALERT_TYPES = ("recall", "shortage", "safety")  # the digest's alert box


@dataclass(frozen=True)
class Example:
    title: str
    text: str
    specialties: frozenset[str]
    type: str
    lang: str = ""
    style: str = ""  # headline, agency, social, abstract, or the realfeeds file name


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Report:
    per_label: dict[str, Counts] = field(default_factory=dict)
    type_per_label: dict[str, Counts] = field(default_factory=dict)
    type_correct: int = 0
    n: int = 0
    false_alerts: list[tuple[Example, str]] = field(default_factory=list)  # alert type, wrongly
    errors: list[tuple[Example, tuple[str, ...], str]] = field(default_factory=list)

    @property
    def micro(self) -> Counts:
        total = Counts()
        for c in self.per_label.values():
            total.tp += c.tp
            total.fp += c.fp
            total.fn += c.fn
        return total

    def macro(self) -> tuple[float, float, float]:
        counts = list(self.per_label.values())
        k = len(counts) or 1
        return (
            sum(c.precision for c in counts) / k,
            sum(c.recall for c in counts) / k,
            sum(c.f1 for c in counts) / k,
        )

    @property
    def type_accuracy(self) -> float:
        return self.type_correct / self.n if self.n else 1.0

    def format(self, *, errors: int = 0) -> str:
        lines = [f"{'specialty':<24} {'P':>5} {'R':>5} {'F1':>5} {'n':>4}  tp/fp/fn"]
        for slug in sorted(self.per_label):
            c = self.per_label[slug]
            lines.append(
                f"{slug:<24} {c.precision:5.2f} {c.recall:5.2f} {c.f1:5.2f} {c.tp + c.fn:4d}"
                f"  {c.tp}/{c.fp}/{c.fn}"
            )
        m = self.micro
        mp, mr, mf = self.macro()
        lines.append(f"{'micro':<24} {m.precision:5.2f} {m.recall:5.2f} {m.f1:5.2f}")
        lines.append(f"{'macro':<24} {mp:5.2f} {mr:5.2f} {mf:5.2f}")
        lines.append("")
        lines.append(f"{'item type':<24} {'P':>5} {'R':>5} {'F1':>5} {'n':>4}")
        for name in sorted(self.type_per_label):
            c = self.type_per_label[name]
            lines.append(
                f"{name:<24} {c.precision:5.2f} {c.recall:5.2f} {c.f1:5.2f} {c.tp + c.fn:4d}"
            )
        lines.append(f"type accuracy {self.type_accuracy:.3f} ({self.type_correct}/{self.n})")
        lines.append(f"false alert-box types (recall/shortage/safety): {len(self.false_alerts)}")
        for ex, got_type in self.false_alerts:
            lines.append(f"  ! {ex.title[:70]!r}: {got_type}, expected {ex.type}")
        for ex, got, got_type in self.errors[:errors]:
            lines.append(
                f"  ✗ {ex.title[:70]!r}: expected {sorted(ex.specialties)} {ex.type}, "
                f"got {list(got)} {got_type}"
            )
        return "\n".join(lines)


def read_jsonl(path: str | Path) -> list[Example]:
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            d: Any = json.loads(line)
            try:
                out.append(
                    Example(
                        d["title"], d.get("text", ""), frozenset(d["specialties"]), d["type"],
                        d.get("lang", ""), d.get("style", ""),
                    )
                )
            except (KeyError, TypeError) as e:
                raise ValueError(f"{path}:{n}: bad example ({e})") from e
    return out


def evaluate(
    examples: Iterable[Example], tagger: Tagger | None = None, labels: Sequence[str] = ()
) -> Report:
    """Score ``tagger`` (default: the packaged one) on ``examples``, per specialty and type."""
    tagger = tagger or default_tagger()
    report = Report()
    for slug in labels or tagger.specialties:
        report.per_label[slug] = Counts()
    for ex in examples:
        result = tagger.tag(ex.title, ex.text)
        got = set(result.slugs)
        report.n += 1
        for slug in got | ex.specialties:
            c = report.per_label.setdefault(slug, Counts())
            if slug in got and slug in ex.specialties:
                c.tp += 1
            elif slug in got:
                c.fp += 1
            else:
                c.fn += 1
        for name in {ex.type, result.item_type}:
            c = report.type_per_label.setdefault(name, Counts())
            if name == ex.type == result.item_type:
                c.tp += 1
            elif name == result.item_type:
                c.fp += 1
            else:
                c.fn += 1
        if result.item_type == ex.type:
            report.type_correct += 1
        elif result.item_type in ALERT_TYPES:
            report.false_alerts.append((ex, result.item_type))
        if got != ex.specialties or result.item_type != ex.type:
            report.errors.append((ex, result.slugs, result.item_type))
    return report


def realfeed_examples(
    labels: str | Path, realfeeds: str | Path, split: str | None = None
) -> list[Example]:
    """Labelled examples from the real documents of ``realfeeds`` (../shared/realfeeds): each
    document goes through the collect path's parser and normaliser, and each item is matched to
    its label by file and guid. ``split``: "dev" or "holdout" (None: both). A label whose item
    is no longer found raises ValueError, so a parser change cannot silently shrink the set."""
    from datetime import UTC, datetime

    from veille.kinds import parse_source
    from veille.normalise import normalise

    wanted: dict[tuple[str, str], dict[str, Any]] = {}
    with open(labels, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                d = json.loads(line)
                if split is None or d["split"] == split:
                    wanted[(d["file"], d["guid"])] = d
    out = []
    now = datetime.now(UTC)
    for name in sorted({file for file, _ in wanted}):
        body = (Path(realfeeds) / name).read_bytes()
        feed = parse_source(
            "feed", body, url=f"https://example.org/{name}", content_type=None, options={},
            max_items=1000, previous=None,
        )
        for entry in feed.entries:
            item = normalise(
                entry, source_id="realfeeds", base_url="https://example.org/", fetched_at=now,
                lang=feed.lang,
            )
            label = wanted.pop((name, item.guid), None) if item else None
            if item is not None and label is not None:
                out.append(
                    Example(
                        item.title, f"{item.summary}\n{item.content}",
                        frozenset(label["specialties"]), label["type"], label["lang"], name,
                    )
                )
    if wanted:
        raise ValueError(f"{len(wanted)} labelled items not found, e.g. {next(iter(wanted))}")
    return out


def by_lang(examples: Iterable[Example], lang: str) -> list[Example]:
    return [e for e in examples if e.lang == lang]
