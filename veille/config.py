"""feeds.yaml <-> Source: validation with file and line, and comment-preserving edits."""

from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import math
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from veille.backoff import format_every, parse_every
from veille.errors import ConfigError
from veille.models import KINDS, SPECIALTIES, TIERS, Config, Settings, Source
from veille.normalise import canonical_url, clean_name, dedup_url

SOURCE_KEYS = frozenset(
    {"id", "name", "kind", "url", "tier", "lang", "specialties", "every", "enabled", "fulltext"}
)
# Kind-specific options accepted on a source, with their types.
OPTION_KEYS: dict[str, type | tuple[type, ...]] = {
    "replies": bool,
    "boosts": bool,
    "reposts": bool,
    "pinned": bool,
    "max_pages": int,
    "selector": str,
}
SETTING_KEYS: dict[str, type | tuple[type, ...]] = {
    "user_agent": str,
    "concurrency": int,
    "per_host": int,
    "per_host_max": int,
    "connect_timeout": (int, float),
    "read_timeout": (int, float),
    "deadline": (int, float),
    "max_bytes": int,
    "max_redirects": int,
    "max_items": int,
    "timezone": str,
    "proxy": str,
    "no_proxy": (str, list),
}
# Inclusive bounds of the numeric settings: beyond them a value is a typo (``concurrency:
# 100000000``, ``max_redirects: 100000``) or a way to make every fetch fail (``deadline: .nan``).
SETTING_BOUNDS: dict[str, tuple[float, float]] = {
    "concurrency": (1, 1000),
    "per_host": (1, 100),
    "per_host_max": (1, 100),
    "connect_timeout": (0.1, 600),
    "read_timeout": (0.1, 600),
    "deadline": (0.1, 3600),
    "max_bytes": (1024, 1024 * 1024 * 1024),
    "max_redirects": (1, 30),
    "max_items": (1, 100_000),
}
SECTION_KEYS = frozenset(
    {"digest", "smtp", "mastodon", "bluesky", "youtube", "pubmed", "dedup", "serve", "fulltext",
     "spikes", "alerts"}
)
# Settings that are lists (of rules) rather than mappings.
LIST_SECTION_KEYS = frozenset({"mute"})
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
LANG = re.compile(r"^[a-z]{2,3}([-_][A-Za-z0-9]{2,8})?$")

EMPTY_CONFIG = """\
# Veille sources. Edit by hand or with `veille sources add|remove|enable|disable`.
sources: []
"""


def _yaml() -> Any:
    # ruamel.yaml (round trip, comments kept) is imported for edits only: `veille collect`
    # reads feeds.yaml with veille.yaml_fast.
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _line(node: Any, key: Any = None) -> int | None:
    """1-based line of a mapping (or of one of its keys) in the YAML file."""
    lc = getattr(node, "lc", None)
    if lc is None:
        return None
    try:
        if key is not None:
            return int(lc.key(key)[0]) + 1
        return int(lc.line) + 1
    except (KeyError, TypeError, AttributeError):
        return None


class _Errors:
    def __init__(self, path: str):
        self.path = path
        self.messages: list[str] = []

    def add(self, line: int | None, message: str) -> None:
        where = f"{self.path}:{line}" if line else self.path
        self.messages.append(f"{where}: {message}")

    def raise_if_any(self) -> None:
        if self.messages:
            raise ConfigError("\n".join(self.messages))


