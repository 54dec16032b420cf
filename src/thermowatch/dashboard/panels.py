"""The numbers of a transformer page, computed once from the store (no HTTP here).

:func:`thermal_panels` gives the current state, overload capability, the 24-hour forecast with
the model's recent error (the threshold crossing is the stored state's); :func:`chart_series` the chart's
downsampled series for a window. The page and the JSON routes use the same functions, so
what the page shows and what a client reads agree by construction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from thermowatch.dashboard import physics
from thermowatch.dashboard.downsample import align_minmax, minmax_indices
from thermowatch.data import quantities as q
from thermowatch.data.columns import classify_quantity
from thermowatch.errors import InputError
from thermowatch.learn.result import Thresholds
from thermowatch.live.forecast import FORECAST_HORIZON, forecast_temperature
from thermowatch.store.overview import (
    hourly_arrays,
    latest_variables,
    prediction_arrays,
    quality_counts,
    reading_arrays,
)
from thermowatch.store.predictions import predictions_frame
from thermowatch.store.readings import readings_frame
from thermowatch.store.types import from_micros, to_micros
from thermowatch.thermal.ageing import loss_of_life_days

WINDOWS = {"6h": timedelta(hours=6), "24h": timedelta(hours=24), "7d": timedelta(days=7),
           "30d": timedelta(days=30), "1y": timedelta(days=365)}  # fmt: skip
STATE_HOURS = 24  # history replayed to know the thermal state now (≫ the oil time constant)
CHART_POINTS = 1000  # per series, about one per pixel of a wide chart
#: Share of a window given to the forecast after the last measurement: the past fills the rest.
FORECAST_SHARE = 0.25


def window_of(name: str) -> timedelta:
    if name not in WINDOWS:
        raise InputError(f"window must be one of {', '.join(WINDOWS)}, got {name!r}.")
    return WINDOWS[name]


def window_end(last: datetime | None, window: timedelta, now: datetime) -> datetime:
    """Where a window of history ends: ``now`` when the newest reading (``last``) falls inside
    the window counted back from now, else at that reading (an imported archive, a transformer
    that stopped reporting), so that a page always opens on the latest data."""
    if last is None or now - last <= window:
        return now
    return last


@dataclass(frozen=True)
class ThermalPanels:
    """What the physics says now (temperatures [°C], loads [pu]); ``problem`` when it cannot."""

    problem: str | None = None
    problem_key: str | None = None  # the same refusal as a key of the catalogue (ui.tr.problem.*)
    at: datetime | None = None
    load_pu: float | None = None
    ambient_c: float | None = None
    ambient_measured: bool = True
    top_oil_c: float | None = None
    hot_spot_c: float | None = None
    hot_spot_measured: bool = False
    capability: list[tuple[int, float]] | None = None
    forecast: physics.Forecast | None = None
    rmse_k: float | None = None
    rmse_n: int = 0
    state: Any = None
    spec: Any = None
    past_limit: dict[str, float] | None = None  # limits [°C] already exceeded now, by name


def recent_error(engine, transformer, start: datetime, end: datetime):
    """``(rmse [K], points)`` of the stored predictions against the measured target in
    ``[start, end]`` (``(None, 0)`` when nothing overlaps)."""
    target = transformer.target_variable
    if not target:
        return None, 0
    end = end + timedelta(microseconds=1)
    wide = readings_frame(engine, transformer.id, start, end, variables=[target])
    return _recent_error(wide, predictions_frame(engine, transformer.id, start, end), target)


def _recent_error(wide: pd.DataFrame, preds: pd.DataFrame, target: str | None):
    """RMSE [K] of the stored predictions against the measured target at the same instants."""
    if target is None or target not in wide or preds.empty:
        return None, 0
    joined = preds[["value"]].join(wide[[target]], how="inner").dropna()
    if joined.empty:
        return None, 0
    err = joined["value"].to_numpy() - joined[target].to_numpy()
    return float(np.sqrt(np.mean(err**2))), len(joined)


def _forecast(predictor, wide, spec, d, state, quantity, measured_now, rmse) -> physics.Forecast:
    def physics_24h():
        f = physics.forecast_24h(spec, d, state, quantity, measured_now, rmse)
        cols = {"predicted": f.value, "lower": f.lower, "upper": f.upper}
        return pd.DataFrame(cols, index=f.index), f"iec60076-7:{spec.cooling}"

    fc = forecast_temperature(predictor, wide, physics_24h, FORECAST_HORIZON)
    f = fc.frame  # type: ignore[union-attr]  # the physics always answers here
    return physics.Forecast(f.index, f["predicted"].to_numpy(), f["lower"].to_numpy(),
                            f["upper"].to_numpy(), fc.source)  # type: ignore[union-attr]  # fmt: skip


def thermal_panels(
    engine,
    transformer,
    thresholds: Thresholds | None,
    now: datetime | None = None,
    with_capability: bool = True,
    predictor=None,
) -> ThermalPanels:
    """State, capability (unless ``with_capability`` is False), forecast and recent error of
    one transformer from its stored history. The forecast is the served champion's
    (``predictor``) when it has one, else the physics (:mod:`thermowatch.live.forecast`)."""
    now = now or datetime.now(UTC)
    start = now - timedelta(hours=STATE_HOURS)
    wide = readings_frame(engine, transformer.id, start, now + timedelta(microseconds=1))
    preds = predictions_frame(engine, transformer.id, start, now + timedelta(microseconds=1))
    rmse, n = _recent_error(wide, preds, transformer.target_variable)
    spec = physics.spec_of(transformer)
    key = "no_spec" if spec is None else "no_recent" if wide.empty else "no_load"
    try:
        if spec is None:
            raise InputError("no thermal spec or preset is stored for this transformer.")
        d = physics.drivers(wide, spec)
        replayed = physics.replay(spec, d)
    except InputError as exc:
        return ThermalPanels(
            problem=str(exc), problem_key=f"ui.tr.problem.{key}", rmse_k=rmse, rmse_n=n
        )
    oil_now, hot_now = physics.last_finite(d.top_oil_c), physics.last_finite(d.hot_spot_c)
    # Capability and what-if start from the temperatures measured now, not the replay's.
    state = physics.measured_state(replayed.final_state, oil_now, hot_now, float(d.ambient_c[-1]))
    ambient = float(d.ambient_c[-1])
    quantity = classify_quantity(transformer.target_variable or "")
    target = wide.get(transformer.target_variable, None)
    measured_now = (
        float(target.dropna().iloc[-1]) if target is not None and target.notna().any() else None
    )
    forecast = _forecast(predictor, wide, spec, d, state, quantity, measured_now, rmse)
    top_oil_c = oil_now if oil_now is not None else float(np.asarray(replayed.top_oil_c)[-1])
    hot_spot_c = hot_now if hot_now is not None else float(np.asarray(replayed.hot_spot_c)[-1])
    return ThermalPanels(
        at=d.index[-1].to_pydatetime(),
        load_pu=float(d.load_pu[-1]),
        ambient_c=ambient,
        ambient_measured=d.ambient_measured,
        top_oil_c=top_oil_c,
        hot_spot_c=hot_spot_c,
        hot_spot_measured=hot_now is not None,
        past_limit=physics.past_limits(top_oil_c, hot_spot_c),
        capability=physics.capability(spec, state, ambient) if with_capability else None,
        forecast=forecast,
        rmse_k=rmse,
        rmse_n=n,
        state=state,
        spec=spec,
    )


@dataclass(frozen=True)
class WindowFacts:
    """Ageing and data quality over the page's window."""

    ageing: physics.Ageing | None
    quality: dict[int, int]
    last_reading_at: datetime | None


