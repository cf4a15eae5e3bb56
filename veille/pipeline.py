"""collect(): the stages in order, errors caught per source. One failing source never stops the
others; each source's results land in one transaction after its network work is done."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import sqlite3
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from veille.backoff import next_fetch
from veille.errors import StoreError, VeilleError
from veille.fetch import Fetcher
from veille.fetch_guard import AddressPolicy, address_is_public
from veille.kinds import fetch_source
from veille.models import Config, Fetched, Source, SourceResult, SourceState
from veille.normalise import MAX_CONTENT, cap, clean_name, clean_text, utc_iso
from veille.process import LazyPool, Processed, process_call, process_document, tag_item
from veille.store import Store
from veille.store_write import SourceWrite, WriteOutcome
from veille.writer import Writer

if TYPE_CHECKING:  # the dedup, tagging and full-text modules are imported when an item needs them
    from veille.fulltext import FulltextSettings
    from veille.stories import StoryBook

Progress = Callable[[SourceResult, int, int], None]
# Below this many sources, parsing in the event loop's process beats starting worker processes.
POOL_THRESHOLD = 8


def decide(
    source: Source,
    state: SourceState,
    fetched: Fetched,
    processed: Processed | None,
    now: datetime,
    rng: random.Random | None = None,
) -> tuple[str, str | None, dict, dict]:
    """Pure: (outcome, error, fetch_row, source_update) for one fetch of one source."""
    error = fetched.error or (processed.error if processed else None)
    if error:  # server text may be in it (a reason phrase, a parser's excerpt): no escapes stored
        error = clean_name(error, 1000)
    fetch_row = {
        "source_id": source.id,
        "started_at": utc_iso(fetched.started_at),
        "duration_ms": fetched.duration_ms,
        "http_status": fetched.status,
        "error": error,
    }
    update: dict[str, object] = {"last_fetch_at": utc_iso(now), "last_status": fetched.status}
    if fetched.permanent_url and not fetched.error:
        update["url"] = fetched.permanent_url
    if error:
        errors = state.error_count + 1
        update.update(last_error=error, error_count=errors)
        update["next_fetch_at"] = utc_iso(
            next_fetch(now, source.every, error_count=errors, retry_after=fetched.retry_after, rng=rng)
        )
        if fetched.gone:
            update.update(enabled=0, disabled_reason="HTTP 410 Gone: the publisher removed this feed")
        fetch_row["outcome"] = "error"
        return "error", error, fetch_row, update
    update.update(
        last_success_at=utc_iso(now),
        last_error=None,
        error_count=0,
        next_fetch_at=utc_iso(next_fetch(now, source.every, retry_after=fetched.retry_after, rng=rng)),
    )
    if fetched.etag is not None or fetched.status == 200:
        update["etag"] = fetched.etag if fetched.status == 200 else state.etag
    if fetched.status == 200:
        update["last_modified"] = fetched.last_modified
        update["body_hash"] = fetched.body_hash
    if processed is None:  # 304, or a body identical to the last one
        fetch_row["outcome"] = "not_modified"
        return "not_modified", None, fetch_row, update
    fetch_row["outcome"] = "new"
    return "new", None, fetch_row, update


class Collector:
    """Fetches on the event loop, parses in worker processes, and writes in one writer thread:
    every database call of a collect goes through ``_db``, so the loop never waits for SQLite
    (a source's transaction, a busy database's retries) and there is only ever one writer."""

    def __init__(
        self, config: Config, store: Store, *, executor: Executor | None = None,
        is_public: AddressPolicy = address_is_public,
    ):
        self.config = config
        self.store = store
        self.executor = executor
        self.is_public = is_public  # which addresses count as public (tests play the internet on 127.0.0.1)
        self._stories: StoryBook | None = None
        self._extractions = asyncio.Semaphore(2)  # trafilatura child processes at once
        self._pool_start = asyncio.Lock()
        self.new_ids: list[str] = []  # every item this collect stored for the first time
        self._writer = Writer(store)
        # Sources between their fetch and their write. When parsing or writing falls behind the
        # network, fetching waits instead of piling documents up in memory (3,000 feeds).
        self._in_progress = asyncio.Semaphore(max(2 * config.settings.concurrency, 64))

    @property
    def stories(self) -> StoryBook:
        """The story index of this collect, made when the first new document is written (a run
        where nothing changed does not import the dedup modules)."""
        if self._stories is None:
            self._stories = self.store.story_book(datetime.now(UTC))
        return self._stories

    async def _db(self, call: Callable[..., object], *args: object, **kwargs: object) -> Any:
        """Run a Store call in the writer thread. Once started, a call runs to its end even if
        the awaiting task is cancelled."""
        return await asyncio.wrap_future(self._writer.call(call, *args, **kwargs))

    async def _write(self, source: Source, **kwargs: Any) -> WriteOutcome:
        """Write one source's fetch, whole or not at all; the writer commits the writes that
        are waiting together (veille.writer)."""
        result: WriteOutcome = await asyncio.wrap_future(self._writer.write(SourceWrite(source, **kwargs)))
        return result

    def close(self) -> None:
        """Wait for the writes under way (called once the event loop is done with them)."""
        self._writer.close()

    async def _process(self, source: Source, fetched: Fetched, fetched_at: datetime) -> Processed:
        assert fetched.body is not None
        kwargs = dict(
            url=fetched.url,
            content_type=fetched.header("content-type"),
            source_id=source.id,
            source_lang=source.lang,
            source_specialties=source.specialties,
            fetched_at=fetched_at,
            max_items=self.config.settings.max_items,
            kind=source.kind,
            options=source.options,
            previous=await self._db(self.store.previous_page_text, source.id) if source.kind == "page" else None,
        )
        if self.executor is None:
            return process_document(fetched.body, **kwargs)  # type: ignore[arg-type]
        loop = asyncio.get_running_loop()
        if isinstance(self.executor, LazyPool) and not self.executor.started:
            # The first document starts the workers, in a thread: the loop goes on fetching.
            async with self._pool_start:
                await asyncio.to_thread(self.executor.start)
        return await loop.run_in_executor(
            self.executor, process_call, fetched.body, kwargs
        )

    async def _article_text(
        self, fetcher: Fetcher, source: Source, url: str, conf: FulltextSettings
    ) -> tuple[str | None, str | None]:
        """(main text, error) of one article page. Links come from feed content, a third party's
        choice even when the source is a bridge on 127.0.0.1: public addresses only, every hop."""
        from veille.fulltext import ExtractionFailed, extract_killable

        page = await fetcher.fetch(
            source, url=url, require_public=True,
            max_bytes=conf.max_bytes, deadline=conf.deadline,
            headers={"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"},
        )
        if page.error or not page.body:
            return None, page.error or "empty page"
        async with self._extractions:
            try:
                extracted = await extract_killable(page.body, page.url, conf)
            except ExtractionFailed as e:
                return None, str(e)
        if extracted is None:
            return None, "no main text on the page"
        return cap(clean_text(extracted.text, keep_newlines=True), MAX_CONTENT), None

    async def _with_fulltext(self, fetcher: Fetcher, source: Source, state: SourceState, processed: Processed) -> Processed:
        """Replace the content of the new items with their article's main text (``fulltext: true``).
        An article that cannot be read leaves its item as the feed gave it."""
        from veille.fulltext import FulltextSettings

        conf = FulltextSettings.from_settings(self.config.settings)
        known = await self._db(self.store.known_item_ids, [i.id for i in processed.items])
        todo = [i for i in processed.items if i.id not in known and i.url][: conf.max_items]
        if not todo:
            return processed
        results = await asyncio.gather(*(self._article_text(fetcher, source, i.url or "", conf) for i in todo))
        texts = {item.id: text for item, (text, _) in zip(todo, results, strict=True) if text}
        errors = [error for _, error in results if error]
        items = tuple(replace(i, content=texts[i.id]) if i.id in texts else i for i in processed.items)
        tags = tuple(
            (item_id_, tag_item(item, source.specialties)) if item_id_ in texts else (item_id_, tagging)
            for (item_id_, tagging), item in zip(processed.tags, items, strict=True)
        )
        warning = processed.warning
        if errors:
            note = f"full text: {len(errors)} of {len(todo)} article pages not read ({errors[0]})"
            warning = f"{warning}; {note}" if warning else note
        return replace(processed, items=items, tags=tags, warning=warning)

    async def collect_source(self, fetcher: Fetcher, source: Source, state: SourceState) -> SourceResult:
        """Collect one source. Whatever its data makes fail (an unexpected exception in a kind's
        fetch, a parser, the store) is this source's error, recorded on it; the run goes on."""
        async with self._in_progress:
            try:
                return await self._collect_source(fetcher, source, state)
            except Exception as e:  # noqa: BLE001 - see the docstring; cancellation still propagates
                return await self._record_failure(source, state, f"unexpected error ({type(e).__name__}: {e})")

    async def _record_failure(self, source: Source, state: SourceState, error: str) -> SourceResult:
        error = error.encode("utf-8", "backslashreplace").decode("utf-8")[:500]
        now = datetime.now(UTC)
        failed = Fetched(source_id=source.id, url=state.url or source.url, started_at=now, duration_ms=0, error=error)
        _, _, fetch_row, update = decide(source, state, failed, None, now)
        with contextlib.suppress(VeilleError, sqlite3.Error):
            await self._write(source, items=None, fetch_row=fetch_row, source_update=update, now=now)
        return SourceResult(source.id, "error", error=error)

    async def _collect_source(self, fetcher: Fetcher, source: Source, state: SourceState) -> SourceResult:
        fetched = await fetch_source(fetcher, source, state, self.config.settings)
        now = datetime.now(UTC)
        processed: Processed | None = None
        if fetched.error is None and fetched.status == 200 and fetched.body_hash != state.body_hash:
            try:
                processed = await self._process(source, fetched, now)
                if source.fulltext and processed.items and not processed.error:
                    processed = await self._with_fulltext(fetcher, source, state, processed)
            except Exception as e:  # noqa: BLE001 - a parser crash is this source's error only
                processed = Processed(error=f"could not read the document ({type(e).__name__}: {e})")
        outcome, error, fetch_row, update = decide(source, state, fetched, processed, now)
        items = processed.items if processed and not processed.error else None
        try:
            written = await self._write(
                source,
                items=items,
                fetch_row=fetch_row,
                source_update=update,
                now=now,
                tags=dict(processed.tags) if processed else None,
                features=dict(processed.features) if processed else None,
                stories=self.stories if items else None,
            )
        except (VeilleError, sqlite3.Error) as e:
            # The source's transaction was rolled back whole; record the failure on its own,
            # and make sure the next run fetches the document again (no validators kept).
            error = f"could not store: {e}"
            failed = Fetched(
                source_id=source.id, url=fetched.url, started_at=fetched.started_at,
                duration_ms=fetched.duration_ms, status=fetched.status, error=error,
            )
            _, _, fetch_row, update = decide(source, state, failed, None, now)
            with contextlib.suppress(VeilleError, sqlite3.Error):
                await self._write(source, items=None, fetch_row=fetch_row, source_update=update, now=now)
            return SourceResult(source.id, "error", error=error, http_status=fetched.status)
        self.new_ids.extend(written.new_ids)  # for the watches, matched once the collect is done
        return SourceResult(
            source_id=source.id,
            outcome=outcome,
            items_new=len(written.new_ids),
            items_seen=written.seen,
            error=error,
            http_status=fetched.status,
            duration_ms=fetched.duration_ms,
            warning=processed.warning if processed else None,
        )

    async def collect(
        self,
        sources: Sequence[Source],
        progress: Progress | None = None,
        stop: threading.Event | None = None,
    ) -> list[SourceResult]:
        """Collect concurrently. When ``stop`` is set, the sources still on the network are
        abandoned at their next await; a source's write, once started in the writer thread,
        is never cut (``close`` waits for it)."""
        states = self.store.states()
        results: list[SourceResult] = []
        if stop is not None and stop.is_set():
            return results
        async with Fetcher(self.config.settings, is_public=self.is_public) as fetcher:
            tasks = [
                asyncio.create_task(self.collect_source(fetcher, s, states.get(s.id, SourceState(id=s.id))))
                for s in sources
            ]
            watcher = asyncio.create_task(_cancel_on(stop, tasks)) if stop is not None else None
            for future in asyncio.as_completed(tasks):
                try:
                    result = await future
                except asyncio.CancelledError:
                    continue
                results.append(result)
                if progress:
                    progress(result, len(results), len(tasks))
            if watcher is not None:
                watcher.cancel()
        order = {s.id: i for i, s in enumerate(sources)}
        return sorted(results, key=lambda r: order[r.source_id])


