"""Finding the feed of a web site before adding it: <link rel="alternate">, the usual paths, and a
list to choose from when a site announces several feeds."""

from __future__ import annotations

from tests.feedserver import FEEDS
from tests.helpers import run_cli
from veille.config import load_config
from veille.discover import feed_links

FORUM = """<!DOCTYPE html><html lang="fr"><head><title>Forum Santé - Doctissimo</title>
<link rel="alternate" type="application/rss+xml" title="Derniers sujets" href="/forum/sante/rss.xml">
<link rel="stylesheet" href="/s.css"><link rel="alternate" hreflang="en" href="/en/">
</head><body><h1>Forum</h1></body></html>"""


SEVERAL = """<html><head>
<link rel="alternate" type="application/rss+xml" title="Actualités" href="/actus.xml">
<link rel="alternate" type="application/atom+xml" title="Recommandations" href="https://example.org/reco.atom">
<link rel="alternate" type="application/rss+xml" title="javascript" href="javascript:alert(1)">
</head><body></body></html>"""


def test_feed_links_reads_alternates_only():
    assert feed_links(FORUM.encode(), "https://forum.doctissimo.fr/sante/") == [
        ("https://forum.doctissimo.fr/forum/sante/rss.xml", "Derniers sujets"),
    ]
    assert feed_links(SEVERAL.encode(), "https://example.org/") == [
        ("https://example.org/actus.xml", "Actualités"), ("https://example.org/reco.atom", "Recommandations"),
    ]
    assert feed_links(b"", "https://example.org/") == []


def test_forum_is_followed_through_its_rss(server, tmp_path):
    config = tmp_path / "feeds.yaml"
    server.add("/forum/", FORUM, headers={"Content-Type": "text/html"})
    server.add_file("/forum/sante/rss.xml", "ansm_actualites.rss.xml")
    result = run_cli(config, tmp_path / "v.db", "sources", "add", server.url("/forum/"))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "found: feed, ANSM - Actualités, 3 items"
    assert load_config(str(config)).sources[0].url == server.url("/forum/sante/rss.xml")


def test_several_feeds_are_listed_to_choose_from(server, tmp_path):
    config = tmp_path / "feeds.yaml"
    server.add("/", SEVERAL, headers={"Content-Type": "text/html"})
    result = run_cli(config, tmp_path / "v.db", "sources", "add", server.url("/"))
    assert result.exit_code == 2
    assert result.output.splitlines()[-3:] == [
        f"Error: {server.url('/')} announces several feeds; add the one you want:",
        f"  {server.url('/actus.xml')}  Actualités",
        "  https://example.org/reco.atom  Recommandations",
    ]
    assert not config.exists()


def test_common_paths_are_tried_when_nothing_is_announced(server, tmp_path):
    config = tmp_path / "feeds.yaml"
    server.add("/", "<html><body>Pas de lien vers le flux</body></html>", headers={"Content-Type": "text/html"})
    server.add_file("/feed", "has_recommandations.atom.xml", headers={"Content-Type": "application/atom+xml"})
    result = run_cli(config, tmp_path / "v.db", "sources", "add", server.url("/"))
    assert result.exit_code == 0, result.output
    assert load_config(str(config)).sources[0].url == server.url("/feed")
    assert server.hits("/rss.xml") == 0  # /feed comes first and was enough


def test_page_without_feed_suggests_kind_page(server, tmp_path):
    config = tmp_path / "feeds.yaml"
    server.add_file("/actus", "challenge.html")
    result = run_cli(config, tmp_path / "v.db", "sources", "add", server.url("/actus"))
    assert result.exit_code == 2
    assert "no feed was found on it" in result.output and "--kind page" in result.output
    page = (FEEDS / "kinds" / "page_v1.html").read_bytes()
    server.add("/pds", page, headers={"Content-Type": "text/html; charset=utf-8"})
    result = run_cli(config, tmp_path / "v.db", "sources", "add", f"page:{server.url('/pds')}", "--tier", "official")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "found: page, Permanence des soins ambulatoires, 1 item"
    source = load_config(str(config)).sources[0]
    assert (source.kind, source.url, source.tier) == ("page", server.url("/pds"), "official")
