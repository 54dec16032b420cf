"""``GET /v1/alerts`` (open alerts) and ``POST /v1/alerts/{id}/acknowledge`` (operator)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel

from thermowatch.service.auth import Operator, Reader
from thermowatch.service.deps import EngineDep
from thermowatch.store import alerts as store_alerts

router = APIRouter(prefix="/v1/alerts", tags=["alerts"])


class AlertOut(BaseModel):
    """An alert as stored. ``kind``: temperature_measured, temperature_predicted, anomaly,
    forecast_crossing, stale_data; ``message`` is the subject people read (with the crossing
    time for a forecast crossing)."""

    id: int
    transformer_id: str
    kind: str
    level: str
    message: str
    raised_at: datetime
    raised_by: str
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    resolved_by: str | None


def _alert(a) -> dict:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in vars(a).items()}


@router.get("", response_model=list[AlertOut])
def open_alerts(_: Reader, engine: EngineDep, transformer_id: str | None = None) -> list[dict]:
    """Alerts not resolved yet, optionally for one transformer."""
    return [_alert(a) for a in store_alerts.open_alerts(engine, transformer_id)]


@router.post("/{alert_id}/acknowledge", response_model=AlertOut)
def acknowledge(
    alert_id: Annotated[int, Path(ge=1, le=2**63 - 1, description="alert id (64-bit)")],
    principal: Operator,
    engine: EngineDep,
    request: Request,
) -> dict:
    """Acknowledge an alert in the name of the caller."""
    store_alerts.get_alert(engine, alert_id)
    store_alerts.acknowledge_alert(engine, alert_id, by=principal.actor)
    request.app.state.audit.add(
        principal.actor,
        "acknowledge_alert",
        "ok",
        role=principal.role,
        address=principal.address,
        target=str(alert_id),
    )
    return _alert(store_alerts.get_alert(engine, alert_id))
