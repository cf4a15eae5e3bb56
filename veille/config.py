"""feeds.yaml -> Config: every source, setting and watch validated, each problem with file and line.

The rest of feeds.yaml's handling has its own modules: veille.config_doc (the YAML document and
its lines), veille.config_settings (``settings:``), veille.watch_config (``watches:``),
veille.source_address (addresses and source identity) and veille.config_edit (changing the file).
"""

from __future__ import annotations

import re
from typing import Any

from veille.backoff import parse_every
from veille.config_doc import Problems, check_type, document_from_bytes, line_of, read_bytes
from veille.config_settings import settings_from_node
from veille.errors import ConfigError
from veille.models import KINDS, SPECIALTIES, TIERS, Config, Source
from veille.normalise import clean_name
from veille.source_address import source_key, validate_url
from veille.watch_config import watches_from_document

SOURCE_KEYS = frozenset(
    {"id", "name", "kind", "url", "tier", "lang", "specialties", "every", "enabled", "fulltext"}
)
# Kind-specific options accepted on a source, with their types.
OPTION_KEYS: dict[str, type | tuple[type, ...]] = {
    "replies": bool,
    "boosts": bool,
    "reposts": bool,
    "pinned": bool,
    "max_pages": int,
    "selector": str,
}
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
LANG = re.compile(r"^[a-z]{2,3}([-_][A-Za-z0-9]{2,8})?$")


def _source(errors: Problems, node: Any, index: int) -> Source | None:
    line = line_of(node)
    if not isinstance(node, dict):
        errors.add(line, f"sources[{index}] must be a mapping with id, name and url")
        return None
    before = len(errors.messages)
    for key in node:
        if key not in SOURCE_KEYS and key not in OPTION_KEYS:
            allowed = ", ".join(sorted(SOURCE_KEYS | set(OPTION_KEYS)))
            errors.add(line_of(node, key), f"unknown key {key!r} in a source (allowed: {allowed})")
    for key in ("id", "name", "url"):
        if key not in node or node[key] in (None, ""):
            errors.add(line, f"source is missing {key!r}")
    values: dict[str, Any] = {}
    for key in ("id", "name", "url", "kind", "tier", "lang"):
        if node.get(key) is not None and check_type(errors, line_of(node, key), key, node[key], str):
            values[key] = str(node[key]).strip()
    if "id" in values and not SLUG.match(values["id"]):
        errors.add(
            line_of(node, "id"),
            f"id {values['id']!r} must be a slug: lower-case letters, digits, '-' or '_'",
        )
    kind = values.get("kind", "feed")
    if kind not in KINDS:
        errors.add(line_of(node, "kind"), f"unknown kind {kind!r} (one of: {', '.join(KINDS)})")
    if "url" in values:
        problem = validate_url(values["url"], kind)
        if problem:
            errors.add(line_of(node, "url"), problem)
    tier = values.get("tier", "press")
    if tier not in TIERS:
        errors.add(line_of(node, "tier"), f"unknown tier {tier!r} (one of: {', '.join(TIERS)})")
    if "lang" in values and not LANG.match(values["lang"]):
        errors.add(line_of(node, "lang"), f"lang {values['lang']!r} must be a code such as fr or en")
    specialties: tuple[str, ...] = ()
    raw = node.get("specialties")
    if raw is not None:
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list):
            errors.add(line_of(node, "specialties"), "specialties must be a list of slugs")
        else:
            for slug in raw:
                if slug not in SPECIALTIES:
                    errors.add(
                        line_of(node, "specialties"),
                        f"unknown specialty {slug!r} (see `veille tag --list` for the slugs)",
                    )
            specialties = tuple(str(s) for s in raw)
    every = 3600
    if node.get("every") is not None:
        try:
            every = parse_every(node["every"])
        except ConfigError as e:
            errors.add(line_of(node, "every"), str(e))
    flags: dict[str, bool] = {}
    for key, default in (("enabled", True), ("fulltext", False)):
        value = node.get(key, default)
        if check_type(errors, line_of(node, key), key, value, bool):
            flags[key] = bool(value)
    options = []
    for key, kind_type in OPTION_KEYS.items():
        if key in node and check_type(errors, line_of(node, key), key, node[key], kind_type):
            options.append((key, node[key]))
    if len(errors.messages) > before:
        return None
    return Source(
        id=values["id"],
        # Names written by an older Veille may hold a feed title's escape sequences.
        name=clean_name(values["name"]) or values["id"],
        url=values["url"],
        kind=kind,
        tier=tier,
        lang=values.get("lang"),
        specialties=specialties,
        every=every,
        enabled=flags.get("enabled", True),
        fulltext=flags.get("fulltext", False),
        options=tuple(options),
        line=line,
    )


def config_from_document(doc: Any, path: str) -> Config:
    errors = Problems(path)
    if not isinstance(doc, dict):
        errors.add(line_of(doc), "the file must be a mapping with a top-level 'sources:' list")
        errors.raise_if_any()
    for key in doc:
        if key not in ("sources", "settings", "watches"):
            errors.add(
                line_of(doc, key), f"unknown top-level key {key!r} (allowed: sources, settings, watches)"
            )
    raw_sources = doc.get("sources")
    if raw_sources is None:
        raw_sources = []
    if not isinstance(raw_sources, list):
        errors.add(line_of(doc, "sources"), "'sources' must be a list")
        raw_sources = []
    settings = settings_from_node(errors, doc.get("settings"))
    sources: list[Source] = []
    seen_ids: dict[str, int | None] = {}
    seen_urls: dict[str, str] = {}
    for index, node in enumerate(raw_sources):
        source = _source(errors, node, index)
        if source is None:
            continue
        if source.id in seen_ids:
            errors.add(source.line, f"duplicate id {source.id!r} (first at line {seen_ids[source.id]})")
            continue
        seen_ids[source.id] = source.line
        key = source_key(source.url, source.kind)
        if key in seen_urls:
            errors.add(source.line, f"source {source.id!r} has the same address as {seen_urls[key]!r}")
        seen_urls[key] = source.id
        sources.append(source)
    watches = watches_from_document(doc, errors)
    errors.raise_if_any()
    return Config(path=path, sources=tuple(sources), settings=settings, watches=watches)


# The modules whose code decides what a feeds.yaml means: a cached configuration is only
# used while they are unchanged (an upgrade, a developer's edit).
_MEANING = ("config", "config_doc", "config_settings", "source_address", "watch_config", "models",
            "normalise", "backoff", "yaml_fast")


def load_config(path: str) -> Config:
    """The configuration, for reading only (see ``config_edit.editing`` to change the file).

    Reading and checking 300 sources costs ~0.1-0.2 s, which every ``veille collect`` paid
    before its first request: a valid file's configuration is kept in the user's cache
    (``veille.build_cache``), keyed by the file's bytes, its path and the code above. A file
    with errors is checked again each time, so its errors are always reported."""
    from pathlib import Path

    from veille.build_cache import load_or_build

    data = read_bytes(path)  # once: the key and the configuration come from the same bytes
    code = [Path(__file__).parent / f"{module}.py" for module in _MEANING]
    return load_or_build(
        "config", code, lambda: config_from_document(document_from_bytes(data, path, edit=False), path), Config,
        extra=str(Path(path).resolve()).encode() + b"\0" + data, keep=8,
    )
