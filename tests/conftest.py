from __future__ import annotations

import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.feedserver import FeedServer
from veille.store import Store

SHARED = Path(__file__).resolve().parents[2] / "shared"
REALFEEDS = SHARED / "realfeeds"


@pytest.fixture(scope="session")
def tagger():  # noqa: ANN201 - veille.tag.Tagger
    """The packaged tagger, vocabularies loaded (built once for the session)."""
    from veille.tag import default_tagger

    return default_tagger()


PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture(autouse=True)
def _no_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Veille honours HTTPS_PROXY and friends: a machine's own proxy must not reach the tests
    (tests that need one set it)."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture(scope="session")
def _session_server() -> Iterator[FeedServer]:
    s = FeedServer()
    yield s
    s.close()


@pytest.fixture
def server(_session_server: FeedServer) -> FeedServer:
    """A feed server on 127.0.0.1, emptied for each test (stopping one costs half a second)."""
    _session_server.reset()
    return _session_server


class _ByPath(dict):
    """Routes that match with or without the query string (APIs take parameters)."""

    def get(self, path, default=None):  # type: ignore[override]
        return super().get(path) or super().get(path.split("?", 1)[0], default)


@pytest.fixture
def api(server: FeedServer) -> FeedServer:
    """The feed server, matching routes with or without their query string (platform APIs)."""
    server._server.routes = _ByPath(server.routes)
    return server


@pytest.fixture(scope="session")
def _template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "veille.db"
    Store(str(path)).close()  # migrations and taxonomy once, not per test
    return path


@pytest.fixture
def db(tmp_path: Path, _template_db: Path) -> Path:
    """A fresh, migrated database file (a copy of a closed template)."""
    path = tmp_path / "veille.db"
    shutil.copyfile(_template_db, path)
    return path


@pytest.fixture
def write_config(tmp_path: Path):
    """Write a feeds.yaml from (id, url, extra-yaml) tuples and return its path."""

    def write(sources: list[dict], settings: str = "") -> Path:
        lines = ["# test sources", "sources:"]
        for s in sources:
            lines.append(f"  - id: {s['id']}")
            lines.append(f"    name: {s.get('name', s['id'])}")
            for key, value in s.items():
                if key not in ("id", "name"):
                    lines.append(f"    {key}: {value}")
        text = "\n".join(lines) + "\n"
        if settings:
            text += "settings:\n" + textwrap.indent(textwrap.dedent(settings), "  ")
        path = tmp_path / "feeds.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    return write
