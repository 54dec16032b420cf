"""Forecast threshold crossings of the whole fleet, for the fleet page's column.

Each transformer's crossing comes from the same 24-hour forecast as its own page
(:func:`thermowatch.dashboard.panels.thermal_panels`); doing that for 1,000 transformers in a
request would take seconds, so a worker thread refreshes them all at most every
:data:`REFRESH_S` seconds, started by the fleet page itself (no page viewed, no work). The
page shows the last computed values and when they were computed.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import pandas as pd

from thermowatch.dashboard.panels import thermal_panels
from thermowatch.dashboard.render import thresholds_for
from thermowatch.store.transformers import list_transformers

log = logging.getLogger("thermowatch.dashboard.fleet_forecast")
REFRESH_S = 300.0


class FleetCrossings:
    """The first forecast crossing of each transformer: ``{id: (level, at) | None}``."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.values: dict[str, tuple[str, pd.Timestamp] | None] = {}
        self.computed_at: datetime | None = None
        self._task: asyncio.Task | None = None

    def refresh_if_due(self, served: dict) -> None:
        """Start a refresh in a worker thread unless one runs or the last is recent."""
        if self._task is not None and not self._task.done():
            return
        now = datetime.now(UTC)
        if self.computed_at is not None and (now - self.computed_at).total_seconds() < REFRESH_S:
            return
        self._task = asyncio.get_running_loop().create_task(
            asyncio.to_thread(self.compute, served), name="fleet-crossings"
        )

    def compute(self, served: dict) -> int:
        """Recompute every crossing now; returns the number of transformers forecast."""
        now = datetime.now(UTC)
        values: dict[str, tuple[str, pd.Timestamp] | None] = {}
        for tr in list_transformers(self.engine):
            th = thresholds_for(tr, served.get(tr.id))
            if th is None:
                continue
            try:
                p = thermal_panels(self.engine, tr, th, now, with_capability=False)
            except Exception:  # one odd transformer must not blank the whole column
                log.exception("forecast of %s failed", tr.id)
                continue
            if p.problem is None:
                values[tr.id] = p.crossing
        self.values, self.computed_at = values, now
        return len(values)


def crossings_of(app) -> FleetCrossings:
    crossings = getattr(app.state, "dashboard_crossings", None)
    if crossings is None:
        crossings = app.state.dashboard_crossings = FleetCrossings(app.state.engine)
    return crossings
