"""A store with transformers whose truth is known: readings, a champion and its predictions.

Truth: OT = 30 + 40·load² + ambient + N(0, 0.5) [°C], hourly. The champion predicts the
noiseless truth (validation RMSE 0.5 K). Scenarios change the last 30 days:

* ``normal`` — nothing changes;
* ``heatwave`` — ambient +20 K, a range never trained on, and the model reads 3 K high there;
* ``cooling`` — a cooling stage fails halfway through: measured OT +5 K at the same load;
* ``noisy`` — the model's error grows to σ = 2 K (degraded, inputs unchanged).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from thermowatch.jobs.job import JobSettings
from thermowatch.store.models import promote, register_model
from thermowatch.store.predictions import Prediction, write_predictions
from thermowatch.store.readings import wide_to_frame, write_readings
from thermowatch.store.transformers import ensure_transformer

START = datetime(2026, 1, 1, tzinfo=UTC)
TRAIN_DAYS, RECENT_DAYS = 90, 30
TRAINED_AT = START + timedelta(days=TRAIN_DAYS)
NOW = TRAINED_AT + timedelta(days=RECENT_DAYS)
#: The jobs' settings for the daily checks, which write no artifact (nothing is made there).
CHECKS_ONLY = JobSettings(models_dir=Path("/nonexistent/thermowatch-models"))
#: What the lifecycle needs of a registered model (validation and test errors, training window).
METRICS = {
    "validation": {"rmse": 0.5, "bias": 0.0},
    "test": {"rmse": 0.5, "bias": 0.0},
    "training_window": {"start": START.isoformat(), "end": TRAINED_AT.isoformat()},
}


def populate(engine: Engine, tid: str, scenario: str = "normal", seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    n = (TRAIN_DAYS + RECENT_DAYS) * 24
    index = pd.date_range(START, periods=n, freq="h", tz=UTC)
    hour = np.arange(n) % 24
    load = 0.6 + 0.25 * np.sin(2 * np.pi * (hour - 8) / 24) + rng.normal(0, 0.03, n)
    ambient = 15 + 5 * np.sin(2 * np.pi * (hour - 15) / 24) + rng.normal(0, 1.0, n)
    recent = np.arange(n) >= TRAIN_DAYS * 24
    if scenario == "heatwave":
        ambient[recent] += 20.0
    truth = 30 + 40 * load**2 + ambient
    measured = truth + rng.normal(0, 0.5, n)
    predicted = truth.copy()
    if scenario == "heatwave":
        predicted[recent] += 3.0
    if scenario == "cooling":
        measured[np.arange(n) >= (TRAIN_DAYS + RECENT_DAYS // 2) * 24] += 5.0
    if scenario == "noisy":
        predicted[recent] += rng.normal(0, 2.0, int(recent.sum()))

    ensure_transformer(engine, tid, f"Poste {tid}", target_variable="OT")
    wide = pd.DataFrame({"load": load, "ambient": ambient, "OT": measured}, index=index)
    write_readings(engine, wide_to_frame(wide, tid, source="test")[0])
    model_id = f"{tid}-m1"
    register_model(
        engine, model_id, tid, f"/models/{model_id}", "0" * 64, metrics=METRICS, at=TRAINED_AT,
    )  # fmt: skip
    promote(engine, model_id, at=TRAINED_AT)
    rows = [Prediction(tid, ts.to_pydatetime(), model_id, float(v))
            for ts, v in zip(index[recent], predicted[recent], strict=True)]  # fmt: skip
    write_predictions(engine, rows)


#: Retraining fleet: 60 days hourly per transformer (14 d holdout, 30 d validation, 16 d train).
FLEET_DAYS = 60
FLEET_AT = START + timedelta(days=FLEET_DAYS)


def fleet_readings(seed: int) -> pd.DataFrame:
    """Hourly load [pu], ambient [°C] and top-oil OT [°C] of one transformer (same truth)."""
    rng = np.random.default_rng(1000 + seed)
    n = FLEET_DAYS * 24
    index = pd.date_range(START, periods=n, freq="h", tz=UTC)
    hour = np.arange(n) % 24
    load = 0.6 + 0.25 * np.sin(2 * np.pi * (hour - 8) / 24) + rng.normal(0, 0.05, n)
    ambient = 15 + 5 * np.sin(2 * np.pi * (hour - 15) / 24) + rng.normal(0, 1.0, n)
    ot = 30 + 40 * load**2 + ambient + rng.normal(0, 0.5, n)
    return pd.DataFrame({"load": load, "ambient": ambient, "OT": ot}, index=index)


def retrain_fleet(engine: Engine, n: int, directory) -> list[str]:  # type: ignore[no-untyped-def]
    """``n`` transformers with 60 days of readings, all served one real champion artifact
    (trained on the first transformer's first 40 days, normal and nowcast roles only)."""
    from thermowatch.data.measurements import clean_measurements
    from thermowatch.jobs.model_facts import registered_metrics
    from thermowatch.learn.artifact import save_model
    from thermowatch.learn.train import TrainOptions, train
    from thermowatch.live.champion import artifact_digest
    from thermowatch.store.tables import ModelStatus

    first = fleet_readings(0)
    trained_at = START + timedelta(days=40)
    m = clean_measurements(first[first.index < trained_at], target="OT", source="test")
    split = f"{START + timedelta(days=25)},{START + timedelta(days=33)}"
    opts = TrainOptions(split_dates=split, nonlinear=False, report=False, forecast=False)
    result, fitted = train(m, opts)
    artifact = save_model(result, fitted, directory)
    digest = artifact_digest(artifact)
    metrics = registered_metrics(json.loads((artifact / "metadata.json").read_text()))
    tids = [f"TR-{i:02d}" for i in range(n)]
    for i, tid in enumerate(tids):
        ensure_transformer(engine, tid, f"Poste {tid}", target_variable="OT")
        write_readings(engine, wide_to_frame(fleet_readings(i), tid, source="test")[0])
        register_model(engine, f"{tid}-m1", tid, str(artifact), digest,
                       metrics=metrics, status=ModelStatus.CHAMPION,
                       at=trained_at)  # fmt: skip
    return tids
