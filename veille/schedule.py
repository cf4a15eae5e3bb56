"""`veille run`: collect every source at its own interval, write the daily digest, optionally
serve Datasette, all in one process.

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
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import signal
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import click

from veille.cli import CONTEXT, Env, UsageProblem, offline_hint, pass_env, plural, user_errors
from veille.errors import ConfigError, VeilleError
from veille.models import Config, Source, SourceResult
from veille.store import Store

log = logging.getLogger("veille.run")

TIME_SCALE_ENV = "VEILLE_TIME_SCALE"
BATCH_WINDOW = 0.5  # seconds to wait for other sources due at the same moment
DELIVER_EVERY = 60  # seconds between two passes over the notification queue
WATCH_EVERY = 1.0  # seconds between two looks at feeds.yaml
STOP_GRACE = 5.0  # seconds a stop request waits for the collection in progress
MAX_JITTER = 300.0  # seconds, before scaling
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


@dataclass(frozen=True)
class Timing:
    """A source's job parameters, in real seconds (after the time scale)."""

    interval: float
    jitter: float
    misfire_grace: int


def timing(source: Source, scale: float = 1.0) -> Timing:
    interval = source.every * scale
    jitter = min(source.every * 0.1, MAX_JITTER) * scale
    return Timing(interval, jitter, max(60, int(interval)))


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def due_at(row: dict | None, scale: float = 1.0) -> datetime | None:
    """When a source may be fetched again (None: now). With a time scale, the wait that
    collect() decided (interval or backoff) is shortened by the same factor."""
    if row is None:
        return None
    nxt, last = _parse(row.get("next_fetch_at")), _parse(row.get("last_fetch_at"))
    if nxt is None:
        return None
    if last is None or scale == 1.0:
        return nxt
    return last + (nxt - last) * scale


def config_changes(old: Config, new: Config) -> tuple[list[Source], list[str], list[Source]]:
    """Pure: (sources to add, ids to remove, sources whose interval changed) between two configs."""
    before = {s.id: s for s in old.sources if s.enabled}
    after = {s.id: s for s in new.sources if s.enabled}
    added = [s for sid, s in after.items() if sid not in before]
    removed = [sid for sid in before if sid not in after]
    changed = [s for sid, s in after.items() if sid in before and before[sid].every != s.every]
    return added, removed, changed


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


