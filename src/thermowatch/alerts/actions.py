"""Actions at a level: proposed (phase 3), approved by an operator, run by a hook (phase 4).

The audit log is the record: every proposal, approval, rejection and run is an audit entry,
so "every action audited" holds by construction. A proposal's id is its audit entry id.

Hooks: :class:`ActionHook` is the interface; :class:`WebhookHook` posts a JSON object, and
:mod:`thermowatch.alerts.field_writes` writes an OPC UA node or a Modbus register (bounded
value, read back). Safety: nothing is proposed or run in phases 1-2; an action is proposed at
most once per ``cooldown_minutes`` for its transformer (one write per alert episode, however
the level flaps); a failed run is audited and raises an ``action_failed`` alert of its own.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import Engine, select

from thermowatch.alerts.config import ActionConfig, AlertsConfig, Phase
from thermowatch.alerts.levels import Level
from thermowatch.errors import InputError, NotFoundError
from thermowatch.store.alerts import Alert, get_alert
from thermowatch.store.audit import AuditEntry, record
from thermowatch.store.tables import audit_log

if TYPE_CHECKING:
    import httpx

ACTIONS_LEASE = "actions"  # held while approved actions run
PROPOSED, APPROVED, REJECTED, RUN = (
    "alerts.action.proposed", "alerts.action.approved", "alerts.action.rejected",
    "alerts.action.run",
)  # fmt: skip


@dataclass(frozen=True)
class ProposedAction:
    """An action proposed for an alert; ``status``: proposed, approved, rejected, done, error;
    ``detail``: what the run said (``wrote 2, read back 2``, or the error)."""

    id: int
    alert_id: int
    name: str
    proposed_at: datetime
    status: str
    decided_by: str | None = None
    detail: str | None = None


class ActionHook(Protocol):
    """Something that carries out an action (webhook, OPC UA node write, Modbus coil)."""

    def run(self, action: ActionConfig, alert: Alert) -> str:
        """Carry out ``action`` for ``alert``; return a short detail; raise on failure."""
        ...


class WebhookHook:
    """POST ``{"action", "alert_id", "transformer_id", "kind", "level"}`` (plus the ``json``
    table of the action config) to the action's ``url``."""

    def __init__(self, client: httpx.Client | None = None, timeout_s: float = 10.0) -> None:
        self.client = client
        self.timeout_s = timeout_s

    def run(self, action: ActionConfig, alert: Alert) -> str:
        import httpx

        payload = {"action": action.name, "alert_id": alert.id, "transformer_id":
                   alert.transformer_id, "kind": alert.kind, "level": alert.level,
                   **action.options.get("json", {})}  # fmt: skip
        client = self.client or httpx.Client(timeout=self.timeout_s)
        try:
            r = client.post(action.options["url"], json=payload)
        finally:
            if self.client is None:
                client.close()
        r.raise_for_status()
        return f"HTTP {r.status_code}"


def propose_actions(
    db: Engine, config: AlertsConfig, alert_id: int, kind: str, level: Level, at: datetime
) -> list[int]:
    """Propose the actions configured for ``kind`` at ``level``; returns the proposal ids.

    In phase 4 an action marked ``auto`` is approved at once by ``system``. An action for
    another transformer, or for a later phase, is not proposed; nor is one proposed again
    within its ``cooldown_minutes``.
    """
    if config.phase < Phase.SUPERVISED:
        return []
    ids = []
    transformer: str | None = None
    for action in config.actions:
        if kind not in action.kinds or level < action.level or config.phase < action.phase:
            continue
        if action.transformer is not None:
            transformer = transformer or get_alert(db, alert_id).transformer_id
            if transformer != action.transformer:
                continue
        if action.cooldown_minutes > 0 and _proposed_since(
            db, action.name, at - timedelta(minutes=action.cooldown_minutes)
        ):
            continue
        pid = record(db, AuditEntry(actor="system", action=PROPOSED, outcome="ok",
                                    target=f"alert:{alert_id}", detail=action.name, at=at))  # fmt: skip
        if config.phase >= Phase.AUTONOMOUS and action.auto:
            record(db, AuditEntry(actor="system", role="autonomous", action=APPROVED,
                                  outcome="ok", target=f"proposal:{pid}", at=at))  # fmt: skip
        ids.append(pid)
    return ids


def _proposed_since(db: Engine, name: str, since: datetime) -> bool:
    """Whether ``name`` was proposed at or after ``since`` (whatever became of it)."""
    c = audit_log.c
    q = select(c.id).where(c.action == PROPOSED, c.detail == name, c.at >= since).limit(1)
    with db.connect() as conn:
        return conn.scalar(q) is not None


def default_hooks() -> dict[str, ActionHook]:
    """One hook per ``hook`` type of the config."""
    from thermowatch.alerts.field_writes import ModbusWriteHook, OpcUaWriteHook

    return {"webhook": WebhookHook(), "opcua": OpcUaWriteHook(), "modbus": ModbusWriteHook()}


def list_actions(db: Engine, status: str | None = None) -> list[ProposedAction]:
    """Every proposal with its current status, oldest first (optionally one status only)."""
    c = audit_log.c
    q = select(audit_log).where(c.action.in_([PROPOSED, APPROVED, REJECTED, RUN])).order_by(c.id)
    with db.connect() as conn:
        rows = conn.execute(q).all()
    props: dict[int, ProposedAction] = {}
    for r in rows:
        if r.action == PROPOSED:
            props[r.id] = ProposedAction(r.id, int(r.target.split(":")[1]), r.detail, r.at,
                                         "proposed")  # fmt: skip
            continue
        pid = int(r.target.split(":")[1])
        if pid not in props:
            continue
        p = props[pid]
        if r.action == RUN:
            detail = json.loads(r.detail).get("detail") if r.detail else None
            props[pid] = ProposedAction(p.id, p.alert_id, p.name, p.proposed_at,
                                        "done" if r.outcome == "ok" else "error", p.decided_by,
                                        detail)  # fmt: skip
        else:
            props[pid] = ProposedAction(p.id, p.alert_id, p.name, p.proposed_at,
                                        "approved" if r.action == APPROVED else "rejected",
                                        r.actor)  # fmt: skip
    out = list(props.values())
    return [p for p in out if status is None or p.status == status]


def _decide(db: Engine, proposal_id: int, by: str, approve: bool, source: str | None) -> None:
    current = {p.id: p for p in list_actions(db)}.get(proposal_id)
    if current is None:
        raise NotFoundError(f"proposed action {proposal_id} does not exist")
    if current.status != "proposed":
        raise InputError(f"proposed action {proposal_id} is already {current.status}")
    record(db, AuditEntry(actor=by, action=APPROVED if approve else REJECTED, outcome="ok",
                          source_address=source, target=f"proposal:{proposal_id}"))  # fmt: skip


def approve_action(db: Engine, proposal_id: int, by: str, source: str | None = None) -> None:
    """An operator approves a proposed action (API and CLI); the worker then runs it."""
    _decide(db, proposal_id, by, True, source)


def reject_action(db: Engine, proposal_id: int, by: str, source: str | None = None) -> None:
    """An operator rejects a proposed action; it will not run."""
    _decide(db, proposal_id, by, False, source)


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
            from thermowatch.alerts.engine import AlertEngine

            AlertEngine(db, config).check_action(alert.transformer_id, at, not ok,
                                                 Level[alert.level])  # fmt: skip
        done.append((p.id, ok, detail))
    return done
