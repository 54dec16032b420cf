"""The promotion rule: better by a margin, honest interval, plausible physics, enough data."""

from __future__ import annotations

import numpy as np
import pytest

from thermowatch.learn.promotion import decide_promotion

N = 24 * 14


@pytest.fixture
def window():
    rng = np.random.default_rng(3)
    measured = 60 + 10 * np.sin(np.arange(N) * 2 * np.pi / 24) + rng.normal(0, 1.0, N)
    champion = measured + rng.normal(0.8, 2.0, N)  # stale: biased and noisier
    challenger = measured + rng.normal(0.0, 1.0, N)
    half = 1.645 * 1.0  # a calibrated 90 % half-width for N(0, 1) errors
    return measured, champion, challenger, challenger - half, challenger + half


def test_a_better_calibrated_plausible_challenger_is_promoted(window):
    d = decide_promotion(*window, plausible=True)
    assert d.promote, d.reasons
    assert d.challenger_rmse < 0.6 * d.champion_rmse
    assert 0.85 <= d.challenger_coverage <= 0.95
    assert d.n == N


def test_a_worse_challenger_is_never_promoted(window):
    measured, champion, challenger, lo, hi = window
    d = decide_promotion(measured, challenger, champion, lo, hi, plausible=True)
    assert not d.promote and "not_better" in d.reasons


def test_equal_models_are_not_promoted_without_the_margin(window):
    measured, _, challenger, lo, hi = window
    d = decide_promotion(measured, challenger * 1.0, challenger, lo, hi, plausible=True)
    assert d.reasons == ("not_better",)


def test_an_overconfident_interval_is_refused(window):
    measured, champion, challenger, _, _ = window
    d = decide_promotion(measured, champion, challenger, challenger - 0.3, challenger + 0.3,
                         plausible=True)  # fmt: skip
    assert not d.promote and "coverage_low" in d.reasons
    assert d.challenger_coverage < 0.3


def test_a_useless_wide_interval_is_refused(window):
    measured, champion, challenger, _, _ = window
    d = decide_promotion(measured, champion, challenger, challenger - 10, challenger + 10,
                         plausible=True)  # fmt: skip
    assert d.reasons == ("coverage_high",)


def test_implausible_physics_is_refused_whatever_the_score(window):
    d = decide_promotion(*window, plausible=False)
    assert d.reasons == ("implausible",)


def test_too_few_samples_and_nan_rows_are_not_scored(window):
    measured, champion, challenger, lo, hi = (x.copy() for x in window)
    measured[100:] = np.nan
    d = decide_promotion(measured, champion, challenger, lo, hi, plausible=True)
    assert d.n == 100 and "too_few_samples" in d.reasons
    assert d.as_dict()["reasons"] == list(d.reasons)
