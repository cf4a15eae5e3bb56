"""The service behind `veille run`: collect every source at its own interval, write the daily
digest, optionally serve Datasette, all in one process.

How it is put together, and why:

- APScheduler 3 (BackgroundScheduler) holds one interval job per enabled source, with jitter so
  that sources do not fire together, plus the daily digest (a cron job in settings.timezone) and
  a one-second watch of feeds.yaml. Every job has coalesce=True, max_instances=1 and an explicit
  misfire_grace_time: the default of one second silently skips runs after the machine slept.
- Source jobs do not fetch. They put their source in a pending set; one collector thread takes
  everything pending after a short batching window and calls `pipeline.collect()` once for the
  lot. So there is one writer at a time, and sources due together share one HTTP client.
- A source in backoff keeps its job, but is only collected once its `next_fetch_at` has come;
  after every collection each job's next run is moved to its source's `next_fetch_at`.
- Every write transaction of the service's Store holds `write_lock`. On SIGINT/SIGTERM the
  collection in progress is cancelled at its next `await` (fetches are abandoned, a transaction
  is never cut: writes run without awaiting), and the process exits within a few seconds. A
  second signal exits at once, after taking `write_lock` so that no transaction is open.
- Edits of feeds.yaml (e.g. `veille sources add`) are picked up by mtime: jobs are added,
  removed or rescheduled without a restart; an invalid file is logged and the old config kept.

Testing aid: VEILLE_TIME_SCALE=0.05 multiplies every interval (and backoff wait) by 0.05, so a
source with `every: 1m` is collected every 3 s. Never set it in production.

Beside it: veille.schedule (the `veille run` command and its signals), veille.service_timing
(when jobs run; pure), veille.service_config (feeds.yaml edits), veille.service_web (Datasette
in a thread), veille.service_digest (the daily digest job), veille.service_log (the log).
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from veille.cli import Env, UsageProblem, offline_hint, plural
from veille.errors import VeilleError
from veille.models import Config, Source
from veille.service_config import ConfigWatch
from veille.service_digest import run_digest
from veille.service_log import every_text, local_time, log, result_line
from veille.service_timing import config_changes, due_at, timing
from veille.service_web import WebThread
from veille.store import Store

TIME_SCALE_ENV = "VEILLE_TIME_SCALE"
BATCH_WINDOW = 0.5  # seconds to wait for other sources due at the same moment
DELIVER_EVERY = 60  # seconds between two passes over the notification queue
WATCH_EVERY = 1.0  # seconds between two looks at feeds.yaml
STOP_GRACE = 5.0  # seconds a stop request waits for the collection in progress
DIGEST_MISFIRE_GRACE = 6 * 3600  # a digest missed while the machine slept is still written


def time_scale() -> float:
    raw = os.environ.get(TIME_SCALE_ENV)
    if not raw:
        return 1.0
    try:
        value = float(raw)
    except ValueError:
        raise UsageProblem(f"{TIME_SCALE_ENV}={raw!r} must be a number such as 0.05") from None
    if not 0 < value <= 1:
        raise UsageProblem(f"{TIME_SCALE_ENV}={raw!r} must be in (0, 1]")
    return value


class ServiceStore(Store):
    """The service's Store: each write transaction holds the service's writer lock, so that an
    urgent exit can wait for the write in progress and never leave one half-done."""

    def __init__(self, path: str, write_lock: threading.RLock):
        self.write_lock = write_lock
        super().__init__(path)

    @contextlib.contextmanager
    def immediate(self, retries: int = 5) -> Iterator[Any]:
        with self.write_lock, super().immediate(retries) as db:
            yield db


class Service:
    def __init__(
        self, env: Env, *, serve: bool = False, host: str = "127.0.0.1", port: int = 8001,
        digest_now: bool = False, public: bool = False,
    ):
        self.env = env
        self.serve = serve
        self.public = public
        self.host = host
        self.port = port
        self.digest_now = digest_now
        self.scale = time_scale()
        self.config: Config = env.config()
        self.tz = ZoneInfo(self.config.settings.timezone)
        self.write_lock = threading.RLock()
        self.pending: set[str] = set()
        self.pending_lock = threading.Lock()
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.config_watch = ConfigWatch(env.config_path)
        self.store: ServiceStore | None = None
        self.pool: ProcessPoolExecutor | None = None
        self.scheduler: Any = None
        self.collector: threading.Thread | None = None
        self.web: WebThread | None = None
        self.collections = 0
        self.collecting = False

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        from apscheduler.schedulers.background import BackgroundScheduler

        from veille.digest import digest_settings

        try:
            digest_settings(self.config.settings)
        except VeilleError as e:
            raise UsageProblem(str(e)) from e
        try:
            self.store = ServiceStore(self.env.db_path, self.write_lock)
        except VeilleError as e:
            raise UsageProblem(str(e)) from e
        # Parsing workers are forked now, before the web, scheduler and collector threads exist.
        from veille.process import make_pool

        self.pool = make_pool()
        if self.serve:
            self.web = WebThread(self.env.db_path, self.env.config_path, self.host, self.port, self.public)
            self.web.start()
        self.scheduler = BackgroundScheduler(
            timezone=self.tz,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
        )
        enabled = [s for s in self.config.sources if s.enabled]
        for source in enabled:
            self._add_source_job(source, first=self._first_run(source))
        self._schedule_digest()
        self.scheduler.add_job(
            self._watch_config, "interval", seconds=WATCH_EVERY, id="watch-config",
            coalesce=True, max_instances=1, misfire_grace_time=30,
        )
        # Watch notifications: their own job and database connection, so a slow receiver never
        # holds the collector (retries of failed deliveries come due here too).
        self.scheduler.add_job(
            self._deliver, "interval", seconds=max(1.0, DELIVER_EVERY * self.scale), id="deliveries",
            coalesce=True, max_instances=1, misfire_grace_time=30,
        )
        self.collector = threading.Thread(target=self._collector_loop, name="veille-collector")
        self.collector.start()
        self.scheduler.start()
        scale = f" (time scale {self.scale:g})" if self.scale != 1.0 else ""
        log.info(
            "started: %d sources from %s, database %s%s", len(enabled), self.env.config_path,
            self.env.db_path, scale,
        )
        log.info("digest: daily at %s (%s), next %s", self._digest_options()["time"].strftime("%H:%M"),
                 self.tz.key, local_time(self._next_run("digest"), self.tz))
        for source in enabled:
            log.info("source %s: every %s, next %s", source.id, every_text(source.every, self.scale),
                     local_time(self._next_run(f"source:{source.id}"), self.tz))

    def stop(self) -> bool:
        """Stop scheduling, cancel the collection in progress at its next await, let its writes
        finish. True when everything stopped in time."""
        self.stopping.set()
        self.wake.set()
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        clean = True
        if self.collector is not None and self.collector.is_alive():
            if self.collecting:
                log.info("stopping: abandoning the fetches in progress")
            self.collector.join(STOP_GRACE)
            clean = not self.collector.is_alive()
        if self.web is not None:
            self.web.stop()
        if self.store is not None and clean:
            with self.write_lock:
                self.store.close()
        if self.pool is not None:
            self.pool.shutdown(wait=clean, cancel_futures=True)
        return clean

    def abort(self, code: int) -> None:
        """Exit now, but never while a write transaction is open."""
        acquired = self.write_lock.acquire(timeout=3)
        log.warning("exiting at once%s", "" if acquired else " (a write did not finish in 3 s)")
        logging.shutdown()
        os._exit(code)

    # --- sources -------------------------------------------------------------------------------

    def _first_run(self, source: Source) -> datetime:
        """Now for a source never fetched or already due, else its due time; plus jitter."""
        row = self._source_row(source.id)
        when = due_at(row, self.scale) if row and row.get("config_url") == source.url else None
        now = datetime.now(UTC)
        if when is None or when <= now:
            return now  # due now: collected in the first batch, together with the others
        return when + timedelta(seconds=random.uniform(0, timing(source, self.scale).jitter))

    def _source_row(self, source_id: str) -> dict | None:
        """Read with a connection of its own: the Store's belongs to the collector thread."""
        import sqlite3

        if not os.path.exists(self.env.db_path):
            return None
        conn = sqlite3.connect(f"file:{self.env.db_path}?mode=ro", uri=True)
        conn.row_factory = sqlite3.Row
        try:
            row = conn.execute("select * from sources where id = ?", [source_id]).fetchone()
        except sqlite3.Error:
            return None
        finally:
            conn.close()
        return dict(row) if row else None

    def _add_source_job(self, source: Source, first: datetime | None = None) -> None:
        t = timing(source, self.scale)
        self.scheduler.add_job(
            self._source_due, "interval", args=[source.id], id=f"source:{source.id}",
            name=source.id, seconds=t.interval, jitter=t.jitter, coalesce=True, max_instances=1,
            misfire_grace_time=t.misfire_grace, replace_existing=True,
            next_run_time=first or datetime.now(UTC),
        )

    def _source_due(self, source_id: str) -> None:
        self.request([source_id])

    def request(self, source_ids: Iterable[str]) -> None:
        with self.pending_lock:
            self.pending.update(source_ids)
        self.wake.set()

    def _collector_loop(self) -> None:
        while not self.stopping.is_set():
            if not self.wake.wait(0.5):
                continue
            # Sources firing within the batching window are collected together.
            if self.stopping.wait(BATCH_WINDOW):
                break
            with self.pending_lock:
                ids, self.pending = sorted(self.pending), set()
                self.wake.clear()
            if ids:
                try:
                    self._collect(ids)
                except Exception:  # noqa: BLE001 - the service outlives one bad collection
                    log.exception("collection failed unexpectedly; next attempt at the next due time")
            if self.digest_now and not self.stopping.is_set():
                self.digest_now = False
                try:
                    self.run_digest(now=True)
                except Exception:  # noqa: BLE001 - a digest or mail failure never stops collecting
                    log.exception("the digest failed unexpectedly; collection goes on")

    def _collect(self, ids: list[str]) -> None:
        from veille.pipeline import collect

        assert self.store is not None
        config = self.config
        rows = {r["id"]: r for r in self.store.source_rows()}
        now = datetime.now(UTC)
        chosen = []
        for sid in ids:
            source = config.source(sid)
            if source is None or not source.enabled:
                continue
            row = rows.get(sid)
            when = due_at(row, self.scale) if row and row.get("config_url") == source.url else None
            # A source in backoff waits for its next_fetch_at (one second of slack for clocks).
            errors = (row or {}).get("error_count")
            if when is not None and when > now + timedelta(seconds=1) and errors:
                log.info("waiting %s: backoff after %d errors, next try %s", sid, errors, local_time(when, self.tz))
                self._reschedule(source, when)
                continue
            chosen.append(sid)
        if not chosen:
            return
        log.info("collecting %d source%s: %s", len(chosen), "s" if len(chosen) > 1 else "", ", ".join(chosen))
        started = time.monotonic()
        self.collecting = True
        try:
            results = collect(config, self.store, chosen, only_due=False, executor=self.pool, stop=self.stopping)
        finally:
            self.collecting = False
        if self.stopping.is_set() and len(results) < len(chosen):
            log.info("collection interrupted by the stop request; its finished sources are saved")
        self.collections += 1
        rows = {r["id"]: r for r in self.store.source_rows()}
        for r in results:
            source = config.source(r.source_id)
            nxt = None
            if source is not None and r.outcome != "skipped":
                nxt = self._reschedule(source, due_at(rows.get(r.source_id), self.scale))
            log.log(logging.WARNING if r.outcome == "error" else logging.INFO, "%s", result_line(r, nxt, self.tz))
        new = sum(r.items_new for r in results)
        errors = sum(r.outcome == "error" for r in results)
        log.info(
            "collection done in %.1f s: %s, %s", time.monotonic() - started, plural(new, "new item"), plural(errors, "error")
        )
        hint = offline_hint(config, results)
        if hint:
            log.warning("%s", hint)
        if config.watches and self.scheduler is not None and self.scheduler.running:
            with contextlib.suppress(Exception):  # the job is gone when the service is stopping
                self.scheduler.modify_job("deliveries", next_run_time=datetime.now(self.tz))

    def _deliver(self) -> None:
        """Send the notifications the watches queued, and retry the failed ones that are due.
        Its own short-lived connection: a slow receiver never holds the collector's."""
        from veille.alerts import deliver_due

        if not self.config.watches or self.stopping.is_set():
            return
        try:
            with ServiceStore(self.env.db_path, self.write_lock) as store:
                report = deliver_due(store, self.config.settings)
        except Exception as e:  # noqa: BLE001 - logged; the next run retries
            log.error("watch notifications not delivered: %s", e)
            return
        if report.sent or report.failed:
            log.info("watch notifications: %d sent, %d failed (retried with backoff)", report.sent, report.failed)

    def _reschedule(self, source: Source, when: datetime | None) -> datetime | None:
        """Move the source's job to its next due time (plus jitter); return the new run time."""
        if self.scheduler is None or self.stopping.is_set():
            return None
        t = timing(source, self.scale)
        now = datetime.now(UTC)
        when = max(when or now, now) + timedelta(seconds=random.uniform(0, t.jitter))
        with contextlib.suppress(Exception):  # the job was removed by a config reload meanwhile
            self.scheduler.modify_job(f"source:{source.id}", next_run_time=when)
            return when
        return None

    # --- feeds.yaml ----------------------------------------------------------------------------

    def _watch_config(self) -> None:
        new = self.config_watch.poll()
        if new is not None:
            self.apply_config(new)

    def apply_config(self, new: Config) -> None:
        old, self.config = self.config, new
        added, removed, changed = config_changes(old, new)
        for sid in removed:
            with contextlib.suppress(Exception):  # already gone
                self.scheduler.remove_job(f"source:{sid}")
            log.info("source %s removed or disabled in %s: no longer collected", sid, self.env.config_path)
        for source in changed:
            self._add_source_job(source, first=datetime.now(UTC) + timedelta(seconds=timing(source, self.scale).interval))
            log.info("source %s: now every %s", source.id, every_text(source.every, self.scale))
        for source in added:
            self._add_source_job(source, first=self._first_run(source))
            log.info("source %s added: collecting it now, then every %s", source.id, every_text(source.every, self.scale))
        old_digest = (old.settings.timezone, old.settings.section("digest"))
        if old_digest != (new.settings.timezone, new.settings.section("digest")):
            self.tz = ZoneInfo(new.settings.timezone)
            self._schedule_digest()
        if not (added or removed or changed):
            log.info("%s changed; sources unchanged", self.env.config_path)

    # --- digest --------------------------------------------------------------------------------

    def _digest_options(self) -> dict[str, Any]:
        from veille.digest import digest_settings

        return digest_settings(self.config.settings)

    def _schedule_digest(self) -> None:
        at = self._digest_options()["time"]
        self.scheduler.add_job(
            self.run_digest, "cron", hour=at.hour, minute=at.minute, timezone=self.tz, id="digest",
            coalesce=True, max_instances=1, misfire_grace_time=DIGEST_MISFIRE_GRACE, replace_existing=True,
        )

    def run_digest(self, now: bool = False) -> list[str]:
        """Write (and mail) the day's digest; see service_digest.run_digest."""
        return run_digest(self.env.db_path, self.config.settings, self.tz, now=now,
                          next_run=lambda: self._next_run("digest"))

    def _next_run(self, job_id: str) -> datetime | None:
        """When a job of the running scheduler runs next (None: no such job, or not running)."""
        if self.scheduler is None or not self.scheduler.running:
            return None
        job = self.scheduler.get_job(job_id)
        return job.next_run_time if job else None
