from pathlib import Path

import pytest

from veille.config import load_config
from veille.config_edit import add_source, remove_source, set_enabled
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
        # Issue 9: values that used to pass validation and then crash or stall every run.
        ("sources:\n  - id: a\n    name: A\n    url: https://a.org/\n    every: 3000000d\n", 5,
         "interval '3000000d' is too long: the maximum is 31d"),
        ("sources:\n  - id: a\n    name: A\n    url: https://a.org/\n    every: 100000000000000000000\n", 5, "too long"),
        ("sources: []\nsettings:\n  deadline: .nan\n", 3, "settings.deadline must be a number, not nan"),
        ("sources: []\nsettings:\n  read_timeout: .inf\n", 3, "settings.read_timeout must be a number, not inf"),
        ("sources: []\nsettings:\n  connect_timeout: -.inf\n", 3, "must be a number, not -inf"),
        ("sources: []\nsettings:\n  concurrency: 100000000\n", 3,
         "settings.concurrency must be between 1 and 1000, not 100000000"),
        ("sources: []\nsettings:\n  max_redirects: 100000\n", 3, "settings.max_redirects must be between 1 and 30"),
        ("sources: []\nsettings:\n  max_items: 0\n", 3, "settings.max_items must be between 1 and 100000"),
        ("sources: []\nsettings:\n  max_bytes: 99999999999999\n", 3, "settings.max_bytes must be between"),
        ("sources: []\nsettings:\n  fulltext:\n    deadline: .inf\n", 4, "settings.fulltext.deadline must be a number, not inf"),
        ("sources: []\nsettings:\n  smtp:\n    host: h\n    timeout: .nan\n", 5, "settings.smtp.timeout must be a number"),
        ("sources: []\nsettings:\n  digest:\n    mail_to: |\n      a@chu.fr\n      b@chu.fr\n", 4,
         "settings.digest.mail_to: 'a@chu.fr\\nb@chu.fr\\n' spans several lines; give one address per list entry"),
        ("sources: []\nsettings:\n  digest:\n    mail_to: [a@chu.fr, pas une adresse]\n", 4,
         "'pas une adresse' is not an e-mail address"),
        ("sources: []\nsettings:\n  digest:\n    mail_to: {a: b}\n", 4, "must be an address or a list of addresses"),
        ("sources:\n  - id: a\n    name: A\n    url: https://hello world/\n", 4, "'hello world' is not a valid host name"),
        ("sources:\n  - id: a\n    name: A\n    url: https://a.org:99999/\n", 4, "the port must be a number from 1 to 65535"),
        ("sources:\n  - id: a\n    name: A\n    url: https://@ansm\n", 4, "a user name or password"),
        ("sources:\n  - id: a\n    name: A\n    url: https://a.org/\n  - id: b\n    name: B\n    url: HTTPS://A.ORG/\n", 5,
         "same address"),
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


def test_reasonable_settings_and_addresses_still_load(tmp_path):
    config = load_config(write(tmp_path, (
        "sources:\n  - id: a\n    name: A\n    url: http://127.0.0.1:3000/?action=display&bridge=X\n    every: 31d\n"
        "  - id: b\n    name: B\n    url: https://bücher.example/flux\n"
        "settings:\n  concurrency: 1000\n  deadline: 0.5\n  max_redirects: 30\n"
        "  digest:\n    mail_to: [a@chu.fr, b@chu.fr]\n  fulltext:\n    deadline: 2.5\n"
    )))
    assert config.sources[0].every == 31 * 86400
    assert (config.settings.concurrency, config.settings.deadline, config.settings.max_redirects) == (1000, 0.5, 30)


def test_names_in_the_file_are_read_clean(tmp_path):
    config = load_config(write(tmp_path, (
        'sources:\n  - id: a\n    name: "\\e]0;x\\aANSM \\e[1mgras\\e[0m\\x85"\n    url: https://a.org/\n'
        '  - id: b\n    name: "\\e[0m"\n    url: https://b.org/\n'
    )))
    assert [s.name for s in config.sources] == ["ANSM gras", "b"]


def test_a_valid_configuration_is_read_from_the_cache_until_the_file_changes(tmp_path, monkeypatch):
    """load_config keeps a valid file's configuration in the user's cache: the same bytes are
    not parsed again; an edit is read at once; a file with errors is checked every time."""
    import veille.config as config_module
    from veille.config import load_config

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    path = tmp_path / "feeds.yaml"
    path.write_text("sources:\n  - id: a\n    name: A\n    url: https://example.org/a.xml\n", encoding="utf-8")
    parsed = []
    real = config_module.document_from_bytes

    def counting(data, p, **kwargs):
        parsed.append(p)
        return real(data, p, **kwargs)

    monkeypatch.setattr(config_module, "document_from_bytes", counting)
    first = load_config(str(path))
    again = load_config(str(path))
    assert again == first and [s.id for s in again.sources] == ["a"]
    assert len(parsed) == 1
    path.write_text("sources:\n  - id: b\n    name: B\n    url: https://example.org/b.xml\n", encoding="utf-8")
    assert [s.id for s in load_config(str(path)).sources] == ["b"]
    assert len(parsed) == 2
    # The same bytes under another path are that path's configuration.
    other = tmp_path / "other.yaml"
    other.write_bytes(path.read_bytes())
    assert load_config(str(other)).path == str(other)
    path.write_text("sources:\n  - id: b\n    name: B\n    url: notaurl\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(ConfigError, match=r"feeds\.yaml:4: .notaurl.: only http"):
            load_config(str(path))
    assert len(parsed) == 5


def test_the_configuration_cache_keeps_only_the_newest_versions(tmp_path, monkeypatch):
    from veille.config import load_config

    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    path = tmp_path / "feeds.yaml"
    for n in range(12):
        path.write_text(f"sources:\n  - id: s{n}\n    name: S\n    url: https://example.org/{n}.xml\n", encoding="utf-8")
        assert load_config(str(path)).sources[0].id == f"s{n}"
    assert len(list((cache / "veille").glob("config-*.pickle"))) == 8
