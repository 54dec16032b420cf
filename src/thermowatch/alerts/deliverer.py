"""Delivery where alarms are raised: ``serve`` and ``monitor`` send the outbox themselves.

:func:`delivery_pass` is one pass (escalate what is due, send due notifications, run approved
actions): ``thermowatch alerts deliver`` runs it once or in a loop, for sites that want a
separate deliverer. :class:`Deliverer` runs it every few seconds inside the service and the
monitor (a thread of its own) under the store lease :data:`DELIVERY_LEASE`, so of N processes one sends at a
time (the outbox's claim, a compare-and-set per row, would already keep a message from going
out twice; the lease keeps N processes from polling for nothing).
"""

from __future__ import annotations

import logging
import threading
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


class Deliverer:
    """:func:`delivery_pass` every ``interval_s`` in a thread of its own, while this process
    holds the delivery lease (a thread, not a task: a monitor cycle busy with a large fleet
    must not hold the e-mails back). A failing pass is logged and the next one tries again:
    delivery never stops ingestion."""

    def __init__(self, db: Engine, config: AlertsConfig,
                 interval_s: float = DELIVERY_INTERVAL_S) -> None:  # fmt: skip
        self.db, self.config, self.interval_s = db, config, interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Deliverer:
        self._thread = threading.Thread(target=self._run, name="alerts-delivery", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        from thermowatch.alerts.channels import build_channels

        channels = build_channels(self.config)
        lease = _lease(self.db)
        try:
            while not self._stop.is_set():
                try:
                    held = lease is None or (lease.still_held() if lease.held
                                             else lease.try_acquire())  # fmt: skip
                    if held:
                        delivery_pass(self.db, channels, self.config)
                except Exception:
                    log.exception("delivery pass failed; retrying in %.0f s", self.interval_s)
                self._stop.wait(self.interval_s)
        finally:
            if lease is not None:
                lease.release()


def deliverer_of(db: Engine, hook: Any) -> Deliverer | None:
    """The deliverer of a process whose alert hook is the alert engine's and that has something
    to deliver with (``None`` otherwise). A process with neither channels nor actions (phase 1
    defaults, e.g. a service started without ``[alerts]``) must not take the delivery lease:
    holding it, it would fail every message another process configured a channel for."""
    config = getattr(getattr(hook, "alerts", None), "config", None)
    if config is None or not (config.channels or config.actions):
        return None
    return Deliverer(db, config)