def _local(moment: datetime | None, tz: ZoneInfo) -> str:
    if moment is None:
        return "now"
    local = moment.astimezone(tz)
    today = datetime.now(tz).date()
    return local.strftime("%H:%M:%S") if local.date() == today else local.strftime("%Y-%m-%d %H:%M:%S")


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
        self.config_stamp = self._stamp()
        self.store: ServiceStore | None = None
        self.pool: ProcessPoolExecutor | None = None
        self.scheduler: Any = None
        self.collector: threading.Thread | None = None
        self.web: threading.Thread | None = None
        self.web_server: Any = None
        self.web_error: BaseException | None = None
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
        from veille.pipeline import make_pool

        self.pool = make_pool()
        if self.serve:
            self._start_web()
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
        job = self.scheduler.get_job("digest")
        log.info("digest: daily at %s (%s), next %s", self._digest_options()["time"].strftime("%H:%M"),
                 self.tz.key, _local(job.next_run_time if job else None, self.tz))
        for source in enabled:
            sjob = self.scheduler.get_job(f"source:{source.id}")
            log.info("source %s: every %s, next %s", source.id, _every(source.every, self.scale),
                     _local(sjob.next_run_time if sjob else None, self.tz))

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
        if self.web_server is not None:
            self.web_server.should_exit = True
        if self.web is not None:
            self.web.join(3)
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

    # --- web -----------------------------------------------------------------------------------

    def _start_web(self) -> None:
        from veille.serve import bind_socket, check_host

        check_host(self.host, self.public)
        sock = bind_socket(self.host, self.port)
        ready = threading.Event()

        def run() -> None:
            async def main() -> None:
                server = await self._make_web_server()
                self.web_server = server
                task = asyncio.create_task(server.serve(sockets=[sock]))
                while not server.started and not task.done():
                    await asyncio.sleep(0.05)
                ready.set()
                await task

            try:
                asyncio.run(main())
            except BaseException as e:  # noqa: BLE001 - uvicorn exits with SystemExit on bind errors
                self.web_error = e
            finally:
                ready.set()

        self.web = threading.Thread(target=run, name="veille-web", daemon=True)
        self.web.start()
        ready.wait(30)
        server = self.web_server
        if server is None or not server.started:
            detail = f" ({self.web_error})" if self.web_error and str(self.web_error) else ""
            raise UsageProblem(f"cannot serve Datasette on {self.host}:{self.port}{detail}; is the port in use?")
        shown = "localhost" if self.host == "127.0.0.1" else self.host
        log.info("Datasette on http://%s:%d/", shown, self.port)

    async def _make_web_server(self) -> Any:
        from veille.serve import make_datasette, make_server

        ds = make_datasette(self.env.db_path, self.public, config_path=self.env.config_path)
        await ds.invoke_startup()
        return make_server(ds, self.host, self.port)

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
            if when is not None and when > now + timedelta(seconds=1) and (row or {}).get("error_count"):
                log.info("waiting %s: backoff after %d errors, next try %s", sid, row["error_count"], _local(when, self.tz))
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
            log.log(logging.WARNING if r.outcome == "error" else logging.INFO, "%s", _result_line(r, nxt, self.tz))
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

    def _stamp(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.env.config_path)
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def _watch_config(self) -> None:
        stamp = self._stamp()
        if stamp == self.config_stamp:
            return
        self.config_stamp = stamp
        if stamp is None:
            log.error("%s disappeared; keeping the current sources", self.env.config_path)
            return
        from veille.config import load_config
        from veille.digest import digest_settings

        try:
            new = load_config(self.env.config_path)
            digest_settings(new.settings)
        except (ConfigError, VeilleError) as e:
            log.error("%s is invalid after an edit; keeping the previous configuration: %s",
                      self.env.config_path, " / ".join(str(e).splitlines()))
            return
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
            log.info("source %s: now every %s", source.id, _every(source.every, self.scale))
        for source in added:
            self._add_source_job(source, first=self._first_run(source))
            log.info("source %s added: collecting it now, then every %s", source.id, _every(source.every, self.scale))
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
        """Write the day's digest files (and mail them when configured). `now`: the last 24 hours
        up to this moment, under today's name, instead of the 24 hours up to the digest time."""
        from veille.digest import (
            Period,
            build_digest,
            period_for_date,
            period_since,
            write_digest_files,
        )

        try:
            opts = self._digest_options()
            today = datetime.now(self.tz).date()
            tz = self.config.settings.timezone
            if now:
                since = period_since(timedelta(hours=24), datetime.now(UTC), tz)
                period = Period(since.start, since.end, today.isoformat(), tz)
            else:
                period = period_for_date(today, tz, opts["time"])
            digest = build_digest(
                self.env.db_path, period, lang=opts["lang"], specialties=opts["specialties"],
                types=opts["types"], base_url=opts["base_url"], archive_days=opts["archive_days"],
                settings=self.config.settings,
            )
            paths = write_digest_files(digest, opts["dir"], opts["formats"])
        except Exception as e:  # noqa: BLE001 - logged; tomorrow's digest still runs
            log.error("digest failed: %s", e)
            return []
        job = self.scheduler.get_job("digest") if self.scheduler is not None and self.scheduler.running else None
        log.info("digest %s: %d stories, %d flagged -> %s; next %s", period.label, len(digest.entries),
                 len(digest.alerts), ", ".join(str(p) for p in paths),
                 _local(job.next_run_time if job else None, self.tz))
        if opts["mail_to"]:
            from veille.mail import send_digest

            try:
                send_digest(self.config.settings, digest, opts["mail_to"])
                log.info("digest %s mailed to %s", period.label, ", ".join(opts["mail_to"]))
            except Exception as e:  # noqa: BLE001 - SMTP, DNS, header errors: the files are written
                log.error("digest %s not mailed: %s", period.label, e)
        return [str(p) for p in paths]