def window_facts(
    engine, transformer, window: timedelta, now: datetime | None = None
) -> WindowFacts:
    """Loss of life over the window (measured hot spot, else the physics) and quality counts."""
    now = now or datetime.now(UTC)
    end = now + timedelta(microseconds=1)
    wide = readings_frame(engine, transformer.id, now - window, end)
    quality = quality_counts(engine, transformer.id, now - window, end)
    last = wide.index[-1].to_pydatetime() if len(wide) else None
    result = None
    winding = next((c for c in wide.columns if classify_quantity(c) == q.WINDING_TEMPERATURE), None)
    if winding is not None and wide[winding].notna().sum() >= 2:
        result = physics.ageing(pd.DatetimeIndex(wide.index), wide[winding].to_numpy(float), True)
    else:
        spec = physics.spec_of(transformer)
        if spec is not None and len(wide) >= 2:
            try:
                d = physics.drivers(wide, spec)
                hot = np.asarray(physics.replay(spec, d).hot_spot_c, float)
                result = physics.ageing(d.index, hot, False)
            except InputError:
                result = None
    return WindowFacts(result, quality, last)


@dataclass(frozen=True)
class LifeSoFar:
    """Loss of life [days] since the first stored hot-spot reading (``since``, UTC)."""

    loss_days: float
    since: datetime
    hourly_hours: int  # hours counted from hourly aggregates (their mean), before raw data


