"""The dashboard's physics panels: capability, what-if and forecast obey the thermal physics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from thermowatch.dashboard import physics
from thermowatch.data.simulator import SAMPLE_SPEC, simulate_sample
from thermowatch.errors import InputError
from thermowatch.thermal.limits import NORMAL_CYCLIC


@pytest.fixture(scope="module")
def recent():
    frame = simulate_sample(days=2, seed=1).frame.set_index("horodatage")
    frame.index = pd.DatetimeIndex(frame.index).tz_localize("UTC")
    return frame.iloc[-288:]


def _state(frame, extra_pu=0.0):
    d = physics.drivers(frame, SAMPLE_SPEC)
    d = physics.Drivers(d.index, d.load_pu + extra_pu, d.ambient_c, d.top_oil_c, d.hot_spot_c, True)
    return d, physics.replay(SAMPLE_SPEC, d).final_state


def test_capability_falls_with_duration_and_with_a_hotter_state(recent):
    _, cool = _state(recent)
    _, hot = _state(recent, extra_pu=0.5)
    cap_cool = physics.capability(SAMPLE_SPEC, cool, 25.0)
    cap_hot = physics.capability(SAMPLE_SPEC, hot, 25.0)
    loads_cool = [v for _, v in cap_cool]
    assert [m for m, _ in cap_cool] == [30, 120, 480]
    assert loads_cool == sorted(loads_cool, reverse=True)  # longer -> less load allowed
    assert all(h <= c + 1e-9 for (_, h), (_, c) in zip(cap_hot, cap_cool, strict=True))
    assert cap_hot[0][1] < cap_cool[0][1]  # 30 min from a hot state: strictly less
    # the 8 h answer really is the boundary: a bit more crosses the hot-spot limit
    m8 = cap_cool[2][1]
    over = physics.what_if(SAMPLE_SPEC, cool, 25.0, m8 + 0.02, 8)
    under = physics.what_if(SAMPLE_SPEC, cool, 25.0, m8 - 0.02, 8)
    assert over.minutes_to_limit is not None and under.minutes_to_limit is None


def test_capability_is_lower_at_a_hotter_ambient(recent):
    _, state = _state(recent)
    at20 = physics.capability(SAMPLE_SPEC, state, 20.0)
    at35 = physics.capability(SAMPLE_SPEC, state, 35.0)
    assert all(b < a for (_, a), (_, b) in zip(at20[1:], at35[1:], strict=True))


def test_what_if_more_load_is_never_cooler(recent):
    _, state = _state(recent)
    low = physics.what_if(SAMPLE_SPEC, state, 25.0, 1.0, 4)
    high = physics.what_if(SAMPLE_SPEC, state, 25.0, 1.3, 4)
    assert np.all(high.hot_spot_c >= low.hot_spot_c - 1e-9)
    assert high.hot_spot_c.max() > low.hot_spot_c.max() + 5
    assert low.minutes[-1] == 240
    with pytest.raises(InputError, match="between 0 and 3 pu"):
        physics.what_if(SAMPLE_SPEC, state, 25.0, -1, 4)
    with pytest.raises(InputError, match="48 hours"):
        physics.what_if(SAMPLE_SPEC, state, 25.0, 1.0, 100)


def test_what_if_limit_time_matches_the_curve(recent):
    _, state = _state(recent)
    w = physics.what_if(SAMPLE_SPEC, state, 30.0, 1.6, 6)
    assert w.minutes_to_limit is not None
    i = int(np.flatnonzero(w.minutes == w.minutes_to_limit)[0])
    assert w.hot_spot_c[i] > NORMAL_CYCLIC.hot_spot_c or w.top_oil_c[i] > NORMAL_CYCLIC.top_oil_c
    assert w.hot_spot_c[:i].max() <= NORMAL_CYCLIC.hot_spot_c


def test_forecast_is_anchored(recent):
    d, state = _state(recent)
    f = physics.forecast_24h(SAMPLE_SPEC, d, state, "top_oil_temperature", 50.0, 1.5)
    assert len(f.index) == 145 and f.value[0] == pytest.approx(50.0)
    assert np.allclose(f.upper - f.value, 3.0) and f.source == "physics"


def test_drivers_need_a_load(recent):
    with pytest.raises(InputError, match="no load"):
        physics.drivers(recent.drop(columns=["courant (A)"]), SAMPLE_SPEC)
    with pytest.raises(InputError, match="no reading"):
        physics.drivers(recent.iloc[:0], SAMPLE_SPEC)


def test_ageing_doubles_every_six_kelvin():
    idx = pd.date_range("2026-01-01", periods=61, freq="1min", tz="UTC")
    a98 = physics.ageing(idx, np.full(61, 98.0), True)
    a104 = physics.ageing(idx, np.full(61, 104.0), True)
    assert a98.rate_now == pytest.approx(1.0)
    assert a104.loss_days == pytest.approx(2 * a98.loss_days)
    assert a98.loss_days == pytest.approx(60 / 1440)


@pytest.mark.parametrize("method", ["iec", "ieee"])
def test_the_state_follows_the_measured_temperatures(recent, method):
    d = physics.drivers(recent, SAMPLE_SPEC)
    from thermowatch.thermal import simulate

    state = simulate(SAMPLE_SPEC, pd.Series(d.load_pu, index=d.index), d.ambient_c,
                     initial="steady", method=method, hold_gaps=True).final_state  # fmt: skip
    moved = physics.measured_state(state, 70.0, 95.0, 25.0)
    # zero minutes at the present load: the temperatures are the measured ones
    now = physics.what_if(SAMPLE_SPEC, moved, 25.0, float(d.load_pu[-1]), 0.05)
    assert now.top_oil_c[0] == pytest.approx(70.0, abs=1e-6)
    assert now.hot_spot_c[0] == pytest.approx(95.0, abs=1e-6)
    only_oil = physics.measured_state(state, 70.0, None, 25.0)
    before = physics.what_if(SAMPLE_SPEC, state, 25.0, 1.0, 0.05)
    after = physics.what_if(SAMPLE_SPEC, only_oil, 25.0, 1.0, 0.05)
    assert after.top_oil_c[0] == pytest.approx(70.0, abs=1e-6)  # gradient kept
    gradient = before.hot_spot_c[0] - before.top_oil_c[0]
    assert after.hot_spot_c[0] - after.top_oil_c[0] == pytest.approx(gradient, abs=1e-6)


def test_past_a_limit_no_overload_is_permissible(recent):
    _, state = _state(recent)
    hot = physics.measured_state(state, 90.0, 140.0, 25.0)  # 140 °C hot spot, as seen on site
    cap = physics.capability(SAMPLE_SPEC, hot, 25.0)
    assert [v for _, v in cap] == [0.0, 0.0, 0.0]
    assert physics.past_limits(90.0, 140.0) == {"hot_spot": NORMAL_CYCLIC.hot_spot_c}
    assert physics.past_limits(60.0, 80.0) is None
    # from the simulated (cooler) state the same transformer would have been offered a margin
    assert physics.capability(SAMPLE_SPEC, state, 25.0)[0][1] > 0.5


def test_a_short_history_forecast_holds_the_present_load_without_a_jump(recent):
    # two hours of history: a light load two hours ago, a heavy one now
    short = recent.iloc[-12:].copy()
    d = physics.drivers(short, SAMPLE_SPEC)
    load = np.linspace(0.5, 1.2, len(d.index))
    d = physics.Drivers(d.index, load, np.full(len(load), 20.0), None, None, True)
    state = physics.replay(SAMPLE_SPEC, d).final_state
    f = physics.forecast_24h(SAMPLE_SPEC, d, state, "top_oil_temperature", None, None)
    # until the known 2 h come round (22 h ahead) the curve is smooth: no flat line at the
    # oldest reading's load, then a cliff
    steps = np.abs(np.diff(f.value[: 22 * 6]))
    assert steps.max() < 3.0
    # held at 1.2 pu the oil keeps warming for most of the day (not held at the old 0.5 pu)
    assert f.value[120] > f.value[0] + 5
