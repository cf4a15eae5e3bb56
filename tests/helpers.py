from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner, Result

from veille.cli import cli
from veille.config import load_config
from veille.models import SourceResult
from veille.pipeline import collect
from veille.store import Store


def slugs(tagger, title: str, text: str = "") -> set[str]:  # noqa: ANN001 - a veille.tag.Tagger
    """The specialties the tagger gives a title (and a body)."""
    return set(tagger.tag(title, text).slugs)


def copies_of_items(db: Path | str, copies: int) -> None:
    """Each collected item ``copies`` more times (ids ``<id>-<k>``, published k minutes earlier):
    a database with more than a page of articles."""
    with Store(str(db)) as store, store.immediate() as conn:
        for k in range(copies):
            conn.execute(
                "insert into items (id, source_id, guid, url, canonical_url, title, summary, published_at, fetched_at,"
                " lang, item_type, specialties, tier) select id || ?1, source_id, guid || ?1, url, canonical_url, title,"
                " summary, strftime('%Y-%m-%dT%H:%M:%SZ', published_at, ?2), fetched_at, lang, item_type, specialties,"
                " tier from items where id not like '%-%'",
                [f"-{k}", f"-{k + 1} minutes"],
            )


def run_cli(config: Path | str, db: Path | str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), "--db", str(db), *args], catch_exceptions=False)


def rows(db: Path | str, sql: str, params: tuple = ()) -> list[dict]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def one(db: Path | str, sql: str, params: tuple = ()):
    result = rows(db, sql, params)
    assert len(result) == 1, result
    return result[0]


def loopback_plays_public(address: str) -> bool:
    """Test device: 127.0.0.1 plays the public internet, every other address (127.0.0.2 among
    them) the private network."""
    return address == "127.0.0.1"


def collect_all(
    config_path: Path | str, db_path: Path | str, *ids: str, is_public: Callable[[str], bool] | None = None
) -> dict[str, SourceResult]:
    """Collect in-process (no CLI), one result per source id. ``is_public``: see
    loopback_plays_public."""
    extra = {"is_public": is_public} if is_public is not None else {}
    with Store(str(db_path)) as store:
        return {r.source_id: r for r in collect(load_config(str(config_path)), store, ids, **extra)}


def dated_now(name: str, hours: float) -> bytes:
    """A fixture feed of tests/feeds whose <pubDate>s become `hours`, 2 x `hours`... before now
    (tests never depend on today's date)."""
    import re
    from datetime import UTC, datetime, timedelta
    from email.utils import format_datetime

    from tests.feedserver import FEEDS

    now = datetime.now(UTC)
    count = iter(range(1, 10_000))
    text = (FEEDS / name).read_text(encoding="utf-8")
    text = re.sub(
        r"<pubDate>.*?</pubDate>",
        lambda m: f"<pubDate>{format_datetime(now - timedelta(hours=hours * next(count)))}</pubDate>", text,
    )
    return text.encode("utf-8")
