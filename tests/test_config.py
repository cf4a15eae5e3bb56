from pathlib import Path

import pytest

from veille.config import add_source, load_config, remove_source, set_enabled
from veille.errors import ConfigError

VALID = """\
# Sources de veille (ce commentaire doit survivre)
sources:
  # Agences
  - id: ansm
    name: ANSM actualités   # officiel
    url: https://ansm.sante.fr/rss/actualites
    tier: official
    lang: fr
    specialties: [pharmacologie]
    every: 30m
  - id: egora
    name: Egora
    url: https://www.egora.fr/rss.xml
settings:
  user_agent: Veille-test
  concurrency: 5
"""


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "feeds.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_load_valid(tmp_path):
    config = load_config(write(tmp_path, VALID))
    ansm, egora = config.sources
    assert (ansm.id, ansm.tier, ansm.lang, ansm.specialties, ansm.every, ansm.enabled) == (
        "ansm", "official", "fr", ("pharmacologie",), 1800, True,
    )
    assert (egora.tier, egora.every, egora.kind) == ("press", 3600, "feed")
    assert config.settings.user_agent == "Veille-test" and config.settings.concurrency == 5


@pytest.mark.parametrize(
    "text, line, message",
    [
        ("sources:\n  - id: a\n    name: A\n    url: https://a.org/\n    colour: red\n", 5, "unknown key 'colour'"),
        ("sources:\n  - id: a\n    name: A\n    url: https://a.org/\n  - id: a\n    name: B\n    url: https://b.org/\n", 5, "duplicate id 'a'"),
        ("sources:\n  - id: a\n    name: A\n    url: https://a.org/\n    tier: gold\n", 5, "unknown tier 'gold'"),
        ("sources:\n  - id: a\n    name: A\n    url: https://a.org/\n    every: soon\n", 5, "invalid interval"),
        ("sources:\n  - id: a\n    name: A\n    url: ftp://a.org/\n", 4, "only http:// and https://"),
        ("sources:\n  - id: a\n    name: A\n    url: https://a.org/\n    enabled: maybe\n", 5, "enabled must be a bool"),
        ("sources:\n  - id: a\n    name: [broken\n", 4, "invalid YAML"),
        ("sources:\n  - id: a\n    id: b\n    name: A\n    url: https://a.org/\n", 3, "invalid YAML"),
        ("sources:\n  - id: A B\n    name: A\n    url: https://a.org/\n", 2, "must be a slug"),
        ("sources:\n  - id: a\n    name: A\n    url: https://a.org/\n    specialties: [astrologie]\n", 5, "unknown specialty"),
        ("sources:\n  - id: a\n    name: A\n    url: https://a.org/\n  - id: b\n    name: B\n    url: http://www.a.org\n", 5, "same address"),
        ("sources: []\nsettings:\n  concurency: 3\n", 3, "unknown setting 'concurency'"),
        ("sources: []\nextra: 1\n", 2, "unknown top-level key"),
        ("sources:\n  - id: a\n    name: !!python/object:os.system echo\n    url: https://a.org/\n", 3, "name must be a string"),
    ],
)
def test_invalid_files_name_file_and_line(tmp_path, text, line, message):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert f"{path}:{line}:" in str(info.value)
    assert message in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_config(str(tmp_path / "nope.yaml"))


def test_edits_keep_comments_and_order(tmp_path):
    path = write(tmp_path, VALID)
    added = add_source(path, url="https://www.has-sante.fr/feed/Rss2.jsp?id=p_3081656", name="HAS actualités",
                       tier="official", lang="fr", specialties=("sante-publique",), every="2h")
    assert added.id == "has-actualites"
    set_enabled(path, "egora", False)
    text = Path(path).read_text()
    assert "# Sources de veille (ce commentaire doit survivre)" in text
    assert "# Agences" in text and "# officiel" in text
    assert text.index("id: ansm") < text.index("id: egora") < text.index("id: has-actualites")
    assert "specialties: [sante-publique]" in text and "every: 2h" in text
    config = load_config(path)
    assert [s.id for s in config.sources] == ["ansm", "egora", "has-actualites"]
    assert not config.source("egora").enabled
    set_enabled(path, "egora", True)
    remove_source(path, "ansm")
    text = Path(path).read_text()
    assert "id: ansm" not in text and "enabled" not in text
    assert "# Sources de veille (ce commentaire doit survivre)" in text


def test_add_refuses_duplicates(tmp_path):
    path = write(tmp_path, VALID)
    before = Path(path).read_text()
    with pytest.raises(ConfigError, match="already followed as 'egora'"):
        add_source(path, url="http://egora.fr/rss.xml?utm_source=x", name="Egora bis")
    with pytest.raises(ConfigError, match="already exists"):
        add_source(path, url="https://other.org/feed", name="Other", source_id="ansm")
    assert Path(path).read_text() == before


def test_invalid_file_is_never_rewritten(tmp_path):
    text = VALID + "  bogus: [\n"
    path = write(tmp_path, text)
    with pytest.raises(ConfigError):
        add_source(path, url="https://new.org/feed", name="New")
    with pytest.raises(ConfigError):
        set_enabled(path, "ansm", False)
    assert Path(path).read_text() == text


def test_unknown_id(tmp_path):
    path = write(tmp_path, VALID)
    with pytest.raises(ConfigError, match="no source with id 'nope'"):
        remove_source(path, "nope")


def test_add_creates_missing_file(tmp_path):
    path = str(tmp_path / "new.yaml")
    add_source(path, url="https://a.org/feed", name="A")
    assert [s.id for s in load_config(path).sources] == ["a"]
