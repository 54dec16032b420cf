"""The model seam: monotone normal behaviour, the written selection rule, adaptive intervals,
JSON round trips through the registry."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from thermowatch.errors import InputError
from thermowatch.learn.features import FeatureSpec, build_features
from thermowatch.learn.intervals import rolling_half_widths
from thermowatch.learn.models import REGISTRY, model_from_dict
from thermowatch.learn.models.normal import MonotoneThermal
from thermowatch.learn.selection import Candidate, choose

LOADS = ("courant (A)", "puissance (MW)")
AMBIENT = "ambiante (°C)"


def _fitted_monotone(with_ambient: bool, seed: int = 0) -> tuple[MonotoneThermal, FeatureSpec]:
    """A monotone model fitted on noisy data whose truth makes it *want* negative weights."""
    rng = np.random.default_rng(seed)
    n = 3000
    index = pd.date_range("2024-01-01", periods=n, freq="15min", tz="UTC")
    current = 300 + 200 * np.sin(np.arange(n) / 40) + rng.normal(0, 60, n)
    power = current * 0.1 + rng.normal(0, 10, n)  # collinear with the current
    ambient = 15 + 8 * np.sin(np.arange(n) / 96) + rng.normal(0, 1, n)
    frame = pd.DataFrame({LOADS[0]: current, LOADS[1]: power}, index=index)
    inputs: tuple[str, ...] = LOADS
    if with_ambient:
        frame[AMBIENT] = ambient
        inputs = (*LOADS, AMBIENT)
    spec = FeatureSpec(
        inputs,
        LOADS,
        (AMBIENT,) if with_ambient else (),
        scales={LOADS[0]: 600.0, LOADS[1]: 60.0},
        seasonal=not with_ambient,
    )
    features = build_features(frame, spec)
    # A truth with a negative dependence on one load: the fit must not follow it.
    y = 40 + 20 * features[f"{LOADS[0]}² ~180min"] - 6 * features[f"{LOADS[1]}² ~15min"]
    y = y.to_numpy() + (ambient if with_ambient else 0) + rng.normal(0, 0.5, n)
    fit = np.zeros(n, bool)
    fit[:2000] = True
    model = MonotoneThermal().fit(features, y, fit, ~fit, spec)
    return model, spec


@pytest.mark.parametrize("with_ambient", [True, False])
def test_a_step_up_of_any_load_or_ambient_never_lowers_the_prediction(with_ambient):
    """Sweep: every input stepped from 0.2 to 2 pu (alone or all together), at every time
    after the step, in steady state and in the transient."""
    model, spec = _fitted_monotone(with_ambient)
    index = pd.date_range("2024-03-01", periods=24 * 12 * 4, freq="5min", tz="UTC")
    step_at = 24 * 12
    drivers = [*spec.load_inputs, *spec.ambient_inputs]
    combos = [[d] for d in drivers] + [drivers]
    for base_pu in (0.2, 0.6, 1.0):
        for high_pu in (1.2, 2.0):
            for combo in combos:
                base = pd.DataFrame(
                    {
                        d: (base_pu * spec.scales[d] if d in spec.scales else 10.0)
                        for d in spec.inputs
                    },
                    index=index,
                )
                stepped = base.copy()
                for d in combo:
                    high = high_pu * spec.scales[d] if d in spec.scales else 10.0 + 30 * high_pu
                    stepped.iloc[step_at:, stepped.columns.get_loc(d)] = high
                before = model.predict(build_features(base, spec))
                after = model.predict(build_features(stepped, spec))
                assert np.all(after - before >= -1e-6), (combo, base_pu, high_pu)  # µK: rounding
                assert after[-1] > before[-1] - 1e-6


def test_monotone_model_json_round_trip_and_refuses_broken_weights():
    model, spec = _fitted_monotone(True)
    doc = json.loads(json.dumps(model.to_dict()))
    again = model_from_dict(doc)
    frame = pd.DataFrame(
        {c: np.linspace(1, 50, 200) for c in spec.inputs},
        index=pd.date_range("2024-01-01", periods=200, freq="15min", tz="UTC"),
    )
    features = build_features(frame, spec)
    np.testing.assert_allclose(again.predict(features), model.predict(features))
    with pytest.raises(InputError, match="unknown model kind"):
        model_from_dict({"kind": "pickle"})
    assert set(REGISTRY) >= {"thermal-monotone", "nowcast-ridge", "forecast-nlinear"}


def test_selection_follows_validation_not_names():
    a = Candidate("thermal-monotone", 1.00, 20)
    b = Candidate("other", 0.90, 30)
    assert choose("normal", [a, b]).chosen == "other"
    assert choose("normal", [Candidate("thermal-monotone", 0.80, 20), b]).chosen == (
        "thermal-monotone"
    )
    # A simpler candidate within 2 % is preferred; not when the best nests it.
    simple = Candidate("persistence", 0.915, 0)
    ridge = Candidate("nowcast-ridge", 0.90, 7)
    assert choose("nowcast", [simple, ridge]).chosen == "persistence"
    nesting = Candidate("nowcast-ridge", 0.90, 7, nests=("persistence",))
    verdict = choose("nowcast", [simple, nesting])
    assert verdict.chosen == "nowcast-ridge" and verdict.runner_up == "persistence"
    # Unservable candidates are scored, never served.
    gbm = Candidate("gradient-boosting", 0.5, 10**6, servable=False)
    assert choose("normal", [a, gbm]).chosen == "thermal-monotone"


def test_adaptive_intervals_cover_a_drifting_series():
    rng = np.random.default_rng(4)
    n = 6000
    scale = np.r_[np.full(2000, 0.5), np.linspace(0.5, 3.0, 2000), np.full(2000, 3.0)]
    bias = np.r_[np.zeros(3000), np.full(3000, 2.0)]  # the model starts missing a level
    residuals = (rng.normal(size=(n, 2)) * scale[:, None]) + bias[:, None]
    widths, state = rolling_half_widths(residuals, np.array([1, 10]), 0.9, 300)
    covered = np.abs(residuals[500:]) <= widths[500:]
    for h in range(2):
        assert 0.85 <= covered[:, h].mean() <= 0.95
        # ... and in every quarter of the period, drift or not.
        for part in np.array_split(covered[:, h], 4):
            assert 0.85 <= part.mean() <= 0.95
    # A fixed width calibrated on the calm start covers the drifting end badly.
    fixed = np.quantile(np.abs(residuals[:2000, 0]), 0.9)
    assert (np.abs(residuals[4000:, 0]) <= fixed).mean() < 0.5
    assert state.half_width().shape == (2,)


def test_steady_state_fast_path_matches_the_features_with_seasonal_terms():
    """A model without ambient trained on a month carries drift ramps (bounded levels) instead
    of day-of-year terms (issue 23); the service's closed form agrees, inside its training
    period and after it."""
    from datetime import UTC, datetime

    from thermowatch.learn.artifact import Predictor
    from thermowatch.learn.result import Thresholds
    from thermowatch.service.fastpath import SteadyState

    model, spec = _fitted_monotone(False)
    assert not {"doy_sin", "doy_cos"} & set(model.linear.features)
    assert sum(f.startswith("drift ") for f in model.linear.features) == 4
    predictor = Predictor(
        "m", {}, spec, model.linear, 1.0, Thresholds(80.0, 100.0, "cli"), target="y"
    )
    fast = SteadyState(predictor)
    for at in (
        datetime(2024, 1, 12, 4, 30, tzinfo=UTC),
        datetime(2024, 2, 3, 4, 30, tzinfo=UTC),
        datetime(2024, 8, 9, 17, 0, tzinfo=UTC),
    ):
        values = [450.0, 40.0]
        frame = pd.DataFrame([values], columns=list(spec.inputs), index=pd.DatetimeIndex([at]))
        expected = float(predictor.predict_frame(frame)["predicted"].iloc[0])
        assert fast.predict_one(values, at) == pytest.approx(expected, abs=1e-9)
        hours = np.array([at.hour + at.minute / 60.0])
        days = np.array([at.timetuple().tm_yday + hours[0] / 24.0])
        at_ns = np.array([pd.Timestamp(at).value])
        batch = fast.predict(np.array([values]), hours, days, at_ns)[0]
        assert batch == pytest.approx(expected, abs=1e-9)


def test_a_day_scale_load_response_is_held_inside_its_trained_range():
    """A response to load² slower than any IEC oil time constant (here ~1440 min) carries a
    day-scale correlation: beyond the range the fit saw it is held at the edge, saved so, while
    the faster (thermal) responses keep growing with the load."""
    rng = np.random.default_rng(3)
    n = 4000
    index = pd.date_range("2024-01-01", periods=n, freq="15min", tz="UTC")
    current = 300 + 150 * np.sin(np.arange(n) / 300) + rng.normal(0, 40, n)
    frame = pd.DataFrame({LOADS[0]: current}, index=index)
    spec = FeatureSpec((LOADS[0],), (LOADS[0],), (), scales={LOADS[0]: 600.0}, calendar=False)
    features = build_features(frame, spec)
    slow, fast = f"{LOADS[0]}² ~1440min", f"{LOADS[0]}² ~180min"
    y = 30 + 20 * features[fast] + 15 * features[slow] + rng.normal(0, 0.3, n)
    fit = np.arange(n) < 3000
    model = MonotoneThermal().fit(features, y.to_numpy(), fit, ~fit, spec)
    held = model.linear.held
    assert slow in held and fast not in held
    assert held[slow][1] == pytest.approx(features[slow][fit].max())
    beyond = features.copy()
    beyond[slow] = 10 * features[slow].max()
    at_edge = features.copy()
    at_edge[slow] = held[slow][1]
    np.testing.assert_allclose(model.predict(beyond), model.predict(at_edge))
    beyond[fast] = 10 * features[fast].max()  # the thermal response still grows
    assert np.all(model.predict(beyond) > model.predict(at_edge) + 1.0)
    again = model_from_dict(json.loads(json.dumps(model.to_dict())))
    np.testing.assert_allclose(again.predict(beyond), model.predict(beyond))
    doc = model.to_dict()
    doc["linear"]["held"] = {slow: [2.0, 1.0]}
    with pytest.raises(InputError, match="held range"):
        model_from_dict(doc)
