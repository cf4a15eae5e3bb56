"""`veille sources list|add|import|export|remove|purge|enable|disable`: the sources of feeds.yaml,
edited in place (comments and order kept)."""

from __future__ import annotations

import os
from typing import Any

import click

from veille.cli import CONTEXT, Env, UsageProblem, pass_env, plural, shown, user_errors
from veille.errors import ConfigError
from veille.models import KIND_TIERS, KINDS, SPECIALTIES, TIERS


@click.group("sources", context_settings=CONTEXT)
def sources() -> None:
    """List and edit the sources of feeds.yaml (comments and order are kept)."""


def _local_time(value: str | None, timezone: str) -> str:
    """A stored UTC time as the user reads it: ``2026-12-01 11:30 CET`` (settings.timezone)."""
    if not value:
        return "-"
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M %Z")


@sources.command("list", context_settings=CONTEXT)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_env
@user_errors
def sources_list(env: Env, as_json: bool) -> None:
    """Show each source with its health: last success, last error, error count, next fetch.

    \b
    Example:
        veille sources list
    """
    import json

    config = env.config()
    rows: dict[str, dict] = {}
    if os.path.exists(env.db_path):
        store = env.store(readonly=True)
        try:
            rows = {r["id"]: r for r in store.source_rows()}
        except Exception:  # noqa: BLE001 - a database not yet created has no health to show
            rows = {}
        finally:
            store.close()
    records = []
    for s in config.sources:
        r = rows.get(s.id, {})
        status = "enabled" if s.enabled else "disabled"
        if r.get("disabled_reason"):
            status = f"disabled: {r['disabled_reason']}"
        records.append(
            {
                "id": s.id, "name": s.name, "kind": s.kind, "tier": s.tier, "url": r.get("url") or s.url,
                "status": status, "last_success_at": r.get("last_success_at"),
                "last_error": r.get("last_error"), "error_count": r.get("error_count") or 0,
                "next_fetch_at": r.get("next_fetch_at"),
            }
        )
    if as_json:
        click.echo(json.dumps(records, ensure_ascii=False, indent=2))
        return
    if not records:
        click.echo(f"No sources in {config.path}. Add one with `veille sources add URL`.")
        return
    tz = config.settings.timezone
    for rec in records:
        click.echo(f"{rec['id']}  [{rec['tier']}, {rec['kind']}]  {rec['name']}  ({rec['status']})")
        click.echo(f"    {rec['url']}")
        line = (
            f"    last success {_local_time(rec['last_success_at'], tz)} · errors {rec['error_count']} · "
            f"next fetch {_local_time(rec['next_fetch_at'], tz)}"
        )
        click.echo(line)
        if rec["last_error"]:
            click.echo(f"    last error: {shown(rec['last_error'])}")


def _source_input(address: str, kind: str | None) -> tuple[str, str, str | None]:
    """(kind, address to store, default name) for what the user typed after `sources add`."""
    from veille.kinds import Recognised, bridge_advice, recognise
    from veille.source_address import normalise_source_url

    advice = bridge_advice(address)
    if advice:
        raise UsageProblem(advice)
    text = address.strip()
    prefix, _, rest = text.partition(":")
    if prefix.lower() in ("pubmed", "page") and not rest.strip(" \t\"'"):
        example = 'pubmed:"heart failure"[ti]' if prefix.lower() == "pubmed" else "page:https://www.ameli.fr/medecin/actualites"
        raise UsageProblem(f"{address!r}: nothing after '{prefix}:'; write it like {example}")
    if kind in ("feed", "page"):
        if text.lower().startswith("page:"):
            text = text[5:]
        return kind, normalise_source_url(text), None
    found: Recognised | None = recognise(text)
    if kind is None:
        if found is not None:
            return found.kind, found.address, found.name
        return "feed", normalise_source_url(text), None
    if found is None or found.kind != kind:
        retry = {"pubmed": f"pubmed:{text}", "bluesky": f"bsky:{text}", "mastodon": f"@{text.lstrip('@')}"}
        found = recognise(retry.get(kind, text)) if kind in retry else None
    if found is None or found.kind != kind:
        raise UsageProblem(
            f"{address!r} is not a {kind} address; examples: @someone@med-mastodon.com, "
            "name.bsky.social, https://www.youtube.com/@channel, pubmed:\"heart failure\""
        )
    return found.kind, found.address, found.name


