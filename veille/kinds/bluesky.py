"""Bluesky accounts through the public AppView's ``app.bsky.feed.getAuthorFeed`` (no login).

Address in feeds.yaml: the handle (``name.bsky.social``, a custom domain) or a DID.
Options: ``replies`` (default false), ``reposts`` (default false), ``pinned`` (default false: a
pinned post is an old post shown first, not news), ``max_pages`` (pages read on the first run).
Settings: ``settings.bluesky.appview`` (default https://public.api.bsky.app),
``settings.bluesky.web`` (links to posts, default https://bsky.app).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode, urlsplit

from veille.errors import ParseError
from veille.fetch import Fetcher
from veille.kinds._common import (
    Recognised,
    failed,
    first_run,
    get_json,
    options,
    setting,
    with_document,
)
from veille.kinds.shapes import as_dict, as_list
from veille.models import Entry, Feed, Fetched, Settings, Source, SourceState
from veille.parse import json_document, parse_date

APPVIEW = "https://public.api.bsky.app"
WEB = "https://bsky.app"
PAGE_SIZE = 50
FIRST_RUN_PAGES = 3
_HANDLE = re.compile(r"^(?=.{3,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z0-9]$", re.I)
_DID = re.compile(r"^did:(plc|web):[A-Za-z0-9._:%-]{1,200}$")


def recognise(text: str) -> Recognised | None:
    """``bsky.app/profile/HANDLE``, ``name.bsky.social``, ``@custom.domain`` or ``bsky:HANDLE``."""
    text = text.strip()
    actor = None
    if text.lower().startswith("bsky:"):
        actor = text[5:].strip().lstrip("@")
    elif "://" in text or text.lower().startswith(("bsky.app/", "www.bsky.app/")):
        parts = urlsplit(text if "://" in text else f"https://{text}")
        if (parts.hostname or "").lower() in ("bsky.app", "www.bsky.app"):
            match = re.match(r"^/profile/([^/?#]+)/?", parts.path)
            if match:
                actor = match.group(1)
    elif text.startswith("@") and text.count("@") == 1 and "." in text:
        actor = text[1:]
    elif text.lower().endswith(".bsky.social"):
        actor = text
    if not actor:
        return None
    actor = actor.strip().lower() if not actor.startswith("did:") else actor.strip()
    if not (_HANDLE.match(actor) or _DID.match(actor)):
        return None
    return Recognised("bluesky", actor, name=f"@{actor}" if not actor.startswith("did:") else actor)


def actor_of(address: str) -> str:
    found = recognise(address) if "/" in address or address.startswith(("@", "bsky:")) else None
    return found.address if found else address.strip()


async def fetch(fetcher: Fetcher, source: Source, state: SourceState, settings: Settings) -> Fetched:
    opts = options(source)
    base = setting(settings, "bluesky", "appview", APPVIEW)
    actor = actor_of(source.url)
    pages = int(opts.get("max_pages", FIRST_RUN_PAGES)) if first_run(state) else 1
    params: dict[str, str] = {
        "actor": actor,
        "limit": str(PAGE_SIZE),
        "filter": "posts_with_replies" if opts.get("replies") else "posts_no_replies",
    }
    if opts.get("pinned"):
        params["includePins"] = "true"
    feed: list[Any] = []
    first: Fetched | None = None
    last: Fetched | None = None
    warning = None
    for page in range(max(1, pages)):
        url = f"{base}/xrpc/app.bsky.feed.getAuthorFeed?{urlencode(params)}"
        fetched, doc = await get_json(fetcher, source, url)
        first = first or fetched
        if fetched.error:
            if page == 0:
                return failed(fetched, _explain(actor, fetched))
            warning = f"read {page} pages of the account's history, then: {fetched.error}"
            break
        last = fetched
        if not isinstance(doc, dict) or not isinstance(doc.get("feed"), list):
            return failed(fetched, "the Bluesky AppView answered without a 'feed' list")
        feed.extend(doc["feed"])
        cursor = doc.get("cursor")
        if not isinstance(cursor, str) or not cursor or not doc["feed"]:
            break
        params["cursor"] = cursor
    assert last is not None
    web = setting(settings, "bluesky", "web", WEB)
    return with_document(last, {"feed": feed, "veille": {"actor": actor, "web": web, "warning": warning}}, started=first)


def _explain(actor: str, fetched: Fetched) -> str:
    if fetched.status == 400:
        # The AppView answers 400 (InvalidRequest "Profile not found", AccountTakedown,
        # AccountDeactivated) for accounts that cannot be read.
        return (
            f"Bluesky account {actor!r} cannot be read: it does not exist, was deleted or "
            f"deactivated, or the handle is mistyped ({fetched.error})"
        )
    if fetched.status == 404:
        return f"Bluesky account {actor!r} not found (deleted, or a typo in the handle)"
    return fetched.error or "unknown error"


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _post_url(uri: str, handle: str, web: str) -> str | None:
    match = re.match(r"^at://([^/]+)/app\.bsky\.feed\.post/([^/?#]+)$", uri)
    if not match:
        return None
    return f"{web}/profile/{handle or match.group(1)}/post/{match.group(2)}"


def _embed(view: Any) -> tuple[str | None, list[str]]:
    """(link card URL, lines of text) from an embed view: card title and description, image and
    video alt text, the text of a quoted post."""
    if not isinstance(view, dict):
        return None, []
    kind = str(view.get("$type", ""))
    lines: list[str] = []
    link = None
    if kind.startswith("app.bsky.embed.external"):
        ext = as_dict(view.get("external"))
        link = _text(ext.get("uri")) or None
        for part in (_text(ext.get("title")), _text(ext.get("description"))):
            if part:
                lines.append(part)
    elif kind.startswith("app.bsky.embed.images"):
        for image in view.get("images") or []:
            if isinstance(image, dict) and _text(image.get("alt")):
                lines.append(f"[Image: {_text(image['alt'])}]")
    elif kind.startswith("app.bsky.embed.video"):
        if _text(view.get("alt")):
            lines.append(f"[Video: {_text(view['alt'])}]")
    elif kind.startswith("app.bsky.embed.recordWithMedia"):
        link, lines = _embed(view.get("media"))
        # Its ``record`` is a plain reference to a record#view: no $type of its own.
        lines = lines + _quote(view.get("record"))
    elif kind.startswith("app.bsky.embed.record"):
        lines = _quote(view)
    return link, lines


def _quote(view: Any) -> list[str]:
    """The quoted post of a record#view, as one line."""
    record = as_dict(view.get("record")) if isinstance(view, dict) else {}
    value = as_dict(record.get("value"))
    author = as_dict(record.get("author"))
    quoted = _text(value.get("text"))
    return [f"Quoting @{_text(author.get('handle')) or '?'}: {quoted}"] if quoted else []


