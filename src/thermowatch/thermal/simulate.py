"""Simulate top-oil and hot-spot temperatures from load and ambient profiles."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from thermowatch.errors import InputError
from thermowatch.thermal.inputs import Profile, normalise
from thermowatch.thermal.models import SpecArrays, ThermalModel, get_model
from thermowatch.thermal.recurrence import first_order_response
from thermowatch.thermal.spec import TransformerSpec


@dataclass(frozen=True)
class ThermalState:
    """The state of a thermal model at one instant, to resume a simulation from it.

    ``values`` holds one array of shape ``(m,)`` per state of the model (see
    ``ThermalModel.state_names``): [°C] for temperatures, [K] for rises.
    """

    method: str
    values: tuple[np.ndarray, ...]


@dataclass(frozen=True)
class FanControl:
    """ONAF fans started and stopped by the top-oil temperature, with hysteresis.

    Parameters
    ----------
    fans_off
        Thermal parameters with the fans stopped (the ONAN rating of the transformer). When both
        specs give ``rated_current_a``, the load is rescaled to the ONAN rating.
    on_above_c
        Top-oil temperature at or above which the fans start [°C].
    off_below_c
        Top-oil temperature at or below which they stop [°C]; must be below ``on_above_c``.
    """

    fans_off: TransformerSpec
    on_above_c: float
    off_below_c: float

    def __post_init__(self) -> None:
        if not (np.isfinite(self.on_above_c) and np.isfinite(self.off_below_c)):
            raise InputError("FanControl: on_above_c and off_below_c must be finite temperatures.")
        if self.off_below_c >= self.on_above_c:
            raise InputError(
                f"FanControl: off_below_c ({self.off_below_c:g} °C) must be below on_above_c "
                f"({self.on_above_c:g} °C) for the hysteresis to hold."
            )


@dataclass(frozen=True)
class ThermalResult:
    """Simulated temperatures, in the shape of the input load.

    Attributes
    ----------
    top_oil_c, hot_spot_c
        Top-oil and hot-spot temperatures [°C]: a pandas Series when the load was a Series,
        else an array of shape ``(n,)`` or ``(m, n)``.
    fans_on
        Whether the fans ran at each sample (only with :class:`FanControl`), else None.
    final_state
        State after the last sample, to continue the simulation (``initial=final_state``).
    dt_minutes
        Time step before each sample [min], ``(n,)`` or ``(m, n)``; the first is 0.
    """

    top_oil_c: Any
    hot_spot_c: Any
    fans_on: Any
    final_state: ThermalState
    dt_minutes: np.ndarray
    method: str

    def to_frame(self) -> Any:
        """A pandas DataFrame with columns ``top_oil_c``, ``hot_spot_c`` (and ``fans_on``)."""
        import pandas as pd

        if np.ndim(self.top_oil_c) != 1:
            raise InputError(
                "to_frame() needs a single transformer; index the fleet arrays instead."
            )
        columns = {"top_oil_c": self.top_oil_c, "hot_spot_c": self.hot_spot_c}
        if self.fans_on is not None:
            columns["fans_on"] = self.fans_on
        index = getattr(self.top_oil_c, "index", None)
        return pd.DataFrame({k: np.asarray(v) for k, v in columns.items()}, index=index)


InitialCondition = Literal["steady", "cold"] | float | np.ndarray | ThermalState


def simulate(
    spec: TransformerSpec | Sequence[TransformerSpec],
    load_pu: Any,
    ambient_c: Any,
    dt_minutes: float | np.ndarray | None = None,
    *,
    initial: InitialCondition = "steady",
    method: str = "iec",
    fans: FanControl | None = None,
    hold_gaps: bool = False,
) -> ThermalResult:
    """Top-oil and hot-spot temperatures [°C] of one transformer or a fleet.

    Solves the IEC 60076-7:2018 clause 8.2.2 differential equations (``method="iec"``, the
    two-term hot-spot rise with k21/k22) or the IEEE C57.91-2011 clause 7 exponential equations
    (``method="ieee"``) exactly for inputs held over each time step, with no per-step loop.

    Parameters
    ----------
    spec
        One :class:`TransformerSpec`, or one per row of a 2-D load.
    load_pu
        Load current [per unit of rated current]: array ``(n,)``, fleet array ``(m, n)``, or a
        pandas Series with a DatetimeIndex (irregular steps allowed).
    ambient_c
        Ambient temperature [°C]: scalar, ``(n,)`` (shared by a fleet) or ``(m, n)``.
    dt_minutes
        Time step [min]: a number, or per sample the minutes since the previous sample (the first
        value is ignored): ``(n,)``, or ``(m, n)`` for each transformer of a fleet its own steps
        (a live fleet stepped as one array from readings that came at different instants).
        Not needed for a Series with a DatetimeIndex.
    initial
        ``"steady"``: steady state at the first load and ambient; ``"cold"``: top oil at ambient,
        no hot-spot gradient; a number or ``(m,)`` array: the initial top-oil temperature [°C]
        with no hot-spot gradient yet (IEC 60076-7 Annex example convention); or the
        ``final_state`` of a previous result to continue it.
    method
        ``"iec"`` or ``"ieee"``.
    fans
        ONAF fans switched by the top-oil temperature (:class:`FanControl`); ``spec`` is then the
        fans-on (ONAF) spec.
    hold_gaps
        Hold the last valid value over NaN gaps instead of refusing them.

    Returns
    -------
    ThermalResult
    """
    model = get_model(method)
    profile = normalise(load_pu, ambient_c, dt_minutes, hold_gaps=hold_gaps)
    m, n = profile.load_pu.shape
    specs = _specs_for_rows(spec, m)
    params: Any = specs[0] if len(specs) == 1 else SpecArrays(specs)
    ambient = profile.ambient_c + params.ambient_offset_k
    states0 = _initial_states(model, params, profile, ambient, initial)

    if fans is None:
        states = _solve(model, params, profile.load_pu, ambient, profile.dt_minutes, states0)
        top_oil, hot_spot = model.temperatures(states, ambient)
        fans_on = None
    else:
        top_oil, hot_spot = np.empty((m, n)), np.empty((m, n))
        fans_on = np.empty((m, n), dtype=bool)
        finals = []
        for row in range(m):
            rows = _solve_with_fans(
                model,
                specs[row],
                fans,
                profile.load_pu[row],
                ambient[row],
                profile.dt_minutes[row] if profile.dt_minutes.ndim == 2 else profile.dt_minutes,
                tuple(s[row : row + 1] for s in states0),
            )
            top_oil[row], hot_spot[row], fans_on[row], final = rows
            finals.append(final)
        states = [np.concatenate([f[k] for f in finals])[:, None] for k in range(len(states0))]
    final_state = ThermalState(model.name, tuple(np.asarray(s[:, -1]).copy() for s in states))
    return ThermalResult(
        top_oil_c=_shape_like(top_oil, profile),
        hot_spot_c=_shape_like(hot_spot, profile),
        fans_on=None if fans_on is None else _shape_like(fans_on, profile),
        final_state=final_state,
        dt_minutes=profile.dt_minutes,
        method=model.name,
    )


def _specs_for_rows(spec: Any, m: int) -> list[TransformerSpec]:
    if isinstance(spec, TransformerSpec):
        return [spec]
    specs = list(spec)
    if not all(isinstance(s, TransformerSpec) for s in specs):
        raise InputError("spec must be a TransformerSpec or a sequence of them.")
    if len(specs) != m:
        raise InputError(f"{len(specs)} specs were given for {m} load profiles: give one per row.")
    return specs


def _initial_states(
    model: ThermalModel, params: Any, profile: Profile, ambient: np.ndarray, initial: Any
) -> tuple[np.ndarray, ...]:
    m = profile.load_pu.shape[0]
    first_load, first_ambient = profile.load_pu[:, :1], ambient[:, :1]
    if isinstance(initial, ThermalState):
        if initial.method != model.name:
            raise InputError(
                f"initial state comes from method {initial.method!r}, not {model.name!r}."
            )
        if any(np.shape(v) != (m,) for v in initial.values):
            raise InputError(f"initial state is for a different number of transformers than {m}.")
        return tuple(np.asarray(v, float) for v in initial.values)
    if isinstance(initial, str):
        if initial == "steady":
            top_oil = None
        elif initial == "cold":
            top_oil = first_ambient
        else:
            raise InputError(
                f"initial must be 'steady', 'cold', a temperature or a state, got {initial!r}."
            )
    else:
        top_oil = np.asarray(initial, dtype=float).reshape(-1, 1)
        if top_oil.shape[0] not in (1, m) or not np.isfinite(top_oil).all():
            raise InputError(
                "initial top-oil temperature must be finite, one value or one per row."
            )
        top_oil = np.broadcast_to(top_oil, (m, 1))
    states = model.initial_states(params, first_load, first_ambient, top_oil)
    return tuple(np.broadcast_to(s, (m, 1)).reshape(m).astype(float) for s in states)


def _solve(
    model: ThermalModel,
    params: Any,
    load: np.ndarray,
    ambient: np.ndarray,
    dt: np.ndarray,
    states0: Sequence[np.ndarray],
) -> list[np.ndarray]:
    """All states over time, each (m, n), from the states before the first sample."""
    ultimates = _ultimates(model, params, load, ambient)
    taus = model.time_constants(params)
    jobs = [(dt, tau, u, s0) for u, tau, s0 in zip(ultimates, taus, states0, strict=True)]
    if load.size < _PARALLEL_MIN_POINTS:
        return [first_order_response(*job) for job in jobs]
    # The states are independent filters and lfilter releases the GIL: solving them on threads
    # takes a year of minute data from ~14 ms to ~8 ms on two cores.
    return list(_pool().map(lambda job: first_order_response(*job), jobs))


_PARALLEL_MIN_POINTS = 100_000


def _ultimates(
    model: ThermalModel, params: Any, load: np.ndarray, ambient: np.ndarray
) -> list[np.ndarray]:
    """The driving term of every state, each (m, n); long inputs in halves on two threads.

    The power laws (exp and log) are most of a simulation's arithmetic and numpy releases the
    GIL in them, so two halves of the time axis run in parallel on the machine's two cores.
    """
    if load.size < _PARALLEL_MIN_POINTS:
        return [np.broadcast_to(u, load.shape) for u in model.ultimate(params, load, ambient)]
    m, n = load.shape
    outs = [np.empty((m, n)) for _ in model.state_names]
    bounds = [(0, n // 2), (n // 2, n)]

    def fill(bound: tuple[int, int]) -> None:
        lo, hi = bound
        part = model.ultimate(params, load[:, lo:hi], ambient[:, lo:hi])
        for out, values in zip(outs, part, strict=True):
            out[:, lo:hi] = values

    list(_pool().map(fill, bounds))
    return outs


@functools.cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=3, thread_name_prefix="thermal")


def _solve_with_fans(
    model: ThermalModel,
    fans_on_spec: TransformerSpec,
    fans: FanControl,
    load: np.ndarray,
    ambient: np.ndarray,
    dt: np.ndarray,
    states0: tuple[np.ndarray, ...],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
    """One transformer with fans switched on top-oil thresholds.

    The switching makes the system non-linear, but between two switchings it is the linear
    system of one spec: solve vectorised over a window, cut at the first threshold crossing,
    switch spec and go on. Windows grow geometrically while nothing switches, so the cost is
    O(n + switchings × window) instead of a Python loop over every step.
    """
    n = load.size
    off_scale = 1.0
    if fans_on_spec.rated_current_a and fans.fans_off.rated_current_a:
        off_scale = fans_on_spec.rated_current_a / fans.fans_off.rated_current_a
    top_oil, hot_spot, running = np.empty(n), np.empty(n), np.empty(n, dtype=bool)
    start_top_oil, _ = model.temperatures(states0, ambient[:1])
    on = bool(start_top_oil[0] >= fans.on_above_c)
    states = states0  # at sample max(pos - 1, 0): the last one already solved
    pos, window = 0, 64
    while pos < n:
        first, end = max(pos - 1, 0), min(n, pos + window)
        spec = fans_on_spec if on else fans.fans_off
        scale = 1.0 if on else off_scale
        seg = _solve(
            model,
            spec,
            load[None, first:end] * scale,
            ambient[None, first:end],
            dt[first:end],
            states,
        )
        seg = [s[:, pos - first :] for s in seg]  # drop the already-solved sample
        seg_top, seg_hot = model.temperatures(seg, ambient[None, pos:end])
        crossed = seg_top[0] <= fans.off_below_c if on else seg_top[0] >= fans.on_above_c
        hits = np.flatnonzero(crossed)
        keep = int(hits[0]) + 1 if hits.size else end - pos
        top_oil[pos : pos + keep] = seg_top[0, :keep]
        hot_spot[pos : pos + keep] = seg_hot[0, :keep]
        running[pos : pos + keep] = on
        states = tuple(s[:, keep - 1] for s in seg)
        pos += keep
        if hits.size:
            on, window = not on, 64
        else:
            window = min(window * 4, 1 << 20)
    return top_oil, hot_spot, running, states


def _shape_like(values: np.ndarray, profile: Profile) -> Any:
    if not profile.squeeze:
        return values
    flat = values[0]
    if profile.index is not None:
        import pandas as pd

        return pd.Series(flat, index=profile.index)
    return flat
