"""Delivery where alarms are raised: ``serve`` and ``monitor`` send the outbox themselves.

:func:`delivery_pass` is one pass (escalate what is due, send due notifications, run approved
actions): ``thermowatch alerts deliver`` runs it once or in a loop, for sites that want a
separate deliverer. :func:`deliver_in_background` runs it every few seconds inside the service
and the monitor under the store lease :data:`DELIVERY_LEASE`, so of N processes one sends at a
time (the outbox's claim, a compare-and-set per row, would already keep a message from going
out twice; the lease keeps N processes from polling for nothing).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from thermowatch.alerts.config import AlertsConfig
from thermowatch.alerts.outbox import DeliveryReport, deliver_due

log = logging.getLogger("thermowatch.alerts.deliverer")
#: The store lease the in-process deliverers share.
DELIVERY_LEASE = "alerts-delivery"
#: Seconds between two passes of the in-process deliverer.
DELIVERY_INTERVAL_S = 2.0


def delivery_pass(
    db: Engine, channels: dict[str, Any], config: AlertsConfig, now: datetime | None = None
) -> tuple[list, DeliveryReport, list]:
    """Escalate due alerts, send due notifications, run approved actions, at ``now``.

    Returns ``(escalated, delivery report, actions run)``.
    """
    from thermowatch.alerts.actions import run_approved
    from thermowatch.alerts.escalation import escalate_due

    now = now or datetime.now(UTC)
    escalated = escalate_due(db, config, now)
    report = deliver_due(db, channels, now, config)
    actions = run_approved(db, config, now=now)
    return escalated, report, actions


def _lease(db: Engine) -> Any:
    """The delivery lease, ``None`` for an in-memory SQLite store (one process by nature)."""
    from thermowatch.store.leases import LeaderLease

    if db.dialect.name == "sqlite" and db.url.database in (None, "", ":memory:"):
        return None
    return LeaderLease(db, DELIVERY_LEASE, log_level=logging.DEBUG)


async def deliver_in_background(
    db: Engine,
    config: AlertsConfig,
    stop: asyncio.Event | None = None,
    interval_s: float = DELIVERY_INTERVAL_S,
) -> None:
    """Run :func:`delivery_pass` every ``interval_s`` while this process holds the delivery
    lease, until ``stop`` is set or the task is cancelled. A failing pass is logged and the
    next one tries again: delivery never stops ingestion."""
    from thermowatch.alerts.channels import build_channels

    channels = build_channels(config)
    lease = _lease(db)
    stop = stop or asyncio.Event()
    try:
        while not stop.is_set():
            try:
                held = lease is None or await asyncio.to_thread(
                    lease.still_held if lease.held else lease.try_acquire
                )
                if held:
                    await asyncio.to_thread(delivery_pass, db, channels, config)
            except Exception:
                log.exception("delivery pass failed; retrying in %.0f s", interval_s)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval_s)
    finally:
        if lease is not None:
            lease.release()
