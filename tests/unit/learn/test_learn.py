"""Training pipeline pieces: features, split, metrics, artifacts, and a small end-to-end fit."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from thermowatch.errors import InputError
from thermowatch.learn.artifact import load_model, save_model, verify_model
from thermowatch.learn.features import build_features, feature_spec_for
from thermowatch.learn.linear import LinearModel
from thermowatch.learn.metrics import conformal_half_width, regression_metrics
from thermowatch.learn.split import chronological_split, rolling_origin_folds
from thermowatch.learn.thresholds import choose_thresholds


@pytest.fixture(scope="module")
def measurements(sample_training):
    return sample_training.measurements


@pytest.fixture(scope="module")
def trained(sample_training):
    """The learning sample's training, shared by the run (tests/conftest.py): read only."""
    return sample_training.result, sample_training.fitted


def test_features_never_read_the_target(measurements):
    spec = feature_spec_for(measurements)
    assert measurements.target not in spec.inputs
    frame = measurements.frame.copy()
    before = build_features(frame, spec)
    frame[measurements.target] = 0.0
    pd.testing.assert_frame_equal(before, build_features(frame, spec))


def test_smoothed_feature_follows_a_step_with_its_time_constant(measurements):
    spec = feature_spec_for(measurements)
    index = pd.date_range("2024-01-01", periods=400, freq="1min", tz="UTC")
    frame = pd.DataFrame({c: 1.0 for c in spec.inputs}, index=index)
    load = spec.load_inputs[0]
    frame[load] = np.where(np.arange(400) >= 100, spec.scales[load], 0.0)
    features = build_features(frame, spec)
    column = features[f"{load}² ~60min"].to_numpy()
    # The squared scaled load steps 0 → 1 over the minute ending at sample 100: one time
    # constant later (sample 159) the filter has covered 1 - 1/e of the step.
    assert column[99] == 0.0
    assert column[159] == pytest.approx(1 - np.exp(-1), abs=1e-9)


def test_split_is_chronological_and_checked():
    split = chronological_split(1000)
    assert (split.train.stop, split.validation.stop, split.test.stop) == (700, 850, 1000)
    assert chronological_split(1000, "600,800").test == slice(800, 1000)
    with pytest.raises(InputError, match="--split-rows"):
        chronological_split(1000, "800,600")
    folds = rolling_origin_folds(850, 4)
    assert all(test.start == train.stop for train, test in folds)


def test_metrics_and_conformal_width():
    m = regression_metrics(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 5.0]))
    assert m["rmse"] == pytest.approx(np.sqrt(4 / 3)) and m["max_error"] == 2.0
    assert m["bias"] == pytest.approx(2 / 3)
    residuals = np.arange(1, 101, dtype=float)
    assert conformal_half_width(residuals, 0.9) == 91.0  # ceil(101 * 0.9) = 91st smallest


def test_thresholds_rule_and_validation():
    values = np.linspace(40, 100, 10_000)
    derived = choose_thresholds(values, "other")
    assert derived.alerte_c == np.ceil(np.percentile(values, 99)) and derived.rule == "data"
    assert derived.level(derived.critique_c) == "CRITIQUE"
    with pytest.raises(InputError, match="critique"):
        choose_thresholds(values, "winding", alerte_c=90, critique_c=80)


def test_linear_model_json_round_trip():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 3))
    y = x @ np.array([1.0, -2.0, 0.5]) + 3
    model = LinearModel.fit(x, y, ["a", "b", "c"], alpha=0.1)
    again = LinearModel.from_dict(json.loads(json.dumps(model.to_dict())))
    np.testing.assert_allclose(again.predict(x), model.predict(x))
    assert model.ranked_coefficients()[0][0] == "b"


def test_training_beats_the_baseline_with_calibrated_interval(trained):
    result, _ = trained
    test = {name: parts["test"] for name, parts in result.models.items()}
    served = result.chosen_model
    assert test[served]["rmse"] < 0.6 * test["baseline-linear"]["rmse"]
    assert 0.8 <= test[served]["coverage"] <= 0.97
    assert served == result.roles["normal"]["chosen"]
    assert served in ("thermal-monotone", "thermal-monotone-plain")
    assert result.roles["nowcast"]["chosen"] in ("nowcast-ridge", "persistence")
    assert result.forecast["chosen"] == result.roles["forecast"]["chosen"]
    # The forecast beats repeating the last value at every tracked horizon beyond the first.
    scores = result.forecast["models"]
    chosen, persistence = scores[result.forecast["chosen"]]["test"], scores["persistence"]["test"]
    assert chosen["mse"] < persistence["mse"]
    # Forecasters are chosen by their error relative to persistence averaged over the
    # rolling-origin periods (validation first), the same periods for every candidate.
    periods = {name: s["validation"]["relative_mse_by_period"] for name, s in scores.items()}
    assert len({len(p) for p in periods.values()}) == 1 and periods["persistence"][0] == 1.0
    choice = result.roles["forecast"]
    for name, score in choice["validation_scores"].items():
        assert score == pytest.approx(np.mean(periods[name]))
    best = min(choice["validation_scores"], key=choice["validation_scores"].get)
    assert choice["validation_scores"][choice["chosen"]] <= 1.02 * choice["validation_scores"][best]
    assert len(result.cross_validation) == 4 and "baseline_rmse" in result.cross_validation[0]
    assert result.target_kind == "winding" and result.hot_spot_c is not None


