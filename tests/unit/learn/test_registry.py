"""The registry drives training: a model type is one file plus one registry line."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from thermowatch.data import clean_measurements
from thermowatch.data.simulator import RATED_CURRENT_A, SAMPLE_SPEC, simulate_sample
from thermowatch.learn import models
from thermowatch.learn.models import REGISTRY
from thermowatch.learn.train import TrainOptions, train

from .toy_model import TrainingMean

LEARN = Path(models.__file__).resolve().parents[1]


def test_a_registered_toy_candidate_is_fitted_and_scored_by_train(monkeypatch):
    monkeypatch.setitem(REGISTRY, TrainingMean.name, TrainingMean)  # the one registry line
    measurements = clean_measurements(simulate_sample(days=20, seed=5).frame, source="sample")
    options = TrainOptions(
        rated_current_a=RATED_CURRENT_A, thermal_spec=SAMPLE_SPEC, nonlinear=False,
        forecast=False, report=False,
    )  # fmt: skip
    result, fitted = train(measurements, options)
    split = result.predictions["split"].to_numpy()
    y = result.predictions["measured"].to_numpy()
    train_mean = y[split == "train"]
    scored = result.models[TrainingMean.name]
    expected = np.sqrt(np.mean((y[split == "validation"] - np.mean(train_mean)) ** 2))
    # Fitted on the clean training rows after warm-up: close to, not exactly, every train row.
    assert scored["validation"]["rmse"] == pytest.approx(expected, rel=0.05)
    assert np.isfinite(scored["test"]["rmse"])
    normal = result.roles["normal"]
    assert TrainingMean.name in normal["validation_scores"]
    assert normal["not_served"][TrainingMean.name] == "a toy from the tests"
    assert fitted.roles["normal"] != TrainingMean.name


def test_every_role_has_a_servable_candidate_and_declares_its_grid():
    for role in models.ROLES:
        found = models.candidates(role)
        assert any(getattr(c, "servable", True) for c in found), role
        assert all(isinstance(c.grid, dict) for c in found)
    assert models.original("normal").name in REGISTRY
    assert [c.name for c in models.references("forecast")] == ["persistence"]


def test_training_names_no_model():
    """No registered model name appears as a string in the training modules."""
    names = set(REGISTRY)
    for path in sorted(LEARN.glob("train*.py")):
        literals = {
            node.value
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
        }
        assert not names & literals, f"{path.name} names {sorted(names & literals)}"
