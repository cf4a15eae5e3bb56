"""Watches against the database: after a collect, match the newly stored items (never a rescan),
record one hit per story per watch, queue one notification per watch and target, and deliver
the queue with retries (the daily counts of spikes are veille.spike_counts'). The decisions are
pure (veille.watch, veille.mute, veille.spikes); this module reads and writes SQLite around them.

Delivery is separate from the collect: ``after_collect`` only writes rows (milliseconds), and
``deliver_due`` runs after the collect's summary (CLI) or as the service's own job, so a slow or
failing receiver never slows or stops a collect. A failed delivery is retried with exponential
backoff (1 min, 2, 4 … capped at 6 h) and given up after ``MAX_ATTEMPTS``.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from veille.fetch_guard import address_is_public
from veille.models import Config
from veille.mute import MuteRule, mute_reason, rules_from_settings
from veille.normalise import utc_iso
from veille.spike_counts import FRESH, day_start, watch_spikes
from veille.spikes import SpikeRule, spike_sentence
from veille.watch import Hit, NewItem, Watch, index_for, match_new, shown_target

log = logging.getLogger("veille.alerts")
MAX_ATTEMPTS = 12
FIRST_RETRY = 60.0
MAX_RETRY = 6 * 3600.0


@dataclass(frozen=True)
class CollectAlerts:
    hits: int = 0
    queued: int = 0
    spikes: tuple[str, ...] = ()


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    errors: tuple[str, ...] = ()


def retry_delay(attempts: int) -> float:
    """Seconds before the next attempt after ``attempts`` failures (pure)."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), MAX_RETRY)


def _iso(moment: datetime) -> str:
    return utc_iso(moment)


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# --- watches mirrored in the database -----------------------------------------------------------

@lru_cache(maxsize=16384)
def definition_json(watch: Watch) -> str:
    """What the web pages may show of a watch: not its targets (addresses, webhook tokens).
    Cached: every collect compares the stored definitions with feeds.yaml's."""
    values = {
        "name": watch.name, "query": watch.query, "specialties": list(watch.specialties),
        "types": list(watch.types), "tiers": list(watch.tiers), "spike": watch.spike,
        "targets": len(watch.notify),
    }
    return json.dumps(values, ensure_ascii=False, sort_keys=True)


def sync_watches(db: Any, watches: Sequence[Watch], now: datetime) -> None:
    """The watches table mirrors feeds.yaml (for the web pages and each watch's creation date)."""
    current = {r[0]: r[1] for r in db.execute("select name, definition from watches").fetchall()}
    stamp = _iso(now)
    for watch in watches:
        definition = definition_json(watch)
        if watch.name not in current:
            db.execute(
                "insert into watches (name, query, definition, created_at, updated_at) values (?, ?, ?, ?, ?)",
                [watch.name, watch.query, definition, stamp, stamp],
            )
        elif current[watch.name] != definition:
            db.execute(
                "update watches set query = ?, definition = ?, updated_at = ? where name = ?",
                [watch.query, definition, stamp, watch.name],
            )
    gone = set(current) - {w.name for w in watches}
    for name in gone:
        db.execute("delete from watches where name = ?", [name])


def forget_watch(db: Any, name: str) -> None:
    """`veille watch remove`: its hits and pending notifications go with it."""
    for table in ("watch_hits", "watch_deliveries"):
        db.execute(f"delete from {table} where watch = ?", [name])
    db.execute("delete from watches where name = ?", [name])


# --- reading items ---------------------------------------------------------------------------

ITEM_COLUMNS = (
    "i.id, i.story_id, i.source_id, i.title, coalesce(i.summary, ''), coalesce(i.content, ''), "
    "coalesce(i.item_type, 'news'), coalesce(i.tier, 'press'), coalesce(i.specialties, '[]'), "
    "i.url, i.published_at"
)


def _new_item(row: Sequence[Any]) -> NewItem:
    try:
        specialties = tuple(json.loads(row[8]))
    except ValueError:
        specialties = ()
    return NewItem(
        id=row[0], story_id=row[1], source_id=row[2], title=row[3] or "", summary=row[4],
        content=row[5], item_type=row[6], tier=row[7], specialties=specialties, url=row[9],
        published_at=row[10] or "",
    )


def load_items(db: Any, ids: Sequence[str]) -> list[NewItem]:
    out: list[NewItem] = []
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        marks = ",".join("?" * len(chunk))
        rows = {r[0]: r for r in db.execute(f"select {ITEM_COLUMNS} from items i where i.id in ({marks})", chunk)}
        out.extend(_new_item(rows[i]) for i in chunk if i in rows)
    return out


