"""A toy model type for the registry test: the whole of what adding a model type takes.

Registering it is one line (``REGISTRY[TrainingMean.name] = TrainingMean``); training then fits
and scores it among the normal-behaviour candidates without any other change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np


@dataclass
class TrainingMean:
    """Normal behaviour as the mean of the training target [°C] (scored, never served)."""

    name: ClassVar[str] = "toy-training-mean"
    role: ClassVar[str] = "normal"
    roles: ClassVar[dict[str, str]] = {"normal": "candidate"}
    servable: ClassVar[bool] = False
    why_not: ClassVar[str] = "a toy from the tests"
    grid: ClassVar[dict[str, tuple]] = {}
    mean: float = float("nan")

    def fit_normal(self, data) -> TrainingMean:
        self.mean = float(np.mean(data.y[data.fit_rows]))
        return self

    def predict_normal(self, data) -> np.ndarray:
        return np.full(len(data.y), self.mean)

    @property
    def parameters(self) -> int:
        return 1

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "role": self.role, "parameters": 1}
