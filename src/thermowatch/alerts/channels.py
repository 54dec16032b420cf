"""Delivery channels: e-mail (SMTP), templated HTTP webhook (SMS gateways), ntfy push,
Teams/Slack-style chat webhooks, and the log.

A channel sends one :class:`OutgoingMessage` and returns a short detail for the attempt
record, or raises :class:`DeliveryError`; it never retries (the outbox does). Secrets come
from environment variables named in the config (``password_env``, ``token_env``).
"""

from __future__ import annotations

import json
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from string import Template
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from thermowatch.alerts.config import AlertsConfig, ChannelConfig
from thermowatch.errors import InputError
from thermowatch.learn.levels import Level
from thermowatch.settings import secret

if TYPE_CHECKING:
    import httpx

log = logging.getLogger("thermowatch.alerts")


class DeliveryError(RuntimeError):
    """A delivery attempt failed (server down, refused, HTTP error); the outbox retries."""


@dataclass(frozen=True)
class OutgoingMessage:
    """One message to one recipient; ``level`` (ALERTE, CRITIQUE, NORMAL) sets the priority."""

    recipient: str
    subject: str
    body: str
    level: str = "ALERTE"
    notification_id: int | None = None


class Channel(Protocol):
    """A way to reach people."""

    name: str

    def send(self, message: OutgoingMessage) -> str:
        """Deliver ``message``; return a short detail; raise ``DeliveryError`` on failure."""
        ...


def _secret(options: dict[str, Any], key: str, channel: str) -> str | None:
    var = options.get(key)
    if not var:
        return None
    value = secret(var)
    if value is None:
        raise DeliveryError(f"channel {channel}: environment variable {var} is not set")
    return value


class EmailChannel:
    """SMTP with STARTTLS (default), implicit TLS (``security = "tls"``) or none, and login.

    Options: ``host``, ``port``, ``sender``, ``security``, ``username``, ``password_env``,
    ``timeout_seconds`` (default 10), ``ca_file`` (extra CA to trust, e.g. a private CA).
    """

    def __init__(self, name: str, options: dict[str, Any]) -> None:
        self.name, self.o = name, options

    def _context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.o.get("ca_file"))

    def send(self, message: OutgoingMessage) -> str:
        o = self.o
        msg = EmailMessage()
        msg["From"] = o["sender"]
        msg["To"] = message.recipient
        msg["Subject"] = message.subject
        msg["Date"] = formatdate(usegmt=True)
        if message.notification_id is not None:
            # Stable id: a receiver can drop the duplicate of a retry after a lost reply.
            domain = o["sender"].rpartition("@")[2] or "thermowatch"
            msg["Message-ID"] = f"<thermowatch-notification-{message.notification_id}@{domain}>"
        if message.level == "CRITIQUE":
            msg["X-Priority"] = "1"
        msg.set_content(message.body)
        timeout = float(o.get("timeout_seconds", 10))
        security = o.get("security", "starttls")
        try:
            if security == "tls":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    o["host"], o["port"], timeout=timeout, context=self._context()
                )
            else:
                smtp = smtplib.SMTP(o["host"], o["port"], timeout=timeout)
            with smtp:
                if security == "starttls":
                    smtp.starttls(context=self._context())
                if o.get("username"):
                    smtp.login(o["username"], _secret(o, "password_env", self.name) or "")
                refused = smtp.send_message(msg)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(
                f"SMTP {o['host']}:{o['port']}: {type(exc).__name__}: {exc}"
            ) from exc
        if refused:
            raise DeliveryError(f"SMTP refused {', '.join(refused)}")
        return f"SMTP {o['host']}:{o['port']} accepted"


class _HttpChannel:
    def __init__(self, name: str, options: dict[str, Any], client: httpx.Client | None = None):
        # httpx is imported when an HTTP channel is made, not with the module: every service
        # worker imports this module (the alert hook) and most never send (0.1-0.25 CPU-s each).
        import httpx

        self.name, self.o = name, options
        self.client = client or httpx.Client(timeout=float(options.get("timeout_seconds", 10)))

    def _post(self, url: str, **kwargs: Any) -> str:
        import httpx

        try:
            r = self.client.request(self.o.get("method", "POST"), url, **kwargs)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{url}: {type(exc).__name__}: {exc}") from exc
        if r.status_code >= 400:
            raise DeliveryError(f"{url}: HTTP {r.status_code} {r.text[:200]}")
        return f"HTTP {r.status_code}"

    def _auth(self) -> dict[str, str]:
        token = _secret(self.o, "token_env", self.name)
        return {"Authorization": f"Bearer {token}"} if token else {}


