"""Insulation ageing: IEC relative ageing rate and IEEE F_AA / F_EQA / loss of life."""

import numpy as np
import pytest

from thermowatch.thermal import (
    ieee_ageing_acceleration,
    ieee_equivalent_ageing,
    ieee_loss_of_life_percent,
    loss_of_life_days,
    relative_ageing_rate,
)

ONE_DAY = np.r_[0.0, np.full(1440, 1.0)]  # minutes before each of 1441 one-minute samples


def test_98_degrees_for_one_day_ages_one_day():
    assert loss_of_life_days(np.full(1441, 98.0), ONE_DAY) == pytest.approx(1.0, rel=1e-12)


def test_104_degrees_ages_two_days_per_day():
    assert loss_of_life_days(np.full(1441, 104.0), ONE_DAY) == pytest.approx(2.0, rel=1e-12)


def test_upgraded_paper_at_110_ages_one_day_per_day():
    days = loss_of_life_days(np.full(1441, 110.0), ONE_DAY, paper="upgraded")
    assert days == pytest.approx(1.0, rel=1e-12)


def test_rate_doubles_every_six_kelvin():
    rates = relative_ageing_rate([86.0, 92.0, 98.0, 104.0, 110.0])
    np.testing.assert_allclose(rates, [0.25, 0.5, 1.0, 2.0, 4.0])


def test_ieee_acceleration_matches_published_table():
    # IEEE C57.91 Figure/Table values: F_AA(120 °C) ≈ 2.71, F_AA(130 °C) ≈ 7.0.
    assert ieee_ageing_acceleration(120.0) == pytest.approx(2.71, abs=0.01)
    assert ieee_ageing_acceleration(130.0) == pytest.approx(6.98, abs=0.02)


def test_ieee_equivalent_ageing_and_loss_of_life():
    theta = np.r_[np.full(720, 110.0), np.full(720, 120.0)]
    dt = np.ones(1440)
    feqa = ieee_equivalent_ageing(theta, dt)
    assert feqa == pytest.approx((1.0 + ieee_ageing_acceleration(120.0)) / 2)
    # 24 h at F_EQA over a 180 000 h normal life.
    assert ieee_loss_of_life_percent(theta, dt) == pytest.approx(feqa * 24 * 100 / 180_000)


def test_fleet_loss_of_life_per_transformer():
    theta = np.vstack([np.full(1441, 98.0), np.full(1441, 104.0)])
    np.testing.assert_allclose(loss_of_life_days(theta, ONE_DAY), [1.0, 2.0])