def post_entry(item: Any, *, web: str = WEB, reposted_by: str | None = None) -> Entry | None:
    post = item.get("post") if isinstance(item, dict) else None
    if not isinstance(post, dict):
        return None
    record = as_dict(post.get("record"))
    author = as_dict(post.get("author"))
    handle = _text(author.get("handle"))
    uri = _text(post.get("uri"))
    text = _text(record.get("text"))
    card, lines = _embed(post.get("embed"))
    post_url = _post_url(uri, handle, web)
    body = "\n".join([text, *lines]).strip()
    if not body and not card:
        return None
    name = _text(author.get("displayName"))
    extra = [("at_uri", uri)] if uri else []
    if post_url:
        extra.append(("post_url", post_url))
    if reposted_by:
        extra.append(("reposted_by", reposted_by))
    published = parse_date(_text(record.get("createdAt")) or _text(post.get("indexedAt")))
    langs = as_list(record.get("langs"))
    return Entry(
        guid=uri or None,
        # The card's URL is the item's link, so a post sharing an article is the same item as
        # the article in its publisher's feed; the post's own address stays in extra.
        link=card or post_url,
        title=None,
        summary=body,
        author=f"{name} (@{handle})" if name and handle else (f"@{handle}" if handle else None),
        published=published,
        lang=str(langs[0]).split("-")[0].lower() if langs and isinstance(langs[0], str) else None,
        extra=tuple(extra),
    )


def parse(body: bytes, *, url: str, options: dict[str, Any], max_items: int = 1000) -> Feed:
    """A getAuthorFeed answer (or several pages merged by ``fetch``) -> Feed."""
    doc = json_document(body, "a Bluesky feed")
    if not isinstance(doc, dict) or not isinstance(doc.get("feed"), list):
        raise ParseError("not a Bluesky feed: no 'feed' list in the AppView's answer")
    meta = as_dict(doc.get("veille"))
    web = _text(meta.get("web")) or WEB
    entries = []
    for item in doc["feed"]:
        if not isinstance(item, dict):
            continue
        reason = as_dict(item.get("reason"))
        reason_type = str(reason.get("$type", ""))
        reposted_by = None
        if reason_type.endswith("#reasonRepost"):
            if not options.get("reposts"):
                continue
            by = as_dict(reason.get("by"))
            reposted_by = _text(by.get("handle")) or "?"
        elif reason_type.endswith("#reasonPin") and not options.get("pinned"):
            continue
        post = as_dict(item.get("post"))
        record = as_dict(post.get("record"))
        if (item.get("reply") or record.get("reply")) and not options.get("replies"):
            continue
        entry = post_entry(item, web=web, reposted_by=reposted_by)
        if entry is not None:
            entries.append(entry)
        if len(entries) >= max_items:
            break
    actor = _text(meta.get("actor"))
    return Feed(
        title=f"@{actor} on Bluesky" if actor else None,
        link=f"{web}/profile/{actor}" if actor else None,
        lang=None,
        entries=tuple(entries),
        warning=_text(meta.get("warning")) or None,
    )
