"""Normal-behaviour models: the temperature the operating conditions explain, never using the
measured target as an input.

``thermal-monotone`` is a sum of first-order responses (the filters of
:mod:`thermowatch.learn.features`) to the squared loads and to the ambient, whose weights are
constrained so that the response to a step up of any load or of the ambient is never negative,
at any time after the step (see :meth:`MonotoneThermal.fit`): more load or a hotter ambient never predicts a cooler
transformer, in steady state or in the transient, at any load. Like the IEC 60076-7 hot-spot
model, a fast response may overshoot a slower one (one weight may be negative) as long as the
sum stays non-negative. Loads at time t and the IEC estimates have non-negative weights; beyond
the trained range the prediction grows with the losses (load²) like the physics, through the
responses as fast as the oil's; the day-scale responses, slower than any oil time constant, are
held at the edge of the range they were fitted on (:func:`slow_load_responses`).
Calendar terms (hour of day, day of year when no ambient is measured) are free in sign: they
carry what the inputs do not show (sun, season) and do not depend on load or ambient.

``baseline-linear`` is the original approach (standardised OLS on the inputs at t), kept as the
reference every model must beat.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from thermowatch.learn.domain import SEASONAL_COLUMNS, full_year, months_seen
from thermowatch.learn.features import (
    IEC_HOT_SPOT,
    IEC_TOP_OIL,
    FeatureSpec,
    drift_names,
    with_drift,
)
from thermowatch.learn.linear import LinearModel
from thermowatch.thermal import TransformerSpec
from thermowatch.thermal.spec import preset_names

if TYPE_CHECKING:
    from thermowatch.learn.training_data import TrainingData

CALENDAR = ("hour_sin", "hour_cos", "doy_sin", "doy_cos")
# Ridge penalties per row of standardised features: scale-free across 1-min and 1-h data.
PENALTIES = (1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1)
#: The slowest oil time constant of IEC 60076-7:2018 Table 5 [min] (ONAN: 210 min): a response
#: to load slower than it is not the transformer's thermal response to that load.
SLOWEST_OIL_TIME_CONSTANT_MIN = max(TransformerSpec.preset(n).tau_oil_min for n in preset_names())


def slow_load_responses(spec: FeatureSpec, names: list[str]) -> list[int]:
    """Positions in ``names`` of the responses to load² slower than any oil time constant of
    IEC 60076-7 (:data:`SLOWEST_OIL_TIME_CONSTANT_MIN`).

    Such a response follows the load's level over days: its weight carries what goes with that
    level (the weather, the season, the time of year), not the heat of the losses, which the
    faster responses carry. Fitted on the range of day-scale loads the training saw, it is held
    at the edge of that range beyond it (:attr:`LinearModel.held`): a sustained load higher
    than any seen still raises the prediction through the thermal responses, never through a
    correlation extrapolated.

    Parameters
    ----------
    spec : FeatureSpec
        Which inputs are loads.
    names : list of str
        Feature columns of the model.

    Returns
    -------
    list of int
    """
    drivers = [f"{name}²" for name in spec.load_inputs]
    return [
        j
        for j, name in enumerate(names)
        if any((response_time_min(name, d) or 0.0) > SLOWEST_OIL_TIME_CONSTANT_MIN for d in drivers)
    ]


def response_time_min(name: str, driver: str) -> float | None:
    """The time constant of the feature column ``name`` as a response to ``driver``.

    Parameters
    ----------
    name : str
        A feature column (:func:`~thermowatch.learn.features.build_features`).
    driver : str
        A driver column (a load's square, an ambient).

    Returns
    -------
    float or None
        0 [min] for the driver itself, τ [min] for its first-order filter
        ``"<driver> ~<τ>min"``, ``None`` for another column.
    """
    if name == driver:
        return 0.0
    if name.startswith(f"{driver} ~") and name.endswith("min"):
        return float(name[len(driver) + 2 : -3])
    return None


def driver_chains(spec: FeatureSpec, names: list[str]) -> list[list[int]]:
    """Per load (its square) and ambient input, the positions in ``names`` of its instantaneous
    value and its filters, fastest first.

    Parameters
    ----------
    spec : FeatureSpec
        Which inputs are loads and ambient.
    names : list of str
        Feature columns of the model.

    Returns
    -------
    list of list of int
    """
    chains = []
    drivers = [f"{name}²" for name in spec.load_inputs] + list(spec.ambient_inputs)
    for driver in drivers:
        members = [(tau, j) for j, name in enumerate(names)
                   if (tau := response_time_min(name, driver)) is not None]  # fmt: skip
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
    neither load nor ambient (a voltage, a tap position) enter at time t, free in sign.

    Parameters
    ----------
    spec : FeatureSpec
        Which inputs are loads and ambient.
    available : list of str
        Columns of the feature frame.

    Returns
    -------
    tuple of (list of str, list of bool)
    """
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

    def __init__(
        self,
        x: np.ndarray,
        y: np.ndarray,
        positive: np.ndarray,
        weights: np.ndarray | None = None,
        limits: dict[int, float] | None = None,
    ) -> None:
        if weights is None:
            w, xw = None, x.T / len(y)  # plain: every row weighs 1 / n
        else:
            w = np.asarray(weights, dtype=np.float64) / float(np.sum(weights))
            xw = x.T * w
        self.mean = x.mean(axis=0) if w is None else w @ x
        scale = x.std(axis=0) if w is None else np.sqrt(np.maximum(w @ (x * x) - self.mean**2, 0))
        self.scale = np.where(scale > 1e-12, scale, 1.0)
        self.intercept = float(y.mean() if w is None else w @ y)
        centred = xw @ x - np.outer(self.mean, self.mean)
        self.gram = centred / np.outer(self.scale, self.scale)
        self.rhs = (xw @ y - self.mean * self.intercept) / self.scale
        self.lower = np.where(positive, 0.0, -np.inf)
        self.upper = np.full(len(self.rhs), np.inf)
        for j, limit in (limits or {}).items():  # |raw weight| <= limit, per σ of the column
            self.upper[j] = limit * self.scale[j]
            self.lower[j] = max(self.lower[j], -self.upper[j])

    def solve(self, penalty: float) -> np.ndarray:
        """Weights per standard deviation of each feature [target unit / σ].

        Parameters
        ----------
        penalty : float
            Ridge penalty per row of standardised features [-].

        Returns
        -------
        numpy.ndarray
        """
        # Imported here: loading a model (service, monitor) needs no scipy solver (~0.5 s).
        from scipy.linalg import solve_triangular
        from scipy.optimize import lsq_linear

        gram = self.gram + penalty * np.eye(len(self.rhs))
        factor = np.linalg.cholesky(gram)  # gram = L Lᵀ
        target = solve_triangular(factor, self.rhs, lower=True)
        return lsq_linear(factor.T, target, bounds=(self.lower, self.upper), method="bvls").x


class _ChainedRidge:
    """:class:`BoundedRidge` on chained inputs ``x @ transform`` of some rows, turned back into a
    :class:`LinearModel` on the raw features for a given penalty; the columns ``held`` (their
    positions) are held inside the range they take on those rows."""

    def __init__(self, x, y, rows, transform, bounded, weights=None, limits=None, held=()) -> None:
        self.transform = transform
        self.solver = BoundedRidge((x @ transform)[rows], y[rows], bounded, weights, limits)
        self.mean_x = x[rows].mean(axis=0)
        scale = x[rows].std(axis=0)
        self.scale_x = np.where(scale > 1e-12, scale, 1.0)
        self.held = {j: (float(x[rows, j].min()), float(x[rows, j].max())) for j in held}

    def model(self, names: tuple[str, ...], penalty: float) -> LinearModel:
        solver = self.solver
        v = solver.solve(penalty) / solver.scale  # per raw unit of the chained inputs
        w = self.transform @ v  # per raw unit of the features
        intercept = solver.intercept - float(v @ solver.mean) + float(w @ self.mean_x)
        held = {names[j]: pair for j, pair in self.held.items() if w[j] != 0.0}
        return LinearModel(
            names, self.mean_x, self.scale_x, w * self.scale_x, intercept, penalty, held or None
        )


@dataclass
class MonotoneThermal:
    """Non-negative weights on a bank of first-order responses to load² and ambient."""

    name: ClassVar[str] = "thermal-monotone"
    role: ClassVar[str] = "normal"
    #: Registry declarations: a servable normal-behaviour candidate and its penalty grid.
    roles: ClassVar[dict[str, str]] = {"normal": "candidate"}
    servable: ClassVar[bool] = True
    grid: ClassVar[dict[str, tuple]] = {"penalty": PENALTIES}
    linear: LinearModel | None = None
    positive: tuple[bool, ...] = ()
    # Overshoot off by default: every response weight non-negative, so the prediction after a
    # load ramp also lags its steady state (what operators expect of thermal inertia); on, a
    # fast response may overshoot a slower one (as the IEC hot spot does) — still monotone.
    overshoot: bool = False
    #: False: no hour-of-day or day-of-year term (the candidate without calendar terms).
    calendar: bool = True
    held_out: LinearModel | None = None
    #: Half-life [d] of the weight of a training row, counted back from the last row of the
    #: fit; None: every row weighs the same (see :class:`MonotoneRecent`).
    half_life_days: ClassVar[float | None] = None

    def fit(
        self,
        features: pd.DataFrame,
        y: np.ndarray,
        fit_rows,
        val_rows,
        spec: FeatureSpec,
        penalties: tuple[float, ...] = PENALTIES,
        refit_rows=None,
    ):
        """Fit on ``fit_rows``, choose the penalty on ``val_rows`` (validation RMSE) among
        ``penalties``, then (``refit_rows``) refit with that penalty on those rows (train +
        validation: more, and more recent, data). The one fit of this model: training, the
        rolling-origin folds and the served model all go through it.

        Day-of-year terms are used only when ``fit_rows`` cover every calendar month
        (:func:`thermowatch.learn.domain.full_year`): fitted on part of a year they would
        extrapolate, without bound in practice, into a season never measured.

        Every response weight is non-negative. With ``overshoot``, along each driver's chain of
        responses (instantaneous, then filters from fast to slow), the weights are instead
        fitted through their prefix sums ``v_k = w_0 + … + w_k ≥ 0``:
        the features become differences of neighbouring responses (``x_k − x_{k+1}``, each
        non-negative after a step up, as a faster filter is always ahead of a slower one), so a
        bounded least-squares fit keeps every step response ``Σ_k v_k (φ_k − φ_{k+1})`` non-
        negative at every time — the overshoot of a fast response over a slow one included.

        Parameters
        ----------
        features : pandas.DataFrame
            The feature frame (:func:`~thermowatch.learn.features.build_features`).
        y : numpy.ndarray
            Target [°C] per row.
        fit_rows, val_rows : numpy.ndarray
            Boolean per row: training and validation rows.
        spec : FeatureSpec
            Which inputs are loads and ambient.
        penalties : tuple of float
            Ridge penalties [-] to choose from.
        refit_rows : numpy.ndarray, optional
            Boolean per row: the served refit's rows.

        Returns
        -------
        MonotoneThermal
            Itself, fitted.
        """
        fit_rows = np.asarray(fit_rows, dtype=bool)
        seasonal = full_year(months_seen(features.index[fit_rows]))
        names, positive, x, solver = self._design(features, y, fit_rows, spec, seasonal)
        best = None
        for penalty in penalties:
            model = solver.model(tuple(names), penalty)
            if len(penalties) == 1:
                best = (0.0, model)
                break
            err = model.predict(x[val_rows]) - y[val_rows]
            score = float(np.sqrt(np.nanmean(err**2)))
            if best is None or score < best[0]:
                best = (score, model)
        assert best is not None
        self.held_out, self.positive = best[1], tuple(positive)
        self.linear = self.held_out
        if refit_rows is not None:
            refit_rows = np.asarray(refit_rows, dtype=bool)
            names, positive, _, solver = self._design(features, y, refit_rows, spec, seasonal)
            self.linear, self.positive = (
                solver.model(tuple(names), self.held_out.alpha),
                tuple(positive),
            )
        return self

    # ------------------------------------------------------------- training hooks
    def fit_normal(self, data: TrainingData) -> MonotoneThermal:
        """Fit on the training rows, choose the penalty on validation, refit on both.

        Parameters
        ----------
        data : TrainingData
            The run's inputs.

        Returns
        -------
        MonotoneThermal
        """
        return self.fit(
            data.physics, data.y, data.fit_rows, data.clean_val, data.spec,
            penalties=self.grid["penalty"], refit_rows=data.refit_rows,
        )  # fmt: skip

    def predict_normal(self, data: TrainingData) -> np.ndarray:
        """Predictions [°C] as scored: the train-only fit before test, the served one after.

        Parameters
        ----------
        data : TrainingData
            The run's inputs.

        Returns
        -------
        numpy.ndarray
        """
        made = self.predict(data.physics)
        start = data.split.test.start
        made[:start] = self.predict_held_out(data.physics)[:start]
        return made

    def refit_on(self, data: TrainingData, rows: np.ndarray) -> MonotoneThermal:
        """The same model (its chosen penalty) fitted on ``rows`` alone (a rolling-origin fold).

        Parameters
        ----------
        data : TrainingData
            The run's inputs.
        rows : numpy.ndarray
            Boolean per row.

        Returns
        -------
        MonotoneThermal
            A new fitted model (this one is unchanged).
        """
        assert self.linear is not None
        return replace(self).fit(
            data.physics, data.y, rows, rows, data.spec, penalties=(self.linear.alpha,)
        )

    def predict_part(self, data: TrainingData, part: slice) -> np.ndarray:
        """Predictions [°C] on the rows ``part`` alone.

        Parameters
        ----------
        data : TrainingData
            The run's inputs.
        part : slice
            Rows.

        Returns
        -------
        numpy.ndarray
        """
        return self.predict(data.physics.iloc[part])

    def _design(self, features: pd.DataFrame, y: np.ndarray, rows: np.ndarray, spec, seasonal):
        """The columns a fit on ``rows`` uses, whether each weight is bounded, the design
        matrix and its solver. Without a full year (``seasonal`` False), drift ramps over the
        span of ``rows`` (:func:`~thermowatch.learn.features.drift_names`) stand in for the
        season: bounded, they hold the level at the end of training instead of extrapolating."""
        names, positive = monotone_features(spec, list(features.columns))
        keep = [self._uses(name, seasonal) for name in names]
        names = [n for n, k in zip(names, keep, strict=True) if k]
        positive = [p for p, k in zip(positive, keep, strict=True) if k]
        if self.calendar and spec.calendar and not seasonal:
            drift = drift_names(features.index[rows])
            features = with_drift(features, drift)
            names, positive = names + drift, positive + [False] * len(drift)
        x = features[names].to_numpy(dtype=np.float64)
        transform = np.eye(len(names))  # x @ transform = chained inputs; w = transform @ v
        bounded = np.array(positive)
        for chain in driver_chains(spec, names):
            for k, j in enumerate(chain):
                if self.overshoot and k + 1 < len(chain):
                    transform[chain[k + 1], j] = -1.0
                bounded[j] = True
        weights = recency_weights(features.index[rows], self.half_life_days)
        held = slow_load_responses(spec, names)
        return names, positive, x, _ChainedRidge(x, y, rows, transform, bounded, weights, held=held)

    def _uses(self, name: str, seasonal: bool) -> bool:
        """Whether a feature column enters the model (``seasonal``: a full year is seen)."""
        if name in CALENDAR and not self.calendar:
            return False
        return seasonal or name not in SEASONAL_COLUMNS

    def predict_held_out(self, features: pd.DataFrame) -> np.ndarray:
        """Predictions [°C] of the fit on the training rows alone (before the refit).

        Parameters
        ----------
        features : pandas.DataFrame
            The feature frame.

        Returns
        -------
        numpy.ndarray
        """
        assert self.held_out is not None
        names = list(self.held_out.features)
        return self.held_out.predict(with_drift(features, names)[names].to_numpy(np.float64))

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """Predicted temperature [°C] per row of a feature frame.

        Parameters
        ----------
        features : pandas.DataFrame
            The feature frame.

        Returns
        -------
        numpy.ndarray
        """
        assert self.linear is not None
        names = list(self.linear.features)
        return self.linear.predict(with_drift(features, names)[names].to_numpy(np.float64))

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
        """Rebuild the model from its JSON form, refusing a negative bounded weight.

        Parameters
        ----------
        values : dict
            The JSON form.

        Returns
        -------
        MonotoneThermal
        """
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
class MonotonePlain(MonotoneThermal):
    """``thermal-monotone`` without calendar terms: the responses to loads and ambient alone.

    The robust candidate: nothing in it depends on the time of day or the season, so it cannot
    extrapolate into a part of the year its training never saw.
    """

    name: ClassVar[str] = "thermal-monotone-plain"
    calendar: bool = False


#: Half-life of the recency weights of :class:`MonotoneRecent` [d]: a fortnight, a few weather
#: systems and load weeks (fixed beforehand, not chosen on the benchmark windows).
RECENT_HALF_LIFE_DAYS = 14.0


@dataclass
class MonotoneRecent(MonotoneThermal):
    """``thermal-monotone`` fitted with rows weighted by recency (half-life
    :data:`RECENT_HALF_LIFE_DAYS`), whatever the length of training.

    What the inputs do not show drifts: the season without an ambient column, a year warmer or
    colder than the last, the state of the cooling, the sensor. A fit that weighs every month
    alike mixes regimes; here the regime nearest the future weighs most. Its weights halve every
    fortnight, so its effective data never spans a year: it fits no day-of-year term, only the
    bounded drift ramps that hold the level at the end of training. Same monotone constraints,
    the same :class:`~thermowatch.learn.linear.LinearModel` when served: the selection rule
    (validation and rolling-origin folds) decides whether the recent regime or the whole
    history predicts the next period better.
    """

    name: ClassVar[str] = "thermal-monotone-recent"
    half_life_days: ClassVar[float | None] = RECENT_HALF_LIFE_DAYS

    def _design(self, features: pd.DataFrame, y: np.ndarray, rows: np.ndarray, spec, seasonal):
        """:meth:`MonotoneThermal._design` as without a full year (drift ramps, no day-of-year
        term), whatever ``rows`` cover."""
        return super()._design(features, y, rows, spec, False)


def recency_weights(times: pd.DatetimeIndex, half_life_days: float | None) -> np.ndarray | None:
    """Per row, ``0.5 ** (age / half_life)`` with the age counted back from the last of
    ``times`` [d]; None (every row alike) without a half-life.

    Parameters
    ----------
    times : pandas.DatetimeIndex
        Times of the fit's rows, increasing.
    half_life_days : float or None
        Half-life of the weights [d].

    Returns
    -------
    numpy.ndarray or None
        Weight per row [-], 1 for the last.
    """
    if half_life_days is None or len(times) == 0:
        return None
    age_days = (times[-1] - times) / pd.Timedelta("1D")
    return np.power(0.5, np.asarray(age_days, dtype=np.float64) / half_life_days)


@dataclass
class BaselineLinear:
    """The original approach: standardised ordinary least squares on the inputs at t."""

    name: ClassVar[str] = "baseline-linear"
    role: ClassVar[str] = "normal"
    #: Registry declarations: a normal-behaviour candidate scored but never served, and the
    #: original approach the report shows beside the served model.
    roles: ClassVar[dict[str, str]] = {"normal": "candidate"}
    servable: ClassVar[bool] = False
    why_not: ClassVar[str] = "not monotone in load by construction"
    original: ClassVar[bool] = True
    grid: ClassVar[dict[str, tuple]] = {}
    linear: LinearModel | None = None

    def fit(self, frame: pd.DataFrame, y: np.ndarray, fit_rows, inputs: list[str]):
        """Ordinary least squares on the standardised inputs at t.

        Parameters
        ----------
        frame : pandas.DataFrame
            Measurements.
        y : numpy.ndarray
            Target [°C] per row.
        fit_rows : numpy.ndarray
            Boolean per row.
        inputs : list of str
            Input columns.

        Returns
        -------
        BaselineLinear
            Itself, fitted.
        """
        self.linear = LinearModel.fit(
            frame[inputs].to_numpy(np.float64)[fit_rows], y[fit_rows], inputs
        )
        return self

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Predicted temperature [°C] per row of a measurement frame.

        Parameters
        ----------
        frame : pandas.DataFrame
            Measurements with the inputs.

        Returns
        -------
        numpy.ndarray
        """
        assert self.linear is not None
        return self.linear.predict(frame[list(self.linear.features)].to_numpy(np.float64))

    # ------------------------------------------------------------- training hooks
    def fit_normal(self, data: TrainingData) -> BaselineLinear:
        """Fit on every clean training row (no warm-up: it reads the inputs at t alone).

        Parameters
        ----------
        data : TrainingData
            The run's inputs.

        Returns
        -------
        BaselineLinear
        """
        return self.refit_on(data, data.train_rows & ~data.suspect)

    def predict_normal(self, data: TrainingData) -> np.ndarray:
        """Predictions [°C] on every row.

        Parameters
        ----------
        data : TrainingData
            The run's inputs.

        Returns
        -------
        numpy.ndarray
        """
        return self.predict(data.frame)

    def refit_on(self, data: TrainingData, rows: np.ndarray) -> BaselineLinear:
        """A fit on ``rows`` alone (a rolling-origin fold).

        Parameters
        ----------
        data : TrainingData
            The run's inputs.
        rows : numpy.ndarray
            Boolean per row.

        Returns
        -------
        BaselineLinear
        """
        return type(self)().fit(data.frame, data.y, rows, list(data.spec.inputs))

    def predict_part(self, data: TrainingData, part: slice) -> np.ndarray:
        """Predictions [°C] on the rows ``part`` alone.

        Parameters
        ----------
        data : TrainingData
            The run's inputs.
        part : slice
            Rows.

        Returns
        -------
        numpy.ndarray
        """
        return self.predict(data.frame.iloc[part])

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
        """Rebuild the model from its JSON form (``to_dict()``).

        Parameters
        ----------
        values : dict
            The JSON form.

        Returns
        -------
        BaselineLinear
        """
        return cls(LinearModel.from_dict(values["linear"]))
