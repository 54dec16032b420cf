"""A standardised linear model stored as plain numbers (JSON), never as a pickle.

scikit-learn fits it (StandardScaler + Ridge or LinearRegression); this class keeps only what a
prediction needs, so the service loads a model without executing anything from the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from thermowatch.errors import InputError


@dataclass(frozen=True)
class LinearModel:
    """``y = intercept + Σ coef_i (x_i - mean_i) / scale_i`` over named features.

    ``coef`` is in target units per standard deviation of each feature [K/σ], which is what an
    engineer compares to see which input matters. ``held``: features whose value is held
    inside a range (feature name -> (low, high), in the feature's unit) before the sum, so that
    a weight identified only on that range does not extrapolate beyond it.
    """

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    alpha: float = 0.0
    held: dict[str, tuple[float, float]] | None = None

    @classmethod
    def fit(
        cls, x: np.ndarray, y: np.ndarray, features: list[str], alpha: float = 0.0
    ) -> LinearModel:
        """Standardise then fit ordinary least squares (``alpha=0``) or ridge.

        Parameters
        ----------
        x : numpy.ndarray
            ``(n, len(features))`` inputs (any unit: standardised).
        y : numpy.ndarray
            ``(n,)`` target (unit of the predictions).
        features : list of str
            Column names of ``x``.
        alpha : float
            Ridge penalty on the standardised coefficients [-]; 0 for least squares.

        Returns
        -------
        LinearModel
        """
        # Imported here: the service and the monitor load models without scikit-learn (~1 s
        # at every process start-up).
        from sklearn.linear_model import LinearRegression, Ridge
        from sklearn.preprocessing import StandardScaler

        scaler = StandardScaler().fit(x)
        z = scaler.transform(x)
        reg = Ridge(alpha=alpha) if alpha > 0 else LinearRegression()
        reg.fit(z, y)
        scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
        return cls(
            tuple(features),
            scaler.mean_.copy(),
            scale,
            reg.coef_.copy(),
            float(reg.intercept_),
            alpha,
        )

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Predictions for rows of ``x`` (columns in ``features`` order).

        Parameters
        ----------
        x : numpy.ndarray
            ``(n, len(features))`` inputs.

        Returns
        -------
        numpy.ndarray
            ``(n,)`` predictions (unit of the target).
        """
        x = np.asarray(x, dtype=np.float64)
        if self.held:
            low, high = self.bounds()
            x = np.clip(x, low, high)
        return self.intercept + ((x - self.mean) / self.scale) @ self.coef

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Per feature, the range its value is held in (``-inf``/``inf`` where not held).

        Returns
        -------
        tuple of numpy.ndarray
            Low and high bounds, one per feature (unit of each feature).
        """
        held = self.held or {}
        low = np.array([held.get(f, (-np.inf, np.inf))[0] for f in self.features], dtype=float)
        high = np.array([held.get(f, (-np.inf, np.inf))[1] for f in self.features], dtype=float)
        return low, high

    def ranked_coefficients(self) -> list[tuple[str, float]]:
        """(feature, K per σ), largest magnitude first."""
        order = np.argsort(-np.abs(self.coef))
        return [(self.features[i], float(self.coef[i])) for i in order]

    def to_dict(self) -> dict[str, Any]:
        out = {
            "kind": "standardised-linear",
            "features": list(self.features),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "coef": self.coef.tolist(),
            "intercept": self.intercept,
            "alpha": self.alpha,
        }
        if self.held:
            out["held"] = {name: [float(lo), float(hi)] for name, (lo, hi) in self.held.items()}
        return out

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> LinearModel:
        """Rebuild a model from its JSON form (``to_dict()``).

        Parameters
        ----------
        values : dict
            The JSON form.

        Returns
        -------
        LinearModel
        """
        n = len(values["features"])
        mean, scale, coef = (
            np.asarray(values[k], dtype=np.float64) for k in ("mean", "scale", "coef")
        )
        arrays = (mean, scale, coef)
        if any(a.shape != (n,) for a in arrays) or not all(np.isfinite(a).all() for a in arrays):
            raise InputError("model.json: mean, scale and coef must be finite, one per feature.")
        held = {}
        for name, pair in (values.get("held") or {}).items():
            low, high = (float(v) for v in pair)
            if name not in values["features"] or not low <= high:
                raise InputError(f"model.json: the held range of {name!r} is malformed.")
            held[name] = (low, high)
        return cls(
            tuple(values["features"]),
            mean,
            scale,
            coef,
            float(values["intercept"]),
            float(values.get("alpha", 0.0)),
            held or None,
        )
