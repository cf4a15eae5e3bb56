"""The read-only feeds.yaml loader reads documents as ruamel.yaml's round-trip loader does."""

from __future__ import annotations

import pytest

from veille import yaml_fast
from veille.config import config_from_document, load_config
from veille.config_doc import parse_document
from veille.errors import ConfigError

DOC = """\
# a comment
sources:
  - id: ansm
    name: "ANSM — sécurité"
    url: https://ansm.sante.fr/rss
    tier: official
    specialties: [pharmacologie, cardiologie]
    every: 30m
    enabled: true
  - id: egora
    name: Egora
    url: https://www.egora.fr/rss
    enabled: false
    fulltext: yes
settings:
  concurrency: 010
  per_host: 0x3
  read_timeout: 2.5
  deadline: 1e2
  mastodon:
    instances: {a.example: "http://127.0.0.1:8080"}
  digest:
    at: 1:30
    empty: ~
"""


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def test_same_values_as_the_round_trip_loader():
    fast = yaml_fast.load(DOC, "feeds.yaml")
    slow = parse_document(DOC, "feeds.yaml")
    assert _plain(fast) == _plain(slow)
    # YAML 1.2, as ruamel reads it: 'yes' and '1:30' are strings, 010 is ten.
    assert fast["sources"][1]["fulltext"] == "yes"
    assert fast["settings"]["digest"]["at"] == "1:30"
    assert fast["settings"]["concurrency"] == 10 and fast["settings"]["per_host"] == 3
    assert fast["settings"]["deadline"] == 100.0


def test_lines_are_those_of_the_round_trip_loader():
    fast = yaml_fast.load(DOC, "feeds.yaml")
    slow = parse_document(DOC, "feeds.yaml")
    for f, s in zip(fast["sources"], slow["sources"], strict=True):
        assert f.lc.line == s.lc.line
        for key in f:
            assert f.lc.key(key)[0] == s.lc.key(key)[0]
    valid = DOC.replace("fulltext: yes", "fulltext: true")
    assert config_from_document(yaml_fast.load(valid, "f"), "f") == config_from_document(parse_document(valid, "f"), "f")
    # ... and the same errors: 'yes' is no bool for either.
    messages = []
    for doc in (fast, slow):
        with pytest.raises(ConfigError) as info:
            config_from_document(doc, "f")
        messages.append(str(info.value))
    assert messages[0] == messages[1] == "f:14: fulltext must be a bool, not 'yes'"


@pytest.mark.parametrize(
    "text, where, message",
    [
        ("sources:\n  - id: a\n    id: b\n", "feeds.yaml:3:", "duplicate key 'id'"),
        ("sources:\n  - id: a\n    name: [broken\n", "feeds.yaml:4:", "invalid YAML"),
        ("sources: [\n", "feeds.yaml:2:", "invalid YAML"),
    ],
)
def test_errors_name_the_line(text, where, message):
    with pytest.raises(ConfigError) as info:
        yaml_fast.load(text, "feeds.yaml")
    assert str(info.value).startswith(where) and message in str(info.value)


def test_python_tags_build_nothing(tmp_path):
    marker = tmp_path / "pwned"
    text = f"sources:\n  - id: a\n    name: !!python/object/apply:os.system ['touch {marker}']\n    url: https://a.org/\n"
    doc = yaml_fast.load(text, "feeds.yaml")
    assert isinstance(doc["sources"][0]["name"], yaml_fast.Tagged)
    assert not marker.exists()
    path = tmp_path / "feeds.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match="feeds.yaml:3: name must be a string"):
        load_config(str(path))


def test_empty_file_has_no_sources(tmp_path):
    path = tmp_path / "feeds.yaml"
    path.write_text("# nothing yet\n")
    assert load_config(str(path)).sources == ()
