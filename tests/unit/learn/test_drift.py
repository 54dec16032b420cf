"""Drift checks tell 'the world moved' from 'the transformer changed' on known synthetic truth."""

from __future__ import annotations

import numpy as np
import pytest

from thermowatch.learn.drift import (
    DriftVerdict,
    check_drift,
    out_of_range_fraction,
    page_hinkley,
    psi,
)

HOURS_30D = 30 * 24


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(7)


def _year_inputs(rng: np.random.Generator, n: int = 8760) -> dict[str, np.ndarray]:
    t = np.arange(n)
    ambient = 12 + 8 * np.sin(2 * np.pi * t / 8760) + 4 * np.sin(2 * np.pi * t / 24)
    load = 0.6 + 0.2 * np.sin(2 * np.pi * (t - 6) / 24) + rng.normal(0, 0.05, n)
    return {"ambient": ambient + rng.normal(0, 1.0, n), "load": load}


def test_psi_is_zero_for_the_same_distribution_and_large_for_a_shift(rng):
    a = rng.normal(0, 1, 20_000)
    assert psi(a, rng.normal(0, 1, 5_000)) < 0.01
    assert psi(a, rng.normal(1.0, 1, 5_000)) > 0.25


def test_psi_counts_values_beyond_the_reference_range(rng):
    ref = rng.uniform(0, 1, 5_000)
    assert psi(ref, np.full(500, 5.0)) > 2.0  # all mass in the open upper bin


def test_out_of_range_fraction_uses_the_margin():
    ref = np.linspace(0.0, 10.0, 101)
    assert out_of_range_fraction(ref, np.array([10.4, 10.6, 5.0, -0.6])) == pytest.approx(0.5)


def test_page_hinkley_detects_a_shift_soon_after_it_starts(rng):
    x = rng.normal(0, 1, 2_000)
    x[1_000:] += 3.0
    ph = page_hinkley(x, delta=0.75, mean=0.0)
    first = int(np.argmax(ph > 50.0))
    assert 1_000 < first < 1_040  # ~2.25 K/sample accumulated after the change
    assert ph[:1_000].max() < 25.0  # in control before it


def test_page_hinkley_sees_a_downward_shift_too(rng):
    x = rng.normal(0, 0.5, 600)
    x[300:] -= 2.0
    assert page_hinkley(x, delta=0.5, mean=0.0)[-1] > 100.0


def test_stable_when_recent_data_looks_like_training(rng):
    inputs = _year_inputs(rng)
    recent = {k: v[4000 : 4000 + HOURS_30D] for k, v in _year_inputs(rng).items()}
    report = check_drift(inputs, recent, rng.normal(0, 1, 2000), rng.normal(0, 1, HOURS_30D))
    assert report.verdict is DriftVerdict.STABLE
    assert report.moved_inputs == []
    # A month of a seasonal input is a shifted distribution (PSI) yet inside the trained range.
    assert next(d for d in report.inputs if d.name == "ambient").shifted


def test_a_season_outside_the_training_range_is_the_world_moving(rng):
    inputs = _year_inputs(rng)
    hot = {
        "ambient": rng.normal(38.0, 2.0, HOURS_30D),  # a heat wave the year never had
        "load": inputs["load"][:HOURS_30D],
    }
    # The model extrapolates badly there, so residuals shift too: still "the world moved".
    report = check_drift(inputs, hot, rng.normal(0, 1, 2000), rng.normal(4, 1, HOURS_30D))
    assert report.verdict is DriftVerdict.WORLD_MOVED
    assert report.moved_inputs == ["ambient"]
    ambient = next(d for d in report.inputs if d.name == "ambient")
    assert ambient.out_of_range > 0.5 and ambient.ks_pvalue < 1e-6


def test_a_cooling_failure_is_the_transformer_changing(rng):
    inputs = _year_inputs(rng)
    recent = {k: v[2000 : 2000 + HOURS_30D] for k, v in _year_inputs(rng).items()}
    residuals = rng.normal(0, 1.0, HOURS_30D)
    residuals[HOURS_30D // 2 :] += 4.0  # +4 K at the same load from mid-window: a fan stage out
    report = check_drift(inputs, recent, rng.normal(0, 1.0, 2000), residuals)
    assert report.verdict is DriftVerdict.TRANSFORMER_CHANGED
    assert report.residual_alarm
    assert report.residual_shift == pytest.approx(2.0, abs=0.3)
    assert report.as_dict()["verdict"] == "transformer_changed"


def test_the_validation_bias_is_not_blamed_on_the_transformer(rng):
    inputs = _year_inputs(rng)
    recent = {k: v[:HOURS_30D] for k, v in inputs.items()}
    # A model that was 1 K warm on validation and is still 1 K warm: in control.
    report = check_drift(inputs, recent, rng.normal(1, 1, 2000), rng.normal(1, 1, HOURS_30D))
    assert report.verdict is DriftVerdict.STABLE
    assert abs(report.residual_shift) < 0.2