class WebhookChannel(_HttpChannel):
    """A generic templated HTTP request, e.g. an SMS gateway.

    Exactly one of ``json`` (a table, sent as JSON), ``form`` (a table, sent form-encoded) or
    ``text`` (a string) is the body; ``url``, ``headers`` and every string in the body may
    use ``${recipient}``, ``${subject}``, ``${body}``, ``${text}`` (subject and body on one
    line, for SMS), ``${level}`` and ``${token}`` (from ``token_env``).
    """

    def send(self, message: OutgoingMessage) -> str:
        token = _secret(self.o, "token_env", self.name) or ""
        values = {"recipient": message.recipient, "subject": message.subject,
                  "body": message.body, "level": message.level, "token": token,
                  "text": f"{message.subject} - {' | '.join(message.body.splitlines())}"}  # fmt: skip

        def fill(x: Any) -> Any:
            if isinstance(x, str):
                return Template(x).safe_substitute(values)
            if isinstance(x, dict):
                return {k: fill(v) for k, v in x.items()}
            if isinstance(x, list):
                return [fill(v) for v in x]
            return x

        headers = fill(self.o.get("headers", {}))
        if "json" in self.o:
            kwargs: dict[str, Any] = {"json": fill(self.o["json"])}
        elif "form" in self.o:
            kwargs = {"data": fill(self.o["form"])}
        else:
            kwargs = {"content": fill(self.o["text"]).encode()}
        return self._post(fill(self.o["url"]), headers=headers, **kwargs)


class NtfyChannel(_HttpChannel):
    """ntfy-style push: JSON publish to ``url`` with the recipient as topic."""

    PRIORITY: ClassVar[dict[str, int]] = {Level.CRITIQUE.name: 5, Level.ALERTE.name: 4}

    def send(self, message: OutgoingMessage) -> str:
        payload = {"topic": message.recipient, "title": message.subject,
                   "message": message.body, "priority": self.PRIORITY.get(message.level, 3),
                   "tags": ["rotating_light" if message.level == "CRITIQUE" else "warning"]}  # fmt: skip
        return self._post(self.o["url"], json=payload, headers=self._auth())


class ChatChannel(_HttpChannel):
    """Teams/Slack-style incoming webhook: ``{"text": ...}`` (both render it as markdown)."""

    def send(self, message: OutgoingMessage) -> str:
        text = f"**{message.subject}**\n\n" + "\n\n".join(message.body.splitlines())
        return self._post(self.o["url"], json={"text": text}, headers=self._auth())


class LogChannel:
    """Writes the message to the ``thermowatch.alerts`` log (the zero set-up default)."""

    def __init__(self, name: str, options: dict[str, Any] | None = None) -> None:
        self.name = name

    def send(self, message: OutgoingMessage) -> str:
        log.warning("%s -> %s: %s", self.name, message.recipient,
                    json.dumps({"subject": message.subject, "body": message.body}, ensure_ascii=False))  # fmt: skip
        return "logged"


_TYPES = {"email": EmailChannel, "webhook": WebhookChannel, "ntfy": NtfyChannel,
          "chat": ChatChannel, "log": LogChannel}  # fmt: skip


def make_channel(cfg: ChannelConfig) -> Channel:
    """The channel object for one ``[alerts.channels.NAME]`` table."""
    return _TYPES[cfg.type](cfg.name, cfg.options)


def build_channels(config: AlertsConfig) -> dict[str, Channel]:
    """Every configured channel by name."""
    return {name: make_channel(c) for name, c in config.channels.items()}


def channel_named(config: AlertsConfig, name: str) -> Channel:
    """One channel by name; ``InputError`` naming the known ones otherwise."""
    if name not in config.channels:
        known = ", ".join(config.channels) or "none configured"
        raise InputError(f"unknown channel {name!r} (known: {known})")
    return make_channel(config.channels[name])
