"""The physical quantities a measurement column can hold, and their plausible ranges.

One home for the vocabulary shared by column classification (``columns.py``) and validation
(``clean.py``). Quantity names are stable identifiers other layers use (``learn``, ``report``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from thermowatch.thermal.limits import AMBIENT_RANGE_C, MAX_LOAD_PU

VOLTAGE = "voltage"
CURRENT = "current"
ACTIVE_POWER = "active_power"
REACTIVE_POWER = "reactive_power"
APPARENT_POWER = "apparent_power"
LOAD_PU = "load_pu"
AMBIENT_TEMPERATURE = "ambient_temperature"
TOP_OIL_TEMPERATURE = "top_oil_temperature"
WINDING_TEMPERATURE = "winding_temperature"
OTHER = "other"

QUANTITIES: tuple[str, ...] = (
    VOLTAGE,
    CURRENT,
    ACTIVE_POWER,
    REACTIVE_POWER,
    APPARENT_POWER,
    LOAD_PU,
    AMBIENT_TEMPERATURE,
    TOP_OIL_TEMPERATURE,
    WINDING_TEMPERATURE,
    OTHER,
)

TEMPERATURES: frozenset[str] = frozenset(
    {AMBIENT_TEMPERATURE, TOP_OIL_TEMPERATURE, WINDING_TEMPERATURE}
)

# Target preference: the winding (hot-spot) temperature is what ages the paper; the top-oil
# temperature is the usual fallback when no winding sensor exists (e.g. the ETT data set).
TARGET_PREFERENCE: tuple[str, ...] = (WINDING_TEMPERATURE, TOP_OIL_TEMPERATURE)

# Physically possible values (inclusive bounds, ``lower_open`` marks a strict lower bound): the
# one table every entry point checks readings against (files, HTTP, the monitor). Temperatures
# in [°C]. Electrical quantities come in the unit of their source (A or kA, kV or V, kW or MW),
# so their upper bounds are generous caps that no unit makes plausible (a million amperes or
# volts, ten million kW or kVA, ten per unit): they catch sensor garbage and overflowed
# registers (1e308, 2^63), not a real overload. Active and reactive power may be negative
# (reverse power flow, capacitive load).
# The ambient range and the largest load are the thermal models' own input limits
# (:mod:`thermowatch.thermal.limits`, IEC 60076-7): a value the physics refuses is no reading.
_INF = math.inf
MIN_TEMPERATURE_C = AMBIENT_RANGE_C[0]  # oil and windings are never colder than the air
MAX_TEMPERATURE_C = 250.0  # above any oil flash point and any winding that still exists
MAX_CURRENT = 1.0e6
MAX_VOLTAGE = 2.0e6
MAX_POWER = 1.0e7
PHYSICAL_RANGES: dict[str, tuple[float, float]] = {
    AMBIENT_TEMPERATURE: AMBIENT_RANGE_C,
    TOP_OIL_TEMPERATURE: (MIN_TEMPERATURE_C, MAX_TEMPERATURE_C),
    WINDING_TEMPERATURE: (MIN_TEMPERATURE_C, MAX_TEMPERATURE_C),
    CURRENT: (0.0, MAX_CURRENT),
    VOLTAGE: (0.0, MAX_VOLTAGE),
    ACTIVE_POWER: (-MAX_POWER, MAX_POWER),
    REACTIVE_POWER: (-MAX_POWER, MAX_POWER),
    APPARENT_POWER: (0.0, MAX_POWER),
    LOAD_PU: (0.0, MAX_LOAD_PU),
}
STRICT_LOWER_BOUND: frozenset[str] = frozenset({VOLTAGE})


def physical_range(quantity: str) -> tuple[float, float, bool]:
    """``(low, high, strict_low)`` of a quantity; unknown quantities are unbounded.

    Parameters
    ----------
    quantity : str
        A quantity name.

    Returns
    -------
    tuple of (float, float, bool)
        Bounds in the quantity's unit (°C, A, pu, ...) and whether the low one is excluded.
    """
    low, high = PHYSICAL_RANGES.get(quantity, (-_INF, _INF))
    return low, high, quantity in STRICT_LOWER_BOUND


def impossible(
    quantity: str, values: Any, ranges: Mapping[str, tuple[float, float]] | None = None
) -> Any:
    """Where ``values`` are physically impossible for ``quantity``: ±inf, or outside its range.

    The one check of every path (files, batch uploads, ``/predict``, live readings):
    vectorised, so ``values`` is a float (answers a bool) or an array (answers a bool array).
    NaN is not impossible but missing: each caller says what a missing value means.

    Parameters
    ----------
    quantity : str
        One of :data:`QUANTITIES` (unknown ones are unbounded, still not infinite).
    values : float or numpy.ndarray
        The measurements, in the unit of :data:`PHYSICAL_RANGES` (temperatures [°C]).
    ranges : mapping of str to (float, float), optional
        Ranges that replace the table's for some quantities (cleaning options).

    Returns
    -------
    bool or numpy.ndarray of bool
    """
    low, high = (PHYSICAL_RANGES if ranges is None else {**PHYSICAL_RANGES, **ranges}).get(
        quantity, (-_INF, _INF)
    )
    below = values <= low if quantity in STRICT_LOWER_BOUND else values < low
    return (abs(values) == _INF) | below | (values > high)


def allowed(quantity: str) -> str:
    """The physical range of ``quantity`` in words: ``≥ -60 and ≤ 70`` (``> 0`` for voltage).

    Parameters
    ----------
    quantity : str
        One of :data:`QUANTITIES`.

    Returns
    -------
    str
    """
    low, high, strict = physical_range(quantity)
    return f"{'>' if strict else '≥'} {low:g}" + (f" and ≤ {high:g}" if math.isfinite(high) else "")


def out_of_range(quantity: str, value: float) -> str | None:
    """Why ``value`` is impossible for ``quantity`` (one clause, English), ``None`` if it is not.

    Non-finite values are impossible for every quantity.

    Parameters
    ----------
    quantity : str
        A quantity name.
    value : float
        A value in the quantity's unit.

    Returns
    -------
    str or None
    """
    if not math.isfinite(value):
        return f"{value!r} is not a finite number"
    if impossible(quantity, value):
        name = quantity.replace("_", " ")
        return f"{value:g} is outside the physical range of a {name} ({allowed(quantity)})"
    return None


def bounded_prediction(quantity: str, value: float) -> tuple[float | None, str | None]:
    """A model's answer made safe to report: ``(value, note)``.

    Inside the physical range: ``(value, None)``. Above it, with a finite answer: the upper
    bound and a note saying so — the served models never predict cooler for more load or a
    hotter ambient, so the transformer is at least that hot, every threshold is exceeded and
    the alert level must be the worst one, not missing. Below the range or not finite:
    ``(None, reason)``, as nothing can be said. Temperatures in [°C].

    Parameters
    ----------
    quantity : str
        The target's quantity.
    value : float
        The model's answer (unit of the quantity, °C for a temperature).

    Returns
    -------
    tuple of (float or None, str or None)
    """
    bad = out_of_range(quantity, value)
    if bad is None:
        return value, None
    high = physical_range(quantity)[1]
    if math.isfinite(value) and value > high:
        return (
            high,
            f"the model's answer {value:.1f} is above the physical range: reported at {high:g}",
        )
    return (
        None,
        f"no prediction: the model's answer {bad}; the inputs are beyond what it can explain",
    )
