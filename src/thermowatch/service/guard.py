"""The outermost ASGI layer: body limits before any parsing, and the audit of refused requests.

Every HTTP request passes here first, the ``POST /predict`` fast lane included:

* **Body limit.** A declared ``Content-Length`` above the route's limit is answered 413 at
  once, before the application runs; a body without one (``Transfer-Encoding: chunked``, a
  multipart upload) is counted while it streams, and the first byte beyond the limit stops it
  with 413. No route, parser or form reader ever sees more than the limit.
* **Who is calling.** ``X-Forwarded-For`` / ``X-Forwarded-Proto`` are believed only from a
  peer listed in ``forwarded_allow_ips`` (they then set the client address and the scheme);
  from anyone else every ``X-Forwarded-*`` header is removed before the application sees it.
* **Allow-list everywhere.** With ``allow_cidrs``, a client outside them is answered 403 here,
  for every route — API, dashboard pages, sign-in, the event stream, static files — except
  the ``/health`` liveness probe (which says nothing but "up").
* **Refusals audited in aggregate.** 401, 403, 413, 429 and 5xx answers are counted per client
  address and minute (:meth:`AuditQueue.count`): a flood of bad credentials is one audit row
  per source per minute with its count, not one row per request; a 403 or a 5xx is never
  missing from the trail.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import orjson

from thermowatch.service.errors import ApiError

#: Routes whose body is an upload (``max_upload_bytes``); every other body has ``max_body_bytes``.
UPLOAD_PATHS = frozenset({"/v1/predict/batch"})
_AUDITED = frozenset({401, 403, 413, 429})
#: Routes open to any address: the liveness probe of load balancers (it tells nothing).
OPEN_PATHS = frozenset({"/health"})
NOT_ALLOWED = "this client address is not allowed."


class BodyTooLarge(ApiError):
    """The request body went past the route's limit (raised while it streams)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the body is larger than the limit of {limit} bytes.")


def _declared_length(scope: dict) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _answer(send: Any, status: int, message: str) -> None:
    body = orjson.dumps({"erreur": message})
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _in(address: str, networks: tuple) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def _proxies(settings: Any) -> tuple | None:
    """The parsed ``forwarded_allow_ips`` (None: ``*``, every peer is a proxy)."""
    if "*" in settings.forwarded_allow_ips:
        return None
    return tuple(ipaddress.ip_network(p, strict=False) for p in settings.forwarded_allow_ips)


def apply_forwarded(scope: dict, proxies: tuple | None) -> None:
    """Believe ``X-Forwarded-For`` / ``-Proto`` from a listed proxy; drop them from anyone else.

    The client is the right-most ``X-Forwarded-For`` entry that is not itself a listed proxy
    (the entries to its left were written by the client and prove nothing).
    """
    client = scope.get("client")
    peer = client[0] if client else ""
    forwarded = [(n, v) for n, v in scope["headers"] if n.startswith(b"x-forwarded-")]
    if not forwarded:
        return
    if proxies is not None and not _in(peer, proxies):
        scope["headers"] = [
            (n, v) for n, v in scope["headers"] if not n.startswith(b"x-forwarded-")
        ]
        return
    for name, value in forwarded:
        text = value.decode("latin-1")
        if name == b"x-forwarded-for":
            hops = [h.strip() for h in text.split(",") if h.strip()]
            while hops and proxies is not None and _in(hops[-1], proxies) and len(hops) > 1:
                hops.pop()
            if hops:
                scope["client"] = (hops[-1], 0)
        elif name == b"x-forwarded-proto":
            proto = text.split(",")[0].strip().lower()
            if proto in ("http", "https") and scope["type"] == "http":
                scope["scheme"] = proto
            elif proto in ("http", "https"):
                scope["scheme"] = "wss" if proto == "https" else "ws"


class Guard:
    """ASGI wrapper of the whole service (see the module docstring)."""

    def __init__(self, app: Any, state: Any) -> None:
        self.app = app
        self.state = state  # the FastAPI app's state: settings, then the audit queue
        self._proxies: tuple | None = ()

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        settings = self.state.settings
        if settings.forwarded_allow_ips and self._proxies == ():
            self._proxies = _proxies(settings)
        apply_forwarded(scope, self._proxies)
        if settings.networks and scope["path"] not in OPEN_PATHS:
            client = scope.get("client")
            if not _in(client[0] if client else "", settings.networks):
                scope["tw.denied"] = "address"
                self._count(scope, 403)
                if scope["type"] == "http":
                    await _answer(send, 403, NOT_ALLOWED)
                else:
                    await send({"type": "websocket.close", "code": 1008})
                return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = (
            settings.max_upload_bytes if scope["path"] in UPLOAD_PATHS else settings.max_body_bytes
        )
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            self._count(scope, 413)
            await _answer(send, 413, BodyTooLarge(limit).message)
            return
        received = 0
        exceeded = False
        replaced = False
        status = 500

        async def limited_receive() -> dict:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge(limit)
            return message

        async def watched_send(message: dict) -> None:
            nonlocal status, replaced
            if replaced:
                return
            if message["type"] == "http.response.start":
                status = message["status"]
                if exceeded and status != 413:
                    # A parser turned the interruption into another error (FastAPI answers 400
                    # "error parsing the body"): the client's mistake is the size, say so.
                    replaced = True
                    status = 413
                    await _answer(send, 413, BodyTooLarge(limit).message)
                    return
            await send(message)

        try:
            # A declared length is enforced by the HTTP server's framing: only a body without
            # one needs counting.
            await self.app(scope, limited_receive if declared is None else receive, watched_send)
        except BodyTooLarge:
            if status == 500 and not replaced:
                status = 413
                await _answer(send, 413, BodyTooLarge(limit).message)
        finally:
            if status in _AUDITED or status >= 500:
                self._count(scope, status)

    def _count(self, scope: dict, status: int) -> None:
        audit = getattr(self.state, "audit", None)
        if audit is None:
            return
        client = scope.get("client")
        route = getattr(scope.get("route"), "path", None) or "unmatched"
        audit.count(client[0] if client else "unknown", status, route, scope.get("tw.denied"))
