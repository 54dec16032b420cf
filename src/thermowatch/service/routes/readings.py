"""``POST /v1/readings``: HTTP push from SCADA — store, predict, store the predictions, hook."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

import pandas as pd
from fastapi import APIRouter, Request

from thermowatch.errors import InputError
from thermowatch.service.audit import inputs_hash
from thermowatch.service.auth import Operator
from thermowatch.service.deps import read_json
from thermowatch.service.errors import ApiError
from thermowatch.service.metrics import DB_ERRORS, predictions_for
from thermowatch.service.predicting import history_for, parse_time, predict_one, validate_reading
from thermowatch.store import predictions as store_predictions
from thermowatch.store import readings as store_readings

router = APIRouter(tags=["readings"])
log = logging.getLogger("thermowatch.service.readings")
MAX_ITEMS = 1000


def _store_and_predict(request: Request, items: list[dict], principal) -> list[dict]:
    state = request.app.state
    engine = state.engine
    parsed = []
    for i, item in enumerate(items):
        where = f"reading {i}: " if len(items) > 1 else ""
        if not isinstance(item, dict):
            raise InputError(f"{where}each reading must be a JSON object.")
        tid = item.get("transformer_id")
        if not isinstance(tid, str) or not tid:
            raise InputError(f"{where}the field 'transformer_id' is missing.")
        if "values" not in item:
            raise InputError(f"{where}the field 'values' is missing.")
        source = item.get("source")
        if source is not None and (not isinstance(source, str) or len(source) > 200):
            raise InputError(f"{where}the field 'source' must be a text of at most 200 characters.")
        at = parse_time(item["timestamp"]) if "timestamp" in item else datetime.now(UTC)
        served = state.models.get(tid)
        if served is None:
            raise ApiError(404, f"{where}no model is served for transformer {tid!r}.")
        values, _ = validate_reading(item["values"], served, where)
        parsed.append((served, values, at, item.get("source")))
    rows = [
        (s.transformer_id, at, name, v, 0, source or "http")
        for s, values, at, source in parsed
        for name, v in zip(s.predictor.variables, values, strict=True)
    ]
    frame = pd.DataFrame(rows, columns=store_readings.COLUMNS)
    try:
        stored = store_readings.write_readings(engine, frame)
    except InputError:
        raise
    except Exception as exc:
        if exc.__class__.__name__ == "NotFoundError":
            raise
        DB_ERRORS.labels("write_readings").inc()
        raise ApiError(503, "the readings could not be stored; try again.") from exc
    answers, predictions = [], []
    for served, values, at, _ in sorted(parsed, key=lambda p: p[2]):
        state.history.invalidate(served.transformer_id)
        history = history_for(engine, served, at, state.history)
        result = predict_one(served, values, at, history)
        predictions_for(result.level).inc()
        predictions.append(
            store_predictions.Prediction(
                served.transformer_id,
                at,
                served.model_id,
                result.value,
                result.lower,
                result.upper,
                result.level,
            )
        )
        answers.append(result)
    store_predictions.write_predictions(engine, predictions)
    hook = getattr(state, "on_prediction", None)
    if hook is not None:
        for result in answers:
            try:
                hook(result.transformer_id, result)
            except Exception:  # the alerting hook must not lose the stored readings
                log.exception("on_prediction hook failed for %s", result.transformer_id)
    return [r.as_json() | {"stored_readings": stored} for r in answers]


@router.post(
    "/v1/readings",
    status_code=201,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "oneOf": [
                            {"type": "object"},
                            {"type": "array", "items": {"type": "object"}},
                        ]
                    },
                    "example": {
                        "transformer_id": "TR-01",
                        "timestamp": "2026-11-26T08:00:00Z",
                        "values": {"courant (A)": 850.0},
                    },
                }
            },
        }
    },
)
async def push_readings(request: Request, principal: Operator):
    """Readings pushed by SCADA: ``{"transformer_id", "timestamp", "values": {name: number},
    "source"?}`` or an array of them (≤ 1000). Stored idempotently, predicted (with the stored
    history), predictions stored, then the ``on_prediction`` hook is called. Needs operator:
    it writes to the store."""
    from fastapi.concurrency import run_in_threadpool

    start = time.perf_counter()
    body, raw = await read_json(request)
    items = body if isinstance(body, list) else [body]
    if not 1 <= len(items) <= MAX_ITEMS:
        raise ApiError(422, f"send between 1 and {MAX_ITEMS} readings per request.")
    try:
        answers = await run_in_threadpool(_store_and_predict, request, items, principal)
    except (InputError, ApiError) as exc:
        request.app.state.audit.add(
            principal.actor,
            "push_readings",
            "rejected",
            role=principal.role,
            address=principal.address,
            inputs=inputs_hash(raw),
            error=str(exc),
        )
        raise
    request.app.state.audit.add(
        principal.actor, "push_readings", "ok", role=principal.role, address=principal.address,
        inputs=inputs_hash(raw), rows=len(items), latency_ms=round((time.perf_counter() - start) * 1e3, 3),
    )  # fmt: skip
    return answers if isinstance(body, list) else answers[0]
