"""Peak-keeping downsampling of time series for the charts (vectorised numpy, no Python loop).

A screen is ~1,000-2,000 pixels wide: sending 43,200 points per series for a 30-day window
wastes bandwidth and drawing time, but averaging would hide exactly what an operator looks
for, the peaks. :func:`minmax` splits the time axis into equal buckets and keeps, in each,
the lowest and the highest sample in their time order, so every peak and trough of the raw
series is still drawn (the M4 idea, minus first/last, which a line chart does not need).
"""

from __future__ import annotations

import numpy as np


def minmax_indices(t: np.ndarray, y: np.ndarray, points: int = 1000) -> np.ndarray:
    """Positions in ``(t, y)`` of each bucket's minimum and maximum, in time order.

    Parameters
    ----------
    t
        Times, increasing (any numeric unit, e.g. epoch seconds [s]); shape ``(n,)``.
    y
        Values (e.g. temperature [°C]); NaN samples are never kept.
    points
        Largest number of positions returned (two per bucket).
    """
    t = np.asarray(t, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    finite = np.flatnonzero(np.isfinite(y))
    if finite.size < y.size:
        return finite[minmax_indices(t[finite], y[finite], points)]
    n = t.size
    if n <= points or points < 2:
        return np.arange(n)
    buckets = points // 2
    span = t[-1] - t[0]
    if span <= 0:
        return np.arange(points)
    # Bucket of each sample; times are sorted, so each bucket is a contiguous run.
    bucket = np.minimum(((t - t[0]) * (buckets / span)).astype(np.int64), buckets - 1)
    starts = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])
    lows = np.minimum.reduceat(y, starts)
    highs = np.maximum.reduceat(y, starts)
    run = np.repeat(np.arange(starts.size), np.diff(np.r_[starts, n]))
    # First position of each bucket's minimum and maximum: the first match in each run.
    low_pos = _first_match(y == lows[run], run, starts.size)
    high_pos = _first_match(y == highs[run], run, starts.size)
    return np.unique(np.concatenate([low_pos, high_pos]))  # sorted: time order kept


def minmax(t: np.ndarray, y: np.ndarray, points: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """At most ``points`` samples of ``(t, y)`` keeping each bucket's minimum and maximum.

    See :func:`minmax_indices`; NaN samples are dropped. Returns ``(t, y)`` of the kept samples.
    """
    t = np.asarray(t, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    idx = minmax_indices(t, y, points)
    return t[idx], y[idx]


def _first_match(mask: np.ndarray, run: np.ndarray, runs: int) -> np.ndarray:
    positions = np.flatnonzero(mask)
    first = np.full(runs, -1, dtype=np.int64)
    # Assign in reverse so that the smallest position of each run is written last.
    first[run[positions[::-1]]] = positions[::-1]
    return first[first >= 0]


def align_minmax(
    t: np.ndarray, series: dict[str, np.ndarray], points: int = 1000
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Downsample several series sharing the time axis ``t`` onto one axis (what a chart needs).

    The union of the instants each series keeps is taken; at those instants every series
    gives its raw value (NaN where it has none), so the peaks of each are there and the
    series stay aligned. At most ``points × len(series)`` samples.
    """
    t = np.asarray(t, dtype=np.float64)
    arrays = {k: np.asarray(v, dtype=np.float64) for k, v in series.items()}
    if t.size <= points:
        return t, arrays
    kept = [minmax_indices(t, v, points) for v in arrays.values()]
    idx = np.unique(np.concatenate(kept)) if kept else np.arange(0, t.size, t.size // points)
    return t[idx], {k: v[idx] for k, v in arrays.items()}
