"""Reaching the web from a hospital: a real forward proxy on 127.0.0.1 that alone can resolve the
feeds' host names, TLS through it verified against a CA installed on the machine, NO_PROXY, the
private-address checks behind a proxy, and what the user is told when nothing can be reached."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from tests.feedserver import FeedServer
from tests.helpers import rows, run_cli
from tests.proxyserver import ForwardProxy
from veille.config import load_config
from veille.errors import ConfigError, FetchError
from veille.fetch import Fetcher
from veille.models import Settings, Source
from veille.network import (
    OFFLINE_HINT,
    ProxyPolicy,
    bypasses,
    name_is_local,
    offline_hint,
    proxy_for,
    proxy_policy,
    tls_context,
    unreachable,
)

# Only the proxy can resolve these names (.invalid never resolves anywhere else: RFC 6761).
FEEDS_HOST = "flux.chu-exemple.invalid"
TLS_HOST = "securise.chu-exemple.invalid"
@pytest.fixture
def proxy(server: FeedServer) -> Iterator[ForwardProxy]:
    # "intranet" and "nas.local" are names of the hospital's network that its proxy can reach.
    p = ForwardProxy({FEEDS_HOST: "127.0.0.1", TLS_HOST: "127.0.0.1", "intranet": "127.0.0.1", "nas.local": "127.0.0.1"})
    yield p
    p.close()


@pytest.fixture(scope="module")
def hospital_ca() -> trustme.CA:
    return trustme.CA(organization_name="CHU Exemple — inspection TLS")


@pytest.fixture(scope="module")
def tls_server(hospital_ca: trustme.CA) -> Iterator[FeedServer]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    hospital_ca.issue_cert(TLS_HOST).configure_cert(context)
    s = FeedServer(tls=context)
    yield s
    s.close()


def _rss(title: str, n: int = 2) -> str:
    items = "".join(
        f"<item><title>{title} {i}</title><link>https://www.chu-exemple.fr/actu/{i}</link>"
        f"<guid>{title}-{i}</guid></item>"
        for i in range(1, n + 1)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>{items}</channel></rss>'


# --- the decisions, pure --------------------------------------------------------------------

def test_policy_from_environment_lower_case_wins():
    policy = proxy_policy(environ={
        "HTTPS_PROXY": "http://upper:3128", "https_proxy": "http://lower:3128",
        "HTTP_PROXY": "http://plain:8080", "NO_PROXY": "intra.chu.fr, .ars.sante.fr",
    })
    assert policy == ProxyPolicy(
        http="http://plain:8080", https="http://lower:3128",
        no_proxy=("intra.chu.fr", ".ars.sante.fr"), origin="HTTPS_PROXY",
    )
    assert proxy_policy(environ={"ALL_PROXY": "http://all:3128"}).https == "http://all:3128"
    assert not proxy_policy(environ={}).configured


def test_settings_proxy_overrides_the_environment():
    env = {"HTTPS_PROXY": "http://env:3128", "NO_PROXY": "env.org"}
    assert proxy_policy("http://conf:3128", None, env) == ProxyPolicy(
        http="http://conf:3128", https="http://conf:3128", no_proxy=(), origin="settings.proxy"
    )
    assert proxy_policy(None, ["conf.org"], env).no_proxy == ("conf.org",)
    assert not proxy_policy("none", None, env).configured  # direct, whatever the environment says


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://ansm.sante.fr/rss", "http://p:3128"),
        ("http://ansm.sante.fr/rss", "http://p:8080"),
        ("https://intra.chu.fr/flux", None),  # a name of NO_PROXY
        ("https://www.intra.chu.fr/flux", None),  # and its subdomains
        ("https://notintra.chu.fr/flux", "http://p:3128"),  # but not a name that merely ends alike
        ("https://a.ars.sante.fr/", None),  # .suffix
        ("https://x.wild.org/", None),  # *.suffix
        ("http://10.2.3.4/feed", None),  # a network in CIDR notation
        ("http://11.2.3.4/feed", "http://p:8080"),
        ("https://port.org:8443/", None),  # name:port
        ("https://port.org/", "http://p:3128"),
        ("http://127.0.0.1:3000/bridge", None),  # loopback never goes through a proxy
        ("http://localhost:3000/bridge", None),
        ("http://[::1]:3000/bridge", None),
    ],
)
def test_proxy_for(url, expected):
    policy = ProxyPolicy(
        http="http://p:8080", https="http://p:3128", origin="HTTPS_PROXY",
        no_proxy=("intra.chu.fr", ".ars.sante.fr", "*.wild.org", "10.0.0.0/8", "port.org:8443"),
    )
    assert proxy_for(url, policy) == expected


def test_no_proxy_star_and_ipv6():
    assert bypasses("anything.org", 443, ["*"])
    assert bypasses("fd00::5", 80, ["fd00::/8"])
    assert not bypasses("2001:db8::1", 80, ["fd00::/8"])


@pytest.mark.parametrize(
    ("host", "local"),
    [("localhost", True), ("intranet", True), ("gw.local", True), ("db.internal", True),
     ("box.home.arpa", True), ("ansm.sante.fr", False), ("127.0.0.1", False), ("", True)],
)
def test_name_is_local(host, local):
    assert name_is_local(host) is local


def test_offline_hint():
    direct = ProxyPolicy()
    dns = "cannot resolve host 'ansm.sante.fr' (Name or service not known)"
    refused = "cannot connect to has-sante.fr ([Errno 111] Connection refused)"
    assert offline_hint([("https://ansm.sante.fr/rss", dns), ("https://has-sante.fr/", refused)], direct) == OFFLINE_HINT
    # A bridge on this machine answering proves nothing about the internet.
    assert offline_hint([("https://ansm.sante.fr/rss", dns), ("http://127.0.0.1:3000/x", None)], direct) == OFFLINE_HINT
    # Accounts are on the internet too.
    assert offline_hint([("@doc@med-mastodon.com", dns)], direct) == OFFLINE_HINT
    # One public source answered: the network works, that host is just wrong.
    assert offline_hint([("https://ansm.sante.fr/rss", dns), ("https://who.int/rss", None)], direct) is None
    # A server that answered badly is not a network problem.
    assert offline_hint([("https://ansm.sante.fr/rss", dns), ("https://who.int/rss", "HTTP 500 x")], direct) is None
    assert offline_hint([("http://127.0.0.1:9/x", refused)], direct) is None  # a bridge that is down
    assert offline_hint([], direct) is None
    proxied = ProxyPolicy(https="http://proxy.chu.fr:3128", origin="settings.proxy")
    hint = offline_hint([("https://ansm.sante.fr/rss", "cannot reach the proxy proxy.chu.fr:3128 …")], proxied)
    assert hint == "the proxy cannot be reached: check settings.proxy or HTTPS_PROXY (settings.proxy)"


def test_settings_proxy_is_validated(tmp_path: Path):
    path = tmp_path / "feeds.yaml"
    cases = [
        ("proxy: proxy.chu.fr:3128", "settings.proxy: 'proxy.chu.fr:3128': a proxy address starts with http://"),
        ("proxy: http://proxy.chu.fr:99999", "is not a valid proxy address"),
        ("proxy: http://proxy.chu.fr:3128/path", "a proxy address is only scheme, host and port"),
        ("proxy: socks4://p:1080", "a proxy address starts with http://"),
        ("proxy: 3128", "settings.proxy must be a string"),
        ("no_proxy: [intra.chu.fr, 12]", "settings.no_proxy must list host names as strings"),
        ("no_proxy: 10.0.0.0/33", "'10.0.0.0/33' is not a network"),
        ("no_proxy: 'intra chu'", "'intra chu' is not a host name"),
    ]
    for setting, message in cases:
        path.write_text(f"sources: []\nsettings:\n  {setting}\n", encoding="utf-8")
        with pytest.raises(ConfigError) as e:
            load_config(str(path))
        assert f"{path}:3:" in str(e.value) and message in str(e.value), (setting, str(e.value))
    path.write_text(
        "sources: []\nsettings:\n  proxy: http://user:secret@proxy.chu.fr:3128\n"
        "  no_proxy: [intra.chu.fr, 10.0.0.0/8, '*.ars.sante.fr']\n",
        encoding="utf-8",
    )
    settings = load_config(str(path)).settings
    assert settings.proxy == "http://user:secret@proxy.chu.fr:3128"
    assert settings.no_proxy == ("intra.chu.fr", "10.0.0.0/8", "*.ars.sante.fr")
    path.write_text("sources: []\nsettings:\n  no_proxy: 'intra.chu.fr, .ars.sante.fr'\n", encoding="utf-8")
    assert load_config(str(path)).settings.no_proxy == ("intra.chu.fr", ".ars.sante.fr")


# --- through a real proxy -------------------------------------------------------------------

def test_collect_through_settings_proxy_to_a_name_only_the_proxy_resolves(server, proxy, write_config, db):
    server.add("/actualites.xml", _rss("CHU"))
    config = write_config(
        [{"id": "chu", "url": f"http://{FEEDS_HOST}:{server.port}/actualites.xml"}],
        settings=f"proxy: {proxy.url}\n",
    )
    result = run_cli(config, db, "collect")
    print(result.output)  # the closing note quotes it
    assert result.exit_code == 0, result.output
    assert "chu: 2 new, 0 already known" in result.output
    assert "1 source: 2 new items, 0 unchanged, 0 errors in" in result.output
    assert proxy.log == [("GET", f"http://{FEEDS_HOST}:{server.port}/actualites.xml")]
    assert [r["title"] for r in rows(db, "select title from items order by title")] == ["CHU 1", "CHU 2"]
    # Without the proxy the same name cannot be resolved, and the user is told why.
    config.write_text(config.read_text().split("settings:")[0], encoding="utf-8")
    server.routes["/actualites.xml"].body = _rss("CHU", 3).encode()
    result = run_cli(config, db, "collect")
    assert f"chu: ERROR cannot resolve host '{FEEDS_HOST}'" in result.output
    assert result.output.count("cannot resolve host") == 1
    assert "1 source: 0 new items, 0 unchanged, 1 error in" in result.output
    assert result.output.splitlines()[-1] == OFFLINE_HINT


def test_https_through_the_environment_proxy_with_the_hospital_ca(
    tls_server, proxy, hospital_ca, write_config, db, tmp_path, monkeypatch
):
    """The hospital case: HTTPS_PROXY set, no DNS for the internet, TLS verified against a CA
    the machine trusts (SSL_CERT_FILE here, /etc/ssl/certs after update-ca-certificates)."""
    tls_server.add("/flux.xml", _rss("Sécurisé"))
    url = f"https://{TLS_HOST}:{tls_server.port}/flux.xml"
    config = write_config([{"id": "secure", "url": url}])
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    # The machine does not trust the hospital's CA yet: refused, and said plainly.
    result = run_cli(config, db, "collect")
    assert f"secure: ERROR the certificate of {TLS_HOST} is not trusted" in result.output
    assert "install that CA in the system's trust store" in result.output
    assert proxy.log == [("CONNECT", f"{TLS_HOST}:{tls_server.port}")]
    ca_file = tmp_path / "hospital-ca.pem"
    hospital_ca.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    run_cli(config, db, "sources", "enable", "secure")  # clear the backoff
    result = run_cli(config, db, "collect")
    assert "secure: 2 new, 0 already known" in result.output, result.output
    assert proxy.log[-1] == ("CONNECT", f"{TLS_HOST}:{tls_server.port}")
    assert len(rows(db, "select id from items where source_id = 'secure'")) == 2


def test_sources_add_through_the_proxy(server, proxy, tmp_path, db, monkeypatch):
    server.add("/actualites.xml", _rss("CHU", 1))
    config = tmp_path / "feeds.yaml"
    config.write_text(f"sources: []\nsettings:\n  proxy: {proxy.url}\n", encoding="utf-8")
    url = f"http://{FEEDS_HOST}:{server.port}/actualites.xml"
    result = run_cli(config, db, "sources", "add", url)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "found: feed, CHU, 1 item"
    assert proxy.log == [("GET", url)]
    # Without it: the check says why nothing answers.
    config.write_text("sources: []\n", encoding="utf-8")
    result = run_cli(config, db, "sources", "add", url)
    assert result.exit_code == 2
    assert f"cannot resolve host '{FEEDS_HOST}'" in result.output
    assert f"; {OFFLINE_HINT} (use --no-check to add it anyway)" in result.output


def test_no_proxy_goes_direct(server, proxy, write_config, db, monkeypatch):
    server.add("/a.xml", _rss("A", 1))
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", f"direct.invalid,{FEEDS_HOST}")
    config = write_config([
        {"id": "direct", "url": f"http://direct.invalid:{server.port}/a.xml"},
        {"id": "bridge", "url": server.url("/a.xml")},  # 127.0.0.1: always direct
    ])
    result = run_cli(config, db, "collect")
    assert "direct: ERROR cannot resolve host 'direct.invalid'" in result.output  # not sent to the proxy
    assert "bridge: 1 new, 0 already known" in result.output
    assert proxy.log == []


def test_proxy_down_or_refusing(server, proxy, write_config, db):
    server.add("/a.xml", _rss("A", 1))
    url = f"http://{FEEDS_HOST}:{server.port}/a.xml"
    closed = ForwardProxy({})
    closed.close()  # nothing listens on its port any more
    config = write_config([{"id": "a", "url": url}], settings=f"proxy: http://u:secret@127.0.0.1:{closed.port}\n")
    result = run_cli(config, db, "collect")
    assert f"a: ERROR cannot reach the proxy 127.0.0.1:{closed.port} (from settings.proxy):" in result.output
    assert "secret" not in result.output
    assert result.output.splitlines()[-1] == (
        "the proxy cannot be reached: check settings.proxy or HTTPS_PROXY (settings.proxy)"
    )
    proxy.refuse("407 Proxy Authentication Required")
    config = write_config(
        [{"id": "a", "url": f"https://{TLS_HOST}:{server.port}/a.xml"}], settings=f"proxy: {proxy.url}\n"
    )
    result = run_cli(config, db, "sources", "enable", "a")
    result = run_cli(config, db, "collect")
    assert (
        f"a: ERROR the proxy 127.0.0.1:{proxy.port} (from settings.proxy) asks for a login "
        "(407 Proxy Authentication Required): put it in the proxy address, http://user:password@proxy:3128"
    ) in result.output


def test_proxy_that_cannot_reach_the_host(proxy, write_config, db):
    config = write_config([{"id": "gone", "url": "https://unknown.invalid/rss"}], settings=f"proxy: {proxy.url}\n")
    result = run_cli(config, db, "collect")
    assert (
        f"gone: ERROR the proxy 127.0.0.1:{proxy.port} (from settings.proxy) could not reach "
        "unknown.invalid (502 Bad Gateway); check the address"
    ) in result.output
    assert not unreachable("the proxy could not reach unknown.invalid (502 Bad Gateway)")


# --- private addresses behind a proxy --------------------------------------------------------

def _fetch(settings: Settings, url: str, **kwargs) -> tuple:
    async def go():
        async with Fetcher(settings, **kwargs) as fetcher:
            return await fetcher.fetch(Source(id="s", name="s", url=url), require_public=True)

    return asyncio.run(go())


@pytest.mark.parametrize(
    "target",
    ["http://localhost:{port}/a.xml", "http://intranet:{port}/a.xml", "http://nas.local:{port}/a.xml",
     "http://127.0.0.1:{port}/a.xml", "http://169.254.169.254/latest/meta-data/"],
)
def test_links_to_private_addresses_refused_through_the_proxy(server, proxy, target):
    """A third party's link (full text, pagination, a redirect from a public site) must be
    public: behind a proxy too, for every name whose privacy can be seen from here."""
    server.add("/a.xml", _rss("A", 1))
    fetched = _fetch(Settings(proxy=proxy.url), target.format(port=server.port))
    assert fetched.error and fetched.error.startswith("refused"), fetched.error
    assert server.requests == [] and proxy.log == []


def test_public_looking_name_resolving_here_to_a_private_address(server, proxy):
    async def resolver(host: str, port: int) -> list[str]:
        if host == "metadata.example.org":
            return ["169.254.169.254"]
        raise FetchError(f"cannot resolve host {host!r}")

    fetched = _fetch(Settings(proxy=proxy.url), "http://metadata.example.org/latest", resolver=resolver)
    assert fetched.error == (
        "refused to follow a link to metadata.example.org: it is a private, loopback or link-local address"
    )
    assert proxy.log == []
    # A name only the proxy can resolve is left to the proxy (the hospital case).
    server.add("/a.xml", _rss("A", 1))
    fetched = _fetch(Settings(proxy=proxy.url), f"http://{FEEDS_HOST}:{server.port}/a.xml", resolver=resolver)
    assert fetched.error is None and fetched.status == 200
    assert proxy.log == [("GET", f"http://{FEEDS_HOST}:{server.port}/a.xml")]


@pytest.mark.parametrize("private", ["intranet", "localhost"])
def test_public_source_redirecting_into_the_private_network_through_the_proxy(server, proxy, write_config, db, private):
    server.add("/secret", "internal")
    server.add("/moved.xml", b"", status=302, headers={"Location": f"http://{private}:{server.port}/secret"})
    config = write_config(
        [{"id": "moved", "url": f"http://{FEEDS_HOST}:{server.port}/moved.xml"}], settings=f"proxy: {proxy.url}\n"
    )
    result = run_cli(config, db, "collect")
    assert f"moved: ERROR refused to follow a link to {private}: it is a private, loopback or link-local address" in result.output
    assert server.hits("/secret") == 0


def test_tls_context_uses_the_system_store(monkeypatch, hospital_ca, tmp_path):
    ca_file = tmp_path / "ca.pem"
    hospital_ca.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    context = tls_context()
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.cert_store_stats()["x509_ca"] == 1  # the CA this machine trusts, not a bundle of Python's


def test_environment_proxy_without_scheme_and_unusable_ones(server, proxy, write_config, db, monkeypatch):
    server.add("/a.xml", _rss("A", 1))
    config = write_config([{"id": "a", "url": f"http://{FEEDS_HOST}:{server.port}/a.xml"}])
    monkeypatch.setenv("http_proxy", f"127.0.0.1:{proxy.port}")  # as curl reads it: http://
    assert "a: 1 new, 0 already known" in run_cli(config, db, "collect").output
    assert proxy.log == [("GET", f"http://{FEEDS_HOST}:{server.port}/a.xml")]
    monkeypatch.setenv("http_proxy", "socks5://user:secret@127.0.0.1:1080")
    run_cli(config, db, "sources", "enable", "a")
    result = run_cli(config, db, "collect")
    assert result.exit_code == 0
    assert (
        "a: ERROR HTTP_PROXY cannot be used: 'socks5://user:***@127.0.0.1:1080': a proxy address starts "
        "with http://"
    ) in result.output
    assert "secret" not in result.output


def test_proxy_password_never_shown_in_configuration_errors(tmp_path: Path):
    path = tmp_path / "feeds.yaml"
    path.write_text("sources: []\nsettings:\n  proxy: http://dupont:s3cret@proxy.chu.fr:99999\n", encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_config(str(path))
    assert "'http://dupont:***@proxy.chu.fr:99999' is not a valid proxy address" in str(e.value)
    assert "s3cret" not in str(e.value)


def test_digest_mail_trusts_the_system_store(hospital_ca, tmp_path, monkeypatch):
    """STARTTLS to the hospital's mail relay, whose certificate its own CA signed."""
    import socket

    from aiosmtpd.controller import Controller

    from veille.mail import MailError, SmtpSettings, build_message, send

    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's naming
            received.append(envelope.rcpt_tos)
            return "250 OK"

    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    hospital_ca.issue_cert("127.0.0.1").configure_cert(server_context)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port, tls_context=server_context, require_starttls=True)
    controller.start()
    try:
        smtp = SmtpSettings(host="127.0.0.1", port=port, security="starttls", sender="veille@chu-exemple.fr", timeout=10)
        message = build_message("Veille", smtp.sender, ["doc@chu-exemple.fr"], "texte", "<p>texte</p>")
        with pytest.raises(MailError, match="CERTIFICATE_VERIFY_FAILED"):
            send(smtp, message)  # the machine does not trust the hospital's CA yet
        ca_file = tmp_path / "hospital-ca.pem"
        hospital_ca.cert_pem.write_to_path(str(ca_file))
        monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
        send(smtp, message)
    finally:
        controller.stop()
    assert received == [["doc@chu-exemple.fr"]]


