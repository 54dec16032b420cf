"""``/health`` (open: the process answers), ``/ready`` and ``/metrics`` (authenticated)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import text

from thermowatch.service.auth import Reader
from thermowatch.service.errors import error_response
from thermowatch.service.metrics import DB_ERRORS, render

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: Literal["ok"]


class Ready(BaseModel):
    status: Literal["ready"]
    database: Literal["ok"]
    models: dict[str, str] = Field(description="transformer id -> model id served")


@router.get("/health", response_model=Health)
async def health() -> dict[str, str]:
    """Liveness: answers as long as the process serves HTTP (no credentials)."""
    return {"status": "ok"}


@router.get("/ready", response_model=Ready)
def ready(request: Request, _: Reader):
    """Readiness: a verified model is loaded and the database answers and takes writes
    (503 with ``Retry-After`` otherwise)."""
    state = request.app.state
    health = state.db_health
    try:
        with state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        database = "ok"
    except Exception:
        DB_ERRORS.labels("ready").inc()
        database = "unreachable"
    if database == "ok":
        # A database can answer SELECT and refuse every write: try a no-op write (≤ 1/s).
        writable = health.probe() if health.probe_due() else health.healthy
        database = "ok" if writable else "refusing writes"
    served = {tid: s.model_id for tid, s in state.models.all().items()}
    if not served or database != "ok":
        reason = "no verified model is loaded" if not served else f"the database is {database}"
        return error_response(503, f"not ready: {reason}.", health.retry_headers)
    return {"status": "ready", "database": database, "models": served}


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "description": "Prometheus text exposition format",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    },
)
def metrics(request: Request, _: Reader) -> Response:
    """Prometheus exposition: requests and latency by route and status, predictions by level,
    served model versions, model refusals, database and authentication errors."""
    body, content_type = render(request.app.state.settings.metrics_dir)
    return Response(body, media_type=content_type)
