"""Story quality on the labelled story set (bench/storyset): pairwise precision, recall, F1.

    python bench/bench_stories.py                 # dev and the nine held-out splits
    python bench/bench_stories.py --split dev --show-errors

The items are replayed as polling would see them: each is seen shortly after it is published,
except a fifth of them (drawn with a fixed seed) that arrive 3 to 6 days late, out of order, as
a feed added later or a backfill would bring them. ``--order published`` replays them in date
order instead (what ``veille restory`` does). A pair of items is a true positive when they share
a story and a group. "False merges" counts the item pairs put in one story across two groups;
"product merges" the stories that hold two groups about different products.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from veille.dedup import StoryDoc, StoryIndex  # noqa: E402

HERE = Path(__file__).resolve().parent / "storyset"
START = datetime(2026, 10, 1, 6, 0, tzinfo=UTC)
LATE_SHARE = 0.2
SPLITS = ["dev", "heldout", "heldout2", "heldout3", "heldout4", "heldout5", "heldout6", "heldout7", "heldout8",
          "heldout9"]


@dataclass(frozen=True)
class Labelled:
    item_id: str
    group: int
    product: str | None
    tier: str
    title: str
    published: datetime


def load(path: Path) -> list[Labelled]:
    items: list[Labelled] = []
    group, product, fresh = 0, None, True
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("#"):
            continue
        if not line:
            fresh = True
            continue
        if fresh:
            group += 1
            product, fresh = None, False
        if line.startswith("="):
            product = line[1:].strip()
            continue
        day, tier, title = line.split("|", 2)
        items.append(Labelled(f"{path.stem}-{len(items)}", group, product, tier, title.strip(),
                              START + timedelta(days=float(day))))
    return items


def replay(items: list[Labelled], order: str, seed: int = 7) -> dict[str, str]:
    rng = random.Random(seed)
    seen = {}
    for item in items:
        late = rng.random() < LATE_SHARE
        delay = timedelta(days=rng.uniform(3, 6)) if late else timedelta(hours=rng.uniform(0, 2))
        seen[item.item_id] = item.published + delay
    key = (lambda i: (seen[i.item_id], i.item_id)) if order == "seen" else (lambda i: (i.published, i.item_id))
    # In Veille the story book reloads an old item's contemporaries from the database; here the
    # index keeps what arrived within the lateness bound plus the window, to the same effect.
    index = StoryIndex(retain=timedelta(days=10))
    stories = {}
    for item in sorted(items, key=key):
        doc = StoryDoc(item.item_id, item.tier, item.tier, item.title, "", item.published,
                       seen_at=seen[item.item_id] if order == "seen" else item.published)
        stories[item.item_id], _ = index.assign(doc)
    return stories


def evaluate(items: list[Labelled], stories: dict[str, str]) -> dict[str, float]:
    tp = fp = fn = 0
    false_pairs = []
    for a, b in combinations(items, 2):
        same_story = stories[a.item_id] == stories[b.item_id]
        same_group = a.group == b.group
        tp += same_story and same_group
        fp += same_story and not same_group
        fn += same_group and not same_story
        if same_story and not same_group:
            false_pairs.append((a.title, b.title))
    by_story: dict[str, set[str]] = {}
    for item in items:
        if item.product:
            by_story.setdefault(stories[item.item_id], set()).add(item.product)
    product_merges = sum(1 for products in by_story.values() if len(products) > 1)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "groups": len({i.group for i in items}),
        "items": len(items),
        "pairs": tp + fn,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "false_merges": fp,
        "product_merges": product_merges,
        "missed": fn,
        "errors": false_pairs,  # type: ignore[dict-item]
    }


def missed_pairs(items: list[Labelled], stories: dict[str, str]) -> list[tuple[str, str]]:
    return [(a.title, b.title) for a, b in combinations(items, 2)
            if a.group == b.group and stories[a.item_id] != stories[b.item_id]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=[*SPLITS, "all"], default="all")
    parser.add_argument("--order", choices=["seen", "published"], default="seen")
    parser.add_argument("--show-errors", action="store_true")
    args = parser.parse_args()
    splits = SPLITS if args.split == "all" else [args.split]
    print(f"replay order: {args.order}")
    print(f"{'split':8} {'groups':>6} {'items':>5} {'P':>6} {'R':>6} {'F1':>6} {'false merges':>12} {'product merges':>14}")
    for split in splits:
        items = load(HERE / f"{split}.txt")
        stories = replay(items, args.order)
        m = evaluate(items, stories)
        print(f"{split:8} {m['groups']:>6} {m['items']:>5} {m['precision']:>6.3f} {m['recall']:>6.3f} "
              f"{m['f1']:>6.3f} {m['false_merges']:>12} {m['product_merges']:>14}")
        if args.show_errors:
            for a, b in m["errors"]:  # type: ignore[attr-defined]
                print(f"  FALSE MERGE  {a!r}  ~  {b!r}")
            for a, b in missed_pairs(items, stories):
                print(f"  missed       {a!r}  ~  {b!r}")
            print("  story sizes:", sorted(Counter(stories.values()).values(), reverse=True)[:10])


if __name__ == "__main__":
    main()
