"""Checking and normalising simulation inputs: arrays, pandas Series, fleets (2-D arrays).

Bad input raises :class:`~thermowatch.errors.InputError` with one sentence naming the input and
the position (and time, for a Series) of the first bad value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from thermowatch.errors import InputError
from thermowatch.thermal.limits import AMBIENT_RANGE_C, MAX_LOAD_PU


@dataclass(frozen=True)
class Profile:
    """Inputs as float arrays of shape (m, n), with the time step of each sample [min]."""

    load_pu: np.ndarray
    ambient_c: np.ndarray
    # (n,) or, one row per transformer, (m, n); dt[..., 0] = 0: the initial state holds at
    # the first sample
    dt_minutes: np.ndarray
    index: Any  # pandas DatetimeIndex when the load came as a Series, else None
    squeeze: bool  # the caller passed one transformer (1-D): return 1-D


def _is_pandas(x: Any) -> bool:
    return type(x).__module__.split(".")[0] == "pandas"


def _where(name: str, flat_position: int, shape: tuple[int, ...], index: Any) -> str:
    row, col = divmod(flat_position, shape[-1])
    where = f"position {col}"
    if len(shape) == 2 and shape[0] > 1:
        where = f"row {row}, {where}"
    if index is not None:
        where += f" ({index[col]})"
    return f"{name} at {where}"


def _hold(values: np.ndarray, name: str) -> np.ndarray:
    """Fill NaN with the last valid value of each row (the first valid one at the start)."""
    out = values.copy()
    for row in out:  # rows are transformers: a handful, not time steps
        valid = np.isfinite(row)
        if not valid.any():
            raise InputError(f"{name} has no valid value to hold over its gaps.")
        idx = np.where(valid, np.arange(row.size), 0)
        np.maximum.accumulate(idx, out=idx)
        first = int(np.argmax(valid))
        idx[:first] = first
        row[:] = row[idx]
    return out


def _as_matrix(x: Any, name: str, hold_gaps: bool, index: Any) -> np.ndarray:
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be numbers.") from None
    if arr.ndim > 2:
        raise InputError(f"{name} must be 1-D (time) or 2-D (transformers × time).")
    matrix = np.atleast_2d(arr)
    bad = ~np.isfinite(matrix)
    if bad.any():
        if hold_gaps and not np.isinf(matrix).any():
            return _hold(matrix, name)
        position = int(np.flatnonzero(bad)[0])
        kind = "NaN" if np.isnan(matrix.flat[position]) else "an infinite value"
        raise InputError(
            f"{_where(name, position, matrix.shape, index)} is {kind}"
            + (
                "."
                if hold_gaps
                else " (to hold the last value over gaps: hold_gaps=True, or --hold-gaps)."
            )
        )
    return matrix


def _dt_from_index(index: Any) -> np.ndarray:
    import pandas as pd

    if not isinstance(index, pd.DatetimeIndex):
        raise InputError("load_pu as a pandas Series needs a DatetimeIndex (or pass dt_minutes).")
    # Through datetime64[ns] explicitly: pandas 3 may hold microseconds or seconds.
    ns = index.to_numpy(dtype="datetime64[ns]").view(np.int64)
    dt = np.empty(ns.size)
    dt[0] = 0.0
    np.divide(np.diff(ns), 60e9, out=dt[1:])
    if dt.size > 1 and (dt[1:] <= 0).any():
        bad = int(np.flatnonzero(dt[1:] <= 0)[0]) + 1
        raise InputError(
            f"timestamps must increase: {index[bad]} at position {bad} is not after "
            f"{index[bad - 1]}."
        )
    return dt


def normalise(load_pu: Any, ambient_c: Any, dt_minutes: Any, *, hold_gaps: bool = False) -> Profile:
    """Validate the inputs of :func:`~thermowatch.thermal.simulate` and bring them to (m, n).

    Parameters
    ----------
    load_pu : array_like or pandas.Series
        Load [pu of the rated current], ``(n,)`` or ``(m, n)``; a Series with a
        ``DatetimeIndex`` gives the time steps when ``dt_minutes`` is None.
    ambient_c : float or array_like
        Ambient temperature [°C], a number, ``(n,)`` or ``(m, n)``.
    dt_minutes : float or array_like or None
        Time step before each sample [min]: a number, ``(n,)`` shared by the fleet, or
        ``(m, n)``: each transformer its own steps (a live fleet whose last readings came at
        different instants).
    hold_gaps : bool
        True: a missing load or ambient holds its previous value instead of being refused.

    Returns
    -------
    Profile
        Load and ambient as ``(m, n)`` arrays, the steps [min], and whether to squeeze the
        result back to one transformer. Bad input raises :class:`~thermowatch.errors.InputError`
        naming the field and position.
    """
    index = None
    if _is_pandas(load_pu) and hasattr(load_pu, "index"):
        if dt_minutes is None:
            index = load_pu.index
            dt = _dt_from_index(index)
        load_pu = load_pu.to_numpy(dtype=np.float64, na_value=np.nan)
    if _is_pandas(ambient_c):
        ambient_c = ambient_c.to_numpy(dtype=np.float64, na_value=np.nan)
    squeeze = np.ndim(load_pu) <= 1
    load = _as_matrix(load_pu, "load_pu", hold_gaps, index)
    m, n = load.shape
    if n == 0:
        raise InputError("load_pu is empty: give at least one sample.")
    if (load < 0).any():
        position = int(np.flatnonzero(load < 0)[0])
        raise InputError(f"{_where('load_pu', position, load.shape, index)} is negative.")
    if (load > MAX_LOAD_PU).any():
        position = int(np.flatnonzero(load > MAX_LOAD_PU)[0])
        raise InputError(
            f"{_where('load_pu', position, load.shape, index)} is {load.flat[position]:g}, "
            f"above {MAX_LOAD_PU:g} per unit: is it amperes or percent?"
        )
    ambient = _as_matrix(ambient_c, "ambient_c", hold_gaps, index)
    if ambient.shape[-1] not in (1, n) or ambient.shape[0] not in (1, m):
        raise InputError(
            f"ambient_c has shape {np.shape(ambient_c)} but load_pu has shape {np.shape(load_pu)}: "
            "give one ambient value, one per time step, or one per transformer and time step."
        )
    low, high = AMBIENT_RANGE_C
    outside = (ambient < low) | (ambient > high)
    if outside.any():
        position = int(np.flatnonzero(outside)[0])
        raise InputError(
            f"{_where('ambient_c', position, ambient.shape, index)} is "
            f"{ambient.flat[position]:g} °C, outside {low:g}..{high:g} °C."
        )
    ambient = np.broadcast_to(ambient, (m, n))
    if index is None:
        dt = _dt_from_argument(dt_minutes, m, n)
    return Profile(load, ambient, dt, index, squeeze)


def _dt_from_argument(dt_minutes: Any, m: int, n: int) -> np.ndarray:
    if dt_minutes is None:
        raise InputError(
            "dt_minutes is required when load_pu is not a pandas Series with a DatetimeIndex."
        )
    step = np.asarray(dt_minutes, dtype=np.float64)
    if step.ndim == 0:
        if not (np.isfinite(step) and step > 0):
            raise InputError(
                f"dt_minutes must be a positive number of minutes, got {dt_minutes!r}."
            )
        dt = np.full(n, float(step))
    else:
        if step.shape not in ((n,), (m, n)):
            raise InputError(
                f"dt_minutes has shape {step.shape} but load_pu has {n} time steps: give one "
                f"step per time step, or ({m}, {n}) for one row per transformer."
            )
        dt = step.copy()
        steps = dt[..., 1:]
        bad = ~(np.isfinite(steps) & (steps > 0))
        if bad.any():
            row, col = divmod(int(np.flatnonzero(bad)[0]), max(n - 1, 1))
            where = f"row {row}, position {col + 1}" if dt.ndim == 2 else f"position {col + 1}"
            raise InputError(f"dt_minutes at {where} must be a positive number of minutes.")
    dt[..., 0] = 0.0
    return dt
