"""Benchmark of veille.dedup.StoryIndex on synthetic archives.

    python bench/bench_dedup.py                      # 10k, 100k, 1M items
    python bench/bench_dedup.py --sizes 10000,100000

Each size runs in its own process (so peak RSS is per size). Titles come from FR/EN templates
filled with product, disease, defect and city vocabularies, about N/60 items per day. 20 % of the
items are planted variants of a story published up to two days earlier (a paraphrase from another
template of the same kind, or a light re-edit of the same title); about 3 % of the base stories are
hard negatives (a product already in the window, another kind of event). Figures:

* per-item ``assign`` time (wall clock, and CPU time, steadier on a shared machine), overall and
  on the first and last tenth of the archive (flat = the cost does not grow with the archive);
* precision (of the items linked to an earlier story, how many were linked to their true story)
  and recall (of the planted variants, how many joined their origin's story);
* the index size at the end (≈ window size) and peak RSS (with the vocabularies, loaded once
  before the timed run: ``load``).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from veille.dedup import StoryDoc, StoryIndex, features  # noqa: E402

DAYS = 60
VARIANT_SHARE = 0.20
HARD_NEGATIVE_SHARE = 0.03
START = datetime(2024, 1, 1, tzinfo=UTC)

SYLLABLES = (
    "ba be bi bo bu da de di do du fa fe fi fo ka ke ki ko la le li lo lu ma me mi mo mu na ne "
    "ni no pa pe pi po ra re ri ro ru sa se si so ta te ti to va ve vi vo xa za zo"
).split()
DISEASES_FR = ["dengue", "rougeole", "choléra", "mpox", "grippe aviaire", "légionellose", "listériose", "coqueluche", "tuberculose", "méningite", "hépatite A", "salmonellose", "chikungunya", "paludisme"]
DISEASES_EN = ["dengue", "measles", "cholera", "mpox", "bird flu", "legionnaires' disease", "listeria", "whooping cough", "tuberculosis", "meningitis", "hepatitis A", "salmonella", "chikungunya", "malaria"]
DEFECTS = [
    ("défaut de dissolution", "dissolution failure"),
    ("présence de particules", "particulate matter"),
    ("contamination microbienne", "microbial contamination"),
    ("erreur d'étiquetage", "labeling error"),
    ("défaut d'étanchéité", "faulty seal"),
    ("impureté nitrosamine", "nitrosamine impurity"),
    ("sous-dosage", "subpotency"),
    ("défaut de stabilité", "stability failure"),
]
OUTCOMES = [("infarctus", "heart attack"), ("AVC", "stroke"), ("hospitalisation", "hospitalization"), ("décès", "death"), ("rechute", "relapse"), ("fracture", "fracture")]
DOSES = [5, 10, 20, 25, 40, 50, 100, 200, 250, 500, 1000]

# kind -> language -> templates. Every template of a kind/language names the same slots.
TEMPLATES: dict[str, dict[str, list[str]]] = {
    "recall": {
        "fr": [
            "Rappel de lots de {P} {dose} mg en raison d'un {defect}",
            "{P} {dose} mg : rappel de plusieurs lots pour {defect}",
            "{Defect} : l'ANSM rappelle des lots de {P} {dose} mg",
            "{P} : retrait de lots après un {defect}",
        ],
        "en": [
            "{P} {dose} mg recalled due to {defect}",
            "Recall: {P} {dose} mg tablets over {defect}",
            "{Defect} prompts recall of {P} {dose} mg",
            "FDA announces {P} recall after {defect}",
        ],
    },
    "shortage": {
        "fr": [
            "Tensions d'approvisionnement en {P} {dose} mg",
            "Pénurie de {P} {dose} mg : les recommandations de l'ANSM",
            "{P} {dose} mg : rupture de stock attendue jusqu'à l'été",
        ],
        "en": [
            "{P} {dose} mg shortage expected to last for months",
            "Shortage of {P} {dose} mg: what pharmacists need to know",
            "Supply problems hit {P} {dose} mg",
        ],
    },
    "outbreak": {
        "fr": [
            "{Disease} : {n} nouveaux cas signalés à {City}",
            "{City} : {n} cas de {disease} confirmés",
            "Foyer de {disease} à {City}, {n} cas recensés",
        ],
        "en": [
            "{Disease} outbreak in {City}: {n} cases confirmed",
            "{City} reports {n} new {disease} cases",
            "{n} cases of {disease} linked to {City} cluster",
        ],
    },
    "approval": {
        "fr": [
            "L'EMA recommande l'autorisation de {P} dans la {disease}",
            "{P} obtient un avis favorable contre la {disease}",
            "{Disease} : feu vert européen pour {P}",
        ],
        "en": [
            "FDA approves {P} for {disease}",
            "{P} wins approval as {disease} treatment",
            "{Disease}: regulators approve {P}",
        ],
    },
    "study": {
        "fr": [
            "Étude : {P} réduit le risque de {outcome} dans la {disease}",
            "{Disease} : {P} diminue le risque de {outcome}, selon une étude",
            "Moins de {outcome} sous {P} chez les patients atteints de {disease}",
        ],
        "en": [
            "{P} cuts {outcome} risk in {disease} patients, study finds",
            "Study: {P} lowers the risk of {outcome} in {disease}",
            "Fewer {outcome} events with {P} in {disease} trial",
        ],
    },
}
KINDS = list(TEMPLATES)
EDITS = [" (mise à jour)", " - update", " [MAJ]", "", " — corrected"]


@dataclass
class Story:
    sid: int
    kind: str
    lang: str
    slots: dict[str, str]
    template: int
    ts: float


def _name(i: int) -> str:
    # A distinct product/city name per story number: base-len(SYLLABLES) digits of a permutation.
    n = (i * 2_654_435_761 + 12345) % (len(SYLLABLES) ** 4)
    parts = []
    for _ in range(4):
        n, r = divmod(n, len(SYLLABLES))
        parts.append(SYLLABLES[r])
    return "".join(parts).capitalize()


def _slots(rng: random.Random, sid: int, lang: str, product: str | None = None) -> dict[str, str]:
    fr = lang == "fr"
    d = rng.randrange(len(DISEASES_FR))
    defect = rng.choice(DEFECTS)[0 if fr else 1]
    outcome = rng.choice(OUTCOMES)[0 if fr else 1]
    disease = (DISEASES_FR if fr else DISEASES_EN)[d]
    return {
        "P": product or _name(sid),
        "dose": str(rng.choice(DOSES)),
        "defect": defect,
        "Defect": defect[0].upper() + defect[1:],
        "outcome": outcome,
        "disease": disease,
        "Disease": disease[0].upper() + disease[1:],
        "City": _name(sid + 7_000_003),
        "n": str(rng.randrange(3, 400)),
    }


def generate(n: int, seed: int = 1) -> Iterator[tuple[StoryDoc, int, bool]]:
    """Yield (doc, true story number, is_planted_variant) in publication order."""
    rng = random.Random(seed)
    per_day = n / DAYS
    step = 86400.0 / per_day
    recent: deque[Story] = deque()
    sid = 0
    for i in range(n):
        ts = i * step + rng.uniform(0, step)
        while recent and recent[0].ts < ts - 2 * 86400:
            recent.popleft()
        published = START + timedelta(seconds=ts)
        if recent and rng.random() < VARIANT_SHARE:
            origin = recent[rng.randrange(len(recent))]
            templates = TEMPLATES[origin.kind][origin.lang]
            if rng.random() < 0.25:  # light re-edit of the same title
                title = templates[origin.template].format(**origin.slots) + rng.choice(EDITS)
                title = title.upper() if rng.random() < 0.3 else title
            else:  # a paraphrase from another template
                other = (origin.template + 1 + rng.randrange(len(templates) - 1)) % len(templates)
                title = templates[other].format(**origin.slots)
            yield StoryDoc(f"i{i}", f"src{rng.randrange(300)}", rng.choice(("journal", "press", "press", "social")), title, "", published), origin.sid, True
            continue
        sid += 1
        lang = "fr" if rng.random() < 0.6 else "en"
        product = None
        kind = rng.choice(KINDS)
        if recent and rng.random() < HARD_NEGATIVE_SHARE:
            # Same product as a recent story, another kind of event: a different story.
            prior = recent[rng.randrange(len(recent))]
            if prior.kind in ("recall", "shortage", "approval", "study"):
                product = prior.slots["P"]
                lang = prior.lang
                kind = rng.choice([k for k in ("recall", "shortage", "approval", "study") if k != prior.kind])
        template = rng.randrange(len(TEMPLATES[kind][lang]))
        story = Story(sid, kind, lang, _slots(rng, sid, lang, product), template, ts)
        recent.append(story)
        title = TEMPLATES[kind][lang][template].format(**story.slots)
        tier = rng.choice(("official", "official", "journal", "society", "press"))
        yield StoryDoc(f"i{i}", f"src{rng.randrange(300)}", tier, title, "", published), sid, False


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run_one(n: int, window_days: float) -> dict[str, float]:
    base_rss = _rss_mb()
    t0 = time.perf_counter()
    features(StoryDoc("warm", "src", "press", "Rappel de lot : Doliprane 1000 mg", "", START))  # load the vocabularies
    load_s = time.perf_counter() - t0
    index = StoryIndex(window=timedelta(days=window_days))
    story_of_true: dict[int, str] = {}  # true story -> story id given to its first item
    true_of_item: dict[str, int] = {}  # only for items still possibly matched (bounded below)
    linked = correct_links = variants = variants_ok = 0
    assign_time = cpu_time = 0.0
    tenth = max(1, n // 10)
    first_tenth = last_tenth = 0.0
    largest = 0
    evict_every = 5000
    for k, (doc, true_sid, planted) in enumerate(generate(n)):
        c0 = time.process_time()
        t0 = time.perf_counter()
        story_id, found = index.assign(doc)
        dt = time.perf_counter() - t0
        cpu_time += time.process_time() - c0
        assign_time += dt
        if k < tenth:
            first_tenth += dt
        elif k >= n - tenth:
            last_tenth += dt
        true_of_item[doc.item_id] = true_sid
        if found is not None:
            linked += 1
            correct_links += true_of_item.get(found.item_id) == true_sid
        if planted:
            variants += 1
            variants_ok += story_of_true.get(true_sid) == story_id
        else:
            story_of_true.setdefault(true_sid, story_id)
        if k % tenth == tenth - 1:
            print(f"  {n:,}: {k + 1:,} items, {assign_time:.0f}s in assign", file=sys.stderr, flush=True)
        if k % evict_every == 0:
            largest = max(largest, len(index))
            # keep the bench's own bookkeeping bounded too
            if len(true_of_item) > 4 * len(index) + evict_every:
                true_of_item = {i: s for i, s in true_of_item.items() if i in index}
            if len(story_of_true) > 2 * len(index) + evict_every:  # variants cite stories <= 2 days old
                keep = list(story_of_true.items())[-2 * len(index) :]
                story_of_true = dict(keep)
    largest = max(largest, len(index))
    return {
        "n": n,
        "per_day": n / DAYS,
        "window_docs": len(index),
        "largest_index": largest,
        "us_per_item": assign_time / n * 1e6,
        "cpu_us_per_item": cpu_time / n * 1e6,
        "us_first_tenth": first_tenth / tenth * 1e6,
        "us_last_tenth": last_tenth / tenth * 1e6,
        "items_per_s": n / assign_time,
        "precision": correct_links / linked if linked else 1.0,
        "recall": variants_ok / variants if variants else 1.0,
        "linked": linked,
        "variants": variants,
        "peak_rss_mb": _rss_mb(),
        "rss_growth_mb": _rss_mb() - base_rss,
        "wall_s": assign_time,
        "load_s": load_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated archive sizes")
    parser.add_argument("--window-days", type=float, default=3.0)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # child process: one size, JSON out
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.window_days)))
        return
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    header = f"{'items':>9} {'/day':>7} {'window':>7} {'µs/item':>8} {'cpu µs':>7} {'first10%':>9} {'last10%':>8} {'items/s':>8} {'precision':>9} {'recall':>7} {'linked':>8} {'peakRSS':>8} {'+RSS':>7} {'time':>7} {'load':>6}"
    print(f"StoryIndex.assign, window {args.window_days:g} days, {VARIANT_SHARE:.0%} planted variants")
    print(header)
    print("-" * len(header))
    for n in sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(n), "--window-days", str(args.window_days)],
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{r['n']:>9,} {r['per_day']:>7.0f} {r['window_docs']:>7,} {r['us_per_item']:>8.1f} {r['cpu_us_per_item']:>7.1f} {r['us_first_tenth']:>9.1f} "
            f"{r['us_last_tenth']:>8.1f} {r['items_per_s']:>8,.0f} {r['precision']:>9.4f} {r['recall']:>7.4f} "
            f"{r['linked']:>8,} {r['peak_rss_mb']:>6.0f}MB {r['rss_growth_mb']:>5.0f}MB {r['wall_s']:>6.1f}s {r['load_s']:>5.1f}s",
            flush=True,
        )


if __name__ == "__main__":
    main()
