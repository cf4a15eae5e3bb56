"""feeds.yaml as a YAML document: reading it (round trip for edits, libyaml for reads), the line
of a node, and the problems found in it, each with file and line, raised together."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from veille.errors import ConfigError


def round_trip_yaml() -> Any:
    """ruamel.yaml's round-trip loader and dumper (comments kept), as feeds.yaml is written.
    It is imported for edits only: `veille collect` reads feeds.yaml with veille.yaml_fast."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def line_of(node: Any, key: Any = None) -> int | None:
    """1-based line of a mapping (or of one of its keys) in the YAML file."""
    lc = getattr(node, "lc", None)
    if lc is None:
        return None
    try:
        if key is not None:
            return int(lc.key(key)[0]) + 1
        return int(lc.line) + 1
    except (KeyError, TypeError, AttributeError):
        return None


class Problems:
    """What is wrong with a file, one message per problem, prefixed with ``file:line``."""

    def __init__(self, path: str):
        self.path = path
        self.messages: list[str] = []

    def add(self, line: int | None, message: str) -> None:
        where = f"{self.path}:{line}" if line else self.path
        self.messages.append(f"{where}: {message}")

    def raise_if_any(self) -> None:
        if self.messages:
            raise ConfigError("\n".join(self.messages))


def check_type(errors: Problems, line: int | None, what: str, value: Any, kind: Any) -> bool:
    """Whether ``value`` is of ``kind`` (a bool is not a number); if not, say so at ``line``."""
    if isinstance(value, bool) and kind in (int, (int, float)):
        ok = False
    else:
        ok = isinstance(value, kind)
    if not ok:
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        errors.add(line, f"{what} must be a {names.replace('str', 'string')}, not {value!r}")
    return ok


def plain(value: Any) -> Any:
    """A document node as plain dicts, lists and scalars (string keys)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def read_document(path: str, *, edit: bool = True) -> Any:
    """Parse feeds.yaml; syntax errors name file and line. ``edit``: a round-trip document
    (ruamel.yaml, comments kept) to write back; otherwise a faster read-only one (libyaml)."""
    return document_from_bytes(read_bytes(path), path, edit=edit)


def read_bytes(path: str) -> bytes:
    """The file's bytes; a ConfigError that says what to do when it cannot be read."""
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: file not found. Create it with `veille sources add URL`, "
            "or pass --config PATH."
        ) from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read ({e.strerror})") from e


def document_from_bytes(data: bytes, path: str, *, edit: bool = True) -> Any:
    """``read_document`` on bytes already read."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from e
    if not edit:
        from veille import yaml_fast

        return yaml_fast.load(text, path)
    return parse_document(text, path)


def parse_document(text: str, path: str = "feeds.yaml") -> Any:
    """The round-trip document of ``text`` (an empty file is an empty ``sources:`` list)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        doc = round_trip_yaml().load(text)
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = " ".join(str(e.problem or e.context or "invalid YAML").split())
        raise ConfigError(f"{path}{line}: invalid YAML: {problem}") from None
    except YAMLError as e:
        raise ConfigError(f"{path}: invalid YAML: {' '.join(str(e).split())}") from None
    if doc is None:
        doc = CommentedMap()
        doc["sources"] = CommentedSeq()
    return doc
