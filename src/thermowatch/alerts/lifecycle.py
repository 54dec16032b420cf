"""Alert lifecycle for people: list, acknowledge (audited). Raising and resolving is the
engine's job; escalation is :mod:`thermowatch.alerts.escalation`'s.

These are the functions the API routes and the CLI call.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select

from thermowatch.errors import InputError
from thermowatch.store.alerts import Alert, acknowledge_alert, get_alert
from thermowatch.store.audit import AuditEntry, record
from thermowatch.store.tables import alerts


def list_alerts(
    db: Engine, *, include_resolved: bool = False, transformer_id: str | None = None,
    limit: int = 200,
) -> list[Alert]:  # fmt: skip
    """Alerts, newest first: open ones only unless ``include_resolved``."""
    c = alerts.c
    q = select(alerts).order_by(c.raised_at.desc(), c.id.desc()).limit(limit)
    if not include_resolved:
        q = q.where(c.resolved_at.is_(None))
    if transformer_id is not None:
        q = q.where(c.transformer_id == transformer_id)
    with db.connect() as conn:
        return [Alert(**r._asdict()) for r in conn.execute(q)]


def acknowledge(
    db: Engine, alert_id: int, by: str, *, source: str = "cli", role: str | None = None,
    at: datetime | None = None,
) -> Alert:  # fmt: skip
    """``by`` acknowledges an alert (stops its escalation); audited; returns the alert.

    Acknowledging twice keeps the first acknowledgement (and audits the second as
    ``already``). Raises ``NotFoundError`` for an unknown id, ``InputError`` for no name.
    """
    if not by.strip():
        raise InputError("acknowledging an alert needs the name of who acknowledges (--by)")
    before = get_alert(db, alert_id)
    acknowledge_alert(db, alert_id, by.strip(), at)
    outcome = "ok" if before.acknowledged_at is None else "already"
    record(db, AuditEntry(actor=by.strip(), role=role, source_address=source,
                          action="alerts.acknowledge", target=f"alert:{alert_id}",
                          outcome=outcome, at=at))  # fmt: skip
    return get_alert(db, alert_id)
