"""One transformer: chart, forecast, hot spot and ageing, overload capability, what-if, quality.

JSON twins of the panels (``/transformers/{id}/series`` for the chart, ``/panels.json`` for
the numbers) serve the page's script and let a client or a test read exactly what is shown.
"""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime
from typing import Annotated

import numpy as np
from fastapi import APIRouter, Depends, Request
from starlette.responses import JSONResponse, Response

from thermowatch.dashboard import panels as pn
from thermowatch.dashboard import physics
from thermowatch.dashboard.auth import PageError, Viewer, viewer
from thermowatch.dashboard.render import STALE_AFTER_S, age_text, page
from thermowatch.errors import InputError, NotFoundError
from thermowatch.report.i18n import number, t
from thermowatch.store.alerts import open_alerts
from thermowatch.store.state import read_state
from thermowatch.store.transformers import get_transformer
from thermowatch.thermal.limits import NORMAL_CYCLIC

router = APIRouter(include_in_schema=False)


def _context(request: Request, transformer_id: str):
    engine = request.app.state.engine
    try:
        tr = get_transformer(engine, transformer_id)
    except NotFoundError:
        raise PageError(404, "ui.not_found", what=transformer_id) from None
    models = getattr(request.app.state, "models", None)
    served = models.get(transformer_id) if models else None
    state = read_state(engine, transformer_id)  # thresholds, level, crossing: as stored
    return engine, tr, served, state


def _panels(engine, tr, served, state, now=None, **options):
    """The panels in a worker thread, with the served model's learned forecast when it has
    one (one transformer: its ~50 ms are the page's; the fleet page reads stored forecasts)."""
    predictor = served.predictor if served is not None else None
    th = state.as_thresholds() if state is not None else None
    return asyncio.to_thread(pn.thermal_panels, engine, tr, th, now, predictor=predictor, **options)


def _window(name: str) -> str:
    try:
        pn.window_of(name)
    except InputError as exc:
        raise PageError(400, "ui.bad_input", why=str(exc)) from None
    return name


def crossing_json(state) -> dict | None:
    """The earliest future forecast crossing the transformer's state holds."""
    if state is None or state.crossing_level is None or state.crossing_at is None:
        return None
    return {"level": state.crossing_level, "at": state.crossing_at.isoformat()}


def panels_json(p: pn.ThermalPanels, state=None) -> dict:
    """The numbers of the panels as JSON (temperatures [°C], loads [pu], times ISO-8601 UTC);
    the level, thresholds and crossing are the stored state's."""

    def f(v):
        return None if v is None or not math.isfinite(v) else round(float(v), 3)

    out: dict = {"source": "physics", "problem": p.problem, "rmse_k": f(p.rmse_k),
                 "rmse_points": p.rmse_n, "crossing": crossing_json(state),
                 "level": state.level if state else None,
                 "thresholds": state.thresholds if state else None}  # fmt: skip
    if p.problem is None:
        out |= {
            "at": p.at.isoformat(), "load_pu": f(p.load_pu), "ambient_c": f(p.ambient_c),
            "top_oil_c": f(p.top_oil_c), "hot_spot_c": f(p.hot_spot_c),
            "capability": [{"minutes": m, "max_load_pu": f(v)} for m, v in p.capability or []],
            "forecast": {
                "timestamp": [ts.isoformat() for ts in p.forecast.index],
                "value": [f(v) for v in p.forecast.value],
                "lower": [f(v) for v in p.forecast.lower],
                "upper": [f(v) for v in p.forecast.upper],
                "source": p.forecast.source,
            },
        }  # fmt: skip
    return out


