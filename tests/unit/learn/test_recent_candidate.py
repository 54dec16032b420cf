"""Issue 23: the recency-weighted monotone candidate for short histories, and physics as a
constraint (more load never predicts a cooler transformer)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from thermowatch.learn.features import build_features
from thermowatch.learn.models import candidates, model_from_dict
from thermowatch.learn.models.normal import (
    RECENT_HALF_LIFE_DAYS,
    MonotoneRecent,
    MonotoneThermal,
    recency_weights,
)

from .test_domain_and_folds import SPEC, _synthetic


def test_recency_weights_halve_every_half_life():
    times = pd.date_range("2021-01-01", periods=3, freq=f"{RECENT_HALF_LIFE_DAYS:g}D", tz="UTC")
    assert recency_weights(times, RECENT_HALF_LIFE_DAYS) == pytest.approx([0.25, 0.5, 1.0])
    assert recency_weights(times, None) is None


def test_the_recent_candidate_fits_no_day_of_year_term_even_with_a_full_year():
    """Its weights halve every fortnight: its effective data never spans a year, so it holds
    bounded drift ramps where the equally weighted fit of a full year has day-of-year terms."""
    frame = _synthetic(400, start="2021-01-01")
    plain = _fitted(MonotoneThermal(), frame, days=370)
    recent = _fitted(MonotoneRecent(), frame, days=370)
    assert {"doy_sin", "doy_cos"} <= set(plain.linear.features)
    assert not {"doy_sin", "doy_cos"} & set(recent.linear.features)
    assert any(name.startswith("drift") for name in recent.linear.features)
    # The registry offers it to training whatever the length: the rule decides.
    assert MonotoneRecent in candidates("normal")
    assert not hasattr(MonotoneRecent, "enabled")


def _fitted(model: MonotoneThermal, frame: pd.DataFrame, days: int = 75):
    features = build_features(frame, SPEC)
    age = np.asarray((frame.index - frame.index[0]) / pd.Timedelta("1D"))
    fit, val = age < days, (age >= days) & (age < days + 15)
    return model.fit(features, frame["y"].to_numpy(), fit, val, SPEC, refit_rows=fit | val)


def test_recent_weights_follow_the_latest_regime():
    """The level moves through training: the recent fit ends nearer the last weeks' level."""
    frame = _synthetic(120)
    plain, recent = _fitted(MonotoneThermal(), frame), _fitted(MonotoneRecent(), frame)
    features = build_features(frame, SPEC)
    last = frame.index >= frame.index[0] + pd.Timedelta("76D")
    last &= frame.index < frame.index[0] + pd.Timedelta("90D")
    y = frame["y"].to_numpy()[last]

    def bias(model):
        return abs(float(np.mean(model.predict(features[last]) - y)))

    assert bias(recent) <= bias(plain) + 0.05
    assert not np.allclose(recent.linear.coef, plain.linear.coef)
    again = model_from_dict(recent.to_dict())
    assert isinstance(again, MonotoneThermal)
    assert np.allclose(again.predict(features), recent.predict(features))


@pytest.mark.parametrize("model", [MonotoneThermal(), MonotoneRecent()], ids=lambda m: m.name)
def test_more_load_never_predicts_cooler(model):
    """Physics as a constraint: the same history with every load raised by 0-50 % (any
    pattern) predicts a temperature at least as high at every instant."""
    frame = _synthetic(120, seed=3)
    fitted = _fitted(model, frame)
    rng = np.random.default_rng(7)
    base = build_features(frame, SPEC)
    for _ in range(5):
        hotter = frame.assign(load=frame["load"] * (1 + 0.5 * rng.random(len(frame))))
        raised = fitted.predict(build_features(hotter, SPEC)) - fitted.predict(base)
        assert raised.min() >= -1e-9
