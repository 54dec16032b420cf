"""The retraining job: train a challenger on the store's history, score it against the champion
on recent data neither trained on, and promote it only through the rule and the phase's gate.

What the challenger never sees (the trap of retraining on a developing fault):

* readings flagged suspect or bad (``good_only``);
* every period with a temperature, anomaly or residual-drift alert open, from raise to
  resolution — a fault must stay an anomaly, not become the new normal;
* the holdout: the last :data:`HOLDOUT` before the run, kept for scoring both models.
"""

from __future__ import annotations

import shutil
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine

from thermowatch.data.clean import CleaningOptions
from thermowatch.data.measurements import clean_measurements
from thermowatch.errors import InputError
from thermowatch.jobs.job import LEASE, JobOutput, JobSettings
from thermowatch.jobs.model_facts import lifecycle_facts, registered_metrics
from thermowatch.jobs.promotion import apply_decision
from thermowatch.jobs.tasks import (
    drop_periods,
    fault_periods,
    transformer_changed_since,
)
from thermowatch.learn.artifact import save_model
from thermowatch.learn.plausibility import implausible_responses
from thermowatch.learn.promotion import MIN_SAMPLES as PROMOTION_MIN_SAMPLES
from thermowatch.learn.promotion import decide_promotion
from thermowatch.learn.train import TrainOptions, train
from thermowatch.live.champion import artifact_digest, load_champion, load_verified
from thermowatch.store.models import champion, insert_challenger, list_models
from thermowatch.store.readings import readings_frame
from thermowatch.store.transformers import get_transformer

#: The most recent window, scored for both models and trained on by neither.
HOLDOUT = timedelta(days=14)
#: Validation period before the holdout (the challenger's model selection and intervals).
VALIDATION = timedelta(days=30)
#: At most this much history before validation is trained on.
TRAIN_SPAN = timedelta(days=365)
#: Fewest measured target values to train a challenger on (two weeks hourly).
MIN_TRAIN_ROWS = 24 * 14


def retrain(engine: Engine, transformer_id: str, at: datetime, settings: JobSettings
            ) -> JobOutput:  # fmt: skip
    """Train a challenger on history up to ``at − HOLDOUT``, score both on the holdout, decide
    under the gate of ``settings.phase``; its artifact goes under ``settings.models_dir /
    transformer_id``.

    The history goes through the cleaning ``thermowatch train`` applies to a file
    (:func:`~thermowatch.data.measurements.clean_measurements`: gaps, flagged values, spikes),
    and both models are scored on that cleaned frame, outside open fault periods. A refusal
    (too little data, an open "transformer changed" alarm) is a verdict with its reason; an
    artifact that ends up unregistered is removed.
    """
    current = champion(engine, transformer_id)
    target = get_transformer(engine, transformer_id).target_variable
    if current is None or not target:
        why = "no champion model" if current is None else "no target_variable configured"
        return JobOutput({"verdict": "skipped", "reason": why})
    changed = transformer_changed_since(engine, transformer_id, at)
    if changed is not None:
        return JobOutput({"verdict": "skipped", "reason": "a 'transformer changed' alarm is "
                          f"open since {changed.isoformat()}: a person must look before the "
                          "model is retrained"})  # fmt: skip
    old = load_champion(engine, transformer_id)  # verified first: fail before any training
    assert old is not None  # a champion was found above
    try:
        trained_until = lifecycle_facts(engine, current).train_end
    except InputError:
        trained_until = current.created_at
    holdout_start, val_start = at - HOLDOUT, at - HOLDOUT - VALIDATION
    start = val_start - TRAIN_SPAN
    history = readings_frame(engine, transformer_id, start, at, good_only=True)
    faults = fault_periods(engine, transformer_id, start, at)
    if target not in history.columns:
        return _refused(f"no {target!r} readings")
    trainable = drop_periods(history[history.index < holdout_start], faults)
    holdout = history[history.index >= holdout_start]
    if trainable[target].count() < MIN_TRAIN_ROWS or holdout[target].count() == 0:
        return _refused(f"{int(trainable[target].count())} measured {target!r} values to train "
                        f"on (at least {MIN_TRAIN_ROWS}) and {int(holdout[target].count())} in "
                        f"the {HOLDOUT.days}-day holdout")  # fmt: skip

    scorable = int(drop_periods(holdout, faults)[target].count())
    if scorable < PROMOTION_MIN_SAMPLES:  # both models would be judged on nothing, or a fault
        return _refused(f"{scorable} measured {target!r} values outside open fault periods in "
                        f"the {HOLDOUT.days}-day holdout; scoring needs at least "
                        f"{PROMOTION_MIN_SAMPLES}")  # fmt: skip

    # Validation: the last VALIDATION of data left after the fault periods (a fault may cover
    # the weeks just before the holdout).
    val_start = min(val_start, trainable.index[-1].to_pydatetime() - VALIDATION)
    try:
        # The holdout goes in as the "test" part: evaluated, never fitted on or selected with.
        measurements = clean_measurements(
            pd.concat([trainable, holdout]), target=target, source=f"store:{transformer_id}",
            options=CleaningOptions(statistics_before=pd.Timestamp(val_start)),
        )  # fmt: skip
        split = f"{val_start.isoformat()},{holdout_start.isoformat()}"
        result, fitted = train(measurements, retrain_options(old, split))
    except InputError as exc:  # what `train` refuses on a file, said the same way
        return _refused(str(exc))
    remove_orphans(engine, settings.models_dir / transformer_id)
    directory = save_model(result, fitted, settings.models_dir / transformer_id)
    try:
        return _score_and_register(engine, transformer_id, at, current.id, old, result,
                                   measurements.frame, directory, faults, trainable,
                                   trained_until > holdout_start, settings.phase)  # fmt: skip
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)  # a failed attempt leaves no directory
        raise


