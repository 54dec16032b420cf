"""The nowcast role: every registered candidate fitted on the served normal behaviour, chosen.

The nowcast reads the served normal-behaviour model (refitted) everywhere: it learns the
residual structure it will see in service. Before test, a candidate is scored by its
train-only fit (held out); the served one is refitted on train + validation with the
hyper-parameters chosen there.
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


def train_nowcast(data: TrainingData, served_normal: np.ndarray) -> NowcastRole:
    """Fit every nowcast candidate of the registry reading ``served_normal`` [°C], choose on
    validation RMSE [K], evaluate on test with an adaptive interval.

    Parameters
    ----------
    data : TrainingData
        The run's inputs.
    served_normal : numpy.ndarray
        The served normal-behaviour model's predictions [°C] on every row.

    Returns
    -------
    NowcastRole
        The choice, the served nowcaster, its predictions [°C], metrics [K] and interval.
    """
    fitted = {
        cls.name: cls().fit_nowcast(data, served_normal)
        for cls in registry.candidates("nowcast", data)
    }
    metrics = {
        name: scores(data.y, m.score_nowcast(data, served_normal), data.split)
        for name, m in fitted.items()
    }
    choice = choose(
        "nowcast",
        [
            Candidate(name, metrics[name]["validation"]["rmse"], m.parameters, nests=m.nests)
            for name, m in fitted.items()
        ],
    )
    model = fitted[choice.chosen]
    predicted = model.predict_nowcast(data, served_normal)
    band = adaptive_band(data.y, predicted, data.split, data.options.interval_level, data.step)
    metrics[choice.chosen] = banded_scores(data.y, predicted, band[0], band[1], data.split)
    return NowcastRole(choice, model, predicted, metrics, band)
