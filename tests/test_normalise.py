from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veille.models import Entry
from veille.normalise import (
    canonical_url,
    dedup_url,
    derive_title,
    guess_lang,
    html_to_text,
    item_date,
    normalise,
    safe_link,
)

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "url, expected",
    [
        ("HTTPS://WWW.Example.ORG:443/Path?b=2&a=1#frag", "https://www.example.org/Path?a=1&b=2"),
        ("http://example.org:80", "http://example.org/"),
        ("http://example.org:8080/x", "http://example.org:8080/x"),
        (
            "https://ansm.sante.fr/a?utm_source=rss&utm_medium=feed&xtor=RSS-1&id=3",
            "https://ansm.sante.fr/a?id=3",
        ),
        ("https://x.org/a?fbclid=1&gclid=2&mc_cid=3&mc_eid=4", "https://x.org/a"),
        ("https://x.org/a?q=caf%C3%A9&page=2", "https://x.org/a?page=2&q=caf%C3%A9"),
        ("https://médecine.fr/actu", "https://xn--mdecine-bya.fr/actu"),
    ],
)
def test_canonical_url(url, expected):
    assert canonical_url(url) == expected


def test_dedup_url_ignores_scheme_www_and_trailing_slash():
    keys = {
        dedup_url(u)
        for u in (
            "http://www.vidal.fr/actu/doliprane/",
            "https://vidal.fr/actu/doliprane",
            "https://www.vidal.fr/actu/doliprane?utm_campaign=x#top",
        )
    }
    assert keys == {"vidal.fr/actu/doliprane"}
    assert dedup_url("https://vidal.fr/a?id=1") != dedup_url("https://vidal.fr/a?id=2")


param_names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)
param_values = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", max_size=8)


@given(
    host=st.sampled_from(["example.org", "WWW.Ansm.Sante.FR", "has-sante.fr:8443"]),
    path=st.text(alphabet="abcdefghij/-_.", max_size=20),
    params=st.lists(st.tuples(param_names, param_values), max_size=6),
)
def test_canonical_url_is_idempotent_and_keeps_meaningful_params(host, path, params):
    query = "&".join(f"{k}={v}" for k, v in params)
    url = f"https://{host}/{path}?{query}"
    once = canonical_url(url)
    assert canonical_url(once) == once
    kept = dict(parse_qsl(urlsplit(once).query, keep_blank_values=True))
    for name, _ in params:
        meaningful = not (name.startswith(("utm_", "at_", "pk_", "mtm_", "hsa_", "ga_")) or name in (
            "xtor", "fbclid", "gclid", "mc_cid", "mc_eid", "rss", "utm", "dclid", "gbraid", "wbraid",
            "msclkid", "yclid", "twclid", "_hsenc", "_hsmi", "mkt_tok", "igshid", "ref_src", "ref_url",
            "cmpid", "ncid", "sr_share", "vero_id", "oly_anon_id", "oly_enc_id",
        ))
        assert (name in kept) == meaningful


@pytest.mark.parametrize(
    "link, expected",
    [
        ("javascript:alert(1)", None),
        ("JaVaScRiPt:alert(1)", None),
        ("jav\tascript:alert(1)", None),
        ("data:text/html,<script>", None),
        ("file:///etc/passwd", None),
        ("/relative/path", "https://base.org/relative/path"),
        ("https://ok.org/x", "https://ok.org/x"),
        ("", None),
    ],
)
def test_safe_link(link, expected):
    assert safe_link(link, "https://base.org/feed.xml") == expected


def test_html_to_text():
    html = (
        "<p>L&#39;&eacute;pid&eacute;mie <b>progresse</b>.</p><script>alert(1)</script>"
        "<style>p{}</style><ul><li>un</li><li>deux</li></ul>\x00\x07 fin"
    )
    assert html_to_text(html) == "L'épidémie progresse. un deux fin"
    assert html_to_text(html, keep_newlines=True) == "L'épidémie progresse.\nun\ndeux\nfin"


def test_html_to_text_survives_deep_nesting():
    deep = "<div>" * 100_000 + "texte" + "</div>" * 100_000
    assert html_to_text(deep) == "texte"
    assert html_to_text("<b>" * 100_000 + "gras<script>x</script>") == "gras"


def test_plain_text_with_angle_brackets_is_kept():
    assert html_to_text("a &lt; b et c > d") == "a < b et c > d"


def test_item_date():
    assert item_date(None, NOW) == NOW
    assert item_date(NOW + timedelta(days=30), NOW) == NOW  # future dates are not trusted
    past = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
    assert item_date(past, NOW) == past


def test_derive_title_and_lang():
    assert derive_title("Nouvelle étude sur le sommeil des internes. La suite demain.") == (
        "Nouvelle étude sur le sommeil des internes."
    )
    assert guess_lang("La HAS publie une recommandation sur le dépistage des cancers") == "fr"
    assert guess_lang("The FDA approves a new drug for heart failure in adults") == "en"
    assert guess_lang("Doliprane") is None


def test_normalise_entry():
    entry = Entry(
        guid="g1",
        link="/a?utm_source=x",
        title="T" * 2000,
        summary="<p>Résumé</p>",
        content="<p>Résumé</p>",
        published=None,
    )
    item = normalise(entry, source_id="s", base_url="https://ex.org/feed", fetched_at=NOW, lang="fr")
    assert item is not None
    assert item.url == "https://ex.org/a?utm_source=x"
    assert item.canonical_url == "https://ex.org/a"
    assert len(item.title) <= 500
    assert item.summary == "Résumé" and item.content == ""
    assert item.published_at == "2026-11-28T12:00:00Z"
    assert item.lang == "fr"


def test_item_without_title_or_link_is_dropped():
    assert normalise(Entry(guid="x", link=None, title=None), source_id="s", base_url=None, fetched_at=NOW) is None


def test_same_article_from_two_sources_has_one_id():
    a = normalise(Entry(guid="1", link="http://www.ex.org/a/", title="A"), source_id="s1", base_url=None, fetched_at=NOW)
    b = normalise(Entry(guid="zz", link="https://ex.org/a?utm_medium=rss", title="A"), source_id="s2", base_url=None, fetched_at=NOW)
    assert a is not None and b is not None and a.id == b.id


@pytest.mark.parametrize(
    "fragment, expected",
    [
        ("<html><head><title>Avis de l'ANSM</title></head></html>", "Avis de l'ANSM"),
        ("<html><frameset><frame src='x'></frameset></html>", ""),
        ("<html><head><script>alert(1)</script></head></html>", ""),
    ],
)
def test_html_to_text_of_a_whole_document_without_a_body(fragment, expected):
    # A summary that is a whole document with no body: its tags stripped, never an exception.
    assert html_to_text(fragment) == expected


def test_an_item_whose_summary_has_no_body_does_not_lose_the_feed():
    from datetime import UTC, datetime

    from veille.process import process_document

    rss = (
        b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        b"<link>https://x.example/</link>"
        b"<item><title>Premier</title><link>https://x.example/1</link>"
        b"<description>&lt;html&gt;&lt;head&gt;&lt;title&gt;Vide&lt;/title&gt;&lt;/head&gt;&lt;/html&gt;</description></item>"
        b"<item><title>Second</title><link>https://x.example/2</link><description>Texte.</description></item>"
        b"</channel></rss>"
    )
    processed = process_document(rss, url="https://x.example/feed.xml", content_type="application/rss+xml",
                                 source_id="x", source_lang="fr", fetched_at=datetime.now(UTC), max_items=50)
    assert [i.title for i in processed.items] == ["Premier", "Second"]
    assert processed.items[0].summary == "Vide"
