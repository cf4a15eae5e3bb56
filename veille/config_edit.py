"""Changing feeds.yaml: comment-preserving round-trip edits under a file lock, written
atomically and only when the result is still valid (`veille sources add|remove|enable|disable`)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterator, Sequence
from io import StringIO
from typing import Any

from veille.backoff import format_every, parse_every
from veille.config import config_from_document
from veille.config_doc import parse_document, read_document, round_trip_yaml
from veille.errors import ConfigError
from veille.models import Source
from veille.source_address import refuse_duplicate

EMPTY_CONFIG = """\
# Veille sources. Edit by hand or with `veille sources add|remove|enable|disable`.
sources: []
"""


@contextlib.contextmanager
def _locked(path: str) -> Iterator[None]:
    """Serialise edits of feeds.yaml between concurrent CLI calls and the scheduler."""
    lock_path = f"{path}.lock"
    try:
        lock = open(lock_path, "a")  # noqa: SIM115 - closed below
    except OSError as e:
        raise ConfigError(f"{path}: cannot lock the file for editing ({e.strerror or e})") from None
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write_atomic(path: str, text: str) -> None:
    try:
        _replace_file(path, text)
    except OSError as e:
        raise ConfigError(
            f"{path}: could not write ({e.strerror or e}; a full disk or a read-only directory?); "
            "the file is unchanged"
        ) from None


def _replace_file(path: str, text: str) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".feeds-", suffix=".yaml", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        if os.path.exists(path):
            os.chmod(tmp, os.stat(path).st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def editing(path: str, *, create: bool = False) -> Iterator[Any]:
    """Yield the round-trip document of a valid feeds.yaml; write it back (atomically, comments
    kept) if the block succeeds and the result is still valid. An invalid file is never written."""
    with _locked(path):
        if create and not os.path.exists(path):
            doc = parse_document(EMPTY_CONFIG, path)
        else:
            doc = read_document(path)
        config_from_document(doc, path)  # refuse to edit an invalid file
        yield doc
        config_from_document(doc, path)  # and to write an invalid one
        out = StringIO()
        round_trip_yaml().dump(doc, out)
        _write_atomic(path, out.getvalue())


def slugify(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:48].strip("-") or "source"


def flow_list(values: Sequence[str]) -> Any:
    """A list written on one line, ``[a, b]``, as specialties are."""
    from ruamel.yaml.comments import CommentedSeq

    seq = CommentedSeq(list(values))
    seq.fa.set_flow_style()
    return seq


def add_source(
    path: str,
    *,
    url: str,
    name: str,
    source_id: str | None = None,
    kind: str = "feed",
    tier: str | None = None,
    lang: str | None = None,
    specialties: tuple[str, ...] = (),
    every: str | None = None,
    extra: dict[str, Any] | None = None,
) -> Source:
    """Append a source to feeds.yaml (created if missing) and return it."""
    with editing(path, create=True) as doc:
        current = config_from_document(doc, path)
        refuse_duplicate(current, url, kind)
        taken = {s.id for s in current.sources}
        if source_id is not None:
            if source_id in taken:
                raise ConfigError(
                    f"a source with id {source_id!r} already exists; choose another --id"
                )
        else:
            base = slugify(name)
            source_id, n = base, 2
            while source_id in taken:
                source_id, n = f"{base}-{n}", n + 1
        from ruamel.yaml.comments import CommentedMap, CommentedSeq

        node = CommentedMap()
        node["id"] = source_id
        node["name"] = name
        if kind != "feed":
            node["kind"] = kind
        node["url"] = url
        if tier:
            node["tier"] = tier
        if lang:
            node["lang"] = lang
        if specialties:
            node["specialties"] = flow_list(specialties)
        if every:
            node["every"] = format_every(parse_every(every))
        for k, v in (extra or {}).items():
            node[k] = v
        if doc.get("sources") is None:
            doc["sources"] = CommentedSeq()
        doc["sources"].append(node)
        added = config_from_document(doc, path).source(source_id)
    assert added is not None
    return added


def _find(doc: Any, source_id: str, path: str) -> Any:
    for node in doc.get("sources") or []:
        if isinstance(node, dict) and node.get("id") == source_id:
            return node
    raise ConfigError(f"no source with id {source_id!r} in {path} (see `veille sources list`)")


def remove_source(path: str, source_id: str) -> None:
    with editing(path) as doc:
        node = _find(doc, source_id, path)
        doc["sources"].remove(node)


def set_enabled(path: str, source_id: str, enabled: bool) -> None:
    with editing(path) as doc:
        node = _find(doc, source_id, path)
        if enabled:
            if "enabled" in node:
                del node["enabled"]
        else:
            node["enabled"] = False
