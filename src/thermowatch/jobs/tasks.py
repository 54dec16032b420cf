"""The lifecycle jobs as plain functions: read the store, call the core, return what to write.

Each job returns a :class:`JobOutput`; the runner writes it in the transaction that finishes
the run, so a worker killed mid-job writes nothing and the retried run writes it once.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine

from thermowatch.alerts.hook import alert_hook
from thermowatch.learn.accuracy import DEGRADED_FACTOR, degraded, live_errors, validation_error
from thermowatch.learn.drift import DriftVerdict, ResidualBaseline, check_drift
from thermowatch.store.jobs import enqueue_runs, recent_checks, record_check
from thermowatch.store.models import ModelVersion, champion
from thermowatch.store.predictions import predictions_frame
from thermowatch.store.readings import readings_frame
from thermowatch.store.transformers import get_transformer

#: How far back the live error and the drift check look.
RECENT = timedelta(days=30)
#: The training-distribution window before the champion's registration.
REFERENCE = timedelta(days=365)


@dataclass
class JobOutput:
    """What a job concluded: a JSON-ready result and the rows to write with it."""

    result: dict[str, Any]
    writes: list[Callable[[Connection], None]] = field(default_factory=list)
    #: Run after the run's transaction committed (alerts: the engine owns its transaction and
    #: is idempotent on the same value, so a retried run does not raise twice).
    after: list[Callable[[], object]] = field(default_factory=list)

    def write(self, conn: Connection) -> None:
        for w in self.writes:
            w(conn)


def _champion_and_target(engine: Engine, transformer_id: str) -> tuple[ModelVersion, str] | str:
    model = champion(engine, transformer_id)
    if model is None:
        return "no champion model"
    target = get_transformer(engine, transformer_id).target_variable
    if not target:
        return "the transformer has no target_variable (measured temperature) configured"
    return model, target


def _measured_and_predicted(
    engine: Engine, transformer_id: str, model: ModelVersion, target: str, at: datetime
) -> tuple[pd.Series, pd.Series]:
    start, end = at - RECENT, at + timedelta(microseconds=1)
    measured = readings_frame(engine, transformer_id, start, end, [target], good_only=True)[target]
    predicted = predictions_frame(engine, transformer_id, start, end, model_id=model.id)["value"]
    return measured, predicted


def score_accuracy(engine: Engine, transformer_id: str, at: datetime) -> JobOutput:
    """Live error of the champion over 24 h / 7 d / 30 d, its ratio to the validation error,
    and whether it has stayed degraded for :data:`~thermowatch.learn.accuracy.DEGRADED_CHECKS`
    checks (the ``model_degraded`` condition)."""
    found = _champion_and_target(engine, transformer_id)
    if isinstance(found, str):
        return JobOutput({"verdict": "skipped", "reason": found})
    model, target = found
    measured, predicted = _measured_and_predicted(engine, transformer_id, model, target, at)
    errors = live_errors(measured, predicted, pd.Timestamp(at))
    baseline = validation_error(model.metrics)
    week = errors["7d"]
    ratio = week["rmse"] / baseline[0] if baseline and "rmse" in week else float("nan")
    past = [c["values"].get("ratio_7d", float("nan")) for c in
            reversed(recent_checks(engine, transformer_id, "accuracy"))
            if c["model_id"] == model.id]  # fmt: skip
    is_degraded = degraded([*past, ratio])
    if "rmse" not in week:
        verdict = "insufficient_data"
    elif is_degraded:
        verdict = "degraded"
    else:
        # No validation error registered (ratio NaN): nothing to compare with, so not "watch".
        verdict = "ok" if math.isnan(ratio) or ratio <= DEGRADED_FACTOR else "watch"
    values = {
        "windows": errors,
        "validation_rmse": baseline[0] if baseline else None,
        "ratio_7d": ratio,
        "factor": DEGRADED_FACTOR,
    }
    result = {"verdict": verdict, "model_id": model.id, **values}

    def write(conn: Connection) -> None:
        record_check(conn, transformer_id, model.id, "accuracy", at, verdict, values)

    def alert() -> object:
        return alert_hook(engine).alerts.check_model(
            transformer_id, at, ratio, DEGRADED_FACTOR, is_degraded
        )

    return JobOutput(result, [write], [alert] if "rmse" in week else [])


def check_model_drift(engine: Engine, transformer_id: str, at: datetime) -> JobOutput:
    """Inputs of the last 30 days against the year before the champion was registered, and the
    champion's residuals against its validation error: "world moved" (retrain) or "transformer
    changed" (a person must look; never retrain on it)."""
    found = _champion_and_target(engine, transformer_id)
    if isinstance(found, str):
        return JobOutput({"verdict": "skipped", "reason": found})
    model, target = found
    trained_until = model.created_at
    reference = readings_frame(
        engine, transformer_id, trained_until - REFERENCE, trained_until, good_only=True
    )
    recent = readings_frame(
        engine, transformer_id, at - RECENT, at + timedelta(microseconds=1), good_only=True
    )
    inputs = [c for c in reference.columns if c != target and c in recent.columns]
    measured, predicted = _measured_and_predicted(engine, transformer_id, model, target, at)
    residuals = (measured - predicted.reindex(measured.index)).dropna()
    baseline = validation_error(model.metrics)
    if reference.empty or recent.empty or baseline is None:
        why = "no training-period readings" if reference.empty else (
            "no recent readings" if recent.empty else "no validation error registered")  # fmt: skip
        return JobOutput({"verdict": "insufficient_data", "reason": why, "model_id": model.id})
    report = check_drift(
        {c: reference[c].to_numpy() for c in inputs},
        {c: recent[c].to_numpy() for c in inputs},
        ResidualBaseline.from_rmse(*baseline),
        residuals.to_numpy(),
    )
    values = report.as_dict()
    action = {"world_moved": "retrain", "transformer_changed": "anomaly_alert"}.get(
        report.verdict.value
    )
    result = {"verdict": report.verdict.value, "model_id": model.id, "action": action, **values}

    def write(conn: Connection) -> None:
        record_check(conn, transformer_id, model.id, "drift", at, report.verdict.value, values)

    changed = report.verdict is DriftVerdict.TRANSFORMER_CHANGED
    limit = ResidualBaseline.from_rmse(*baseline).sigma
    if report.verdict is DriftVerdict.WORLD_MOVED:  # retrain now, not at the next 90-day mark
        writes = [write, lambda conn: enqueue_runs(conn, "retrain", [transformer_id], at)]
    else:
        writes = [write]

    def alert() -> object:
        return alert_hook(engine).alerts.check_residual_drift(
            transformer_id, at, report.residual_shift, changed, limit
        )

    return JobOutput(result, writes, [alert])


def retrain_job(engine: Engine, transformer_id: str, at: datetime) -> JobOutput:
    """See :func:`thermowatch.jobs.retrain.retrain` (imported lazily: it pulls in training)."""
    from thermowatch.jobs.retrain import retrain

    return retrain(engine, transformer_id, at)


#: Job kinds → functions. Adding a job is one function plus one line here.
JOBS: dict[str, Callable[[Engine, str, datetime], JobOutput]] = {
    "accuracy": score_accuracy,
    "drift": check_model_drift,
    "retrain": retrain_job,
}
