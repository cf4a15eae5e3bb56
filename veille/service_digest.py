"""The service's daily digest: the day's digest (or the last 24 hours') written to its files,
then mailed when settings.digest.mail_to is set. Failures are logged; the service goes on."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from veille.models import Settings
from veille.service_log import local_time, log


def run_digest(
    db_path: str, settings: Settings, tz: ZoneInfo, *, now: bool,
    next_run: Callable[[], datetime | None],
) -> list[str]:
    """Write the day's digest files (and mail them when configured). `now`: the last 24 hours
    up to this moment, under today's name, instead of the 24 hours up to the digest time.
    ``next_run``: when the digest job runs next, for the log."""
    from veille.digest import (
        Period,
        build_digest,
        digest_settings,
        period_for_date,
        period_since,
        write_digest_files,
    )

    try:
        opts = digest_settings(settings)
        today = datetime.now(tz).date()
        zone = settings.timezone
        if now:
            since = period_since(timedelta(hours=24), datetime.now(UTC), zone)
            period = Period(since.start, since.end, today.isoformat(), zone)
        else:
            period = period_for_date(today, zone, opts["time"])
        digest = build_digest(
            db_path, period, lang=opts["lang"], specialties=opts["specialties"],
            types=opts["types"], base_url=opts["base_url"], archive_days=opts["archive_days"],
            settings=settings,
        )
        paths = write_digest_files(digest, opts["dir"], opts["formats"])
    except Exception as e:  # noqa: BLE001 - logged; tomorrow's digest still runs
        log.error("digest failed: %s", e)
        return []
    log.info("digest %s: %d stories, %d flagged -> %s; next %s", period.label, len(digest.entries),
             len(digest.alerts), ", ".join(str(p) for p in paths), local_time(next_run(), tz))
    if opts["mail_to"]:
        from veille.mail import send_digest

        try:
            send_digest(settings, digest, opts["mail_to"])
            log.info("digest %s mailed to %s", period.label, ", ".join(opts["mail_to"]))
        except Exception as e:  # noqa: BLE001 - SMTP, DNS, header errors: the files are written
            log.error("digest %s not mailed: %s", period.label, e)
    return [str(p) for p in paths]
