"""A source's address: whether it can be followed, a user-typed URL cleaned up, and what makes
two sources the same (``source_key``), to refuse a duplicate or find a source by its address."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit, urlunsplit

from veille.errors import ConfigError
from veille.models import Config
from veille.normalise import canonical_url, dedup_url

_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")


def validate_url(url: str, kind: str = "feed") -> str | None:
    """An error message when ``url`` cannot be a source address, else None."""
    if kind == "pubmed":
        return None if url.strip() else "the PubMed query is empty"
    if kind in ("mastodon", "bluesky", "youtube") and not url.startswith(("http://", "https://")):
        return None if url.strip() else "the account is empty"
    try:
        parts = urlsplit(url)
    except ValueError as e:
        return f"{url!r} is not a valid URL ({e})"
    if parts.scheme not in ("http", "https"):
        return f"{url!r}: only http:// and https:// addresses can be followed"
    if not parts.hostname:
        return f"{url!r} has no host name"
    if "@" in parts.netloc:
        return f"{url!r}: a user name or password in the address ('…@') is not supported"
    try:
        port = parts.port
    except ValueError:
        return f"{url!r}: the port must be a number from 1 to 65535"
    if port == 0 or re.search(r":(?![0-9]*$)", parts.netloc.rsplit("]", 1)[-1]):
        return f"{url!r}: the port must be a number from 1 to 65535"
    if not _valid_host(parts.hostname):
        return f"{url!r}: {parts.hostname!r} is not a valid host name"
    if any(c.isspace() or not c.isprintable() for c in url):
        return f"{url!r}: spaces and control characters must be percent-encoded (%20)"
    return None


def _valid_host(host: str) -> bool:
    """An IP address, or DNS labels (international names are checked in their punycode form)."""
    host = host.rstrip(".")
    if not host or len(host) > 253:
        return False
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return False
    return all(_LABEL.match(label) for label in host.lower().split("."))


def normalise_source_url(url: str) -> str:
    """Clean a user-typed URL: strip, default to https, IDN to punycode, refuse other schemes."""
    url = url.strip()
    if not url:
        raise ConfigError("the URL is empty")
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme and scheme not in ("http", "https") and "." not in scheme:
        raise ConfigError(f"{url!r}: only http:// and https:// addresses can be followed")
    if "://" not in url:
        url = "https://" + url
    problem = validate_url(url)
    if problem:
        raise ConfigError(problem)
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not host.isascii():
        canonical = canonical_url(url)
        return canonical
    # Scheme and host are case-insensitive: store them in lower case (the path keeps its case).
    netloc = parts.netloc.lower()
    return urlunsplit((parts.scheme.lower(), netloc, parts.path, parts.query, parts.fragment))


def source_key(url: str, kind: str = "feed") -> str:
    """What makes two sources the same: the address after normalisation."""
    if url.lower().startswith(("http://", "https://")):  # HTTPS://ANSM.SANTE.FR is ansm.sante.fr
        return f"url:{dedup_url(url)}"
    return f"{kind}:{url.strip().lower()}"


def refuse_duplicate(config: Config, url: str, kind: str = "feed") -> None:
    """Raise when ``url`` is already followed (compared after normalisation)."""
    key = source_key(url, kind)
    for existing in config.sources:
        if source_key(existing.url, existing.kind) == key:
            raise ConfigError(
                f"this address is already followed as {existing.id!r} ({existing.name}); "
                "nothing was added"
            )


def resolve_source_id(config: Config, text: str) -> str:
    """The id of the source named by ``text``: its id, or its address (compared after
    normalisation, so ``HTTPS://ANSM.SANTE.FR/rss/`` finds ``https://ansm.sante.fr/rss``)."""
    if config.source(text) is not None:
        return text
    for kind in ("feed", *{s.kind for s in config.sources}):
        key = source_key(text.strip(), kind)
        for source in config.sources:
            if source_key(source.url, source.kind) == key:
                return source.id
    raise ConfigError(f"no source with id or address {text!r} in {config.path} (see `veille sources list`)")
