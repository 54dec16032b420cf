"""The one alert hook of the live pipeline, for the service and the monitor alike.

:func:`alert_hook` builds it from the store and the ``[alerts]`` settings; the pipeline calls
it with every :class:`~thermowatch.live.PredictionEvent` (measured, predicted, anomaly and
forecast-crossing rules), and the monitor calls :meth:`AlertHook.source_down` for the stale
data rule when a source stays silent.
"""

from __future__ import annotations

import os
import threading
from datetime import datetime
from typing import Any

from thermowatch.alerts.config import AlertsConfig, load_config
from thermowatch.alerts.engine import AlertEngine, AlertEvent


class AlertHook:
    """Callable ``hook(event) -> [AlertEvent]`` around one :class:`AlertEngine`."""

    def __init__(self, engine: Any, config: AlertsConfig, actor: str = "system") -> None:
        self.alerts = AlertEngine(engine, config, actor=actor)
        # One evaluation at a time in this process (the monitor's period groups run side by
        # side); between processes the store's lock orders them.
        self._lock = threading.Lock()

    def __call__(self, event: Any) -> list[AlertEvent]:
        with self._lock:
            return self.alerts.evaluate_event(event)

    def many(self, events: list[Any]) -> list[AlertEvent]:
        """A batch of events (a monitor cycle, a pushed array) in one transaction."""
        with self._lock:
            return self.alerts.evaluate_events(events)

    def deliverer(self, db: Any) -> Any:
        """The :class:`~thermowatch.alerts.deliverer.Deliverer` of the process this hook
        alerts from (whoever starts the hook sends its outbox: the monitor, the service);
        ``None`` with neither channels nor actions (phase 1 defaults, e.g. a service started
        without ``[alerts]``): holding the delivery lease, such a process would fail every
        message another process configured a channel for."""
        from thermowatch.alerts.deliverer import Deliverer

        config = self.alerts.config
        return Deliverer(db, config) if config.channels or config.actions else None

    def source_down(
        self, transformer_id: str, last_reading_at: datetime | None, now: datetime
    ) -> list[AlertEvent]:
        """The stale-data / source-down rule (raised once the silence lasts ``stale.after``)."""
        with self._lock:
            return self.alerts.check_stale(transformer_id, last_reading_at, now)


def alert_hook(
    engine: Any,
    alerts: AlertsConfig | str | os.PathLike[str] | None = None,
    actor: str = "system",
) -> AlertHook:
    """The alert hook on ``engine`` with the ``[alerts]`` settings (a parsed config, a TOML
    path, or ``None`` for ``$THERMOWATCH_ALERTS_CONFIG`` / phase 1 defaults)."""
    config = alerts if isinstance(alerts, AlertsConfig) else load_config(alerts)
    return AlertHook(engine, config, actor)
