"""Alert lifecycle for people: list, acknowledge, shelve (audited). Raising and resolving is the
engine's job; escalation is :mod:`thermowatch.alerts.escalation`'s.

Alarm states follow ISA-18.2 / IEC 62682 (:func:`thermowatch.store.state.alarm_state`):
unacknowledged, acknowledged (stays listed while active), returned to normal (resolved before
anyone acknowledged it: listed until acknowledged), shelved (hidden from notification until its
expiry, which is mandatory and at most :data:`MAX_SHELVE`).

These are the functions the API routes and the CLI call.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select

from thermowatch.errors import InputError
from thermowatch.store.alerts import Alert, acknowledge_alert, alert_of, get_alert, shelve_alert
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
        return [alert_of(r) for r in conn.execute(q)]


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


#: The longest an alarm may be shelved (a shelved alarm must come back by itself).
MAX_SHELVE = timedelta(hours=24)


def shelve(
    db: Engine, alert_id: int, by: str, minutes: float, reason: str, *, source: str = "cli",
    role: str | None = None, at: datetime | None = None,
) -> Alert:  # fmt: skip
    """``by`` shelves an alarm for ``minutes`` (expiry mandatory, ≤ 24 h) with a ``reason``;
    audited. ``InputError`` for a missing name or reason or a bad duration."""
    at = at or datetime.now(UTC)
    if not by.strip() or not reason.strip():
        raise InputError("shelving an alarm needs who shelves it (--by) and a reason (--reason)")
    if not 0 < minutes <= MAX_SHELVE / timedelta(minutes=1):
        raise InputError(f"shelve duration must be between 0 and {MAX_SHELVE} (minutes), got "
                         f"{minutes}")  # fmt: skip
    get_alert(db, alert_id)
    until = at + timedelta(minutes=minutes)
    shelve_alert(db, alert_id, by.strip(), until, reason.strip())
    record(db, AuditEntry(actor=by.strip(), role=role, source_address=source,
                          action="alerts.shelve", target=f"alert:{alert_id}", outcome="ok",
                          detail=f"until {until.isoformat()}: {reason.strip()}", at=at))  # fmt: skip
    return get_alert(db, alert_id)


def unshelve(
    db: Engine, alert_id: int, by: str, *, source: str = "cli", role: str | None = None,
    at: datetime | None = None,
) -> Alert:  # fmt: skip
    """``by`` brings a shelved alarm back before its expiry; audited."""
    if not by.strip():
        raise InputError("unshelving an alarm needs the name of who does it (--by)")
    get_alert(db, alert_id)
    shelve_alert(db, alert_id, by.strip(), None)
    record(db, AuditEntry(actor=by.strip(), role=role, source_address=source,
                          action="alerts.unshelve", target=f"alert:{alert_id}", outcome="ok",
                          at=at))  # fmt: skip
    return get_alert(db, alert_id)
