"""The `veille` command: a thin click layer over the pipeline stages."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import click

from veille import __version__
from veille.errors import ConfigError, StoreError, VeilleError
from veille.models import SourceResult

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class UsageProblem(click.ClickException):
    """A user error (bad configuration, bad arguments): exit code 2, message says what to do."""

    exit_code = 2


class Env:
    def __init__(self, config_path: str, db_path: str, verbose: bool):
        self.config_path = config_path
        self.db_path = db_path
        self.verbose = verbose

    def config(self):
        from veille.config import load_config

        try:
            return load_config(self.config_path)
        except ConfigError as e:
            raise UsageProblem(str(e)) from e

    def store(self, readonly: bool = False):
        from veille.store import Store

        try:
            return Store(self.db_path, readonly=readonly)
        except StoreError as e:
            raise UsageProblem(str(e)) from e


pass_env = click.make_pass_decorator(Env)

# Commands whose code lives with their stage, imported only when used: `veille collect` must not
# pay for importing Datasette or APScheduler.
LAZY_COMMANDS = {
    "tag": "veille.tag_cli:tag_command",
    "retag": "veille.tag_cli:retag_command",
    "restory": "veille.restory:restory_command",
    "serve": "veille.serve:serve_command",
    "run": "veille.schedule:run_command",
    "digest": "veille.digest:digest_command",
    "watch": "veille.watch_cli:watch_group",
    "sources": "veille.sources_cli:sources",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(LAZY_COMMANDS))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in LAZY_COMMANDS and name not in self.commands:
            import importlib

            module, attr = LAZY_COMMANDS[name].split(":")
            try:
                command = getattr(importlib.import_module(module), attr)
            except ModuleNotFoundError as e:
                if e.name != module:
                    raise
                return None
            self.add_command(command, name)
        return super().get_command(ctx, name)


def user_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn Veille's own errors into clear messages with exit code 2."""
    import functools

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except VeilleError as e:  # may quote a server or a document: made terminal-safe
            from veille.normalise import terminal_safe

            raise UsageProblem(terminal_safe(str(e))) from e

    return wrapper


@click.group(cls=LazyGroup, context_settings=CONTEXT)
@click.option(
    "--config", "config_path", default="feeds.yaml", envvar="VEILLE_CONFIG", show_default=True,
    type=click.Path(dir_okay=False), help="Sources file.",
)
@click.option(
    "--db", "db_path", default="db/veille.db", envvar="VEILLE_DB", show_default=True,
    type=click.Path(dir_okay=False), help="SQLite database.",
)
@click.option("-v", "--verbose", is_flag=True, help="Say more.")
@click.version_option(__version__, prog_name="veille")
@click.pass_context
def cli(ctx: click.Context, config_path: str, db_path: str, verbose: bool) -> None:
    """Veille médicale: collect medical news into SQLite, deduplicated and tagged.

    \b
    Example:
        veille sources add https://ansm.sante.fr/rss/actualites --name "ANSM" --tier official
        veille collect
    """
    ctx.obj = Env(config_path, db_path, verbose)


# --- collect ---------------------------------------------------------------------------------

def shown(text: object) -> str:
    """Text from the web (a feed's title, a server's error) as it may reach a terminal: no
    escape sequences or control characters."""
    from veille.normalise import clean_name

    return clean_name(str(text), 2000)


def _result_line(r: SourceResult) -> str:
    r = r if r.error is None else replace(r, error=shown(r.error))
    if r.outcome == "error":
        return f"{r.source_id}: ERROR {r.error}"
    if r.outcome == "skipped":
        return f"{r.source_id}: skipped ({r.error})"
    if r.outcome == "not_modified":
        return f"{r.source_id}: unchanged"
    return f"{r.source_id}: {r.counts}"


@cli.command(context_settings=CONTEXT)
@click.option("--source", "source_ids", multiple=True, metavar="ID", help="Collect only this source (repeatable).")
@click.option("--strict", is_flag=True, help="Exit 1 if any source failed.")
@click.option("--due", is_flag=True, help="Only sources whose next fetch time has come (backoff respected).")
@pass_env
@user_errors
def collect(env: Env, source_ids: tuple[str, ...], strict: bool, due: bool) -> None:
    """Fetch the enabled sources of feeds.yaml into the database.

    Exits 0 when the run completed, even if some sources failed (see the summary,
    `veille sources list` and the fetches table); --strict exits 1 on any failure.

    \b
    Example:
        veille collect
        veille collect --source ansm-actualites --source has-actualites
    """
    import time

    from veille.pipeline import collect as run_collect

    config = env.config()
    store = env.store()
    started = time.monotonic()
    tty = sys.stderr.isatty()
    bar: Any = None

    printed: set[str] = set()

    def progress(result: SourceResult, done: int, total: int) -> None:
        nonlocal bar
        if tty:
            if bar is None:
                bar = click.progressbar(length=total, label="collecting", file=sys.stderr)
                bar.__enter__()
            bar.update(1)
        else:  # a log or a pipe: each source's line once, as it completes
            click.echo(f"[{done}/{total}] {_result_line(result)}")
            printed.add(result.source_id)

    try:
        results = run_collect(config, store, source_ids, only_due=due, progress=progress)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
        store.close()
    elapsed = time.monotonic() - started
    for r in results:
        if r.source_id not in printed:
            click.echo(_result_line(r))
    new = sum(r.items_new for r in results)
    failed = [r for r in results if r.outcome == "error"]
    unchanged = sum(r.outcome == "not_modified" for r in results)
    click.echo(
        f"{plural(len(results), 'source')}: {plural(new, 'new item')}, {unchanged} unchanged, "
        f"{plural(len(failed), 'error')} in {elapsed:.1f} s"
    )
    hint = offline_hint(config, results)
    if hint:
        click.echo(hint)
    _deliver_notifications(env, config)
    if strict and failed:
        sys.exit(1)


def plural(count: int, noun: str) -> str:
    """``1 source``, ``2 sources``, ``0 errors``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def offline_hint(config: Any, results: list[SourceResult]) -> str | None:
    """The "you seem to be offline" hint, when every source on the internet failed on DNS or connection."""
    from veille.network import offline_hint as hint
    from veille.network import proxy_policy

    outcomes = []
    for r in results:
        source = config.source(r.source_id)
        if r.outcome != "skipped" and source is not None:
            outcomes.append((source.url, r.error if r.outcome == "error" else None))
    return hint(outcomes, proxy_policy(config.settings.proxy, config.settings.no_proxy))


def _deliver_notifications(env: Env, config: Any) -> None:
    """After the collect and its summary: send what the watches queued (and earlier failures
    that are due again). A failing receiver is reported and retried later, never an error."""
    if not config.watches:
        return
    from veille.alerts import deliver_due

    with env.store() as store:
        report = deliver_due(store, config.settings)
    if report.sent or report.failed:
        click.echo(f"watches: {report.sent} notifications sent, {report.failed} failed (retried later)")
        for error in report.errors:
            click.echo(f"    {error}", err=True)


def main() -> None:
    cli(prog_name="veille")


if __name__ == "__main__":
    main()
