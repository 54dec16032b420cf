"""The alert level of a temperature: the one home of :class:`Level`, :func:`levels` and the
default thresholds.

A temperature at or above ``alerte_c`` is ALERTE, at or above ``critique_c`` CRITIQUE, else
NORMAL. Hysteresis (how long a level must hold before it changes) is the alerting layer's
business (:mod:`thermowatch.alerts.levels`); the raw level is decided here, for one value or a
whole array, by training reports, the service, the live pipeline and the alert engine alike.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

from thermowatch.errors import InputError
from thermowatch.thermal.limits import NORMAL_CYCLIC

#: Threshold keys, one spelling everywhere (model metadata, configs, the store) [°C].
ALERTE_KEY = "alerte_c"
CRITIQUE_KEY = "critique_c"


class Level(IntEnum):
    """Alert levels, ordered (a higher value is worse)."""

    NORMAL = 0
    ALERTE = 1
    CRITIQUE = 2

    @classmethod
    def parse(cls, name: str) -> Level:
        """``"ALERTE"`` -> ``Level.ALERTE``; ``InputError`` for an unknown name."""
        try:
            return cls[name.upper()]
        except KeyError:
            raise InputError(
                f"unknown alert level {name!r}: use NORMAL, ALERTE or CRITIQUE"
            ) from None


NAMES = np.array([lv.name for lv in Level], dtype=object)

# Defaults when neither a config nor a model gives thresholds: IEC 60076-7 normal cyclic
# loading (Table 3) caps the critical level; the alert level sits 10 K below it.
DEFAULT_THRESHOLDS: dict[str, tuple[float, float]] = {
    "winding": (NORMAL_CYCLIC.hot_spot_c - 10.0, NORMAL_CYCLIC.hot_spot_c),  # 110 / 120 °C
    "oil": (NORMAL_CYCLIC.top_oil_c - 10.0, NORMAL_CYCLIC.top_oil_c),  # 95 / 105 °C
}
DEFAULT_EXPLANATION = "IEC 60076-7 normal cyclic loading caps"


def level_codes(values_c: np.ndarray, alerte_c: float, critique_c: float) -> np.ndarray:
    """Level codes (0, 1, 2 as :class:`Level`) of temperatures [°C], vectorised."""
    v = np.asarray(values_c, dtype=np.float64)
    return (v >= alerte_c).astype(np.int8) + (v >= critique_c)


def levels(values_c: np.ndarray, alerte_c: float, critique_c: float) -> np.ndarray:
    """Level names (``"NORMAL"``, ``"ALERTE"``, ``"CRITIQUE"``) of temperatures [°C]."""
    return NAMES[level_codes(values_c, alerte_c, critique_c)]


def level_of(value_c: float, alerte_c: float, critique_c: float) -> Level:
    """The level of one temperature [°C] (the scalar form of :func:`levels`)."""
    if value_c >= critique_c:
        return Level.CRITIQUE
    if value_c >= alerte_c:
        return Level.ALERTE
    return Level.NORMAL


def default_thresholds(kind: str) -> tuple[float, float]:
    """``(alerte_c, critique_c)`` [°C] for a target kind (``"oil"``; anything else: winding)."""
    return DEFAULT_THRESHOLDS["oil" if kind == "oil" else "winding"]


_LEGACY_KEYS = {ALERTE_KEY: ("alerte", "alert"), CRITIQUE_KEY: ("critique", "critical")}


def threshold_values(mapping: dict | None) -> tuple[float, float] | None:
    """``(alerte_c, critique_c)`` [°C] from a thresholds mapping, ``None`` when it has none.

    Reads the one spelling (``alerte_c``, ``critique_c``) and the older ones still found in
    stores (``alert``/``alerte``, ``critical``/``critique``).
    """
    if not mapping:
        return None
    out = []
    for key, legacy in _LEGACY_KEYS.items():
        value = next((mapping[k] for k in (key, *legacy) if k in mapping), None)
        if value is None:
            return None
        out.append(float(value))
    return out[0], out[1]
