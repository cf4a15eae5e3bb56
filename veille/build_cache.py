"""Data built once from packaged files and kept, pickled, in the user's cache directory
(``$XDG_CACHE_HOME/veille`` or ``~/.cache/veille``), keyed by the content of the files it is
built from: a changed file rebuilds it, a read-only home only costs the rebuild."""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

__all__ = ["load_or_build"]

T = TypeVar("T")


def load_or_build(
    name: str, files: Iterable[Path], build: Callable[[], T], kind: type[T], *,
    extra: bytes = b"", keep: int | None = None,
) -> T:
    """The cached result of ``build()`` for these ``files``, or a fresh one (then cached).
    ``kind``: the type a cached value must have to be used; ``extra``: more key material (a
    path the value names); ``keep``: after writing, keep only this many newest ``name`` files
    (for inputs that change often: each version would otherwise leave its file behind)."""
    key = hashlib.sha1(extra)
    for path in files:
        key.update(path.read_bytes())
    cache_dir = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "veille"
    cache = cache_dir / f"{name}-{key.hexdigest()[:16]}.pickle"
    try:
        with cache.open("rb") as f:
            cached = pickle.load(f)  # our own file, written below
        if isinstance(cached, kind):
            return cached
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
        pass
    value = build()
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, cache)
        if keep is not None:
            _prune(cache_dir, name, keep)
    except OSError:
        pass
    return value


def _prune(cache_dir: Path, name: str, keep: int) -> None:
    """Remove all but the ``keep`` newest ``name-*.pickle`` files (another process may be
    doing the same: a file already gone is fine)."""
    def age(path: Path) -> float:
        try:
            return path.stat().st_mtime
        except OSError:
            return 0.0

    files = sorted(cache_dir.glob(f"{name}-*.pickle"), key=age, reverse=True)
    for old in files[keep:]:
        with contextlib.suppress(OSError):
            old.unlink()
