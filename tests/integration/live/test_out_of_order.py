"""A snapshot older than the history the nowcaster keeps is predicted from itself, not a crash
(found by schemathesis against a live service: an old timestamp after a recent one was a 500)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from thermowatch.learn.artifact import load_model
from thermowatch.live.nowcast import ModelEstimator


def test_a_snapshot_older_than_the_kept_history_is_still_predicted(sample_model_dir):
    predictor = load_model(sample_model_dir)
    est = ModelEstimator(predictor)
    values = {"tension (kV)": 20.1, "courant (A)": 850.0, "puissance active (MW)": 28.0,
              "puissance réactive (MVAr)": 9.0, "température ambiante (°C)": 24.0,
              "température huile (°C)": 55.0}  # fmt: skip
    values = {k: v for k, v in values.items() if k in predictor.variables}
    now = datetime(2026, 11, 26, 8, tzinfo=UTC)
    recent = est.step(now, values)
    old = est.step(now - timedelta(days=30), values)  # far older than history_minutes
    assert np.isfinite(recent.predicted_c) and np.isfinite(old.predicted_c)
    assert old.assumed_steady  # said: no history before it
    # The recent history is kept: the next snapshot still has its predecessor.
    nxt = est.step(now + timedelta(minutes=10), values)
    assert not nxt.assumed_steady
