"""The top-level ``watches:`` list of feeds.yaml: validated with file and line like sources, and
edited with comments kept (`veille watch add|remove`).

    watches:
      - name: levothyrox
        query: levothyrox OR "lévothyroxine"
        specialties: [endocrinologie]     # optional filters: specialties, types, tiers
        notify: ["mailto:pharmacie@chu-exemple.fr", "https://hooks.example.org/veille"]
      - name: infectio-pic
        specialties: [infectiologie]
        spike: true                       # notify when the day's count spikes, not per story
        notify: ["mailto:moi@example.org"]
"""

from __future__ import annotations

from typing import Any

from veille.config_doc import Problems, line_of
from veille.errors import ConfigError
from veille.watch import Watch, WatchError, check_watch

WATCH_KEYS = frozenset({"name", "query", "specialties", "types", "tiers", "notify", "spike"})
LIST_KEYS = ("specialties", "types", "tiers", "notify")


def watches_from_document(doc: Any, errors: Problems) -> tuple[Watch, ...]:
    """Validate ``watches:``; problems go to ``errors`` with their line."""
    raw = doc.get("watches")
    if raw is None:
        return ()
    if not isinstance(raw, list):
        errors.add(line_of(doc, "watches"), "'watches' must be a list")
        return ()
    out: list[Watch] = []
    seen: dict[str, int | None] = {}
    for index, node in enumerate(raw):
        line = line_of(node)
        if not isinstance(node, dict):
            errors.add(line, f"watches[{index}] must be a mapping with a name and a query")
            continue
        unknown = [k for k in node if k not in WATCH_KEYS]
        if unknown:
            errors.add(
                line_of(node, unknown[0]),
                f"unknown key {unknown[0]!r} in a watch (allowed: {', '.join(sorted(WATCH_KEYS))})",
            )
            continue
        values: dict[str, Any] = {}
        bad = False
        for key in LIST_KEYS:
            value = node.get(key)
            if value is None:
                continue
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                errors.add(line_of(node, key), f"{key} must be a list of strings")
                bad = True
                continue
            values[key] = tuple(str(v).strip() for v in value)
        for key in ("name", "query"):
            value = node.get(key)
            if value is not None and not isinstance(value, str):
                errors.add(line_of(node, key), f"{key} must be a string, not {value!r}")
                bad = True
            elif value is not None:
                values[key] = value.strip()
        spike = node.get("spike", False)
        if not isinstance(spike, bool):
            errors.add(line_of(node, "spike"), f"spike must be true or false, not {spike!r}")
            bad = True
        if bad:
            continue
        watch = Watch(spike=spike, line=line, **values)
        try:
            check_watch(watch)
        except WatchError as e:
            culprit = next((k for k in ("query", "notify", "specialties", "types", "tiers", "name")
                            if k in node and _mentions(str(e), node[k])), None)
            errors.add(line_of(node, culprit) if culprit else line, str(e))
            continue
        if watch.name in seen:
            errors.add(line, f"duplicate watch name {watch.name!r} (first at line {seen[watch.name]})")
            continue
        seen[watch.name] = line
        out.append(watch)
    return tuple(out)


def _mentions(message: str, value: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    return any(isinstance(v, str) and v and (repr(v) in message or repr(v.strip()) in message) for v in values)


def add_watch(path: str, watch: Watch) -> Watch:
    """Append a watch to feeds.yaml; refused (file untouched) when invalid or the name is taken."""
    # ruamel.yaml is for edits only: `veille collect` reads feeds.yaml without it (yaml_fast).
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    from veille.config import config_from_document
    from veille.config_edit import editing, flow_list

    try:
        check_watch(watch)
    except WatchError as e:
        raise ConfigError(f"{e}; nothing was added") from None
    with editing(path) as doc:
        current = config_from_document(doc, path)
        if current.watch(watch.name) is not None:
            raise ConfigError(
                f"a watch named {watch.name!r} already exists; remove it first or choose another name"
            )
        node = CommentedMap()
        node["name"] = watch.name
        if watch.query:
            node["query"] = watch.query
        for key in LIST_KEYS:
            values = getattr(watch, key)
            if values:
                node[key] = flow_list(values)
        if watch.spike:
            node["spike"] = True
        if doc.get("watches") is None:
            doc["watches"] = CommentedSeq()
        doc["watches"].append(node)
        added = config_from_document(doc, path).watch(watch.name)
    assert added is not None
    return added


def remove_watch(path: str, name: str) -> None:
    from veille.config_edit import editing

    with editing(path) as doc:
        for node in doc.get("watches") or []:
            if isinstance(node, dict) and node.get("name") == name:
                doc["watches"].remove(node)
                if not doc["watches"]:
                    del doc["watches"]
                return
        raise ConfigError(f"no watch named {name!r} in {path} (see `veille watch list`)")
