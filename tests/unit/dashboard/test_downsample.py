"""Peak-keeping downsampling: bounded size, every bucket's extremes kept, time order, NaN."""

from __future__ import annotations

import numpy as np

from thermowatch.dashboard.downsample import align_minmax, minmax, minmax_indices


def _series(n=43_200, seed=3):
    rng = np.random.default_rng(seed)
    t = np.arange(n) * 60.0
    y = 60 + 10 * np.sin(2 * np.pi * t / 86_400) + rng.normal(0, 0.5, n)
    return t, y


def test_size_is_bounded_and_time_order_kept():
    t, y = _series()
    tt, yy = minmax(t, y, 1000)
    assert 900 <= tt.size <= 1000
    assert np.all(np.diff(tt) > 0)
    # every kept sample is a raw sample, unchanged
    assert np.array_equal(yy, y[np.searchsorted(t, tt)])


def test_global_and_local_peaks_survive():
    t, y = _series()
    y[12_345] = 140.0  # a one-minute spike: an average would hide it
    y[30_000] = -5.0
    _, yy = minmax(t, y, 500)
    assert yy.max() == 140.0 and yy.min() == -5.0
    # each of the 250 buckets keeps its own max: compare with a brute-force loop
    idx = minmax_indices(t, y, 500)
    edges = np.linspace(t[0], t[-1], 251)
    for lo, hi in zip(edges[:-1:25], edges[1::25], strict=True):
        inside = (t >= lo) & (t < hi)
        kept = idx[(t[idx] >= lo) & (t[idx] < hi)]
        assert y[inside].max() == y[kept].max()


def test_nan_is_dropped_and_short_series_unchanged():
    t = np.arange(10.0)
    y = np.array([1, np.nan, 3, 4, np.nan, 6, 7, 8, 9, 10.0])
    tt, yy = minmax(t, y, 100)
    assert tt.size == 8 and np.isfinite(yy).all()


def test_aligned_series_share_one_axis_and_keep_each_peak():
    t, y = _series()
    other = y.copy()
    other[777] = 200.0
    x, s = align_minmax(t, {"a": y, "b": other, "c": y + 1}, 1000)
    assert len({x.size, s["a"].size, s["b"].size, s["c"].size}) == 1
    assert s["b"].max() == 200.0
    assert x.size <= 3000
