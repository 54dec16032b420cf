"""The training pipeline: cleaned measurements in, fitted models and an honest evaluation out.

Pure computation (no files): the CLI reads the data, calls :func:`train`, then writes the
artifact and the report.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from thermowatch.data import Measurements
from thermowatch.data import quantities as q
from thermowatch.errors import InputError
from thermowatch.learn.domain import Domain
from thermowatch.learn.features import FeatureSpec, build_features, feature_spec_for, with_drift
from thermowatch.learn.importance import feature_groups, permutation_importance_k
from thermowatch.learn.intervals import AdaptiveConformal, rolling_half_widths
from thermowatch.learn.lags import lag, steps_per
from thermowatch.learn.linear import LinearModel
from thermowatch.learn.metrics import conformal_half_width, regression_metrics
from thermowatch.learn.models.forecast import (
    DirectForecast,
    EnsembleForecast,
    NLinearForecast,
    futures,
    grid_positions,
    on_grid,
)
from thermowatch.learn.models.normal import BaselineLinear, normal_candidates
from thermowatch.learn.models.nowcast import NowcastRidge, Persistence
from thermowatch.learn.models.pooled import PooledForecast, validation_folds
from thermowatch.learn.result import TargetKind, TrainingResult
from thermowatch.learn.selection import RULE, Candidate, choose
from thermowatch.learn.split import Split, make_split, rolling_origin_folds
from thermowatch.learn.thresholds import choose_thresholds
from thermowatch.thermal import TransformerSpec

GBM_MAX_ROWS = 20_000  # the non-linear comparison subsamples: it is a check, not the product
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
    """Choices of a training run (CLI options).

    ``horizon``: forecast horizon (a duration such as ``"24h"`` or a number of steps); by
    default 24 h and at least 96 steps, at most :data:`MAX_HORIZON_STEPS`.
    """

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
    site_zone: str = "Europe/Paris"  # IANA zone of the site (the report's local times)
    horizon: str | int | None = None
    forecast: bool = True
    #: False: skip what only the training report shows (permutation importances, rolling-origin
    #: cross-validation, error by season and load band): a scheduled retrain needs none of it.
    report: bool = True


# Candidates that contain others as a special case (the rule then lets the lower error win).
NESTS = {
    "forecast-ensemble": ("forecast-pooled", "forecast-direct"),
    "forecast-pooled": ("forecast-nlinear",),  # a pool weight of 0 is NLinear
}
ENSEMBLE_WEIGHTS = (0.25, 0.5, 0.75)  # of the past-only forecaster (0 and 1 are its members)
MAX_HORIZON_STEPS = 1440
MAX_EVAL_ORIGINS = 12_000  # forecast origins scored per period (strided beyond)
MAX_EVAL_VALUES = 3_000_000  # origins × horizon held per forecaster and period (memory)
LOOKBACKS = {"forecast-nlinear": 336, "forecast-direct": 720, "forecast-pooled": 336}


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


Progress = Callable[[str], None]


def target_kind(measurements: Measurements) -> TargetKind:
    quantity = measurements.columns[measurements.target].quantity
    return {q.WINDING_TEMPERATURE: "winding", q.TOP_OIL_TEMPERATURE: "oil"}.get(quantity, "other")  # type: ignore[return-value]


def horizon_steps(horizon: str | int | None, step: pd.Timedelta) -> int:
    """Forecast horizon in steps of the data (default 24 h, at least 96 steps)."""
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


def _rows_mask(n: int, part: slice) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    mask[part] = True
    return mask


def train(
    measurements: Measurements,
    options: TrainOptions = TrainOptions(),
    progress: Progress | None = None,
) -> tuple[TrainingResult, FittedModel]:
    """Fit every candidate of every role side by side, choose on validation, evaluate on test."""
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
    lap("features")

    n = len(frame)
    elapsed = (frame.index - frame.index[0]) / pd.Timedelta("1min")
    warm = np.asarray(elapsed >= min(spec.warmup_minutes, 0.25 * elapsed[split.train.stop - 1]))
    train_rows = _rows_mask(n, split.train)
    val_rows = _rows_mask(n, split.validation)
    suspect = measurements.flagged(measurements.target)  # kept, evaluated, never learnt from
    fit_rows = train_rows & warm & ~suspect

    baseline = BaselineLinear().fit(frame, y, train_rows & ~suspect, list(spec.inputs))
    pred_base = baseline.predict(frame)
    lap("baseline-linear")

    clean_val = val_rows & ~suspect
    refit_rows = fit_rows | clean_val
    candidates = {
        model.name: model.fit(physics, y, fit_rows, clean_val, spec, refit_rows=refit_rows)
        for model in normal_candidates(frame.index[fit_rows])
    }
    # Before test, each candidate is scored by its train-only fit (held out); the served one
    # is refitted on train + validation with the penalty chosen there.
    normal_preds = {}
    for name, model in candidates.items():
        made = model.predict(physics)
        made[: split.test.start] = model.predict_held_out(physics)[: split.test.start]
        normal_preds[name] = made
    folds = {
        name: rolling_folds(model, physics, frame, y, refit_rows, split, spec)
        for name, model in candidates.items()
    }
    lap("thermal-monotone")

    # Persistence as a reference is the gap-aware previous value (no fallback after a gap).
    previous = lag(y, frame.index, measurements.step, 1)

    predictions = {
        "baseline-linear": pred_base,
        **normal_preds,
        "persistence": previous,
    }
    if options.nonlinear:
        predictions["gradient-boosting"] = _gradient_boosting(
            physics.to_numpy(np.float64), y, fit_rows, split
        )
        lap("gradient-boosting")

    models = {
        name: {
            part: regression_metrics(y[getattr(split, part)], p[getattr(split, part)])
            for part in ("validation", "test")
        }
        for name, p in predictions.items()
    }
    normal_choice = choose(
        "normal",
        _stable_candidates(
            {name: (_fold_score(models[name]["validation"]["rmse"], folds[name]), m.parameters)
             for name, m in candidates.items()},
            folds,
        )
        + [
            Candidate(
                "baseline-linear",
                models["baseline-linear"]["validation"]["rmse"],
                baseline.parameters,
                servable=False,
                why_not="not monotone in load by construction",
            )
        ]
        + (
            [
                Candidate(
                    "gradient-boosting",
                    models["gradient-boosting"]["validation"]["rmse"],
                    10**6,
                    servable=False,
                    why_not="no JSON form",
                )
            ]
            if options.nonlinear
            else []
        ),
    )  # fmt: skip
    normal = candidates[normal_choice.chosen]
    pred = normal_preds[normal_choice.chosen]
    lower, upper, normal_state, half = _adaptive_band(
        y, pred, split, options.interval_level, measurements.step
    )
    # The nowcast reads the served normal-behaviour model (refitted) everywhere: it learns the
    # residual structure it will see in service.
    served_normal = normal.predict(physics)
    nowcasters: dict[str, Any] = {
        "nowcast-ridge": NowcastRidge().fit(
            y,
            served_normal,
            frame.index,
            measurements.step,
            fit_rows,
            clean_val,
            refit_rows=refit_rows,
        ),
        "persistence": Persistence(),
    }
    now_preds = {
        name: m.predict(y, served_normal, frame.index, measurements.step)
        for name, m in nowcasters.items()
    }
    # Before test, the nowcast ridge is scored by its train-only fit (held out); the served
    # one is refitted on train + validation with the penalty chosen there.
    held = nowcasters["nowcast-ridge"].predict(
        y, served_normal, frame.index, measurements.step, True
    )
    now_preds["nowcast-ridge"][: split.test.start] = held[: split.test.start]
    lap("nowcast")
    models["nowcast-ridge"] = {
        part: regression_metrics(y[rows], now_preds["nowcast-ridge"][rows])
        for part, rows in (("validation", split.validation), ("test", split.test))
    }
    for part in ("validation", "test"):
        rows = getattr(split, part)
        models[normal_choice.chosen][part] = regression_metrics(
            y[rows], pred[rows], lower[rows], upper[rows]
        )

    choices = {
        "normal": normal_choice,
        "nowcast": choose(
            "nowcast",
            [
                Candidate(
                    name,
                    models[name]["validation"]["rmse"],
                    nowcasters[name].parameters,
                    nests=("persistence",) if name == "nowcast-ridge" else (),
                )
                for name in nowcasters
            ],
        ),
    }
    nowcaster = nowcasters[choices["nowcast"].chosen]
    now_pred = now_preds[choices["nowcast"].chosen]
    now_lower, now_upper, now_state, _ = _adaptive_band(
        y, now_pred, split, options.interval_level, measurements.step
    )
    for part in ("validation", "test"):
        rows = getattr(split, part)
        models[choices["nowcast"].chosen][part] = regression_metrics(
            y[rows], now_pred[rows], now_lower[rows], now_upper[rows]
        )
    lap("evaluation")

    forecast_report: dict[str, Any] = {}
    forecaster, forecast_state, forecast_steps = None, None, []
    if options.forecast:
        h = horizon_steps(options.horizon, measurements.step)
        forecaster, forecast_report, forecast_state, forecast_steps, choices["forecast"] = (
            _forecasts(
                y,
                frame.index,
                measurements.step,
                physics,
                pred,
                fit_rows,
                split,
                h,
                options,
                refit_rows=fit_rows | (val_rows & ~suspect),
                pooled=spec.inputs,
            )
        )
        lap("forecast")

    kind = target_kind(measurements)
    load_pu = _load_pu(measurements, options.rated_current_a)
    table = pd.DataFrame(
        {
            "measured": y,
            "predicted": pred,
            "lower": lower,
            "upper": upper,
            "baseline": pred_base,
            "nowcast": now_pred,
            "split": split.labels(n),
        },
        index=frame.index,
    )
    importances = (
        permutation_importance_k(
            normal.predict, with_drift(physics, normal.linear.features).iloc[split.validation],
            y[split.validation],
            feature_groups(spec, list(normal.linear.features)),
        )
        if options.report
        else []
    )  # fmt: skip
    total = sum(max(v, 0.0) for _, v in importances) or 1.0
    test = split.test
    result = TrainingResult(
        measurements=measurements,
        target_kind=kind,
        split=split.describe(frame.index),
        models=models,
        chosen_model=choices["normal"].chosen,
        predictions=table,
        interval={
            "level": options.interval_level,
            "half_width_k": half,
            "coverage_test": models[normal_choice.chosen]["test"].get("coverage", float("nan")),
            "method": "adaptive conformal (rolling window of recent residuals, ACI factor)",
        },
        coefficients=[],  # raw coefficients of collinear filters mislead: see importances
        drivers=[(name, max(v, 0.0) / total) for name, v in importances],
        error_by_season=_grouped(table.iloc[test], table.index[test].month.map(SEASONS))
        if options.report
        else {},
        error_by_load_band=_grouped(table.iloc[test], _load_bands(load_pu, frame, spec, test))
        if options.report
        else {},
        cross_validation=folds[normal_choice.chosen],
        thresholds=choose_thresholds(y[split.train], kind, options.alerte_c, options.critique_c),
        load_pu=load_pu,
        rated_current_a=options.rated_current_a,
        hot_spot_c=frame[measurements.target] if kind == "winding" else _iec_hot_spot(physics),
        timings=timings,
        lang=options.lang,
        site_zone=options.site_zone,
        roles={
            role: choice.to_dict()
            | (
                {"folds": {n: fold_stability(f) for n, f in folds.items()}}
                if role == "normal"
                else {}
            )
            for role, choice in choices.items()
        },
        selection_rule=RULE,
        importances_k=importances,
        treated_as_load=list(spec.load_inputs),
        forecast=forecast_report,
    )
    lap("report data")
    intervals = {"normal": normal_state, "nowcast": now_state}
    if forecast_state is not None:
        intervals["forecast"] = forecast_state
    fitted = FittedModel(
        spec,
        normal.linear,
        half,
        options.interval_level,
        target=measurements.target,
        step_minutes=measurements.step / pd.Timedelta("1min"),
        roles={role: choice.chosen for role, choice in choices.items()},
        nowcast=nowcaster,
        forecaster=forecaster,
        intervals=intervals,
        forecast_steps=forecast_steps,
        domain=Domain.of(frame, spec.inputs, y, refit_rows),
    )
    return result, fitted


def _adaptive_band(y, pred, split: Split, level: float, step: pd.Timedelta):
    """Adaptive conformal band of a one-value-per-row prediction over validation and test.

    Rows before validation get the split-conformal half-width of validation (the figure
    shows them; nothing is scored there). Returns lower, upper, the final state and its
    current half-width [K].
    """
    residual = y - pred
    window = min(max(50, steps_per("7D", step)), 5000)
    start = max(0, split.validation.start - window)
    widths, state = rolling_half_widths(residual[start:, None], np.array([1]), level, window)
    half_static = conformal_half_width(residual[split.validation], level)
    half = np.full(len(y), half_static)
    half[start:] = np.where(np.isfinite(widths[:, 0]), widths[:, 0], half_static)
    current = float(state.half_width()[0]) if state.recent[0] else half_static
    return pred - half, pred + half, state, current


def _origins(part: slice, horizon: int) -> np.ndarray:
    """Forecast origins (rows) whose outputs all lie in ``part`` (strided when many)."""
    rows = np.arange(max(part.start - 1, 0), part.stop - horizon)
    most = min(MAX_EVAL_ORIGINS, MAX_EVAL_VALUES // horizon)
    if rows.size > most:
        rows = rows[:: int(np.ceil(rows.size / most))]
    return rows


def interval_horizons(horizon: int) -> list[int]:
    """Horizons [steps] whose intervals are tracked (doubling), the others interpolated."""
    out, h = [], 1
    while h < horizon:
        out.append(h)
        h *= 2
    return [*out, horizon]


def _forecasts(
    y,
    index,
    step,
    physics,
    normal,
    fit_rows,
    split: Split,
    horizon,
    options,
    refit_rows=None,
    pooled=(),
):
    """Fit the forecasters, choose on validation, score by horizon on test, calibrate intervals.

    The served forecasters are refitted on ``refit_rows`` (train + validation) with the
    penalty chosen on validation; validation scores and the first residuals of the adaptive
    intervals come from the train-only fits (held out), test residuals from the served ones.
    """
    lookbacks = {k: min(v, max(split.train.stop // 4, 8)) for k, v in LOOKBACKS.items()}
    val_origins = _origins(split.validation, horizon)
    test_origins = _origins(split.test, horizon)
    spread = float(np.nanstd(y[fit_rows])) or 1.0
    members: dict[str, Any] = {
        "forecast-nlinear": NLinearForecast(
            lookback=lookbacks["forecast-nlinear"], horizon=horizon
        ),
        "forecast-direct": DirectForecast(lookback=lookbacks["forecast-direct"], horizon=horizon),
        "forecast-pooled": PooledForecast(
            lookback=lookbacks["forecast-pooled"], horizon=horizon, pooled=list(pooled)
        ),
    }
    for model in members.values():
        model.fit(y, index, step, physics, normal, fit_rows, val_origins, split.train.stop)
    # Served: the same models refitted on train + validation with the penalty chosen on
    # validation (more recent data); validation is scored with the train-only fits.
    refit_rows = fit_rows if refit_rows is None else refit_rows
    served: dict[str, Any] = {}
    for name, model in members.items():
        served[name] = replace(model).fit(
            y, index, step, physics, normal, refit_rows, val_origins[:0],
            split.validation.stop, penalties=(model.penalty,), scaling_rows=fit_rows,
        )  # fmt: skip
    positions = grid_positions(index, step)
    y_grid = on_grid(y, positions)

    def truth(origins):
        return futures(y_grid, positions[origins], horizon)

    outputs: dict[tuple[str, str], np.ndarray] = {}
    for name, model in served.items():
        outputs[(name, "validation")] = members[name].forecast(
            y, index, step, physics, normal, val_origins
        )
        outputs[(name, "test")] = model.forecast(y, index, step, physics, normal, test_origins)
    for part, origins in (("validation", val_origins), ("test", test_origins)):
        outputs[("persistence", part)] = np.repeat(y[origins][:, None], horizon, axis=1)
    rolling, by_period = _rolling_scores(
        y, index, step, physics, normal, fit_rows, val_origins, horizon, members, outputs, truth
    )
    # The ensemble: a weighted mean of the forecaster that reads the past alone (pooled, which
    # nests NLinear) and the one that also reads the thermal state; its weight is chosen like
    # the other hyper-parameters, on the periods of the rolling-origin validation.
    pair = ("forecast-pooled", "forecast-direct")

    def blend(w: float, out: dict[str, np.ndarray]) -> np.ndarray:
        return w * out[pair[0]] + (1 - w) * out[pair[1]]

    def relative_blend(w: float) -> list[float]:
        return [_relative(blend(w, o), t, last) for o, t, last in by_period]

    weight = min(ENSEMBLE_WEIGHTS, key=lambda w: float(np.mean(relative_blend(w))))
    ensemble = EnsembleForecast([served[n] for n in pair], weights=[weight, 1 - weight])
    candidates: dict[str, Any] = {**served, "forecast-ensemble": ensemble}
    for part in ("validation", "test"):
        outputs[("forecast-ensemble", part)] = blend(weight, {n: outputs[(n, part)] for n in pair})
    rolling["forecast-ensemble"] = relative_blend(weight)

    report: dict[str, Any] = {"horizon_steps": horizon, "step_minutes": step / pd.Timedelta("1min")}
    scored: dict[str, dict[str, Any]] = {}
    for name in [*candidates, "persistence"]:
        scored[name] = {}
        for part, origins in (("validation", val_origins), ("test", test_origins)):
            err = ((outputs[(name, part)] - truth(origins)) / spread) ** 2
            by_step = np.nanmean(err, axis=0) if len(origins) else np.full(horizon, np.nan)
            scored[name][part] = {
                "mse": float(np.nanmean(by_step)),
                "mse_by_step": by_step.tolist(),
                "rmse_k_by_step": (np.sqrt(by_step) * spread).tolist(),
                "origins": len(origins),
            }
    for name, ratios in rolling.items():
        scored[name]["validation"]["relative_mse_by_period"] = ratios
    report["ensemble_weights"] = dict(zip(pair, [weight, 1 - weight], strict=True))
    choice = choose(
        "forecast",
        [
            Candidate(
                name,
                float(np.mean(rolling[name])),
                m.parameters,
                nests=NESTS.get(name, ()),
            )
            for name, m in candidates.items()
        ],
    )
    chosen = candidates[choice.chosen]
    steps = interval_horizons(horizon)
    columns = np.asarray(steps) - 1
    origins = np.r_[val_origins, test_origins]
    residual = np.vstack(
        [
            (truth(val_origins) - outputs[(choice.chosen, "validation")])[:, columns],
            (truth(test_origins) - outputs[(choice.chosen, "test")])[:, columns],
        ]
    )
    stride = max(int(np.median(np.diff(origins))) if len(origins) > 1 else 1, 1)
    delays = np.ceil(np.asarray(steps) / stride).astype(int)
    window = min(max(50, steps_per("7D", step) // stride), 5000)
    widths, state = rolling_half_widths(residual, delays, options.interval_level, window)
    test_part = slice(len(val_origins), None)
    hits = np.abs(residual[test_part]) <= widths[test_part]
    known = np.isfinite(widths[test_part]) & np.isfinite(residual[test_part])
    coverage = [
        float(hits[:, j][known[:, j]].mean()) if known[:, j].any() else float("nan")
        for j in range(len(steps))
    ]
    report.update(
        {
            "spread_k": spread,
            "models": scored,
            "chosen": choice.chosen,
            "interval_steps": steps,
            "coverage_test_by_step": coverage,
            "interval_level": options.interval_level,
            "unit": "mean squared error in units of the training standard deviation",
        }
    )
    return chosen, report, state, steps, choice


def _relative(out: np.ndarray, t: np.ndarray, last: np.ndarray) -> float:
    """Mean squared error of a forecast relative to persistence's on the same windows."""
    persistence = float(np.nanmean((t - last[:, None]) ** 2)) or 1.0
    return float(np.nanmean((out - t) ** 2)) / persistence


