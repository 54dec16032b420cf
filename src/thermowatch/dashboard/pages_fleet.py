"""The fleet page: every transformer, worst first, with its stored level, staleness and the
earliest future forecast crossing its state holds (nothing levelled on a request)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from thermowatch.dashboard.auth import Viewer, viewer
from thermowatch.dashboard.render import STALE_AFTER_S, page
from thermowatch.learn.levels import RAISED, Level, display_order
from thermowatch.store.overview import FleetRow, ForecastCrossing, fleet_overview

router = APIRouter(include_in_schema=False)
#: The level filter's choices, worst first (STALE: a NORMAL transformer whose data is old).
FILTER_LEVELS = (*reversed(RAISED), "STALE", "NORMAL", "UNKNOWN")


@dataclass(frozen=True)
class FleetLine:
    """One row of the fleet table: the stored state plus its staleness now."""

    row: FleetRow
    level: str  # the stored worse of the measured and predicted levels; UNKNOWN without data
    stale: bool
    age_s: float | None
    model_id: str | None

    @property
    def order(self) -> int:
        return display_order(self.level, self.stale)


def fleet_lines(rows: list[FleetRow], served: dict, now: datetime) -> list[FleetLine]:
    """Rows with their stored level, sorted worst first (critical, alert, stale, normal)."""
    out = []
    for r in rows:
        s = served.get(r.id)
        age = (now - r.last_reading_at).total_seconds() if r.last_reading_at else None
        stale = age is None or age > STALE_AFTER_S
        out.append(FleetLine(r, r.level, stale, age, s.model_id if s else None))
    out.sort(key=lambda x: (x.order, -x.row.open_alerts, x.row.id))
    return out


def stored_crossings(rows: list[FleetRow]) -> dict[str, ForecastCrossing]:
    """The earliest future forecast crossing of each transformer, as its state stored it."""
    return {
        r.id: ForecastCrossing(r.crossing_level, r.crossing_at, r.last_reading_at)
        for r in rows
        if r.crossing_level is not None and r.crossing_at is not None
    }


@router.get("/")
async def fleet(request: Request, who: Annotated[Viewer, Depends(viewer)]) -> Response:
    engine = request.app.state.engine
    rows = await asyncio.to_thread(fleet_overview, engine)
    crossings = stored_crossings(rows)
    models = getattr(request.app.state, "models", None)
    served = models.all() if models else {}
    lines = fleet_lines(rows, served, datetime.now(UTC))
    counts = {
        "red": sum(x.level == Level.CRITIQUE.name for x in lines),
        "orange": sum(x.level == Level.ALERTE.name for x in lines),
        "stale": sum(x.stale for x in lines),
    }
    return page(request, "fleet.html", who, nav="fleet", lines=lines, counts=counts,
                crossings=crossings, filter_levels=FILTER_LEVELS)  # fmt: skip
