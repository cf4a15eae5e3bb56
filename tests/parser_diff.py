"""fastfeedparser against feedparser on the real-world documents of ../shared/realfeeds.

    .venv/bin/python -m tests.parser_diff      # lists every difference, document by document

Both parsers' entries go through the same normalise() (what Veille stores), and their titles,
links, dates and guids are compared item by item; the extension fields Veille keeps
(Item.extra: DOIs, YouTube ids) are compared too, and whether a damage warning is given. ``fallback`` is what veille.parse_fast decides
for the document without looking at feedparser's result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from veille.normalise import normalise
from veille.parse import parse_with_feedparser
from veille.parse_fast import fallback_reason, fast_parse

REALFEEDS = Path(__file__).resolve().parents[2] / "shared" / "realfeeds"
FIELDS = ("title", "url", "published_at", "guid")
FETCHED_AT = datetime(2026, 1, 15, tzinfo=UTC)  # after every date in the corpus: none is capped


@dataclass(frozen=True)
class Comparison:
    name: str
    fallback: str | None  # why veille.parse_fast hands the document to feedparser
    fast_error: str | None
    differences: tuple[str, ...]  # one line per differing field or entry


def _items(feed, url: str) -> list[tuple | None]:
    out: list[tuple | None] = []
    for entry in feed.entries:
        item = normalise(entry, source_id="doc", base_url=url, fetched_at=FETCHED_AT)
        out.append(None if item is None else tuple(getattr(item, f) for f in FIELDS))
    return out


def compare(body: bytes, name: str = "document") -> Comparison:
    url = f"http://127.0.0.1:8000/{name}"
    fast = error = None
    try:
        fast = fast_parse(body)
    except Exception as e:  # noqa: BLE001 - a failure is a result here
        error = e
    reason = fallback_reason(body, fast, error)
    slow = parse_with_feedparser(body, url=url)
    diffs: list[str] = []
    if fast is None:
        diffs.append(f"fastfeedparser failed: {type(error).__name__}: {error}")
    else:
        a, b = _items(fast, url), _items(slow, url)
        if len(a) != len(b):
            diffs.append(f"entries: fastfeedparser {len(a)}, feedparser {len(b)}")
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            if x == y:
                continue
            if x is None or y is None:
                diffs.append(f"entry {i}: fastfeedparser {x!r}, feedparser {y!r} (None: no title nor link)")
                continue
            for field, u, v in zip(FIELDS, x, y, strict=True):
                if u != v:
                    diffs.append(f"entry {i} {field}: fastfeedparser {u!r}, feedparser {v!r}")
        if (fast.warning is None) != (slow.warning is None):
            diffs.append(f"warning: fastfeedparser {fast.warning!r}, feedparser {slow.warning!r}")
        for i, (e, f) in enumerate(zip(fast.entries, slow.entries, strict=False)):
            if dict(e.extra) != dict(f.extra):
                diffs.append(f"entry {i} extra: fastfeedparser {dict(e.extra)}, feedparser {dict(f.extra)}")
    return Comparison(name, reason, None if error is None else f"{type(error).__name__}: {error}", tuple(diffs))


def documents() -> list[Path]:
    """Every XML document of the corpus (JSON goes to Veille's own JSON Feed reader)."""
    return sorted(p for p in REALFEEDS.iterdir() if p.suffix == ".xml")


def main() -> None:
    for path in documents():
        c = compare(path.read_bytes(), path.name)
        print(f"{c.name}: {'feedparser, ' + c.fallback if c.fallback else 'fastfeedparser'}; "
              f"{len(c.differences)} differences")
        for line in c.differences:
            print(f"    {line[:300]}")


if __name__ == "__main__":
    main()
