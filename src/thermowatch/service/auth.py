"""Who is calling: API keys (``X-API-Key``) or JWT (``Authorization: Bearer``), roles, limits.

Roles are ordered: ``reader`` (predict, read) < ``operator`` (+ acknowledge alerts) <
``admin`` (+ models, keys, configuration). A verified API key is cached for
``key_cache_s`` seconds so the hot path does no database round trip; a revocation therefore
takes effect within that delay (in every worker). Failures are logged with the client address
and counted; none reveals whether a key exists.

Two kinds of bucket, never mixed: each credential has its own (``rate_limit_per_s``), spent by
its requests; each client address has one of *failures* (``anonymous_rate_per_s``), spent only
by requests that fail authentication. Once an address has no failure left, its failing
requests answer 429 — and a key whose id is not one of the store's keys is refused without a
database lookup — but a valid credential from that address is still let in: somebody else's
guesses never lock out an operator behind the same NAT (refusals are audited per source and
minute, by :mod:`thermowatch.service.guard`).

The client address is the TCP peer, unless the peer is a proxy listed in
``forwarded_allow_ips`` (:func:`thermowatch.service.guard.apply_forwarded`); the allow-list
(``allow_cidrs``) is applied to every route by the guard, before any of this.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Annotated

import jwt
from fastapi import Depends, Request

from thermowatch.service.apikeys import ROLES, ApiKey, find_key, hash_key, list_keys
from thermowatch.service.errors import ApiError
from thermowatch.service.metrics import AUTH_FAILURES, DB_ERRORS
from thermowatch.service.ratelimit import TokenBucket, bucket  # noqa: F401 (re-export)

log = logging.getLogger("thermowatch.service.auth")
RANK = {role: i for i, role in enumerate(ROLES)}


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: ``actor`` is ``key:<id>`` or ``jwt:<sub>``."""

    actor: str
    role: str
    address: str


