"""Normal-behaviour models: the temperature the operating conditions explain, never using the
measured target as an input.

``thermal-monotone`` is a sum of first-order responses (the filters of
:mod:`thermowatch.learn.features`) to the squared loads and to the ambient, whose weights are
constrained so that the response to a step up of any load or of the ambient is never negative,
at any time after the step (see :meth:`MonotoneThermal.fit`): more load or a hotter ambient never predicts a cooler
transformer, in steady state or in the transient, at any load. Like the IEC 60076-7 hot-spot
model, a fast response may overshoot a slower one (one weight may be negative) as long as the
sum stays non-negative. Loads at time t and the IEC estimates have non-negative weights; beyond
the trained range the prediction grows with the losses (load²) like the physics.
Calendar terms (hour of day, day of year when no ambient is measured) are free in sign: they
carry what the inputs do not show (sun, season) and do not depend on load or ambient.

``baseline-linear`` is the original approach (standardised OLS on the inputs at t), kept as the
reference every model must beat.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy.linalg import solve_triangular
from scipy.optimize import lsq_linear

from thermowatch.learn.features import IEC_HOT_SPOT, IEC_TOP_OIL, FeatureSpec
from thermowatch.learn.linear import LinearModel

CALENDAR = ("hour_sin", "hour_cos", "doy_sin", "doy_cos")
# Ridge penalties per row of standardised features: scale-free across 1-min and 1-h data.
PENALTIES = (1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1)


def driver_chains(spec: FeatureSpec, names: list[str]) -> list[list[int]]:
    """Per load (its square) and ambient input, the positions in ``names`` of its instantaneous
    value and its filters, fastest first."""
    chains = []
    drivers = [f"{name}²" for name in spec.load_inputs] + list(spec.ambient_inputs)
    for driver in drivers:
        members = []
        for j, name in enumerate(names):
            if name == driver:
                members.append((0.0, j))
            elif name.startswith(f"{driver} ~") and name.endswith("min"):
                members.append((float(name.rsplit("~", 1)[1][:-3]), j))
        if members:
            chains.append([j for _, j in sorted(members)])
    # The IEC hot spot is its top oil plus a winding gradient that grows with load: the chain
    # (hot spot, top oil) lets the fit use the gradient alone (hot spot − top oil) and stay
    # monotone.
    if IEC_HOT_SPOT in names and IEC_TOP_OIL in names:
        chains.append([names.index(IEC_HOT_SPOT), names.index(IEC_TOP_OIL)])
    return chains


def monotone_features(spec: FeatureSpec, available: list[str]) -> tuple[list[str], list[bool]]:
    """The feature columns of the monotone model and, per column, whether its weight must be
    non-negative (a load, a response to load² or ambient, or an IEC estimate). Inputs that are
    neither load nor ambient (a voltage, a tap position) enter at time t, free in sign."""
    names, positive = [], []
    for name in available:
        if name in spec.load_inputs:
            names.append(name)
            positive.append(True)
        elif (name in spec.inputs and name not in spec.ambient_inputs) or name in CALENDAR:
            names.append(name)
            positive.append(False)
        elif name in (IEC_HOT_SPOT, IEC_TOP_OIL):
            names.append(name)
            positive.append(True)
        elif "² ~" in name or name.endswith("²"):
            names.append(name)  # held by the step constraints, not one by one
            positive.append(False)
        elif any(name == a or name.startswith(f"{a} ~") for a in spec.ambient_inputs):
            names.append(name)
            positive.append(False)
    return names, positive


class BoundedRidge:
    """Standardised ridge with non-negative weights where ``positive``, for several penalties.

    Minimises ``|y - ȳ - z w|² / n + penalty |w|²`` over ``w`` (``w_i ≥ 0`` where
    ``positive[i]``) through the Cholesky factor of the Gram matrix, formed once: the cost of
    each penalty does not depend on the number of rows.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, positive: np.ndarray) -> None:
        n = len(y)
        self.mean = x.mean(axis=0)
        scale = x.std(axis=0)
        self.scale = np.where(scale > 1e-12, scale, 1.0)
        self.intercept = float(y.mean())
        centred = (x.T @ x) / n - np.outer(self.mean, self.mean)
        self.gram = centred / np.outer(self.scale, self.scale)
        self.rhs = ((x.T @ y) / n - self.mean * self.intercept) / self.scale
        self.lower = np.where(positive, 0.0, -np.inf)

    def solve(self, penalty: float) -> np.ndarray:
        """Weights per standard deviation of each feature [target unit / σ]."""
        gram = self.gram + penalty * np.eye(len(self.rhs))
        factor = np.linalg.cholesky(gram)  # gram = L Lᵀ
        target = solve_triangular(factor, self.rhs, lower=True)
        upper = np.full_like(self.lower, np.inf)
        start = lsq_linear(factor.T, target, bounds=(self.lower, upper), method="bvls").x
        return start


