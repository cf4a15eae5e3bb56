"""Precision, recall and F1 of the tagger against a labelled set (tests/devset/tagging.jsonl).

Used by tests/test_tag_devset.py and bench/bench_tag.py; pure apart from :func:`read_jsonl`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from veille.tag import Tagger, default_tagger


@dataclass(frozen=True)
class Example:
    title: str
    text: str
    specialties: frozenset[str]
    type: str


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
                    Example(d["title"], d.get("text", ""), frozenset(d["specialties"]), d["type"])
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
        if got != ex.specialties or result.item_type != ex.type:
            report.errors.append((ex, result.slugs, result.item_type))
    return report
