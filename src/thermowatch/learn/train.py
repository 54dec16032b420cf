"""The training pipeline: cleaned measurements in, fitted models and an honest evaluation out.

Pure computation (no files): the CLI reads the data, calls :func:`train`, then writes the
artifact and the report.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from thermowatch.data import Measurements
from thermowatch.data import quantities as q
from thermowatch.errors import InputError
from thermowatch.learn.features import FeatureSpec, build_features, feature_spec_for
from thermowatch.learn.lags import lag
from thermowatch.learn.linear import LinearModel
from thermowatch.learn.metrics import conformal_half_width, regression_metrics
from thermowatch.learn.result import TargetKind, TrainingResult
from thermowatch.learn.split import Split, make_split, rolling_origin_folds
from thermowatch.learn.thresholds import choose_thresholds
from thermowatch.thermal import TransformerSpec

RIDGE_ALPHAS = (0.01, 0.1, 1.0, 10.0, 100.0)
GBM_MAX_ROWS = 50_000  # the non-linear comparison subsamples: it is a check, not the product
SEASONS = {
    12: "winter",
    1: "winter",
    2: "winter",
    3: "spring",
    4: "spring",
    5: "spring",
    6: "summer",
    7: "summer",
    8: "summer",
    9: "autumn",
    10: "autumn",
    11: "autumn",
}


@dataclass(frozen=True)
class TrainOptions:
    """Choices of a training run (CLI options)."""

    split_rows: str | None = None
    split_dates: str | None = None
    alerte_c: float | None = None
    critique_c: float | None = None
    rated_current_a: float | None = None
    thermal_spec: TransformerSpec | None = None
    calendar: bool = True
    interval_level: float = 0.9
    nonlinear: bool = True
    lang: str = "fr"


@dataclass
class FittedModel:
    """The chosen model with what a prediction needs."""

    feature_spec: FeatureSpec
    model: LinearModel
    interval_half_width_k: float
    interval_level: float


Progress = Callable[[str], None]


def target_kind(measurements: Measurements) -> TargetKind:
    quantity = measurements.columns[measurements.target].quantity
    return {q.WINDING_TEMPERATURE: "winding", q.TOP_OIL_TEMPERATURE: "oil"}.get(quantity, "other")  # type: ignore[return-value]


def train(
    measurements: Measurements,
    options: TrainOptions = TrainOptions(),
    progress: Progress | None = None,
) -> tuple[TrainingResult, FittedModel]:
    """Fit and evaluate every model side by side; return the report's result and the chosen model."""
    step = progress or (lambda _label: None)
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(label: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[label] = now - clock
        clock = now
        step(label)

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
    y = frame[measurements.target].to_numpy(dtype=np.float64)
    if not measurements.feature_columns:
        raise InputError(
            f"{measurements.source}: no measurement column besides the target {measurements.target!r} to learn from."
        )
    spec = feature_spec_for(
        measurements, options.calendar, options.rated_current_a, options.thermal_spec
    )
    physics = build_features(frame, spec)
    raw = frame[list(spec.inputs)].to_numpy(dtype=np.float64)
    x = physics.to_numpy(dtype=np.float64)
    names = list(physics.columns)
    lap("features")

    n = len(frame)
    elapsed = (frame.index - frame.index[0]) / pd.Timedelta("1min")
    warm = np.asarray(elapsed >= min(spec.warmup_minutes, 0.25 * elapsed[split.train.stop - 1]))
    fit_rows = np.zeros(n, dtype=bool)
    fit_rows[split.train] = True
    fit_rows &= warm  # filters still forgetting their start would teach the model a transient
    fit_rows &= ~measurements.flagged(measurements.target)  # suspect targets: kept, not learnt

    baseline = LinearModel.fit(raw[split.train], y[split.train], list(spec.inputs))
    pred_base = baseline.predict(raw)
    lap("baseline-linear")

    best = None
    for alpha in RIDGE_ALPHAS:
        candidate = LinearModel.fit(x[fit_rows], y[fit_rows], names, alpha=alpha)
        rmse = regression_metrics(y[split.validation], candidate.predict(x[split.validation]))[
            "rmse"
        ]
        if best is None or rmse < best[0]:
            best = (rmse, candidate)
    assert best is not None
    chosen = best[1]
    pred = chosen.predict(x)
    half = conformal_half_width(
        y[split.validation] - pred[split.validation], options.interval_level
    )
    lower, upper = pred - half, pred + half
    lap("thermal-linear")

    previous = lag(y, frame.index, measurements.step, 1)  # across a gap: missing, not stale
    x_step = np.column_stack([x, previous])
    ok_step = fit_rows & np.isfinite(previous)
    one_step = LinearModel.fit(
        x_step[ok_step], y[ok_step], [*names, "previous target"], alpha=chosen.alpha
    )
    pred_step = np.where(np.isfinite(previous), one_step.predict(np.nan_to_num(x_step)), np.nan)
    lap("one-step")

    predictions = {
        "baseline-linear": pred_base,
        "thermal-linear": pred,
        "thermal-linear-1step": pred_step,
        "persistence": previous,
    }
    if options.nonlinear:
        predictions["gradient-boosting"] = _gradient_boosting(x, y, fit_rows, split)
        lap("gradient-boosting")

    models = {
        name: {
            part: regression_metrics(y[getattr(split, part)], p[getattr(split, part)])
            for part in ("validation", "test")
        }
        for name, p in predictions.items()
    }
    for part in ("validation", "test"):
        rows = getattr(split, part)
        models["thermal-linear"][part] = regression_metrics(
            y[rows], pred[rows], lower[rows], upper[rows]
        )

    kind = target_kind(measurements)
    load_pu = _load_pu(measurements, options.rated_current_a)
    table = pd.DataFrame(
        {
            "measured": y,
            "predicted": pred,
            "lower": lower,
            "upper": upper,
            "baseline": pred_base,
            "split": split.labels(n),
        },
        index=frame.index,
    )
    test = split.test
    result = TrainingResult(
        measurements=measurements,
        target_kind=kind,
        split=split.describe(frame.index),
        models=models,
        chosen_model="thermal-linear",
        predictions=table,
        interval={
            "level": options.interval_level,
            "half_width_k": half,
            "coverage_test": models["thermal-linear"]["test"].get("coverage", float("nan")),
        },
        coefficients=chosen.ranked_coefficients(),
        drivers=_drivers(chosen, spec),
        error_by_season=_grouped(table.iloc[test], table.index[test].month.map(SEASONS)),
        error_by_load_band=_grouped(table.iloc[test], _load_bands(load_pu, frame, spec, test)),
        cross_validation=_cross_validate(
            x, raw, y, fit_rows, split, chosen.alpha, frame.index, names, list(spec.inputs)
        ),
        thresholds=choose_thresholds(y[split.train], kind, options.alerte_c, options.critique_c),
        load_pu=load_pu,
        rated_current_a=options.rated_current_a,
        hot_spot_c=frame[measurements.target] if kind == "winding" else _iec_hot_spot(physics),
        timings=timings,
        lang=options.lang,
    )
    lap("evaluation")
    return result, FittedModel(spec, chosen, half, options.interval_level)


def _gradient_boosting(
    x: np.ndarray, y: np.ndarray, fit_rows: np.ndarray, split: Split
) -> np.ndarray:
    """HistGradientBoosting on the same features, scored on validation and test rows only."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    rows = np.flatnonzero(fit_rows)
    if rows.size > GBM_MAX_ROWS:
        rows = rows[np.linspace(0, rows.size - 1, GBM_MAX_ROWS).astype(int)]
    model = HistGradientBoostingRegressor(max_iter=100, learning_rate=0.15, random_state=0)
    model.fit(x[rows], y[rows])
    out = np.full(len(y), np.nan)
    scored = slice(split.validation.start, split.test.stop)
    out[scored] = model.predict(x[scored])
    return out


def _load_pu(measurements: Measurements, rated_current_a: float | None) -> pd.Series | None:
    load = measurements.column_for(q.LOAD_PU)
    if load:
        return measurements.frame[load]
    current = measurements.column_for(q.CURRENT)
    if current and rated_current_a:
        return measurements.frame[current] / rated_current_a
    return None


def _iec_hot_spot(physics: pd.DataFrame) -> pd.Series | None:
    from thermowatch.learn.features import IEC_HOT_SPOT

    return physics.get(IEC_HOT_SPOT, None)


def _drivers(model: LinearModel, spec: FeatureSpec) -> list[tuple[str, float]]:
    """Share of |coefficient| per measured input (its square and smoothed versions together)."""
    totals: dict[str, float] = {}
    for feature, coef in zip(model.features, np.abs(model.coef), strict=True):
        source = next(
            (
                c
                for c in spec.inputs
                if feature == c or feature.startswith(f"{c}²") or feature.startswith(f"{c} ~")
            ),
            feature,
        )
        totals[source] = totals.get(source, 0.0) + float(coef)
    grand = sum(totals.values()) or 1.0
    return sorted(((k, v / grand) for k, v in totals.items()), key=lambda kv: -kv[1])


def _grouped(
    table: pd.DataFrame, groups: pd.Index | np.ndarray | None
) -> dict[str, dict[str, float]]:
    if groups is None:
        return {}
    out = {}
    for key, part in table.groupby(np.asarray(groups), sort=True):
        out[str(key)] = regression_metrics(
            part["measured"], part["predicted"], part["lower"], part["upper"]
        )
    return out


def _load_bands(
    load_pu: pd.Series | None, frame: pd.DataFrame, spec: FeatureSpec, rows: slice
) -> np.ndarray | None:
    if load_pu is not None:
        values = load_pu.to_numpy()[rows]
        edges, labels = [0.5, 0.8, 1.0], ["<0.5 pu", "0.5-0.8 pu", "0.8-1.0 pu", ">1.0 pu"]
        return np.asarray(labels, dtype=object)[np.digitize(values, edges)]
    if spec.load_inputs:
        values = frame[spec.load_inputs[0]].to_numpy()[rows]
        quartile = np.digitize(values, np.nanpercentile(values, [25, 50, 75]))
        return np.asarray(["Q1", "Q2", "Q3", "Q4"], dtype=object)[quartile]
    return None


def _cross_validate(x, raw, y, fit_rows, split, alpha, index, names, inputs) -> list[dict]:
    folds = []
    for i, (train_rows, test_rows) in enumerate(rolling_origin_folds(split.validation.stop)):
        mask = np.zeros(len(y), dtype=bool)
        mask[train_rows] = True
        mask &= fit_rows | (np.arange(len(y)) >= split.train.stop)
        if mask.sum() < 20:
            continue
        model = LinearModel.fit(x[mask], y[mask], names, alpha=alpha)
        base = LinearModel.fit(raw[train_rows], y[train_rows], inputs)
        folds.append(
            {
                "fold": i + 1,
                "train_end": index[train_rows.stop - 1].isoformat(),
                "test_end": index[test_rows.stop - 1].isoformat(),
                **regression_metrics(y[test_rows], model.predict(x[test_rows])),
                "baseline_rmse": regression_metrics(y[test_rows], base.predict(raw[test_rows]))[
                    "rmse"
                ],
            }
        )
    return folds
