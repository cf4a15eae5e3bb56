"""The ``settings:`` mapping of feeds.yaml, validated with file and line: network and time
settings, the sections read by other modules (digest, smtp, spikes…) and the mute rules."""

from __future__ import annotations

import math
from typing import Any

from veille.config_doc import Problems, check_type, line_of, plain
from veille.errors import ConfigError
from veille.models import Settings

SETTING_KEYS: dict[str, type | tuple[type, ...]] = {
    "user_agent": str,
    "concurrency": int,
    "per_host": int,
    "per_host_max": int,
    "connect_timeout": (int, float),
    "read_timeout": (int, float),
    "deadline": (int, float),
    "max_bytes": int,
    "max_redirects": int,
    "max_items": int,
    "timezone": str,
    "proxy": str,
    "no_proxy": (str, list),
}
# Inclusive bounds of the numeric settings: beyond them a value is a typo (``concurrency:
# 100000000``, ``max_redirects: 100000``) or a way to make every fetch fail (``deadline: .nan``).
SETTING_BOUNDS: dict[str, tuple[float, float]] = {
    "concurrency": (1, 1000),
    "per_host": (1, 100),
    "per_host_max": (1, 100),
    "connect_timeout": (0.1, 600),
    "read_timeout": (0.1, 600),
    "deadline": (0.1, 3600),
    "max_bytes": (1024, 1024 * 1024 * 1024),
    "max_redirects": (1, 30),
    "max_items": (1, 100_000),
}
SECTION_KEYS = frozenset(
    {"digest", "smtp", "mastodon", "bluesky", "youtube", "pubmed", "dedup", "serve", "fulltext",
     "spikes", "alerts"}
)
# Settings that are lists (of rules) rather than mappings.
LIST_SECTION_KEYS = frozenset({"mute"})


def settings_from_node(errors: Problems, node: Any) -> Settings:
    """The settings of ``node`` (the value of ``settings:``); problems go to ``errors``."""
    if node is None:
        return Settings()
    if not isinstance(node, dict):
        errors.add(line_of(node), "settings must be a mapping")
        return Settings()
    values: dict[str, Any] = {}
    sections: dict[str, Any] = {}
    for key, value in node.items():
        if key in SETTING_KEYS:
            if check_type(errors, line_of(node, key), f"settings.{key}", value, SETTING_KEYS[key]):
                values[key] = value
                _check_bounds(errors, line_of(node, key), key, value)
        elif key in LIST_SECTION_KEYS:
            if _check_mute(errors, value):
                sections[key] = plain(value)
        elif key in SECTION_KEYS:
            if not isinstance(value, dict):
                errors.add(line_of(node, key), f"settings.{key} must be a mapping")
            else:
                _check_numbers(errors, value, f"settings.{key}")
                if key == "digest":
                    _check_mail_to(errors, value)
                if key == "spikes":
                    _check_spikes(errors, value)
                sections[key] = plain(value)
        else:
            allowed = ", ".join(sorted(set(SETTING_KEYS) | SECTION_KEYS | LIST_SECTION_KEYS))
            errors.add(line_of(node, key), f"unknown setting {key!r} (allowed: {allowed})")
    if "timezone" in values:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(values["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            errors.add(line_of(node, "timezone"), f"unknown time zone {values['timezone']!r}")
    _proxy_settings(errors, node, values)
    return Settings(**values, sections=sections)


def _check_bounds(errors: Problems, line: int | None, key: str, value: float) -> None:
    low, high = SETTING_BOUNDS.get(key, (None, None))
    if isinstance(value, float) and not math.isfinite(value):
        errors.add(line, f"settings.{key} must be a number, not {value!r}")
    elif low is not None and high is not None and not low <= value <= high:
        errors.add(line, f"settings.{key} must be between {low:g} and {high:g}, not {value!r}")


def _check_numbers(errors: Problems, node: Any, where: str) -> None:
    """No NaN or infinity anywhere in a section (``timeout: .inf``): no setting means that."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        if isinstance(value, float) and not math.isfinite(value):
            errors.add(line_of(node, key) if isinstance(node, dict) else line_of(node),
                       f"{where}.{key} must be a number, not {value!r}")
        elif isinstance(value, (dict, list)):
            _check_numbers(errors, value, f"{where}.{key}")


def _check_mail_to(errors: Problems, digest: Any) -> None:
    from veille.mail import address_problem

    raw = digest.get("mail_to")
    if raw is None:
        return
    line = line_of(digest, "mail_to")
    addresses = [raw] if isinstance(raw, str) else raw if isinstance(raw, list) else None
    if addresses is None:
        errors.add(line, "settings.digest.mail_to must be an address or a list of addresses")
        return
    for address in addresses:
        problem = address_problem(address)
        if problem:
            errors.add(line, f"settings.digest.mail_to: {problem}")


def _proxy_settings(errors: Problems, node: Any, values: dict[str, Any]) -> None:
    """settings.proxy (an http(s):// address, or none) and settings.no_proxy (hosts, domains,
    addresses, networks: a comma-separated string or a list)."""
    from veille.network import no_proxy_problem, proxy_problem, split_no_proxy

    if "proxy" in values:
        problem = proxy_problem(values["proxy"])
        if problem:
            errors.add(line_of(node, "proxy"), f"settings.proxy: {problem}")
        values["proxy"] = values["proxy"].strip()
    if "no_proxy" in values:
        raw = values["no_proxy"]
        if isinstance(raw, list) and not all(isinstance(v, str) for v in raw):
            errors.add(line_of(node, "no_proxy"), "settings.no_proxy must list host names as strings")
            values["no_proxy"] = ()
            return
        entries = split_no_proxy(raw)
        for entry in entries:
            problem = no_proxy_problem(entry)
            if problem:
                errors.add(line_of(node, "no_proxy"), f"settings.no_proxy: {problem}")
        values["no_proxy"] = entries


def _check_spikes(errors: Problems, node: Any) -> None:
    """settings.spikes: the spike rule's known keys, positive numbers (see veille.spikes)."""
    from veille.spikes import SpikeRule

    allowed = ("weeks", "min_history", "min_count", "min_ratio", "z")
    for key in node:
        if key not in allowed:
            errors.add(line_of(node, key), f"unknown key {key!r} in settings.spikes (allowed: {', '.join(allowed)})")
    try:
        SpikeRule.from_settings(Settings(sections={"spikes": plain(node)}))
    except ConfigError as e:
        errors.add(line_of(node), str(e))


def _check_mute(errors: Problems, value: Any) -> bool:
    """settings.mute: each rule checked on its own line."""
    from veille.mute import parse_rules

    if not isinstance(value, list):
        errors.add(line_of(value), "settings.mute must be a list of rules (each with terms, sources or types)")
        return False
    ok = True
    names: dict[str, int | None] = {}
    for index, node in enumerate(value):
        try:
            rules = parse_rules([plain(node)], start=index)
        except ConfigError as e:
            for message in str(e).splitlines():
                errors.add(line_of(node), message)
            ok = False
            continue
        name = rules[0].name
        if name in names:
            errors.add(line_of(node), f"settings.mute[{index}]: the name {name!r} is used twice")
            ok = False
        names[name] = line_of(node)
    return ok
