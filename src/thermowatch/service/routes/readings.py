"""``POST /v1/readings``: HTTP push from SCADA into the one live pipeline (:mod:`thermowatch.live`).

The same code as the monitor: every value validated (SUSPECT stored with its reason, never
predicted on), predicted by the champion with the history it keeps, levelled, stored with the
prediction and forecast in one transaction, then one event per reading to the alert hook.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field, StrictFloat, StrictInt, TypeAdapter, ValidationError

from thermowatch.errors import InputError
from thermowatch.learn.levels import LevelName, StateLevel
from thermowatch.live import PredictionEvent, Snapshot
from thermowatch.live.validate import to_utc, value_refusal
from thermowatch.service.audit import inputs_hash
from thermowatch.service.auth import Operator
from thermowatch.service.deps import read_json
from thermowatch.service.errors import ApiError
from thermowatch.service.metrics import DB_ERRORS, predictions_for

router = APIRouter(tags=["readings"])
MAX_ITEMS = 1000


class ReadingIn(BaseModel):
    """One snapshot of one transformer: measurement name -> number (the measured target too)."""

    transformer_id: str = Field(min_length=1, max_length=64, examples=["TR-01"])
    timestamp: datetime | None = Field(
        None, description="ISO-8601 instant (naive means UTC); default: now"
    )
    values: dict[str, StrictFloat | StrictInt] = Field(
        examples=[{"courant (A)": 850.0, "température enroulement (°C)": 78.5}]
    )
    source: str | None = Field(None, max_length=200)


class Refused(BaseModel):
    """A value stored SUSPECT (kept, never predicted on) or refused."""

    variable: str
    verdict: Literal["SUSPECT", "REJECTED"]
    raison: str


class ForecastPoint(BaseModel):
    timestamp: datetime
    temperature: float


class ReadingResult(BaseModel):
    """The pipeline's verdict on one reading (temperatures [°C]).

    ``temperature_predite`` is ``null`` only with ``raison`` saying why (then
    ``niveau_alerte`` is ``null`` too, never ``NORMAL``); ``niveau`` is the worse of the
    measured and predicted levels and ``niveau_source`` says which.
    """

    temperature_predite: float | None
    niveau_alerte: LevelName | None
    temperature_mesuree: float | None
    niveau_mesure: LevelName | None
    niveau: StateLevel
    niveau_source: Literal["measured", "predicted", "none"]
    timestamp: datetime
    transformer_id: str
    model_id: str | None
    intervalle: list[float] | None
    prevision: list[ForecastPoint]
    avertissements: list[str]
    raison: str | None
    valeurs_suspectes: list[Refused]
    stored_readings: int


_BODY = TypeAdapter(ReadingIn | list[ReadingIn])


def _parse(body: Any) -> list[ReadingIn]:
    items = body if isinstance(body, list) else [body]
    if not 1 <= len(items) <= MAX_ITEMS:
        raise ApiError(422, f"send between 1 and {MAX_ITEMS} readings per request.")
    try:
        parsed = _BODY.validate_python(body)
    except ValidationError as exc:
        errors = exc.errors()  # the branch of the union the body took: one or many readings
        branch = "list[ReadingIn]" if isinstance(body, list) else "ReadingIn"
        err = next((e for e in errors if e["loc"] and e["loc"][0] == branch), errors[0])
        loc = [str(p) for p in err["loc"] if p not in ("ReadingIn", "list[ReadingIn]")]
        where = (
            f"reading {loc.pop(0)}: " if isinstance(body, list) and loc and loc[0].isdigit() else ""
        )
        field, why = ".".join(loc) or "body", err["msg"]
        if len(loc) >= 2 and loc[0] == "values":  # a measurement: the monitor's own words
            field, why = f"values.{loc[1]}", value_refusal(loc[1], err.get("input")) or why
        raise InputError(f"{where}the field {field!r}: {why}.") from None
    return parsed if isinstance(parsed, list) else [parsed]


def _answer(e: PredictionEvent, stored: int) -> dict[str, Any]:
    level, which = e.worst
    r3 = lambda x: None if x is None else round(x, 3)  # noqa: E731
    return {
        "temperature_predite": r3(e.predicted_c),
        "niveau_alerte": e.level,
        "temperature_mesuree": e.measured_c,
        "niveau_mesure": e.measured_level,
        "niveau": level,
        "niveau_source": which,
        "timestamp": e.ts.isoformat(),
        "transformer_id": e.transformer_id,
        "model_id": e.model_id,
        "intervalle": None if e.lower_c is None else [r3(e.lower_c), r3(e.upper_c)],
        "prevision": [
            {"timestamp": t.isoformat(), "temperature": round(x, 3)} for t, x in e.forecast
        ],
        "avertissements": e.warnings,
        "raison": e.reason,
        "valeurs_suspectes": [
            {"variable": i.variable, "verdict": i.verdict, "raison": i.reason} for i in e.issues
        ],
        "stored_readings": stored,
    }


def _run(request: Request, items: list[ReadingIn]) -> list[dict[str, Any]]:
    state = request.app.state
    pipeline = state.pipeline
    now = datetime.now(UTC)
    snapshots = []
    for i, item in enumerate(items):
        where = f"reading {i}: " if len(items) > 1 else ""
        at = item.timestamp if item.timestamp is not None else now  # bounds: check_times
        served = state.models.get(item.transformer_id)
        if served is not None:  # a new champion is served: start from it
            pipeline.follow_champion(item.transformer_id, served.predictor)
        try:
            pipeline.state(item.transformer_id)
        except InputError as exc:
            raise ApiError(404, f"{where}{exc}.") from None
        except Exception as exc:  # the store cannot be read: the client may retry
            DB_ERRORS.labels("live_profile").inc()
            raise ApiError(
                503, "the store cannot be read; try again.", {"Retry-After": "5"}
            ) from exc
        snapshots.append(Snapshot(item.transformer_id, at, item.values, item.source or "http"))
    pipeline.check_times(snapshots, now)
    batch, events = pipeline.prepare(snapshots, now)
    try:
        stored = pipeline.store(batch)
    except (InputError, ApiError):
        raise
    except Exception as exc:
        if exc.__class__.__name__ == "NotFoundError":
            raise
        DB_ERRORS.labels("write_readings").inc()
        # The readings were not stored: forget what the nowcasters learnt from them.
        for tid in {s.transformer_id for s in snapshots}:
            pipeline.forget(tid)
        raise ApiError(
            503, "the readings could not be stored; try again.", {"Retry-After": "5"}
        ) from exc
    pipeline.emit(events)
    for e in events:
        if e.level is not None:
            predictions_for(e.level).inc()
    order = {(s.transformer_id, to_utc(s.ts)): i for i, s in enumerate(snapshots)}
    events.sort(key=lambda e: order.get((e.transformer_id, e.ts), 0))
    return [_answer(e, stored["readings"]) for e in events]


@router.post(
    "/v1/readings",
    status_code=201,
    response_model=list[ReadingResult] | ReadingResult,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "oneOf": [
                            ReadingIn.model_json_schema(),
                            {"type": "array", "items": ReadingIn.model_json_schema(),
                             "minItems": 1, "maxItems": MAX_ITEMS},
                        ]
                    },
                    "example": {
                        "transformer_id": "TR-01",
                        "timestamp": "2026-11-26T08:00:00Z",
                        "values": {"courant (A)": 850.0, "température enroulement (°C)": 78.5},
                    },
                }
            },
        }
    },
)  # fmt: skip
async def push_readings(request: Request, principal: Operator):
    """Readings pushed by SCADA (:class:`ReadingIn`, or an array of ≤ 1000), with the measured
    target if there is one. Every value is validated, stored (SUSPECT with its reason when
    physically impossible), predicted and forecast by the live pipeline, then evaluated by the
    alert engine. A timestamp more than the allowed skew ahead of the clock, or before 1990,
    refuses the request (422). Needs operator: it writes to the store."""
    from fastapi.concurrency import run_in_threadpool

    start = time.perf_counter()
    body, raw = await read_json(request)
    try:
        items = _parse(body)
        answers = await run_in_threadpool(_run_locked, request, items)
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


def _run_locked(request: Request, items: list[ReadingIn]) -> list[dict[str, Any]]:
    # One batch at a time through the pipeline of this process: its per-transformer state
    # (history, stale counters) and the alert engine's are not shared between threads.
    with request.app.state.pipeline_lock:
        return _run(request, items)
