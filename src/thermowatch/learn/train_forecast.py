"""The forecast role: every registered forecaster fitted, scored by rolling origin, chosen.

The served forecasters are refitted on train + validation with the hyper-parameters chosen on
validation; validation scores and the first residuals of the adaptive intervals come from the
train-only fits (held out), test residuals from the served ones. A combining candidate (the
ensemble) blends two fitted members with a weight chosen, like the other hyper-parameters, on
the rolling-origin periods, and is served unless the rule's choice beats it clearly on them
(:func:`~thermowatch.learn.selection.combination_holds`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from thermowatch.errors import InputError
from thermowatch.learn import models as registry
from thermowatch.learn.intervals import rolling_half_widths
from thermowatch.learn.lags import steps_per
from thermowatch.learn.models.forecast import futures, grid_positions, on_grid, validation_folds
from thermowatch.learn.selection import Candidate, Choice, choose
from thermowatch.learn.training_data import PARTS, TrainingData

MAX_EVAL_ORIGINS = 12_000  # forecast origins scored per period (strided beyond)
MAX_EVAL_VALUES = 3_000_000  # origins × horizon held per forecaster and period (memory)

Outputs = dict[tuple[str, str], np.ndarray]  # (name, part) -> (origins, horizon) [°C]


@dataclass
class ForecastRole:
    """The outcome of the forecast role."""

    model: Any  # the served forecaster
    report: dict[str, Any]  # scores by horizon, chosen, intervals (the report's forecast part)
    state: Any  # the adaptive interval state per tracked horizon
    steps: list[int]  # tracked horizons [steps]
    choice: Choice


@dataclass
class _Run:
    """What every step of the forecast role reads."""

    data: TrainingData
    normal: np.ndarray  # normal-behaviour predictions [°C] the forecasters read
    horizon: int
    val_origins: np.ndarray
    test_origins: np.ndarray
    truth: Callable[[np.ndarray], np.ndarray]  # origins -> (origins, horizon) measured [°C]

    def origins(self, part: str) -> np.ndarray:
        return self.val_origins if part == "validation" else self.test_origins

    def args(self) -> tuple:
        d = self.data
        return d.y, d.index, d.step, d.physics, self.normal


def interval_horizons(horizon: int) -> list[int]:
    """Horizons [steps] whose intervals are tracked (doubling), the others interpolated.

    Parameters
    ----------
    horizon : int
        Forecast horizon [steps].

    Returns
    -------
    list of int
        1, 2, 4, … below ``horizon``, then ``horizon`` [steps].
    """
    out, h = [], 1
    while h < horizon:
        out.append(h)
        h *= 2
    return [*out, horizon]


def eval_origins(part: slice, horizon: int) -> np.ndarray:
    """Forecast origins (rows) whose outputs all lie in ``part`` (strided when many).

    Parameters
    ----------
    part : slice
        Rows of a period (validation or test).
    horizon : int
        Forecast horizon [steps].

    Returns
    -------
    numpy.ndarray
        Origin rows, at most :data:`MAX_EVAL_ORIGINS` and :data:`MAX_EVAL_VALUES` / horizon.
    """
    rows = np.arange(max(part.start - 1, 0), part.stop - horizon)
    most = min(MAX_EVAL_ORIGINS, MAX_EVAL_VALUES // horizon)
    if rows.size > most:
        rows = rows[:: int(np.ceil(rows.size / most))]
    return rows


def train_forecast(data: TrainingData, normal: np.ndarray, horizon: int) -> ForecastRole:
    """Fit the forecasters of the registry, choose on validation, score by horizon on test,
    calibrate intervals (``normal``: the normal-behaviour predictions [°C] as scored).

    Parameters
    ----------
    data : TrainingData
        The run's inputs.
    normal : numpy.ndarray
        Normal-behaviour predictions [°C] the forecasters read (train-only fit before test).
    horizon : int
        Forecast horizon [steps].

    Returns
    -------
    ForecastRole
        The served forecaster, the report (MSE by horizon [-], RMSE by horizon [K], coverage
        [0..1]), the interval state, the tracked horizons [steps] and the choice.
    """
    positions = grid_positions(data.index, data.step)
    y_grid = on_grid(data.y, positions)
    run = _Run(
        data, normal, horizon,
        eval_origins(data.split.validation, horizon), eval_origins(data.split.test, horizon),
        lambda origins: futures(y_grid, positions[origins], horizon),
    )  # fmt: skip
    members, served = _fit_members(run)
    outputs = _outputs(run, members, served)
    rolling, by_period = _rolling_scores(run, members, outputs)
    candidates, weights = _combine(run, served, outputs, rolling, by_period)
    spread = float(np.nanstd(data.y[data.fit_rows])) or 1.0
    scored = _scored(run, [*candidates, *_reference_names()], outputs, spread)
    for name, ratios in rolling.items():
        scored[name]["validation"]["relative_mse_by_period"] = ratios
    choice = choose(
        "forecast",
        [
            Candidate(
                name,
                float(np.mean(rolling[name])),
                m.parameters,
                nests=m.nests,
                errors_by_period=tuple(rolling[name]),
                combines=m.combines,
            )
            for name, m in candidates.items()
        ],
    )
    steps = interval_horizons(horizon)
    state, coverage = _intervals(run, outputs, choice.chosen, steps)
    report: dict[str, Any] = {
        "horizon_steps": horizon,
        "step_minutes": data.step / pd.Timedelta("1min"),
        "ensemble_weights": weights,
        "spread_k": spread,
        "models": scored,
        "chosen": choice.chosen,
        "interval_steps": steps,
        "coverage_test_by_step": coverage,
        "interval_level": data.options.interval_level,
        "unit": "mean squared error in units of the training standard deviation",
    }
    return ForecastRole(candidates[choice.chosen], report, state, steps, choice)


def _reference_names() -> list[str]:
    return [cls.name for cls in registry.references("forecast")]


def _reference_outputs(run: _Run, origins: np.ndarray) -> dict[str, np.ndarray]:
    return {
        cls.name: cls.forecast_reference(run.data.y, origins, run.horizon)
        for cls in registry.references("forecast")
    }


def _fit_members(run: _Run) -> tuple[dict[str, Any], dict[str, Any]]:
    """The forecasters fitted on the training rows (penalty chosen on validation) and the
    served ones: the same refitted on train + validation with that penalty."""
    data = run.data
    longest = max(data.split.train.stop // 4, 8)
    members = {
        cls.name: cls.for_horizon(data, run.horizon, longest)
        for cls in registry.candidates("forecast", data)
        if not getattr(cls, "combines", ())
    }
    for model in members.values():
        model.fit(*run.args(), data.fit_rows, run.val_origins, data.split.train.stop)
    served = {}
    for name, model in members.items():
        served[name] = replace(model).fit(
            *run.args(), data.refit_rows, run.val_origins[:0], data.split.validation.stop,
            penalties=(model.penalty,), scaling_rows=data.fit_rows,
        )  # fmt: skip
    return members, served


def _outputs(run: _Run, members: dict[str, Any], served: dict[str, Any]) -> Outputs:
    """Validation outputs of the train-only fits, test outputs of the served ones, and the
    references' outputs on both."""
    outputs: Outputs = {}
    for name, model in served.items():
        outputs[(name, "validation")] = members[name].forecast(*run.args(), run.val_origins)
        outputs[(name, "test")] = model.forecast(*run.args(), run.test_origins)
    for part in PARTS:
        for name, out in _reference_outputs(run, run.origins(part)).items():
            outputs[(name, part)] = out
    return outputs


