"""Predictions: ``POST /predict`` (the original contract) and ``POST /v1/transformers/{id}/predict``."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field, RootModel

from thermowatch.errors import InputError
from thermowatch.learn.levels import LevelName
from thermowatch.service.audit import inputs_hash
from thermowatch.service.auth import Principal, Reader
from thermowatch.service.deps import ModelsDep, default_served, read_json, served_for
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


class Prediction(BaseModel):
    """One prediction (temperatures [°C]): the original contract's ``temperature_predite``,
    ``niveau_alerte`` and ``timestamp``, plus what v1 added. Documents the answer; the routes
    render it with orjson (:meth:`thermowatch.service.predicting.Result.as_json`)."""

    temperature_predite: float
    niveau_alerte: LevelName
    timestamp: datetime
    transformer_id: str
    model_id: str
    intervalle: list[float] = Field(min_length=2, max_length=2, description="[low, high] [°C]")
    avertissements: list[str]
    extrapolating: bool = Field(
        False,
        description="outside the model's domain of validity (input ranges or months its"
        " training never saw): the interval is widened and, with a known rating, the IEC"
        " 60076-7 physics leads",
    )


#: A flat reading: measurement name -> number, plus an optional ISO-8601 ``timestamp``.
Reading = RootModel[dict[str, float | str]]
_READING_BODY = {
    "content": {
        "application/json": {"schema": Reading.model_json_schema(), "example": READING_EXAMPLE}
    },
    "required": True,
}


def _audit(
    request: Request,
    principal: Principal,
    served,
    raw: bytes,
    start: float,
    outcome: str,
    **extra: Any,
) -> None:
    request.app.state.audit.add(
        principal.actor, "predict", outcome, role=principal.role, address=principal.address,
        target=served.transformer_id, route=request.scope["path"], inputs=inputs_hash(raw),
        latency_ms=round((time.perf_counter() - start) * 1e3, 3), model=served.model_id, **extra,
    )  # fmt: skip


async def _audited(
    request: Request, principal: Principal, served, body: Any, raw: bytes, many: bool
) -> list[Result]:
    """Predict each reading of ``body`` and audit the request once (ok or rejected → 422)."""
    start = time.perf_counter()
    items = body if many else [body]
    results = []
    try:
        for i, item in enumerate(items):
            where = f"reading {i}: " if many else ""
            results.append(await _predict(request, served, item, principal, where))
    except InputError as exc:
        _audit(request, principal, served, raw, start, "rejected", error=str(exc))
        raise ApiError(422, str(exc)) from None
    extra = {"rows": len(results)} if many else {"level": results[0].level}
    _audit(request, principal, served, raw, start, "ok", **extra)
    return results


@router.post(
    "/predict",
    response_model=Prediction,
    openapi_extra={"requestBody": _READING_BODY},
)  # fmt: skip
async def predict(request: Request, principal: Reader) -> FastJSON:
    """Original contract: a flat reading in, ``temperature_predite`` and ``niveau_alerte`` out
    (plus ``timestamp``, ``transformer_id``, ``model_id``, ``intervalle`` [°C] and
    ``avertissements``), for the default transformer."""
    body, raw = await read_json(request)
    state = request.app.state
    served = default_served(state.models)
    (result,) = await _audited(request, principal, served, body, raw, many=False)
    return FastJSON(result.as_json())


@router.post(
    "/v1/transformers/{transformer_id}/predict",
    response_model=Prediction | list[Prediction],
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "schema": {
                        "oneOf": [
                            Reading.model_json_schema(),
                            {"type": "array", "items": Reading.model_json_schema(),
                             "minItems": 1, "maxItems": 1000},
                        ]
                    },
                    "example": READING_EXAMPLE,
                }
            },
            "required": True,
        }
    },
)  # fmt: skip
async def predict_transformer(
    transformer_id: str, request: Request, principal: Reader, models: ModelsDep
) -> FastJSON:
    """One reading (object) or several (array, ≤ 1000) for one transformer; an array answers an array."""
    body, raw = await read_json(request)
    served = served_for(models, transformer_id)
    many = isinstance(body, list)
    if many and not 1 <= len(body) <= 1000:
        raise ApiError(
            422, "the array must hold between 1 and 1000 readings; use /v1/predict/batch for more."
        )
    results = await _audited(request, principal, served, body, raw, many)
    out = [r.as_json() for r in results]
    return FastJSON(out if many else out[0])
