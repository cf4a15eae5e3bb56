"""Watches: matching throughput and memory, and their cost on a real collect (not run by tests).

    .venv/bin/python bench/bench_watch.py                    # 1,000 watches, 100k items
    .venv/bin/python bench/bench_watch.py --watches 5000 --items 20000

1. Matching: ``match_new`` with ``--watches`` watches (words, phrases, OR, NOT, prefixes, some
   with type or specialty filters) built from the taxonomy's terms, against ``--items`` items
   stitched from the development set (devset titles and texts: the term density of real
   notices). Items/s (best of 3), index build time, peak traced memory, hits found.
2. Collect: feeds served over real HTTP on 127.0.0.1 (40 feeds x 50 items), collected into a
   fresh database without watches and with the same watches (alternating, 3 rounds each,
   medians): the share of the collect spent on watches (matching, hits, queueing; delivery is
   separate and not part of a collect).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.feedserver import FeedServer  # noqa: E402
from veille.config import load_config  # noqa: E402
from veille.models import ITEM_TYPES, SPECIALTIES  # noqa: E402
from veille.pipeline import collect  # noqa: E402
from veille.query import Text  # noqa: E402
from veille.store import Store  # noqa: E402
from veille.tag import default_tagger  # noqa: E402
from veille.tag_eval import read_jsonl  # noqa: E402
from veille.watch import NewItem, Watch, WatchIndex, match_new  # noqa: E402

DEVSET = ROOT / "tests" / "devset" / "tagging.jsonl"


def vocabulary() -> list[str]:
    words = set()
    for spec in default_tagger().specialties.values():
        for term in getattr(spec, "terms", ()) or ():
            text = getattr(term, "text", None) or str(term)
            words.update(w for w in text.replace("*", " ").split() if len(w) > 3 and w.isalpha())
    if len(words) < 200:  # whatever the tagger's internals, the devset has words
        for e in read_jsonl(DEVSET):
            words.update(w.strip(".,:;()«»\"'") for w in e.title.split() if len(w) > 4)
    return sorted(w for w in words if w.isalpha())


def make_watches(n: int, vocab: list[str], rng: random.Random) -> list[Watch]:
    out = []
    for i in range(n):
        a, b, c = rng.sample(vocab, 3)
        query = rng.choice([a, f"{a} {b}", f"{a} OR {b}", f"{a} -{b}", f'"{a} {b}"', f"{a[:5]}*",
                            f"({a} OR {b}) {c}", f"{a} OR {b} OR {c}"])
        kw: dict = {}
        if i % 5 == 0:
            kw["types"] = (rng.choice(ITEM_TYPES),)
        if i % 7 == 0:
            kw["specialties"] = (rng.choice(SPECIALTIES),)
        out.append(Watch(f"w{i}", query=query, **kw))
    return out


def make_items(n: int, rng: random.Random) -> list[NewItem]:
    examples = read_jsonl(DEVSET)
    titles = [e.title for e in examples]
    texts = [e.text for e in examples if e.text]
    items = []
    for i in range(n):
        summary = " ".join(rng.choice(texts)[:150] for _ in range(2))
        items.append(NewItem(
            id=f"i{i}", story_id=f"s{i // 2}", source_id="s", title=rng.choice(titles), summary=summary,
            item_type=rng.choice(ITEM_TYPES), specialties=(rng.choice(SPECIALTIES),),
        ))
    return items


def bench_matching(n_watches: int, n_items: int) -> None:
    rng = random.Random(13)
    vocab = vocabulary()
    watches = make_watches(n_watches, vocab, rng)
    items = make_items(n_items, rng)
    tracemalloc.start()
    started = time.perf_counter()
    index = WatchIndex(watches)
    build = time.perf_counter() - started
    _, peak_index = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    times = []
    cpu = []
    hits = []
    for _ in range(3):
        fresh = [NewItem(**{k: getattr(it, k) for k in ("id", "story_id", "source_id", "title", "summary",
                                                          "item_type", "specialties")}) for it in items]
        started, started_cpu = time.perf_counter(), time.process_time()
        hits = match_new(watches, fresh, index=index)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    tracemalloc.start()
    match_new(watches, items[: min(len(items), 20000)], index=index)
    _, peak_match = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    started = time.perf_counter()
    for it in items[:20000]:
        Text.of(it.title, it.summary, it.content)
    fold_rate = min(len(items), 20000) / (time.perf_counter() - started)
    best = min(times)
    print(f"matching: {n_watches} watches x {n_items} items ({len(vocab)} words of vocabulary)")
    print(f"  index built in {build * 1000:.0f} ms, peak traced memory {peak_index / 1e6:.1f} MB")
    print(f"  match_new: best of 3 {best:.2f} s = {n_items / best:,.0f} items/s "
          f"(runs: {', '.join(f'{t:.2f}' for t in times)} s); CPU time best {min(cpu):.2f} s = "
          f"{n_items / min(cpu):,.0f} items/s; {len(hits)} hits ({len(hits) / n_items:.1f} per item)")
    print(f"  of which folding the text: {fold_rate:,.0f} items/s alone")
    print(f"  peak traced memory while matching 20k items: {peak_match / 1e6:.1f} MB")


def feeds(server: FeedServer, n_feeds: int, per_feed: int, rng: random.Random, round_no: int) -> None:
    examples = read_jsonl(DEVSET)
    now = datetime.now(UTC)
    for f in range(n_feeds):
        entries = []
        for k in range(per_feed):
            e = rng.choice(examples)
            link = f"https://site{f}.example/r{round_no}/a{k}"
            entries.append(
                f"<item><title>{escape(e.title)} ({f}-{k})</title><link>{link}</link><guid>{link}</guid>"
                f"<description>{escape((e.text or '')[:300])}</description>"
                f"<pubDate>{format_datetime(now - timedelta(minutes=k))}</pubDate></item>"
            )
        server.add(f"/r{round_no}/f{f}.xml",
                   f'<rss version="2.0"><channel><title>f{f}</title>{"".join(entries)}</channel></rss>')


def bench_collect(n_watches: int, rounds: int = 3, n_feeds: int = 40, per_feed: int = 50) -> None:
    rng = random.Random(7)
    watches = make_watches(n_watches, vocabulary(), rng)
    server = FeedServer()
    plain: list[float] = []
    watched: list[float] = []
    shares: list[float] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for r in range(rounds * 2):
                with_watches = r % 2 == 1
                feeds(server, n_feeds, per_feed, random.Random(r // 2), r)  # same texts with and without
                lines = ["sources:"]
                for f in range(n_feeds):
                    lines += [f"  - id: f{f}", f"    name: F{f}", f"    url: {server.url(f'/r{r}/f{f}.xml')}"]
                if with_watches:
                    lines.append("watches:")
                    for w in watches:
                        q = w.query.replace("'", "''")
                        lines += [f"  - name: {w.name}", f"    query: '{q}'"]
                        if w.types:
                            lines.append(f"    types: [{w.types[0]}]")
                        if w.specialties:
                            lines.append(f"    specialties: [{w.specialties[0]}]")
                path = Path(tmp) / f"feeds{r}.yaml"
                path.write_text("\n".join(lines) + "\n", encoding="utf-8")
                config = load_config(str(path))
                db = Path(tmp) / f"v{r}.db"
                with Store(str(db)) as store:
                    from veille import alerts

                    spent = 0.0
                    original = alerts.after_collect

                    def timed(*args, original=original, **kwargs):
                        nonlocal spent
                        started = time.perf_counter()
                        try:
                            return original(*args, **kwargs)
                        finally:
                            spent += time.perf_counter() - started

                    alerts.after_collect = timed
                    try:
                        started = time.perf_counter()
                        results = collect(config, store)
                        elapsed = time.perf_counter() - started
                    finally:
                        alerts.after_collect = original
                    hits = store.db.execute("select count(*) from watch_hits").fetchone()[0]
                new = sum(x.items_new for x in results)
                (watched if with_watches else plain).append(elapsed)
                if with_watches:
                    shares.append(spent / elapsed)
                print(f"  round {r // 2 + 1} {'with' if with_watches else 'without'} watches: {new} new items "
                      f"in {elapsed:.2f} s" + (f"; watches {spent:.3f} s ({spent / elapsed:.1%}), {hits} hits" if with_watches else ""))
    finally:
        server.close()
    print(f"collect of {n_feeds} feeds x {per_feed} items: median {statistics.median(plain):.2f} s without watches, "
          f"{statistics.median(watched):.2f} s with {n_watches}; watches' share of the collect "
          f"(median): {statistics.median(shares):.1%}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--watches", type=int, default=1000)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--no-collect", action="store_true")
    args = parser.parse_args()
    bench_matching(args.watches, args.items)
    if not args.no_collect:
        bench_collect(args.watches)


if __name__ == "__main__":
    main()
