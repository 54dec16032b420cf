"""Bad input gets one clear error naming what and where."""

import numpy as np
import pandas as pd
import pytest

from thermowatch.errors import InputError
from thermowatch.thermal import TransformerSpec, simulate

SPEC = TransformerSpec.preset("ONAF")


@pytest.mark.parametrize(
    ("name", "value", "match"),
    [
        ("loss_ratio", float("nan"), "loss_ratio"),
        ("tau_oil_min", -5.0, "tau_oil_min"),
        ("k21", 0.5, "k21"),
        ("hot_spot_factor", float("inf"), "hot_spot_factor"),
        ("cooling", "AIR", "cooling"),
        ("rated_current_a", 0.0, "rated_current_a"),
    ],
)
def test_spec_validation_names_the_parameter(name, value, match):
    with pytest.raises(InputError, match=match):
        TransformerSpec.preset("ONAF", **{name: value})


def test_unknown_preset_and_unknown_key_are_named():
    with pytest.raises(InputError, match="'XYZ'"):
        TransformerSpec.preset("XYZ")
    with pytest.raises(InputError, match="'top_oil_rise'"):
        TransformerSpec.from_mapping({"preset": "ONAF", "top_oil_rise": 50})


def test_preset_overrides_and_names():
    spec = TransformerSpec.preset("onaf", top_oil_rise_k=45.0)
    assert spec.top_oil_rise_k == 45.0 and spec.cooling == "ONAF" and spec.tau_oil_min == 150


def test_nan_load_is_located():
    load = np.ones(10)
    load[4] = np.nan
    with pytest.raises(InputError, match="load_pu at position 4 is NaN"):
        simulate(SPEC, load, 20.0, 1.0)


def test_nan_gap_can_be_held_explicitly():
    load = np.array([1.0, np.nan, np.nan, 0.5])
    held = simulate(SPEC, load, 20.0, 1.0, hold_gaps=True)
    ref = simulate(SPEC, np.array([1.0, 1.0, 1.0, 0.5]), 20.0, 1.0)
    np.testing.assert_allclose(held.hot_spot_c, ref.hot_spot_c)


def test_negative_load_inf_ambient_and_amperes_are_refused():
    with pytest.raises(InputError, match="position 2 is negative"):
        simulate(SPEC, np.array([1.0, 1.0, -0.1]), 20.0, 1.0)
    with pytest.raises(InputError, match="ambient_c at position 1 is an infinite value"):
        simulate(SPEC, np.ones(3), np.array([20.0, np.inf, 20.0]), 1.0)
    with pytest.raises(InputError, match="amperes"):
        simulate(SPEC, np.array([850.0, 900.0]), 20.0, 1.0)


def test_mismatched_lengths_are_refused():
    with pytest.raises(InputError, match="shape"):
        simulate(SPEC, np.ones(12), np.ones(10), 1.0)


def test_timestamps_must_increase_and_the_row_is_named():
    index = pd.DatetimeIndex(["2024-01-01 00:00", "2024-01-01 00:10", "2024-01-01 00:05"])
    with pytest.raises(InputError, match="position 2 is not after"):
        simulate(SPEC, pd.Series([1.0, 1.0, 1.0], index=index), 20.0)


def test_missing_time_step_is_explained():
    with pytest.raises(InputError, match="dt_minutes is required"):
        simulate(SPEC, np.ones(3), 20.0)
