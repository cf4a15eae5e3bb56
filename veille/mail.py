"""Send a digest by e-mail: multipart (plain text + HTML) over SMTP, configured by settings.smtp.

    settings:
      smtp:
        host: smtp.example.org
        port: 587                 # default 587 with starttls, 465 with tls, 25 otherwise
        security: starttls        # starttls | tls | none (or starttls: true / tls: true)
        user: veille@example.org
        password_env: VEILLE_SMTP_PASSWORD   # the password itself never goes in feeds.yaml
        from: "Veille <veille@example.org>"
        timeout: 30

The recipients are --mail-to, else settings.digest.mail_to.
"""

from __future__ import annotations

import os
import re
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from veille.errors import VeilleError
from veille.render import mail_subject, render_html, render_markdown

SECURITY = ("starttls", "tls", "none")


class MailError(VeilleError):
    """The digest could not be sent (configuration or SMTP failure)."""


_ADDRESS = re.compile(r"^[^@\s<>(),;:\\\"\[\]]+@[^@\s<>(),;:\\\"\[\]]+\.[^@\s<>(),;:\\\"\[\]]+$")


def address_problem(address: Any) -> str | None:
    """Why ``address`` cannot be a recipient (a newline would start a new mail header), or None."""
    if not isinstance(address, str):
        return f"{address!r} is not an e-mail address"
    if _ADDRESS.match(address.strip()) and address.strip().isprintable():
        return None
    shown = address.encode("unicode_escape").decode("ascii")[:80]
    if any(c in address for c in "\r\n"):
        return f"'{shown}' spans several lines; give one address per list entry (- a@b.fr)"
    return f"'{shown}' is not an e-mail address such as moi@example.org"


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str
    sender: str
    user: str | None = None
    password: str | None = None
    timeout: float = 30.0


def smtp_settings(settings: Any, environ: dict[str, str] | None = None) -> SmtpSettings:
    """settings.smtp, validated; the password is read from the variable named by password_env."""
    environ = dict(os.environ) if environ is None else environ
    raw = settings.section("smtp") if settings is not None else {}
    if not raw.get("host"):
        raise MailError("e-mail is not configured: add settings.smtp.host (and from) to feeds.yaml")
    if "password" in raw:
        raise MailError(
            "settings.smtp.password is refused: put the password in an environment variable and "
            "name it with password_env (e.g. password_env: VEILLE_SMTP_PASSWORD)"
        )
    security = raw.get("security")
    if security is None:
        security = "tls" if raw.get("tls") is True else "starttls" if raw.get("starttls") is True else "none"
    if security not in SECURITY:
        raise MailError(f"settings.smtp.security {security!r} must be one of: {', '.join(SECURITY)}")
    port = raw.get("port") or {"starttls": 587, "tls": 465, "none": 25}[security]
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        raise MailError(f"settings.smtp.port {port!r} must be a port number")
    user = raw.get("user")
    password = None
    if raw.get("password_env"):
        name = str(raw["password_env"])
        password = environ.get(name)
        if not password:
            raise MailError(f"the SMTP password variable {name} is not set in the environment")
    if user and password is None:
        raise MailError("settings.smtp.user is set but not password_env (the variable holding the password)")
    sender = raw.get("from") or user
    if not sender:
        raise MailError("settings.smtp.from is missing (the sender address)")
    return SmtpSettings(
        host=str(raw["host"]), port=port, security=security, sender=str(sender),
        user=str(user) if user else None, password=password, timeout=float(raw.get("timeout", 30)),
    )


def build_message(subject: str, sender: str, recipients: Sequence[str], text: str, html: str) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain="veille.local")
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text, subtype="plain", charset="utf-8")
    msg.add_alternative(html, subtype="html", charset="utf-8")
    return msg


def send(smtp: SmtpSettings, msg: EmailMessage) -> None:
    from veille.network import tls_context

    context = tls_context()  # the system's trust store, as for feeds (a hospital's own CA)
    try:
        client: smtplib.SMTP
        if smtp.security == "tls":
            client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=context)
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        with client:
            client.ehlo()
            if smtp.security == "starttls":
                client.starttls(context=context)
                client.ehlo()
            if smtp.user and smtp.password is not None:
                client.login(smtp.user, smtp.password)
            refused = client.send_message(msg)
    except (smtplib.SMTPException, OSError) as e:  # OSError covers timeouts
        raise MailError(f"could not send the digest through {smtp.host}:{smtp.port}: {e}") from e
    if refused:
        raise MailError(f"the server refused these recipients: {', '.join(refused)}")


def send_digest(settings: Any, digest: Any, recipients: Sequence[str], environ: dict[str, str] | None = None) -> None:
    """Mail `digest` (a veille.digest.Digest) as Markdown text + HTML."""
    if not recipients:
        raise MailError("no recipient: pass --mail-to ADDR or set settings.digest.mail_to")
    for address in recipients:
        problem = address_problem(address)
        if problem:
            raise MailError(problem)
    smtp = smtp_settings(settings, environ)
    try:
        msg = build_message(mail_subject(digest), smtp.sender, recipients, render_markdown(digest), render_html(digest))
    except ValueError as e:  # the email package refuses header values with line breaks
        raise MailError(f"could not build the message: {e}") from e
    send(smtp, msg)
