"""Deployment phases: the audited record of which phase the alerting runs in.

The phase comes from the config (``alerts.phase``); every change is written to the audit log
the first time an :class:`~thermowatch.alerts.engine.AlertEngine` starts with the new value.
"""

from __future__ import annotations

from sqlalchemy import Engine, select

from thermowatch.alerts.config import Phase
from thermowatch.store.audit import AuditEntry, record
from thermowatch.store.tables import audit_log

PHASE_ACTION = "alerts.phase"


def recorded_phase(db: Engine) -> Phase | None:
    """The phase last recorded in the audit log, ``None`` when never recorded."""
    c = audit_log.c
    q = select(c.target).where(c.action == PHASE_ACTION).order_by(c.at.desc(), c.id.desc())
    with db.connect() as conn:
        target = conn.scalar(q.limit(1))
    return Phase(int(target.removeprefix("phase:"))) if target else None


def audit_phase(db: Engine, phase: Phase, actor: str = "system") -> bool:
    """Record ``phase`` in the audit log when it differs from the last one; ``True`` if so."""
    before = recorded_phase(db)
    if before == phase:
        return False
    detail = f"{before.name if before else 'none'} -> {phase.name}"
    record(db, AuditEntry(actor=actor, action=PHASE_ACTION, outcome="ok",
                          target=f"phase:{int(phase)}", detail=detail))  # fmt: skip
    return True
