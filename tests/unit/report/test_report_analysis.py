"""The numbers behind the recommendations, on series where they are known exactly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from thermowatch.report.analysis import (
    hours_above,
    insulation_ageing,
    overload_episodes,
    residual_trend_k_per_month,
    sample_minutes,
    time_above,
)

STEP = pd.Timedelta("10min")


def _series(values, start="2024-07-01", freq="10min"):
    index = pd.date_range(start, periods=len(values), freq=freq, tz="UTC")
    return pd.Series(np.asarray(values, dtype=float), index=index)


def test_a_hole_counts_as_one_step_not_as_time_at_the_next_temperature():
    index = pd.DatetimeIndex(
        ["2024-01-01 00:00", "2024-01-01 00:10", "2024-01-01 05:00", "2024-01-01 05:10"], tz="UTC"
    )
    assert sample_minutes(index, STEP).tolist() == [10, 10, 10, 10]


def test_time_above_counts_hours_and_says_when():
    values = np.full(6 * 24 * 10, 60.0)  # ten July days at 60 °C
    values[6 * 24 * 2 + 6 * 14 : 6 * 24 * 2 + 6 * 17] = 95.0  # 3 h, 14:00-17:00 UTC on day 3
    load = _series(np.where(values > 90, 1.2, 0.6))
    ex = time_above(_series(values), 90.0, STEP, load)
    assert ex.hours == pytest.approx(3.0)
    assert ex.share == pytest.approx(3 / 240)
    assert ex.seasons == ["summer"] and ex.months == [7]
    assert ex.typical_hour in (14, 15, 16)
    assert ex.load_mean_pu == pytest.approx(1.2) and ex.load_max_pu == pytest.approx(1.2)
    assert time_above(_series(values), 99.0, STEP).hours == 0


def test_overload_episodes_need_30_minutes_and_end_at_holes():
    load = np.full(200, 0.7)
    load[10:13] = 1.1  # 30 min: counts
    load[50:52] = 1.3  # 20 min: too short
    load[100:124] = 1.05  # 4 h: the longest
    ov = overload_episodes(_series(load), STEP)
    assert (ov.count, ov.longest_hours, ov.max_pu) == (2, pytest.approx(4.0), pytest.approx(1.3))


def test_ageing_at_98_c_is_one_year_per_year_and_doubles_every_6_k():
    assert insulation_ageing(_series(np.full(1440, 98.0)), STEP).years_per_year == pytest.approx(1)
    ageing = insulation_ageing(_series(np.full(1440, 104.0)), STEP)
    assert ageing.years_per_year == pytest.approx(2.0)
    assert ageing.period_days == pytest.approx(10.0)
    assert ageing.loss_days == pytest.approx(20.0)


def test_residual_trend_in_kelvin_per_month():
    days = np.arange(6 * 24 * 120) / (6 * 24)
    noise = np.random.default_rng(0).normal(0, 0.5, days.size)
    assert residual_trend_k_per_month(_series(days / (365.25 / 12) + noise)) == pytest.approx(
        1.0, abs=0.03
    )
    assert np.isnan(residual_trend_k_per_month(_series([1.0, 2.0])))


def test_hours_above_is_strict():
    assert hours_above(_series([120.0, 120.1, 121.0]), 120.0, STEP) == pytest.approx(20 / 60)