def remove_orphans(engine: Engine, directory: Path, older_than: timedelta = LEASE) -> list[str]:
    """Remove the artifact directories under ``directory`` that no model version registers and
    that are older than a run's lease: what a worker killed mid-retrain left (it could not clean
    up; a younger one may be another worker's attempt in progress). Returns their names."""
    if not directory.is_dir():
        return []
    registered = {name for m in list_models(engine) for name in (m.id, Path(m.artifact_path).name)}
    cutoff = time.time() - older_than.total_seconds()
    gone = []
    for child in directory.iterdir():
        if child.is_dir() and child.name not in registered and child.stat().st_mtime < cutoff:
            shutil.rmtree(child, ignore_errors=True)
            gone.append(child.name)
    return gone


def _refused(reason: str) -> JobOutput:
    return JobOutput({"verdict": "insufficient_data", "reason": reason})


def _score_and_register(
    engine: Engine, transformer_id: str, at: datetime, champion_id: str, old: Any, result: Any,
    cleaned: pd.DataFrame, directory: Path, faults: list[tuple[datetime, datetime]],
    trainable: pd.DataFrame, champion_saw_holdout: bool, phase: int,
) -> JobOutput:  # fmt: skip
    """Score champion and challenger on the cleaned holdout outside fault periods; the output
    registers the challenger and, once stored, applies the decision."""
    challenger = load_verified(directory, None)
    holdout_start = at - HOLDOUT
    target = challenger.metadata["target"]
    window = cleaned[cleaned.index >= holdout_start - timedelta(minutes=_warmup(challenger, old))]
    scored = np.asarray(window.index >= holdout_start)
    measured = window[target].to_numpy(dtype=np.float64).copy()
    for a, b in faults:  # an open fault is not what either model should be judged on
        measured[(window.index >= a) & (window.index < b)] = np.nan
    measured = measured[scored]
    new = challenger.predict_frame(window)[scored]
    before = old.predict_frame(window)[scored]["predicted"].to_numpy()
    bad = implausible_responses(challenger, window)
    decision = decide_promotion(
        measured, before, new["predicted"].to_numpy(), new["lower"].to_numpy(),
        new["upper"].to_numpy(), plausible=not bad,
    )  # fmt: skip
    metrics = registered_metrics(challenger.metadata, cleaned)
    model_id, digest = challenger.model_id, artifact_digest(directory)
    summary: dict[str, Any] = {
        "verdict": "trained", "challenger": model_id, "champion": champion_id,
        "decision": decision.as_dict(), "implausible": bad,
        "excluded_fault_periods": len(faults), "rows_trained": len(trainable),
        "scored_points": decision.n, "champion_saw_holdout": champion_saw_holdout,
    }  # fmt: skip

    def register(conn: Connection) -> None:
        insert_challenger(conn, model_id, transformer_id, str(directory), digest, metrics, at)

    def decide() -> object:
        return apply_decision(engine, model_id, decision, phase)

    def remove() -> None:
        shutil.rmtree(directory, ignore_errors=True)

    return JobOutput(summary, [register], [decide], [remove])


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
