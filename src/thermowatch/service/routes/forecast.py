"""``POST /v1/transformers/{id}/forecast``: the temperature at every step up to a horizon,
with its interval, and when each alert threshold is first crossed (with the interval's
earliest and latest time); optionally under a load scenario.

Body (every field optional)::

    {"horizon": "24h" | 96,                      # a duration or steps; default: trained
     "at": "2026-01-01T12:00:00Z",               # end of history; default: newest reading
     "load_scenario": [{"timestamp": "...", "courant (A)": 1200.0}, ...]}
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from thermowatch.errors import InputError
from thermowatch.learn.levels import threshold_map
from thermowatch.service.auth import Reader
from thermowatch.service.deps import read_json, served_for
from thermowatch.service.errors import ApiError
from thermowatch.store import readings as store_readings

router = APIRouter(prefix="/v1/transformers", tags=["forecast"])


def recent_history(engine, transformer_id: str, predictor, end: datetime | None = None):
    """The readings (model variables and target) a forecast needs, ending at ``end`` (default:
    the newest reading). The one way the shell gathers a forecast's history from the store."""
    variables = [*predictor.variables, predictor.target]
    if end is None:
        latest = store_readings.latest_values(engine, transformer_id)
        if not latest:
            raise InputError(f"the store holds no reading of transformer {transformer_id!r}.")
        end = max(ts for ts, _ in latest.values())
    end = end + timedelta(microseconds=1)  # [start, end) must include the newest reading
    meta = predictor.metadata
    minutes = float(meta.get("forecast_history_minutes", meta.get("history_minutes", 1440.0)))
    frame = store_readings.readings_frame(
        engine,
        transformer_id,
        end - timedelta(minutes=minutes),
        end,
        variables=variables,
        good_only=True,  # a flagged value never reaches a model
    )
    if predictor.target not in frame.columns or frame[predictor.target].notna().sum() < 2:
        raise InputError(
            f"the store holds no recent {predictor.target!r} of transformer {transformer_id!r}"
            f" (the forecast needs the last {minutes:g} min)."
        )
    return frame


def _scenario(items: Any, variables: list[str]) -> pd.DataFrame | None:
    if items is None:
        return None
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
        raise InputError("'load_scenario' must be a non-empty list of objects with 'timestamp'.")
    rows, times = [], []
    for n, item in enumerate(items):
        try:
            ts = pd.Timestamp(item["timestamp"])
        except (KeyError, ValueError, TypeError):
            raise InputError(f"load_scenario[{n}] needs an ISO-8601 'timestamp'.") from None
        times.append(ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC"))
        values = {k: v for k, v in item.items() if k != "timestamp"}
        for key, value in values.items():
            if key not in variables:
                raise InputError(f"load_scenario[{n}]: {key!r} is not a variable of the model.")
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InputError(f"load_scenario[{n}]: {key!r} must be a number.")
            if not np.isfinite(value):
                raise InputError(f"load_scenario[{n}]: {key!r} must be finite.")
        rows.append(values)
    return pd.DataFrame(rows, index=pd.DatetimeIndex(times)).sort_index()


@router.post("/{transformer_id}/forecast")
async def forecast(transformer_id: str, request: Request, _: Reader) -> dict:
    """Forecast [°C] per step up to the horizon, intervals, and threshold crossing times."""
    empty = request.headers.get("content-length", "0") == "0"
    body = {} if empty and "content-type" not in request.headers else (await read_json(request))[0]
    if not isinstance(body, dict):
        raise ApiError(422, "the body must be a JSON object.")
    state = request.app.state
    served = served_for(state.models, transformer_id)
    predictor = served.predictor
    try:
        end = None
        if body.get("at") is not None:
            try:
                end = pd.Timestamp(body["at"])
            except (ValueError, TypeError):
                raise InputError("'at' must be an ISO-8601 time.") from None
            end = (end.tz_localize("UTC") if end.tzinfo is None else end).to_pydatetime()
        scenario = _scenario(body.get("load_scenario"), list(predictor.variables))
        history = await run_in_threadpool(
            recent_history, state.engine, transformer_id, predictor, end
        )
        result = predictor.forecast(history, body.get("horizon"), scenario)
    except InputError as exc:
        raise ApiError(422, str(exc)) from None
    th = served.thresholds  # in force for this transformer, as every reader shows them
    crossings = result.crossings(threshold_map(th))
    frame = result.frame
    return {
        "transformer_id": transformer_id,
        "model_id": served.model_id,
        "model": result.model,
        "origin": result.origin.isoformat(),
        "level": result.level,
        "step_minutes": predictor.step / pd.Timedelta("1min"),
        "forecast": [
            {
                "timestamp": ts.isoformat(),
                "temperature_predite": float(row.predicted),
                "lower": float(row.lower),
                "upper": float(row.upper),
            }
            for ts, row in zip(frame.index, frame.itertuples(), strict=True)
        ],
        "crossings": {name: c.to_dict() for name, c in crossings.items()},
    }
