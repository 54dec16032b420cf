"""Gap-aware lags: the value one, two or k steps earlier *in time*, not in row order.

Cleaning can leave holes in a series (rows without a target); the row before a hole is not
"the previous step", so a lag that would cross a gap is missing (NaN), never a stale value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from thermowatch.data.timestamps import as_duration


def lag(values: np.ndarray, index: pd.DatetimeIndex, step: pd.Timedelta, k: int) -> np.ndarray:
    """``values`` at ``t - k·step`` for every timestamp ``t`` of ``index``; NaN where that
    instant is not a row (a gap, or before the start).

    Parameters
    ----------
    values
        One value per row of ``index``.
    index
        Increasing timestamps.
    step
        Nominal sampling step.
    k
        Lag in steps (≥ 1).
    """
    ticks = index.as_unit("ns").asi8
    wanted = ticks - k * int(pd.Timedelta(step).value)
    position = np.searchsorted(ticks, wanted)
    position = np.minimum(position, len(ticks) - 1)
    found = ticks[position] == wanted
    out = np.full(len(ticks), np.nan)
    out[found] = np.asarray(values, dtype=np.float64)[position[found]]
    return out


def steps_per(duration: str | pd.Timedelta, step: pd.Timedelta) -> int:
    """Whole steps in ``duration`` (at least 1).

    Parameters
    ----------
    duration : str or pandas.Timedelta
        A duration such as ``"24h"``.
    step : pandas.Timedelta
        Sampling step.

    Returns
    -------
    int
        Steps [-].
    """
    return max(round(as_duration(duration) / pd.Timedelta(step)), 1)
