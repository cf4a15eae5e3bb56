"""One error hierarchy: every error a user can see is a VeilleError with a message that says what to do."""

from __future__ import annotations


class VeilleError(Exception):
    """Base of every error Veille raises on purpose."""


class ConfigError(VeilleError):
    """feeds.yaml is invalid (message names the file and line)."""


class FetchError(VeilleError):
    """A source could not be fetched; ``retry_after`` (seconds) when the server asked for a pause."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class NotAFeedError(FetchError):
    """The server answered, but with something that is not a feed (HTML page, empty body)."""


class BlockedAddressError(FetchError):
    """A URL leads to an address Veille refuses to fetch (private, loopback, link-local, bad scheme)."""


class ParseError(VeilleError):
    """A document could not be read as a feed at all."""


class StoreError(VeilleError):
    """The database cannot be used (corrupt, not SQLite, read-only)."""
