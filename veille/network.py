"""How Veille reaches the web: which requests go through a proxy, which certificates it trusts,
and what to tell the user when nothing can be reached.

Hospitals reach the internet through a forward proxy, often one that inspects TLS with the
hospital's own certificate authority, installed on every machine. So:

- the proxy comes from ``settings.proxy`` in feeds.yaml, else from ``HTTPS_PROXY``/``HTTP_PROXY``
  (``ALL_PROXY``) in the environment; ``settings.no_proxy``, else ``NO_PROXY``, lists the hosts
  reached directly; loopback (``localhost``, 127.0.0.0/8, ``::1``, a bridge the user runs) is
  always reached directly, since a proxy cannot reach this machine's own loopback;
- TLS is verified against the system's trust store: the Windows and macOS stores through
  ``truststore``, OpenSSL's system store elsewhere (``/etc/ssl/certs`` on Debian, where
  ``update-ca-certificates`` installs a hospital CA; ``SSL_CERT_FILE``/``SSL_CERT_DIR``
  honoured), loaded once per collect;
- every HTTP client Veille builds (collect, full text, site discovery, accounts and channels,
  ``sources add`` checks) goes through ``veille.fetch.Fetcher``, whose transport is the
  ``RoutedTransport`` below; the digest mail uses ``tls_context()`` too.

Private addresses behind a proxy: when a request goes through the proxy, the proxy resolves the
host name, so Veille cannot check the address actually connected to. It checks what it can see
(``target_may_be_private``): a literal address, names that are local by nature (``localhost``,
``*.local``, ``*.internal``, ``*.lan``, ``*.home.arpa``, single-label intranet names), and, when the
name also resolves here, the addresses it resolves to. A public name that only the proxy's DNS
maps to a private address is beyond what a client can see: corporate proxies are normally set to
refuse internal destinations themselves.
"""

from __future__ import annotations

import ipaddress
import os
import re
import ssl
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

PROXY_SCHEMES = ("http", "https")
# Names that are never on the public internet (RFC 6761, RFC 6762, RFC 8375, ICANN's .internal).
LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".intranet", ".lan", ".home.arpa", ".corp")
# Where Linux distributions keep the system's CA bundle, for Pythons whose OpenSSL was built to
# look elsewhere (the list truststore uses).
CA_FILES = (
    "/etc/ssl/certs/ca-certificates.crt",  # Debian, Ubuntu
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",  # Fedora, RHEL
    "/etc/ssl/cert.pem",  # Alpine, Arch, BSD
    "/etc/pki/tls/cert.pem",
    "/etc/ssl/ca-bundle.pem",  # SUSE
)
OFFLINE_HINT = "you seem to be offline or behind a proxy: set HTTPS_PROXY or settings.proxy"
# The messages veille.fetch gives when the network itself is out of reach (no name resolution,
# no connection), as opposed to a server that answered badly.
_UNREACHABLE = re.compile(
    r"cannot resolve host|cannot connect to |timed out connecting to |cannot reach the proxy"
)


@dataclass(frozen=True)
class ProxyPolicy:
    """Which proxy each request uses. ``http``/``https``: the proxy for http:// and https://
    addresses (None: direct); ``no_proxy``: hosts, domain suffixes, addresses or networks reached
    directly (``*`` for all); ``origin``: where the proxy came from, for messages."""

    http: str | None = None
    https: str | None = None
    no_proxy: tuple[str, ...] = ()
    origin: str = ""

    @property
    def configured(self) -> bool:
        return bool(self.http or self.https)


