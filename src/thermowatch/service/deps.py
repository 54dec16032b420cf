"""Shared request helpers and dependencies (``Annotated[..., Depends(...)]`` style)."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import Depends, Request
from sqlalchemy import Engine
from starlette.requests import ClientDisconnect

from thermowatch.service.errors import ApiError
from thermowatch.service.serving import ModelHolder, Served


async def get_engine(request: Request) -> Engine:
    return request.app.state.engine


async def get_models(request: Request) -> ModelHolder:
    return request.app.state.models


EngineDep = Annotated[Engine, Depends(get_engine)]
ModelsDep = Annotated[ModelHolder, Depends(get_models)]


def served_for(models: ModelHolder, transformer_id: str) -> Served:
    """The model serving ``transformer_id``; 404 naming it when it is unknown to the store or
    has no model, 503 when no model is loaded at all yet for a transformer the store knows."""
    served = models.get(transformer_id)
    if served is None:
        if not models.ready and _known(models, transformer_id):
            raise ApiError(503, "no model is loaded yet; see /ready and the service log.")
        if not models.ready:
            raise ApiError(404, f"unknown transformer {transformer_id!r}.")
        raise ApiError(404, f"no model is served for transformer {transformer_id!r}.")
    return served


def _known(models: ModelHolder, transformer_id: str) -> bool:
    """Whether the store knows ``transformer_id`` (True when it cannot say: then 503 is right)."""
    from thermowatch.errors import NotFoundError
    from thermowatch.store.transformers import get_transformer

    if models.engine is None:
        return True
    try:
        get_transformer(models.engine, transformer_id)
    except NotFoundError:
        return False
    except Exception:
        return True
    return True


def default_served(models: ModelHolder) -> Served:
    """The model of ``POST /predict`` (no transformer named); 404 naming the served transformers
    when the configured default has none or several could be meant, 503 if none at all."""
    served = models.default()
    if served is not None:
        return served
    if models.default_transformer is not None:
        return served_for(models, models.default_transformer)
    names = sorted(models.all())
    if not names:
        raise ApiError(503, "no model is loaded yet; see /ready and the service log.")
    listed = ", ".join(names[:10]) + (", …" if len(names) > 10 else "")
    raise ApiError(
        404,
        f"{len(names)} transformers are served ({listed}) and none is the default: post to "
        "/v1/transformers/{id}/predict, or set default_transformer in [service].",
    )


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, refused with 413 beyond ``limit`` bytes (checked while streaming)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise ApiError(413, f"the body is larger than the limit of {limit} bytes.")
        except ValueError:
            raise ApiError(400, "the Content-Length header is not a number.") from None
    # The ASGI messages themselves rather than Request.stream(): its async generator costs
    # ~3 % of a /predict request, whose body is one message.
    chunks, size = [], 0
    receive = request.receive
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise ApiError(413, f"the body is larger than the limit of {limit} bytes.")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    raw = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    request._body = raw  # what Request.body() answers if anything asks again
    return raw


async def read_json(request: Request) -> tuple[Any, bytes]:
    """Parsed JSON body and its raw bytes: 415 unless JSON, 413 if too large, 400 if malformed."""
    content_type = request.headers.get("content-type", "")
    if not content_type.split(";")[0].strip().lower().endswith(("/json", "+json")):
        raise ApiError(415, "the body must be JSON (Content-Type: application/json).")
    raw = await read_body(request, request.app.state.settings.max_body_bytes)
    try:
        return orjson.loads(raw), raw
    except orjson.JSONDecodeError as exc:
        raise ApiError(
            400,
            f"the body is not valid JSON ({exc.msg} at character {exc.pos}); NaN and Infinity are not JSON numbers.",
        ) from None