def _every(seconds: int, scale: float) -> str:
    from veille.backoff import format_every

    text = format_every(seconds)
    return text if scale == 1.0 else f"{text} (scaled to {seconds * scale:g} s)"


def _result_line(r: SourceResult, nxt: datetime | None, tz: ZoneInfo) -> str:
    when = f"; next {_local(nxt, tz)}" if nxt else ""
    if r.outcome == "error":
        return f"failed {r.source_id}: {r.error}{when}"
    if r.outcome == "skipped":
        return f"skipped {r.source_id}: {r.error}"
    if r.outcome == "not_modified":
        return f"collected {r.source_id}: unchanged{when}"
    return f"collected {r.source_id}: {r.counts}{when}"


def _setup_logging(verbose: bool, tz: ZoneInfo) -> None:
    handler = logging.StreamHandler(sys.stderr)
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S")
    # Log times in settings.timezone, like the "next run" times in the messages.
    formatter.converter = lambda ts: datetime.fromtimestamp(ts, tz).timetuple()  # type: ignore[assignment,method-assign]
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    # One line per event: the libraries' own chatter (each HTTP request, each job start) only
    # with --verbose.
    for name in ("apscheduler", "httpx", "httpcore", "uvicorn", "uvicorn.error", "datasette", "asyncio"):
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.WARNING)


@click.command(context_settings=CONTEXT)
@click.option("--serve", is_flag=True, help="Also serve the Datasette UI from this process.")
@click.option("--host", default=None, help="Address for --serve.  [default: 127.0.0.1, 0.0.0.0 with --public]")
@click.option("-p", "--port", default=8001, show_default=True, type=click.IntRange(0, 65535), help="Port for --serve.")
@click.option("--public", is_flag=True, help="With --serve: listen on every interface; no arbitrary SQL, secrets in URLs hidden.")
@click.option("--digest-now", is_flag=True, help="Also write (and mail) a digest of the last 24 h after the first collection.")
@pass_env
@user_errors
def run_command(env: Env, serve: bool, host: str | None, port: int, public: bool, digest_now: bool) -> None:
    """Run the service: collect each source at its interval, write the daily digest, watch
    feeds.yaml for changes; --serve adds the Datasette UI. Ctrl-C (or SIGTERM) stops cleanly.

    The digest is written at settings.digest.time (07:00) in settings.timezone to
    settings.digest.dir (digests/), and mailed to settings.digest.mail_to when set.

    \b
    Example:
        veille run --serve
        veille --config feeds.yaml --db db/veille.db run --digest-now
    """
    from veille.serve import check_host, default_host

    host = default_host(host, public)
    if serve:
        check_host(host, public)
    service = Service(env, serve=serve, host=host, port=port, digest_now=digest_now, public=public)
    _setup_logging(env.verbose, service.tz)
    stop = threading.Event()
    signals = 0

    def on_signal(signum: int, frame: Any) -> None:
        nonlocal signals
        signals += 1
        name = signal.Signals(signum).name
        if signals == 1:
            log.info("%s received: finishing the writes in progress, then exiting (again to exit at once)", name)
            stop.set()
        else:
            service.abort(128 + signum)

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            service.start()
        except BaseException:
            service.stop()
            raise
        while not stop.wait(0.5):
            if service.web is not None and not service.web.is_alive():
                log.error("the Datasette server stopped: %s", service.web_error or "unknown reason")
                break
        clean = service.stop()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if not clean:
        # The collection did not give up its fetches in time: leave without waiting for it,
        # but only while no transaction is open.
        log.warning("the collection did not stop within %.0f s; its unfinished sources will be fetched next time", STOP_GRACE)
        with service.write_lock:
            logging.shutdown()
            os._exit(0)
    log.info("stopped")
