"""What every role's training reads: the measurements, the split, the rows each fit may use.

Built once by :func:`thermowatch.learn.train.train` and handed to each role's pipeline and to the
role hooks of the registered model types (:mod:`thermowatch.learn.models`), so a model type
declares how it fits from this one object and training never names it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from thermowatch.data import Measurements
from thermowatch.learn.features import FeatureSpec
from thermowatch.learn.intervals import rolling_half_widths
from thermowatch.learn.lags import steps_per
from thermowatch.learn.metrics import conformal_half_width, regression_metrics
from thermowatch.learn.split import Split
from thermowatch.thermal import TransformerSpec

PARTS = ("validation", "test")

Progress = Callable[[str], None]


@dataclass(frozen=True)
class TrainOptions:
    """Choices of a training run (CLI options).

    ``horizon``: forecast horizon (a duration such as ``"24h"`` or a number of steps); by
    default 24 h and at least 96 steps, at most
    :data:`thermowatch.learn.train.MAX_HORIZON_STEPS`.
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


@dataclass(frozen=True)
class TrainingData:
    """The inputs of one training run, shared by every role.

    Row masks are boolean arrays over the rows of ``frame``: ``fit_rows`` (training rows after
    the filters' warm-up, target not flagged), ``clean_val`` (validation rows, target not
    flagged), ``refit_rows`` (their union: the served refit), ``train_rows`` (every training
    row), ``suspect`` (flagged target: evaluated, never learnt from).
    """

    measurements: Measurements
    options: TrainOptions
    split: Split
    spec: FeatureSpec
    physics: pd.DataFrame  # the feature frame (filters, IEC estimates, calendar)
    y: np.ndarray  # the target [°C]
    train_rows: np.ndarray
    fit_rows: np.ndarray
    clean_val: np.ndarray
    suspect: np.ndarray

    @property
    def frame(self) -> pd.DataFrame:
        """The measurement frame (raw inputs and target)."""
        return self.measurements.frame

    @property
    def index(self) -> pd.DatetimeIndex:
        """Times of the rows (UTC)."""
        return self.measurements.frame.index

    @property
    def step(self) -> pd.Timedelta:
        """Sampling step of the data."""
        return self.measurements.step

    @property
    def refit_rows(self) -> np.ndarray:
        """Rows of the served refit: clean training rows after warm-up plus clean validation."""
        return self.fit_rows | self.clean_val


def scores(y: np.ndarray, predicted: np.ndarray, split: Split) -> dict[str, dict[str, Any]]:
    """Regression metrics [K] of a one-value-per-row prediction on validation and test.

    Parameters
    ----------
    y : numpy.ndarray
        Measured target [°C].
    predicted : numpy.ndarray
        Prediction [°C], one per row.
    split : Split
        Train / validation / test rows.

    Returns
    -------
    dict
        ``{"validation": metrics, "test": metrics}`` (RMSE, MAE, bias [K], R² [-]).
    """
    return {
        part: regression_metrics(y[getattr(split, part)], predicted[getattr(split, part)])
        for part in PARTS
    }


def banded_scores(y, predicted, lower, upper, split: Split) -> dict[str, dict[str, Any]]:
    """:func:`scores` with the interval's coverage (``lower``/``upper`` [°C]).

    Parameters
    ----------
    y, predicted : numpy.ndarray
        Measured target and prediction [°C].
    lower, upper : numpy.ndarray
        Interval bounds [°C].
    split : Split
        Train / validation / test rows.

    Returns
    -------
    dict
        ``{"validation": metrics, "test": metrics}`` with ``coverage`` [0..1].
    """
    out = {}
    for part in PARTS:
        rows = getattr(split, part)
        out[part] = regression_metrics(y[rows], predicted[rows], lower[rows], upper[rows])
    return out


def adaptive_band(y, pred, split: Split, level: float, step: pd.Timedelta):
    """Adaptive conformal band of a one-value-per-row prediction over validation and test.

    Parameters
    ----------
    y : numpy.ndarray
        Measured target [°C].
    pred : numpy.ndarray
        Prediction [°C], one per row.
    split : Split
        Train / validation / test rows.
    level : float
        Nominal coverage of the interval [0..1].
    step : pandas.Timedelta
        Sampling step of the data.

    Returns
    -------
    tuple
        Lower and upper bounds [°C], the final interval state and its current half-width [K].
        Rows before validation get the split-conformal half-width of validation (the figure
        shows them; nothing is scored there).
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
