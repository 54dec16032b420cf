"""``forecast-pooled``: the NLinear map learnt from the target *and*, with a small weight, from
the other measured channels' own windows.

Served exactly as ``forecast-nlinear`` (the last ``lookback`` values of the target minus the last
one, a ridge to ``H`` outputs): only the learning differs. A window of the load of the same
transformer follows the same daily and weekly rhythm as its temperature, so pooling the
channels' windows (each in units of its own training standard deviation, relative to its own
last value: the map is level- and scale-free) gives the ridge many more examples of the shapes it
must continue; the weight ``pool_weight`` sets how much they count against the target's own
windows, and 0 gives plain NLinear back.

Hyper-parameters by rolling-origin validation: the weight and the ridge penalty are those with
the lowest mean validation error relative to persistence over the validation period and up to
:data:`EARLIER_FOLDS` periods of the same length before it, each scored by a fit on the windows
whose outputs all end before that period. One peculiar validation period then does not decide
alone (on real transformers the validation months can look unlike the rest). The served map is
refitted on every window before the end of validation with the chosen pair.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from thermowatch.errors import InputError
from thermowatch.learn.models.forecast import (
    EARLIER_FOLDS,
    MAX_TRAIN_ORIGINS,
    MAX_TRAIN_VALUES,
    PENALTIES,
    NLinearForecast,
    futures,
    grid_positions,
    on_grid,
    validation_folds,
    windows,
)

if TYPE_CHECKING:
    from thermowatch.learn.training_data import TrainingData

POOL_WEIGHTS = (0.0, 0.03, 0.1, 0.3)  # weight of another channel's window vs the target's own
__all__ = ["EARLIER_FOLDS", "POOL_WEIGHTS", "PooledForecast", "validation_folds"]
MAX_SCORED_STEPS = 96  # horizons scored while searching (evenly spread: an unbiased mean)


@dataclass
class _Sums:
    """Sufficient statistics of a (weighted) least-squares problem: sums over windows."""

    n: float = 0.0
    sx: np.ndarray | float = 0.0
    sy: np.ndarray | float = 0.0
    sxx: np.ndarray | float = 0.0
    sxy: np.ndarray | float = 0.0

    def add(self, x: np.ndarray, t: np.ndarray, weight: float = 1.0) -> None:
        self.n += weight * len(x)
        self.sx = self.sx + weight * x.sum(axis=0)
        self.sy = self.sy + weight * t.sum(axis=0)
        self.sxx = self.sxx + weight * (x.T @ x)
        self.sxy = self.sxy + weight * (x.T @ t)

    def plus(self, other: _Sums, weight: float) -> _Sums:
        return _Sums(
            self.n + weight * other.n,
            self.sx + weight * other.sx,
            self.sy + weight * other.sy,
            self.sxx + weight * other.sxx,
            self.sxy + weight * other.sxy,
        )

    def solve(self, penalty: float, columns=slice(None)) -> tuple[np.ndarray, np.ndarray]:
        """Ridge with an intercept (penalty per window, as the other forecasters)."""
        mx, my = self.sx / self.n, np.asarray(self.sy)[columns] / self.n
        gram = self.sxx - self.n * np.outer(mx, mx)
        cross = np.asarray(self.sxy)[:, columns] - self.n * np.outer(mx, my)
        coef = np.linalg.solve(gram + penalty * self.n * np.eye(len(gram)), cross)
        return coef, my - mx @ coef


def _squared_error(sums: _Sums, syy: np.ndarray, coef: np.ndarray, intercept: np.ndarray) -> float:
    """Mean squared error of ``x @ coef + intercept`` against ``t`` from the sums of (x, t)."""
    gw = np.asarray(sums.sxx) @ coef
    total = (
        np.einsum("ij,ij->j", coef, gw)
        + 2 * intercept * (np.asarray(sums.sx) @ coef)
        + sums.n * intercept**2
        - 2 * (np.einsum("ij,ij->j", coef, np.asarray(sums.sxy)) + intercept * sums.sy)
        + syy
    )
    return float(total.sum() / (sums.n * coef.shape[1]))


@dataclass
class PooledForecast(NLinearForecast):
    """NLinear learnt from the target's windows and, weighted, the other channels' windows."""

    name: ClassVar[str] = "forecast-pooled"
    nests: ClassVar[tuple[str, ...]] = ("forecast-nlinear",)  # a pool weight of 0 is NLinear
    grid: ClassVar[dict[str, tuple]] = {
        "lookback": (336,),
        "penalty": PENALTIES,
        "pool_weight": POOL_WEIGHTS,
    }
    pooled: list[str] = field(default_factory=list)  # channels whose windows are pooled
    pool_weight: float = 0.0

    def _channel_windows(self, grid, spread, rows, positions):
        """Inputs, outputs (units of ``spread``, relative to the last value) and position of
        the last output of the complete windows at origin ``rows``."""
        past = windows(grid, positions[rows], self.lookback)
        last = past[:, -1:]
        x = (past[:, :-1] - last) / spread
        t = (futures(grid, positions[rows], self.horizon) - last) / spread
        ok = np.isfinite(x).all(axis=1) & np.isfinite(t).all(axis=1)
        return x[ok], t[ok], positions[rows][ok] + self.horizon

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
    ) -> PooledForecast:
        """Learn from windows among ``fit_rows`` whose outputs end before row ``fit_end``.
        With ``val_origins``, choose the weight and penalty by rolling-origin validation;
        without (the served refit), keep ``pool_weight`` and the single ``penalties``.

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
        PooledForecast
            Itself, fitted.
        """
        scaling_rows = fit_rows if scaling_rows is None else scaling_rows
        self.level = float(np.nanmean(y[scaling_rows]))
        self.spread = float(np.nanstd(y[scaling_rows])) or 1.0
        positions = grid_positions(index, step)
        end = int(positions[min(fit_end, len(y)) - 1]) + 1
        y_grid = on_grid(y, positions)
        channels = self._channels(features, positions, scaling_rows)
        folds = (
            validation_folds(positions, val_origins, self.lookback, self.horizon)
            if len(val_origins)
            else []
        )
        # Sums per block of windows: those whose outputs end before each fold's period.
        bounds = sorted({start for start, _ in folds} | {end})
        own, other = self._block_sums(y_grid, channels, fit_rows, positions, end, bounds)
        if folds:
            scored = self._fold_scores(folds, y_grid, positions, own, other, bounds)
            self.pool_weight, penalty = _search(scored, penalties, bool(channels), self.grid)
        else:
            penalty = penalties[0]
        self.coef, self.intercept = (
            _before(own, bounds, end).plus(_before(other, bounds, end), self.pool_weight)
        ).solve(penalty)
        # Kept (not saved) so that a fit before an earlier period is a solve, not a refit.
        self._fold_sums = {
            start: (_before(own, bounds, start), _before(other, bounds, start))
            for start, _ in folds
        }
        self.penalty = penalty
        return self

    def _channels(self, features, positions, scaling_rows) -> list[tuple[np.ndarray, float]]:
        """(values on the time grid, training spread) of each pooled channel with a spread."""
        channels = []
        for name in [n for n in self.pooled if features is not None and n in features]:
            values = features[name].to_numpy(np.float64)
            spread = float(np.nanstd(values[scaling_rows]))
            if np.isfinite(spread) and spread > 1e-12:
                channels.append((on_grid(values, positions), spread))
        return channels

    def _block_sums(self, y_grid, channels, fit_rows, positions, end, bounds):
        """Sums of the target's windows and of the other channels' windows per block of
        ``bounds`` (windows whose last output lies before each bound), within one budget of
        windows for the target and one shared by the other channels (time and memory)."""
        rows = np.flatnonzero(fit_rows)
        rows = rows[positions[rows] + self.horizon < end]
        most = min(MAX_TRAIN_ORIGINS, MAX_TRAIN_VALUES // (self.lookback + self.horizon))
        target_rows = _spread_out(rows, most)
        other_rows = _spread_out(rows, max(most // max(len(channels), 1), 1))
        own = [_Sums() for _ in bounds]
        other = [_Sums() for _ in bounds]
        for sums, grid, spread, chosen in [(own, y_grid, self.spread, target_rows)] + [
            (other, g, s, other_rows) for g, s in channels
        ]:
            x, t, last_out = self._channel_windows(grid, spread, chosen, positions)
            block = np.searchsorted(bounds, last_out, side="right")  # last output < bound
            for b in range(len(bounds)):
                part = block == b
                if part.any():
                    sums[b].add(x[part], t[part])
        if sum(s.n for s in own) < 20:
            raise InputError(
                f"too little unbroken history to learn a {self.horizon}-step forecast"
                f" from {self.lookback} past steps."
            )
        return own, other

    def _fold_scores(self, folds, y_grid, positions, own, other, bounds) -> list[tuple]:
        """Per rolling-origin period: the training sums before it (own, other), its validation
        sums on the scored horizons, Σt² and persistence's mean squared error."""
        columns = np.unique(
            np.linspace(0, self.horizon - 1, min(self.horizon, MAX_SCORED_STEPS)).astype(int)
        )
        scored = []
        for start, origins in folds:
            x, t, _ = self._channel_windows(y_grid, self.spread, origins, positions)
            t = t[:, columns]
            val = _Sums()
            val.add(x, t)
            persistence = (float((t**2).mean()) if t.size else 0.0) or 1.0
            scored.append(
                (_before(own, bounds, start), _before(other, bounds, start), val, (t**2).sum(0),
                 persistence, columns)
            )  # fmt: skip
        return scored

    def fitted_before(self, start: int) -> PooledForecast | None:
        """The same model (weight, penalty) fitted on the windows whose outputs end before
        grid position ``start`` of a rolling-origin period, from the sums kept by :meth:`fit`
        (None when that period was not one of its folds).

        Parameters
        ----------
        start : int
            First output position of the period [steps].

        Returns
        -------
        PooledForecast or None
        """
        sums = getattr(self, "_fold_sums", {}).get(start)
        if sums is None or sums[0].n < 20:
            return None
        out = replace(self)
        out.coef, out.intercept = sums[0].plus(sums[1], self.pool_weight).solve(self.penalty)
        return out

    @classmethod
    def for_horizon(cls, data: TrainingData, horizon: int, longest: int) -> PooledForecast:
        """An unfitted candidate for ``horizon`` [steps] that pools the measured inputs.

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
        PooledForecast
        """
        lookback = min(cls.grid["lookback"][0], longest)
        return cls(lookback=lookback, horizon=horizon, pooled=list(data.spec.inputs))

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "pool_weight": self.pool_weight, "pooled": self.pooled}

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "pool_weight": self.pool_weight, "pooled": self.pooled}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> PooledForecast:
        """Rebuild the forecaster from its JSON form (``to_dict()``).

        Parameters
        ----------
        values : dict
            The JSON form.

        Returns
        -------
        PooledForecast
        """
        model = super().from_dict(values)
        assert isinstance(model, PooledForecast)
        model.pool_weight = float(values.get("pool_weight", 0.0))
        model.pooled = [str(name) for name in values.get("pooled", [])]
        return model