def _rolling_scores(
    y, index, step, physics, normal, fit_rows, val_origins, horizon, members, outputs, truth
) -> tuple[dict[str, list[float]], list[tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]]]:
    """Per forecaster (and persistence), its mean squared error relative to persistence on
    the validation period and on up to two periods of the same length before it (rolling
    origin), and per period the outputs, truth and last values (to weigh an ensemble).

    On an earlier period each forecaster is fitted, with the hyper-parameters chosen on
    validation, on the training windows whose outputs end before it (the normal-behaviour
    state it reads is the training fit's). A period where a forecaster cannot be fitted (too
    little history) is left out for every candidate.
    """
    positions = grid_positions(index, step)
    names = [*members, "persistence"]
    periods = [
        ({name: outputs[(name, "validation")] for name in names}, truth(val_origins),
         y[val_origins])
    ]  # fmt: skip
    lookback = max(m.lookback for m in members.values())
    rows = np.arange(len(y))
    folds = validation_folds(positions, val_origins, lookback, horizon) if len(val_origins) else []
    for start, origins in folds[1:]:
        end = int(np.searchsorted(positions, start))
        out = {"persistence": np.repeat(y[origins][:, None], horizon, axis=1)}
        try:
            for name, model in members.items():
                quick = getattr(model, "fitted_before", lambda _start: None)(start)
                if quick is not None:  # the pooled fit kept its sums per period
                    out[name] = quick.forecast(y, index, step, physics, normal, origins)
                    continue
                out[name] = (
                    replace(model)
                    .fit(
                        y, index, step, physics, normal, fit_rows & (rows < end),
                        val_origins[:0], end, penalties=(model.penalty,), scaling_rows=fit_rows,
                    )
                    .forecast(y, index, step, physics, normal, origins)
                )  # fmt: skip
        except InputError:
            continue
        periods.append((out, truth(origins), y[origins]))
    scores = {name: [_relative(o[name], t, last) for o, t, last in periods] for name in names}
    return scores, periods


