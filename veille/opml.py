"""OPML import and export of the sources (the format every feed reader exchanges).

Export writes OPML 2.0 that other readers understand (``xmlUrl`` is a real feed wherever one
exists: a Mastodon account's RSS, a Bluesky profile's RSS, a YouTube channel's Atom) and keeps
what only Veille knows (kind, address, tier, language, specialties, options) in ``veille:``
attributes, so an export imported again gives back the same sources.

Import reads with listparser (always given bytes, never a URL: it would fetch it), and the
``veille:`` attributes with lxml, entities not expanded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import listparser
from lxml import etree

from veille.backoff import format_every
from veille.errors import ConfigError
from veille.models import Source
from veille.parse import xml_root

NS = "https://veille.invalid/opml/1"


@dataclass(frozen=True)
class Outline:
    """One feed of an OPML file, as read."""

    url: str
    title: str | None
    categories: tuple[str, ...] = ()
    veille: tuple[tuple[str, str], ...] = ()  # the veille:* attributes, when Veille wrote the file

    def get(self, key: str) -> str | None:
        return dict(self.veille).get(key)


def feed_url(source: Source) -> str:
    """The address other readers can use for this source."""
    from veille.kinds import bluesky, mastodon, youtube

    if source.kind == "mastodon":
        try:
            user, instance = mastodon.split_handle(source.url)
            return f"https://{instance}/@{user}.rss"
        except ValueError:
            return source.url
    if source.kind == "bluesky":
        return f"https://bsky.app/profile/{bluesky.actor_of(source.url)}/rss"
    if source.kind == "youtube":
        query = youtube.feed_query(source.url)
        return f"{youtube.BASE}/feeds/videos.xml?{query}" if query else source.url
    if source.kind == "pubmed":
        return f"https://pubmed.ncbi.nlm.nih.gov/?term={quote(source.url)}&sort=date"
    return source.url


def export_opml(sources: Iterable[Source], title: str = "Veille sources") -> bytes:
    etree.register_namespace("veille", NS)
    root = etree.Element("opml", version="2.0", nsmap={"veille": NS})
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = title
    etree.SubElement(head, "dateCreated").text = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")
    body = etree.SubElement(root, "body")
    for source in sources:
        # Flat, in feeds.yaml's order; the tier is an OPML 2.0 category, which readers show as a folder.
        outline = etree.SubElement(body, "outline", type="rss", text=source.name, title=source.name)
        outline.set("xmlUrl", feed_url(source))
        outline.set("category", f"/{source.tier}")
        values: dict[str, str] = {
            "kind": source.kind,
            "address": source.url,
            "id": source.id,
            "tier": source.tier,
            "every": format_every(source.every),
        }
        if source.lang:
            values["lang"] = source.lang
            outline.set("language", source.lang)
        if source.specialties:
            values["specialties"] = ",".join(source.specialties)
        if source.fulltext:
            values["fulltext"] = "true"
        if not source.enabled:
            values["enabled"] = "false"
        for key, value in source.options:
            values[f"option-{key}"] = str(value).lower() if isinstance(value, bool) else str(value)
        for key, value in values.items():
            outline.set(f"{{{NS}}}{key}", value)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _veille_attributes(data: bytes) -> dict[str, tuple[tuple[str, str], ...]]:
    root = xml_root(data)
    if root is None:
        return {}
    out: dict[str, tuple[tuple[str, str], ...]] = {}
    prefix = f"{{{NS}}}"
    for outline in root.iter("outline"):
        url = outline.get("xmlUrl")
        attrs = tuple((k[len(prefix):], v) for k, v in outline.attrib.items() if k.startswith(prefix))
        if url and attrs:
            out[url] = attrs
    return out


def read_opml(data: bytes) -> list[Outline]:
    """The feeds of an OPML document; raises ConfigError when it is not one."""
    if not isinstance(data, bytes):
        raise TypeError("read_opml takes bytes")  # a str would be fetched as a URL by listparser
    parsed = listparser.parse(data)
    if not parsed.get("version") and not parsed.get("feeds"):
        reason = parsed.get("bozo_exception")
        raise ConfigError(f"not an OPML subscription list{f' ({reason})' if reason else ''}")
    extras = _veille_attributes(data)
    out = []
    for feed in parsed.get("feeds") or []:
        url = str(feed.get("url") or "").strip()
        if not url:
            continue
        categories = tuple("/".join(c) for c in feed.get("categories") or [] if c)
        title = str(feed.get("title") or "").strip() or None
        out.append(Outline(url=url, title=title, categories=categories, veille=extras.get(url, ())))
    return out


@dataclass(frozen=True)
class ImportReport:
    added: tuple[tuple[str, str], ...] = ()  # (source id, address)
    skipped: tuple[tuple[str, str], ...] = ()  # (address, why): already followed
    refused: tuple[tuple[str, str], ...] = ()  # (address, why)


def _option(key: str, raw: str) -> Any:
    from veille.config import OPTION_KEYS

    kind = OPTION_KEYS.get(key)
    if kind is bool:
        return raw.strip().lower() in ("true", "1", "yes")
    if kind is int:
        return int(raw)
    return raw


def import_outlines(path: str, outlines: Iterable[Outline], *, tier: str | None = None) -> ImportReport:
    """Add each outline to feeds.yaml; report what was added, skipped and refused, and why.
    Nothing is fetched: ``veille collect`` shows each source's health afterwards."""
    import os

    from veille.config import OPTION_KEYS, load_config
    from veille.config_edit import add_source
    from veille.kinds import bridge_advice, recognise
    from veille.models import KIND_TIERS
    from veille.normalise import clean_name
    from veille.source_address import normalise_source_url, source_key

    added: list[tuple[str, str]] = []
    skipped: list[tuple[str, str]] = []
    refused: list[tuple[str, str]] = []
    known: dict[str, str] = {}
    taken: set[str] = set()
    if os.path.exists(path):
        for s in load_config(path).sources:
            known[source_key(s.url, s.kind)] = s.id
            taken.add(s.id)
    for outline in outlines:
        kind, address = outline.get("kind"), outline.get("address")
        if not (kind and address):
            advice = bridge_advice(outline.url)
            if advice:
                refused.append((outline.url, advice.split(". ", 1)[0] + " (run a bridge: see `veille sources add`)"))
                continue
            found = recognise(outline.url)
            if found is not None:
                kind, address = found.kind, found.address
            else:
                try:
                    kind, address = "feed", normalise_source_url(outline.url)
                except ConfigError as e:
                    refused.append((outline.url, str(e)))
                    continue
        key = source_key(address, kind)
        if key in known:
            skipped.append((address, f"already followed as {known[key]!r}"))
            continue
        extra: dict[str, Any] = {}
        try:
            for attr, raw in outline.veille:
                if attr.startswith("option-") and attr[7:] in OPTION_KEYS:
                    extra[attr[7:]] = _option(attr[7:], raw)
            if outline.get("fulltext") == "true":
                extra["fulltext"] = True
            if outline.get("enabled") == "false":
                extra["enabled"] = False
            wanted_id = outline.get("id")
            specialties = tuple(s for s in (outline.get("specialties") or "").split(",") if s)
            source = add_source(
                path,
                url=address,
                name=clean_name(outline.title or "") or address,
                source_id=wanted_id if wanted_id and wanted_id not in taken else None,
                kind=kind,
                tier=outline.get("tier") or tier or KIND_TIERS.get(kind),
                lang=outline.get("lang"),
                specialties=specialties,
                every=outline.get("every"),
                extra=extra,
            )
        except (ConfigError, ValueError) as e:
            refused.append((address, " ".join(str(e).split())))
            continue
        known[key] = source.id
        taken.add(source.id)
        added.append((source.id, address))
    return ImportReport(tuple(added), tuple(skipped), tuple(refused))