def read_document(path: str, *, edit: bool = True) -> Any:
    """Parse feeds.yaml; syntax errors name file and line. ``edit``: a round-trip document
    (ruamel.yaml, comments kept) to write back; otherwise a faster read-only one (libyaml)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: file not found. Create it with `veille sources add URL`, "
            "or pass --config PATH."
        ) from None
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from e
    except OSError as e:
        raise ConfigError(f"{path}: cannot read ({e.strerror})") from e
    if not edit:
        from veille import yaml_fast

        return yaml_fast.load(text, path)
    return parse_document(text, path)


def parse_document(text: str, path: str = "feeds.yaml") -> Any:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        doc = _yaml().load(text)
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = " ".join(str(e.problem or e.context or "invalid YAML").split())
        raise ConfigError(f"{path}{line}: invalid YAML: {problem}") from None
    except YAMLError as e:
        raise ConfigError(f"{path}: invalid YAML: {' '.join(str(e).split())}") from None
    if doc is None:
        doc = CommentedMap()
        doc["sources"] = CommentedSeq()
    return doc


def _check_type(errors: _Errors, line: int | None, what: str, value: Any, kind: Any) -> bool:
    if isinstance(value, bool) and kind in (int, (int, float)):
        ok = False
    else:
        ok = isinstance(value, kind)
    if not ok:
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        errors.add(line, f"{what} must be a {names.replace('str', 'string')}, not {value!r}")
    return ok


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


_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")


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


def _source(errors: _Errors, node: Any, index: int) -> Source | None:
    line = _line(node)
    if not isinstance(node, dict):
        errors.add(line, f"sources[{index}] must be a mapping with id, name and url")
        return None
    before = len(errors.messages)
    for key in node:
        if key not in SOURCE_KEYS and key not in OPTION_KEYS:
            allowed = ", ".join(sorted(SOURCE_KEYS | set(OPTION_KEYS)))
            errors.add(_line(node, key), f"unknown key {key!r} in a source (allowed: {allowed})")
    for key in ("id", "name", "url"):
        if key not in node or node[key] in (None, ""):
            errors.add(line, f"source is missing {key!r}")
    values: dict[str, Any] = {}
    for key in ("id", "name", "url", "kind", "tier", "lang"):
        if node.get(key) is not None and _check_type(errors, _line(node, key), key, node[key], str):
            values[key] = str(node[key]).strip()
    if "id" in values and not SLUG.match(values["id"]):
        errors.add(
            _line(node, "id"),
            f"id {values['id']!r} must be a slug: lower-case letters, digits, '-' or '_'",
        )
    kind = values.get("kind", "feed")
    if kind not in KINDS:
        errors.add(_line(node, "kind"), f"unknown kind {kind!r} (one of: {', '.join(KINDS)})")
    if "url" in values:
        problem = validate_url(values["url"], kind)
        if problem:
            errors.add(_line(node, "url"), problem)
    tier = values.get("tier", "press")
    if tier not in TIERS:
        errors.add(_line(node, "tier"), f"unknown tier {tier!r} (one of: {', '.join(TIERS)})")
    if "lang" in values and not LANG.match(values["lang"]):
        errors.add(_line(node, "lang"), f"lang {values['lang']!r} must be a code such as fr or en")
    specialties: tuple[str, ...] = ()
    raw = node.get("specialties")
    if raw is not None:
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list):
            errors.add(_line(node, "specialties"), "specialties must be a list of slugs")
        else:
            for slug in raw:
                if slug not in SPECIALTIES:
                    errors.add(
                        _line(node, "specialties"),
                        f"unknown specialty {slug!r} (see `veille tag --list` for the slugs)",
                    )
            specialties = tuple(str(s) for s in raw)
    every = 3600
    if node.get("every") is not None:
        try:
            every = parse_every(node["every"])
        except ConfigError as e:
            errors.add(_line(node, "every"), str(e))
    flags: dict[str, bool] = {}
    for key, default in (("enabled", True), ("fulltext", False)):
        value = node.get(key, default)
        if _check_type(errors, _line(node, key), key, value, bool):
            flags[key] = bool(value)
    options = []
    for key, kind_type in OPTION_KEYS.items():
        if key in node and _check_type(errors, _line(node, key), key, node[key], kind_type):
            options.append((key, node[key]))
    if len(errors.messages) > before:
        return None
    return Source(
        id=values["id"],
        # Names written by an older Veille may hold a feed title's escape sequences.
        name=clean_name(values["name"]) or values["id"],
        url=values["url"],
        kind=kind,
        tier=tier,
        lang=values.get("lang"),
        specialties=specialties,
        every=every,
        enabled=flags.get("enabled", True),
        fulltext=flags.get("fulltext", False),
        options=tuple(options),
        line=line,
    )


def _settings(errors: _Errors, node: Any) -> Settings:
    if node is None:
        return Settings()
    if not isinstance(node, dict):
        errors.add(_line(node), "settings must be a mapping")
        return Settings()
    values: dict[str, Any] = {}
    sections: dict[str, Any] = {}
    for key, value in node.items():
        if key in SETTING_KEYS:
            if _check_type(errors, _line(node, key), f"settings.{key}", value, SETTING_KEYS[key]):
                values[key] = value
                _check_bounds(errors, _line(node, key), key, value)
        elif key in LIST_SECTION_KEYS:
            if _check_mute(errors, value):
                sections[key] = _plain(value)
        elif key in SECTION_KEYS:
            if not isinstance(value, dict):
                errors.add(_line(node, key), f"settings.{key} must be a mapping")
            else:
                _check_numbers(errors, value, f"settings.{key}")
                if key == "digest":
                    _check_mail_to(errors, value)
                if key == "spikes":
                    _check_spikes(errors, value)
                sections[key] = _plain(value)
        else:
            allowed = ", ".join(sorted(set(SETTING_KEYS) | SECTION_KEYS | LIST_SECTION_KEYS))
            errors.add(_line(node, key), f"unknown setting {key!r} (allowed: {allowed})")
    if "timezone" in values:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(values["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            errors.add(_line(node, "timezone"), f"unknown time zone {values['timezone']!r}")
    _proxy_settings(errors, node, values)
    return Settings(**values, sections=sections)


def _check_bounds(errors: _Errors, line: int | None, key: str, value: float) -> None:
    low, high = SETTING_BOUNDS.get(key, (None, None))
    if isinstance(value, float) and not math.isfinite(value):
        errors.add(line, f"settings.{key} must be a number, not {value!r}")
    elif low is not None and high is not None and not low <= value <= high:
        errors.add(line, f"settings.{key} must be between {low:g} and {high:g}, not {value!r}")


def _check_numbers(errors: _Errors, node: Any, where: str) -> None:
    """No NaN or infinity anywhere in a section (``timeout: .inf``): no setting means that."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        if isinstance(value, float) and not math.isfinite(value):
            errors.add(_line(node, key) if isinstance(node, dict) else _line(node),
                       f"{where}.{key} must be a number, not {value!r}")
        elif isinstance(value, (dict, list)):
            _check_numbers(errors, value, f"{where}.{key}")