def _gradient_boosting(
    x: np.ndarray, y: np.ndarray, fit_rows: np.ndarray, split: Split
) -> np.ndarray:
    """HistGradientBoosting on the same features, scored on validation and test rows only
    (a comparison: it has no JSON form and is not monotone by construction)."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    rows = np.flatnonzero(fit_rows)
    if rows.size > GBM_MAX_ROWS:
        rows = rows[np.linspace(0, rows.size - 1, GBM_MAX_ROWS).astype(int)]
    model = HistGradientBoostingRegressor(max_iter=60, learning_rate=0.2, random_state=0)
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


#: A candidate whose worst rolling-origin fold is this many times its median fold is not served.
UNSTABLE_FACTOR = 3.0


def rolling_folds(model, physics, frame, y, rows, split: Split, spec: FeatureSpec) -> list[dict]:
    """Rolling-origin folds over train + validation, each fitted by the model's own ``fit``
    (the served fit, with the penalty chosen on validation) on the clean ``rows`` before it and
    scored on the next block; the original approach is scored beside it."""
    folds = []
    names = list(spec.inputs)
    index = np.arange(len(y))
    for i, (train_part, test_part) in enumerate(rolling_origin_folds(split.validation.stop)):
        fold_rows = rows & (index < train_part.stop)
        scored = rows[test_part]
        if fold_rows.sum() < 20 or scored.sum() < 10:
            continue
        fitted = replace(model).fit(
            physics, y, fold_rows, fold_rows, spec, penalties=(model.linear.alpha,)
        )
        base = BaselineLinear().fit(frame, y, fold_rows, names)
        truth = y[test_part][scored]
        folds.append(
            {
                "fold": i + 1,
                "train_end": frame.index[train_part.stop - 1].isoformat(),
                "test_end": frame.index[test_part.stop - 1].isoformat(),
                **regression_metrics(truth, fitted.predict(physics.iloc[test_part])[scored]),
                "baseline_rmse": regression_metrics(
                    truth, base.predict(frame.iloc[test_part])[scored]
                )["rmse"],
            }
        )
    return folds


def _fold_score(validation_rmse: float, folds: list[dict]) -> float:
    """A normal-behaviour candidate's score [K]: its mean RMSE over the validation period and
    the rolling-origin folds (one period where validation and test disagree does not decide)."""
    return float(np.mean([validation_rmse, *(f["rmse"] for f in folds)]))


def fold_stability(folds: list[dict]) -> dict[str, float | bool]:
    """Worst and median fold RMSE [K] and whether the worst stays within
    :data:`UNSTABLE_FACTOR` × the median (no folds: stable, nothing to say otherwise)."""
    rmse = [f["rmse"] for f in folds if np.isfinite(f.get("rmse", np.nan))]
    if not rmse:
        return {"worst_rmse": float("nan"), "median_rmse": float("nan"), "stable": True}
    worst, median = float(np.max(rmse)), float(np.median(rmse))
    return {"worst_rmse": worst, "median_rmse": median,
            "stable": bool(worst <= UNSTABLE_FACTOR * median)}  # fmt: skip


def _stable_candidates(
    scored: dict[str, tuple[float, int]], folds: dict[str, list[dict]]
) -> list[Candidate]:
    """The normal-behaviour candidates (validation RMSE, parameters), those whose folds are
    unstable not servable — unless all are: then the one with the smallest worst fold is."""
    verdicts = {name: fold_stability(folds[name]) for name in scored}
    if not any(v["stable"] for v in verdicts.values()):
        steadiest = min(verdicts, key=lambda name: verdicts[name]["worst_rmse"])
        verdicts[steadiest] = {**verdicts[steadiest], "stable": True}
    out = []
    for name, (error, parameters) in scored.items():
        v = verdicts[name]
        why = (
            ""
            if v["stable"]
            else f"unstable: worst rolling-origin fold {v['worst_rmse']:.3g} K >"
            f" {UNSTABLE_FACTOR:g} × the median fold {v['median_rmse']:.3g} K"
        )
        out.append(Candidate(name, error, parameters, servable=bool(v["stable"]), why_not=why))
    return out
