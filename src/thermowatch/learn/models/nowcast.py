"""Nowcast models: the target at the next step, given its measured past (gap-aware lags).

``nowcast-ridge`` predicts the *change* from the last measured value, so persistence is its
zero and a penalty chosen on validation can only shrink it towards persistence: its inputs are
the pull towards the normal-behaviour temperature (normal(t) − y(t−1), less its mean over the
past day: the normal-behaviour model's bias drifts slowly with what it cannot see, such as
the ambient, and only the departure from that bias says where the oil is heading), the last
change, the
change of the normal-behaviour prediction (load moves) and the hour of day. After a gap (no
y(t−1)) it answers the normal-behaviour temperature. Which normal-behaviour candidate it reads
is chosen on validation like its penalty (:func:`thermowatch.learn.train_nowcast.train_nowcast`):
the nowcast has its own hour-of-day terms and daily bias, and a normal-behaviour model without
calendar terms may tell it more about where the load is taking the oil than the served one;
when it reads another than the served one, that model is saved with it (``normal``).

``persistence`` repeats the last measured value (a reference, and a candidate: the rule may
serve it where nothing beats it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from thermowatch.learn.lags import lag, steps_per
from thermowatch.learn.linear import LinearModel

if TYPE_CHECKING:
    from thermowatch.learn.training_data import TrainingData

# Ridge penalties per training row: the step change is mostly noise, so strong shrinkage
# towards persistence must be on the menu whatever the number of rows.
PENALTIES = (1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1.0, 10.0)
INPUTS = (
    "pull",
    "last change",
    "normal change",
    "day change",
    "hour_sin",
    "hour_cos",
    "change 2 steps ago",
    "change 3 steps ago",
    "change a day ago",
)


def nowcast_inputs(
    y: np.ndarray, normal: np.ndarray, index: pd.DatetimeIndex, step: pd.Timedelta
) -> tuple[np.ndarray, np.ndarray]:
    """(inputs ``(n, len(INPUTS))``, last measured value ``y(t−1)``) per row; NaN across gaps.

    Besides the pull and the last change: the changes two and three steps ago (the sensor's
    quantisation and the oil's inertia make successive changes correlated) and the change
    between the same two instants a day earlier (the daily cycle of load and sun).

    Parameters
    ----------
    y : numpy.ndarray
        Measured target [°C] per row.
    normal : numpy.ndarray
        Normal-behaviour temperature [°C] per row.
    index : pandas.DatetimeIndex
        The rows' times (UTC).
    step : pandas.Timedelta
        Sampling step.
    """
    last = lag(y, index, step, 1)
    before = lag(y, index, step, 2)
    gap = pd.Series(normal - y, index=index).rolling("1D", min_periods=1).mean().to_numpy()
    bias = np.nan_to_num(lag(gap, index, step, 1))  # known before t; none at the start
    per_day = steps_per("1D", step)
    day = lag(y, index, step, per_day)
    normal_before = lag(normal, index, step, 1)
    hours = index.hour.to_numpy() + index.minute.to_numpy() / 60.0
    earlier = [lag(y, index, step, k) for k in (3, 4)]
    x = np.column_stack(
        [
            normal - last - bias,
            last - before,
            normal - normal_before,
            last - day,
            np.sin(2 * np.pi * hours / 24.0),
            np.cos(2 * np.pi * hours / 24.0),
            before - earlier[0],
            earlier[0] - earlier[1],
            lag(y, index, step, per_day - 1) - day,
        ]
    )
    # Missing values far back (start, gap) carry no information: neutral, not a lost row.
    x[:, 3] = np.nan_to_num(x[:, 3])
    x[:, 6:] = np.nan_to_num(x[:, 6:])
    return x, last


def _columns(linear: LinearModel) -> list[int]:
    """Positions in :data:`INPUTS` of a model's inputs (models saved with fewer load)."""
    return [INPUTS.index(name) for name in linear.features]


@dataclass
class NowcastRidge:
    """Ridge on the step change, chosen on validation."""

    name: ClassVar[str] = "nowcast-ridge"
    role: ClassVar[str] = "nowcast"
    #: Registry declarations: a nowcast candidate that nests persistence (its zero), and its
    #: penalty grid.
    roles: ClassVar[dict[str, str]] = {"nowcast": "candidate"}
    nests: ClassVar[tuple[str, ...]] = ("persistence",)
    grid: ClassVar[dict[str, tuple]] = {"penalty": PENALTIES}
    #: Its inputs read a normal-behaviour model: which one is chosen on validation.
    reads_normal: ClassVar[bool] = True
    linear: LinearModel | None = None
    held_out: LinearModel | None = None  # the train-only fit (not saved)
    #: The normal-behaviour model it reads when not the served one (saved with it), its name.
    normal: LinearModel | None = None
    reads: str = ""

    def fit(self, y, normal, index, step, fit_rows, val_rows, refit_rows=None) -> NowcastRidge:
        """Fit on ``fit_rows``, choose the penalty on ``val_rows``; with ``refit_rows``
        (train + validation), refit there with the chosen penalty.

        Parameters
        ----------
        y : numpy.ndarray
            Measured target [°C] per row.
        normal : numpy.ndarray
            Normal-behaviour temperature [°C] per row.
        index : pandas.DatetimeIndex
            The rows' times (UTC).
        step : pandas.Timedelta
            Sampling step.
        fit_rows, val_rows : numpy.ndarray
            Boolean per row: training and validation rows.
        refit_rows : numpy.ndarray, optional
            Boolean per row: the served refit's rows.

        Returns
        -------
        NowcastRidge
            Itself, fitted.
        """
        x, last = nowcast_inputs(y, normal, index, step)
        ok = np.isfinite(x).all(axis=1) & np.isfinite(last) & np.isfinite(y)
        rows = fit_rows & ok
        best = None
        for penalty in self.grid["penalty"]:
            alpha = penalty * int(rows.sum())
            model = LinearModel.fit(x[rows], (y - last)[rows], list(INPUTS), alpha=alpha)
            self.linear = model
            err = self.predict(y, normal, index, step)[val_rows] - y[val_rows]
            score = float(np.sqrt(np.nanmean(err**2)))
            if best is None or score < best[0]:
                best = (score, model)
        assert best is not None
        self.linear = self.held_out = best[1]
        if refit_rows is not None:  # served: the chosen penalty on more (and later) rows
            rows = refit_rows & ok
            alpha = best[1].alpha / max(int((fit_rows & ok).sum()), 1) * int(rows.sum())
            self.linear = LinearModel.fit(x[rows], (y - last)[rows], list(INPUTS), alpha=alpha)
        return self

    def predict(self, y, normal, index, step, held_out: bool = False) -> np.ndarray:
        """Next-step temperature [°C] per row (from the values before it); ``held_out``: by
        the fit on the training rows alone (validation scores), not the served refit.

        Parameters
        ----------
        y, normal : numpy.ndarray
            Measured target and normal-behaviour temperature [°C] per row.
        index : pandas.DatetimeIndex
            The rows' times (UTC).
        step : pandas.Timedelta
            Sampling step.
        held_out : bool
            Use the train-only fit.

        Returns
        -------
        numpy.ndarray
        """
        linear = self.held_out if held_out and self.held_out is not None else self.linear
        assert linear is not None
        x, last = nowcast_inputs(y, normal, index, step)
        x = x[:, _columns(linear)]
        ok = np.isfinite(x).all(axis=1)
        out = normal.astype(np.float64).copy()
        out[ok] = last[ok] + linear.predict(x[ok])
        return out

    # ------------------------------------------------------------- training hooks
    def fit_nowcast(self, data: TrainingData, normal: np.ndarray) -> NowcastRidge:
        """Fit on the training rows reading the served ``normal`` [°C], choose the penalty on
        validation, refit on both.

        Parameters
        ----------
        data : TrainingData
            The run's inputs.
        normal : numpy.ndarray
            The served normal-behaviour predictions [°C] on every row.

        Returns
        -------
        NowcastRidge
        """
        return self.fit(
            data.y, normal, data.index, data.step, data.fit_rows, data.clean_val,
            refit_rows=data.refit_rows,
        )  # fmt: skip

    def predict_nowcast(self, data: TrainingData, normal: np.ndarray) -> np.ndarray:
        """Predictions [°C] as served and scored: the train-only fit before test.

        Parameters
        ----------
        data : TrainingData
            The run's inputs.
        normal : numpy.ndarray
            The served normal-behaviour predictions [°C] on every row.

        Returns
        -------
        numpy.ndarray
        """
        made = self.predict(data.y, normal, data.index, data.step)
        held = self.predict(data.y, normal, data.index, data.step, True)
        start = data.split.test.start
        made[:start] = held[:start]
        return made

    score_nowcast = predict_nowcast

    @property
    def parameters(self) -> int:
        return (len(self.linear.features) if self.linear else len(INPUTS)) + 1

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "role": self.role, "parameters": self.parameters,
                "reads": self.reads}  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        assert self.linear is not None
        out: dict[str, Any] = {"kind": self.name, "linear": self.linear.to_dict()}
        if self.normal is not None:
            out["normal"], out["reads"] = self.normal.to_dict(), self.reads
        return out

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> NowcastRidge:
        """Rebuild the model from its JSON form (``to_dict()``).

        Parameters
        ----------
        values : dict
            The JSON form.

        Returns
        -------
        NowcastRidge
        """
        linear = LinearModel.from_dict(values["linear"])
        unknown = [name for name in linear.features if name not in INPUTS]
        if unknown:
            raise ValueError(f"unknown nowcast input {unknown[0]!r}")
        normal = LinearModel.from_dict(values["normal"]) if values.get("normal") else None
        return cls(linear, normal=normal, reads=str(values.get("reads", "")))


