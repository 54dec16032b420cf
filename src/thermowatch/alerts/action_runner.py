"""Running the approved actions (phases 3-4): one runner at a time, each run audited, a failed
field write raising an ``action_failed`` alert through the alert engine.

Apart from :mod:`thermowatch.alerts.actions` (proposing, approving), which the alert engine
itself uses: this module uses the engine.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from sqlalchemy import Engine

from thermowatch.alerts.actions import RUN, ActionHook, WebhookHook, list_actions
from thermowatch.alerts.config import AlertsConfig, Phase
from thermowatch.alerts.engine import AlertEngine
from thermowatch.alerts.levels import Level
from thermowatch.store.alerts import get_alert
from thermowatch.store.audit import AuditEntry, record

ACTIONS_LEASE = "actions"  # held while approved actions run


def default_hooks() -> dict[str, ActionHook]:
    """One hook per ``hook`` type of the config."""
    from thermowatch.alerts.field_writes import ModbusWriteHook, OpcUaWriteHook

    return {"webhook": WebhookHook(), "opcua": OpcUaWriteHook(), "modbus": ModbusWriteHook()}


def run_approved(
    db: Engine, config: AlertsConfig, hooks: dict[str, ActionHook] | None = None,
    now: datetime | None = None,
) -> list[tuple[int, bool, str]]:  # fmt: skip
    """Run every approved action once (phase 3 and 4); returns ``(proposal, ok, detail)``.

    A failed run is recorded with outcome ``error`` and not retried automatically: an
    action on the plant is not something to repeat blindly. A field write (OPC UA, Modbus)
    that fails raises an ``action_failed`` alert on its transformer (the operator must act by
    hand); the next one that succeeds there resolves it.
    """
    if config.phase < Phase.SUPERVISED or not list_actions(db, "approved"):
        return []
    from thermowatch.store.leases import LeaderLease

    # One runner at a time: two `alerts deliver` must never write the same action twice.
    with LeaderLease(db, ACTIONS_LEASE, log_level=logging.DEBUG) as lease:
        if not lease.try_acquire():
            return []
        return _run(db, config, hooks or default_hooks(), now)


def _run(
    db: Engine, config: AlertsConfig, hooks: dict[str, ActionHook], now: datetime | None
) -> list[tuple[int, bool, str]]:
    by_name = {a.name: a for a in config.actions}
    done = []
    at = now or datetime.now(UTC)
    for p in list_actions(db, "approved"):
        action = by_name.get(p.name)
        alert = get_alert(db, p.alert_id)
        if action is None:
            ok, detail = False, f"action {p.name!r} is no longer in the config"
        elif config.phase < action.phase:
            ok, detail = False, f"action {p.name!r} needs phase {action.phase}, not {config.phase}"
        else:
            try:
                detail, ok = hooks[action.hook].run(action, alert), True
            except Exception as exc:  # recorded, never raised: other actions must still run
                ok, detail = False, f"{type(exc).__name__}: {exc}"
        record(db, AuditEntry(actor="system", action=RUN, outcome="ok" if ok else "error",
                              target=f"proposal:{p.id}", detail=json.dumps({"detail": detail}),
                              at=at))  # fmt: skip
        if action is not None and action.writes_field:
            AlertEngine(db, config).check_action(alert.transformer_id, at, not ok,
                                                 Level[alert.level])  # fmt: skip
        done.append((p.id, ok, detail))
    return done
