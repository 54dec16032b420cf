"""The retraining job: train a challenger on the store's history, score it against the champion
on recent data neither trained on, and promote it only through the rule and the phase's gate.

What the challenger never sees (the trap of retraining on a developing fault):

* readings flagged suspect or bad (``good_only``);
* every period with a temperature, anomaly or residual-drift alert open, from raise to
  resolution — a fault must stay an anomaly, not become the new normal;
* the holdout: the last :data:`HOLDOUT` before the run, kept for scoring both models.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, or_, select

from thermowatch.data.clean import CleaningOptions
from thermowatch.data.measurements import clean_measurements
from thermowatch.jobs.promotion import apply_decision
from thermowatch.jobs.tasks import JobOutput
from thermowatch.learn.artifact import save_model
from thermowatch.learn.plausibility import implausible_responses
from thermowatch.learn.promotion import decide_promotion
from thermowatch.learn.train import TrainOptions, train
from thermowatch.live.champion import artifact_digest, load_champion, load_verified
from thermowatch.paths import default_models_dir
from thermowatch.store.models import champion, insert_challenger
from thermowatch.store.readings import readings_frame
from thermowatch.store.tables import alerts
from thermowatch.store.transformers import get_transformer

#: The most recent window, scored for both models and trained on by neither.
HOLDOUT = timedelta(days=14)
#: Validation period before the holdout (the challenger's model selection and intervals).
VALIDATION = timedelta(days=30)
#: At most this much history before validation is trained on.
TRAIN_SPAN = timedelta(days=365)
#: Alert kinds whose open periods are kept out of training.
FAULT_KINDS = ("temperature_measured", "anomaly", "residual_drift")


def models_dir() -> Path:
    """Where retrained artifacts are written: ``THERMOWATCH_MODELS_DIR``, else ``models/`` in the
    data directory (never the working directory: a run must not write into a repository)."""
    explicit = os.environ.get("THERMOWATCH_MODELS_DIR")
    return Path(explicit) if explicit else default_models_dir()


def deployment_phase() -> int:
    """The alerting phase (the ``[alerts]`` settings), which gates promotions."""
    from thermowatch.alerts.config import load_config

    return int(load_config(None).phase)


def fault_periods(engine: Engine, transformer_id: str, start: datetime, end: datetime
                  ) -> list[tuple[datetime, datetime]]:  # fmt: skip
    """Periods with a fault-like alert open, clipped to ``[start, end)``."""
    c = alerts.c
    q = select(c.raised_at, c.resolved_at).where(
        c.transformer_id == transformer_id,
        c.kind.in_(FAULT_KINDS),
        c.raised_at < end,
        or_(c.resolved_at.is_(None), c.resolved_at > start),
    )
    with engine.connect() as conn:
        return [(max(a, start), min(b or end, end)) for a, b in conn.execute(q)]


def _drop_periods(frame: pd.DataFrame, periods: list[tuple[datetime, datetime]]) -> pd.DataFrame:
    keep = np.ones(len(frame), dtype=bool)
    for a, b in periods:
        keep &= ~((frame.index >= a) & (frame.index < b))
    return frame[keep]


def retrain(engine: Engine, transformer_id: str, at: datetime) -> JobOutput:
    """Train a challenger on history up to ``at − HOLDOUT``, score both on the holdout, decide."""
    current = champion(engine, transformer_id)
    target = get_transformer(engine, transformer_id).target_variable
    if current is None or not target:
        why = "no champion model" if current is None else "no target_variable configured"
        return JobOutput({"verdict": "skipped", "reason": why})
    old = load_champion(engine, transformer_id)  # verified first: fail before any training
    assert old is not None  # a champion was found above
    holdout_start, val_start = at - HOLDOUT, at - HOLDOUT - VALIDATION
    start = val_start - TRAIN_SPAN
    history = readings_frame(engine, transformer_id, start, at, good_only=True)
    faults = fault_periods(engine, transformer_id, start, holdout_start)
    if target not in history.columns:
        return JobOutput({"verdict": "insufficient_data", "reason": f"no {target!r} readings"})
    trainable = _drop_periods(history[history.index < holdout_start], faults)
    if trainable[target].count() < 24 * 14 or not (history.index >= holdout_start).any():
        return JobOutput({"verdict": "insufficient_data", "reason": "under 14 days to train on"})

    # Validation: the last VALIDATION of data left after the fault periods (a fault may cover
    # the weeks just before the holdout).
    val_start = min(val_start, trainable.index[-1].to_pydatetime() - VALIDATION)
    # The holdout goes in as the "test" part: evaluated, never fitted on or selected with.
    frame = pd.concat([trainable, history[history.index >= holdout_start]])
    measurements = clean_measurements(
        frame, target=target, source=f"store:{transformer_id}",
        options=CleaningOptions(statistics_before=pd.Timestamp(val_start)),
    )  # fmt: skip
    split = f"{val_start.isoformat()},{holdout_start.isoformat()}"
    result, fitted = train(measurements, retrain_options(old, split))
    directory = save_model(result, fitted, models_dir() / transformer_id)
    challenger = load_verified(directory, None)

    window = history[history.index >= holdout_start - timedelta(minutes=_warmup(challenger, old))]
    scored = window.index >= holdout_start
    measured = window[target].to_numpy(dtype=np.float64)[scored]
    new = challenger.predict_frame(window)[scored]
    before = old.predict_frame(window)[scored]["predicted"].to_numpy()
    bad = implausible_responses(challenger, window)
    decision = decide_promotion(
        measured, before, new["predicted"].to_numpy(), new["lower"].to_numpy(),
        new["upper"].to_numpy(), plausible=not bad,
    )  # fmt: skip
    name = result.chosen_model
    metrics = {"model_name": name, **{k: v for k, v in result.models.get(name, {}).items()
                                      if k in ("validation", "test")}}  # fmt: skip
    model_id, digest = challenger.model_id, artifact_digest(directory)
    summary: dict[str, Any] = {
        "verdict": "trained", "challenger": model_id, "champion": current.id,
        "decision": decision.as_dict(), "implausible": bad,
        "excluded_fault_periods": len(faults), "rows_trained": len(trainable),
        "champion_saw_holdout": current.created_at > holdout_start,
    }  # fmt: skip

    def register(conn: Connection) -> None:
        insert_challenger(conn, model_id, transformer_id, str(directory), digest, metrics, at)

    def decide() -> object:
        return apply_decision(engine, model_id, decision, deployment_phase())

    return JobOutput(summary, [register], [decide])


def retrain_options(champion_model: Any, split_dates: str) -> TrainOptions:
    """Fit only what the challenger must serve: the champion's roles (a forecast at its horizon
    only if it serves one), without the report-only parts (gradient-boosting comparison,
    importances, cross-validation, error tables) — the profile of a year of hourly data showed
    them at about half of the training time."""
    meta = champion_model.metadata
    serves_forecast = "forecast" in (meta.get("roles") or {})
    horizon = (meta.get("forecast_metrics") or {}).get("horizon_steps")
    return TrainOptions(
        split_dates=split_dates, lang="fr", nonlinear=False, report=False,
        forecast=serves_forecast, horizon=int(horizon) if serves_forecast and horizon else None,
    )  # fmt: skip


def _warmup(*predictors: Any) -> float:
    """Minutes of history the predictors' filters need before the scored rows."""
    return max(float(p.metadata.get("history_minutes", 0) or 0) for p in predictors)