@dataclass
class Persistence:
    """The last measured value (the normal-behaviour temperature after a gap)."""

    name: ClassVar[str] = "persistence"
    role: ClassVar[str] = "nowcast"
    #: Registry declarations: a nowcast candidate, and the reference of the other roles.
    roles: ClassVar[dict[str, str]] = {
        "normal": "reference",
        "nowcast": "candidate",
        "forecast": "reference",
    }
    nests: ClassVar[tuple[str, ...]] = ()
    grid: ClassVar[dict[str, tuple]] = {}

    def fit(self, *_args, **_kwargs) -> Persistence:
        """Nothing to learn.

        Parameters
        ----------
        *_args, **_kwargs
            Ignored.

        Returns
        -------
        Persistence
        """
        return self

    # ------------------------------------------------------------- training hooks
    def fit_normal(self, data: TrainingData) -> Persistence:
        """Nothing to learn.

        Parameters
        ----------
        data : TrainingData
            The run's inputs.

        Returns
        -------
        Persistence
        """
        return self

    def predict_normal(self, data: TrainingData) -> np.ndarray:
        """The gap-aware previous value [°C] (NaN after a gap: no fallback in a reference).

        Parameters
        ----------
        data : TrainingData
            The run's inputs.

        Returns
        -------
        numpy.ndarray
        """
        return lag(data.y, data.index, data.step, 1)

    def fit_nowcast(self, data: TrainingData, normal: np.ndarray) -> Persistence:
        """Nothing to learn.

        Parameters
        ----------
        data : TrainingData
            The run's inputs.
        normal : numpy.ndarray
            The served normal-behaviour predictions [°C] on every row.

        Returns
        -------
        Persistence
        """
        return self

    def predict_nowcast(self, data: TrainingData, normal: np.ndarray) -> np.ndarray:
        """As served: the previous value [°C], the normal-behaviour temperature after a gap.

        Parameters
        ----------
        data : TrainingData
            The run's inputs.
        normal : numpy.ndarray
            The served normal-behaviour predictions [°C] on every row.

        Returns
        -------
        numpy.ndarray
        """
        return self.predict(data.y, normal, data.index, data.step)

    def score_nowcast(self, data: TrainingData, normal: np.ndarray) -> np.ndarray:
        """As scored: where there is a previous value (:meth:`predict_normal`).

        Parameters
        ----------
        data : TrainingData
            The run's inputs.
        normal : numpy.ndarray
            The served normal-behaviour predictions [°C] on every row.

        Returns
        -------
        numpy.ndarray
        """
        return self.predict_normal(data)

    @staticmethod
    def forecast_reference(y: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
        """``(len(origins), horizon)``: the value [°C] at each origin, held.

        Parameters
        ----------
        y : numpy.ndarray
            Measured target [°C] per row.
        origins : numpy.ndarray
            Origin rows.
        horizon : int
            Steps [-].

        Returns
        -------
        numpy.ndarray
        """
        return np.repeat(y[origins][:, None], horizon, axis=1)

    def predict(self, y, normal, index, step) -> np.ndarray:
        """The previous measured value [°C], the normal-behaviour temperature after a gap.

        Parameters
        ----------
        y, normal : numpy.ndarray
            Measured target and normal-behaviour temperature [°C] per row.
        index : pandas.DatetimeIndex
            The rows' times (UTC).
        step : pandas.Timedelta
            Sampling step.

        Returns
        -------
        numpy.ndarray
        """
        last = lag(y, index, step, 1)
        return np.where(np.isfinite(last), last, normal)

    @property
    def parameters(self) -> int:
        return 0

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "role": self.role, "parameters": 0}

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.name}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Persistence:
        """Rebuild the model from its JSON form (``to_dict()``).

        Parameters
        ----------
        values : dict
            The JSON form.

        Returns
        -------
        Persistence
        """
        return cls()
