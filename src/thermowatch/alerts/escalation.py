"""Escalation: a CRITIQUE alert still unacknowledged after N minutes goes to the next list.

Step k (k >= 1) is due ``k × escalation.after_minutes`` after the alert was raised and goes
to ``escalation.steps[k]``. Each step is written to the audit log when its messages are put
in the outbox (same information, checked before escalating), so a restart never escalates
the same step twice. Nothing is escalated in phase 1 (nothing is sent at all).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select

from thermowatch.alerts.config import AlertsConfig, Phase
from thermowatch.alerts.engine import AlertEvent, enqueue_for_step
from thermowatch.alerts.messages import AlertFacts
from thermowatch.store.alerts import open_alerts
from thermowatch.store.audit import AuditEntry, record_in
from thermowatch.store.engine import write_transaction
from thermowatch.store.tables import audit_log

ESCALATED = "alerts.escalated"


def _done_steps(db: Engine, alert_id: int) -> set[int]:
    c = audit_log.c
    q = select(c.detail).where(c.action == ESCALATED, c.target == f"alert:{alert_id}")
    with db.connect() as conn:
        return {int(d.removeprefix("step ")) for d in conn.scalars(q)}


def escalate_due(db: Engine, config: AlertsConfig, now: datetime) -> list[AlertEvent]:
    """Escalate every unacknowledged CRITIQUE alert whose next step is due; returns events."""
    if config.phase < Phase.PREVENTIVE or len(config.escalation) < 2:
        return []
    after = config.escalation_after
    events = []
    for a in open_alerts(db):
        if a.level != "CRITIQUE" or a.acknowledged_at is not None or after.total_seconds() <= 0:
            continue
        due = min(int((now - a.raised_at) / after), len(config.escalation) - 1)
        done = _done_steps(db, a.id)
        for step in range(1, due + 1):
            if step in done:
                continue
            minutes = int((now - a.raised_at).total_seconds() // 60)
            facts = AlertFacts(a.id, a.transformer_id, a.kind, a.level, float("nan"), None, now)
            with write_transaction(db) as conn:
                n = enqueue_for_step(conn, config, a.id, facts, "escalated", step, now,
                                     minutes=minutes, original=a.message)  # fmt: skip
                entry = AuditEntry(actor="system", action=ESCALATED, outcome="ok",
                                   target=f"alert:{a.id}", detail=f"step {step}", at=now)  # fmt: skip
                record_in(conn, entry)
            events.append(AlertEvent("escalated", a.transformer_id, a.kind, a.level, a.level,
                                     a.id, now, float("nan"), None, n))  # fmt: skip
    return events