async def _cancel_on(stop: threading.Event, tasks: Sequence[asyncio.Task]) -> None:
    while not stop.is_set():
        await asyncio.sleep(0.1)
    for task in tasks:
        task.cancel()


def select_sources(
    config: Config, store: Store, source_ids: Sequence[str] = (), *, only_due: bool = False
) -> tuple[list[Source], list[SourceResult]]:
    """The sources to collect now, and a 'skipped' result for each named one that cannot be."""
    states = store.states()
    skipped: list[SourceResult] = []
    if source_ids:
        chosen = []
        for sid in source_ids:
            source = config.source(sid)
            if source is None:
                raise VeilleError(f"no source with id {sid!r} in {config.path} (see `veille sources list`)")
            chosen.append(source)
    else:
        chosen = [s for s in config.sources if s.enabled]
    now = datetime.now(UTC)
    out = []
    for s in chosen:
        state = states.get(s.id)
        if not s.enabled:
            skipped.append(SourceResult(s.id, "skipped", error="disabled in feeds.yaml"))
        elif state and state.disabled_reason:
            skipped.append(
                SourceResult(s.id, "skipped", error=f"{state.disabled_reason}; `veille sources enable {s.id}` to retry")
            )
        elif only_due and state and state.next_fetch_at and state.next_fetch_at > now:
            continue
        else:
            out.append(s)
    return out, skipped