def _check_mail_to(errors: _Errors, digest: Any) -> None:
    from veille.mail import address_problem

    raw = digest.get("mail_to")
    if raw is None:
        return
    line = _line(digest, "mail_to")
    addresses = [raw] if isinstance(raw, str) else raw if isinstance(raw, list) else None
    if addresses is None:
        errors.add(line, "settings.digest.mail_to must be an address or a list of addresses")
        return
    for address in addresses:
        problem = address_problem(address)
        if problem:
            errors.add(line, f"settings.digest.mail_to: {problem}")


def _proxy_settings(errors: _Errors, node: Any, values: dict[str, Any]) -> None:
    """settings.proxy (an http(s):// address, or none) and settings.no_proxy (hosts, domains,
    addresses, networks: a comma-separated string or a list)."""
    from veille.network import no_proxy_problem, proxy_problem, split_no_proxy

    if "proxy" in values:
        problem = proxy_problem(values["proxy"])
        if problem:
            errors.add(_line(node, "proxy"), f"settings.proxy: {problem}")
        values["proxy"] = values["proxy"].strip()
    if "no_proxy" in values:
        raw = values["no_proxy"]
        if isinstance(raw, list) and not all(isinstance(v, str) for v in raw):
            errors.add(_line(node, "no_proxy"), "settings.no_proxy must list host names as strings")
            values["no_proxy"] = ()
            return
        entries = split_no_proxy(raw)
        for entry in entries:
            problem = no_proxy_problem(entry)
            if problem:
                errors.add(_line(node, "no_proxy"), f"settings.no_proxy: {problem}")
        values["no_proxy"] = entries


