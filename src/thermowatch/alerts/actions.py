"""Actions at a level: proposed (phase 3), approved by an operator, run by a hook (phase 4).

The audit log is the record: every proposal, approval, rejection and run is an audit entry,
so "every action audited" holds by construction. A proposal's id is its audit entry id.

Hooks: :class:`ActionHook` is the interface; :class:`WebhookHook` posts a JSON object, and
:mod:`thermowatch.alerts.field_writes` writes an OPC UA node or a Modbus register (bounded
value, read back); :mod:`thermowatch.alerts.action_runner` runs the approved ones. Safety: nothing is proposed or run in phases 1-2; an action is proposed at
most once per ``cooldown_minutes`` for its transformer (one write per alert episode, however
the level flaps); a failed run is audited and raises an ``action_failed`` alert of its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
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
