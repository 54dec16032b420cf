"""The delivery worker: send what the outbox holds, retry with exponential backoff.

:func:`deliver_due` is one pass; the monitor/service calls it periodically (and
``thermowatch alerts deliver`` runs it once or in a loop). Guarantees:

* **nothing lost**: a notification stays ``pending`` until a channel accepted it, or until
  ``max_attempts`` failures (then ``failed``, visible in ``alerts list``); every attempt is a
  row of ``delivery_attempts``;
* **not sent twice**: a worker claims a row (compare-and-set of ``next_attempt_at`` to now +
  a lease) before sending and records the outcome right after, so two workers never send
  the same row. Only a crash between "accepted by the server" and "recorded" can repeat a
  message after the lease; e-mails carry a stable Message-ID so a receiver can drop it;
* **a channel down never blocks ingestion**: evaluation only writes rows; this runs apart;
* **rate limit per contact** and **quiet hours** postpone non-critical messages (no attempt
  recorded, nothing dropped); CRITIQUE messages are never held back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select

from thermowatch.alerts.channels import Channel, DeliveryError, OutgoingMessage
from thermowatch.alerts.config import AlertsConfig, Contact, Delivery
from thermowatch.learn.levels import RAISED, Level
from thermowatch.store.alerts import (
    SENT,
    Notification,
    claim_notification,
    due_notifications,
    postpone_notification,
    record_attempt,
)
from thermowatch.store.tables import alerts, delivery_attempts, notifications

#: How long a claimed row is reserved for the worker sending it.
LEASE = timedelta(minutes=2)


@dataclass
class DeliveryReport:
    """What one pass did (notification ids)."""

    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    deferred: list[int] = field(default_factory=list)


def backoff(failures: int, policy: Delivery) -> timedelta:
    """Wait before the next attempt after ``failures`` failed ones: initial·2^(n-1), capped."""
    return min(policy.initial * (2 ** max(0, failures - 1)), policy.maximum)


def quiet_until(contact: Contact, now: datetime, tz: str = "UTC") -> datetime | None:
    """End of the contact's quiet hours when ``now`` falls inside them, else ``None``."""
    if contact.quiet_hours is None:
        return None
    start, end = contact.quiet_hours
    local = now.astimezone(ZoneInfo(tz))
    t = local.time()
    inside = start <= t < end if start <= end else (t >= start or t < end)
    if not inside:
        return None
    end_dt = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if end_dt <= local:
        end_dt += timedelta(days=1)
    return end_dt.astimezone(UTC)


def _rate_limited_until(db: Engine, contact: Contact, now: datetime) -> datetime | None:
    """When the contact's hourly budget frees up, if it is spent."""
    c = notifications.c
    sent = select(c.sent_at).where(
        c.status == SENT,
        c.sent_at > now - timedelta(hours=1),
        c.recipient.in_(list(contact.to.values())),
    )
    with db.connect() as conn:
        times = sorted(conn.scalars(sent))
    if len(times) < contact.max_per_hour:
        return None
    return times[len(times) - contact.max_per_hour] + timedelta(hours=1)


def _postpone(db: Engine, n: Notification, until: datetime) -> None:
    postpone_notification(db, n.id, until)


def _claim(db: Engine, n: Notification, now: datetime) -> bool:
    return claim_notification(db, n.id, n.next_attempt_at, now + LEASE)


def _levels(
    db: Engine, batch: list[Notification], now: datetime
) -> tuple[dict[int, str], dict[int, datetime]]:
    """Level of each batch row's alert (a resolved alert counts as NORMAL: no longer urgent,
    its messages respect quiet hours and rate limits), and until when the shelved ones are."""
    ids = {n.alert_id for n in batch if n.alert_id is not None}
    if not ids:
        return {}, {}
    c = alerts.c
    q = select(c.id, c.level, c.resolved_at, c.shelved_until).where(c.id.in_(ids))
    with db.connect() as conn:
        rows = conn.execute(q).all()
    levels = {r.id: Level.NORMAL.name if r.resolved_at else r.level for r in rows}
    shelved = {r.id: r.shelved_until for r in rows
               if r.resolved_at is None and r.shelved_until is not None and r.shelved_until > now}  # fmt: skip
    return levels, shelved


def _failures(db: Engine, notification_id: int) -> int:
    c = delivery_attempts.c
    with db.connect() as conn:
        return int(conn.scalar(select(func.count()).where(c.notification_id == notification_id,
                                                          c.ok == 0)) or 0)  # fmt: skip


def deliver_due(
    db: Engine, channels: dict[str, Channel], now: datetime | None = None,
    config: AlertsConfig | None = None,
) -> DeliveryReport:  # fmt: skip
    """Send every due notification once; returns what happened.

    Parameters
    ----------
    db : the store's engine.
    channels : channel objects by name (:func:`thermowatch.alerts.channels.build_channels`).
    now : the current time (aware UTC); default the wall clock.
    config : for the retry policy, contacts' rate limits and quiet hours (default: none).
    """
    now = now or datetime.now(UTC)
    config = config or AlertsConfig()
    report = DeliveryReport()
    batch = due_notifications(db, now, limit=config.delivery.batch)
    levels, shelved = _levels(db, batch, now)
    for n in batch:
        level = levels.get(n.alert_id, RAISED[0]) if n.alert_id is not None else RAISED[0]
        if n.alert_id in shelved:  # a shelved alarm notifies nobody until it comes back
            _postpone(db, n, shelved[n.alert_id])
            report.deferred.append(n.id)
            continue
        contact = config.contact_for(n.channel, n.recipient)
        if contact is not None and level != Level.CRITIQUE.name:
            until = quiet_until(contact, now, config.timezone) or _rate_limited_until(
                db, contact, now
            )
            if until is not None:
                _postpone(db, n, until)
                report.deferred.append(n.id)
                continue
        if not _claim(db, n, now):
            continue  # another worker has it
        channel = channels.get(n.channel)
        try:
            if channel is None:
                raise DeliveryError(f"channel {n.channel!r} is not configured")
            detail = channel.send(
                OutgoingMessage(n.recipient, n.subject or "", n.body, level, n.id)
            )
        except Exception as exc:  # any failure is recorded and retried, never raised
            failures = _failures(db, n.id) + 1
            retry = None
            if failures < config.delivery.max_attempts:
                retry = now + backoff(failures, config.delivery)
            record_attempt(db, n.id, False, str(exc)[:1000], retry_at=retry, at=now)
            (report.retrying if retry else report.failed).append(n.id)
            continue
        record_attempt(db, n.id, True, detail, at=now)
        report.sent.append(n.id)
    return report
