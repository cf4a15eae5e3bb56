"""Memory of the story index per entry, as in a first collect.

    python bench/bench_index_memory.py --feeds 300

Documents come from bench_collect's generator (French items with HTML summaries), are parsed
and their features computed as the parsing workers do (``process_document``), and each source's
``Processed`` goes through pickle as it does between a worker and the main process. Then every
item is assigned in one StoryIndex; tracemalloc reports the bytes kept per index entry.
"""

from __future__ import annotations

import argparse
import gc
import pickle
import sys
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_collect import make_feed  # noqa: E402

from veille.dedup import StoryIndex  # noqa: E402
from veille.process import process_document  # noqa: E402
from veille.stories import item_story_doc  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=300)
    parser.add_argument("--items", type=int, default=20)
    args = parser.parse_args()
    now = time.time()
    fetched = datetime.fromtimestamp(now, UTC)
    blobs = []
    for i in range(args.feeds):
        processed = process_document(make_feed(i, args.items, now), url=f"http://h/{i}.xml", content_type="application/rss+xml",
                                     source_id=f"s{i}", source_lang="fr", fetched_at=fetched, max_items=args.items)
        blobs.append(pickle.dumps(processed))
    index = StoryIndex()
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    n = 0
    for blob in blobs:
        processed = pickle.loads(blob)
        feats = dict(processed.features)
        for item in processed.items:
            index.assign(item_story_doc(item), feats[item.id])
            n += 1
        del processed, feats
    gc.collect()
    kept = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    print(f"entries {len(index)} of {n} items; kept {kept / 1e6:.2f} MB; {kept / max(1, len(index)):.0f} bytes per entry")


if __name__ == "__main__":
    main()