HISTORY_START = datetime(1970, 1, 1, tzinfo=UTC)


def life_so_far(engine, transformer, now: datetime | None = None) -> LifeSoFar | None:
    """Loss of life since commissioning from the measured hot spot (winding temperature):
    the raw readings, preceded by the hourly means that retention kept of older ones (an hour
    at its mean temperature: close for the slow oil, a slight underestimate for the winding's
    minute peaks). None when no winding temperature is stored."""
    now = now or datetime.now(UTC)
    end = now + timedelta(microseconds=1)
    names = latest_variables(engine, transformer.id)
    winding = next((n for n in names if classify_quantity(n) == q.WINDING_TEMPERATURE), None)
    if winding is None:
        return None
    t_us, hot = reading_arrays(engine, transformer.id, winding, HISTORY_START, end)
    before = t_us[0] if t_us.size else to_micros(now)
    hours, _, means, _ = hourly_arrays(
        engine, transformer.id, winding, HISTORY_START, from_micros(before)
    )
    loss = 0.0
    if hours.size:
        loss += float(loss_of_life_days(means, 60.0))
    if t_us.size >= 2:
        dt = np.minimum(np.r_[0.0, np.diff(t_us) / 60e6], 60.0)
        loss += float(loss_of_life_days(hot, dt))
    if not hours.size and t_us.size < 2:
        return None
    first = hours[0] if hours.size else t_us[0]
    return LifeSoFar(loss, from_micros(int(first)), int(hours.size))


def _epoch_s(index: pd.DatetimeIndex) -> np.ndarray:
    return physics.epoch_seconds(index) if len(index) else np.array([])


def with_hourly(engine, transformer_id: str, variable: str, start: datetime, t_us, y):
    """Raw readings ``(t_us, y)`` preceded by the hourly min and max retention kept for the
    part of the window older than the oldest raw reading. Returns ``(t [s], y)``.

    An hour's minimum is placed at a quarter past and its maximum at a quarter to (the
    aggregate does not say when within the hour they happened): the peaks stay on the chart.
    """
    before = t_us[0] if t_us.size else to_micros(datetime.now(UTC))
    hours, lows, _, highs = hourly_arrays(
        engine, transformer_id, variable, start, from_micros(before)
    )
    if not hours.size:
        return t_us / 1e6, y
    quarter = 900_000_000
    old_t = np.column_stack([hours + quarter, hours + 3 * quarter]).ravel()
    old_y = np.column_stack([lows, highs]).ravel()
    keep = old_t < before
    return np.r_[old_t[keep], t_us] / 1e6, np.r_[old_y[keep], y]


def _driver_series(engine, transformer, start: datetime, end: datetime, points: int):
    """Load [pu], current [A] and ambient [°C] of ``[start, end)`` for the chart below the
    temperatures: ``{key: (t [s], y)}``, each downsampled keeping its peaks."""
    spec = physics.spec_of(transformer)
    rated = spec.rated_current_a if spec is not None else None
    found: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name in latest_variables(engine, transformer.id):
        key = {q.LOAD_PU: "load_pu", q.CURRENT: "current_a",
               q.AMBIENT_TEMPERATURE: "ambient"}.get(classify_quantity(name))  # fmt: skip
        if key is None or key in found:
            continue
        t_us, y = reading_arrays(engine, transformer.id, name, start, end)
        t, y = with_hourly(engine, transformer.id, name, start, t_us, y)
        keep = minmax_indices(t, y, points)
        found[key] = (t[keep], y[keep])
    if "load_pu" not in found and "current_a" in found and rated:
        t, amps = found["current_a"]
        found["load_pu"] = (t, amps / rated)
    return found


