"""Forecast threshold crossings of the whole fleet, for the fleet page's column.

Each transformer's crossing comes from the same 24-hour forecast as its own page
(:func:`thermowatch.dashboard.panels.thermal_panels`); doing that for 1,000 transformers in a
request would take seconds, so a worker thread refreshes them all at most every
:data:`REFRESH_S` seconds, started by the fleet page itself (no page viewed, no work). The
refresh is paced (a pause after each transformer, the pass spread over up to half the refresh
period) so that it never holds the interpreter long enough to slow the pages being served.
The page shows the values computed so far and when the last full pass ended.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime

import pandas as pd

from thermowatch.dashboard.panels import thermal_panels
from thermowatch.dashboard.render import thresholds_for
from thermowatch.store.transformers import list_transformers

log = logging.getLogger("thermowatch.dashboard.fleet_forecast")
REFRESH_S = 300.0
MAX_PAUSE_S = 0.25  # pacing per transformer at most [s]: a small fleet is done in seconds


class FleetCrossings:
    """The first forecast crossing of each transformer: ``{id: (level, at, already) | None}``,
    ``already`` when the forecast starts above that level (it is crossed now)."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.values: dict[str, tuple[str, pd.Timestamp, bool] | None] = {}
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

    def compute(self, served: dict, pace: bool = True) -> int:
        """Recompute every crossing; returns the number of transformers forecast.

        ``pace``: pause after each transformer so that the pass takes about
        ``min(0.25 s × n, REFRESH_S / 2)``; values appear one by one as they are computed.
        """
        now = datetime.now(UTC)
        values = self.values if pace else {}
        fleet = list_transformers(self.engine)
        budget = min(MAX_PAUSE_S, REFRESH_S / 2 / max(1, len(fleet))) if pace else 0.0
        done = 0
        for tr in fleet:
            started = time.monotonic()
            th = thresholds_for(tr, served.get(tr.id))
            if th is None:
                continue
            try:
                p = thermal_panels(self.engine, tr, th, now, with_capability=False)
            except Exception:  # one odd transformer must not blank the whole column
                log.exception("forecast of %s failed", tr.id)
                continue
            if p.problem is None:
                c = p.crossing
                values[tr.id] = None if c is None else (*c, bool(c[1] == p.forecast.index[0]))
                done += 1
            if budget:
                time.sleep(max(0.0, budget - (time.monotonic() - started)))
        self.values, self.computed_at = values, now
        return done


def crossings_of(app) -> FleetCrossings:
    crossings = getattr(app.state, "dashboard_crossings", None)
    if crossings is None:
        crossings = app.state.dashboard_crossings = FleetCrossings(app.state.engine)
    return crossings