def collect(
    config: Config,
    store: Store,
    source_ids: Sequence[str] = (),
    *,
    only_due: bool = False,
    progress: Progress | None = None,
    workers: int | None = None,
    executor: Executor | None = None,
    stop: threading.Event | None = None,
    is_public: AddressPolicy = address_is_public,
) -> list[SourceResult]:
    """Collect the chosen sources (all enabled ones by default) and return one result each.

    ``executor``: a process pool for parsing that the caller owns (the service starts one before
    its threads); otherwise one is started here when there are many sources. ``stop``: see
    Collector.collect."""
    try:
        store.sync_sources(config.sources)
    except sqlite3.Error as e:  # "database or disk is full", a read-only file: nothing was changed
        raise StoreError(f"could not record the sources in the database ({e}); nothing was collected") from e
    sources, skipped = select_sources(config, store, source_ids, only_due=only_due)
    own_pool = executor is None
    workers = workers if workers is not None else min(2, os.cpu_count() or 1)
    if own_pool and len(sources) >= POOL_THRESHOLD and workers > 1:
        executor = LazyPool(workers)
    collector = Collector(config, store, executor=executor, is_public=is_public)
    try:
        results = asyncio.run(collector.collect(sources, progress, stop))
    finally:
        collector.close()
        if own_pool and executor is not None:
            executor.shutdown(cancel_futures=True)
        match_watches(config, store, collector.new_ids)
    return skipped + results


def match_watches(config: Config, store: Store, new_ids: Sequence[str]) -> None:
    """Watches see each newly stored item once, after the collect (batched: one notification per
    watch per collect). Only rows are written here; delivery is `alerts.deliver_due`'s job. A
    failure here is logged and never fails the collect (the items are stored already)."""
    from veille.alerts import after_collect

    try:
        after_collect(store, config, new_ids)
    except Exception as e:  # noqa: BLE001 - the collect's results stand whatever the watches do
        logging.getLogger("veille.alerts").error("watches not matched after this collect: %s", e)
