"""`veille restory`: recompute stories over the archive, in date order, as steady polling would
have built them. Idempotent: the same archive gives the same stories."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime, timedelta

import click
from sqlite_utils import Database

from veille.cli import CONTEXT, Env, pass_env, user_errors
from veille.dedup import DEFAULT_SPAN, DEFAULT_WINDOW, StoryIndex, StoryMatch
from veille.normalise import utc_iso
from veille.stories import link_reason, refresh_stories, story_doc

Progress = Callable[[int, int], None]
_ROWS = (
    "select id, source_id, coalesce(tier, 'press'), title, summary, published_at, story_id from items "
    "where published_at >= ? and published_at < ? order by published_at, id"
)


def restory(db: Database, since: datetime | None = None, progress: Progress | None = None,
            window: timedelta = DEFAULT_WINDOW, span: timedelta = DEFAULT_SPAN) -> tuple[int, int]:
    """Recompute the stories of the items published since ``since`` (all when None), inside the
    caller's transaction. Items published just before ``since`` keep their stories and are
    matched against. Returns (items processed, stories they now form)."""
    index = StoryIndex(window=window, span=span)
    start = utc_iso(since) if since is not None else "0000"
    if since is not None:
        for row in db.execute(_ROWS, [utc_iso(since - window - span), start]).fetchall():
            if row[6]:
                index.add(story_doc(*row), row[6])
    total = db.execute("select count(*) from items where published_at >= ?", [start]).fetchone()[0]
    old_stories = {r[0] for r in db.execute(
        "select distinct story_id from items where published_at >= ? and story_id is not null", [start])}
    assigned: list[tuple[str, str]] = []
    links: list[tuple[str, StoryMatch]] = []
    follows: dict[str, str] = {}
    cursor = db.execute(_ROWS, [start, "9999"])
    done = 0
    while rows := cursor.fetchmany(2000):
        for row in rows:
            # Seen when published: the replay of steady polling, in date order.
            story_id, match = index.assign(story_doc(*row[:6]))
            assigned.append((story_id, row[0]))
            if match is not None:
                links.append((row[0], match))
            earlier = index.follows(row[0])
            if earlier is not None:
                follows[story_id] = earlier
        done += len(rows)
        if progress is not None:
            progress(done, total)
    ids = [item_id for _, item_id in assigned]
    for chunk in range(0, len(ids), 500):
        part = ids[chunk : chunk + 500]
        db.execute(f"delete from story_links where item_id in ({','.join('?' * len(part))})", part)
    db.conn.executemany("update items set story_id = ? where id = ?", assigned)
    db.conn.executemany(
        "insert or replace into story_links (item_id, story_id, matched_item_id, similarity, method, "
        "rule, reason) values (?, ?, ?, ?, ?, ?, ?)",
        [(item_id, m.story_id, m.item_id, m.similarity, m.method, m.rule, link_reason(m)) for item_id, m in links],
    )
    new_stories = {story_id for story_id, _ in assigned}
    db.conn.executemany("update stories set follows_story_id = null where id = ?", [(s,) for s in new_stories])
    refresh_stories(db, old_stories | new_stories, follows)
    return len(assigned), len(new_stories)


def _date(value: str | None) -> datetime | None:
    if value is None:
        return None
    from datetime import UTC

    try:
        moment = datetime.fromisoformat(value)
    except ValueError as e:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param_hint="--since") from e
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@click.command(context_settings=CONTEXT)
@click.option("--since", metavar="DATE", help="Only items published from this date (YYYY-MM-DD); default: all.")
@pass_env
@user_errors
def restory_command(env: Env, since: str | None) -> None:
    """Recompute stories over the archive, in date order (after an upgrade of the story rules,
    or a backfill). Running it twice gives the same stories.

    \b
    Example:
        veille restory
        veille restory --since 2026-11-01
    """
    moment = _date(since)
    store = env.store()
    try:
        with click.progressbar(length=1, label="restory", file=sys.stderr) as bar:

            def progress(done: int, total: int) -> None:
                bar.length = max(total, 1)
                bar.update(done - bar.pos)

            with store.immediate() as db:
                items, stories = restory(db, moment, progress)
    finally:
        store.close()
    click.echo(f"restory: {items} items in {stories} stories")
