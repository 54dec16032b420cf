"""Issue 23: the season as the climate's annual cycle of fixed phase for short histories
without an ambient — bounded amplitude, offered only below a full year, monotone in load."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from thermowatch.learn.features import FeatureSpec, build_features
from thermowatch.learn.models import candidates, model_from_dict
from thermowatch.learn.models.season import MAX_AMPLITUDE_K, PEAK_DAY_OF_YEAR, MonotoneSeason

from .test_domain_and_folds import SPEC, _synthetic


def _fitted(frame: pd.DataFrame, days: int = 75) -> tuple[MonotoneSeason, pd.DataFrame]:
    features = build_features(frame, SPEC)
    age = np.asarray((frame.index - frame.index[0]) / pd.Timedelta("1D"))
    fit, val = age < days, (age >= days) & (age < days + 15)
    model = MonotoneSeason().fit(
        features, frame["y"].to_numpy(), fit, val, SPEC, refit_rows=fit | val
    )
    return model, features


def _amplitude(model: MonotoneSeason) -> tuple[float, float]:
    """The seasonal swing [K] and the day of its peak, read from the served linear form."""
    lin = model.linear
    names = list(lin.features)
    w = {c: lin.coef[names.index(c)] / lin.scale[names.index(c)] for c in ("doy_sin", "doy_cos")}
    peak = (np.degrees(np.arctan2(w["doy_sin"], w["doy_cos"])) % 360) / 360 * 365.25
    return float(np.hypot(w["doy_sin"], w["doy_cos"])), float(peak)


def test_offered_only_below_a_full_year_and_without_an_ambient():
    spring = pd.date_range("2021-03-01", periods=90 * 24, freq="h", tz="UTC")
    year = pd.date_range("2021-01-01", periods=366 * 24, freq="h", tz="UTC")
    with_ambient = FeatureSpec(("load", "amb"), ("load",), ("amb",), seasonal=False)
    assert MonotoneSeason.offered(spring, SPEC)
    assert not MonotoneSeason.offered(year, SPEC)
    assert not MonotoneSeason.offered(spring, with_ambient)
    assert MonotoneSeason in candidates("normal")


def test_the_phase_is_fixed_and_the_amplitude_bounded():
    """Spring data with a ±12 K season: the fitted cycle peaks on the fixed day, its swing is at
    most the bound, and a year later the prediction stays within the trained range ± the swing
    (no term extrapolates without bound)."""
    frame = _synthetic(120)
    model, features = _fitted(frame)
    swing, peak = _amplitude(model)
    assert 0 < swing <= MAX_AMPLITUDE_K + 1e-6
    assert peak == pytest.approx(PEAK_DAY_OF_YEAR, abs=0.5)
    later = _synthetic(365, start="2021-03-01", seed=1)
    predicted = model.predict(build_features(later, SPEC))
    trained = model.predict(features)
    assert predicted.max() <= trained.max() + 2 * MAX_AMPLITUDE_K
    assert predicted.min() >= trained.min() - 2 * MAX_AMPLITUDE_K


def test_a_steep_season_is_held_at_the_bound():
    """A season of ±60 K (no climate has one) is fitted with the bounded amplitude."""
    frame = _synthetic(120)
    day = frame.index.day_of_year.to_numpy()
    frame["y"] += 60 * np.cos(2 * np.pi * (day - PEAK_DAY_OF_YEAR) / 365.25)
    swing, _ = _amplitude(_fitted(frame)[0])
    assert swing == pytest.approx(MAX_AMPLITUDE_K, rel=1e-6)


def test_more_load_never_predicts_cooler_and_round_trips():
    frame = _synthetic(120, seed=3)
    model, base = _fitted(frame)
    rng = np.random.default_rng(7)
    for _ in range(5):
        hotter = frame.assign(load=frame["load"] * (1 + 0.5 * rng.random(len(frame))))
        raised = model.predict(build_features(hotter, SPEC)) - model.predict(base)
        assert raised.min() >= -1e-9
    again = model_from_dict(model.to_dict())
    assert isinstance(again, MonotoneSeason)
    assert np.allclose(again.predict(base), model.predict(base))
