"""OPML import and export: a round trip keeps every source, a third-party file is reported on."""

from __future__ import annotations

import pytest

from tests.helpers import run_cli
from veille.config import load_config
from veille.errors import ConfigError
from veille.opml import export_opml, read_opml

FEEDS_YAML = """\
sources:
  - id: ansm
    name: ANSM actualités
    url: https://ansm.sante.fr/rss/actualites
    tier: official
    lang: fr
    specialties: [pharmacologie]
    every: 30m
  - id: dr-someone
    name: Dr Someone
    kind: mastodon
    url: "@someone@med-mastodon.com"
    tier: social
    boosts: true
    fulltext: true
  - id: spf
    name: Santé publique France
    kind: bluesky
    url: santepubliquefr.bsky.social
    reposts: false
    max_pages: 2
  - id: pasteur
    name: Institut Pasteur
    kind: youtube
    url: https://www.youtube.com/channel/UCQ1bWmiwCgj0_KDpDYdBvNw
  - id: ic
    name: Insuffisance cardiaque
    kind: pubmed
    url: '"heart failure"[ti] AND france[ad]'
    tier: journal
  - id: pds
    name: Permanence des soins
    kind: page
    url: https://www.iledefrance.ars.sante.fr/permanence-des-soins
    enabled: false
"""

THIRD_PARTY = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0">
  <head><title>Feedly export</title></head>
  <body>
    <outline text="Sant\xc3\xa9" title="Sant\xc3\xa9">
      <outline type="rss" text="ANSM" title="ANSM" xmlUrl="https://ansm.sante.fr/rss/actualites?xtor=RSS-1" htmlUrl="https://ansm.sante.fr"/>
      <outline type="rss" text="Vidal" title="Vidal actualit\xc3\xa9s" xmlUrl="https://www.vidal.fr/actualites.rss" htmlUrl="https://www.vidal.fr"/>
      <outline type="rss" text="Vidal again" xmlUrl="https://vidal.fr/actualites.rss"/>
    </outline>
    <outline type="rss" text="HAS on X" xmlUrl="https://x.com/HAS_sante"/>
    <outline type="rss" text="evil" xmlUrl="javascript:alert(1)"/>
    <outline type="rss" text="local file" xmlUrl="file:///etc/passwd"/>
    <outline type="rss" text="A doctor" xmlUrl="https://piaille.fr/@docteur.rss"/>
  </body>