def _check_add_options(source_id: str | None, lang: str | None, every: str | None, name: str | None) -> None:
    """Blame the option, not feeds.yaml, for a bad --id, --lang, --every or --name."""
    from veille.backoff import parse_every
    from veille.config import LANG, SLUG

    if source_id is not None and not SLUG.match(source_id):
        raise UsageProblem(
            f"--id {source_id!r} must be a slug: lower-case letters, digits, '-' or '_' (e.g. mon-flux)"
        )
    if lang is not None and not LANG.match(lang):
        raise UsageProblem(f"--lang {lang!r} must be a language code such as fr or en")
    if every is not None:
        try:
            parse_every(every)
        except ConfigError as e:
            raise UsageProblem(f"--every: {e}") from None
    if name is not None and not name.strip():
        raise UsageProblem("--name is empty")


@sources.command("add", context_settings=CONTEXT)
@click.argument("address", metavar="ADDRESS")
@click.option("--kind", type=click.Choice(KINDS), help="Force the kind (default: recognised from ADDRESS).")
@click.option("--name", help="Display name (default: the source's title).")
@click.option("--id", "source_id", help="Slug (default: derived from the name).")
@click.option("--tier", type=click.Choice(TIERS),
              help="official, journal, society, press or social (default: social for Mastodon, Bluesky and "
              "YouTube, journal for PubMed, press otherwise).")
@click.option("--lang", help="Language code, e.g. fr or en.")
@click.option("--specialty", "specialties", multiple=True, type=click.Choice(SPECIALTIES), metavar="SLUG",
              help="Specialty added to every item (repeatable).")
@click.option("--every", help="Fetch interval: 30m, 2h, 1d (default 1h).")
@click.option("--fulltext", is_flag=True, help="Fetch each new item's article page and store its main text.")
@click.option("--replies", is_flag=True, help="Mastodon, Bluesky: collect replies too.")
@click.option("--reposts", is_flag=True, help="Mastodon boosts, Bluesky reposts: collect them too.")
@click.option("--no-check", is_flag=True, help="Do not fetch the source once before adding it.")
@pass_env
@user_errors
def sources_add(
    env: Env, address: str, kind: str | None, name: str | None, source_id: str | None, tier: str | None,
    lang: str | None, specialties: tuple[str, ...], every: str | None, fulltext: bool, replies: bool,
    reposts: bool, no_check: bool,
) -> None:
    """Add a source to feeds.yaml (created if missing): a feed, a web site (its feed is found),
    a Mastodon or Bluesky account, a YouTube channel, a PubMed query, or a page (--kind page).

    X/Twitter, Facebook and LinkedIn accounts need a bridge you run (RSS-Bridge, Nitter):
    the command explains how.

    \b
    Example:
        veille sources add https://ansm.sante.fr/rss/actualites --name "ANSM actualités" --tier official --lang fr
        veille sources add https://www.has-sante.fr/      (finds the site's feed)
        veille sources add @someone@med-mastodon.com
        veille sources add cnrs.bsky.social
        veille sources add https://www.youtube.com/@InstitutPasteur
        veille sources add 'pubmed:"heart failure"[ti] AND france[ad]'
        veille sources add https://www.ameli.fr/medecin/actualites --kind page
    """
    from veille.config import load_config
    from veille.config_edit import add_source
    from veille.discover import check_source
    from veille.normalise import clean_name
    from veille.source_address import refuse_duplicate

    _check_add_options(source_id, lang, every, name)
    kind, target, default_name = _source_input(address, kind)
    tier = tier or KIND_TIERS.get(kind)
    options: dict[str, Any] = {}
    if replies:
        options["replies"] = True
    if reposts:
        options["boosts" if kind == "mastodon" else "reposts"] = True
    if os.path.exists(env.config_path):
        refuse_duplicate(load_config(env.config_path), target, kind)  # before any network call
    title = None
    if not no_check:
        found = check_source(kind, target, env.config_path, tuple(options.items()))
        title = clean_name(found.title or "") or None  # a feed's title: escapes, controls, 5,000 chars
        click.echo(f"found: {found.kind}, {title or 'untitled'}, {plural(found.count, 'item')}")
        target = found.url
        if os.path.exists(env.config_path):
            refuse_duplicate(load_config(env.config_path), target, kind)
    if fulltext:
        options["fulltext"] = True
    added = add_source(
        env.config_path, url=target, name=clean_name(name or title or default_name or target) or target,
        source_id=source_id,
        kind=kind, tier=tier, lang=lang, specialties=specialties, every=every, extra=options,
    )
    click.echo(f"added {added.id!r} ({added.name}, {added.kind}) to {env.config_path}")


