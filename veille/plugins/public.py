"""Public mode (``veille serve --public``): no password or token from a source's URL reaches a
visitor, in any format.

Source URLs may carry credentials (``http://user:pass@host/feed``, ``?token=…``), and item links
and guids resolved against them inherit them. Rather than remembering every column, query and
format that shows a URL, :func:`redact` runs over every response body Datasette sends in public
mode (HTML, JSON, Atom, CSV): userinfo is removed and the values of secret-looking query
parameters replaced by ``***``. Enabled by ``plugins.veille.public`` (set by
:func:`veille.webapp.make_public`).
"""

from __future__ import annotations

import re

from datasette import hookimpl

SECRET_PARAMS = (
    "token", "access_token", "auth_token", "api_token", "key", "apikey", "api_key", "sig",
    "signature", "password", "passwd", "pwd", "pass", "secret", "client_secret", "auth",
    "session", "sessionid", "sid", "jwt", "credential", "credentials",
)
# scheme://user:pass@host -> scheme://host (also JSON's escaped slashes).
_USERINFO = re.compile(r"(?i)(https?:(?:\\?/){2})[^\s/\\@\"'<>?#]+@")
# ?token=abc or &amp;token=abc (HTML), also %3F/%26-encoded in links to other pages.
_SECRET = re.compile(
    r"(?i)((?:[?&]|&amp;|&#38;|%3F|%26)(?:" + "|".join(SECRET_PARAMS) + r")(?:=|%3D))[^&#\s\"'<>\\]+"
)
TEXT_TYPES = (b"text/", b"application/json", b"application/xml", b"application/atom", b"application/javascript")


def redact(text: str) -> str:
    """Every URL in ``text`` without userinfo and with its secret parameters' values as ***."""
    return _SECRET.sub(r"\1***", _USERINFO.sub(r"\1", text))


def _is_text(headers: list) -> bool:
    for name, value in headers:
        if name.lower() == b"content-type":
            return value.lower().startswith(TEXT_TYPES)
    return False


@hookimpl
def asgi_wrapper(datasette):  # noqa: ANN001, ANN201
    def wrap(app):  # noqa: ANN001, ANN202
        if not (datasette.plugin_config("veille") or {}).get("public"):
            return app

        async def public_app(scope, receive, send):  # noqa: ANN001, ANN202
            if scope.get("type") != "http":
                await app(scope, receive, send)
                return
            start: dict = {}
            chunks: list[bytes] = []

            async def buffered(message):  # noqa: ANN001, ANN202
                if message["type"] == "http.response.start":
                    start.update(message)
                    if not _is_text(message.get("headers", [])):
                        start["passthrough"] = True
                        await send(message)
                    return
                if start.get("passthrough"):
                    await send(message)
                    return
                chunks.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                body = redact(b"".join(chunks).decode("utf-8", "surrogateescape")).encode("utf-8", "surrogateescape")
                headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
                headers.append((b"content-length", str(len(body)).encode()))
                await send({"type": "http.response.start", "status": start["status"], "headers": headers})
                await send({"type": "http.response.body", "body": body})

            await app(scope, receive, buffered)

        return public_app

    return wrap
