"""``GET /v1/alerts`` (the alarm list), ``POST /v1/alerts/{id}/acknowledge``, ``/shelve`` and
``/unshelve`` (operator)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field

from thermowatch.alerts import lifecycle
from thermowatch.service.auth import Operator, Reader
from thermowatch.service.deps import EngineDep
from thermowatch.store import alerts as store_alerts

router = APIRouter(prefix="/v1/alerts", tags=["alerts"])
# The answers are the store's Alert dataclass itself (pydantic reads it): one definition.


@router.get("", response_model=list[store_alerts.Alert])
def open_alerts(
    _: Reader, engine: EngineDep, transformer_id: str | None = None
) -> list[store_alerts.Alert]:
    """The alarm list (ISA-18.2): active alarms and those returned to normal unacknowledged,
    each with its ``state``; most severe first, then newest first."""
    return store_alerts.alarm_list(engine, transformer_id)


class ShelveIn(BaseModel):
    minutes: float = Field(gt=0, le=24 * 60, description="how long [min], at most 24 h")
    reason: str = Field(min_length=1, max_length=500)


AlertId = Annotated[int, Path(ge=1, le=2**63 - 1, description="alert id (64-bit)")]


@router.post("/{alert_id}/shelve", response_model=store_alerts.Alert)
def shelve(
    alert_id: AlertId, body: ShelveIn, principal: Operator, engine: EngineDep
) -> store_alerts.Alert:
    """Shelve an alarm for ``minutes`` (audited; it comes back by itself at expiry)."""
    return lifecycle.shelve(engine, alert_id, principal.actor, body.minutes, body.reason,
                            source=principal.address or "api", role=principal.role)  # fmt: skip


@router.post("/{alert_id}/unshelve", response_model=store_alerts.Alert)
def unshelve(alert_id: AlertId, principal: Operator, engine: EngineDep) -> store_alerts.Alert:
    """Bring a shelved alarm back before its expiry (audited)."""
    return lifecycle.unshelve(engine, alert_id, principal.actor,
                              source=principal.address or "api", role=principal.role)  # fmt: skip


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