def chart_series(
    engine,
    transformer,
    window: timedelta,
    thresholds: Thresholds | None,
    forecast: physics.Forecast | None = None,
    now: datetime | None = None,
    points: int = CHART_POINTS,
) -> dict[str, Any]:
    """Measured and predicted temperature (+ interval, forecast, thresholds) and, for the chart
    below, load and ambient, all on one time axis ending at ``now`` (the window's end).

    Each series is downsampled on its own axis keeping its peaks, then all are placed on the
    union of the kept instants (``None`` where a series has no sample). Times in epoch [s].
    The forecast covers :data:`FORECAST_SHARE` of the window after the last measurement and
    starts from it (its first point is the last measured value): the past fills the rest.
    ``start``/``end`` give the x range [s] to draw; the counts are those of what is drawn.
    """
    now = now or datetime.now(UTC)
    end = now + timedelta(microseconds=1)
    start = now - window
    target = transformer.target_variable
    measured_t = np.array([])
    measured_y = np.array([])
    raw = 0
    if target:
        t_us, y = reading_arrays(engine, transformer.id, target, start, end)
        t, y = with_hourly(engine, transformer.id, target, start, t_us, y)
        raw = int(np.isfinite(y).sum())
        keep = minmax_indices(t, y, points)
        measured_t, measured_y = t[keep], y[keep]
    preds = prediction_arrays(engine, transformer.id, start, end)
    pt, pred = align_minmax(
        preds["ts_us"] / 1e6, {k: preds[k] for k in ("value", "lower", "upper")}, points
    )
    drivers = _driver_series(engine, transformer, start, end, points)
    forecast_part = None
    if forecast is not None and len(forecast.index):
        ft = _epoch_s(forecast.index)
        origin = min(ft[0], measured_t[-1]) if measured_t.size else ft[0]
        inside = ft <= origin + FORECAST_SHARE * window.total_seconds()
        ft = ft[inside]
        fv, lo, hi = (np.asarray(a, float)[inside] for a in
                      (forecast.value, forecast.lower, forecast.upper))  # fmt: skip
        if measured_t.size and measured_t[-1] < ft[0]:  # the continuation starts from it
            ft = np.r_[measured_t[-1], ft]
            fv, lo, hi = (np.r_[measured_y[-1], a] for a in (fv, lo, hi))
        forecast_part = (ft, fv, lo, hi)
    axes = [measured_t, pt, *(t for t, _ in drivers.values())]
    if forecast_part is not None:
        axes.append(forecast_part[0])
    x = np.unique(np.concatenate(axes)) if any(a.size for a in axes) else np.array([])

    def place(t: np.ndarray, y: np.ndarray) -> list:
        out = np.full(x.size, np.nan)
        out[np.searchsorted(x, t)] = y
        return [None if not np.isfinite(v) else round(float(v), 3) for v in out]

    data: dict[str, Any] = {
        "t": [float(v) for v in x],
        "raw_points": raw,
        "measured_points": int(np.isfinite(measured_y).sum()),
        "predicted_points": int(np.isfinite(pred["value"]).sum()) if pt.size else 0,
        "start": start.timestamp(),
        "end": max(now.timestamp(), float(x[-1]) if x.size else 0.0),
    }
    data["shown_points"] = data["measured_points"]
    data["measured"] = place(measured_t, measured_y)
    if pt.size:
        data["predicted"] = place(pt, pred["value"])
        if np.isfinite(pred["lower"]).any():
            data["lower"] = place(pt, pred["lower"])
            data["upper"] = place(pt, pred["upper"])
    if forecast_part is not None:
        ft, fv, lo, hi = forecast_part
        data["forecast"] = place(ft, fv)
        if np.any(hi > lo):
            data["forecast_lower"] = place(ft, lo)
            data["forecast_upper"] = place(ft, hi)
        data["forecast_from"] = float(ft[0])
    for key, (t, y) in drivers.items():
        data[key] = place(t, y)
    if thresholds is not None and x.size:
        data["threshold_alert"] = [thresholds.alerte_c] * int(x.size)
        data["threshold_critical"] = [thresholds.critique_c] * int(x.size)
    return data
