"""The statistics behind shadow and A/B comparisons: intervals that cover a null difference and
exclude a real one."""

from __future__ import annotations

import math

import numpy as np

from thermowatch.learn.accuracy import paired_rmse_difference, welch_difference


def test_paired_bootstrap_interval_covers_zero_for_equal_models_and_not_for_a_bias():
    rng = np.random.default_rng(1)
    champ, same = rng.normal(0, 1, 24 * 14), rng.normal(0, 1, 24 * 14)
    null = paired_rmse_difference(champ, same)
    assert null["ci_low_k"] < 0 < null["ci_high_k"]
    worse = paired_rmse_difference(champ, champ + 1.5)
    assert worse["ci_low_k"] > 0
    assert math.isclose(
        worse["difference_k"], worse["challenger_rmse_k"] - worse["champion_rmse_k"]
    )


def test_paired_bootstrap_needs_enough_pairs():
    out = paired_rmse_difference(np.zeros(10), np.ones(10))
    assert out["n"] == 10 and math.isnan(out["ci_low_k"])


def test_welch_interval_of_two_arms():
    rng = np.random.default_rng(2)
    a, b = rng.normal(1.0, 0.2, 20), rng.normal(1.5, 0.4, 15)
    out = welch_difference(a, b)
    assert out["ci_low"] < 0.5 < out["ci_high"] and out["ci_low"] > 0
    assert math.isnan(welch_difference([1.0], [2.0, 3.0])["ci_low"])
