"""Main text of web pages with trafilatura, in a process that can be killed.

trafilatura has no time limit as a library (its issues report runs that never ended and
MemoryErrors on odd pages), so every extraction runs in a child process with a hard timeout and a
memory cap; on timeout the child is killed and the caller gets None. Children are forked from a
forkserver that has trafilatura already imported, so starting one costs a few milliseconds, and
forking never happens from the collector's threaded event loop.

Used by ``fulltext: true`` sources (the article page of each new item) and by ``kind: page``.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import multiprocessing.connection
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from veille.models import Settings

DEFAULTS = {
    "timeout": 10.0,  # seconds for one extraction, then the child is killed
    "deadline": 15.0,  # seconds to download one article page
    "max_bytes": 2 * 1024 * 1024,  # article pages larger than this are not extracted
    "max_items": 20,  # article pages fetched per source and collect
    "max_memory_mb": 1024,  # address-space cap of the extraction process
}
MAX_TEXT = 200_000


@dataclass(frozen=True)
class FulltextSettings:
    timeout: float = DEFAULTS["timeout"]
    deadline: float = DEFAULTS["deadline"]
    max_bytes: int = int(DEFAULTS["max_bytes"])
    max_items: int = int(DEFAULTS["max_items"])
    max_memory_mb: int = int(DEFAULTS["max_memory_mb"])

    @classmethod
    def from_settings(cls, settings: Settings) -> FulltextSettings:
        section = settings.section("fulltext")
        values: dict[str, Any] = {}
        for key, default in DEFAULTS.items():
            value = section.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
                values[key] = type(default)(value)
        return cls(**values)


@dataclass(frozen=True)
class Extracted:
    """What trafilatura found on a page: its title and main text (plain, paragraphs on lines)."""

    title: str | None
    text: str


def extract(html: bytes, url: str | None) -> Extracted | None:
    """trafilatura, in this process. Only call it where it can be killed (see ``extract_killable``)."""
    import trafilatura

    doc = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=True,
        include_images=False, include_links=False, deduplicate=False,
    )
    if doc is None:
        return None
    text = (getattr(doc, "text", None) or "").strip()
    if not text:
        return None
    title = getattr(doc, "title", None)
    return Extracted(title=title.strip() if isinstance(title, str) and title.strip() else None, text=text[:MAX_TEXT])


# --- killable child processes ----------------------------------------------------------------

_context: Any = None


def _mp_context() -> Any:
    global _context
    if _context is None:
        try:
            forkserver = multiprocessing.get_context("forkserver")
            forkserver.set_forkserver_preload(["veille.fulltext", "trafilatura"])
            _context = forkserver
        except ValueError:  # no forkserver on this platform
            _context = multiprocessing.get_context("spawn")
    return _context


def _child(conn: multiprocessing.connection.Connection, memory_mb: int, func: Callable[..., Any], args: tuple) -> None:
    try:
        import resource

        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):
        pass
    try:
        result: tuple[str, Any] = ("ok", func(*args))
    except MemoryError:
        result = ("error", f"ran out of memory (over {memory_mb} MB)")
    except Exception as e:  # noqa: BLE001 - reported to the parent, which stores the item anyway
        result = ("error", f"{type(e).__name__}: {e}"[:300])
    try:
        conn.send(result)
    finally:
        conn.close()


class ExtractionFailed(Exception):
    """The child timed out, crashed or raised; the message says which."""


def run_killable(func: Callable[..., Any], args: tuple, *, timeout: float, memory_mb: int = 1024) -> Any:
    """Run ``func(*args)`` in a child process; kill it after ``timeout`` seconds. Blocking.
    ``func`` and its arguments must be picklable (module-level functions, bytes, str)."""
    ctx = _mp_context()
    receiver, sender = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(sender, memory_mb, func, args), daemon=True)
    started = time.monotonic()
    process.start()
    sender.close()
    try:
        remaining = timeout - (time.monotonic() - started)
        if not receiver.poll(max(0.0, remaining)):
            raise ExtractionFailed(f"gave up after {timeout:g} s")
        try:
            status, value = receiver.recv()
        except (EOFError, OSError) as e:
            raise ExtractionFailed(f"the extraction process died (exit code {process.exitcode})") from e
        if status != "ok":
            raise ExtractionFailed(str(value))
        return value
    finally:
        receiver.close()
        if process.is_alive():
            process.kill()
        process.join(timeout=5)
        with contextlib.suppress(ValueError):
            process.close()


async def extract_killable(html: bytes, url: str | None, settings: FulltextSettings) -> Extracted | None:
    """Main text of ``html``, or None when there is none; raises ExtractionFailed on timeout,
    crash or memory exhaustion. Pages above ``max_bytes`` are refused without extraction."""
    if len(html) > settings.max_bytes:
        raise ExtractionFailed(f"page larger than {settings.max_bytes} bytes, not extracted")
    return await asyncio.to_thread(
        run_killable, extract, (html, url), timeout=settings.timeout, memory_mb=settings.max_memory_mb
    )
