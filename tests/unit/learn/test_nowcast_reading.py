"""The nowcast reads the normal-behaviour model its validation prefers (issue 23: ETTm1's
nowcast fell above persistence once it read the served model refitted on train + validation),
and the service reads the same one from the artifact."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from thermowatch.data.simulator import RATED_CURRENT_A, SAMPLE_SPEC
from thermowatch.learn.artifact import load_model
from thermowatch.learn.linear import LinearModel
from thermowatch.learn.models import model_from_dict
from thermowatch.learn.models.nowcast import NowcastRidge
from thermowatch.learn.train import TrainOptions, prepare
from thermowatch.learn.train_normal import train_normal
from thermowatch.learn.train_nowcast import train_nowcast


@pytest.fixture(scope="module")
def roles(sample_training):
    options = TrainOptions(
        rated_current_a=RATED_CURRENT_A, thermal_spec=SAMPLE_SPEC, nonlinear=False, report=False
    )
    data = prepare(sample_training.measurements, options)
    return data, train_normal(data, lambda _label: None)


def test_the_normal_models_a_nowcast_may_read_are_the_stable_servable_ones(roles):
    data, normal = roles
    readings = normal.readings(data)
    assert next(iter(readings)) == normal.choice.chosen
    assert set(readings) <= set(normal.folds) and len(readings) >= 2
    served_model, served = readings[normal.choice.chosen]
    assert served_model is normal.model.linear
    np.testing.assert_allclose(served, normal.model.predict(data.physics))


def test_the_nowcast_keeps_the_reading_its_validation_prefers_and_saves_it(roles):
    data, normal = roles
    readings = normal.readings(data)
    name, (model, good) = next(iter(readings.items()))
    noisy = good + np.random.default_rng(3).normal(0.0, 3.0, len(good))
    other = dataclasses.replace(model, intercept=model.intercept + 1.0)
    # The served reading is made noisy: the other one (the same, shifted) must win.
    role = train_nowcast(data, {name: (model, noisy), "shifted": (other, good + 1.0)})
    ridge = role.model if role.choice.chosen == "nowcast-ridge" else None
    assert ridge is not None and ridge.reads == "shifted" and ridge.normal is other
    alone = train_nowcast(data, {name: (model, noisy)})
    assert (
        role.metrics["nowcast-ridge"]["validation"]["rmse"]
        < alone.metrics["nowcast-ridge"]["validation"]["rmse"]
    )
    # Reading the served one: nothing more is saved.
    plain = train_nowcast(data, {name: (model, good), "noisy": (other, noisy + 1.0)})
    assert plain.model.reads in (name, "") and getattr(plain.model, "normal", None) is None


def test_the_service_reads_the_normal_model_saved_with_the_nowcast(
    sample_training, sample_training_dir
):
    predictor = load_model(sample_training_dir)
    ridge = predictor.nowcaster
    if not isinstance(ridge, NowcastRidge):
        pytest.skip("the sample's nowcast is persistence")
    history = sample_training.measurements.frame.iloc[-1500:]
    shifted = dataclasses.replace(predictor.model, intercept=predictor.model.intercept + 4.0)
    reading = dataclasses.replace(ridge, normal=shifted, reads="shifted")
    again = model_from_dict(reading.to_dict())
    assert isinstance(again.normal, LinearModel) and again.reads == "shifted"
    np.testing.assert_allclose(again.normal.coef, shifted.coef)
    served = predictor.nowcast_frame(history)["predicted"].to_numpy()
    moved = dataclasses.replace(predictor, nowcaster=again).nowcast_frame(history)
    y = history[predictor.target].to_numpy()
    normal = predictor._normal(history) + 4.0  # the model's own answer (no domain rule)
    expected = again.predict(y, normal, history.index, predictor.step)
    np.testing.assert_allclose(moved["predicted"].to_numpy(), expected, atol=1e-9)
    assert not np.allclose(moved["predicted"].to_numpy(), served)