@dataclass
class MonotoneThermal:
    """Non-negative weights on a bank of first-order responses to load² and ambient."""

    name: ClassVar[str] = "thermal-monotone"
    role: ClassVar[str] = "normal"
    linear: LinearModel | None = None
    positive: tuple[bool, ...] = ()
    # Overshoot off by default: every response weight non-negative, so the prediction after a
    # load ramp also lags its steady state (what operators expect of thermal inertia); on, a
    # fast response may overshoot a slower one (as the IEC hot spot does) — still monotone.
    overshoot: bool = False

    def fit(self, features: pd.DataFrame, y: np.ndarray, fit_rows, val_rows, spec: FeatureSpec):
        """Fit on ``fit_rows``, choose the penalty on ``val_rows`` (validation RMSE).

        Every response weight is non-negative. With ``overshoot``, along each driver's chain of
        responses (instantaneous, then filters from fast to slow), the weights are instead
        fitted through their prefix sums ``v_k = w_0 + … + w_k ≥ 0``:
        the features become differences of neighbouring responses (``x_k − x_{k+1}``, each
        non-negative after a step up, as a faster filter is always ahead of a slower one), so a
        bounded least-squares fit keeps every step response ``Σ_k v_k (φ_k − φ_{k+1})`` non-
        negative at every time — the overshoot of a fast response over a slow one included.
        """
        names, positive = monotone_features(spec, list(features.columns))
        x = features[names].to_numpy(dtype=np.float64)
        transform = np.eye(len(names))  # x @ transform = chained inputs; w = transform @ v
        bounded = np.array(positive)
        for chain in driver_chains(spec, names):
            for k, j in enumerate(chain):
                if self.overshoot and k + 1 < len(chain):
                    transform[chain[k + 1], j] = -1.0
                bounded[j] = True
        z = x @ transform
        solver = BoundedRidge(z[fit_rows], y[fit_rows], bounded)
        mean_x = x[fit_rows].mean(axis=0)
        scale_x = x[fit_rows].std(axis=0)
        scale_x = np.where(scale_x > 1e-12, scale_x, 1.0)
        best = None
        for penalty in PENALTIES:
            v = solver.solve(penalty) / solver.scale  # per raw unit of the chained inputs
            w = transform @ v  # per raw unit of the features
            intercept = solver.intercept - float(v @ solver.mean) + float(w @ mean_x)
            model = LinearModel(tuple(names), mean_x, scale_x, w * scale_x, intercept, penalty)
            err = model.predict(x[val_rows]) - y[val_rows]
            score = float(np.sqrt(np.nanmean(err**2)))
            if best is None or score < best[0]:
                best = (score, model)
        assert best is not None
        self.linear, self.positive = best[1], tuple(positive)
        return self

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """Predicted temperature [°C] per row of a feature frame."""
        assert self.linear is not None
        return self.linear.predict(features[list(self.linear.features)].to_numpy(np.float64))

    @property
    def parameters(self) -> int:
        return int(np.count_nonzero(self.linear.coef)) + 1 if self.linear is not None else 0

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "role": self.role,
            "parameters": self.parameters,
            "penalty": self.linear.alpha if self.linear else None,
            "monotone": "non-negative step response to every load and to ambient",
        }

    def to_dict(self) -> dict[str, Any]:
        assert self.linear is not None
        return {"kind": self.name, "linear": self.linear.to_dict(), "positive": list(self.positive)}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> MonotoneThermal:
        linear = LinearModel.from_dict(values["linear"])
        positive = tuple(bool(p) for p in values.get("positive", []))
        if len(positive) == len(linear.features):
            bad = [
                f
                for f, p, c in zip(linear.features, positive, linear.coef, strict=True)
                if p and c < 0
            ]
            if bad:
                from thermowatch.errors import InputError

                raise InputError(f"model.json: the weight of {bad[0]!r} must be non-negative.")
        return cls(linear, positive)


@dataclass
class BaselineLinear:
    """The original approach: standardised ordinary least squares on the inputs at t."""

    name: ClassVar[str] = "baseline-linear"
    role: ClassVar[str] = "normal"
    linear: LinearModel | None = None

    def fit(self, frame: pd.DataFrame, y: np.ndarray, fit_rows, inputs: list[str]):
        self.linear = LinearModel.fit(
            frame[inputs].to_numpy(np.float64)[fit_rows], y[fit_rows], inputs
        )
        return self

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        assert self.linear is not None
        return self.linear.predict(frame[list(self.linear.features)].to_numpy(np.float64))

    @property
    def parameters(self) -> int:
        return len(self.linear.features) + 1 if self.linear is not None else 0

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "role": self.role, "parameters": self.parameters}

    def to_dict(self) -> dict[str, Any]:
        assert self.linear is not None
        return {"kind": self.name, "linear": self.linear.to_dict()}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> BaselineLinear:
        return cls(LinearModel.from_dict(values["linear"]))
