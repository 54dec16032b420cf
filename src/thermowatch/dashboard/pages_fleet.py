"""The fleet page: every transformer, worst first, with its level colour, staleness and the
first threshold its latest stored forecast crosses (no forecast computed on a request)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from thermowatch.dashboard.auth import Viewer, viewer
from thermowatch.dashboard.render import LEVEL_ORDER, STALE_AFTER_S, page, thresholds_for
from thermowatch.store.overview import LEVEL_RANK, FleetRow, fleet_overview, forecast_crossings

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class FleetLine:
    """One row of the fleet table: the stored state plus what the page derives from it."""

    row: FleetRow
    level: str  # worst of the measured and predicted levels; UNKNOWN without data
    stale: bool
    age_s: float | None
    model_id: str | None

    @property
    def order(self) -> int:
        if self.stale and self.level == "NORMAL":
            return LEVEL_ORDER["STALE"]
        return LEVEL_ORDER[self.level]


def fleet_lines(rows: list[FleetRow], served: dict, now: datetime) -> list[FleetLine]:
    """Rows with their display level, sorted worst first (critical, alert, stale, normal)."""
    out = []
    for r in rows:
        s = served.get(r.id)
        th = thresholds_for(r, s)
        levels = [lv for lv in (r.predicted_level,) if lv in LEVEL_RANK]
        if r.measured is not None and th is not None:
            levels.append(th.level(r.measured))
        level = max(levels, key=LEVEL_RANK.__getitem__) if levels else "UNKNOWN"
        age = (now - r.last_reading_at).total_seconds() if r.last_reading_at else None
        stale = age is None or age > STALE_AFTER_S
        out.append(FleetLine(r, level, stale, age, s.model_id if s else None))
    out.sort(key=lambda x: (x.order, -x.row.open_alerts, x.row.id))
    return out


@router.get("/")
async def fleet(request: Request, who: Annotated[Viewer, Depends(viewer)]) -> Response:
    engine = request.app.state.engine
    rows, crossings = await asyncio.to_thread(
        lambda: (fleet_overview(engine), forecast_crossings(engine))
    )
    models = getattr(request.app.state, "models", None)
    served = models.all() if models else {}
    lines = fleet_lines(rows, served, datetime.now(UTC))
    counts = {
        "red": sum(x.level == "CRITIQUE" for x in lines),
        "orange": sum(x.level == "ALERTE" for x in lines),
        "stale": sum(x.stale for x in lines),
    }
    return page(request, "fleet.html", who, nav="fleet", lines=lines, counts=counts,
                crossings=crossings)  # fmt: skip
