"""Who is looking at the dashboard: the session cookie, CSRF tokens, roles, sign-in limits.

The roles, their order and the audit queue are the API's (:mod:`thermowatch.service.auth`):
a dashboard user becomes a :class:`~thermowatch.service.auth.Principal` ``user:<name>`` so
the audit log and the role checks read the same for a browser and an API client.

Cookie: ``HttpOnly`` (no script reads it), ``SameSite=Strict`` (no other site's page sends it),
``Secure`` when the request came over TLS (directly or through a proxy listed in
``forwarded_allow_ips`` saying ``X-Forwarded-Proto: https``; the guard drops that header from
anyone else). Every form carries the session's CSRF token, compared in constant time;
``SameSite`` alone does not cover older browsers or same-site subdomains. Before sign-in there
is no session: the sign-in form's token is issued by the server, signed (HMAC-SHA256) over its
time and the client's address, and refused when it is not ours, too old, or someone else's.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from fastapi import Request

from thermowatch.service.auth import RANK, Principal
from thermowatch.service.ratelimit import Bucket, bucket
from thermowatch.store.users import WebSession, find_session

COOKIE = "tw_session"
LANG_COOKIE = "tw_lang"  # the sign-in page's language, before anyone is known
#: Failed sign-ins per client address: burst, then one every 1/rate seconds.
LOGIN_BURST, LOGIN_RATE_PER_S = 10.0, 0.2
#: How long a sign-in form's token is accepted after it was issued [s].
PRELOGIN_MAX_AGE_S = 2 * 3600


@dataclass(frozen=True)
class Viewer:
    """The signed-in user of a request."""

    session: WebSession
    principal: Principal

    @property
    def lang(self) -> str:
        return self.session.user.lang

    @property
    def csrf(self) -> str:
        return self.session.csrf

    def can(self, role: str) -> bool:
        return RANK[self.principal.role] >= RANK[role]


class PageError(Exception):
    """An error answered as a page (or a redirect to sign-in) instead of JSON."""

    def __init__(self, status: int, key: str, **values: object) -> None:
        super().__init__(key)
        self.status = status
        self.key = key
        self.values = values


class LoginRequired(Exception):
    """No valid session: send the browser to the sign-in page."""

    def __init__(self, next_path: str, expired: bool = False) -> None:
        super().__init__(next_path)
        self.next_path = next_path
        self.expired = expired


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def is_tls(request: Request) -> bool:
    """Whether the browser talks TLS to us (directly, or to a trusted proxy in front: the
    guard has set the scheme from its ``X-Forwarded-Proto``)."""
    return request.url.scheme == "https"


def _prelogin_key(app) -> bytes:
    """The key of sign-in form tokens, the same in every worker and instance that shares the
    settings: derived from the HS256 JWT secret, else the model-signing key, else a random key
    kept in the data directory (one machine)."""
    key = getattr(app.state, "prelogin_key", None)
    if key is None:
        settings = app.state.settings
        material = settings.jwt_secret.encode() if settings.jwt_algorithm == "HS256" else None
        material = material or settings.signing_key() or _machine_key()
        key = hmac.new(material, b"thermowatch sign-in form", hashlib.sha256).digest()
        app.state.prelogin_key = key
    return key


def _machine_key() -> bytes:
    from thermowatch.paths import data_home

    path = Path(data_home()) / "prelogin_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes()
    with os.fdopen(fd, "wb") as f:
        f.write(secrets.token_bytes(32))
    return path.read_bytes()


def _prelogin_mac(app, nonce: str, issued: str, address: str) -> str:
    message = f"{nonce}|{issued}|{address}".encode()
    return hmac.new(_prelogin_key(app), message, hashlib.sha256).hexdigest()[:32]


def issue_prelogin(request: Request) -> str:
    """A new sign-in form token: ``<nonce>.<issued [unix s]>.<HMAC>`` bound to the address."""
    nonce, issued = secrets.token_urlsafe(16), str(int(time.time()))
    return f"{nonce}.{issued}.{_prelogin_mac(request.app, nonce, issued, client_address(request))}"


def valid_prelogin(request: Request, token: object) -> bool:
    """Whether ``token`` is one we issued to this address less than ``PRELOGIN_MAX_AGE_S`` ago."""
    if not isinstance(token, str) or token.count(".") != 2:
        return False
    nonce, issued, mac = token.split(".")
    expected = _prelogin_mac(request.app, nonce, issued, client_address(request))
    if not secrets.compare_digest(mac, expected) or not issued.isdigit():
        return False
    return 0 <= time.time() - int(issued) <= PRELOGIN_MAX_AGE_S


def login_limiter(app) -> Bucket:
    """Failed sign-ins per address, shared by the service's workers, and by every node with
    ``[service] redis_url`` (a guesser spread over N connections or nodes gets the limit
    once, not N times). Only failures spend it."""
    limiter = getattr(app.state, "dashboard_login_limiter", None)
    if limiter is None:
        settings = getattr(app.state, "settings", None)
        limiter = bucket("dashboard_login", LOGIN_RATE_PER_S, LOGIN_BURST,
                         getattr(settings, "redis_url", None),
                         getattr(settings, "rate_dir", None))  # fmt: skip
        app.state.dashboard_login_limiter = limiter
    return limiter


async def viewer(request: Request) -> Viewer:
    """Dependency: the signed-in user, or :class:`LoginRequired`."""
    token = request.cookies.get(COOKIE)
    session = None
    if token:
        session = await asyncio.to_thread(find_session, request.app.state.engine, token)
    if session is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(quote(target, safe="/?=&"), expired=bool(token))
    user = session.user
    return Viewer(session, Principal(f"user:{user.name}", user.role, client_address(request)))


def check_role(request: Request, who: Viewer, role: str) -> None:
    """Refuse (403 page) unless ``who`` holds ``role`` or a higher one; the refusal is audited."""
    if who.can(role):
        return
    audit(request, who, "dashboard.forbidden", "denied", needed=role)
    raise PageError(403, "ui.forbidden", role=role, yours=who.principal.role)


async def check_csrf(request: Request, who: Viewer) -> dict[str, str]:
    """The submitted form, after checking its CSRF token (403 page when absent or wrong)."""
    form = await request.form()
    sent = form.get("csrf")
    if not isinstance(sent, str) or not secrets.compare_digest(sent, who.csrf):
        audit(request, who, "dashboard.csrf", "denied", path=request.url.path)
        raise PageError(403, "ui.csrf")
    return {k: v for k, v in form.items() if isinstance(v, str)}


def audit(request: Request, who: Viewer, action: str, outcome: str, **detail) -> None:
    """Queue an audit entry in the service's audit queue (when the service runs one)."""
    queue = getattr(request.app.state, "audit", None)
    if queue is None:
        return
    target = detail.pop("target", None)
    queue.add(
        who.principal.actor,
        action,
        outcome,
        role=who.principal.role,
        address=who.principal.address,
        target=target,
        **detail,
    )
