"""Tagging throughput, load time and memory, vocabularies loaded (not run by the test suite).

    .venv/bin/python bench/bench_tag.py            # 10k and 100k items
    .venv/bin/python bench/bench_tag.py 20000      # other sizes

Items are built from the development set: a devset title (~70-80 chars) and a summary of
~300 chars stitched from devset texts, so the term density is that of real notices and
headlines. Figures: items/s for fold only and for the full tag (one process: wall clock,
best of 3, and CPU time, which is steadier on a shared machine; then one forked process per
core, each tagging its share: wall clock of the whole, CPU time of each, load average around
it), load times (hand-written taxonomy alone, with the ICD-10/CIM-10/ATC vocabularies, and
from the on-disk cache in a fresh process), peak traced memory of the load and of tagging, and
the devset scores. Quality on the real-world sets: bench/eval_tag.py.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import random
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from veille.tag import Tagger, Tagging, default_tagger, fold  # noqa: E402
from veille.tag_eval import evaluate, read_jsonl  # noqa: E402
from veille.vocab import vocabulary_terms  # noqa: E402

DEVSET = ROOT / "tests" / "devset" / "tagging.jsonl"


def make_items(n: int, seed: int = 42) -> list[tuple[str, str]]:
    examples = read_jsonl(DEVSET)
    titles = [e.title for e in examples]
    texts = [e.text for e in examples if e.text]
    rng = random.Random(seed)
    items = []
    for _ in range(n):
        title = rng.choice(titles)
        parts: list[str] = []
        while sum(len(p) + 1 for p in parts) < 300:
            parts.append(rng.choice(texts))
        summary = " ".join(parts)
        cut = summary.rfind(" ", 0, 320)
        items.append((title, summary[: cut if cut > 250 else 320]))
    return items


def _tag_in_processes(tagger: Tagger, items: list[tuple[str, str]], processes: int) -> None:
    """Tag ``items`` split across ``processes`` forked workers, each with its share inherited
    through fork (no pickling, no queue: the figure is tagging, not IPC). Prints the wall clock
    from the first fork to the last worker's end (fork cost included), each worker's CPU time,
    and the load average before and after: on a shared machine a busy core shows as a gap
    between the CPU-time rate and the wall-clock one."""
    share = -(-len(items) // processes)
    # As the collect's fork server does (veille/worker_preload.py): the loaded tagger moves out
    # of the collector's reach, so a collection in a worker does not copy every shared page.
    gc.freeze()
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    children = []
    for i in range(processes):
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the worker: tag its share, report its CPU time, exit without cleanup
            os.close(read)
            c0 = time.process_time()
            for title, summary in items[i * share : (i + 1) * share]:
                tagger.tag(title, summary)
            os.write(write, f"{time.process_time() - c0}".encode())
            os._exit(0)
        os.close(write)
        children.append((pid, read))
    cpu = []
    for pid, read in children:
        with os.fdopen(read) as f:
            cpu.append(float(f.read() or "nan"))
        os.waitpid(pid, 0)
    wall = time.perf_counter() - t0
    gc.unfreeze()
    load_after = os.getloadavg()
    print(f"  tag, {processes} procs  {rate(len(items), wall)}  wall clock, all workers")
    per = ", ".join(f"{share / c:,.0f}" for c in cpu)
    print(f"                 per worker, CPU time: {per} items/s "
          f"(sum {sum(share / c for c in cpu):,.0f})")
    print(f"                 load average (1 min) before {load_before[0]:.2f}, after "
          f"{load_after[0]:.2f}, on {os.cpu_count()} cores")


_POOL_TAGGER: Tagger | None = None


def _pool_tag(chunk: list[tuple[str, str]]) -> list[Tagging]:
    assert _POOL_TAGGER is not None
    return [_POOL_TAGGER.tag(title, summary) for title, summary in chunk]


def _tag_in_pool(tagger: Tagger, items: list[tuple[str, str]], processes: int) -> None:
    """The same through a fork Pool, as a pipeline would: the tagger is built before the fork
    (the workers share it), the items go out as plain strings in chunks of 500 and every
    Tagging comes back pickled. The gap to the forked workers above is the IPC's cost."""
    global _POOL_TAGGER
    _POOL_TAGGER = tagger
    chunks = [items[i : i + 500] for i in range(0, len(items), 500)]
    ctx = multiprocessing.get_context("fork")
    t0 = time.perf_counter()
    with ctx.Pool(processes) as pool:
        done = sum(len(r) for r in pool.imap(_pool_tag, chunks))
    wall = time.perf_counter() - t0
    print(f"  tag, pool of {processes} {rate(done, wall)}  wall clock, chunks of 500, results pickled back")


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:>9,.0f} items/s  ({seconds / n * 1e6:5.1f} µs/item)"