def _relative(out: np.ndarray, t: np.ndarray, last: np.ndarray) -> float:
    """Mean squared error of a forecast relative to persistence's on the same windows."""
    persistence = float(np.nanmean((t - last[:, None]) ** 2)) or 1.0
    return float(np.nanmean((out - t) ** 2)) / persistence


Period = tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]  # outputs, truth, last values


def _rolling_scores(
    run: _Run, members: dict[str, Any], outputs: Outputs
) -> tuple[dict[str, list[float]], list[Period]]:
    """Per forecaster (and reference), its mean squared error relative to persistence on
    the validation period and on up to two periods of the same length before it (rolling
    origin), and per period the outputs, truth and last values (to weigh a combination).

    On an earlier period each forecaster is fitted, with the hyper-parameters chosen on
    validation, on the training windows whose outputs end before it (the normal-behaviour
    state it reads is the training fit's). A period where a forecaster cannot be fitted (too
    little history) is left out for every candidate.
    """
    y, val_origins = run.data.y, run.val_origins
    names = [*members, *_reference_names()]
    periods: list[Period] = [
        ({name: outputs[(name, "validation")] for name in names}, run.truth(val_origins),
         y[val_origins])
    ]  # fmt: skip
    positions = grid_positions(run.data.index, run.data.step)
    lookback = max(m.lookback for m in members.values())
    folds = (
        validation_folds(positions, val_origins, lookback, run.horizon) if len(val_origins) else []
    )
    for start, origins in folds[1:]:
        end = int(np.searchsorted(positions, start))
        try:
            out = {
                **_reference_outputs(run, origins),
                **{n: _fit_before(run, m, start, end, origins) for n, m in members.items()},
            }
        except InputError:
            continue
        periods.append((out, run.truth(origins), y[origins]))
    scores = {name: [_relative(o[name], t, last) for o, t, last in periods] for name in names}
    return scores, periods


