"""The service's log: one line per event on stderr, times in settings.timezone, and the text of
the lines that report a collection and the next runs."""

from __future__ import annotations

import logging
import sys
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from veille.models import SourceResult

log = logging.getLogger("veille.run")


def setup_logging(verbose: bool, tz: ZoneInfo) -> None:
    handler = logging.StreamHandler(sys.stderr)
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S")
    # Log times in settings.timezone, like the "next run" times in the messages.
    def converter(ts: float | None) -> time.struct_time:
        return datetime.fromtimestamp(time.time() if ts is None else ts, tz).timetuple()

    formatter.converter = converter
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    # One line per event: the libraries' own chatter (each HTTP request, each job start) only
    # with --verbose.
    for name in ("apscheduler", "httpx", "httpcore", "uvicorn", "uvicorn.error", "datasette", "asyncio"):
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.WARNING)


def local_time(moment: datetime | None, tz: ZoneInfo) -> str:
    """A run time as the log shows it: the time alone today, else with the date; "now" for None."""
    if moment is None:
        return "now"
    local = moment.astimezone(tz)
    today = datetime.now(tz).date()
    return local.strftime("%H:%M:%S") if local.date() == today else local.strftime("%Y-%m-%d %H:%M:%S")


def every_text(seconds: int, scale: float) -> str:
    """A source's interval as feeds.yaml writes it, and what the time scale made of it."""
    from veille.backoff import format_every

    text = format_every(seconds)
    return text if scale == 1.0 else f"{text} (scaled to {seconds * scale:g} s)"


def result_line(r: SourceResult, nxt: datetime | None, tz: ZoneInfo) -> str:
    """The log line of one source's collection."""
    when = f"; next {local_time(nxt, tz)}" if nxt else ""
    if r.outcome == "error":
        return f"failed {r.source_id}: {r.error}{when}"
    if r.outcome == "skipped":
        return f"skipped {r.source_id}: {r.error}"
    if r.outcome == "not_modified":
        return f"collected {r.source_id}: unchanged{when}"
    return f"collected {r.source_id}: {r.counts}{when}"