class Authenticator:
    """Verifies credentials against the store (keys) or the JWT settings."""

    def __init__(self, engine, settings, audit=None) -> None:
        self.engine = engine
        self.settings = settings
        self.audit = audit
        shared = (settings.redis_url, settings.rate_dir)
        self.bucket = bucket("credential", settings.rate_limit_per_s, settings.rate_burst,
                             *shared)  # fmt: skip
        self.anonymous = bucket("address", settings.anonymous_rate_per_s,
                                settings.anonymous_burst, *shared)  # fmt: skip
        self._keys: dict[str, tuple[ApiKey | None, float]] = {}
        self._ids: tuple[frozenset[str], float] = (frozenset(), 0.0)  # key ids, read at [s]
        self._jwt_key = settings.jwt_public_key or settings.jwt_secret

    def _fail(self, reason: str, address: str, message: str, status: int = 401) -> ApiError:
        if status != 429 and not self.anonymous.allow(address):
            reason, status = "address_rate_limited", 429
            message = "too many failed authentications from this address; slow down."
        AUTH_FAILURES.labels(reason).inc()
        if status != 429:  # a flood is counted and audited per minute, not logged per request
            log.warning("authentication failed (%s) from %s", reason, address)
        if status == 401:
            headers = {"WWW-Authenticate": 'Bearer realm="thermowatch"'}
        elif status == 429:
            headers = {"Retry-After": str(max(1, round(1 / self.anonymous.rate)))}
        else:
            headers = None
        error = ApiError(status, message, headers)
        error.reason = reason  # type: ignore[attr-defined]
        return error

    def _key(self, key: str) -> ApiKey | None:
        digest = hash_key(key)
        cached = self._keys.get(digest)
        now = time.monotonic()
        if cached is not None and now - cached[1] < self.settings.key_cache_s:
            return cached[0]
        try:
            record = find_key(self.engine, key)
        except Exception as exc:
            DB_ERRORS.labels("api_keys").inc()
            raise ApiError(503, "the key store cannot be reached; try again shortly.") from exc
        if len(self._keys) > 10_000:  # bounded: guessed keys must not grow memory forever
            self._keys.clear()
        self._keys[digest] = (record, now)
        return record

    def forget_keys(self) -> None:
        """Drop the key cache (after a revocation through the API, in this worker)."""
        self._keys.clear()
        self._ids = (frozenset(), 0.0)

    def _known_id(self, key: str) -> bool:
        """Whether ``key`` (``tw_<id>_<secret>``) names the id of a stored key (ids are public;
        the set is read again every ``key_cache_s``)."""
        ids, read_at = self._ids
        now = time.monotonic()
        if now - read_at >= self.settings.key_cache_s:
            try:
                ids = frozenset(k.id for k in list_keys(self.engine))
            except Exception as exc:
                DB_ERRORS.labels("api_keys").inc()
                raise ApiError(503, "the key store cannot be reached; try again shortly.") from exc
            self._ids = (ids, now)
        parts = key.split("_")
        return len(parts) >= 3 and parts[0] == "tw" and parts[1] in ids

    def authenticate(self, request: Request) -> Principal:
        try:
            return self._authenticate(request)
        except ApiError as exc:
            # The audit of refusals (guard.py) counts the reasons per source and minute.
            request.scope["tw.denied"] = getattr(exc, "reason", "address_rate_limited")
            raise

    def _authenticate(self, request: Request) -> Principal:
        address = request.client.host if request.client else "unknown"
        headers = request.headers
        key = headers.get("x-api-key")
        if key:
            if self.anonymous.empty(address) and not self._known_id(key):
                # An address out of failures: a key that cannot be one of ours costs no lookup.
                raise self._fail("invalid_key", address, "the API key is not valid.")
            record = self._key(key)
            if record is None:
                raise self._fail("invalid_key", address, "the API key is not valid.")
            if not record.active:
                raise self._fail("revoked_key", address, "the API key has been revoked.")
            principal = Principal(f"key:{record.id}", record.role, address)
        else:
            auth = headers.get("authorization", "")
            scheme, _, token = auth.partition(" ")
            if not token or scheme.lower() != "bearer":
                raise self._fail(
                    "missing",
                    address,
                    "credentials are required: an X-API-Key header or a Bearer token.",
                )
            principal = self._jwt(token.strip(), address)
        if not self.bucket.allow(principal.actor):
            raise self._fail(
                "rate_limited", address, "too many requests for this credential; slow down.", 429
            )
        return principal

    def _jwt(self, token: str, address: str) -> Principal:
        s = self.settings
        try:
            claims = jwt.decode(
                token,
                self._jwt_key,
                algorithms=[s.jwt_algorithm],
                issuer=s.jwt_issuer,
                options={"require": ["exp", "iss", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise self._fail("expired_token", address, "the token has expired.") from None
        except jwt.InvalidTokenError:
            raise self._fail("invalid_token", address, "the token is not valid.") from None
        role = claims.get("role", "reader")
        if not isinstance(role, str) or role not in RANK:
            raise self._fail("invalid_token", address, "the token's role is not a known role.")
        subject = claims["sub"]
        if not isinstance(subject, str) or not subject or len(subject) > 150:
            raise self._fail("invalid_token", address, "the token's subject is not valid.")
        return Principal(f"jwt:{subject}", role, address)


def require(role: str):
    """Dependency factory: the caller must hold ``role`` or a higher one.

    One dependency level (authenticate and check together): each level FastAPI resolves
    costs ~30 µs on the hot path.
    """

    async def check(request: Request) -> Principal:
        principal = request.app.state.auth.authenticate(request)
        if RANK[principal.role] < RANK[role]:
            request.scope["tw.denied"] = f"needs_{role}"
            raise ApiError(
                403, f"this action needs the {role} role; your role is {principal.role}."
            )
        return principal

    return check


Reader = Annotated[Principal, Depends(require("reader"))]
Operator = Annotated[Principal, Depends(require("operator"))]
Admin = Annotated[Principal, Depends(require("admin"))]
