"""The stories a write starts are written from the rows it has just stored (veille.stories
refresh_stories ``fresh``): they must be the rows a recount from the database gives."""

from __future__ import annotations

from datetime import UTC, datetime

from veille.models import Fetched, Source, SourceState
from veille.pipeline import decide
from veille.process import process_document
from veille.store import Store
from veille.store_write import SourceWrite
from veille.stories import StoryBook, refresh_stories

NOW = datetime(2026, 11, 27, 8, 30, tzinfo=UTC)
TITLES = [
    "Rappel de lots de Doliprane 1000 mg comprimés",
    "Doliprane 1000 mg : rappel de plusieurs lots par l'ANSM",
    "Grippe saisonnière : l'épidémie progresse en Bretagne",
    "Rougeole : trois cas groupés dans une crèche de Lyon",
    "Pénurie d'amoxicilline : les pharmacies s'organisent",
]


def feed(titles: list[tuple[str, str, str]]) -> bytes:
    """RSS with (guid, link path, title) entries, one hour apart."""
    items = "".join(
        f"<item><guid isPermaLink=\"false\">{guid}</guid><link>https://news.example.fr/{path}</link>"
        f"<title>{title}</title><description>&lt;p&gt;{title}, selon les autorités.&lt;/p&gt;</description>"
        f"<pubDate>Thu, 27 Nov 2026 0{n}:00:00 GMT</pubDate></item>"
        for n, (guid, path, title) in enumerate(titles)
    )
    return f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'.encode()


def write(store: Store, book: StoryBook, source: Source, body: bytes) -> None:
    processed = process_document(body, url=source.url, content_type="application/rss+xml", source_id=source.id,
                                 source_lang="fr", fetched_at=NOW, max_items=100)
    fetched = Fetched(source_id=source.id, url=source.url, started_at=NOW, duration_ms=5, status=200, body_hash="x")
    _, _, row, update = decide(source, SourceState(id=source.id), fetched, processed, NOW)
    [outcome] = store.write_sources([SourceWrite(
        source, items=processed.items, fetch_row=row, source_update=update, now=NOW, tags=dict(processed.tags),
        features=dict(processed.features), stories=book,
    )])
    assert not isinstance(outcome, Exception)


def stories(store: Store) -> list[tuple]:
    return store.db.execute("select * from stories order by id").fetchall()


def test_stories_started_by_a_write_equal_their_recount(tmp_path):
    store = Store(str(tmp_path / "veille.db"))
    sources = [Source(id="a", name="A", url="https://a.example.fr/rss", tier="official"),
               Source(id="b", name="B", url="https://b.example.fr/rss", tier="press"),
               Source(id="c", name="C", url="https://c.example.fr/rss", tier="society")]
    store.sync_sources(sources)
    book = store.story_book(NOW)
    # Source a: two items of one story, and the same guid twice with another link and title (the
    # second entry changes the first item's row within the write).
    write(store, book, sources[0], feed([("g1", "p1", TITLES[0]), ("g2", "p2", TITLES[1]), ("g3", "p3", TITLES[2]),
                                   ("g3", "p3b", TITLES[3])]))
    # Source b carries a's items again (one more source) and starts stories of its own.
    write(store, book, sources[1], feed([("h1", "p1", TITLES[0]), ("h4", "q4", TITLES[4]), ("h5", "q5", TITLES[3])]))
    write(store, book, sources[2], feed([("k1", "r1", TITLES[4] + " en Bretagne")]))
    written = stories(store)
    assert len(written) >= 3
    assert any(row[5] == 2 for row in written)  # item_count 2: a story of two items of one write
    refresh_stories(store.db, [row[0] for row in written], book.follows)
    assert stories(store) == written
