"""Who is looking at the dashboard: the session cookie, CSRF tokens, roles, sign-in limits.

The roles, their order and the audit queue are the API's (:mod:`thermowatch.service.auth`):
a dashboard user becomes a :class:`~thermowatch.service.auth.Principal` ``user:<name>`` so
the audit log and the role checks read the same for a browser and an API client.

Cookie: ``HttpOnly`` (no script reads it), ``SameSite=Strict`` (no other site's page sends it),
``Secure`` when the request came over TLS (directly or through nginx's
``X-Forwarded-Proto: https``). Every form carries the session's CSRF token, compared in
constant time; ``SameSite`` alone does not cover older browsers or same-site subdomains.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from dataclasses import dataclass
from urllib.parse import quote

from fastapi import Request

from thermowatch.service.auth import RANK, Principal
from thermowatch.service.ratelimit import SharedTokenBucket, TokenBucket, bucket
from thermowatch.store.users import WebSession, find_session

COOKIE = "tw_session"
LANG_COOKIE = "tw_lang"  # the sign-in page's language, before anyone is known
#: Session lifetime [h]: one shift plus margin; a wall screen signs in again at shift change.
SESSION_HOURS = float(os.environ.get("THERMOWATCH_DASHBOARD_SESSION_HOURS", "12"))
#: Sign-in attempts per client address: burst, then one every 1/rate seconds.
LOGIN_BURST, LOGIN_RATE_PER_S = 10.0, 0.2


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
    """Whether the browser talks TLS to us (directly, or to the nginx in front)."""
    proto = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or proto == "https"


def login_limiter(app) -> TokenBucket | SharedTokenBucket:
    """Sign-in attempts per address, shared by the service's workers (a guesser spread over
    N connections gets the limit once, not N times)."""
    limiter = getattr(app.state, "dashboard_login_limiter", None)
    if limiter is None:
        limiter = bucket("dashboard_login", LOGIN_RATE_PER_S, LOGIN_BURST)
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