def _cached_load_ms() -> float:
    """default_tagger() in a fresh process, with the pickled tagger already in the cache."""
    code = (
        "import time; t = time.perf_counter(); from veille.tag import default_tagger; "
        "default_tagger(); print((time.perf_counter() - t) * 1000)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def main(sizes: list[int]) -> None:
    t0 = time.perf_counter()
    terms = vocabulary_terms()
    print(f"vocabularies (ICD-10, CIM-10, ATC): {len(terms):,} terms read in "
          f"{(time.perf_counter() - t0) * 1000:.0f} ms")
    t0 = time.perf_counter()
    Tagger.load(vocabularies=False)
    print(f"load, hand-written taxonomy only: {(time.perf_counter() - t0) * 1000:.0f} ms")
    t0 = time.perf_counter()
    Tagger.load()
    print(f"load with vocabularies, no cache: {(time.perf_counter() - t0) * 1000:.0f} ms")
    default_tagger()  # fills the on-disk cache
    print(f"load with vocabularies from the cache, fresh process (import included): "
          f"{min(_cached_load_ms() for _ in range(3)):.0f} ms")
    gc.collect()
    default_tagger.cache_clear()
    tracemalloc.start()
    t0 = time.perf_counter()
    tagger = default_tagger()
    load_s = time.perf_counter() - t0
    _, load_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"taxonomy: {len(tagger.specialties)} specialties, {tagger.term_count:,} automaton keys "
          f"({tagger.vocabulary_terms:,} vocabulary terms)")
    print(f"load from the cache in this process: {load_s * 1000:.0f} ms, "
          f"peak traced {load_peak / 2**20:.1f} MiB")

    for n in sizes:
        items = make_items(n)
        chars = sum(len(t) + len(s) for t, s in items) / n
        print(f"\n{n:,} items, mean {chars:.0f} chars (title + summary)")
        t0 = time.perf_counter()
        for title, summary in items:
            fold(title)
            fold(summary)
        print(f"  fold only     {rate(n, time.perf_counter() - t0)}")
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            for title, summary in items:
                tagger.tag(title, summary)
            best = min(best, time.perf_counter() - t0)
        print(f"  tag (best/3)  {rate(n, best)}")
        t0 = time.process_time()
        for title, summary in items:
            tagger.tag(title, summary)
        print(f"  tag, CPU time {rate(n, time.process_time() - t0)}")
        processes = os.cpu_count() or 1
        if processes > 1 and hasattr(os, "fork"):
            _tag_in_processes(tagger, items, processes)
            _tag_in_pool(tagger, items, processes)

    sample = make_items(10_000)
    gc.collect()
    tracemalloc.start()
    results = [tagger.tag(t, s) for t, s in sample]
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"\npeak traced while tagging 10k items and keeping the results: {peak / 2**20:.1f} MiB")
    tagged = sum(1 for r in results if r.specialties) / len(results)
    print(f"items with at least one specialty: {tagged:.0%}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"process max RSS: {rss / 1024:.0f} MiB")

    print("\ndevset:", DEVSET.relative_to(ROOT))
    print(evaluate(read_jsonl(DEVSET), tagger).format())


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000, 100_000])
