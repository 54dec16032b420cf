"""What the transformer page computes with the IEC 60076-7 physics of :mod:`thermowatch.thermal`.

* the thermal state now, by simulating the recent load and ambient (held over gaps);
* overload capability: the largest constant load [pu] it can carry for 30 min / 2 h / 8 h from
  that state without crossing the IEC 60076-7 normal cyclic limits (Table 3);
* what-if: "load X pu for N h" from that state, as a curve;
* the 24-hour forecast (:func:`forecast_24h`): the one function to switch to the learned
  forecast when the learning core ships it; until then the physics, clearly labelled.

Everything here is pure (no store): the routes pass the readings frame in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pandas as pd

from thermowatch.data import quantities as q
from thermowatch.data.columns import classify_quantity
from thermowatch.errors import InputError
from thermowatch.live.forecast import FORECAST_HORIZON
from thermowatch.thermal import TransformerSpec, simulate
from thermowatch.thermal.ageing import loss_of_life_days, relative_ageing_rate
from thermowatch.thermal.limits import NORMAL_CYCLIC, LoadingLimit
from thermowatch.thermal.simulate import ThermalState

CAPABILITY_MINUTES = (30, 120, 480)
STEP_MIN = 2.0  # resolution of the capability and what-if simulations [min]
DEFAULT_AMBIENT_C = 20.0  # when nothing measures the ambient (IEC 60076-7 reference)


def epoch_seconds(index: pd.DatetimeIndex) -> np.ndarray:
    """Seconds since 1970-01-01 UTC [s] of an aware index, whatever its unit (ns, us, s)."""
    return np.asarray(index.as_unit("us").asi8, dtype=np.float64) / 1e6


def spec_of(transformer) -> TransformerSpec | None:
    """The thermal spec stored with a transformer (its ``spec`` or ``preset``), else None."""
    if transformer.spec:
        return TransformerSpec.from_mapping(transformer.spec)
    if transformer.preset:
        return TransformerSpec.preset(transformer.preset)
    return None


@dataclass(frozen=True)
class Drivers:
    """Recent inputs of one transformer, aligned on the readings' instants.

    ``load_pu`` [pu], ``ambient_c`` [°C]; ``top_oil_c`` / ``hot_spot_c`` the measured
    temperatures [°C] when a column carries them (else None); ``ambient_measured`` False when
    :data:`DEFAULT_AMBIENT_C` stands in.
    """

    index: pd.DatetimeIndex
    load_pu: np.ndarray
    ambient_c: np.ndarray
    top_oil_c: np.ndarray | None
    hot_spot_c: np.ndarray | None
    ambient_measured: bool


def _column(wide: pd.DataFrame, quantity: str) -> str | None:
    for name in wide.columns:
        if classify_quantity(str(name)) == quantity:
            return str(name)
    return None


def drivers(wide: pd.DataFrame, spec: TransformerSpec) -> Drivers:
    """Load [pu] and ambient [°C] from a wide readings frame (gaps held, ends filled).

    Raises
    ------
    InputError
        When no column gives the load (a current with the spec's rated current, or a load in
        pu), or the frame is empty.
    """
    if wide.empty:
        raise InputError("no reading in the recent window.")
    filled = wide.ffill().bfill()
    load_col = _column(wide, q.LOAD_PU)
    if load_col is not None:
        load = filled[load_col].to_numpy(float)
    else:
        current = _column(wide, q.CURRENT)
        if current is None or not spec.rated_current_a:
            raise InputError(
                "no load: the readings need a current column and the spec its rated current."
            )
        load = filled[current].to_numpy(float) / spec.rated_current_a
    ambient_col = _column(wide, q.AMBIENT_TEMPERATURE)
    ambient = (
        filled[ambient_col].to_numpy(float)
        if ambient_col
        else np.full(len(wide), DEFAULT_AMBIENT_C)
    )
    oil, winding = _column(wide, q.TOP_OIL_TEMPERATURE), _column(wide, q.WINDING_TEMPERATURE)
    return Drivers(
        index=pd.DatetimeIndex(wide.index),
        load_pu=np.clip(load, 0.0, None),
        ambient_c=ambient,
        top_oil_c=wide[oil].to_numpy(float) if oil else None,
        hot_spot_c=wide[winding].to_numpy(float) if winding else None,
        ambient_measured=ambient_col is not None,
    )


def replay(spec: TransformerSpec, d: Drivers):
    """Simulate the recent inputs: temperatures at each instant and the state after the last."""
    load = pd.Series(d.load_pu, index=d.index)
    return simulate(spec, load, d.ambient_c, initial="steady", hold_gaps=True)


def last_finite(values: np.ndarray | None) -> float | None:
    """The newest finite value of a measured series [°C], None when it has none."""
    if values is None:
        return None
    finite = np.asarray(values, float)
    finite = finite[np.isfinite(finite)]
    return float(finite[-1]) if finite.size else None


def measured_state(
    state: ThermalState, top_oil_c: float | None, hot_spot_c: float | None, ambient_c: float
) -> ThermalState:
    """``state`` moved onto the temperatures measured now [°C] (top oil, hot spot; either may
    be None: that part of the simulated state is kept).

    The replay from load and ambient is only as good as the spec; when the transformer is
    measured hotter (or cooler) than the replay says, what comes next starts from what is
    measured. IEC 60076-7 (clause 8.2.2) keeps the top oil and two hot-spot rise terms: the
    gradient's offset goes on the first term; IEEE C57.91 keeps both rises directly.
    """
    values = [np.array(np.ravel(v)[-1:], float) for v in state.values]
    if state.method == "iec":
        oil = values[0][0]
        hot = oil + values[1][0] - values[2][0]
        if top_oil_c is not None:
            values[0][0] = top_oil_c
        if hot_spot_c is not None:
            values[1][0] += hot_spot_c - values[0][0] - (hot - oil)
    else:  # ieee: (top-oil rise over ambient, hot-spot rise over top oil) [K]
        oil = ambient_c + values[0][0]
        if top_oil_c is not None:
            values[0][0] = top_oil_c - ambient_c
            oil = top_oil_c
        if hot_spot_c is not None:
            values[1][0] = hot_spot_c - oil
    return ThermalState(state.method, tuple(values))


def past_limits(
    top_oil_c: float, hot_spot_c: float, limit: LoadingLimit = NORMAL_CYCLIC
) -> dict[str, float] | None:
    """The limits [°C] the present temperatures already exceed (``{"hot_spot": 120.0}``),
    None when none is: then no load at all is permissible until it cools."""
    over = {}
    if hot_spot_c > limit.hot_spot_c:
        over["hot_spot"] = float(limit.hot_spot_c)
    if top_oil_c > limit.top_oil_c:
        over["top_oil"] = float(limit.top_oil_c)
    return over or None


def _constant_runs(
    spec: TransformerSpec, state: ThermalState, loads: np.ndarray, ambient_c: float, steps: int
):
    """Simulate each load in ``loads`` held for ``steps`` steps from ``state`` (one row each)."""
    m = loads.size
    start = ThermalState(state.method, tuple(np.repeat(np.ravel(v)[-1:], m) for v in state.values))
    grid = np.repeat(loads[:, None], steps + 1, axis=1)
    return simulate(
        [spec] * m,
        grid,
        np.full_like(grid, ambient_c),
        STEP_MIN,
        initial=start,
        method=state.method,
    )


def capability(
    spec: TransformerSpec,
    state: ThermalState,
    ambient_c: float,
    minutes: tuple[int, ...] = CAPABILITY_MINUTES,
    limit: LoadingLimit = NORMAL_CYCLIC,
) -> list[tuple[int, float]]:
    """Largest constant load [pu] for each duration [min] that keeps hot spot and top oil
    under ``limit`` from ``state`` at ``ambient_c`` [°C], capped at the limit's current [pu].

    Temperatures grow with load at every instant, so a bisection per duration (vectorised over
    the durations, 30 halvings: 0.002 % of the cap) finds the boundary. 0 when even no load
    breaks a limit within the duration (the transformer is already too hot).
    """
    steps = int(np.ceil(max(minutes) / STEP_MIN))
    horizon = np.array([int(np.ceil(mn / STEP_MIN)) for mn in minutes])
    cols = np.arange(steps + 1)[None, :]
    inside = cols <= horizon[:, None]

    def ok(loads: np.ndarray) -> np.ndarray:
        res = _constant_runs(spec, state, loads, ambient_c, steps)
        hot = np.where(inside, res.hot_spot_c, -np.inf).max(axis=1)
        oil = np.where(inside, res.top_oil_c, -np.inf).max(axis=1)
        return (hot <= limit.hot_spot_c) & (oil <= limit.top_oil_c)

    low = np.zeros(len(minutes))
    high = np.full(len(minutes), limit.current_pu)
    top_ok = ok(high)
    for _ in range(30):
        mid = 0.5 * (low + high)
        good = ok(mid)
        low, high = np.where(good, mid, low), np.where(good, high, mid)
    result = np.where(top_ok, limit.current_pu, np.where(ok(np.zeros(len(minutes))), low, 0.0))
    return [(mn, float(v)) for mn, v in zip(minutes, result, strict=True)]


@dataclass(frozen=True)
class WhatIf:
    """A load held from now: minutes from now, top-oil and hot-spot temperatures [°C], and the
    minutes until a limit is first reached (None when it is not)."""

    minutes: np.ndarray
    top_oil_c: np.ndarray
    hot_spot_c: np.ndarray
    minutes_to_limit: float | None


def what_if(
    spec: TransformerSpec,
    state: ThermalState,
    ambient_c: float,
    load_pu: float,
    hours: float,
    limit: LoadingLimit = NORMAL_CYCLIC,
) -> WhatIf:
    """Temperatures if ``load_pu`` [pu] is held for ``hours`` [h] from ``state``."""
    if not (np.isfinite(load_pu) and 0 <= load_pu <= 3):
        raise InputError("the load must be between 0 and 3 pu.")
    if not (np.isfinite(hours) and 0 < hours <= 48):
        raise InputError("the duration must be more than 0 and at most 48 hours.")
    steps = int(np.ceil(hours * 60 / STEP_MIN))
    res = _constant_runs(spec, state, np.array([float(load_pu)]), ambient_c, steps)
    top, hot = res.top_oil_c[0], res.hot_spot_c[0]
    over = np.flatnonzero((hot > limit.hot_spot_c) | (top > limit.top_oil_c))
    minutes = np.arange(steps + 1) * STEP_MIN
    return WhatIf(minutes, top, hot, float(minutes[over[0]]) if over.size else None)


@dataclass(frozen=True)
class Forecast:
    """Forecast of the monitored temperature [°C] at future instants, with an interval."""

    index: pd.DatetimeIndex
    value: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    source: str  # "learned" (the champion's) or "physics" (:mod:`thermowatch.live.forecast`)


def forecast_24h(
    spec: TransformerSpec,
    d: Drivers,
    state: ThermalState,
    quantity: str,
    measured_now: float | None,
    error_k: float | None,
    step_min: float = 10.0,
) -> Forecast:
    """The next 24 h of the monitored temperature (``quantity``: top oil or winding).

    Physics until the learned forecast lands (then this is the one function to switch): the
    load and ambient of the last 24 h are repeated from the current state (the present ones
    where the history is shorter than 24 h), and the curve is
    anchored on the last measurement (the physics' offset now is carried forward). The
    interval is ± 2 × ``error_k``, the served model's recent RMSE [K] (± 0 when unknown).
    """
    now = d.index[-1]
    future = pd.date_range(now, now + FORECAST_HORIZON, freq=f"{int(step_min)}min")
    past = future - timedelta(hours=24)
    known, when = epoch_seconds(d.index), epoch_seconds(past)
    # Less than 24 h of history: the instants before it hold the present load and ambient
    # (not the oldest reading's, which would draw a flat line then a jump when the known
    # part comes round).
    before = when < known[0]
    load = np.where(before, d.load_pu[-1], np.interp(when, known, d.load_pu))
    ambient = np.where(before, d.ambient_c[-1], np.interp(when, known, d.ambient_c))
    res = simulate(spec, load, ambient, step_min, initial=state, method=state.method)
    curve = res.hot_spot_c if quantity == q.WINDING_TEMPERATURE else res.top_oil_c
    curve = np.asarray(curve, float)
    if measured_now is not None and np.isfinite(measured_now):
        curve = curve + (measured_now - curve[0])
    half = 2.0 * (error_k or 0.0)
    return Forecast(future, curve, curve - half, curve + half, "physics")


@dataclass(frozen=True)
class Ageing:
    """Insulation ageing over a window: relative rate now [-] and loss of life [days]."""

    rate_now: float
    loss_days: float
    measured: bool  # hot spot measured (True) or computed by the physics (False)


def ageing(index: pd.DatetimeIndex, hot_spot_c: np.ndarray, measured: bool) -> Ageing | None:
    """Ageing of normal kraft paper (IEC 60076-7 eq. (2) and (4)) over the hot-spot series."""
    finite = np.isfinite(hot_spot_c)
    if finite.sum() < 2:
        return None
    idx, hot = index[finite], hot_spot_c[finite]
    dt = np.r_[0.0, np.diff(epoch_seconds(idx)) / 60.0]
    dt = np.minimum(dt, 60.0)  # a gap longer than an hour is not counted as ageing at one value
    return Ageing(float(relative_ageing_rate(hot[-1])), float(loss_of_life_days(hot, dt)), measured)