</opml>
"""


def test_export_then_import_gives_back_the_same_sources(tmp_path):
    original = tmp_path / "feeds.yaml"
    original.write_text(FEEDS_YAML, encoding="utf-8")
    db = tmp_path / "veille.db"
    exported = run_cli(original, db, "sources", "export", str(tmp_path / "out.opml"))
    assert exported.output == f"wrote 6 sources to {tmp_path / 'out.opml'}\n"
    data = (tmp_path / "out.opml").read_bytes()
    # Other readers get real feed addresses.
    urls = [o.url for o in read_opml(data)]
    assert urls == [
        "https://ansm.sante.fr/rss/actualites",
        "https://med-mastodon.com/@someone.rss",
        "https://bsky.app/profile/santepubliquefr.bsky.social/rss",
        "https://www.youtube.com/feeds/videos.xml?channel_id=UCQ1bWmiwCgj0_KDpDYdBvNw",
        "https://pubmed.ncbi.nlm.nih.gov/?term=%22heart%20failure%22%5Bti%5D%20AND%20france%5Bad%5D&sort=date",
        "https://www.iledefrance.ars.sante.fr/permanence-des-soins",
    ]
    copy = tmp_path / "copy.yaml"
    imported = run_cli(copy, db, "sources", "import", str(tmp_path / "out.opml"))
    assert imported.exit_code == 0, imported.output
    assert imported.output.splitlines()[-1] == f"6 added, 0 already present, 0 refused ({copy})"
    before = [s.__dict__ | {"line": None} for s in load_config(str(original)).sources]
    after = [s.__dict__ | {"line": None} for s in load_config(str(copy)).sources]
    assert after == before
    again = run_cli(copy, db, "sources", "import", str(tmp_path / "out.opml"))
    assert again.output.splitlines()[-1] == f"0 added, 6 already present, 0 refused ({copy})"
    assert "skipped @someone@med-mastodon.com: already followed as 'dr-someone'" in again.output


def test_import_a_third_party_file_reports_added_skipped_refused(tmp_path):
    config = tmp_path / "feeds.yaml"
    config.write_text(FEEDS_YAML, encoding="utf-8")
    source = tmp_path / "feedly.opml"
    source.write_bytes(THIRD_PARTY)
    result = run_cli(config, tmp_path / "v.db", "sources", "import", str(source), "--tier", "press")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines == [
        "added 'vidal': https://www.vidal.fr/actualites.rss",
        "added 'a-doctor': @docteur@piaille.fr",
        "skipped https://ansm.sante.fr/rss/actualites?xtor=RSS-1: already followed as 'ansm'",
        "skipped https://vidal.fr/actualites.rss: already followed as 'vidal'",
        "refused https://x.com/HAS_sante: X (Twitter) gives no open access to accounts without a login, "
        "so Veille cannot follow https://x.com/HAS_sante directly (run a bridge: see `veille sources add`)",
        "refused javascript:alert(1): 'javascript:alert(1)': only http:// and https:// addresses can be followed",
        "refused file:///etc/passwd: 'file:///etc/passwd': only http:// and https:// addresses can be followed",
        f"2 added, 2 already present, 3 refused ({config})",
    ]
    added = {s.id: s for s in load_config(str(config)).sources}
    assert (added["vidal"].tier, added["vidal"].kind) == ("press", "feed")
    assert (added["a-doctor"].kind, added["a-doctor"].url) == ("mastodon", "@docteur@piaille.fr")


def test_export_to_standard_output_and_bad_files(tmp_path):
    config = tmp_path / "feeds.yaml"
    config.write_text(FEEDS_YAML, encoding="utf-8")
    out = run_cli(config, tmp_path / "v.db", "sources", "export").output
    assert out.startswith("<?xml version='1.0' encoding='UTF-8'?>\n<opml")
    assert 'veille:kind="pubmed"' in out and 'veille:option-boosts="true"' in out
    with pytest.raises(TypeError):
        read_opml("https://example.org/list.opml")  # type: ignore[arg-type]  # never fetched
    with pytest.raises(ConfigError, match="not an OPML subscription list"):
        read_opml(b"just text")
    bad = tmp_path / "bad.opml"
    bad.write_bytes(b"<html><body>not a list</body></html>")
    result = run_cli(config, tmp_path / "v.db", "sources", "import", str(bad))
    assert result.exit_code == 2 and "not an OPML subscription list" in result.output


def test_entities_are_not_expanded(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    data = (
        f'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<opml version="2.0" xmlns:veille="https://veille.invalid/opml/1"><body>'
        '<outline type="rss" text="&x;" xmlUrl="https://a.org/feed" veille:kind="feed" veille:address="https://a.org/feed"/>'
        "</body></opml>"
    ).encode()
    outlines = read_opml(data)
    assert [o.url for o in outlines] == ["https://a.org/feed"]
    assert "TOP-SECRET" not in repr(outlines)
    assert export_opml([]).count(b"<outline") == 0


def test_import_cleans_titles_and_gives_each_kind_its_tier(tmp_path):
    config = tmp_path / "feeds.yaml"
    opml = tmp_path / "autre.opml"
    title = "&#x202e;ANSM&#10;&#9; actualités " + "x" * 300  # a bidi override, line breaks, 300 more
    opml.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><opml version="2.0"><head><title>t</title></head><body>'
        f'<outline type="rss" text="{title}" title="{title}" xmlUrl="https://ansm.sante.fr/rss/actualites"/>'
        '<outline type="rss" text="Docteur" xmlUrl="https://piaille.fr/@docteur.rss"/>'
        '<outline type="rss" text="PubMed" xmlUrl="https://pubmed.ncbi.nlm.nih.gov/?term=asthma"/>'
        "</body></opml>",
        encoding="utf-8",
    )
    result = run_cli(config, tmp_path / "v.db", "sources", "import", str(opml))
    assert result.exit_code == 0, result.output
    sources = load_config(str(config)).sources
    assert [(s.kind, s.tier) for s in sources] == [("feed", "press"), ("mastodon", "social"), ("pubmed", "journal")]
    assert sources[0].name == "ANSM actualités " + "x" * 103 + "…"