def _spread_out(rows: np.ndarray, most: int) -> np.ndarray:
    """At most ``most`` of ``rows``, evenly spread."""
    return rows[np.linspace(0, rows.size - 1, most).astype(int)] if rows.size > most else rows


def _before(sums: list[_Sums], bounds: list[int], bound: int) -> _Sums:
    """The sums of every block whose bound is at most ``bound``."""
    out = _Sums()
    for b, value in enumerate(bounds):
        if value <= bound:
            out = out.plus(sums[b], 1.0)
    return out


def _search(scored, penalties, pooled: bool, grid) -> tuple[float, float]:
    """The (pool weight, penalty) with the lowest mean validation error relative to
    persistence over the rolling-origin periods (weight 0 alone without pooled channels)."""
    best = None
    for weight in grid["pool_weight"] if pooled else (0.0,):
        for penalty in penalties:
            ratios = []
            for own_k, other_k, val, syy, persistence, columns in scored:
                # Too little to fit before the period, or no window in it (its rows were
                # removed as a fault period): a NaN ratio would make every score NaN, and the
                # search would keep its first grid point whatever the other periods say.
                if own_k.n < 20 or val.n == 0:
                    continue
                coef, intercept = own_k.plus(other_k, weight).solve(penalty, columns)
                ratios.append(_squared_error(val, syy, coef, intercept) / persistence)
            score = float(np.mean(ratios)) if ratios else np.inf
            if best is None or score < best[0]:
                best = (score, weight, penalty)
    assert best is not None
    return best[1], best[2]