def _fit_before(run: _Run, model, start: int, end: int, origins: np.ndarray) -> np.ndarray:
    """Outputs at ``origins`` of ``model`` (its chosen hyper-parameters) fitted on the
    training windows before grid position ``start`` (row ``end``)."""
    quick = getattr(model, "fitted_before", lambda _start: None)(start)
    if quick is not None:  # the fit kept its sums per period
        return quick.forecast(*run.args(), origins)
    data = run.data
    rows = data.fit_rows & (np.arange(len(data.y)) < end)
    refit = replace(model).fit(
        *run.args(), rows, run.val_origins[:0], end, penalties=(model.penalty,),
        scaling_rows=data.fit_rows,
    )  # fmt: skip
    return refit.forecast(*run.args(), origins)


def _combine(run, served, outputs, rolling, by_period) -> tuple[dict[str, Any], dict[str, float]]:
    """The served forecasters plus each combining candidate of the registry: the weighted
    mean of its two members, the weight of the first chosen among its ``grid["weight"]`` on
    the rolling-origin periods. Returns the candidates and the weights (by member)."""
    candidates: dict[str, Any] = dict(served)
    weights: dict[str, float] = {}
    for cls in registry.candidates("forecast", run.data):
        pair = getattr(cls, "combines", ())
        if not pair or any(n not in served for n in pair):
            continue

        def blend(w: float, out: dict[str, np.ndarray], pair=pair) -> np.ndarray:
            return w * out[pair[0]] + (1 - w) * out[pair[1]]

        def relative_blend(w: float, blend=blend) -> list[float]:
            return [_relative(blend(w, o), t, last) for o, t, last in by_period]

        weight = min(cls.grid["weight"], key=lambda w: float(np.mean(relative_blend(w))))
        candidates[cls.name] = cls([served[n] for n in pair], weights=[weight, 1 - weight])
        for part in PARTS:
            outputs[(cls.name, part)] = blend(weight, {n: outputs[(n, part)] for n in pair})
        rolling[cls.name] = relative_blend(weight)
        weights.update(dict(zip(pair, [weight, 1 - weight], strict=True)))
    return candidates, weights


def _scored(run: _Run, names: list[str], outputs: Outputs, spread: float) -> dict[str, Any]:
    """Per forecaster and part, the mean squared error by horizon in units of ``spread``
    (the training standard deviation [K]) and the RMSE by horizon [K]."""
    scored: dict[str, dict[str, Any]] = {}
    for name in names:
        scored[name] = {}
        for part in PARTS:
            origins = run.origins(part)
            err = ((outputs[(name, part)] - run.truth(origins)) / spread) ** 2
            by_step = np.nanmean(err, axis=0) if len(origins) else np.full(run.horizon, np.nan)
            scored[name][part] = {
                "mse": float(np.nanmean(by_step)),
                "mse_by_step": by_step.tolist(),
                "rmse_k_by_step": (np.sqrt(by_step) * spread).tolist(),
                "origins": len(origins),
            }
    return scored


def _intervals(run: _Run, outputs: Outputs, chosen: str, steps: list[int]):
    """Adaptive conformal intervals of the chosen forecaster at the tracked horizons
    ``steps``: the state after validation (held out) and test (served) residuals, and the
    test coverage per tracked horizon [0..1]."""
    columns = np.asarray(steps) - 1
    origins = np.r_[run.val_origins, run.test_origins]
    residual = np.vstack(
        [(run.truth(run.origins(p)) - outputs[(chosen, p)])[:, columns] for p in PARTS]
    )
    stride = max(int(np.median(np.diff(origins))) if len(origins) > 1 else 1, 1)
    delays = np.ceil(np.asarray(steps) / stride).astype(int)
    window = min(max(50, steps_per("7D", run.data.step) // stride), 5000)
    widths, state = rolling_half_widths(residual, delays, run.data.options.interval_level, window)
    test_part = slice(len(run.val_origins), None)
    hits = np.abs(residual[test_part]) <= widths[test_part]
    known = np.isfinite(widths[test_part]) & np.isfinite(residual[test_part])
    coverage = [
        float(hits[:, j][known[:, j]].mean()) if known[:, j].any() else float("nan")
        for j in range(len(steps))
    ]
    return state, coverage
