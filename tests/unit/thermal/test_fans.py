"""ONAF fan switching on top-oil thresholds with hysteresis."""

import numpy as np
import pandas as pd
import pytest

from thermowatch.errors import InputError
from thermowatch.thermal import FanControl, TransformerSpec, simulate
from ttm_reference import random_profile, run_reference_with_fans

FANS_ON = TransformerSpec.preset(
    "ONAF", top_oil_rise_k=50, hot_spot_gradient_k=20, loss_ratio=5, rated_current_a=1000
)
FANS_OFF = TransformerSpec.preset(
    "ONAN",
    top_oil_rise_k=60,
    hot_spot_gradient_k=22,
    loss_ratio=5,
    rated_current_a=800,
    tau_oil_min=150,
    tau_winding_min=7,
)


@pytest.fixture(scope="module")
def week():
    index, load, ambient = random_profile(7 * 1440, seed=2)
    return index, load * 1.1, ambient


def test_switching_matches_reference_package(week):
    pytest.importorskip("transformer_thermal_model")
    index, load, ambient = week
    ref_top, ref_hot = run_reference_with_fans(
        FANS_ON, FANS_OFF, 50, 40, index, load, ambient, fans_off_rated_current_a=800
    )
    ours = simulate(
        FANS_ON,
        pd.Series(load, index=index),
        ambient,
        initial="cold",
        fans=FanControl(FANS_OFF, on_above_c=50, off_below_c=40),
    )
    assert np.max(np.abs(ours.top_oil_c.to_numpy() - ref_top)) <= 0.05
    assert np.max(np.abs(ours.hot_spot_c.to_numpy() - ref_hot)) <= 0.05


def test_hysteresis_holds_between_thresholds(week):
    _, load, ambient = week
    result = simulate(
        FANS_ON, load, ambient, 1.0, initial="cold", fans=FanControl(FANS_OFF, 50, 40)
    )
    fans, top = result.fans_on, result.top_oil_c
    starts = np.flatnonzero(~fans[:-1] & fans[1:]) + 1
    stops = np.flatnonzero(fans[:-1] & ~fans[1:]) + 1
    assert starts.size >= 3 and stops.size >= 3  # the week really switches, both ways
    # Fans start on the step after the top oil reaches 50 °C and stop after it falls to 40 °C.
    assert np.all(top[starts - 1] >= 50) and np.all(top[stops - 1] <= 40)
    # Fans that keep running saw the oil above 40 °C; fans that stay stopped saw it below 50 °C.
    assert np.all(top[:-1][fans[:-1] & fans[1:]] > 40)
    assert np.all(top[:-1][~fans[:-1] & ~fans[1:]] < 50)


def test_fans_keep_the_oil_cooler_than_natural_cooling(week):
    _, load, ambient = week
    natural = simulate(FANS_OFF, load * 1000 / 800, ambient, 1.0, initial="cold")
    switched = simulate(
        FANS_ON, load, ambient, 1.0, initial="cold", fans=FanControl(FANS_OFF, 50, 40)
    )
    assert switched.top_oil_c.max() < natural.top_oil_c.max() - 3


def test_thresholds_must_leave_a_hysteresis_band():
    with pytest.raises(InputError, match="off_below_c"):
        FanControl(FANS_OFF, on_above_c=50, off_below_c=55)
