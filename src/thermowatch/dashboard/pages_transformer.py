"""One transformer: chart, forecast, hot spot and ageing, overload capability, what-if, quality.

JSON twins of the panels (``/transformers/{id}/series`` for the chart, ``/panels.json`` for
the numbers) serve the page's script and let a client or a test read exactly what is shown.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated

import numpy as np
from fastapi import APIRouter, Depends, Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from thermowatch.dashboard import panels as pn
from thermowatch.dashboard import physics
from thermowatch.dashboard.auth import PageError, Viewer, audit, check_csrf, check_role, viewer
from thermowatch.dashboard.render import STALE_AFTER_S, age_text, page, site_timezone, when
from thermowatch.errors import InputError, NotFoundError
from thermowatch.report.i18n import number, t
from thermowatch.store.alerts import open_alerts
from thermowatch.store.readings import latest_reading_time
from thermowatch.store.state import read_state
from thermowatch.store.transformers import get_transformer, save_transformer
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


def past_limit_text(p: pn.ThermalPanels, lang: str) -> str | None:
    """ "Already past the limit: hot spot 140 °C > 120 °C" when the present temperatures
    exceed the IEC 60076-7 limits (then no overload is permissible), else None."""
    if not p.past_limit:
        return None
    parts = []
    for name, now_c in (("hot_spot", p.hot_spot_c), ("top_oil", p.top_oil_c)):
        if name in p.past_limit:
            parts.append(t("ui.tr.past_limit_part", lang, what=t(f"ui.tr.{name}", lang),
                           now=number(now_c, lang), limit=number(p.past_limit[name], lang, 0)))  # fmt: skip
    return t(
        "ui.tr.past_limit", lang, parts=" ; ".join(parts) if lang == "fr" else "; ".join(parts)
    )


#: Chart labels: series key -> catalogue key (``ui.tr.*``).
CHART_LABELS = {
    "measured": "measured", "predicted": "predicted", "lower": "interval_low",
    "upper": "interval_high", "forecast": "forecast", "forecast_lower": "forecast_low",
    "forecast_upper": "forecast_high", "alert": "threshold_alert",
    "critical": "threshold_critical", "time": "time", "load_pu": "load", "current_a": "current",
    "ambient": "ambient", "temperature": "temperature", "no_data": "no_data",
}  # fmt: skip


async def _window_end(engine, tr, window: str, now: datetime):
    """``(newest reading, end of the window shown)``: the window holds the latest data."""
    last = await asyncio.to_thread(latest_reading_time, engine, tr.id)
    return last, pn.window_end(last, pn.window_of(window), now)


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
    last, end = await _window_end(engine, tr, window, now)
    p, facts, alerts, life = await asyncio.gather(
        _panels(engine, tr, served, state, now),
        asyncio.to_thread(pn.window_facts, engine, tr, pn.window_of(window), end),
        asyncio.to_thread(open_alerts, engine, tr.id),
        asyncio.to_thread(pn.life_so_far, engine, tr, now),
    )
    th = state.as_thresholds() if state is not None else None  # as stored with its state
    measured = state.measured_c if state is not None else None
    lang = who.lang
    # Staleness from the newest reading's real age, whatever window is shown.
    stale = last is None or (now - last).total_seconds() > STALE_AFTER_S
    if last is None:
        freshness = t("ui.tr.never", lang)
    elif stale:
        freshness = t("ui.tr.stale", lang, at=when(last, lang), age=age_text(last, lang, now))
    else:
        freshness = t("ui.tr.fresh", lang, age=age_text(last, lang, now))
    history = (
        t("ui.tr.history_at", lang, window=t(f"ui.win.{window}", lang), at=when(end, lang))
        if end != now
        else None
    )
    labels = {k: t(f"ui.tr.{v}", lang) for k, v in CHART_LABELS.items()}
    labels["time"] = t("ui.tr.time", lang, tz=site_timezone(tr))
    config = {"id": tr.id, "series": f"/transformers/{tr.id}/series?window={window}",
              "labels": labels, "tz": site_timezone(tr), "live": end == now}  # fmt: skip
    return page(
        request, "transformer.html", who, nav="fleet", tr=tr, served=served, th=th, p=p,
        facts=facts, alerts=alerts, window=window, windows=list(pn.WINDOWS), stale=stale,
        freshness=freshness, history=history, config=config, limit=NORMAL_CYCLIC,
        past_limit=None if p.problem else past_limit_text(p, lang),
        measured=measured, life=life, st=state, crossing=crossing_json(state),
    )  # fmt: skip


@router.get("/transformers/{transformer_id}/series")
async def series(
    request: Request,
    transformer_id: str,
    who: Annotated[Viewer, Depends(viewer)],
    window: str = "24h",
) -> JSONResponse:
    """The chart's series for a window, downsampled keeping peaks (times in epoch [s]); the
    window ends now, or at the newest reading when that is older than the window."""
    window = _window(window)
    engine, tr, served, state = _context(request, transformer_id)
    th = state.as_thresholds() if state is not None else None
    now = datetime.now(UTC)
    _, end = await _window_end(engine, tr, window, now)
    forecast = None
    if window in ("6h", "24h") and end == now:  # a forecast continues the present only
        p = await _panels(engine, tr, served, state, now)
        forecast = p.forecast
    data = await asyncio.to_thread(
        pn.chart_series, engine, tr, pn.window_of(window), th, forecast, end
    )
    data["points_text"] = t(
        "ui.tr.points", who.lang, measured=data["measured_points"],
        predicted=data["predicted_points"], raw=data["raw_points"],
    )  # fmt: skip
    data["empty_text"] = t("ui.tr.no_data", who.lang)
    return JSONResponse(data, headers={"Cache-Control": "no-store"})


#: Longest name or site an admin may give [characters].
IDENTITY_MAX = 80


@router.post("/transformers/{transformer_id}/identity")
async def identity(
    request: Request, transformer_id: str, who: Annotated[Viewer, Depends(viewer)]
) -> Response:
    """An admin names a transformer and its site (what the fleet table shows); audited."""
    form = await check_csrf(request, who)
    check_role(request, who, "admin")
    engine, tr, _, _ = _context(request, transformer_id)
    name = " ".join(str(form.get("name", "")).split())[:IDENTITY_MAX] or tr.id
    site = " ".join(str(form.get("site", "")).split())[:IDENTITY_MAX] or None
    await asyncio.to_thread(save_transformer, engine, replace(tr, name=name, site=site))
    audit(request, who, "dashboard.transformer.identity", "ok", target=tr.id)
    return RedirectResponse(f"/transformers/{tr.id}", status_code=303)


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
    p = None
    try:
        x, n = float(load.replace(",", ".")), float(hours.replace(",", "."))
        # The what-if starts from the current state: no capability table to compute.
        p = await _panels(engine, tr, None, state, with_capability=False)
        if p.problem:
            raise InputError(p.problem)
        w = physics.what_if(p.spec, p.state, p.ambient_c, x, n)
    except (InputError, ValueError):
        why = t(p.problem_key, lang) if p is not None and p.problem else t("ui.tr.whatif_bad", lang)
        return page(request, "whatif.html", who, status=400,
                    error=t("ui.tr.no_physics", lang, why=why))  # fmt: skip
    limit = past_limit_text(p, lang) or (
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
