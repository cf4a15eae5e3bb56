"""Tagging quality on the real-world sets, per language and split (not run by the test suite).

    .venv/bin/python bench/eval_tag.py                 # dev and held-out, FR and EN
    .venv/bin/python bench/eval_tag.py --split dev --errors 40
    .venv/bin/python bench/eval_tag.py --no-vocabularies   # the hand-written taxonomy alone

Sets (tests/devset/, conventions in docs/tagging.md): realworld_dev.jsonl and
realworld_holdout.jsonl (items written in real-world styles), and the real items of
../shared/realfeeds labelled by file and guid in realfeeds_labels.jsonl (skipped when ../shared
is absent). ``holdout2`` is realworld_holdout2.jsonl alone, a second held-out set written in
December 2026 after the first had been measured many times. The held-out splits are for
reporting only: never tune the taxonomy on their errors.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from veille.tag import Tagger, default_tagger  # noqa: E402
from veille.tag_eval import by_lang, evaluate, read_jsonl, realfeed_examples  # noqa: E402

DEVSET = ROOT / "tests" / "devset"
REALFEEDS = ROOT.parent / "shared" / "realfeeds"


def sets(split: str) -> dict[str, list]:
    if split == "holdout2":  # written items only: every real feed item is in dev or holdout
        return {"written": read_jsonl(DEVSET / "realworld_holdout2.jsonl")}
    written = read_jsonl(DEVSET / f"realworld_{split}.jsonl")
    out = {"written": written}
    extra = DEVSET / f"written_en_{split}.jsonl"  # English only, real-world styles (dev only)
    if extra.exists():
        out["written-en"] = read_jsonl(extra)
    if REALFEEDS.is_dir():
        out["realfeeds"] = realfeed_examples(DEVSET / "realfeeds_labels.jsonl", REALFEEDS, split)
    else:
        print(f"({REALFEEDS} absent: real feed items skipped)")
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--split", choices=["dev", "holdout", "holdout2", "both", "all"], default="both"
    )
    parser.add_argument("--errors", type=int, default=0)
    parser.add_argument("--no-vocabularies", action="store_true")
    parser.add_argument("--full", action="store_true", help="per-specialty tables")
    parser.add_argument("--styles", action="store_true", help="written items by style")
    args = parser.parse_args()
    tagger = Tagger.load(vocabularies=False) if args.no_vocabularies else default_tagger()
    labels = sorted(tagger.specialties)
    splits = {"both": ("dev", "holdout"), "all": ("dev", "holdout", "holdout2")}
    for split in splits.get(args.split, (args.split,)):
        data = sets(split)
        everything = [e for examples in data.values() for e in examples]
        for lang in ("fr", "en"):
            examples = by_lang(everything, lang)
            report = evaluate(examples, tagger, labels)
            m = report.micro
            mp, mr, mf = report.macro()
            alerts = len(report.false_alerts)
            print(
                f"{split:8} {lang} n={report.n:4d}  micro P {m.precision:.3f} R {m.recall:.3f} "
                f"F1 {m.f1:.3f}  macro P {mp:.3f} R {mr:.3f} F1 {mf:.3f}  "
                f"type acc {report.type_accuracy:.3f}  false alert types {alerts}"
            )
            if args.full or args.errors:
                print(report.format(errors=args.errors))
            if args.styles:
                mine = by_lang(data["written"], lang)
                for style in ("headline", "agency", "social", "abstract"):
                    sub = evaluate([e for e in mine if e.style == style], tagger, labels)
                    m = sub.micro
                    print(
                        f"{split:8} written {lang} {style:9} n={sub.n:4d}  micro P {m.precision:.3f} "
                        f"R {m.recall:.3f} F1 {m.f1:.3f}  type acc {sub.type_accuracy:.3f}"
                    )
        for name, examples in data.items():
            report = evaluate(examples, tagger, labels)
            m = report.micro
            print(
                f"{split:8} {name:9} n={report.n:4d}  micro P {m.precision:.3f} R {m.recall:.3f} "
                f"F1 {m.f1:.3f}  type acc {report.type_accuracy:.3f}  "
                f"false alert types {len(report.false_alerts)}"
            )


if __name__ == "__main__":
    main()
