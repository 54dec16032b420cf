"""Steady state and rating: ultimate temperatures, the largest permissible load, time to a limit."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from thermowatch.errors import InputError
from thermowatch.thermal.models import get_model
from thermowatch.thermal.simulate import ThermalState
from thermowatch.thermal.spec import TransformerSpec


def steady_state(
    spec: TransformerSpec, load_pu: Any, ambient_c: Any, method: str = "iec"
) -> tuple[Any, Any]:
    """Ultimate top-oil and hot-spot temperatures [°C] at a constant load [pu] and ambient [°C].

    Vectorised over ``load_pu`` and ``ambient_c`` (broadcast together). IEC 60076-7 equations
    (1)-(2) at t → ∞; IEEE C57.91 equations (7)-(9) likewise.

    Parameters
    ----------
    spec : TransformerSpec
        Rated rises, exponents and time constants of the transformer.
    load_pu : float or array_like
        Constant load [pu of the rated current], not negative.
    ambient_c : float or array_like
        Constant ambient temperature [°C] (the spec's installation offset is added).
    method : {"iec", "ieee"}
        IEC 60076-7:2018 clause 8.2 or IEEE C57.91-2011 clause 7.

    Returns
    -------
    tuple of (float or numpy.ndarray, float or numpy.ndarray)
        Top-oil and hot-spot temperatures [°C].
    """
    model = get_model(method)
    if isinstance(load_pu, float | int) and isinstance(ambient_c, float | int):
        # Scalar fast path (a live prediction per request): same equations, Python floats.
        if not (math.isfinite(load_pu) and load_pu >= 0):
            raise InputError("load_pu must be finite and not negative.")
        ambient_eff = float(ambient_c) + spec.ambient_offset_k
        top, hot = model.temperatures(
            model.ultimate(spec, float(load_pu), ambient_eff), ambient_eff
        )
        return float(top), float(hot)
    load = np.asarray(load_pu, dtype=np.float64)
    ambient = np.asarray(ambient_c, dtype=np.float64) + spec.ambient_offset_k
    if (load < 0).any() or not np.isfinite(load).all():
        raise InputError("load_pu must be finite and not negative.")
    states = model.ultimate(spec, load, ambient)
    top_oil, hot_spot = model.temperatures(states, ambient)
    if np.ndim(top_oil) == 0:
        return float(top_oil), float(hot_spot)
    return top_oil, hot_spot


def max_load_pu(
    spec: TransformerSpec,
    ambient_c: Any,
    hot_spot_limit_c: float = 120.0,
    top_oil_limit_c: float | None = 105.0,
    method: str = "iec",
    upper_pu: float = 4.0,
) -> Any:
    """Largest constant load [pu] whose steady state keeps under the limits at an ambient [°C].

    Temperatures rise monotonically with load, so a vectorised bisection (50 halvings: 1e-15 of
    ``upper_pu``) finds the boundary for every ambient at once. Returns 0 where even no load is
    too hot, ``upper_pu`` where the limits are never reached below it.

    Parameters
    ----------
    spec : TransformerSpec
        The transformer.
    ambient_c : float or array_like
        Ambient temperature [°C].
    hot_spot_limit_c : float
        Hot-spot limit [°C] (120 °C: IEC 60076-7:2018 Table 3, normal cyclic loading).
    top_oil_limit_c : float or None
        Top-oil limit [°C] (105 °C, same table and loading), or None for none.
    method : {"iec", "ieee"}
        The thermal model (:func:`steady_state`).
    upper_pu : float
        Largest load searched [pu].

    Returns
    -------
    float or numpy.ndarray
        The largest permissible load [pu], per ambient.
    """
    ambient = np.asarray(ambient_c, dtype=np.float64)
    low = np.zeros_like(ambient)
    high = np.full_like(ambient, upper_pu)

    def within(load: np.ndarray) -> np.ndarray:
        top_oil, hot_spot = steady_state(spec, load, ambient, method)
        ok = np.asarray(hot_spot) <= hot_spot_limit_c
        if top_oil_limit_c is not None:
            ok &= np.asarray(top_oil) <= top_oil_limit_c
        return ok

    for _ in range(50):
        mid = 0.5 * (low + high)
        ok = within(mid)
        low = np.where(ok, mid, low)
        high = np.where(ok, high, mid)
    result = np.where(within(np.zeros_like(ambient)), low, 0.0)
    result = np.where(within(np.full_like(ambient, upper_pu)), upper_pu, result)
    return float(result) if result.ndim == 0 else result


def time_to_limit_minutes(
    spec: TransformerSpec,
    load_pu: float,
    ambient_c: float,
    limit_c: float,
    *,
    initial: ThermalState | float = 0.0,
    quantity: str = "hot_spot",
    method: str = "iec",
) -> float:
    """Minutes until the hot-spot (or top-oil) temperature reaches ``limit_c`` after a load step.

    Parameters
    ----------
    load_pu, ambient_c
        Constant load [pu] and ambient [°C] after the step.
    limit_c
        Temperature limit [°C].
    initial
        The state at the step: a :class:`ThermalState` (e.g. the ``final_state`` of a live
        simulation), or the load [pu] held long enough before the step to be in steady state.
    quantity
        ``"hot_spot"`` or ``"top_oil"``.

    Returns
    -------
    float
        0 if the limit is already reached, ``inf`` if it is never reached.
    """
    model = get_model(method)
    ambient = float(ambient_c) + spec.ambient_offset_k
    if isinstance(initial, ThermalState):
        states0 = np.array([float(np.ravel(v)[0]) for v in initial.values])
    else:
        states0 = np.array(
            [float(np.ravel(s)[0]) for s in model.ultimate(spec, float(initial), ambient)]
        )
    ultimate = np.array([float(u) for u in model.ultimate(spec, float(load_pu), ambient)])
    taus = np.array([float(t) for t in model.time_constants(spec)])
    pick = {"hot_spot": 1, "top_oil": 0}.get(quantity)
    if pick is None:
        raise InputError(f"quantity must be 'hot_spot' or 'top_oil', got {quantity!r}.")

    def margin(t: Any) -> Any:
        # Each state relaxes exponentially to its ultimate value: the closed-form solution.
        t = np.asarray(t, dtype=np.float64)
        states = ultimate[:, None] + (states0 - ultimate)[:, None] * np.exp(
            -t[None] / taus[:, None]
        )
        return model.temperatures(list(states), ambient)[pick] - limit_c

    if margin(np.array([0.0]))[0] >= 0:
        return 0.0
    grid = np.concatenate([[0.0], np.geomspace(0.01, 20 * taus.max(), 4000)])
    values = margin(grid)
    above = np.flatnonzero(values >= 0)
    if above.size == 0:
        return float("inf")
    i = int(above[0])
    from scipy.optimize import brentq  # here: scipy.optimize costs ~0.3 s at every start-up

    return float(brentq(lambda t: float(margin(np.array([t]))[0]), grid[i - 1], grid[i], xtol=1e-6))
