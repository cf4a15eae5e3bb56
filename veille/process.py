"""What a parsing worker does with a fetched body, away from the event loop: parse, normalise,
tag and compute each item's dedup features (`process_document`, returning a `Processed`), and
the pools of worker processes that run it on the second core (`make_pool` for the service,
`LazyPool` for a single collect)."""

from __future__ import annotations

import multiprocessing
import os
import select
import threading
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from veille.errors import VeilleError
from veille.kinds import parse_source
from veille.models import Item
from veille.normalise import item_id, normalise
from veille.parse import DAMAGED, damage_warning

if TYPE_CHECKING:  # the dedup and tagging modules are imported when an item needs them
    from veille.dedup import Features
    from veille.tag import Tagging


@dataclass(frozen=True)
class Processed:
    """A fetched document after parse and normalise (computed outside any transaction)."""

    items: tuple[Item, ...] = ()
    tags: tuple[tuple[str, Tagging], ...] = ()  # item id -> specialties and type
    features: tuple[tuple[str, Features], ...] = ()  # item id -> what dedup compares
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
    kind: str = "feed",
    options: tuple[tuple[str, object], ...] = (),
    previous: str | None = None,
) -> Processed:
    """Bytes -> tagged Items. Pure CPU work, run in a worker process when there are many sources.
    ``kind`` chooses the parser (see veille.kinds); ``previous`` is a page's last stored text."""
    try:
        feed = parse_source(
            kind, body, url=url, content_type=content_type, options=dict(options),
            max_items=max_items, previous=previous,
        )
    except VeilleError as e:
        return Processed(error=str(e))
    items = []
    lang = source_lang or feed.lang
    for entry in feed.entries:
        item = normalise(entry, source_id=source_id, base_url=url, fetched_at=fetched_at, lang=lang)
        if item is not None and kind == "page":
            # Each version of a page is an item of its own; its URL stays the page's.
            item = replace(item, id=item_id(source_id, item.guid, None))
        if item is not None:
            items.append(item)
    warning = feed.warning
    damaged = bool(warning and warning.startswith(DAMAGED))
    if damaged and warning:
        # Count what is kept after normalising: a truncated document's last entry was often cut
        # before its title or link. A document cut before its first entry is only a warning.
        warning = damage_warning(warning.rsplit("; ", 1)[0], len(items))
    if not items and feed.entries:
        # Entries, none usable: this source's error, in the damage's words when it is damaged.
        return Processed(error=warning if damaged else "the feed's entries have neither a title nor a link")
    tags = tuple((item.id, tag_item(item, source_specialties)) for item in items)
    # Dedup features are computed here too: the story index itself lives in the main process.
    from veille.stories import item_features

    prepared = tuple((item.id, item_features(item)) for item in items)
    return Processed(items=tuple(items), tags=tags, features=prepared, warning=warning)


def tag_item(item: Item, source_specialties: tuple[str, ...]) -> Tagging:
    """Specialties and type of an item: its title, then its summary and content as the body."""
    from veille.tag import default_tagger

    return default_tagger().tag(item.title, f"{item.summary}\n{item.content}", source_specialties)


def process_call(body: bytes, kwargs: dict) -> Processed:
    return process_document(body, **kwargs)


def make_pool(workers: int = 2, *, preload: bool = True) -> ProcessPoolExecutor:
    """Worker processes for parsing (CPU-bound: the second core), for a process that keeps
    them (the service). Call it before starting threads or an event loop: the workers are
    forked, and are all started here. ``preload``: load the tagger first, for the forked
    workers to share."""
    if preload:
        from veille.tag import default_tagger

        default_tagger()
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_exit_with_parent, initargs=(os.getpid(),))
    list(pool.map(int, range(workers)))
    return pool


class LazyPool(Executor):
    """The parsing workers of one collect, started when the first document needs parsing: a
    run where nothing changed starts no process (forking two workers and shutting them down
    cost ~50-80 ms of an unchanged collect's ~1 s).

    The workers come from a fork server (``multiprocessing``'s "forkserver" start method): the
    collect's threads exist by then, and forking a process with threads is unsafe. The server
    imports the parsing stack and loads the tagger once (``veille.worker_preload``), so both
    workers share its pages instead of loading a copy each. ``start`` blocks while the server
    starts (~0.3-0.5 s): call it from a thread (``Collector._process`` does)."""

    def __init__(self, workers: int = 2):
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    @property
    def started(self) -> bool:
        return self._pool is not None

    def start(self) -> None:
        with self._lock:
            if self._pool is not None:
                return
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["veille.worker_preload"])
            pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=context, initializer=_exit_with_parent, initargs=(os.getpid(),),
            )
            list(pool.map(int, range(self.workers)))  # the server and the workers are up
            self._pool = pool

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future:
        self.start()
        assert self._pool is not None
        return self._pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait, cancel_futures=cancel_futures)


def _exit_with_parent(collector: int) -> None:
    """In a worker: exit when the collector that made the pool is gone. A killed collector
    (kill -9, OOM) cannot shut its pool down, and the workers, which hold the other end of their
    own queue, would wait for work forever (and a fork server waits for its workers: they hold
    the collector's end of its "alive" pipe). The collector is the worker's parent with a fork
    pool, its grandparent with a fork server: its pid is watched, through a pidfd where the
    system has them (readable the moment the process ends, zombie or not)."""

    def watch() -> None:
        try:
            fd = os.pidfd_open(collector)
        except (AttributeError, OSError):  # no pidfd here, or the collector is already gone
            while _alive(collector):
                time.sleep(1.0)
            os._exit(0)
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        poller.poll()
        os._exit(0)

    threading.Thread(target=watch, name="veille-parent-watch", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
