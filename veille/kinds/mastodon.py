"""Mastodon accounts: the public API (``/api/v1/accounts/lookup`` then ``…/statuses``), or the
account's RSS (``https://instance/@user.rss``) where the instance closes its API to anonymous
readers.

Address in feeds.yaml: ``@user@instance``. Options: ``boosts`` (default false), ``replies``
(default false; a reply to oneself continues a thread and is kept), ``max_pages`` (pages read on
the first run). Content warnings are kept before the text ("CW: …"), media descriptions (alt text)
after it ("[Image: …]"). The RSS has neither boosts nor replies.
Settings: ``settings.mastodon.instances`` maps an instance name to the base URL to use for it
(a proxy, or a test server); ``settings.mastodon.via: rss`` skips the API.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

from veille.errors import ParseError
from veille.fetch import Fetcher
from veille.kinds._common import (
    Recognised,
    failed,
    fetch_document,
    first_run,
    get_json,
    link_policy,
    options,
    with_document,
)
from veille.kinds.shapes import as_dict, as_str, dict_or_none, str_or_none
from veille.models import Entry, Feed, Fetched, Settings, Source, SourceState
from veille.normalise import html_to_text
from veille.parse import json_document, parse_date, parse_xml_feed, xml_root

PAGE_SIZE = 40
FIRST_RUN_PAGES = 3
_USER = r"[A-Za-z0-9_]{1,64}"
_HOST = r"(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z0-9-]{1,62}(?::\d{1,5})?"
_HANDLE = re.compile(rf"^@?({_USER})@({_HOST})$")
# Sites whose /@name pages are not Mastodon profiles.
NOT_MASTODON = ("medium.com", "youtube.com", "tiktok.com", "threads.net", "threads.com", "substack.com")
MEDIA_LABELS = {"image": "Image", "gifv": "Animation", "video": "Video", "audio": "Audio"}


def recognise(text: str) -> Recognised | None:
    """``@user@instance``, ``user@instance`` is too close to an e-mail address and is not taken;
    ``https://instance/@user`` (a profile URL) is."""
    text = text.strip()
    if text.startswith("@"):
        match = _HANDLE.match(text)
        if match:
            handle = f"@{match.group(1)}@{match.group(2).lower()}"
            return Recognised("mastodon", handle, name=handle)
        return None
    if "://" not in text:
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or any(host == d or host.endswith("." + d) for d in NOT_MASTODON):
        return None
    match = re.match(rf"^/@({_USER})(?:\.rss)?/?$", parts.path)
    if not match or parts.query:
        return None
    netloc = host + (f":{parts.port}" if parts.port else "")
    handle = f"@{match.group(1)}@{netloc}"
    return Recognised("mastodon", handle, name=handle)


def split_handle(address: str) -> tuple[str, str]:
    """(user, instance) of ``@user@instance``; raises ValueError otherwise."""
    match = _HANDLE.match(address.strip())
    if not match:
        raise ValueError(f"{address!r} is not a Mastodon handle such as @someone@med-mastodon.com")
    return match.group(1), match.group(2).lower()


def instance_url(instance: str, settings: Settings) -> str:
    mapping = settings.section("mastodon").get("instances")
    if isinstance(mapping, dict) and isinstance(mapping.get(instance), str):
        return str(mapping[instance]).rstrip("/")
    return f"https://{instance}"


