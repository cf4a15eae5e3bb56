"""Reading feeds.yaml when nothing is written back: libyaml (PyYAML's C parser), with lines.

ruamel.yaml's round-trip loader keeps comments and order for `veille sources add|remove|...`,
but it is pure Python: 3,000 sources took seconds to load before `veille collect` could start.
This loader reads the same documents the same way for validation (config.config_from_document):

- YAML 1.2 core scalars as ruamel reads them (``yes``/``on`` are strings, ``1:30`` is not a
  number, ``010`` is ten), not PyYAML's YAML 1.1 ones;
- mappings and sequences remember their line and their keys' lines (``.lc``, as ruamel's do),
  so every error still names the file and the line;
- a duplicate key is an error at its line; a tag such as ``!!python/object`` builds nothing
  (the value is a ``Tagged``, which validation then refuses as the wrong type).
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from veille.errors import ConfigError


class _LineCol:
    """The part of ruamel's ``.lc`` that config_doc.line_of reads (0-based lines)."""

    __slots__ = ("keys", "line")

    def __init__(self, line: int):
        self.line = line
        self.keys: dict[Any, int] = {}

    def key(self, key: Any) -> tuple[int, int]:
        return self.keys[key], 0


class LinedMap(dict[Any, Any]):
    lc: _LineCol


class LinedSeq(list[Any]):
    lc: _LineCol


class Tagged:
    """A value under an explicit tag that a safe loader does not build (``!!python/object``)."""

    def __init__(self, tag: str, value: Any):
        self.tag, self.value = tag, value

    def __repr__(self) -> str:
        return f"Tagged({self.tag!r})"


_BASE = yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader


class _Loader(_BASE):  # type: ignore[misc,valid-type]
    yaml_implicit_resolvers: dict[Any, Any] = {}


# YAML 1.2 core schema (what ruamel.yaml reads by default).
_IMPLICIT = [
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+.0123456789",
    ),
]
for _tag, _pattern, _first in _IMPLICIT:
    _Loader.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))


def _int(loader: _Loader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node))
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text)  # '010' is ten in YAML 1.2


def _mapping(loader: _Loader, node: yaml.MappingNode) -> LinedMap:
    out = LinedMap()
    out.lc = _LineCol(node.start_mark.line)
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.MarkedYAMLError(problem="a mapping key must be a plain value", problem_mark=key_node.start_mark) from None
        if key in out:
            raise yaml.MarkedYAMLError(problem=f"found duplicate key {key!r}", problem_mark=key_node.start_mark)
        out[key] = loader.construct_object(value_node, deep=True)
        out.lc.keys[key] = key_node.start_mark.line
    return out


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> LinedSeq:
    out = LinedSeq(loader.construct_object(child, deep=True) for child in node.value)
    out.lc = _LineCol(node.start_mark.line)
    return out


def _undefined(loader: _Loader, node: yaml.Node) -> Tagged:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node)
    else:
        value = None
    return Tagged(node.tag, value)


_Loader.add_constructor("tag:yaml.org,2002:int", _int)
_Loader.add_constructor("tag:yaml.org,2002:map", _mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _sequence)
_Loader.add_constructor(None, _undefined)


def load(text: str, path: str) -> Any:
    """The document in ``text``; a ConfigError naming ``path`` and the line when it is not YAML."""
    try:
        doc = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a safe loader
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = " ".join(str(e.problem or e.context or "invalid YAML").split())
        raise ConfigError(f"{path}{line}: invalid YAML: {problem}") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: invalid YAML: {' '.join(str(e).split())}") from None
    if doc is None:
        doc = LinedMap(sources=LinedSeq())
        doc.lc = _LineCol(0)
    return doc
