"""Multi-horizon forecasters: the target at every step up to a horizon, from its past.

Both are direct multi-output ridges (one linear map from the inputs to all ``H`` outputs, no
recursion, so errors do not compound), in units of the training standard deviation, relative
to the last measured value (the NLinear trick: a level shift between training and test does
not bias the forecast):

``forecast-nlinear``
    Inputs: the last ``lookback`` values minus the last one (Zeng et al., 2023, "Are
    Transformers Effective for Time Series Forecasting?", NLinear).
``forecast-direct``
    Longer lags plus the thermal state at the origin: the gap between the normal-behaviour
    temperature and the last measured value (where the oil is heading: the normal-behaviour
    model already sums the load responses) and the hour of day (the phase of the daily cycle).

The shared code of every forecaster lives here (the time grid, windows, rolling-origin
periods); ``forecast-pooled`` (:mod:`.pooled`) builds on ``forecast-nlinear`` and
``forecast-ensemble`` (:mod:`.ensemble`) averages forecasters.

Lags are taken on the time grid: a window that crosses a gap is not used to learn, and is
filled from its nearest known values when forecasting live.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from thermowatch.errors import InputError

if TYPE_CHECKING:
    from thermowatch.learn.training_data import TrainingData

MAX_TRAIN_ORIGINS = 20_000  # origins are strided beyond this: neighbours are near copies
MAX_TRAIN_VALUES = 20_000_000  # origins × (lookback + horizon) held while fitting (memory)
PENALTIES = (1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0)  # ridge α per origin
EARLIER_FOLDS = 2  # validation-length periods before validation also scored (rolling origin)


def grid_positions(index: pd.DatetimeIndex, step: pd.Timedelta) -> np.ndarray:
    """Position of each timestamp on the regular grid of ``step`` from the first one.

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Times, increasing.
    step : pandas.Timedelta
        Grid step.

    Returns
    -------
    numpy.ndarray
        int64 positions [steps].
    """
    ticks = index.as_unit("ns").asi8
    return np.rint((ticks - ticks[0]) / pd.Timedelta(step).value).astype(np.int64)


def on_grid(values: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """``values`` spread on the regular grid, NaN in the gaps.

    Parameters
    ----------
    values : numpy.ndarray
        One value per row.
    positions : numpy.ndarray
        Each row's grid position [steps] (:func:`grid_positions`).

    Returns
    -------
    numpy.ndarray
    """
    out = np.full(int(positions[-1]) + 1, np.nan)
    out[positions] = values
    return out


def windows(grid: np.ndarray, ends: np.ndarray, length: int) -> np.ndarray:
    """``(len(ends), length)`` values of ``grid`` ending at each position (inclusive); NaN
    before the start and after the end of the grid.

    Parameters
    ----------
    grid : numpy.ndarray
        Values on the grid.
    ends : numpy.ndarray
        Last position of each window [steps].
    length : int
        Window length [steps].

    Returns
    -------
    numpy.ndarray
    """
    ends = np.asarray(ends, dtype=np.int64)
    if not len(ends):
        return np.full((0, length), np.nan)
    # Views of a NaN-padded copy, then one gather of whole rows (no index matrix).
    before = length - 1 + max(0, -int(ends.min()))
    after = max(0, int(ends.max()) + 1 - len(grid))
    padded = np.concatenate([np.full(before, np.nan), grid, np.full(after, np.nan)])
    return sliding_window_view(padded, length)[ends + before - (length - 1)]


def futures(grid: np.ndarray, starts: np.ndarray, horizon: int) -> np.ndarray:
    """``(len(starts), horizon)`` values at positions ``start + 1 … start + horizon``.

    Parameters
    ----------
    grid : numpy.ndarray
        Values on the grid.
    starts : numpy.ndarray
        Origin positions [steps].
    horizon : int
        Steps after each origin.

    Returns
    -------
    numpy.ndarray
    """
    return windows(grid, np.asarray(starts, dtype=np.int64) + horizon, horizon)


def validation_folds(
    positions: np.ndarray, val_origins: np.ndarray, lookback: int, horizon: int
) -> list[tuple[int, np.ndarray]]:
    """Rolling-origin periods: the validation period and up to :data:`EARLIER_FOLDS` before it.

    Parameters
    ----------
    positions : numpy.ndarray
        Position of each row on the time grid [steps] (:func:`grid_positions`).
    val_origins : numpy.ndarray
        Forecast origins (rows) of the validation period, increasing.
    lookback : int
        Longest window of past values a forecaster reads [steps].
    horizon : int
        Forecast horizon [steps].

    Returns
    -------
    list of (int, numpy.ndarray)
        Per period, the grid position of its first output and its origin rows. An earlier
        period is kept only if at least twice a lookback plus horizon of history lies before
        it, and is scored on as many windows as validation (evenly spread).
    """
    first = int(positions[val_origins[0]]) + 1  # first output of the validation period
    length = int(positions[val_origins[-1]]) + horizon + 1 - first
    folds = [(first, np.asarray(val_origins))]
    for k in range(1, EARLIER_FOLDS + 1):
        start = first - k * length
        if start - 2 * (lookback + horizon) < 0:
            break
        origins = np.flatnonzero((positions + 1 >= start) & (positions + horizon < start + length))
        if len(origins) > len(val_origins):
            origins = origins[np.linspace(0, len(origins) - 1, len(val_origins)).astype(int)]
        folds.append((start, origins))
    return folds


def _hour_terms(index: pd.DatetimeIndex) -> np.ndarray:
    hours = index.hour.to_numpy() + index.minute.to_numpy() / 60.0
    angle = 2 * np.pi * hours / 24.0
    return np.column_stack([np.sin(angle), np.cos(angle), np.sin(2 * angle), np.cos(2 * angle)])


@dataclass
class DirectForecast:
    """Direct multi-output ridge from past target (and the thermal state) to ``H`` steps."""

    name: ClassVar[str] = "forecast-direct"
    role: ClassVar[str] = "forecast"
    #: Registry declarations: its roles, the candidates it nests (and combines: none, it is a
    #: single model), its hyper-parameter grid (``lookback``: the longest window [steps],
    #: capped by a quarter of the training rows).
    roles: ClassVar[dict[str, str]] = {"forecast": "candidate"}
    nests: ClassVar[tuple[str, ...]] = ()
    combines: ClassVar[tuple[str, ...]] = ()
    grid: ClassVar[dict[str, tuple]] = {"lookback": (720,), "penalty": PENALTIES}
    exogenous: ClassVar[bool] = True

    lookback: int = 336
    horizon: int = 96
    level: float = 0.0  # training mean of the target [°C]
    spread: float = 1.0  # training standard deviation of the target [K]
    state_names: list[str] = field(default_factory=list)
    state_mean: np.ndarray | None = None
    state_scale: np.ndarray | None = None
    coef: np.ndarray | None = None  # (inputs, H)
    intercept: np.ndarray | None = None  # (H,)
    penalty: float = 0.0

    @classmethod
    def for_horizon(cls, data: TrainingData, horizon: int, longest: int) -> DirectForecast:
        """An unfitted candidate for ``horizon`` [steps], its lookback at most ``longest``.

        Parameters
        ----------
        data : TrainingData
            The run's inputs.
        horizon : int
            Forecast horizon [steps].
        longest : int
            Longest lookback the training history allows [steps].

        Returns
        -------
        DirectForecast
        """
        return cls(lookback=min(cls.grid["lookback"][0], longest), horizon=horizon)

    # ------------------------------------------------------------------ inputs
    def _state(self, features: pd.DataFrame | None, y, normal) -> np.ndarray | None:
        """Thermal state per row: load² responses, normal − measured, hour terms."""
        if not self.exogenous:
            return None
        assert features is not None
        parts = [features[self.state_names].to_numpy(np.float64)] if self.state_names else []
        parts.append(((normal - y) / self.spread)[:, None])
        parts.append(_hour_terms(features.index))
        return np.column_stack(parts)

    def inputs(self, y_grid: np.ndarray, ends: np.ndarray, state: np.ndarray | None, rows):
        """Model inputs for origins at grid positions ``ends`` (rows ``rows`` of ``state``).

        Parameters
        ----------
        y_grid : numpy.ndarray
            Target [°C] on the time grid.
        ends : numpy.ndarray
            Origin positions on the grid [steps].
        state : numpy.ndarray or None
            Thermal state per row (exogenous forecasters).
        rows : numpy.ndarray
            Origin rows.

        Returns
        -------
        tuple of (numpy.ndarray, numpy.ndarray)
            Inputs in units of the training spread [-] and the last value at each origin [°C].
        """
        past = windows(y_grid, ends, self.lookback)
        last = past[:, -1:]
        x = (past[:, :-1] - last) / self.spread
        if state is None:
            return x, last[:, 0]
        s = (state[rows] - self.state_mean) / self.state_scale
        return np.column_stack([x, s]), last[:, 0]

    # ------------------------------------------------------------------ fit
    def fit(
        self,
        y: np.ndarray,
        index: pd.DatetimeIndex,
        step: pd.Timedelta,
        features: pd.DataFrame | None,
        normal: np.ndarray | None,
        fit_rows: np.ndarray,
        val_origins: np.ndarray,
        fit_end: int,
        penalties: tuple[float, ...] = PENALTIES,
        scaling_rows: np.ndarray | None = None,
    ) -> DirectForecast:
        """Learn from origins among ``fit_rows`` whose outputs end before row ``fit_end``;
        choose the penalty among ``penalties`` on the validation origins (rows).
        ``scaling_rows`` (default ``fit_rows``) set the units (mean, standard deviation).

        Parameters
        ----------
        y : numpy.ndarray
            Measured target [°C] per row.
        index : pandas.DatetimeIndex
            The rows' times (UTC).
        step : pandas.Timedelta
            Sampling step.
        features : pandas.DataFrame or None
            The feature frame (the thermal state of an exogenous forecaster).
        normal : numpy.ndarray or None
            Normal-behaviour predictions [°C] per row.
        fit_rows : numpy.ndarray
            Boolean per row: origins that may be learnt from.
        val_origins : numpy.ndarray
            Validation origins (rows) that choose the hyper-parameters; empty for a refit.
        fit_end : int
            Row before which every learnt output must end.
        penalties : tuple of float
            Ridge penalties per window [-] to choose from.
        scaling_rows : numpy.ndarray, optional
            Rows that set the units (mean [°C], standard deviation [K]); default ``fit_rows``.

        Returns
        -------
        DirectForecast
            Itself, fitted; too little unbroken history raises
            :class:`~thermowatch.errors.InputError`.
        """
        scaling_rows = fit_rows if scaling_rows is None else scaling_rows
        self.level = float(np.nanmean(y[scaling_rows]))
        self.spread = float(np.nanstd(y[scaling_rows])) or 1.0
        positions = grid_positions(index, step)
        y_grid = on_grid(y, positions)
        state = self._state(features, y, normal)
        if state is not None:
            self.state_mean = np.nanmean(state[scaling_rows], axis=0)
            scale = np.nanstd(state[scaling_rows], axis=0)
            self.state_scale = np.where(scale > 1e-12, scale, 1.0)
        rows = np.flatnonzero(fit_rows)
        rows = rows[positions[rows] + self.horizon < positions[min(fit_end, len(y)) - 1] + 1]
        most = min(MAX_TRAIN_ORIGINS, MAX_TRAIN_VALUES // (self.lookback + self.horizon))
        if rows.size > most:
            rows = rows[np.linspace(0, rows.size - 1, most).astype(int)]
        x, last = self.inputs(y_grid, positions[rows], state, rows)
        target = (futures(y_grid, positions[rows], self.horizon) - last[:, None]) / self.spread
        ok = np.isfinite(x).all(axis=1) & np.isfinite(target).all(axis=1)
        if ok.sum() < 20:
            raise InputError(
                f"too little unbroken history to learn a {self.horizon}-step forecast"
                f" from {self.lookback} past steps."
            )
        x, target = x[ok], target[ok]
        mean_x, mean_t = x.mean(axis=0), target.mean(axis=0)
        xc = x - mean_x
        gram, cross = xc.T @ xc, xc.T @ (target - mean_t)
        val_x, val_last = self.inputs(y_grid, positions[val_origins], state, val_origins)
        val_t = futures(y_grid, positions[val_origins], self.horizon)
        best = None
        for penalty in penalties:
            coef = np.linalg.solve(gram + penalty * len(x) * np.eye(len(gram)), cross)
            self.coef, self.intercept, self.penalty = coef, mean_t - mean_x @ coef, penalty
            pred = val_last[:, None] + (self._apply(val_x)) * self.spread
            score = float(np.nanmean((pred - val_t) ** 2)) if len(val_x) else 0.0
            if best is None or score < best[0]:
                best = (score, coef, self.intercept, penalty)
        assert best is not None
        _, self.coef, self.intercept, self.penalty = best
        return self

    def _apply(self, x: np.ndarray) -> np.ndarray:
        return np.nan_to_num(x) @ self.coef + self.intercept

    # ------------------------------------------------------------------ predict
    def forecast(
        self,
        y: np.ndarray,
        index: pd.DatetimeIndex,
        step: pd.Timedelta,
        features: pd.DataFrame | None,
        normal: np.ndarray | None,
        origins: np.ndarray,
    ) -> np.ndarray:
        """``(len(origins), H)`` temperatures [°C] at steps 1…H after each origin row.

        Parameters
        ----------
        y : numpy.ndarray
            Measured target [°C] per row.
        index : pandas.DatetimeIndex
            The rows' times (UTC).
        step : pandas.Timedelta
            Sampling step.
        features : pandas.DataFrame or None
            The feature frame (the thermal state of an exogenous forecaster).
        normal : numpy.ndarray or None
            Normal-behaviour predictions [°C] per row.
        origins : numpy.ndarray
            Origin rows.

        Returns
        -------
        numpy.ndarray
        """
        positions = grid_positions(index, step)
        y_grid = on_grid(y, positions)
        # Live history may have holes: fill them from the nearest known values.
        if np.isnan(y_grid).any():
            y_grid = pd.Series(y_grid).interpolate(limit_direction="both").to_numpy()
        state = self._state(features, y, normal)
        x, last = self.inputs(y_grid, positions[origins], state, origins)
        return last[:, None] + self._apply(x) * self.spread

    # ---------------------------------------------------- fleet: many origins at once
    # (batched forecasts, thermowatch issue 10: Predictor.forecast_many stacks a fleet here)
    def forecast_windows(
        self, past: np.ndarray, features: pd.DataFrame | None, normal: np.ndarray
    ) -> np.ndarray:
        """``(N, H)`` temperatures [°C] after ``N`` origins in one product: the numbers
        :meth:`forecast` gives for each origin alone.

        ``past``: ``(N, k)`` target values [°C] on the time grid up to each origin (last
        column), holes filled as :meth:`forecast` fills them, NaN before a history's start;
        ``features`` (one row per origin, indexed by the origin times; ``None`` for a model
        of the past target alone) and ``normal`` [°C]: the features and normal-behaviour
        temperatures at the origins.

        Parameters
        ----------
        past : numpy.ndarray
            ``(N, k)`` target values [°C] up to each origin.
        features : pandas.DataFrame or None
            Features at the origins.
        normal : numpy.ndarray
            Normal-behaviour temperatures [°C] at the origins.

        Returns
        -------
        numpy.ndarray
        """
        past = np.asarray(past, dtype=np.float64)
        if past.shape[1] < self.lookback:
            pad = np.full((len(past), self.lookback - past.shape[1]), np.nan)
            past = np.hstack([pad, past])
        past = past[:, -self.lookback :]
        n = len(past)
        ends = np.arange(1, n + 1) * self.lookback - 1  # each origin's window, row after row
        state = self._state(features, past[:, -1], normal)
        x, last = self.inputs(past.ravel(), ends, state, np.arange(n))
        return last[:, None] + self._apply(x) * self.spread

    # ------------------------------------------------------------------ describe, save
    @property
    def parameters(self) -> int:
        return 0 if self.coef is None else int(self.coef.size + self.coef.shape[1])

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "role": self.role,
            "parameters": self.parameters,
            "lookback_steps": self.lookback,
            "horizon_steps": self.horizon,
            "penalty": self.penalty,
        }

    def to_dict(self) -> dict[str, Any]:
        assert self.coef is not None and self.intercept is not None
        out = {
            "kind": self.name,
            "lookback": self.lookback,
            "horizon": self.horizon,
            "level": self.level,
            "spread": self.spread,
            "state_names": self.state_names,
            "coef": self.coef.tolist(),
            "intercept": self.intercept.tolist(),
            "penalty": self.penalty,
        }
        if self.state_mean is not None and self.state_scale is not None:
            out["state_mean"] = self.state_mean.tolist()
            out["state_scale"] = self.state_scale.tolist()
        return out

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> DirectForecast:
        """Rebuild the forecaster from its JSON form (``to_dict()``).

        Parameters
        ----------
        values : dict
            The JSON form.

        Returns
        -------
        DirectForecast
        """
        model = cls(
            lookback=int(values["lookback"]),
            horizon=int(values["horizon"]),
            level=float(values["level"]),
            spread=float(values["spread"]),
            state_names=list(values.get("state_names", [])),
            coef=np.asarray(values["coef"], dtype=np.float64),
            intercept=np.asarray(values["intercept"], dtype=np.float64),
            penalty=float(values.get("penalty", 0.0)),
        )
        if "state_mean" in values:
            model.state_mean = np.asarray(values["state_mean"], dtype=np.float64)
            model.state_scale = np.asarray(values["state_scale"], dtype=np.float64)
        inputs = model.lookback - 1 + (len(model.state_names) + 5 if cls.exogenous else 0)
        coef = np.asarray(model.coef)
        if coef.shape != (inputs, model.horizon) or not np.isfinite(coef).all():
            raise InputError("model.json: the forecast weights do not match its inputs.")
        return model


@dataclass
class NLinearForecast(DirectForecast):
    """NLinear: the same ridge on the past target alone."""

    name: ClassVar[str] = "forecast-nlinear"
    grid: ClassVar[dict[str, tuple]] = {"lookback": (336,), "penalty": PENALTIES}
    exogenous: ClassVar[bool] = False