def split_no_proxy(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """``"a.org, .b.org"`` or ``["a.org", ".b.org"]`` -> ``("a.org", ".b.org")``."""
    if value is None:
        return ()
    parts = value.split(",") if isinstance(value, str) else list(value)
    return tuple(p.strip().lower() for p in parts if p and p.strip())


def proxy_policy(
    proxy: str | None = None, no_proxy: str | Iterable[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> ProxyPolicy:
    """The policy from ``settings.proxy``/``settings.no_proxy`` when set, else the environment.
    ``proxy: none`` in feeds.yaml connects directly whatever the environment says."""
    bypass = split_no_proxy(no_proxy) if no_proxy is not None else None
    if proxy is not None:
        if proxy.strip().lower() == "none":
            return ProxyPolicy(origin="settings.proxy")
        return ProxyPolicy(http=proxy, https=proxy, no_proxy=bypass or (), origin="settings.proxy")
    env = _environment_proxies(environ)
    if bypass is None:
        bypass = split_no_proxy(env.get("no"))
    https = env.get("https") or env.get("all")
    http = env.get("http") or env.get("all")
    origin = "HTTPS_PROXY" if env.get("https") else "HTTP_PROXY" if env.get("http") else "ALL_PROXY"
    return ProxyPolicy(http=http or None, https=https or None, no_proxy=bypass, origin=origin if (http or https) else "")


def _environment_proxies(environ: Mapping[str, str] | None) -> dict[str, str]:
    """``{"https": ..., "http": ..., "all": ..., "no": ...}`` from ``*_PROXY`` variables, lower
    case winning over upper case as curl and the standard library do (HTTP_PROXY is ignored
    under CGI, where a client can set it through the Proxy header)."""
    environ = os.environ if environ is None else environ
    found: dict[str, str] = {}
    for upper_first in (True, False):
        for name, value in environ.items():
            if name.lower().endswith("_proxy") and (name.isupper() if upper_first else not name.isupper()) and value.strip():
                value = value.strip()
                # curl reads "proxy.chu.fr:3128" as http://proxy.chu.fr:3128; so do we.
                found[name[:-6].lower()] = value if "://" in value or name.lower() == "no_proxy" else f"http://{value}"
    if "REQUEST_METHOD" in environ:
        found.pop("http", None)
    return found


def is_loopback_host(host: str) -> bool:
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def bypasses(host: str, port: int | None, no_proxy: Sequence[str]) -> bool:
    """True when ``host`` matches a NO_PROXY entry: ``*``, a name or domain suffix
    (``example.org`` and ``.example.org`` both match ``www.example.org``; ``*.example.org`` too),
    ``name:port``, an address, or a network in CIDR notation (``10.0.0.0/8``)."""
    host = host.strip("[]").lower().rstrip(".")
    try:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
    except ValueError:
        address = None
    for entry in no_proxy:
        entry = entry.strip().lower()
        if entry == "*":
            return True
        if not entry:
            continue
        if address is not None:
            try:
                if address in ipaddress.ip_network(entry.strip("[]"), strict=False):
                    return True
                continue
            except ValueError:
                pass
        name, _, entry_port = entry.rpartition(":") if _has_port(entry) else (entry, "", "")
        if entry_port and str(port) != entry_port:
            continue
        name = name.lstrip("*").lstrip(".").rstrip(".")
        if name and (host == name or host.endswith("." + name)):
            return True
    return False


def _has_port(entry: str) -> bool:
    head, sep, tail = entry.rpartition(":")
    return bool(sep) and tail.isdigit() and ":" not in head.strip("[]")


def proxy_for(url: str, policy: ProxyPolicy) -> str | None:
    """The proxy to send ``url`` through, or None to connect directly."""
    if not policy.configured:
        return None
    parts = urlsplit(url)
    proxy = policy.https if parts.scheme == "https" else policy.http if parts.scheme == "http" else None
    host = parts.hostname or ""
    if not proxy or not host or is_loopback_host(host):
        return None
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        port = None
    return None if bypasses(host, port, policy.no_proxy) else proxy


def name_is_local(host: str) -> bool:
    """True for names that cannot be on the public internet: ``localhost``, single-label
    intranet names, and the reserved local suffixes."""
    host = host.strip("[]").lower().rstrip(".")
    if not host:
        return True
    try:
        ipaddress.ip_address(host)
        return False  # an address is checked as an address
    except ValueError:
        pass
    return host == "localhost" or "." not in host or host.endswith(LOCAL_SUFFIXES)


def display_proxy(proxy: str) -> str:
    """The proxy address without its password, for messages."""
    parts = urlsplit(proxy)
    host = parts.hostname or proxy
    return f"{host}:{parts.port}" if parts.port else host


def proxy_problem(value: str) -> str | None:
    """What is wrong with a proxy address (feeds.yaml, the environment), or None. The message
    never shows the password of ``http://user:password@proxy:3128``."""
    value = value.strip()
    if value.lower() == "none":
        return None
    shown = repr(redact(value))
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError as e:
        return f"{shown} is not a valid proxy address ({str(e).replace(value, redact(value))})"
    if parts.scheme not in PROXY_SCHEMES:
        return f"{shown}: a proxy address starts with http:// (or https://), e.g. http://proxy.chu-exemple.fr:3128"
    if not parts.hostname:
        return f"{shown} has no host name"
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return f"{shown}: a proxy address is only scheme, host and port (e.g. http://proxy:3128)"
    return None


def redact(address: str) -> str:
    """``http://user:secret@proxy:3128`` -> ``http://user:***@proxy:3128``."""
    return re.sub(r"(?<=://)([^/@:]*):[^/@]*@", r"\1:***@", address)


def no_proxy_problem(entry: str) -> str | None:
    """What is wrong with one entry of settings.no_proxy, or None."""
    if entry == "*":
        return None
    if "/" in entry:
        try:
            ipaddress.ip_network(entry.strip("[]"), strict=False)
            return None
        except ValueError:
            return f"{entry!r} is not a network (e.g. 10.0.0.0/8)"
    name = entry[: entry.rfind(":")] if _has_port(entry) else entry
    if not re.fullmatch(r"[\[\]*.:a-z0-9_-]+", name.lower()) or name.strip("*.") == "":
        return f"{entry!r} is not a host name, domain (.example.org) or address"
    return None


def tls_context() -> ssl.SSLContext:
    """Certificate verification against the system's trust store (see the module docstring).
    Costs about 35 ms: build one per collect, never one per connection (truststore reloads the
    OpenSSL store at every handshake on Linux, which is why it is used only on Windows and macOS)."""
    if sys.platform in ("win32", "darwin"):
        import truststore

        return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context = ssl.create_default_context()
    if not context.cert_store_stats()["x509_ca"] and not _capath_has_certs():
        for cafile in CA_FILES:
            if os.path.isfile(cafile):
                context.load_verify_locations(cafile=cafile)
                break
        else:  # no system store at all (a bare container): the bundle httpx ships with
            import certifi

            context.load_verify_locations(cafile=certifi.where())
    return context


def _capath_has_certs() -> bool:
    capath = ssl.get_default_verify_paths().capath
    if not capath or not os.path.isdir(capath):
        return False
    return any(re.fullmatch(r"[0-9a-f]{8}\.\d+", name) for name in os.listdir(capath))


class RoutedTransport(httpx.AsyncBaseTransport):
    """Sends each request directly or through the proxy that the policy gives for its URL.
    Connection errors to the proxy itself say so, instead of blaming the feed's host."""

    def __init__(
        self, direct: httpx.AsyncBaseTransport, policy: ProxyPolicy, limits: httpx.Limits,
        context: ssl.SSLContext,
    ):
        self._direct = direct
        self._policy = policy
        self._limits = limits
        self._context = context
        self._proxied: dict[str, httpx.AsyncHTTPTransport] = {}

    def _via(self, proxy: str) -> httpx.AsyncHTTPTransport:
        if proxy not in self._proxied:
            # An https:// proxy's own certificate is checked against the same store.
            tls = self._context if proxy.lower().startswith("https:") else None
            self._proxied[proxy] = httpx.AsyncHTTPTransport(
                proxy=httpx.Proxy(proxy, ssl_context=tls), verify=self._context,
                limits=self._limits, trust_env=False,
            )
        return self._proxied[proxy]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        from veille.errors import FetchError

        proxy = proxy_for(str(request.url), self._policy)
        problem = proxy_problem(proxy) if proxy else None
        if problem:  # from the environment (feeds.yaml is checked when it is loaded)
            raise FetchError(f"{self._policy.origin} cannot be used: {problem}")
        try:
            if proxy is None:
                return await self._direct.handle_async_request(request)
            return await self._via(proxy).handle_async_request(request)
        except httpx.ConnectError as e:
            certificate = _certificate_error(e)
            if certificate is not None:
                raise FetchError(
                    f"the certificate of {request.url.host} is not trusted ({certificate}); if your "
                    "network inspects TLS with its own authority (hospital proxies do), install that "
                    "CA in the system's trust store"
                ) from e
            if proxy is None:
                raise
            raise FetchError(
                f"cannot reach the proxy {self._where(proxy)}: {_short(e)}; check settings.proxy "
                "or HTTPS_PROXY"
            ) from e
        except httpx.ProxyError as e:
            assert proxy is not None
            raise FetchError(_proxy_refusal(self._where(proxy), request.url.host, _short(e))) from e

    def _where(self, proxy: str) -> str:
        return f"{display_proxy(proxy)} (from {self._policy.origin})"

    async def aclose(self) -> None:
        await self._direct.aclose()
        for transport in self._proxied.values():
            await transport.aclose()


def _proxy_refusal(where: str, host: str, detail: str) -> str:
    if detail.startswith("407"):
        return (
            f"the proxy {where} asks for a login ({detail}): put it in the proxy address, "
            "http://user:password@proxy:3128"
        )
    if detail[:3] in ("502", "503", "504"):
        return f"the proxy {where} could not reach {host} ({detail}); check the address"
    return f"the proxy {where} refused the connection to {host} ({detail})"


def _certificate_error(error: BaseException) -> str | None:
    """The certificate verification failure behind a connection error, if that is what it is."""
    seen: BaseException | None = error
    for _ in range(6):
        if seen is None:
            return None
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen.verify_message or _short(seen)
        seen = seen.__cause__ or seen.__context__
    return None


def _short(error: BaseException) -> str:
    return (" ".join(str(error).split()) or type(error).__name__)[:200]


def unreachable(error: str | None) -> bool:
    """True when a fetch error says the network was out of reach (no DNS, no connection)."""
    return bool(error) and bool(_UNREACHABLE.search(error or ""))


def offline_hint(outcomes: Sequence[tuple[str, str | None]], policy: ProxyPolicy) -> str | None:
    """What to tell the user when every failure of a run looks like "no network".

    ``outcomes``: (address, error or None) of each source fetched. A hint when every source on
    the internet failed, each on name resolution or connection. Sources on this machine or the
    local network (a bridge on 127.0.0.1) say nothing either way: they may answer, or be down."""
    internet = [(address, error) for address, error in outcomes if not _is_local_address(address)]
    failures = [error for _, error in internet if error]
    if not failures or len(failures) < len(internet) or not all(unreachable(e) for e in failures):
        return None
    if all("cannot reach the proxy" in e for e in failures):
        return f"the proxy cannot be reached: check settings.proxy or HTTPS_PROXY ({policy.origin})"
    if policy.configured:
        return (
            "nothing could be reached through the proxy "
            f"({display_proxy(policy.https or policy.http or '')}, from {policy.origin}): check it"
        )
    return OFFLINE_HINT


def _is_local_address(address: str) -> bool:
    try:
        host = urlsplit(address).hostname or ""
    except ValueError:
        return False
    if not host:
        return False  # accounts and queries (@user@instance, pubmed:…) are on the internet
    if name_is_local(host) or is_loopback_host(host):
        return True
    try:
        return not ipaddress.ip_address(host).is_global
    except ValueError:
        return False