def _check_spikes(errors: _Errors, node: Any) -> None:
    """settings.spikes: the spike rule's known keys, positive numbers (see veille.spikes)."""
    from veille.spikes import SpikeRule

    allowed = ("weeks", "min_history", "min_count", "min_ratio", "z")
    for key in node:
        if key not in allowed:
            errors.add(_line(node, key), f"unknown key {key!r} in settings.spikes (allowed: {', '.join(allowed)})")
    try:
        SpikeRule.from_settings(Settings(sections={"spikes": _plain(node)}))
    except ConfigError as e:
        errors.add(_line(node), str(e))


def _check_mute(errors: _Errors, value: Any) -> bool:
    """settings.mute: each rule checked on its own line."""
    from veille.mute import parse_rules

    if not isinstance(value, list):
        errors.add(_line(value), "settings.mute must be a list of rules (each with terms, sources or types)")
        return False
    ok = True
    names: dict[str, int | None] = {}
    for index, node in enumerate(value):
        try:
            rules = parse_rules([_plain(node)], start=index)
        except ConfigError as e:
            for message in str(e).splitlines():
                errors.add(_line(node), message)
            ok = False
            continue
        name = rules[0].name
        if name in names:
            errors.add(_line(node), f"settings.mute[{index}]: the name {name!r} is used twice")
            ok = False
        names[name] = _line(node)
    return ok


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def config_from_document(doc: Any, path: str) -> Config:
    errors = _Errors(path)
    if not isinstance(doc, dict):
        errors.add(_line(doc), "the file must be a mapping with a top-level 'sources:' list")
        errors.raise_if_any()
    for key in doc:
        if key not in ("sources", "settings", "watches"):
            errors.add(
                _line(doc, key), f"unknown top-level key {key!r} (allowed: sources, settings, watches)"
            )
    raw_sources = doc.get("sources")
    if raw_sources is None:
        raw_sources = []
    if not isinstance(raw_sources, list):
        errors.add(_line(doc, "sources"), "'sources' must be a list")
        raw_sources = []
    settings = _settings(errors, doc.get("settings"))
    sources: list[Source] = []
    seen_ids: dict[str, int | None] = {}
    seen_urls: dict[str, str] = {}
    for index, node in enumerate(raw_sources):
        source = _source(errors, node, index)
        if source is None:
            continue
        if source.id in seen_ids:
            errors.add(source.line, f"duplicate id {source.id!r} (first at line {seen_ids[source.id]})")
            continue
        seen_ids[source.id] = source.line
        key = source_key(source.url, source.kind)
        if key in seen_urls:
            errors.add(source.line, f"source {source.id!r} has the same address as {seen_urls[key]!r}")
        seen_urls[key] = source.id
        sources.append(source)
    from veille.watch_config import watches_from_document

    watches = watches_from_document(doc, errors)
    errors.raise_if_any()
    return Config(path=path, sources=tuple(sources), settings=settings, watches=watches)


def source_key(url: str, kind: str = "feed") -> str:
    """What makes two sources the same: the address after normalisation."""
    if url.lower().startswith(("http://", "https://")):  # HTTPS://ANSM.SANTE.FR is ansm.sante.fr
        return f"url:{dedup_url(url)}"
    return f"{kind}:{url.strip().lower()}"


def load_config(path: str) -> Config:
    """The configuration, for reading only (see ``edit_document`` to change the file)."""
    return config_from_document(read_document(path, edit=False), path)


# --- Editing ---------------------------------------------------------------------------------

