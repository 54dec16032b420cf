"""The lifecycle jobs as plain functions: read the store, call the core, return what to write.

Each job returns a :class:`JobOutput`; the runner writes it in the transaction that finishes
the run, so a worker killed mid-job writes nothing and the retried run writes it once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, func, or_, select

from thermowatch.alerts.config import AlertsConfig
from thermowatch.alerts.hook import alert_hook
from thermowatch.errors import InputError
from thermowatch.jobs.job import JobOutput
from thermowatch.jobs.model_facts import lifecycle_facts
from thermowatch.learn.accuracy import DEGRADED_FACTOR, MIN_SAMPLES, degraded, live_errors
from thermowatch.learn.drift import (
    DriftVerdict,
    ResidualBaseline,
    check_drift,
    detectable_shift,
)
from thermowatch.store.jobs import enqueue_runs, recent_checks, record_check
from thermowatch.store.models import ModelVersion, champion
from thermowatch.store.predictions import predictions_frame
from thermowatch.store.readings import readings_frame
from thermowatch.store.tables import alerts
from thermowatch.store.transformers import get_transformer

#: How far back the live error and the drift check look.
RECENT = timedelta(days=30)
#: At most this much of the training data (before its end) is the drift reference.
REFERENCE = timedelta(days=365)
#: Fewest residuals for a drift verdict (two days of hourly data; Page–Hinkley needs a run).
MIN_RESIDUALS = 48
#: Alert kinds whose open periods are kept out of training and scoring.
FAULT_KINDS = ("temperature_measured", "anomaly", "residual_drift")
#: The "transformer changed" alarm (raised by the drift check).
RESIDUAL_DRIFT = "residual_drift"


def _champion_and_target(engine: Engine, transformer_id: str) -> tuple[ModelVersion, str] | str:
    model = champion(engine, transformer_id)
    if model is None:
        return "no champion model"
    target = get_transformer(engine, transformer_id).target_variable
    if not target:
        return "the transformer has no target_variable (measured temperature) configured"
    return model, target


def fault_periods(engine: Engine, transformer_id: str, start: datetime, end: datetime
                  ) -> list[tuple[datetime, datetime]]:  # fmt: skip
    """Periods with a fault-like alert open (temperature, anomaly, residual drift), clipped to
    ``[start, end)``: kept out of what a model is trained or scored on."""
    c = alerts.c
    q = select(c.raised_at, c.resolved_at).where(
        c.transformer_id == transformer_id,
        c.kind.in_(FAULT_KINDS),
        c.raised_at < end,
        or_(c.resolved_at.is_(None), c.resolved_at > start),
    )
    with engine.connect() as conn:
        return [(max(a, start), min(b or end, end)) for a, b in conn.execute(q)]


def drop_periods(frame: pd.DataFrame | pd.Series, periods: list[tuple[datetime, datetime]]
                 ) -> Any:  # fmt: skip
    """``frame`` without its rows inside any of ``periods`` (``[start, end)``)."""
    keep = np.ones(len(frame), dtype=bool)
    for a, b in periods:
        keep &= ~((frame.index >= a) & (frame.index < b))
    return frame[keep]


def transformer_changed_since(engine: Engine, transformer_id: str, at: datetime
                              ) -> datetime | None:  # fmt: skip
    """When the "transformer changed" alarm (``residual_drift``) open at ``at`` was raised;
    None when there is none. While it is open nobody retrains: a person must look first."""
    c = alerts.c
    q = select(func.min(c.raised_at)).where(
        c.transformer_id == transformer_id, c.kind == RESIDUAL_DRIFT, c.raised_at <= at,
        or_(c.resolved_at.is_(None), c.resolved_at > at),
    )  # fmt: skip
    with engine.connect() as conn:
        return conn.execute(q).scalar()


def _measured_and_predicted(
    engine: Engine, transformer_id: str, model: ModelVersion, target: str, at: datetime
) -> tuple[pd.Series, pd.Series]:
    start, end = at - RECENT, at + timedelta(microseconds=1)
    measured = readings_frame(engine, transformer_id, start, end, [target], good_only=True)
    measured = measured[target] if target in measured.columns else pd.Series(dtype="float64")
    predicted = predictions_frame(engine, transformer_id, start, end, model_id=model.id)["value"]
    return measured, predicted


def _insufficient(model: ModelVersion | None, reason: str, **numbers: Any) -> JobOutput:
    return JobOutput({"verdict": "insufficient_data", "reason": reason,
                      "model_id": model.id if model else None, **numbers})  # fmt: skip


def _champion_facts(
    engine: Engine, transformer_id: str
) -> tuple[ModelVersion, str, Any] | JobOutput:
    """The champion, the target it predicts and its lifecycle facts, or the job's verdict
    when one is missing (skipped: no champion or no target; insufficient: no facts)."""
    found = _champion_and_target(engine, transformer_id)
    if isinstance(found, str):
        return JobOutput({"verdict": "skipped", "reason": found})
    model, target = found
    try:
        return model, target, lifecycle_facts(engine, model)
    except InputError as exc:  # no validation error nor training window: the reason says so
        return _insufficient(model, str(exc))


def score_accuracy(engine: Engine, transformer_id: str, at: datetime,
                   alerts: AlertsConfig | None = None) -> JobOutput:  # fmt: skip
    """Live error of the champion over 24 h / 7 d / 30 d, its ratio to the validation error,
    and whether it has stayed degraded for :data:`~thermowatch.learn.accuracy.DEGRADED_CHECKS`
    checks (the ``model_degraded`` condition). Open fault periods are not scored. ``alerts``:
    the alerts settings the ``model_degraded`` alarm is raised under (``None``: phase 1)."""
    found = _champion_facts(engine, transformer_id)
    if isinstance(found, JobOutput):
        return found
    model, target, facts = found
    measured, predicted = _measured_and_predicted(engine, transformer_id, model, target, at)
    faults = fault_periods(engine, transformer_id, at - RECENT, at + timedelta(microseconds=1))
    measured = drop_periods(measured, faults)
    errors = live_errors(measured, predicted, pd.Timestamp(at))
    week = errors["7d"]
    if "rmse" not in week:
        return _insufficient(
            model, f"{int(week['n'])} valid pairs of measured and predicted {target} in the last "
            f"7 days (open fault periods excluded: {len(faults)}); at least {MIN_SAMPLES} needed",
            n=int(week["n"]), windows=errors,
        )  # fmt: skip
    ratio = week["rmse"] / facts.validation_rmse
    past = [c["values"].get("ratio_7d") for c in
            reversed(recent_checks(engine, transformer_id, "accuracy"))
            if c["model_id"] == model.id]  # fmt: skip
    is_degraded = degraded([float(r) for r in past if isinstance(r, int | float)] + [ratio])
    verdict = "degraded" if is_degraded else "ok" if ratio <= DEGRADED_FACTOR else "watch"
    values = {
        "windows": errors,
        "validation_rmse": facts.validation_rmse,
        "ratio_7d": ratio,
        "factor": DEGRADED_FACTOR,
        "n": int(week["n"]),
        "excluded_fault_periods": len(faults),
    }
    result = {"verdict": verdict, "model_id": model.id, **values}

    def write(conn: Connection) -> None:
        record_check(conn, transformer_id, model.id, "accuracy", at, verdict, values)

    def alert() -> object:
        return alert_hook(engine, alerts).alerts.check_model(
            transformer_id, at, ratio, DEGRADED_FACTOR, is_degraded
        )

    return JobOutput(result, [write], [alert])


def check_model_drift(engine: Engine, transformer_id: str, at: datetime,
                      alerts: AlertsConfig | None = None) -> JobOutput:  # fmt: skip
    """Inputs of the last 30 days against the model's training data (the readings of its
    training window, at most a year before its end, or else its registered input ranges), and
    the champion's residuals against its validation error: "world moved" (retrain) or
    "transformer changed" (a person must look; never retrain on it). ``alerts``: the alerts
    settings the ``residual_drift`` alarm is raised under (``None``: phase 1)."""
    found = _champion_facts(engine, transformer_id)
    if isinstance(found, JobOutput):
        return found
    model, target, facts = found
    ref_start = max(facts.train_start, facts.train_end - REFERENCE)
    reference = readings_frame(engine, transformer_id, ref_start,
                               facts.train_end + timedelta(microseconds=1), good_only=True)  # fmt: skip
    recent = readings_frame(
        engine, transformer_id, at - RECENT, at + timedelta(microseconds=1), good_only=True
    )
    measured, predicted = _measured_and_predicted(engine, transformer_id, model, target, at)
    residuals = (measured - predicted.reindex(measured.index)).dropna()
    ranges = {k: (v["min"], v["max"]) for k, v in facts.input_ranges.items() if k != target}
    if reference.empty and not ranges:
        return _insufficient(model, "no readings of the training window "
                             f"({ref_start:%Y-%m-%d} to {facts.train_end:%Y-%m-%d}) in the store "
                             "and no input ranges registered")  # fmt: skip
    if recent.empty:
        return _insufficient(model, "no readings in the last 30 days", n=0)
    if len(residuals) < MIN_RESIDUALS:
        return _insufficient(
            model, f"{len(residuals)} valid residuals (measured − predicted {target}) in the "
            f"last 30 days; at least {MIN_RESIDUALS} needed", n=len(residuals),
        )  # fmt: skip
    inputs = [c for c in reference.columns if c != target and c in recent.columns]
    report = check_drift(
        {c: reference[c].to_numpy() for c in inputs},
        {c: recent[c].to_numpy() for c in recent.columns if c != target},
        ResidualBaseline.from_rmse(facts.validation_rmse, facts.validation_bias),
        residuals.to_numpy(),
        train_ranges=ranges,
    )
    values = {**report.as_dict(), "n": len(residuals),
              "reference": {"start": ref_start.isoformat(), "end": facts.train_end.isoformat(),
                            "rows": len(reference)}}  # fmt: skip
    changed = report.verdict is DriftVerdict.TRANSFORMER_CHANGED
    blocked = transformer_changed_since(engine, transformer_id, at)
    action = {"world_moved": "retrain", "transformer_changed": "anomaly_alert"}.get(
        report.verdict.value
    )
    if action == "retrain" and blocked is not None:
        action = "none: a 'transformer changed' alarm is open"
    result = {"verdict": report.verdict.value, "model_id": model.id, "action": action, **values}

    def write(conn: Connection) -> None:
        record_check(conn, transformer_id, model.id, "drift", at, report.verdict.value, values)

    # The alert's limit is the verdict's own (half the detectable shift): a "transformer
    # changed" verdict always raises it, a stable one resolves it.
    sigma = ResidualBaseline.from_rmse(facts.validation_rmse, facts.validation_bias).sigma
    limit = detectable_shift(sigma) / 2.0
    writes = [write]
    if action == "retrain":  # retrain now, not at the next 90-day mark
        writes.append(lambda conn: enqueue_runs(conn, "retrain", [transformer_id], at))

    def alert() -> object:
        return alert_hook(engine, alerts).alerts.check_residual_drift(
            transformer_id, at, report.residual_shift, changed, limit
        )

    return JobOutput(result, writes, [alert])
