"""The IEC estimate feature reads coarse readings as samples of moving signals."""

from __future__ import annotations

import numpy as np

from thermowatch.learn.features import iec_estimate
from thermowatch.thermal import TransformerSpec, simulate

SPEC = TransformerSpec.preset("ONAF").with_(rated_current_a=1000.0)


def _minute_truth(seed: int = 3, days: int = 3):
    """A load moving within minutes (1-minute truth) and its 10-minute readings."""
    rng = np.random.default_rng(seed)
    n = days * 1440
    t = np.arange(n)
    noise = np.zeros(n)
    for i in range(1, n):  # AR(1), correlation time 20 min
        noise[i] = noise[i - 1] * np.exp(-1 / 20) + rng.normal(0, 0.016)
    load = 0.8 + 0.2 * np.sin(2 * np.pi * t / 1440) + noise
    ambient = 20 + 5 * np.sin(2 * np.pi * (t - 300) / 1440)
    truth = simulate(SPEC, load, ambient, 1.0).hot_spot_c
    every = slice(0, None, 10)
    return load[every], ambient[every], truth[every]


def test_ten_minute_readings_are_interpolated_closer_to_the_truth_than_held():
    load, ambient, truth = _minute_truth()
    dt = np.r_[0.0, np.full(load.size - 1, 10.0)]
    hot_spot, top_oil = iec_estimate(SPEC, load, ambient, dt)
    held = simulate(SPEC, load, ambient, dt).hot_spot_c
    warm = slice(200, None)
    error = np.sqrt(np.mean((hot_spot[warm] - truth[warm]) ** 2))
    error_held = np.sqrt(np.mean((held[warm] - truth[warm]) ** 2))
    assert error < 0.75 * error_held
    assert np.all(hot_spot >= top_oil - 1e-9)


def test_interpolated_estimate_never_drops_when_one_reading_rises():
    load, ambient, _ = _minute_truth(days=1)
    dt = np.r_[0.0, np.full(load.size - 1, 10.0)]
    base, _ = iec_estimate(SPEC, load, ambient, dt)
    for k in (10, 70, 120):
        step = np.zeros(load.size)
        step[k] = 0.5
        for moved_inputs in ((load + step, ambient), (load, ambient + step)):
            moved, _ = iec_estimate(SPEC, *moved_inputs, dt)
            assert np.all(moved >= base - 1e-9)
            assert moved[k] > base[k]


def test_one_minute_readings_are_not_sub_stepped():
    load, ambient, _ = _minute_truth(days=1)
    dt = np.r_[0.0, np.full(load.size - 1, 1.0)]
    hot_spot, _ = iec_estimate(SPEC, load, ambient, dt)
    np.testing.assert_allclose(hot_spot, simulate(SPEC, load, ambient, dt).hot_spot_c)