@contextlib.contextmanager
def _locked(path: str) -> Iterator[None]:
    """Serialise edits of feeds.yaml between concurrent CLI calls and the scheduler."""
    lock_path = f"{path}.lock"
    try:
        lock = open(lock_path, "a")  # noqa: SIM115 - closed below
    except OSError as e:
        raise ConfigError(f"{path}: cannot lock the file for editing ({e.strerror or e})") from None
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write_atomic(path: str, text: str) -> None:
    try:
        _replace_file(path, text)
    except OSError as e:
        raise ConfigError(
            f"{path}: could not write ({e.strerror or e}; a full disk or a read-only directory?); "
            "the file is unchanged"
        ) from None


def _replace_file(path: str, text: str) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".feeds-", suffix=".yaml", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        if os.path.exists(path):
            os.chmod(tmp, os.stat(path).st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def editing(path: str, *, create: bool = False) -> Iterator[Any]:
    """Yield the round-trip document of a valid feeds.yaml; write it back (atomically, comments
    kept) if the block succeeds and the result is still valid. An invalid file is never written."""
    with _locked(path):
        if create and not os.path.exists(path):
            doc = parse_document(EMPTY_CONFIG, path)
        else:
            doc = read_document(path)
        config_from_document(doc, path)  # refuse to edit an invalid file
        yield doc
        config_from_document(doc, path)  # and to write an invalid one
        out = StringIO()
        _yaml().dump(doc, out)
        _write_atomic(path, out.getvalue())


def slugify(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:48].strip("-") or "source"


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


def refuse_duplicate(config: Config, url: str, kind: str = "feed") -> None:
    """Raise when ``url`` is already followed (compared after normalisation)."""
    key = source_key(url, kind)
    for existing in config.sources:
        if source_key(existing.url, existing.kind) == key:
            raise ConfigError(
                f"this address is already followed as {existing.id!r} ({existing.name}); "
                "nothing was added"
            )


def add_source(
    path: str,
    *,
    url: str,
    name: str,
    source_id: str | None = None,
    kind: str = "feed",
    tier: str | None = None,
    lang: str | None = None,
    specialties: tuple[str, ...] = (),
    every: str | None = None,
    extra: dict[str, Any] | None = None,
) -> Source:
    """Append a source to feeds.yaml (created if missing) and return it."""
    with editing(path, create=True) as doc:
        current = config_from_document(doc, path)
        refuse_duplicate(current, url, kind)
        taken = {s.id for s in current.sources}
        if source_id is not None:
            if source_id in taken:
                raise ConfigError(
                    f"a source with id {source_id!r} already exists; choose another --id"
                )
        else:
            base = slugify(name)
            source_id, n = base, 2
            while source_id in taken:
                source_id, n = f"{base}-{n}", n + 1
        from ruamel.yaml.comments import CommentedMap, CommentedSeq

        node = CommentedMap()
        node["id"] = source_id
        node["name"] = name
        if kind != "feed":
            node["kind"] = kind
        node["url"] = url
        if tier:
            node["tier"] = tier
        if lang:
            node["lang"] = lang
        if specialties:
            seq = CommentedSeq(list(specialties))
            seq.fa.set_flow_style()
            node["specialties"] = seq
        if every:
            node["every"] = format_every(parse_every(every))
        for k, v in (extra or {}).items():
            node[k] = v
        if doc.get("sources") is None:
            doc["sources"] = CommentedSeq()
        doc["sources"].append(node)
        added = config_from_document(doc, path).source(source_id)
    assert added is not None
    return added


def _find(doc: Any, source_id: str, path: str) -> Any:
    for node in doc.get("sources") or []:
        if isinstance(node, dict) and node.get("id") == source_id:
            return node
    raise ConfigError(f"no source with id {source_id!r} in {path} (see `veille sources list`)")


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


def remove_source(path: str, source_id: str) -> None:
    with editing(path) as doc:
        node = _find(doc, source_id, path)
        doc["sources"].remove(node)


def set_enabled(path: str, source_id: str, enabled: bool) -> None:
    with editing(path) as doc:
        node = _find(doc, source_id, path)
        if enabled:
            if "enabled" in node:
                del node["enabled"]
        else:
            node["enabled"] = False
