"""Insulation ageing: relative ageing rate and loss of life (IEC 60076-7 clause 6, IEEE C57.91 clause 5)."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from thermowatch.errors import InputError

Paper = Literal["normal", "upgraded"]

# IEC 60076-7 equation (2): non-upgraded paper ages at rate 1 at 98 °C, doubling every 6 K.
NORMAL_PAPER_REFERENCE_C = 98.0
NORMAL_PAPER_DOUBLING_K = 6.0
# IEC 60076-7 equation (3) and IEEE C57.91 equation (2): Arrhenius, B = 15000 K, 110 °C reference.
ARRHENIUS_B_K = 15_000.0
UPGRADED_PAPER_REFERENCE_C = 110.0
# IEEE C57.91 Table 2: normal insulation life of 180 000 h (20.55 years) at 110 °C.
IEEE_NORMAL_LIFE_HOURS = 180_000.0


def relative_ageing_rate(hot_spot_c: Any, paper: Paper = "normal") -> np.ndarray:
    """Relative ageing rate V of the winding paper [-] (1 = ageing at the rated rate).

    Parameters
    ----------
    hot_spot_c
        Winding hot-spot temperature [°C].
    paper
        ``"normal"``: non thermally upgraded kraft paper, ``V = 2^((θh − 98)/6)``
        (IEC 60076-7 equation (2)); ``"upgraded"``: thermally upgraded paper,
        ``V = exp(15000/383 − 15000/(θh + 273))`` (IEC 60076-7 equation (3)).
    """
    theta = np.asarray(hot_spot_c, dtype=np.float64)
    if paper == "normal":
        return np.exp2((theta - NORMAL_PAPER_REFERENCE_C) / NORMAL_PAPER_DOUBLING_K)
    if paper == "upgraded":
        return ieee_ageing_acceleration(theta)
    raise InputError(f"paper must be 'normal' or 'upgraded', got {paper!r}.")


def ieee_ageing_acceleration(hot_spot_c: Any) -> np.ndarray:
    """IEEE C57.91 ageing acceleration factor F_AA [-] (equation (2), 110 °C reference).

    Parameters
    ----------
    hot_spot_c : array_like
        Winding hot-spot temperature [°C].

    Returns
    -------
    numpy.ndarray
        F_AA [-], 1 at 110 °C (thermally upgraded paper), same shape as ``hot_spot_c``.

    References
    ----------
    IEEE Std C57.91-2011, clause 5.2, equation (2).
    """
    theta = np.asarray(hot_spot_c, dtype=np.float64)
    return np.exp(
        ARRHENIUS_B_K / (UPGRADED_PAPER_REFERENCE_C + 273.0) - ARRHENIUS_B_K / (theta + 273.0)
    )


def loss_of_life_days(hot_spot_c: Any, dt_minutes: Any, paper: Paper = "normal") -> Any:
    """Loss of life L over a period [days of rated-rate ageing] (IEC 60076-7 equation (4)).

    Parameters
    ----------
    hot_spot_c
        Hot-spot temperature [°C], shape ``(n,)`` or ``(m, n)``.
    dt_minutes
        Time step before each sample [min] (the first is usually 0), a number or ``(n,)``;
        each sample's rate is held over the step that ends at it.
    paper
        See :func:`relative_ageing_rate`.

    Returns
    -------
    float or numpy.ndarray
        Equivalent days of life consumed (per transformer for a fleet).
    """
    rate = relative_ageing_rate(hot_spot_c, paper)
    dt = np.broadcast_to(np.asarray(dt_minutes, dtype=np.float64), rate.shape)
    total = np.sum(rate * dt, axis=-1) / 1440.0
    return float(total) if np.ndim(total) == 0 else total


def ieee_equivalent_ageing(hot_spot_c: Any, dt_minutes: Any) -> Any:
    """IEEE C57.91 equivalent ageing factor F_EQA over the period [-] (equation (3)).

    Parameters
    ----------
    hot_spot_c : array_like
        Hot-spot temperature [°C], shape ``(n,)`` or ``(m, n)``.
    dt_minutes : float or array_like
        Time step before each sample [min], a number or ``(n,)``.

    Returns
    -------
    float or numpy.ndarray
        Time-weighted mean of F_AA over the period [-] (per transformer for a fleet).

    References
    ----------
    IEEE Std C57.91-2011, clause 5.2, equation (3).
    """
    faa = ieee_ageing_acceleration(hot_spot_c)
    dt = np.broadcast_to(np.asarray(dt_minutes, dtype=np.float64), faa.shape)
    span = np.sum(dt, axis=-1)
    if np.any(span <= 0):
        raise InputError("the period is empty: the time steps add up to zero minutes.")
    feqa = np.sum(faa * dt, axis=-1) / span
    return float(feqa) if np.ndim(feqa) == 0 else feqa


def ieee_loss_of_life_percent(
    hot_spot_c: Any, dt_minutes: Any, normal_life_hours: float = IEEE_NORMAL_LIFE_HOURS
) -> Any:
    """IEEE C57.91 percent loss of life over the period [%] (equation (4)).

    Parameters
    ----------
    hot_spot_c : array_like
        Hot-spot temperature [°C], shape ``(n,)`` or ``(m, n)``.
    dt_minutes : float or array_like
        Time step before each sample [min], a number or ``(n,)``.
    normal_life_hours : float
        Normal insulation life [h] (180 000 h by default, IEEE C57.91 table 2).

    Returns
    -------
    float or numpy.ndarray
        Loss of life [%] of the normal life over the period.

    References
    ----------
    IEEE Std C57.91-2011, clause 5.3, equation (4).
    """
    dt = np.asarray(dt_minutes, dtype=np.float64)
    hours = np.sum(np.broadcast_to(dt, np.shape(hot_spot_c)), axis=-1) / 60.0
    return ieee_equivalent_ageing(hot_spot_c, dt_minutes) * hours * 100.0 / normal_life_hours