def test_artifact_round_trip_and_tamper_refusal(trained, measurements, tmp_path):
    result, fitted = trained
    directory = save_model(result, fitted, tmp_path)
    meta = verify_model(directory)
    assert meta["target"] == measurements.target and meta["thresholds"]["critique_c"] > 0
    predictor = load_model(directory)
    out = predictor.predict_frame(measurements.frame)
    # The served models (refitted on train + validation) are the ones scored on test; before
    # test the report shows the held-out, train-only fits. Inside its domain the served
    # answer is the model's own.
    test = (result.predictions["split"] == "test").to_numpy()
    inside = test & ~out["extrapolating"].to_numpy()
    assert inside.sum() > 100
    np.testing.assert_allclose(
        out["predicted"][inside], result.predictions["predicted"][inside], atol=1e-9
    )
    assert meta["domain"]["ranges"] and meta["domain"]["target_range"][0] < 60
    assert set(out["level"]) <= {"NORMAL", "ALERTE", "CRITIQUE"}
    nowcast = predictor.nowcast_frame(measurements.frame)
    np.testing.assert_allclose(
        nowcast["predicted"][test], result.predictions["nowcast"][test], atol=1e-9
    )
    history = measurements.frame.iloc[-2000:]
    forecast = predictor.forecast(history, horizon="6h")
    assert len(forecast.frame) == 36  # 10-minute steps
    assert forecast.frame.index[0] == history.index[-1] + pd.Timedelta("10min")
    assert (forecast.frame["lower"] <= forecast.frame["predicted"]).all()
    assert (forecast.frame["upper"] >= forecast.frame["predicted"]).all()
    widths = (forecast.frame["upper"] - forecast.frame["lower"]).to_numpy()
    assert widths[-1] > widths[0]  # uncertainty grows with the horizon
    crossing = forecast.crossings({"low": float(history.iloc[:, 0].min() - 1e6)})["low"]
    assert crossing.at == forecast.frame.index[0]
    (directory / "metadata.json").write_text((directory / "metadata.json").read_text() + " ")
    with pytest.raises(InputError, match="SHA-256"):
        load_model(directory)


def test_outside_its_domain_the_answer_is_flagged_widened_and_physics_led(
    trained, measurements, tmp_path
):
    """Loads beyond any seen in training: flagged, the interval widened with the distance
    outside, and (the rating being known) the temperature is the model's at the highest trained
    load plus the IEC 60076-7 rise from there — never cooler than with the trained load."""
    result, fitted = trained
    predictor = load_model(save_model(result, fitted, tmp_path))
    current = measurements.column_for("current")
    history = measurements.frame.iloc[:600]
    base = predictor.predict_frame(history)
    assert not base["extrapolating"].iloc[-100:].any()
    high = predictor.domain.ranges[current][1]
    made = {}
    for factor in (1.5, 2.5):
        pushed = history.assign(**{current: history[current] * factor})
        out = made[factor] = predictor.predict_frame(pushed)
        hot = out["extrapolating"].to_numpy() & (pushed[current].to_numpy() > high * 1.05)
        assert hot.sum() > 10
        width = (out["upper"] - out["lower"]).to_numpy()
        assert (width[hot] > 2 * predictor.half_width_k).all()
        assert (out["predicted"].to_numpy()[hot] >= base["predicted"].to_numpy()[hot] - 1e-6).all()
    # More load beyond the domain: hotter still (the physics carries the excess).
    more = made[2.5]["predicted"].to_numpy() - made[1.5]["predicted"].to_numpy()
    assert (more[-100:] > 0).all()


def test_identical_data_saved_in_the_same_second_gets_two_ids(trained, tmp_path, monkeypatch):
    """The registry's model id is a global key: two saves of the same data in the same second
    (two transformers with identical data retrained together) must neither clash nor overwrite."""
    import thermowatch.learn.artifact as artifact

    frozen = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)

    class FrozenClock(datetime):
        @classmethod
        def now(cls, tz=None):
            return frozen

    monkeypatch.setattr(artifact, "datetime", FrozenClock)
    # The random part repeats once: the exclusive directory creation must pick another.
    parts = iter(["aaaa", "aaaa", "bbbb"])
    monkeypatch.setattr(artifact.secrets, "token_hex", lambda n: next(parts))
    result, fitted = trained
    first = save_model(result, fitted, tmp_path)
    second = save_model(result, fitted, tmp_path)
    assert first.name != second.name
    assert first.name.startswith("20260101T120000Z-") and second.name.endswith("-bbbb")
    assert verify_model(first)["model_id"] == first.name
    assert verify_model(second)["model_id"] == second.name
