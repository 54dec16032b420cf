"""What a registration must carry for the lifecycle, and numbers the store can hold."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from thermowatch.errors import InputError
from thermowatch.jobs.model_facts import input_ranges, registered_metrics
from thermowatch.learn.drift import DriftVerdict, ResidualBaseline, check_drift
from thermowatch.store._sql import finite_json

META = {
    "model_id": "m1",
    "model_name": "ridge",
    "target": "OT",
    "metrics": {
        "ridge": {
            "validation": {"rmse": 0.8, "bias": 0.1, "r2": float("nan")},
            "test": {"rmse": 0.9, "bias": -0.2},
        }
    },
    "split": {
        "train": {"start": "2024-01-01T00:00:00+00:00", "end": "2024-02-01T00:00:00+00:00"},
        "validation": {"start": "2024-02-01T01:00:00+00:00", "end": "2024-03-01T00:00:00+00:00"},
        "test": {"start": "2024-03-01T01:00:00+00:00", "end": "2024-03-15T23:00:00+00:00"},
    },
}


def test_registered_metrics_carry_errors_window_and_ranges():
    frame = pd.DataFrame({"load": [0.2, np.nan, 1.1], "ambient": [-5.0, 3.0, 12.0],
                          "OT": [40.0, 50.0, 60.0]})  # fmt: skip
    out = registered_metrics(META, frame)
    assert out["validation"] == {"rmse": 0.8, "bias": 0.1}  # the NaN r2 is dropped
    assert out["test"]["rmse"] == 0.9
    assert out["training_window"] == {"start": "2024-01-01T00:00:00+00:00",
                                      "end": "2024-03-15T23:00:00+00:00"}  # fmt: skip
    assert out["input_ranges"] == {"load": {"min": 0.2, "max": 1.1, "n": 2.0},
                                   "ambient": {"min": -5.0, "max": 12.0, "n": 3.0}}  # fmt: skip
    assert out["input_ranges_source"] == "training data"


def test_an_artifact_without_validation_error_is_refused_in_one_sentence():
    meta = {**META, "metrics": {"ridge": {"test": {"rmse": 0.9}}}, "split": {}}
    with pytest.raises(InputError) as err:
        registered_metrics(meta)
    text = str(err.value)
    assert text.startswith("model m1: its metadata.json has no validation error and no "
                           "training-data window of the chosen model 'ridge'")  # fmt: skip
    assert text.count(".") <= 2 and "\n" not in text


def test_finite_json_turns_every_non_finite_number_into_null():
    value = {"a": float("nan"), "b": [1.0, float("inf"), np.float64("nan")], "c": np.int64(3),
             "d": {"e": -float("inf"), "f": "NaN"}}  # fmt: skip
    assert finite_json(value) == {"a": None, "b": [1.0, None, None], "c": 3,
                                  "d": {"e": None, "f": "NaN"}}  # fmt: skip


def test_drift_against_registered_ranges_when_the_training_history_is_not_stored():
    rng = np.random.default_rng(0)
    recent = {"ambient": rng.normal(30, 2, 500), "load": rng.uniform(0.3, 0.9, 500)}
    ranges = {"ambient": (-5.0, 25.0), "load": (0.1, 1.2)}
    report = check_drift({}, recent, ResidualBaseline(0.0, 0.5), rng.normal(0, 0.5, 500),
                         train_ranges=ranges)  # fmt: skip
    assert report.verdict is DriftVerdict.WORLD_MOVED and report.moved_inputs == ["ambient"]
    by_name = {d.name: d for d in report.inputs}
    assert by_name["ambient"].out_of_range > 0.9 and by_name["load"].out_of_range == 0.0
    assert math.isnan(by_name["ambient"].psi)  # not computable without the samples: null


def test_input_ranges_leave_out_the_target_and_text_columns():
    frame = pd.DataFrame({"OT": [1.0, 2.0], "note": ["a", "b"], "x": [np.inf, 4.0]})
    assert input_ranges(frame, "OT") == {"x": {"min": 4.0, "max": 4.0, "n": 1.0}}
