"""Predictions: ``POST /predict`` (the original contract) and ``POST /v1/transformers/{id}/predict``."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Body, Request
from fastapi.concurrency import run_in_threadpool

from thermowatch.errors import InputError
from thermowatch.service.audit import inputs_hash
from thermowatch.service.auth import Principal, Reader
from thermowatch.service.deps import ModelsDep, read_json, served_for
from thermowatch.service.errors import ApiError, FastJSON
from thermowatch.service.metrics import predictions_for
from thermowatch.service.predicting import Result, history_for, predict_one, validate_reading

router = APIRouter(tags=["predict"])

READING_EXAMPLE = {
    "tension (kV)": 20.1,
    "courant (A)": 850.0,
    "puissance active (MW)": 28.0,
    "puissance réactive (MVAr)": 9.0,
    "température ambiante (°C)": 24.0,
    "température huile (°C)": 55.0,
}
_BODY_DOC = Body(
    openapi_examples={"reading": {"value": READING_EXAMPLE}},
    description="Flat object: measurement name → number (the model's variables); optional "
    "'timestamp' (ISO-8601, default now).",
)


async def _predict(
    request: Request, served, body: Any, principal: Principal, where: str = ""
) -> Result:
    values, at = validate_reading(body, served, where)
    at = at or datetime.now(UTC)
    state = request.app.state
    # The store is asked only when it holds recent readings of this transformer (cached check).
    history = None
    if not state.history.known_empty(served.transformer_id):
        history = await run_in_threadpool(history_for, state.engine, served, at, state.history)
    result = predict_one(served, values, at, history)
    predictions_for(result.level).inc()
    return result


def _audit(
    request: Request,
    principal: Principal,
    action: str,
    outcome: str,
    target: str,
    raw: bytes,
    start: float,
    **extra: Any,
) -> None:
    request.app.state.audit.add(
        principal.actor, action, outcome, role=principal.role, address=principal.address,
        target=target, route=request.scope["path"], inputs=inputs_hash(raw),
        latency_ms=round((time.perf_counter() - start) * 1e3, 3), **extra,
    )  # fmt: skip


@router.post(
    "/predict",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "schema": {"type": "object", "additionalProperties": {"type": "number"}},
                    "example": READING_EXAMPLE,
                }
            },
            "required": True,
        }
    },
)
async def predict(request: Request, principal: Reader) -> FastJSON:
    """Original contract: a flat reading in, ``temperature_predite`` and ``niveau_alerte`` out
    (plus ``timestamp``, ``transformer_id``, ``model_id``, ``intervalle`` [°C] and
    ``avertissements``), for the default transformer."""
    start = time.perf_counter()
    body, raw = await read_json(request)
    state = request.app.state
    served = served_for(state.models, state.settings.default_transformer)
    try:
        result = await _predict(request, served, body, principal)
    except InputError as exc:
        _audit(
            request,
            principal,
            "predict",
            "rejected",
            served.transformer_id,
            raw,
            start,
            model=served.model_id,
            error=str(exc),
        )
        raise ApiError(422, str(exc)) from None
    _audit(
        request,
        principal,
        "predict",
        "ok",
        served.transformer_id,
        raw,
        start,
        model=served.model_id,
        level=result.level,
    )
    return FastJSON(result.as_json())


@router.post(
    "/v1/transformers/{transformer_id}/predict",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "schema": {
                        "oneOf": [
                            {"type": "object"},
                            {"type": "array", "items": {"type": "object"}, "maxItems": 1000},
                        ]
                    },
                    "example": READING_EXAMPLE,
                }
            },
            "required": True,
        }
    },
)
async def predict_transformer(
    transformer_id: str, request: Request, principal: Reader, models: ModelsDep
) -> FastJSON:
    """One reading (object) or several (array, ≤ 1000) for one transformer; an array answers an array."""
    start = time.perf_counter()
    body, raw = await read_json(request)
    served = served_for(models, transformer_id)
    many = isinstance(body, list)
    items = body if many else [body]
    if many and not 1 <= len(items) <= 1000:
        raise ApiError(
            422, "the array must hold between 1 and 1000 readings; use /v1/predict/batch for more."
        )
    results = []
    try:
        for i, item in enumerate(items):
            results.append(
                await _predict(request, served, item, principal, f"reading {i}: " if many else "")
            )
    except InputError as exc:
        _audit(
            request,
            principal,
            "predict",
            "rejected",
            transformer_id,
            raw,
            start,
            model=served.model_id,
            error=str(exc),
        )
        raise ApiError(422, str(exc)) from None
    _audit(
        request,
        principal,
        "predict",
        "ok",
        transformer_id,
        raw,
        start,
        model=served.model_id,
        rows=len(results),
    )
    out = [r.as_json() for r in results]
    return FastJSON(out if many else out[0])
