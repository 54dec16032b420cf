"""The alert level of a temperature: the one home of :class:`Level`, :func:`levels` and the
default thresholds.

A temperature at or above ``alerte_c`` is ALERTE, at or above ``critique_c`` CRITIQUE, else
NORMAL. Hysteresis (how long a level must hold before it changes) is the alerting layer's
business (:mod:`thermowatch.alerts.levels`); the raw level is decided here, for one value or a
whole array, by training reports, the service, the live pipeline and the alert engine alike.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any, Literal

import numpy as np

from thermowatch.errors import InputError
from thermowatch.thermal.ageing import NORMAL_PAPER_DOUBLING_K, NORMAL_PAPER_REFERENCE_C
from thermowatch.thermal.limits import LONG_TIME_EMERGENCY, NORMAL_CYCLIC

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
        """``"ALERTE"`` -> ``Level.ALERTE``; ``InputError`` for an unknown name.

        Parameters
        ----------
        name : str
            A level name.

        Returns
        -------
        Level
        """
        try:
            return cls[name.upper()]
        except KeyError:
            raise InputError(
                f"unknown alert level {name!r}: use NORMAL, ALERTE or CRITIQUE"
            ) from None


NAMES = np.array([lv.name for lv in Level], dtype=object)
#: A level's name, as the API contract spells it.
LevelName = Literal["NORMAL", "ALERTE", "CRITIQUE"]
#: A level's name, or ``"UNKNOWN"`` when nothing is known yet.
StateLevel = Literal["NORMAL", "ALERTE", "CRITIQUE", "UNKNOWN"]
#: Every level name, least severe first.
LEVEL_NAMES = tuple(lv.name for lv in Level)
#: Raised levels, least severe first (what an alarm can be).
RAISED = tuple(lv.name for lv in Level if lv > Level.NORMAL)
#: A transformer with no value to level (no reading yet, nothing predicted).
UNKNOWN = "UNKNOWN"


def rank(name: str | None) -> int:
    """Severity rank of a level name (NORMAL 0, ALERTE 1, CRITIQUE 2; -1 for None/UNKNOWN).

    Parameters
    ----------
    name : str or None
        A level name.

    Returns
    -------
    int
    """
    member = Level.__members__.get(name or "")
    return -1 if member is None else int(member)


def display_order(name: str | None, stale: bool = False) -> int:
    """Sort key of a transformer on a screen, worst first: CRITIQUE, ALERTE, then a NORMAL one
    whose data is stale, then UNKNOWN, then NORMAL.

    Parameters
    ----------
    name : str or None
        The transformer's level.
    stale : bool
        Whether its data is stale.

    Returns
    -------
    int
        Smaller first.
    """
    r = rank(name)
    if r > 0:
        return int(Level.CRITIQUE) - r
    if r == 0:
        return len(Level) + (0 if stale else 2)
    return len(Level) + 1


def threshold_map(thresholds: Any) -> dict[str, float]:
    """``{"ALERTE": alerte_c, "CRITIQUE": critique_c}`` [°C] of a ``Thresholds``: the form the
    forecast's ``crossings`` take.

    Parameters
    ----------
    thresholds : Thresholds
        A transformer's thresholds.

    Returns
    -------
    dict of str to float
    """
    return dict(zip(RAISED, (thresholds.alerte_c, thresholds.critique_c), strict=True))


def worse(*names: str | None) -> str | None:
    """The most severe of level names (the first of equals); ``None`` when none is a level.

    Parameters
    ----------
    *names : str or None
        Level names.

    Returns
    -------
    str or None
    """
    best = None
    for name in names:
        if rank(name) > rank(best):
            best = name
    return best


def worst_of(measured: str | None, predicted: str | None) -> tuple[str, str]:
    """``(level, which)``: the worse of a measured and a predicted level and which it is.

    The measurement wins a tie: it is what the transformer really does. ``(UNKNOWN, "none")``
    when neither is known.

    Parameters
    ----------
    measured : str or None
        Level of the measured temperature.
    predicted : str or None
        Level of the predicted temperature.

    Returns
    -------
    tuple of (str, str)
        The level and ``"measured"``, ``"predicted"`` or ``"none"``.
    """
    if rank(measured) < 0 and rank(predicted) < 0:
        return UNKNOWN, "none"
    if rank(measured) >= rank(predicted):
        return str(measured), "measured"
    return str(predicted), "predicted"


# Defaults when neither a config nor a model gives thresholds, by IEC 60076-7: for the hot spot,
# ALERTE where non-upgraded paper ages twice as fast as at 98 °C (equation (2): 104 °C) and
# CRITIQUE at the normal cyclic limit (120 °C, Table 3); for top oil, the normal cyclic (105 °C)
# and long-time emergency (115 °C) limits. The one home: learn.thresholds' "iec" rule uses it.
DEFAULT_THRESHOLDS: dict[str, tuple[float, float]] = {
    "winding": (NORMAL_PAPER_REFERENCE_C + NORMAL_PAPER_DOUBLING_K, NORMAL_CYCLIC.hot_spot_c),
    "oil": (NORMAL_CYCLIC.top_oil_c, LONG_TIME_EMERGENCY.top_oil_c),
}
DEFAULT_EXPLANATION = "IEC 60076-7 (ageing doubled / normal cyclic and emergency limits)"


def level_codes(values_c: np.ndarray, alerte_c: float, critique_c: float) -> np.ndarray:
    """Level codes (0, 1, 2 as :class:`Level`) of temperatures [°C], vectorised.

    Parameters
    ----------
    values_c : numpy.ndarray
        Temperatures [°C].
    alerte_c : float
        ALERTE threshold [°C]: a temperature at or above it is ALERTE.
    critique_c : float
        CRITIQUE threshold [°C]: a temperature at or above it is CRITIQUE.

    Returns
    -------
    numpy.ndarray
        0, 1 or 2 per value.
    """
    v = np.asarray(values_c, dtype=np.float64)
    return (v >= alerte_c).astype(np.int8) + (v >= critique_c)


def levels(values_c: np.ndarray, alerte_c: float, critique_c: float) -> np.ndarray:
    """Level names (``"NORMAL"``, ``"ALERTE"``, ``"CRITIQUE"``) of temperatures [°C].

    Parameters
    ----------
    values_c : array_like
        Temperatures [°C].
    alerte_c : float
        ALERTE threshold [°C]: a temperature at or above it is ALERTE.
    critique_c : float
        CRITIQUE threshold [°C]: a temperature at or above it is CRITIQUE.

    Returns
    -------
    numpy.ndarray
        A name per value.
    """
    return NAMES[level_codes(values_c, alerte_c, critique_c)]


def level_of(value_c: float, alerte_c: float, critique_c: float) -> Level:
    """The level of one temperature [°C] (the scalar form of :func:`levels`).

    Parameters
    ----------
    value_c : float
        A temperature [°C].
    alerte_c : float
        ALERTE threshold [°C]: a temperature at or above it is ALERTE.
    critique_c : float
        CRITIQUE threshold [°C]: a temperature at or above it is CRITIQUE.

    Returns
    -------
    Level
    """
    if value_c >= critique_c:
        return Level.CRITIQUE
    if value_c >= alerte_c:
        return Level.ALERTE
    return Level.NORMAL


def default_thresholds(kind: str) -> tuple[float, float]:
    """``(alerte_c, critique_c)`` [°C] for a target kind (``"oil"``; anything else: winding).

    Parameters
    ----------
    kind : str
        ``"oil"`` or ``"winding"``.

    Returns
    -------
    tuple of (float, float)
        IEC 60076-7:2018 Table 3 limits for the kind [°C].
    """
    return DEFAULT_THRESHOLDS["oil" if kind == "oil" else "winding"]


_LEGACY_KEYS = {ALERTE_KEY: ("alerte", "alert"), CRITIQUE_KEY: ("critique", "critical")}


def threshold_values(mapping: dict | None) -> tuple[float, float] | None:
    """``(alerte_c, critique_c)`` [°C] from a thresholds mapping, ``None`` when it has none.

    Reads the one spelling (``alerte_c``, ``critique_c``) and the older ones still found in
    stores (``alert``/``alerte``, ``critical``/``critique``).

    Parameters
    ----------
    mapping : dict or None
        A stored or configured thresholds mapping.

    Returns
    -------
    tuple of (float, float) or None
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
