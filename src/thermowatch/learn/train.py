"""The training pipeline: cleaned measurements in, fitted models and an honest evaluation out.

Pure computation (no files): the CLI reads the data, calls :func:`train`, then writes the
artifact and the report. Every model is asked of the registry (:mod:`thermowatch.learn.models`),
role by role (:mod:`.train_normal`, :mod:`.train_nowcast`, :mod:`.train_forecast`): adding a
model type never changes this module.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from thermowatch.data import Measurements
from thermowatch.data import quantities as q
from thermowatch.errors import InputError
from thermowatch.learn import evaluation
from thermowatch.learn.domain import Domain
from thermowatch.learn.features import FeatureSpec, build_features, feature_spec_for, with_drift
from thermowatch.learn.importance import feature_groups, permutation_importance_k
from thermowatch.learn.intervals import AdaptiveConformal
from thermowatch.learn.lags import steps_per
from thermowatch.learn.linear import LinearModel
from thermowatch.learn.result import TargetKind, TrainingResult
from thermowatch.learn.selection import RULE
from thermowatch.learn.split import make_split
from thermowatch.learn.thresholds import choose_thresholds
from thermowatch.learn.train_forecast import ForecastRole, interval_horizons, train_forecast
from thermowatch.learn.train_normal import (
    NormalRole,
    fold_stability,
    fold_verdicts,
    rolling_folds,
    stable_candidates,
    train_normal,
)
from thermowatch.learn.train_nowcast import NowcastRole, train_nowcast
from thermowatch.learn.training_data import (
    Progress,
    TrainingData,
    TrainOptions,
    banded_scores,
)

MAX_HORIZON_STEPS = 1440

__all__ = [
    "MAX_HORIZON_STEPS",
    "FittedModel",
    "TrainOptions",
    "fold_stability",
    "horizon_steps",
    "interval_horizons",
    "rolling_folds",
    "stable_candidates",
    "target_kind",
    "train",
]


@dataclass
class FittedModel:
    """The served models of every role, with what a prediction needs (saved as JSON)."""

    feature_spec: FeatureSpec
    model: LinearModel  # the normal-behaviour model's linear form (fast path)
    interval_half_width_k: float
    interval_level: float
    target: str = ""
    step_minutes: float = 0.0
    roles: dict[str, str] = field(default_factory=dict)  # role -> served model name
    nowcast: Any = None
    forecaster: Any = None
    intervals: dict[str, AdaptiveConformal] = field(default_factory=dict)
    forecast_steps: list[int] = field(default_factory=list)  # horizons of the forecast interval
    domain: Domain | None = None  # where the served models were trained


def target_kind(measurements: Measurements) -> TargetKind:
    """``"winding"``, ``"oil"`` or ``"other"``: what the target column measures.

    Parameters
    ----------
    measurements : Measurements
        The training data.

    Returns
    -------
    str
        The kind of the target column's quantity.
    """
    quantity = measurements.columns[measurements.target].quantity
    return {q.WINDING_TEMPERATURE: "winding", q.TOP_OIL_TEMPERATURE: "oil"}.get(quantity, "other")  # type: ignore[return-value]


def horizon_steps(horizon: str | int | None, step: pd.Timedelta) -> int:
    """Forecast horizon in steps of the data (default 24 h, at least 96 steps).

    Parameters
    ----------
    horizon : str or int or None
        A duration such as ``"24h"``, a number of steps, or None (the default).
    step : pandas.Timedelta
        Sampling step of the data.

    Returns
    -------
    int
        The horizon [steps], 1 to :data:`MAX_HORIZON_STEPS` (else :class:`InputError`).
    """
    if horizon is None:
        steps = max(96, steps_per("24h", step))
    elif isinstance(horizon, int) or str(horizon).isdigit():
        steps = int(horizon)
    else:
        try:
            steps = steps_per(str(horizon), step)
        except ValueError:
            raise InputError(f"--horizon {horizon!r} must be a duration such as 24h.") from None
    if not 1 <= steps <= MAX_HORIZON_STEPS:
        raise InputError(
            f"--horizon {horizon!r} is {steps} steps; it must be 1 to {MAX_HORIZON_STEPS} steps."
        )
    return steps


class _Clock:
    """Times each step of a run (the report's footer) and reports its progress."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress or (lambda _label: None)
        self.timings: dict[str, float] = {}
        self.clock = time.perf_counter()

    def lap(self, label: str) -> None:
        now = time.perf_counter()
        self.timings[label] = now - self.clock
        self.clock = now
        self.progress(label)


def _rows_mask(n: int, part: slice) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    mask[part] = True
    return mask


def prepare(measurements: Measurements, options: TrainOptions) -> TrainingData:
    """Split the rows, build the features and the row masks every role reads.

    Parameters
    ----------
    measurements : Measurements
        Cleaned measurements; rows after the last border of the split are left out.
    options : TrainOptions
        The run's choices (split, calendar terms, rated current, thermal spec).

    Returns
    -------
    TrainingData
        What every role reads.
    """
    split = make_split(
        measurements.frame.index,
        measurements.file_rows,
        measurements.cleaning.rows_in,
        options.split_rows,
        options.split_dates,
    )
    if split.test.stop < len(measurements.frame):  # rows after the last border: left out
        measurements = measurements.subset(slice(0, split.test.stop))
    frame = measurements.frame
    if not measurements.feature_columns:
        raise InputError(
            f"{measurements.source}: no measurement column besides the target {measurements.target!r} to learn from."
        )
    spec = feature_spec_for(
        measurements, options.calendar, options.rated_current_a, options.thermal_spec
    )
    elapsed = (frame.index - frame.index[0]) / pd.Timedelta("1min")
    warm = np.asarray(elapsed >= min(spec.warmup_minutes, 0.25 * elapsed[split.train.stop - 1]))
    train_rows = _rows_mask(len(frame), split.train)
    suspect = measurements.flagged(measurements.target)  # kept, evaluated, never learnt from
    return TrainingData(
        measurements=measurements,
        options=options,
        split=split,
        spec=spec,
        physics=build_features(frame, spec),
        y=frame[measurements.target].to_numpy(dtype=np.float64),
        train_rows=train_rows,
        fit_rows=train_rows & warm & ~suspect,
        clean_val=_rows_mask(len(frame), split.validation) & ~suspect,
        suspect=suspect,
    )


def train(
    measurements: Measurements,
    options: TrainOptions = TrainOptions(),
    progress: Progress | None = None,
) -> tuple[TrainingResult, FittedModel]:
    """Fit every candidate of every role side by side, choose on validation, evaluate on test.

    Parameters
    ----------
    measurements : Measurements
        Cleaned measurements with their target column.
    options : TrainOptions
        The run's choices (split, thresholds, interval level, horizon, ...).
    progress : callable, optional
        Called with the name of each step when it ends.

    Returns
    -------
    tuple of (TrainingResult, FittedModel)
        What the report shows and what the artifact serves.
    """
    clock = _Clock(progress)
    data = prepare(measurements, options)
    clock.lap("features")
    normal = train_normal(data, clock.lap)
    nowcast = train_nowcast(data, normal.readings(data))
    clock.lap("nowcast")
    forecast = None
    if options.forecast:
        h = horizon_steps(options.horizon, data.step)
        forecast = train_forecast(data, normal.predicted, h)
        clock.lap("forecast")
    result = _result(data, normal, nowcast, forecast, clock.timings)
    clock.lap("report data")
    return result, _fitted(data, normal, nowcast, forecast)


def _models(data: TrainingData, normal: NormalRole, nowcast: NowcastRole) -> dict[str, Any]:
    """Every scored model's metrics by part; the served ones with their interval's coverage."""
    models = dict(normal.metrics)
    lower, upper = normal.band[0], normal.band[1]
    models[normal.choice.chosen] = banded_scores(data.y, normal.predicted, lower, upper, data.split)
    models.update(nowcast.metrics)
    return models


def _result(data, normal, nowcast, forecast, timings) -> TrainingResult:
    """What the report shows (:class:`TrainingResult`)."""
    options, split, y = data.options, data.split, data.y
    models = _models(data, normal, nowcast)
    choices = {"normal": normal.choice, "nowcast": nowcast.choice}
    if forecast is not None:
        choices["forecast"] = forecast.choice
    kind = target_kind(data.measurements)
    table = _table(data, normal, nowcast)
    groups = _error_groups(data, table)
    importances = _importances(data, normal) if options.report else []
    total = sum(max(v, 0.0) for _, v in importances) or 1.0
    return TrainingResult(
        measurements=data.measurements,
        target_kind=kind,
        split=split.describe(data.index),
        models=models,
        chosen_model=normal.choice.chosen,
        predictions=table,
        interval={
            "level": options.interval_level,
            "half_width_k": normal.band[3],
            "coverage_test": models[normal.choice.chosen]["test"].get("coverage", float("nan")),
            "method": "adaptive conformal (rolling window of recent residuals, ACI factor)",
        },
        coefficients=[],  # raw coefficients of collinear filters mislead: see importances
        drivers=[(name, max(v, 0.0) / total) for name, v in importances],
        error_by_season=groups["error_by_season"],
        error_by_load_band=groups["error_by_load_band"],
        cross_validation=normal.folds[normal.choice.chosen],
        thresholds=choose_thresholds(y[split.train], kind, options.alerte_c, options.critique_c),
        load_pu=evaluation.load_pu(data.measurements, options.rated_current_a),
        rated_current_a=options.rated_current_a,
        hot_spot_c=(
            data.frame[data.measurements.target]
            if kind == "winding"
            else evaluation.iec_hot_spot(data.physics)
        ),
        timings=timings,
        lang=options.lang,
        site_zone=options.site_zone,
        roles=_roles(choices, normal),
        selection_rule=RULE,
        importances_k=importances,
        treated_as_load=list(data.spec.load_inputs),
        forecast=forecast.report if forecast is not None else {},
    )


def _roles(choices, normal: NormalRole) -> dict[str, dict]:
    """Each role's verdict; normal behaviour's with the stability of each candidate's folds."""
    folds = {"folds": fold_verdicts(normal.folds, normal.choice.chosen)}
    return {
        role: choice.to_dict() | (folds if role == "normal" else {})
        for role, choice in choices.items()
    }


def _table(data: TrainingData, normal: NormalRole, nowcast: NowcastRole) -> pd.DataFrame:
    """Per row: measured, predicted (with its interval), the original approach, the nowcast."""
    return pd.DataFrame(
        {
            "measured": data.y,
            "predicted": normal.predicted,
            "lower": normal.band[0],
            "upper": normal.band[1],
            "baseline": normal.original,
            "nowcast": nowcast.predicted,
            "split": data.split.labels(len(data.y)),
        },
        index=data.index,
    )


def _importances(data: TrainingData, normal: NormalRole) -> list[tuple[str, float]]:
    """Permutation importances [K] of the served normal-behaviour model on validation."""
    model, rows = normal.model, data.split.validation
    return permutation_importance_k(
        model.predict,
        with_drift(data.physics, model.linear.features).iloc[rows],
        data.y[rows],
        feature_groups(data.spec, list(model.linear.features)),
    )


def _error_groups(data: TrainingData, table: pd.DataFrame) -> dict[str, dict]:
    """Test errors by season and by load band (empty without the report)."""
    if not data.options.report:
        return {"error_by_season": {}, "error_by_load_band": {}}
    test = data.split.test
    load_pu = evaluation.load_pu(data.measurements, data.options.rated_current_a)
    bands = evaluation.load_bands(load_pu, data.frame, data.spec, test)
    return {
        "error_by_season": evaluation.grouped(
            table.iloc[test], table.index[test].month.map(evaluation.SEASONS)
        ),
        "error_by_load_band": evaluation.grouped(table.iloc[test], bands),
    }


def _fitted(data, normal: NormalRole, nowcast: NowcastRole, forecast: ForecastRole | None):
    """The served models of every role (:class:`FittedModel`, saved as the artifact)."""
    intervals = {"normal": normal.band[2], "nowcast": nowcast.band[2]}
    roles = {"normal": normal.choice.chosen, "nowcast": nowcast.choice.chosen}
    if forecast is not None:
        intervals["forecast"] = forecast.state
        roles["forecast"] = forecast.choice.chosen
    return FittedModel(
        data.spec,
        normal.model.linear,
        normal.band[3],
        data.options.interval_level,
        target=data.measurements.target,
        step_minutes=data.step / pd.Timedelta("1min"),
        roles=roles,
        nowcast=nowcast.model,
        forecaster=forecast.model if forecast is not None else None,
        intervals=intervals,
        forecast_steps=forecast.steps if forecast is not None else [],
        domain=Domain.of(data.frame, data.spec.inputs, data.y, data.refit_rows),
    )
