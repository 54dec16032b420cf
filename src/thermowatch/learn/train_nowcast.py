"""The nowcast role: every registered candidate fitted on a normal behaviour, chosen.

A nowcast candidate that reads a normal-behaviour model (``reads_normal``) is fitted reading
each of the servable normal-behaviour candidates (refitted, as served, everywhere: it learns the
residual structure it will see in service) and keeps the one its validation error prefers, a
hyper-parameter like its penalty; ties keep the served normal-behaviour model. Before test, a
candidate is scored by its train-only fit (held out); the served one is refitted on train +
validation with the hyper-parameters chosen there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from thermowatch.learn import models as registry
from thermowatch.learn.selection import Candidate, Choice, choose
from thermowatch.learn.training_data import TrainingData, adaptive_band, banded_scores, scores


@dataclass
class NowcastRole:
    """The outcome of the nowcast role."""

    choice: Choice
    model: Any  # the served nowcaster
    predicted: np.ndarray  # the chosen one's predictions [°C] as served (held out before test)
    metrics: dict[str, dict[str, Any]]  # name -> part -> regression metrics (chosen: banded)
    band: tuple  # lower [°C], upper [°C], interval state, current half-width [K]


def train_nowcast(data: TrainingData, readings: dict[str, tuple[Any, np.ndarray]]) -> NowcastRole:
    """Fit every nowcast candidate of the registry reading each normal behaviour it may read,
    choose on validation RMSE [K], evaluate on test with an adaptive interval.

    Parameters
    ----------
    data : TrainingData
        The run's inputs.
    readings : dict
        Normal-behaviour name -> (its model's ``LinearModel``, its predictions [°C] on every
        row), the served one first.

    Returns
    -------
    NowcastRole
        The choice, the served nowcaster, its predictions [°C], metrics [K] and interval.
    """
    served_name = next(iter(readings))
    fitted: dict[str, Any] = {}
    read: dict[str, str] = {}
    metrics: dict[str, dict[str, Any]] = {}
    for cls in registry.candidates("nowcast", data):
        names = list(readings) if getattr(cls, "reads_normal", False) else [served_name]
        for reading in names:
            model = cls().fit_nowcast(data, readings[reading][1])
            made = scores(data.y, model.score_nowcast(data, readings[reading][1]), data.split)
            best = metrics.get(cls.name)
            if best is None or made["validation"]["rmse"] < best["validation"]["rmse"]:
                fitted[cls.name], read[cls.name], metrics[cls.name] = model, reading, made
        if read[cls.name] != served_name:  # saved with it: the service reads the same model
            fitted[cls.name].normal = readings[read[cls.name]][0]
        if getattr(cls, "reads_normal", False):
            fitted[cls.name].reads = read[cls.name]
    choice = choose(
        "nowcast",
        [
            Candidate(name, metrics[name]["validation"]["rmse"], m.parameters, nests=m.nests)
            for name, m in fitted.items()
        ],
    )
    model = fitted[choice.chosen]
    predicted = model.predict_nowcast(data, readings[read[choice.chosen]][1])
    band = adaptive_band(data.y, predicted, data.split, data.options.interval_level, data.step)
    metrics[choice.chosen] = banded_scores(data.y, predicted, band[0], band[1], data.split)
    return NowcastRole(choice, model, predicted, metrics, band)
