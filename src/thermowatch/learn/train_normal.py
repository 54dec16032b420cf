"""The normal-behaviour role: every registered candidate and reference fitted, scored, chosen.

Each servable candidate is also scored by rolling-origin folds over train + validation (each
fitted by its own served fit) and is not served when its worst fold is far above its median.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from thermowatch.learn import models as registry
from thermowatch.learn.metrics import regression_metrics
from thermowatch.learn.selection import Candidate, Choice, choose
from thermowatch.learn.split import rolling_origin_folds
from thermowatch.learn.training_data import Progress, TrainingData, adaptive_band, scores

#: A candidate whose worst rolling-origin fold is this many times its median fold is not served.
UNSTABLE_FACTOR = 3.0


@dataclass
class NormalRole:
    """The outcome of the normal-behaviour role."""

    choice: Choice
    model: Any  # the served model (fitted on train + validation)
    predicted: np.ndarray  # as scored [°C]: train-only fit before test, served after
    predictions: dict[str, np.ndarray]  # every candidate's and reference's, by name
    metrics: dict[str, dict[str, Any]]  # name -> part -> regression metrics
    folds: dict[str, list[dict]]  # servable candidate -> rolling-origin folds
    band: tuple  # lower [°C], upper [°C], interval state, current half-width [K]
    original: np.ndarray  # the original approach's predictions [°C]
    servable: dict[str, Any]  # the servable candidates with stable folds, fitted, by name

    def readings(self, data: TrainingData) -> dict[str, tuple[Any, np.ndarray]]:
        """What a nowcast may read: per servable candidate, its ``LinearModel`` and its
        predictions as served (refitted) on every row [°C], the served one first.

        Parameters
        ----------
        data : TrainingData
            The run's inputs.

        Returns
        -------
        dict
            Name -> (``LinearModel``, predictions [°C]).
        """
        names = [self.choice.chosen] + [n for n in self.servable if n != self.choice.chosen]
        models = {**self.servable, self.choice.chosen: self.model}
        return {name: (models[name].linear, models[name].predict(data.physics)) for name in names}


def train_normal(data: TrainingData, lap: Progress) -> NormalRole:
    """Fit every normal-behaviour candidate and reference of the registry, choose on
    validation (with rolling-origin folds), evaluate on test.

    Parameters
    ----------
    data : TrainingData
        The run's inputs.
    lap : callable
        Called with each model's name when it is fitted (timings, progress).

    Returns
    -------
    NormalRole
        The choice, the served model, predictions [°C], metrics [K], folds and the interval.
    """
    fitted: dict[str, Any] = {}
    for cls in registry.candidates("normal", data) + registry.references("normal", data):
        fitted[cls.name] = cls().fit_normal(data)
        lap(cls.name)
    order = [c.name for c in registry.REGISTRY.values() if c.name in fitted]
    predictions = {name: fitted[name].predict_normal(data) for name in order}
    metrics = {name: scores(data.y, p, data.split) for name, p in predictions.items()}
    servable = {
        name: m
        for name, m in fitted.items()
        if registry.REGISTRY[name].roles["normal"] == "candidate" and getattr(m, "servable", True)
    }
    folds = {name: rolling_folds(m, data) for name, m in servable.items()}
    lap("folds")
    choice = choose("normal", _candidates(fitted, servable, metrics, folds))
    predicted = predictions[choice.chosen]
    band = adaptive_band(data.y, predicted, data.split, data.options.interval_level, data.step)
    original = predictions[registry.original("normal").name]
    stable = {n: m for n, m in servable.items() if n not in (choice.not_served or {})}
    return NormalRole(
        choice, fitted[choice.chosen], predicted, predictions, metrics, folds, band, original,
        stable,
    )  # fmt: skip


def _candidates(fitted, servable, metrics, folds) -> list[Candidate]:
    """The servable candidates (scored with their folds, unstable ones not servable), then the
    others (scored on validation, never served)."""
    scored = {
        name: (fold_score(metrics[name]["validation"]["rmse"], folds[name]), m.parameters)
        for name, m in servable.items()
    }
    out = stable_candidates(scored, folds)
    for name, model in fitted.items():
        if name in servable or registry.REGISTRY[name].roles["normal"] != "candidate":
            continue
        error = metrics[name]["validation"]["rmse"]
        out.append(Candidate(name, error, model.parameters, False, model.why_not))
    return out


def rolling_folds(model, data: TrainingData) -> list[dict]:
    """Rolling-origin folds over train + validation, each fitted by the model's own ``fit``
    (the served fit, with the penalty chosen on validation) on the clean rows before it and
    scored on the next block [K]; the original approach is scored beside it.

    Parameters
    ----------
    model : object
        A fitted servable normal-behaviour candidate (``refit_on``, ``predict_part``).
    data : TrainingData
        The run's inputs.

    Returns
    -------
    list of dict
        Per fold: its number, the end of its training and test blocks (ISO 8601), its metrics
        [K] and ``baseline_rmse`` [K] (the original approach on the same fold).
    """
    folds = []
    original = registry.original("normal")()
    rows, index, y, frame = data.refit_rows, np.arange(len(data.y)), data.y, data.frame
    for i, (train_part, test_part) in enumerate(rolling_origin_folds(data.split.validation.stop)):
        fold_rows = rows & (index < train_part.stop)
        scored = rows[test_part]
        if fold_rows.sum() < 20 or scored.sum() < 10:
            continue
        fitted = model.refit_on(data, fold_rows)
        base = original.refit_on(data, fold_rows)
        truth = y[test_part][scored]
        folds.append(
            {
                "fold": i + 1,
                "train_end": frame.index[train_part.stop - 1].isoformat(),
                "test_end": frame.index[test_part.stop - 1].isoformat(),
                **regression_metrics(truth, fitted.predict_part(data, test_part)[scored]),
                "baseline_rmse": regression_metrics(
                    truth, base.predict_part(data, test_part)[scored]
                )["rmse"],
            }
        )
    return folds


def fold_score(validation_rmse: float, folds: list[dict]) -> float:
    """A normal-behaviour candidate's score [K]: its mean RMSE over the validation period and
    the rolling-origin folds (one period where validation and test disagree does not decide).

    Parameters
    ----------
    validation_rmse : float
        RMSE on the validation period [K].
    folds : list of dict
        Rolling-origin folds (:func:`rolling_folds`).

    Returns
    -------
    float
        The mean RMSE [K].
    """
    return float(np.mean([validation_rmse, *(f["rmse"] for f in folds)]))


def fold_stability(folds: list[dict]) -> dict[str, float | bool]:
    """Worst and median fold RMSE [K] and whether the worst stays within
    :data:`UNSTABLE_FACTOR` × the median (no folds: stable, nothing to say otherwise).

    Parameters
    ----------
    folds : list of dict
        Rolling-origin folds with their ``rmse`` [K].

    Returns
    -------
    dict
        ``worst_rmse`` and ``median_rmse`` [K], ``stable`` (bool).
    """
    rmse = [f["rmse"] for f in folds if np.isfinite(f.get("rmse", np.nan))]
    if not rmse:
        return {"worst_rmse": float("nan"), "median_rmse": float("nan"), "stable": True}
    worst, median = float(np.max(rmse)), float(np.median(rmse))
    return {"worst_rmse": worst, "median_rmse": median,
            "stable": bool(worst <= UNSTABLE_FACTOR * median)}  # fmt: skip


def fold_verdicts(folds: dict[str, list[dict]], chosen: str) -> dict[str, dict]:
    """Per servable candidate, :func:`fold_stability` with ``ratio`` (worst ÷ median [-]) and
    ``served``; the served one is unstable only when every candidate was (then it is the one
    with the smallest worst fold, and metrics.json and the report say so).

    Parameters
    ----------
    folds : dict
        Name -> its rolling-origin folds.
    chosen : str
        The served candidate.

    Returns
    -------
    dict
        Name -> ``worst_rmse``, ``median_rmse`` [K], ``ratio`` [-], ``stable``, ``served``.
    """
    out = {}
    for name, made in folds.items():
        v = fold_stability(made)
        ratio = v["worst_rmse"] / v["median_rmse"] if v["median_rmse"] > 0 else float("nan")
        out[name] = {**v, "ratio": ratio, "limit": UNSTABLE_FACTOR, "served": name == chosen}
    return out


def stable_candidates(
    scored: dict[str, tuple[float, int]], folds: dict[str, list[dict]]
) -> list[Candidate]:
    """The normal-behaviour candidates (validation RMSE, parameters), those whose folds are
    unstable not servable — unless all are: then the one with the smallest worst fold is.

    Parameters
    ----------
    scored : dict
        Name -> (score [K], number of parameters).
    folds : dict
        Name -> its rolling-origin folds.

    Returns
    -------
    list of Candidate
        In the order of ``scored``.
    """
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
