"""collect(): the stages in order, errors caught per source. One failing source never stops the
others; each source's results land in one transaction after its network work is done."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import random
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from veille.backoff import next_fetch
from veille.errors import VeilleError
from veille.fetch import Fetcher
from veille.models import Config, Fetched, Item, Source, SourceResult, SourceState
from veille.normalise import normalise, utc_iso
from veille.parse import parse_document
from veille.store import Store
from veille.stories import StoryBook
from veille.tag import Tagging, default_tagger

Progress = Callable[[SourceResult, int, int], None]
# Below this many sources, parsing in the event loop's process beats starting worker processes.
POOL_THRESHOLD = 8


@dataclass(frozen=True)
class Processed:
    """A fetched document after parse and normalise (computed outside any transaction)."""

    items: tuple[Item, ...] = ()
    tags: tuple[tuple[str, Tagging], ...] = ()  # item id -> specialties and type
    error: str | None = None
    warning: str | None = None


def process_document(
    body: bytes,
    *,
    url: str,
    content_type: str | None,
    source_id: str,
    source_lang: str | None,
    source_specialties: tuple[str, ...] = (),
    fetched_at: datetime,
    max_items: int,
) -> Processed:
    """Bytes -> tagged Items. Pure CPU work, run in a worker process when there are many sources."""
    try:
        feed = parse_document(body, url=url, content_type=content_type, max_items=max_items)
    except VeilleError as e:
        return Processed(error=str(e))
    items = []
    lang = source_lang or feed.lang
    for entry in feed.entries:
        item = normalise(entry, source_id=source_id, base_url=url, fetched_at=fetched_at, lang=lang)
        if item is not None:
            items.append(item)
    if not items and feed.entries:
        return Processed(error="the feed's entries have neither a title nor a link", warning=feed.warning)
    tagger = default_tagger()
    tags = tuple(
        (item.id, tagger.tag(item.title, f"{item.summary}\n{item.content}", source_specialties))
        for item in items
    )
    return Processed(items=tuple(items), tags=tags, warning=feed.warning)


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
    def __init__(self, config: Config, store: Store, *, executor: Executor | None = None):
        self.config = config
        self.store = store
        self.executor = executor
        self.stories: StoryBook = store.story_book(datetime.now(UTC))

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
        )
        if self.executor is None:
            return process_document(fetched.body, **kwargs)  # type: ignore[arg-type]
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self.executor, _process_call, fetched.body, kwargs
        )

    async def collect_source(self, fetcher: Fetcher, source: Source, state: SourceState) -> SourceResult:
        fetched = await fetcher.fetch(source, state)
        now = datetime.now(UTC)
        processed: Processed | None = None
        if fetched.error is None and fetched.status == 200 and fetched.body_hash != state.body_hash:
            try:
                processed = await self._process(source, fetched, now)
            except Exception as e:  # noqa: BLE001 - a parser crash is this source's error only
                processed = Processed(error=f"could not read the document ({type(e).__name__}: {e})")
        outcome, error, fetch_row, update = decide(source, state, fetched, processed, now)
        items = processed.items if processed and not processed.error else None
        try:
            written = self.store.write_source(
                source,
                items=items,
                fetch_row=fetch_row,
                source_update=update,
                now=now,
                tags=dict(processed.tags) if processed else None,
                stories=self.stories,
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
                self.store.write_source(source, items=None, fetch_row=fetch_row, source_update=update, now=now)
            return SourceResult(source.id, "error", error=error, http_status=fetched.status)
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

    async def collect(self, sources: Sequence[Source], progress: Progress | None = None) -> list[SourceResult]:
        states = self.store.states()
        results: list[SourceResult] = []
        async with Fetcher(self.config.settings) as fetcher:
            tasks = [
                asyncio.create_task(self.collect_source(fetcher, s, states.get(s.id, SourceState(id=s.id))))
                for s in sources
            ]
            for task in asyncio.as_completed(tasks):
                result = await task
                results.append(result)
                if progress:
                    progress(result, len(results), len(tasks))
        order = {s.id: i for i, s in enumerate(sources)}
        return sorted(results, key=lambda r: order[r.source_id])


def _process_call(body: bytes, kwargs: dict) -> Processed:
    return process_document(body, **kwargs)


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
) -> list[SourceResult]:
    """Collect the chosen sources (all enabled ones by default) and return one result each."""
    store.sync_sources(config.sources)
    sources, skipped = select_sources(config, store, source_ids, only_due=only_due)
    executor: Executor | None = None
    workers = workers if workers is not None else min(2, os.cpu_count() or 1)
    default_tagger()  # built once here, shared with forked workers
    if len(sources) >= POOL_THRESHOLD and workers > 1:
        # Parsing is CPU-bound: use the second core. Start the workers before the event loop
        # (and its resolver threads) exists, so forking is safe.
        executor = ProcessPoolExecutor(max_workers=workers)
        list(executor.map(int, range(workers)))
    try:
        results = asyncio.run(Collector(config, store, executor=executor).collect(sources, progress))
    finally:
        if executor is not None:
            executor.shutdown(cancel_futures=True)
    return skipped + results
