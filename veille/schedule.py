"""`veille run`: the command that runs the service (veille.service) until Ctrl-C or SIGTERM.

A first signal stops cleanly: scheduling stops, the collection in progress is abandoned at its
next await, its writes finish. A second signal exits at once, but never inside a transaction.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from typing import Any

import click

from veille.cli import CONTEXT, Env, pass_env, user_errors
from veille.service import STOP_GRACE, Service
from veille.service_log import log, setup_logging


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
    setup_logging(env.verbose, service.tz)
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
            if service.web is not None and service.web.stopped():
                log.error("the Datasette server stopped: %s", service.web.error or "unknown reason")
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