@router.get("/transformers/{transformer_id}")
async def transformer_page(
    request: Request,
    transformer_id: str,
    who: Annotated[Viewer, Depends(viewer)],
    window: str = "24h",
) -> Response:
    window = _window(window)
    engine, tr, served, state = _context(request, transformer_id)
    now = datetime.now(UTC)
    p, facts, alerts, life = await asyncio.gather(
        _panels(engine, tr, served, state, now),
        asyncio.to_thread(pn.window_facts, engine, tr, pn.window_of(window), now),
        asyncio.to_thread(open_alerts, engine, tr.id),
        asyncio.to_thread(pn.life_so_far, engine, tr, now),
    )
    th = state.as_thresholds() if state is not None else None
    measured = state.measured_c if state is not None else None
    last = facts.last_reading_at
    stale = last is None or (now - last).total_seconds() > STALE_AFTER_S
    labels = {k: t(f"ui.tr.{v}", who.lang) for k, v in (
        ("measured", "measured"), ("predicted", "predicted"), ("lower", "interval_low"),
        ("upper", "interval_high"), ("forecast", "forecast"), ("alert", "threshold_alert"),
        ("critical", "threshold_critical"))}  # fmt: skip
    return page(
        request, "transformer.html", who, nav="fleet", tr=tr, served=served, th=th, p=p,
        facts=facts, alerts=alerts, window=window, windows=list(pn.WINDOWS), stale=stale,
        last_age=age_text(last, who.lang, now), labels=labels, limit=NORMAL_CYCLIC,
        measured=measured, life=life, st=state, crossing=crossing_json(state),
        problem_text=t("ui.tr.no_spec", who.lang) if p.problem == pn.NO_SPEC else p.problem,
    )  # fmt: skip


@router.get("/transformers/{transformer_id}/series")
async def series(
    request: Request,
    transformer_id: str,
    who: Annotated[Viewer, Depends(viewer)],
    window: str = "24h",
) -> JSONResponse:
    """The chart's series for a window, downsampled keeping peaks (times in epoch [s])."""
    window = _window(window)
    engine, tr, served, state = _context(request, transformer_id)
    th = state.as_thresholds() if state is not None else None
    now = datetime.now(UTC)
    forecast = None
    if window in ("6h", "24h"):  # the forecast's 24 h would crush a longer window's detail
        p = await _panels(engine, tr, served, state, now)
        forecast = p.forecast
    data = await asyncio.to_thread(
        pn.chart_series, engine, tr, pn.window_of(window), th, forecast, now
    )
    data["points_text"] = t(
        "ui.tr.points", who.lang, shown=data["shown_points"], raw=data["raw_points"]
    )
    data["empty_text"] = t("ui.tr.no_data", who.lang)
    return JSONResponse(data, headers={"Cache-Control": "no-store"})


@router.get("/transformers/{transformer_id}/panels.json")
async def panels(
    request: Request, transformer_id: str, who: Annotated[Viewer, Depends(viewer)]
) -> JSONResponse:
    """Capability, forecast and recent error as JSON: what the panels show."""
    engine, tr, served, state = _context(request, transformer_id)
    p = await _panels(engine, tr, served, state)
    return JSONResponse(panels_json(p, state), headers={"Cache-Control": "no-store"})


@router.get("/transformers/{transformer_id}/whatif")
async def what_if(
    request: Request,
    transformer_id: str,
    who: Annotated[Viewer, Depends(viewer)],
    load: str = "1.2",
    hours: str = "2",
) -> Response:
    """The what-if panel (an htmx fragment): "load X pu for N h" from the current state.

    A computation, not a change: a GET, so no CSRF token is needed.
    """
    engine, tr, _, state = _context(request, transformer_id)
    lang = who.lang
    try:
        x, n = float(load.replace(",", ".")), float(hours.replace(",", "."))
        # The what-if starts from the current state: no capability table to compute.
        p = await _panels(engine, tr, None, state, with_capability=False)
        if p.problem:
            raise InputError(p.problem)
        w = physics.what_if(p.spec, p.state, p.ambient_c, x, n)
    except (InputError, ValueError) as exc:
        why = str(exc) if isinstance(exc, InputError) else "load and duration must be numbers."
        return page(request, "whatif.html", who, status=400,
                    error=t("ui.tr.no_physics", lang, why=why))  # fmt: skip
    limit = (
        t("ui.tr.whatif_reaches", lang, minutes=number(w.minutes_to_limit, lang, 0))
        if w.minutes_to_limit is not None
        else t("ui.tr.whatif_safe", lang)
    )
    hourly = [
        (number(m / 60, lang, 1), number(float(o), lang), number(float(h), lang))
        for m, o, h in zip(w.minutes, w.top_oil_c, w.hot_spot_c, strict=True)
        if m % 60 == 0 or m == w.minutes[-1]
    ]
    return page(
        request, "whatif.html", who, error=None, hourly=hourly,
        summary=t("ui.tr.whatif_result", lang, load=number(x, lang, 2), hours=number(n, lang),
                  hs=number(float(np.max(w.hot_spot_c)), lang),
                  oil=number(float(np.max(w.top_oil_c)), lang), limit=limit),
        minutes_to_limit=w.minutes_to_limit,
    )  # fmt: skip
