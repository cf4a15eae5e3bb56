"""Imported by the fork server of a collect's parsing workers (`veille.process.LazyPool`): what
every worker needs is imported and loaded once, in the server, and the workers forked from it
share those pages. A failure here only means that each worker loads what it needs itself."""

from __future__ import annotations

import gc
from datetime import UTC, datetime

# One small document through the whole worker path loads every table it reads lazily (the
# tagger, drug and place names, dedup concepts), not only the modules.
_WARM_UP = (
    b"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Veille</title>"
    b"<item><title>Rappel de lot : Doliprane 500 mg, grippe et vaccination \xc3\xa0 Lyon</title>"
    b"<link>https://example.org/a</link><description>&lt;p&gt;Rougeole : hausse des cas en France."
    b"&lt;/p&gt;</description><pubDate>Mon, 02 Nov 2026 08:00:00 GMT</pubDate></item></channel></rss>"
)


def _preload() -> None:
    try:
        from veille.process import process_document

        process_document(
            _WARM_UP, url="https://example.org/feed.xml", content_type="application/rss+xml",
            source_id="warm-up", source_lang="fr", fetched_at=datetime.now(UTC), max_items=5,
        )
    except Exception:  # noqa: BLE001, S110 - see the module's docstring
        pass
    # What was loaded moves out of the collector's reach: a collection in a worker would touch
    # every object's header, and copy every shared page.
    gc.freeze()


_preload()
