"""``gradient-boosting``: a non-linear comparison for normal behaviour, never served.

HistGradientBoosting on the same features as the monotone models, scored on validation and
test rows only: it has no JSON form and is not monotone by construction, so it only tells
whether a non-linear model would have done much better.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

if TYPE_CHECKING:
    from thermowatch.learn.training_data import TrainingData

MAX_ROWS = 20_000  # the comparison subsamples: it is a check, not the product


@dataclass
class GradientBoosting:
    """Gradient-boosted trees on the feature frame (a comparison only)."""

    name: ClassVar[str] = "gradient-boosting"
    role: ClassVar[str] = "normal"
    #: Registry declarations: a normal-behaviour candidate scored but never served.
    roles: ClassVar[dict[str, str]] = {"normal": "candidate"}
    servable: ClassVar[bool] = False
    why_not: ClassVar[str] = "no JSON form"
    grid: ClassVar[dict[str, tuple]] = {"max_iter": (60,), "learning_rate": (0.2,)}
    predicted: np.ndarray | None = None

    @classmethod
    def enabled(cls, data: TrainingData) -> bool:
        """Fitted only when the run asks for the non-linear comparison.

        Parameters
        ----------
        data : TrainingData
            The run's inputs (``options.nonlinear``).

        Returns
        -------
        bool
        """
        return data.options.nonlinear

    def fit_normal(self, data: TrainingData) -> GradientBoosting:
        """Fit on the training rows (subsampled) and predict validation and test [°C].

        Parameters
        ----------
        data : TrainingData
            The run's inputs.

        Returns
        -------
        GradientBoosting
            Itself, fitted.
        """
        from sklearn.ensemble import HistGradientBoostingRegressor

        x = data.physics.to_numpy(np.float64)
        rows = np.flatnonzero(data.fit_rows)
        if rows.size > MAX_ROWS:
            rows = rows[np.linspace(0, rows.size - 1, MAX_ROWS).astype(int)]
        model = HistGradientBoostingRegressor(
            max_iter=self.grid["max_iter"][0],
            learning_rate=self.grid["learning_rate"][0],
            random_state=0,
        )
        model.fit(x[rows], data.y[rows])
        self.predicted = np.full(len(data.y), np.nan)
        scored = slice(data.split.validation.start, data.split.test.stop)
        self.predicted[scored] = model.predict(x[scored])
        return self

    def predict_normal(self, data: TrainingData) -> np.ndarray:
        """Predictions [°C] on validation and test (NaN before).

        Parameters
        ----------
        data : TrainingData
            The run's inputs.

        Returns
        -------
        numpy.ndarray
        """
        assert self.predicted is not None
        return self.predicted

    @property
    def parameters(self) -> int:
        return 10**6  # many: the rule never prefers it as the simpler model

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "role": self.role, "parameters": self.parameters}
