"""Data built from packaged files is kept in the user's cache and rebuilt when a file changes."""

from __future__ import annotations

from veille.build_cache import load_or_build


def test_built_once_then_read_and_rebuilt_when_a_file_changes(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    source = tmp_path / "terms.txt"
    source.write_text("a", encoding="utf-8")
    builds = []

    def build() -> dict[str, int]:
        builds.append(source.read_text(encoding="utf-8"))
        return {"value": len(builds)}

    assert load_or_build("t", [source], build, dict) == {"value": 1}
    assert load_or_build("t", [source], build, dict) == {"value": 1}  # from the cache
    source.write_text("b", encoding="utf-8")
    assert load_or_build("t", [source], build, dict) == {"value": 2}
    assert builds == ["a", "b"]
    # A cached value of the wrong type is rebuilt, not returned.
    assert load_or_build("t", [source], lambda: [3], list) == [3]


def test_a_read_only_cache_only_costs_the_rebuild(tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    source = tmp_path / "terms.txt"
    source.write_text("a", encoding="utf-8")
    assert load_or_build("t", [source], lambda: {"v": 1}, dict) == {"v": 1}
