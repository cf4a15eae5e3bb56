"""Deliver a watch's notification: an e-mail through the digest's SMTP settings (``mailto:``) or
a JSON POST to a webhook (``http(s)://``). One attempt per call; retries are veille.alerts'.

A webhook is posted to the address the user configured, even a private one (a local bridge, a
chat server on the LAN): the user chose it. A redirect from it is another matter: it is followed
(307/308 only, which keep the POST and its body) only to public addresses, so a receiver cannot
steer Veille into the private network.
"""

from __future__ import annotations

import html
import ipaddress
import json
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from veille import __version__
from veille.errors import VeilleError
from veille.fetch_guard import address_is_public
from veille.network import ProxyPolicy, proxy_for, proxy_policy, tls_context

MAX_REDIRECTS = 3
TIMEOUT = 10.0


class DeliveryError(VeilleError):
    """One attempt to deliver a notification failed (it will be retried)."""


def _resolve(host: str) -> list[str]:
    try:
        ipaddress.ip_address(host)
        return [host]
    except ValueError:
        pass
    try:
        return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, None)})
    except OSError as e:
        raise DeliveryError(f"cannot resolve {host}: {e}") from e


def _is_public_host(host: str, is_public: Callable[[str], bool]) -> bool:
    addresses = _resolve(host)
    return bool(addresses) and all(is_public(a) for a in addresses)


def post_webhook(
    url: str, payload: dict[str, Any], *, timeout: float = TIMEOUT,
    is_public: Callable[[str], bool] = address_is_public, user_agent: str | None = None,
    policy: ProxyPolicy | None = None,
) -> int:
    """POST ``payload`` as JSON; the HTTP status on success (2xx), DeliveryError otherwise.
    Through the proxy that ``policy`` gives each address (settings.proxy, HTTPS_PROXY), with the
    system's trust store, as every other request Veille makes."""
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": user_agent or f"Veille/{__version__} (watch notifications)",
    }
    policy = policy or ProxyPolicy()
    context = tls_context()
    target = url
    try:
        for _ in range(MAX_REDIRECTS + 1):
            proxy = proxy_for(target, policy)
            with httpx.Client(
                timeout=timeout, follow_redirects=False, trust_env=False, verify=context,
                proxy=httpx.Proxy(proxy, ssl_context=context if proxy.lower().startswith("https:") else None)
                if proxy else None,
            ) as client:
                response = client.post(target, content=body, headers=headers)
                if response.status_code in (307, 308) and response.headers.get("location"):
                    nxt = urljoin(target, response.headers["location"])
                    parts = urlsplit(nxt)
                    if parts.scheme not in ("http", "https") or not parts.hostname:
                        raise DeliveryError(f"the webhook redirected to {nxt!r}, which is not http(s)")
                    if not _is_public_host(parts.hostname, is_public):
                        raise DeliveryError(
                            f"the webhook redirected to {parts.hostname}, a private or loopback "
                            "address: not followed"
                        )
                    target = nxt
                    continue
                if 300 <= response.status_code < 400:
                    raise DeliveryError(
                        f"the webhook answered HTTP {response.status_code} (a redirect that drops the "
                        "POST body): update its URL in feeds.yaml"
                    )
                if not 200 <= response.status_code < 300:
                    raise DeliveryError(f"the webhook answered HTTP {response.status_code}")
                return response.status_code
    except httpx.HTTPError as e:
        parts = urlsplit(target)  # host and port only: the address may hold a login or a token
        where = f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)
        raise DeliveryError(f"could not reach the webhook {where}: {type(e).__name__}: {e}") from e
    raise DeliveryError(f"the webhook redirected more than {MAX_REDIRECTS} times")


# --- e-mail ------------------------------------------------------------------------------------

def mail_subject(payload: dict[str, Any]) -> str:
    if payload.get("kind") == "spike":
        return f"Veille — pic d'activité : {payload.get('sentence') or payload['watch']}"
    n = len(payload.get("stories") or [])
    plural = "s" if n > 1 else ""
    return f"Veille — alerte « {payload['watch']} » : {n} nouveau{'x' if n > 1 else ''} sujet{plural}"


def mail_bodies(payload: dict[str, Any]) -> tuple[str, str]:
    """(plain text, HTML) of a notification. Feed text is escaped; only http(s) links are links."""
    from veille.digest import safe_url

    lines = [mail_subject(payload), ""]
    parts = [f"<h1>{html.escape(mail_subject(payload))}</h1>"]
    if payload.get("kind") == "spike":
        lines.append(str(payload.get("sentence", "")))
        parts.append(f"<p>{html.escape(str(payload.get('sentence', '')))}</p>")
    if payload.get("query"):
        lines.append(f"Recherche : {payload['query']}")
        parts.append(f"<p>Recherche : <code>{html.escape(str(payload['query']))}</code></p>")
    parts.append("<ul>")
    for story in payload.get("stories") or []:
        title = str(story.get("title") or "(sans titre)")
        meta = " · ".join(
            str(x) for x in (story.get("source"), (story.get("published_at") or "")[:10]) if x
        )
        url = safe_url(story.get("url"))
        page = safe_url(story.get("story_url"))
        lines.append(f"- {title} ({meta})")
        if url:
            lines.append(f"  {url}")
        if page:
            lines.append(f"  Histoire : {page}")
        link = f'<a href="{html.escape(url)}">{html.escape(title)}</a>' if url else html.escape(title)
        extra = f' — <a href="{html.escape(page)}">histoire</a>' if page else ""
        parts.append(f"<li>{link} <small>{html.escape(meta)}</small>{extra}</li>")
    parts.append("</ul>")
    if payload.get("page_url"):
        lines += ["", f"Toutes les alertes : {payload['page_url']}"]
        page_url = safe_url(payload["page_url"])
        if page_url:
            parts.append(f'<p><a href="{html.escape(page_url)}">Toutes les alertes « {html.escape(str(payload["watch"]))} »</a></p>')
    return "\n".join(lines) + "\n", "<!doctype html><meta charset=utf-8>" + "\n".join(parts)


def send_mail(settings: Any, address: str, payload: dict[str, Any]) -> None:
    from veille.mail import MailError, build_message, send, smtp_settings

    try:
        smtp = smtp_settings(settings)
        text, body = mail_bodies(payload)
        send(smtp, build_message(mail_subject(payload), smtp.sender, [address], text, body))
    except MailError as e:
        raise DeliveryError(str(e).replace("the digest", "the notification")) from e


def deliver(settings: Any, target: str, payload: dict[str, Any], *,
            is_public: Callable[[str], bool] = address_is_public) -> None:
    """One attempt; DeliveryError when it failed."""
    if target.lower().startswith("mailto:"):
        send_mail(settings, target[7:], payload)
        return
    user_agent = getattr(settings, "user_agent", None)
    timeout = float((settings.section("alerts") if settings is not None else {}).get("timeout", TIMEOUT))
    policy = proxy_policy(getattr(settings, "proxy", None), getattr(settings, "no_proxy", ()))
    post_webhook(target, payload, timeout=timeout, is_public=is_public, user_agent=user_agent, policy=policy)