async def fetch(fetcher: Fetcher, source: Source, state: SourceState, settings: Settings) -> Fetched:
    try:
        user, instance = split_handle(source.url)
    except ValueError as e:
        return Fetched(source_id=source.id, url=source.url, started_at=datetime.now(UTC), duration_ms=0, error=str(e))
    base = instance_url(instance, settings)
    rss = f"{base}/@{user}.rss"
    if settings.section("mastodon").get("via") == "rss":
        return _rss_result(await fetch_document(fetcher, source, state, rss), user, instance)
    opts = options(source)
    lookup, account = await get_json(fetcher, source, f"{base}/api/v1/accounts/lookup?{urlencode({'acct': user})}")
    if lookup.status in (401, 403):
        # Instances in "limited federation" or with DISALLOW_UNAUTHENTICATED_API_ACCESS close
        # the API to anonymous readers but keep the public RSS.
        return _rss_result(await fetch_document(fetcher, source, state, rss), user, instance)
    if lookup.error:
        return failed(lookup, _explain(user, instance, lookup))
    if not isinstance(account, dict) or not isinstance(account.get("id"), str):
        return failed(lookup, f"{instance} did not answer like a Mastodon server (no account id)")
    if account.get("suspended"):
        return failed(lookup, f"@{user}@{instance} is suspended on its instance; nothing can be read")
    params = {"limit": str(PAGE_SIZE)}
    if not opts.get("replies"):
        params["exclude_replies"] = "true"
    if not opts.get("boosts"):
        params["exclude_reblogs"] = "true"
    url = f"{base}/api/v1/accounts/{account['id']}/statuses?{urlencode(params)}"
    statuses: list[Any] = []
    pages = int(opts.get("max_pages", FIRST_RUN_PAGES)) if first_run(state) else 1
    warning = None
    last = lookup
    for page in range(max(1, pages)):
        fetched, doc = await get_json(fetcher, source, url, require_public=link_policy(url, base) if page else None)
        if fetched.error:
            if page == 0:
                return failed(fetched, _explain(user, instance, fetched))
            warning = f"read {page} pages of the account's history, then: {fetched.error}"
            break
        last = fetched
        if not isinstance(doc, list):
            return failed(fetched, f"{instance} answered the statuses request without a list")
        statuses.extend(doc)
        next_url = _next_link(fetched.header("link"), url)
        if not doc or not next_url:
            break
        url = next_url
    document = {"account": account, "statuses": statuses, "veille": {"handle": f"@{user}@{instance}", "warning": warning}}
    return with_document(last, document, started=lookup)


def _rss_result(fetched: Fetched, user: str, instance: str) -> Fetched:
    return failed(fetched, _explain(user, instance, fetched)) if fetched.error else fetched


def _explain(user: str, instance: str, fetched: Fetched) -> str:
    if fetched.status == 404:
        return f"@{user}@{instance} not found on {instance} (deleted, moved, or a typo in the handle)"
    if fetched.status == 410:
        return f"@{user}@{instance} is gone from {instance} (deleted or suspended); the source is disabled"
    return fetched.error or "unknown error"


def _next_link(header: str | None, base: str) -> str | None:
    """The rel="next" URL of a Link header (Mastodon paginates with max_id there)."""
    for part in (header or "").split(","):
        match = re.match(r'\s*<([^>]+)>\s*;(.*)', part)
        if match and re.search(r'rel="?next"?', match.group(2)):
            return urljoin(base, match.group(1))
    return None


def _media_lines(attachments: Any) -> list[str]:
    lines = []
    for media in attachments if isinstance(attachments, list) else []:
        if isinstance(media, dict) and isinstance(media.get("description"), str) and media["description"].strip():
            label = MEDIA_LABELS.get(str(media.get("type")), "Media")
            lines.append(f"[{label}: {' '.join(media['description'].split())}]")
    return lines


def status_entry(status: Any, *, boosted_by: str | None = None) -> Entry | None:
    if not isinstance(status, dict):
        return None
    account = as_dict(status.get("account"))
    text = html_to_text(as_str(status.get("content")), keep_newlines=True)
    spoiler = as_str(status.get("spoiler_text"))
    parts = ([f"CW: {spoiler.strip()}"] if spoiler.strip() else []) + ([text] if text else [])
    parts += _media_lines(status.get("media_attachments"))
    poll = dict_or_none(status.get("poll"))
    if poll and isinstance(poll.get("options"), list):
        titles = [str(o.get("title")) for o in poll["options"] if isinstance(o, dict) and o.get("title")]
        if titles:
            parts.append("[Poll: " + " / ".join(titles) + "]")
    summary = "\n".join(parts).strip()
    link = str_or_none(status.get("url"))
    guid = status.get("uri") if isinstance(status.get("uri"), str) else link
    if not summary and not link:
        return None
    extra: list[tuple[str, str]] = []
    if spoiler.strip():
        extra.append(("content_warning", spoiler.strip()))
    if boosted_by:
        extra.append(("boosted_by", boosted_by))
    card = dict_or_none(status.get("card"))
    if card and isinstance(card.get("url"), str):
        extra.append(("card_url", card["url"]))
    name = as_str(account.get("display_name"))
    acct = as_str(account.get("acct"))
    author = f"{name} (@{acct})" if name and acct else (f"@{acct}" if acct else None)
    lang = str_or_none(status.get("language"))
    return Entry(
        guid=guid,
        link=link,
        title=None,
        summary=summary,
        author=author,
        published=parse_date(str(status.get("created_at") or "")),
        lang=lang.split("-")[0].lower() if lang else None,
        extra=tuple(extra),
    )


