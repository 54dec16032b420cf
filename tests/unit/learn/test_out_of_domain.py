"""Issue 23: outside its domain of validity and without a rating, the served answer is the
model without the terms its training never saw — an input that is neither a load nor the
ambient (free in sign) held at the edge of its trained range, the monotone load response
carrying the excess — flagged, its interval widened; /predict's fast path and the frame path
give the same answer."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from thermowatch.learn.artifact import Predictor
from thermowatch.learn.domain import Domain
from thermowatch.learn.features import FeatureSpec, build_features
from thermowatch.learn.models.normal import MonotoneThermal
from thermowatch.learn.result import Thresholds

SPEC = FeatureSpec(
    inputs=("load", "voltage"),
    load_inputs=("load",),
    ambient_inputs=(),
    time_constants_min=(60.0, 480.0),
    calendar=False,
    scales={"load": 1.0},
)
HALF_K = 1.5


@pytest.fixture(scope="module")
def predictor() -> Predictor:
    """Hourly load and a voltage that warms the oil 0.8 K/kV around 20 kV (free in sign)."""
    rng = np.random.default_rng(2)
    index = pd.date_range("2021-03-01", periods=24 * 60, freq="h", tz="UTC")
    hours = index.hour.to_numpy()
    load = 0.6 + 0.3 * np.sin(2 * np.pi * (hours - 8) / 24) + 0.05 * rng.standard_normal(len(index))
    voltage = 20.0 + rng.standard_normal(len(index))
    frame = pd.DataFrame({"load": load, "voltage": voltage}, index=index)
    smooth = build_features(frame, SPEC)["load² ~480min"].to_numpy()
    y = 30 + 25 * smooth + 0.8 * (voltage - 20) + 0.3 * rng.standard_normal(len(index))
    rows = np.asarray(index < index[0] + pd.Timedelta("45D"))
    model = MonotoneThermal().fit(build_features(frame, SPEC), y, rows, ~rows, SPEC)
    everything = np.ones(len(index), dtype=bool)
    return Predictor(
        "m", {"history_minutes": 2880.0}, SPEC, model.linear, HALF_K,
        Thresholds(90.0, 105.0, "cli"), domain=Domain.of(frame, SPEC.inputs, y, everything),
    )  # fmt: skip


def _steady(values: dict[str, float], at: str = "2021-04-01 12:00") -> pd.DataFrame:
    return pd.DataFrame([values], index=pd.DatetimeIndex([pd.Timestamp(at, tz="UTC")]))


def test_a_free_input_beyond_its_range_is_held_at_its_edge(predictor):
    low, high = predictor.domain.ranges["voltage"]
    assert predictor.model.coef[list(predictor.model.features).index("voltage")] != 0
    edge = predictor.predict_frame(_steady({"load": 0.6, "voltage": high}))
    for far in (high + 3.0, high + 30.0):
        out = predictor.predict_frame(_steady({"load": 0.6, "voltage": far}))
        assert bool(out["extrapolating"].iloc[0])
        # The model's own answer moves with the voltage; the served one stays at the edge's.
        own = predictor._normal(_steady({"load": 0.6, "voltage": far}))[0]
        assert abs(own - edge["predicted"].iloc[0]) > 1.0
        assert out["predicted"].iloc[0] == pytest.approx(edge["predicted"].iloc[0], abs=1e-9)
        assert out["upper"].iloc[0] - out["lower"].iloc[0] > 2 * HALF_K * 1.4
    below = predictor.predict_frame(_steady({"load": 0.6, "voltage": low - 10.0}))
    at_low = predictor.predict_frame(_steady({"load": 0.6, "voltage": low}))
    assert below["predicted"].iloc[0] == pytest.approx(at_low["predicted"].iloc[0], abs=1e-9)


def test_a_load_beyond_its_range_still_warms_the_oil(predictor):
    high = predictor.domain.ranges["load"][1]
    answers = [
        predictor.predict_frame(_steady({"load": load, "voltage": 20.0}))["predicted"].iloc[0]
        for load in (high, 1.5 * high, 2.5 * high)
    ]
    assert answers[0] < answers[1] < answers[2]  # the monotone load response carries it


def test_predict_one_and_batch_give_the_frame_answer_outside_the_domain(predictor):
    from thermowatch.service.fastpath import SteadyState
    from thermowatch.service.predicting import batch_predict, predict_one
    from thermowatch.service.serving import Served

    served = Served("TR-01", predictor, SteadyState(predictor), "", "", predictor.thresholds)
    high = predictor.domain.ranges["voltage"][1]
    at = datetime(2021, 4, 1, 12, tzinfo=UTC)
    cases = [[0.6, 20.0], [0.6, high + 30.0], [2.0, high + 30.0]]
    frame = [
        predictor.predict_frame(_steady(dict(zip(SPEC.inputs, v, strict=True)))) for v in cases
    ]
    one = [predict_one(served, values, at) for values in cases]
    many = batch_predict(served, np.array(cases), pd.DatetimeIndex([at] * 3), series=False)
    for i, f in enumerate(frame):
        assert one[i].value == pytest.approx(f["predicted"].iloc[0], abs=1e-9)
        assert many["predicted"][i] == pytest.approx(f["predicted"].iloc[0], abs=1e-9)
        assert one[i].extrapolating is bool(f["extrapolating"].iloc[0])
    assert [r.extrapolating for r in one] == [False, True, True]
    # Rows without a time are taken now (this model has no calendar term): the same answers.
    timeless = batch_predict(served, np.array(cases), None, series=False)
    np.testing.assert_allclose(timeless["predicted"], many["predicted"], atol=1e-9)
