"""`veille watch add|list|remove|test`: saved searches that notify (see veille.watch)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from typing import Any

import click

from veille.cli import CONTEXT, Env, UsageProblem, pass_env, user_errors
from veille.models import ITEM_TYPES, SPECIALTIES, TIERS

TEST_LIMIT = 50


@click.group("watch", context_settings=CONTEXT)
def watch_group() -> None:
    """Watches: a search that notifies you (e-mail or webhook) of each new matching story."""


@watch_group.command("add", context_settings=CONTEXT)
@click.argument("name")
@click.option("--query", "-q", help='Search: words, "phrases", OR, NOT or -word, word*; accents ignored.')
@click.option("--specialty", "specialties", multiple=True, type=click.Choice(SPECIALTIES), metavar="SLUG",
              help="Only stories of this specialty (repeatable).")
@click.option("--type", "types", multiple=True, type=click.Choice(ITEM_TYPES), metavar="TYPE",
              help="Only this item type: recall, shortage, safety, … (repeatable).")
@click.option("--tier", "tiers", multiple=True, type=click.Choice(TIERS), metavar="TIER",
              help="Only sources of this tier (repeatable).")
@click.option("--notify", "targets", multiple=True, metavar="TARGET",
              help="mailto:ADDRESS (settings.smtp) or an http(s):// webhook URL (repeatable).")
@click.option("--spike", is_flag=True,
              help="Notify when the day's count of matching stories spikes, not on each story.")
@pass_env
@user_errors
def watch_add(
    env: Env, name: str, query: str | None, specialties: tuple[str, ...], types: tuple[str, ...],
    tiers: tuple[str, ...], targets: tuple[str, ...], spike: bool,
) -> None:
    """Add a watch to feeds.yaml (comments kept). Each collect then matches its new items
    against it and notifies once per story.

    \b
    Example:
        veille watch add levothyrox --query 'levothyrox OR "lévothyroxine"' --notify mailto:moi@example.org
        veille watch add rougeole --query rougeole --specialty infectiologie --notify https://hooks.example.org/veille
        veille watch add infectio --specialty infectiologie --spike --notify mailto:moi@example.org
    """
    from veille.watch import Watch
    from veille.watch_config import add_watch

    if not os.path.exists(env.config_path):
        raise UsageProblem(f"{env.config_path}: file not found; add a source first (`veille sources add URL`)")
    watch = add_watch(env.config_path, Watch(
        name=name, query=query, specialties=specialties, types=types, tiers=tiers,
        notify=tuple(t.strip() for t in targets), spike=spike,
    ))
    if any(t.lower().startswith("mailto:") for t in watch.notify):
        from veille.config import load_config

        if not load_config(env.config_path).settings.section("smtp").get("host"):
            click.echo("warning: settings.smtp is not configured in feeds.yaml: e-mail notifications will "
                       "fail (and be retried) until it is", err=True)
    what = "spikes of" if watch.spike else "new stories matching"
    targets_text = ", ".join(watch.notify) if watch.notify else "no target (see its page /alertes/" + watch.name + ")"
    click.echo(f"added watch {watch.name!r} to {env.config_path}: {what} {watch.query or 'its filters'} → {targets_text}")


@watch_group.command("list", context_settings=CONTEXT)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_env
@user_errors
def watch_list(env: Env, as_json: bool) -> None:
    """Show each watch with its hits (total, last 7 days), last hit and delivery problems.

    \b
    Example:
        veille watch list
    """
    from veille.alerts import watch_status
    from veille.watch import shown_target

    config = env.config()
    status: dict[str, dict[str, Any]] = {}
    if os.path.exists(env.db_path):
        with env.store() as store:
            status = watch_status(store.db.conn)
    records = []
    for w in config.watches:
        st = status.get(w.name, {})
        records.append({
            "name": w.name, "query": w.query, "specialties": list(w.specialties), "types": list(w.types),
            "tiers": list(w.tiers), "notify": [shown_target(t) for t in w.notify], "spike": w.spike,
            "hits": st.get("hits", 0), "hits_7d": st.get("hits_7d", 0), "last_hit_at": st.get("last_hit_at"),
            "sent": st.get("sent", 0), "pending": st.get("pending", 0), "failed": st.get("failed", 0),
            "last_error": st.get("last_error"), "last_error_at": st.get("last_error_at"),
        })
    if as_json:
        click.echo(json.dumps(records, ensure_ascii=False, indent=2))
        return
    if not records:
        click.echo(f"No watches in {config.path}. Add one with `veille watch add NAME --query QUERY`.")
        return
    for r in records:
        filters = " ".join(
            f"{k}={','.join(r[k])}" for k in ("specialties", "types", "tiers") if r[k]
        )
        kind = " [spike]" if r["spike"] else ""
        click.echo(f"{r['name']}{kind}  {r['query'] or ''}  {filters}".rstrip())
        click.echo(f"    notify: {', '.join(r['notify']) or '-'}")
        last = (r["last_hit_at"] or "-").replace("T", " ").replace("Z", "")[:16]
        click.echo(
            f"    hits {r['hits']} (7 days: {r['hits_7d']}) · last hit {last} · "
            f"sent {r['sent']} · pending {r['pending']} · failed {r['failed']}"
        )
        if r["last_error"]:
            at = (r["last_error_at"] or "").replace("T", " ").replace("Z", "")[:16]
            click.echo(f"    last delivery error ({at}): {r['last_error']}")


@watch_group.command("remove", context_settings=CONTEXT)
@click.argument("name")
@pass_env
@user_errors
def watch_remove(env: Env, name: str) -> None:
    """Remove a watch from feeds.yaml, with its hits and pending notifications.

    \b
    Example:
        veille watch remove levothyrox
    """
    from veille.alerts import forget_watch
    from veille.watch_config import remove_watch

    remove_watch(env.config_path, name)
    if os.path.exists(env.db_path):
        with env.store() as store, store.immediate() as db:
            forget_watch(db, name)
    click.echo(f"removed watch {name!r} from {env.config_path}")


@watch_group.command("test", context_settings=CONTEXT)
@click.argument("name")
@click.option("--since", default="7d", show_default=True, help="How far back: 90m, 24h, 7d, 30d.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_env
@user_errors
def watch_test(env: Env, name: str, since: str, as_json: bool) -> None:
    """A dry run over the archive: which stories published since --since the watch would have
    matched (one line per story; muted items left out and counted). Nothing is recorded or sent.

    \b
    Example:
        veille watch test levothyrox --since 30d
    """
    from veille.alerts import ITEM_COLUMNS, _new_item, muted_ids
    from veille.digest import parse_since
    from veille.mute import rules_from_settings
    from veille.watch import WatchIndex

    config = env.config()
    watch = config.watch(name)
    if watch is None:
        raise UsageProblem(f"no watch named {name!r} in {config.path} (see `veille watch list`)")
    if not os.path.exists(env.db_path):
        raise UsageProblem(f"no database at {env.db_path}: run `veille collect` first")
    delta: timedelta = parse_since(since)
    start = (datetime.now(UTC) - delta).strftime("%Y-%m-%dT%H:%M:%SZ")
    index = WatchIndex([watch])
    found = []
    with env.store(readonly=True) as store:
        names = {r[0]: r[1] for r in store.db.execute("select id, name from sources")}
        matched = []
        cursor = store.db.execute(
            f"select {ITEM_COLUMNS} from items i where i.published_at >= ? order by i.published_at desc, i.id",
            [start],
        )
        for row in cursor:
            item = _new_item(row)
            if index.matching(item):
                matched.append(item)
        muted = muted_ids(store.db, matched, rules_from_settings(config.settings))
    seen: set[str] = set()
    for item in matched:
        if item.id in muted or item.story_key in seen:
            continue
        seen.add(item.story_key)
        found.append(item)
    if as_json:
        click.echo(json.dumps([
            {"title": i.title, "url": i.url, "source": names.get(i.source_id, i.source_id),
             "published_at": i.published_at, "type": i.item_type, "specialties": list(i.specialties),
             "story_id": i.story_id} for i in found
        ], ensure_ascii=False, indent=2))
        return
    for item in found[:TEST_LIMIT]:
        click.echo(f"{item.published_at[:10]}  {names.get(item.source_id, item.source_id)}  {item.title}")
        if item.url:
            click.echo(f"    {item.url}")
    more = f" (first {TEST_LIMIT} shown)" if len(found) > TEST_LIMIT else ""
    muted_note = f"; {len(muted)} muted items left out" if muted else ""
    click.echo(f"{len(found)} stories would have matched {name!r} since {start[:16].replace('T', ' ')} UTC{more}{muted_note}")