def parse(body: bytes, *, url: str, options: dict[str, Any], max_items: int = 1000,
          content_type: str | None = None) -> Feed:
    """The API document merged by ``fetch`` ({"account", "statuses"}), or an account's RSS."""
    head = body.lstrip()[:1]
    if head != b"{":
        return parse_rss(body, url=url, content_type=content_type, max_items=max_items)
    doc = json_document(body, "a Mastodon answer")
    if not isinstance(doc, dict) or not isinstance(doc.get("statuses"), list):
        raise ParseError("not a Mastodon answer: no list of statuses")
    account = as_dict(doc.get("account"))
    own_id = account.get("id")
    entries = []
    for status in doc["statuses"]:
        if not isinstance(status, dict):
            continue
        boosted_by = None
        if isinstance(status.get("reblog"), dict):
            if not options.get("boosts"):
                continue
            boosted_by = f"@{account.get('acct') or '?'}"
            status = status["reblog"]
        elif status.get("in_reply_to_id") and not options.get("replies"):
            # A reply to oneself continues a thread: part of what the account publishes.
            if status.get("in_reply_to_account_id") != own_id:
                continue
        if status.get("visibility") not in (None, "public", "unlisted"):
            continue
        entry = status_entry(status, boosted_by=boosted_by)
        if entry is not None:
            entries.append(entry)
        if len(entries) >= max_items:
            break
    meta = as_dict(doc.get("veille"))
    name = str_or_none(account.get("display_name"))
    return Feed(
        title=name or (str(meta.get("handle")) if meta.get("handle") else None),
        link=str_or_none(account.get("url")),
        lang=None,
        entries=tuple(entries),
        warning=str(meta["warning"]) if meta.get("warning") else None,
    )


def parse_rss(body: bytes, *, url: str, content_type: str | None = None, max_items: int = 1000) -> Feed:
    """An account's RSS: feedparser, plus the media descriptions feedparser drops."""
    feed = parse_xml_feed(body, url=url, content_type=content_type, max_items=max_items)
    alts = _rss_alt_texts(body)
    if not alts:
        return feed
    entries = []
    for entry in feed.entries:
        lines = alts.get(entry.guid or "") or alts.get(entry.link or "") or []
        if lines:
            text = html_to_text(entry.summary, keep_newlines=True)
            entry = replace(entry, summary="\n".join([text, *lines]).strip())
        entries.append(entry)
    return replace(feed, entries=tuple(entries))


MEDIA_NS = "http://search.yahoo.com/mrss/"


def _rss_alt_texts(body: bytes) -> dict[str, list[str]]:
    root = xml_root(body)
    if root is None:
        return {}
    out: dict[str, list[str]] = {}
    for item in root.iter("item"):
        key = (item.findtext("guid") or item.findtext("link") or "").strip()
        lines = []
        for content in item.iter(f"{{{MEDIA_NS}}}content"):
            desc = content.findtext(f"{{{MEDIA_NS}}}description")
            if desc and desc.strip():
                label = MEDIA_LABELS.get(content.get("medium") or "", "Media")
                lines.append(f"[{label}: {' '.join(desc.split())}]")
        if key and lines:
            out[key] = lines
    return out