def test_service_logs_the_offline_hint(server, write_config, tmp_path):
    from tests.test_schedule import Service

    bridge = server.add("/bridge.xml", _rss("Pont", 1))
    config = write_config([
        {"id": "ansm", "url": "https://ansm.sante.invalid/rss", "every": "1m"},
        {"id": "bridge", "url": bridge, "every": "1m"},  # a bridge on this machine answers: proves nothing
    ])
    service = Service(config, tmp_path / "veille.db")
    try:
        service.wait_for(lambda: service.logged("collection done"), 20, "the first collection")
        service.wait_for(lambda: service.logged(OFFLINE_HINT), 5, "the offline hint")
        assert service.logged("collection done in") and service.logged(": 1 new item, 1 error")
        assert [line.split(" ", 2)[2] for line in service.lines if OFFLINE_HINT in line][0] == f"WARNING {OFFLINE_HINT}"
    finally:
        service.stop()
        service.kill()


def test_readme_feeds_yaml_example_is_valid(tmp_path: Path):
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    block = readme.split("## `feeds.yaml`", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "feeds.yaml"
    path.write_text(block, encoding="utf-8")
    settings = load_config(str(path)).settings
    assert settings.proxy == "http://proxy.chu-exemple.fr:3128"
    assert settings.no_proxy == ("intranet.chu-exemple.fr", "10.0.0.0/8")