@sources.command("import", context_settings=CONTEXT)
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--tier", type=click.Choice(TIERS), help="Tier of the imported sources that have none.")
@pass_env
@user_errors
def sources_import(env: Env, file: str, tier: str | None) -> None:
    """Add the feeds of an OPML file (exported by another reader, or by Veille).

    Reports what was added, skipped as already present, and refused (with why).
    Nothing is fetched: `veille collect` then shows each source's health.

    \b
    Example:
        veille sources import ~/Downloads/feedly.opml --tier press
    """
    from veille.opml import import_outlines, read_opml

    with open(file, "rb") as f:
        outlines = read_opml(f.read())
    report = import_outlines(env.config_path, outlines, tier=tier)
    for source_id, address in report.added:
        click.echo(f"added {source_id!r}: {address}")
    for address, why in report.skipped:
        click.echo(f"skipped {address}: {why}")
    for address, why in report.refused:
        click.echo(f"refused {address}: {why}")
    click.echo(
        f"{len(report.added)} added, {len(report.skipped)} already present, "
        f"{len(report.refused)} refused ({env.config_path})"
    )


@sources.command("export", context_settings=CONTEXT)
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@pass_env
@user_errors
def sources_export(env: Env, file: str | None) -> None:
    """Write the sources as OPML 2.0, to FILE or to standard output.

    Other readers get real feed addresses (Mastodon, Bluesky and YouTube included); Veille
    itself gets every setting back with `veille sources import`.

    \b
    Example:
        veille sources export veille.opml
    """
    from veille.opml import export_opml

    data = export_opml(env.config().sources)
    if file is None:
        click.echo(data.decode("utf-8"), nl=False)
        return
    import tempfile

    directory = os.path.dirname(os.path.abspath(file))
    fd, tmp = tempfile.mkstemp(prefix=".opml-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, file)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    click.echo(f"wrote {len(env.config().sources)} sources to {file}")


@sources.command("remove", context_settings=CONTEXT)
@click.argument("source", metavar="ID|URL")
@click.option("--purge", is_flag=True, help="Also delete its stored items and fetch history.")
@pass_env
@user_errors
def sources_remove(env: Env, source: str, purge: bool) -> None:
    """Remove a source from feeds.yaml, by id or by address; its items stay unless --purge
    (or a later `veille sources purge ID`).

    \b
    Example:
        veille sources remove egora --purge
        veille sources remove https://www.egora.fr/rss
    """
    from veille.config_edit import remove_source
    from veille.source_address import resolve_source_id

    source_id = resolve_source_id(env.config(), source)
    remove_source(env.config_path, source_id)
    click.echo(f"removed {source_id!r} from {env.config_path}")
    if purge:
        _purge(env, source_id)
    elif os.path.exists(env.db_path):
        click.echo(f"its items stay; `veille sources purge {source_id}` deletes them")


def _purge(env: Env, source_id: str, *, strict: bool = False) -> None:
    if not os.path.exists(env.db_path):
        if strict:
            raise UsageProblem(f"no database at {env.db_path}: nothing to purge")
        return
    with env.store() as store:
        known = any(r["id"] == source_id for r in store.source_rows())
        if not known and strict:
            raise UsageProblem(f"no source {source_id!r} in {env.db_path}: nothing to purge")
        deleted = store.purge_source(source_id) if known else 0
    click.echo(f"purged {deleted} items that only {source_id!r} carried")


@sources.command("purge", context_settings=CONTEXT)
@click.argument("source_id", metavar="ID")
@pass_env
@user_errors
def sources_purge(env: Env, source_id: str) -> None:
    """Delete the stored items and fetch history of a source removed from feeds.yaml
    (items that other sources also carried stay, under those sources).

    \b
    Example:
        veille sources remove egora
        veille sources purge egora
    """
    if os.path.exists(env.config_path) and env.config().source(source_id) is not None:
        raise UsageProblem(
            f"{source_id!r} is still in {env.config_path}; `veille sources remove {source_id} --purge` "
            "removes it and its items"
        )
    _purge(env, source_id, strict=True)


@sources.command("enable", context_settings=CONTEXT)
@click.argument("source", metavar="ID|URL")
@pass_env
@user_errors
def sources_enable(env: Env, source: str) -> None:
    """Enable a source (also clears a 410 or a backoff, so the next collect retries it).

    \b
    Example:
        veille sources enable has-actualites
    """
    from veille.config_edit import set_enabled
    from veille.source_address import resolve_source_id

    source_id = resolve_source_id(env.config(), source)
    set_enabled(env.config_path, source_id, True)
    if os.path.exists(env.db_path):
        with env.store() as store:
            store.enable_source(source_id)
    click.echo(f"enabled {source_id!r}")


@sources.command("disable", context_settings=CONTEXT)
@click.argument("source", metavar="ID|URL")
@pass_env
@user_errors
def sources_disable(env: Env, source: str) -> None:
    """Stop collecting a source (its items stay).

    \b
    Example:
        veille sources disable egora
    """
    from veille.config_edit import set_enabled
    from veille.source_address import resolve_source_id

    source_id = resolve_source_id(env.config(), source)
    set_enabled(env.config_path, source_id, False)
    click.echo(f"disabled {source_id!r}")
