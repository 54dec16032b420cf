"""``GET /v1/alerts`` (open alerts) and ``POST /v1/alerts/{id}/acknowledge`` (operator)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from thermowatch.service.auth import Operator, Reader
from thermowatch.service.deps import EngineDep
from thermowatch.store import alerts as store_alerts

router = APIRouter(prefix="/v1/alerts", tags=["alerts"])
# The answers are the store's Alert dataclass itself (pydantic reads it): one definition.


@router.get("", response_model=list[store_alerts.Alert])
def open_alerts(
    _: Reader, engine: EngineDep, transformer_id: str | None = None
) -> list[store_alerts.Alert]:
    """Alerts not resolved yet, optionally for one transformer."""
    return store_alerts.open_alerts(engine, transformer_id)


@router.post("/{alert_id}/acknowledge", response_model=store_alerts.Alert)
def acknowledge(
    alert_id: Annotated[int, Path(ge=1, le=2**63 - 1, description="alert id (64-bit)")],
    principal: Operator,
    engine: EngineDep,
    request: Request,
) -> store_alerts.Alert:
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
    return store_alerts.get_alert(engine, alert_id)