def carriers(db: Any, ids: Sequence[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        marks = ",".join("?" * len(chunk))
        for item_id, source_id in db.execute(
            f"select item_id, source_id from item_sources where item_id in ({marks})", chunk
        ):
            out.setdefault(item_id, []).append(source_id)
    return out


def muted_ids(db: Any, items: Sequence[NewItem], rules: Sequence[MuteRule]) -> dict[str, str]:
    """item id -> the rule muting it."""
    if not rules:
        return {}
    by_item = carriers(db, [i.id for i in items])
    out = {}
    for item in items:
        reason = mute_reason(
            rules, title=item.title, summary=item.summary, source_id=item.source_id,
            item_type=item.item_type, sources=by_item.get(item.id, ()),
        )
        if reason:
            out[item.id] = reason
    return out


# --- after a collect ---------------------------------------------------------------------------

def base_url(settings: Any) -> str:
    from veille.digest import digest_settings

    base = str(digest_settings(settings)["base_url"])
    return base if base.endswith("/") else base + "/"


def story_entries(db: Any, item_ids: Sequence[str], base: str) -> dict[str, dict[str, Any]]:
    """What a notification says of each story: title, url, source, date, specialties, type,
    story page."""
    names = {r[0]: r[1] for r in db.execute("select id, name from sources")}
    out = {}
    for item in load_items(db, item_ids):
        out[item.id] = {
            "title": item.title,
            "url": item.url,
            "source": names.get(item.source_id, item.source_id),
            "published_at": item.published_at,
            "specialties": list(item.specialties),
            "type": item.item_type,
            "story_url": f"{base}histoires/{item.story_key}" if item.story_id else None,
        }
    return out


def record_hits(db: Any, hits: Sequence[Hit], now: datetime) -> list[Hit]:
    """Insert the hits; the ones that are new (a story already notified for a watch is not)."""
    fresh = []
    stamp = _iso(now)
    for hit in hits:
        cur = db.execute(
            "insert or ignore into watch_hits (watch, story_key, item_id, matched_at) values (?, ?, ?, ?)",
            [hit.watch, hit.story_key, hit.item_id, stamp],
        )
        if cur.rowcount:
            fresh.append(hit)
    return fresh


def queue(db: Any, watch: Watch, kind: str, payload: dict[str, Any], now: datetime) -> int:
    for target in watch.notify:
        db.execute(
            "insert into watch_deliveries (watch, target, kind, payload, created_at, attempts, "
            "next_attempt_at) values (?, ?, ?, ?, ?, 0, ?)",
            [watch.name, target, kind, json.dumps(payload, ensure_ascii=False), _iso(now), _iso(now)],
        )
    return len(watch.notify)


def after_collect(store: Any, config: Config, new_ids: Sequence[str], now: datetime | None = None) -> CollectAlerts:
    """Match the items a collect stored against the watches, record hits, queue notifications
    (one per watch and target, listing its new stories), and check the spike watches. One write
    transaction; the network is never touched here."""
    now = now or datetime.now(UTC)
    watches: tuple[Watch, ...] = tuple(config.watches)
    stored = dict(store.db.execute("select name, definition from watches").fetchall())
    if not new_ids and not any(w.spike and w.notify for w in watches) and stored == {
        w.name: definition_json(w) for w in watches
    }:
        return CollectAlerts()  # nothing new (every feed unchanged): one read, no write
    with store.immediate() as db:
        sync_watches(db, watches, now)
        if not watches:
            return CollectAlerts()
        rules = rules_from_settings(config.settings)
        items = load_items(db, list(dict.fromkeys(new_ids)))
        muted = muted_ids(db, items, rules)
        hits = match_new(watches, items, muted=muted, index=index_for(watches)) if items else []
        fresh = record_hits(db, hits, now)
        base = base_url(config.settings)
        entries = story_entries(db, [h.item_id for h in fresh], base)
        queued = 0
        by_watch: dict[str, list[Hit]] = {}
        published = {i.id: i.published_at for i in items}
        recent = _iso(now - FRESH)
        for hit in fresh:
            # Archive a new source brings (published days or years ago) is recorded and shown on
            # the watch's page, but is not news: it is not notified.
            if published.get(hit.item_id, "") >= recent:
                by_watch.setdefault(hit.watch, []).append(hit)
        for watch in watches:
            watch_hits = by_watch.get(watch.name)
            if watch.spike or not watch_hits or not watch.notify:
                continue
            payload = {
                "kind": "stories",
                "watch": watch.name,
                "query": watch.query,
                "page_url": f"{base}alertes/{watch.name}",
                "stories": [entries[h.item_id] for h in watch_hits if h.item_id in entries],
            }
            queued += queue(db, watch, "stories", payload, now)
        spikes = _spike_notifications(db, config, watches, now, base)
        queued += sum(n for _, n in spikes)
    return CollectAlerts(hits=len(fresh), queued=queued, spikes=tuple(s for s, _ in spikes))


def _spike_notifications(db: Any, config: Config, watches: Sequence[Watch], now: datetime, base: str) -> list[tuple[str, int]]:
    spiking = [w for w in watches if w.spike and w.notify]
    if not spiking:
        return []
    tz = ZoneInfo(config.settings.timezone)
    today = now.astimezone(tz).date()
    last = {r[0]: r[1] for r in db.execute("select name, last_spike_day from watches").fetchall()}
    todo = [w for w in spiking if last.get(w.name) != today.isoformat()]
    if not todo:
        return []
    found = {s.key: s for s in watch_spikes(db, [w.name for w in todo], now, tz, SpikeRule.from_settings(config.settings))}
    out = []
    for watch in todo:
        spike = found.get(watch.name)
        if spike is None:
            continue
        sentence = spike_sentence(spike, f"« {watch.name} »")
        rows = db.execute(
            "select item_id from watch_hits where watch = ? and matched_at >= ? order by matched_at desc limit 20",
            [watch.name, _iso(day_start(today, tz))],
        ).fetchall()
        entries = story_entries(db, [r[0] for r in rows], base)
        payload = {
            "kind": "spike", "watch": watch.name, "query": watch.query, "sentence": sentence,
            "today": spike.today, "usual": spike.mean, "page_url": f"{base}alertes/{watch.name}",
            "stories": list(entries.values()),
        }
        db.execute("update watches set last_spike_day = ? where name = ?", [today.isoformat(), watch.name])
        out.append((sentence, queue(db, watch, "spike", payload, now)))
    return out


# --- delivery ------------------------------------------------------------------------------------

Deliver = Callable[[Any, str, dict[str, Any]], None]


def deliver_due(
    store: Any, settings: Any, now: datetime | None = None, *, limit: int = 200,
    deliver: Deliver | None = None, is_public: Callable[[str], bool] = address_is_public,
) -> DeliveryReport:
    """Attempt every notification that is due, once each; failures are rescheduled with
    backoff. The rows are read, then each attempt is made outside any transaction."""
    from veille.notify import DeliveryError
    from veille.notify import deliver as send

    now = now or datetime.now(UTC)
    rows = store.db.execute(
        "select id, watch, target, payload, attempts from watch_deliveries where delivered_at is null "
        "and gave_up_at is null and next_attempt_at <= ? order by id limit ?",
        [_iso(now), limit],
    ).fetchall()
    sent = failed = 0
    errors: list[str] = []
    for delivery_id, watch, target, payload, attempts in rows:
        try:
            if deliver is not None:
                deliver(settings, target, json.loads(payload))
            else:
                send(settings, target, json.loads(payload), is_public=is_public)
        except DeliveryError as e:
            failed += 1
            attempts += 1
            message = str(e)
            errors.append(f"{watch} → {shown_target(target)}: {message}")
            gave_up = attempts >= MAX_ATTEMPTS
            log.warning("watch %s: notification to %s failed (attempt %d%s): %s", watch, shown_target(target),
                        attempts, ", given up" if gave_up else "", message)
            with store.immediate() as db:
                db.execute(
                    "update watch_deliveries set attempts = ?, last_error = ?, last_attempt_at = ?, "
                    "next_attempt_at = ?, gave_up_at = ? where id = ?",
                    [attempts, message, _iso(now), _iso(now + timedelta(seconds=retry_delay(attempts))),
                     _iso(now) if gave_up else None, delivery_id],
                )
            continue
        sent += 1
        with store.immediate() as db:
            db.execute(
                "update watch_deliveries set attempts = ?, last_error = null, last_attempt_at = ?, "
                "delivered_at = ? where id = ?",
                [attempts + 1, _iso(now), _iso(now), delivery_id],
            )
    return DeliveryReport(sent, failed, tuple(errors))


# --- status for `veille watch list` ----------------------------------------------------------------

def watch_status(conn: sqlite3.Connection | Any) -> dict[str, dict[str, Any]]:
    """Per watch: hit counts, last hit, notifications pending or failed and the last error."""
    out: dict[str, dict[str, Any]] = {}
    week_ago = _iso(datetime.now(UTC) - timedelta(days=7))
    for name, total, week, last in conn.execute(
        "select watch, count(*), sum(matched_at >= ?), max(matched_at) from watch_hits group by watch",
        [week_ago],
    ):
        out.setdefault(name, {}).update(hits=total, hits_7d=week or 0, last_hit_at=last)
    for name, pending, gave_up, sent in conn.execute(
        "select watch, sum(delivered_at is null and gave_up_at is null), sum(gave_up_at is not null), "
        "sum(delivered_at is not null) from watch_deliveries group by watch"
    ):
        out.setdefault(name, {}).update(pending=pending or 0, failed=gave_up or 0, sent=sent or 0)
    for name, error, at in conn.execute(
        "select watch, last_error, last_attempt_at from watch_deliveries d where last_error is not null "
        "and id = (select max(id) from watch_deliveries x where x.watch = d.watch and x.last_error is not null)"
    ):
        out.setdefault(name, {}).update(last_error=error, last_error_at=at)
    return out
