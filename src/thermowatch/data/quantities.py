"""The physical quantities a measurement column can hold, and their plausible ranges.

One home for the vocabulary shared by column classification (``columns.py``) and validation
(``clean.py``). Quantity names are stable identifiers other layers use (``learn``, ``report``).
"""

from __future__ import annotations

import math

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

# Physically possible values (inclusive bounds, ``lower_open`` marks a strict lower bound).
# Temperatures in [°C]; electrical quantities in any unit, only their sign is checked. Active
# and reactive power may be negative (reverse power flow, capacitive load), so they are free.
_INF = math.inf
PHYSICAL_RANGES: dict[str, tuple[float, float]] = {
    AMBIENT_TEMPERATURE: (-50.0, 250.0),
    TOP_OIL_TEMPERATURE: (-50.0, 250.0),
    WINDING_TEMPERATURE: (-50.0, 250.0),
    CURRENT: (0.0, _INF),
    VOLTAGE: (0.0, _INF),
    APPARENT_POWER: (0.0, _INF),
    LOAD_PU: (0.0, _INF),
}
STRICT_LOWER_BOUND: frozenset[str] = frozenset({VOLTAGE})
