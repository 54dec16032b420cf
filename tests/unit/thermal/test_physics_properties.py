"""Properties of the physics: steady state, monotonicity, fleets, IEEE model, rating."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thermowatch.thermal import (
    TransformerSpec,
    max_load_pu,
    preset_names,
    simulate,
    steady_state,
    time_to_limit_minutes,
)

SPECS = [TransformerSpec.preset(name) for name in preset_names()]
loads = st.floats(0.0, 2.0)
ambients = st.floats(-30.0, 45.0)


@settings(max_examples=40, deadline=None)
@given(
    spec=st.sampled_from(SPECS),
    load=loads,
    ambient=ambients,
    method=st.sampled_from(["iec", "ieee"]),
)
def test_constant_input_settles_to_closed_form_steady_state(spec, load, ambient, method):
    result = simulate(spec, np.full(3000, load), ambient, 5.0, initial="cold", method=method)
    top_ss, hot_ss = steady_state(spec, load, ambient, method=method)
    assert result.top_oil_c[-1] == pytest.approx(top_ss, abs=1e-6)
    assert result.hot_spot_c[-1] == pytest.approx(hot_ss, abs=1e-6)


@settings(max_examples=40, deadline=None)
@given(
    spec=st.sampled_from(SPECS),
    load=st.floats(0.0, 1.8),
    extra=st.floats(0.01, 0.5),
    ambient=ambients,
)
def test_temperatures_rise_with_load(spec, load, extra, ambient):
    low = simulate(spec, np.full(200, load), ambient, 3.0, initial=ambient)
    high = simulate(spec, np.full(200, load + extra), ambient, 3.0, initial=ambient)
    assert np.all(high.hot_spot_c >= low.hot_spot_c - 1e-9)
    assert np.all(high.top_oil_c >= low.top_oil_c - 1e-9)
    assert high.hot_spot_c[-1] > low.hot_spot_c[-1]


@settings(max_examples=40, deadline=None)
@given(spec=st.sampled_from(SPECS), load=loads, ambient=ambients, extra=st.floats(0.5, 20.0))
def test_temperatures_rise_with_ambient(spec, load, ambient, extra):
    low = simulate(spec, np.full(200, load), ambient, 3.0)
    high = simulate(spec, np.full(200, load), ambient + extra, 3.0)
    assert np.all(high.hot_spot_c > low.hot_spot_c)


def test_fleet_rows_equal_single_runs():
    rng = np.random.default_rng(5)
    load = rng.uniform(0.2, 1.4, size=(4, 1440))
    ambient = 15 + 5 * np.sin(np.linspace(0, 6.28, 1440))
    specs = [TransformerSpec.preset(name) for name in ("ONAN", "ONAF", "OF", "OD")]
    fleet = simulate(specs, load, ambient, 1.0)
    assert fleet.hot_spot_c.shape == (4, 1440)
    for row, spec in enumerate(specs):
        single = simulate(spec, load[row], ambient, 1.0)
        np.testing.assert_allclose(fleet.hot_spot_c[row], single.hot_spot_c, atol=1e-9)


def test_continuing_from_final_state_equals_one_run():
    rng = np.random.default_rng(1)
    load = rng.uniform(0.3, 1.3, 2000)
    spec = TransformerSpec.preset("ONAF")
    whole = simulate(spec, load, 20.0, 1.0)
    first = simulate(spec, load[:1000], 20.0, 1.0)
    # The second part starts one step after the first part's last sample.
    second = simulate(spec, load[1000:], 20.0, np.r_[1.0, np.ones(999)], initial=first.final_state)
    # initial state holds at the first sample (dt[0] ignored), so compare from the 2nd on.
    np.testing.assert_allclose(second.hot_spot_c[1:], whole.hot_spot_c[1001:], atol=0.05)


def test_series_in_series_out_with_irregular_index():
    index = pd.DatetimeIndex(["2024-01-01 00:00", "2024-01-01 00:10", "2024-01-01 01:00"])
    result = simulate(TransformerSpec.preset("ONAN"), pd.Series([1.0, 1.2, 0.8], index=index), 20.0)
    assert isinstance(result.hot_spot_c, pd.Series)
    assert list(result.hot_spot_c.index) == list(index)
    np.testing.assert_allclose(result.dt_minutes, [0, 10, 50])
    frame = result.to_frame()
    assert list(frame.columns) == ["top_oil_c", "hot_spot_c"]


def test_ieee_top_oil_follows_ambient_instantly_and_iec_does_not():
    spec = TransformerSpec.preset("ONAF")
    ambient = np.r_[np.full(10, 20.0), np.full(10, 30.0)]
    iec = simulate(spec, np.ones(20), ambient, 1.0, method="iec")
    ieee = simulate(spec, np.ones(20), ambient, 1.0, method="ieee")
    assert ieee.top_oil_c[10] - ieee.top_oil_c[9] == pytest.approx(10.0)
    assert iec.top_oil_c[10] - iec.top_oil_c[9] < 1.0


def test_max_load_reaches_the_limit_exactly():
    spec = TransformerSpec.preset("ONAF")
    k = max_load_pu(spec, 30.0, hot_spot_limit_c=120.0, top_oil_limit_c=None)
    assert steady_state(spec, k, 30.0)[1] == pytest.approx(120.0, abs=1e-6)
    colder = max_load_pu(spec, [0.0, 20.0, 40.0], top_oil_limit_c=None)
    assert colder[0] > colder[1] > colder[2]


def test_time_to_limit_agrees_with_simulation():
    spec = TransformerSpec.preset("ONAF")
    minutes = time_to_limit_minutes(spec, 1.6, 30.0, 120.0, initial=0.8)
    assert 0 < minutes < 600
    run = simulate(spec, np.r_[0.8, np.full(6000, 1.6)], 30.0, 0.1)
    reached = np.flatnonzero(run.hot_spot_c >= 120.0)[0] * 0.1
    assert minutes == pytest.approx(reached, abs=0.15)
    assert time_to_limit_minutes(spec, 0.5, 20.0, 120.0, initial=0.5) == float("inf")
