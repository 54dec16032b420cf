"""Forecasts as people and alert rules use them: temperatures per future step with an
interval, the first time each threshold is crossed, and load scenarios.

A load scenario ("1.2 pu for the next 6 h") cannot enter a forecaster that learnt from past
values only; it runs through the normal-behaviour model instead, which is a monotone sum of
thermal responses to load² (the physics' shape, fitted to this transformer): the forecast
adds the difference between that model's answer under the scenario and under the loads held
at their last values. More load in the scenario never gives a cooler forecast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from thermowatch.data.timestamps import as_duration
from thermowatch.errors import InputError


@dataclass(frozen=True)
class Crossing:
    """When a threshold is first reached [UTC]: ``at`` by the forecast itself, ``earliest`` by
    its upper bound, ``latest`` by its lower bound (``None``: not within the horizon)."""

    threshold_c: float
    at: pd.Timestamp | None
    earliest: pd.Timestamp | None
    latest: pd.Timestamp | None

    def to_dict(self) -> dict:
        iso = lambda v: v.isoformat() if v is not None else None  # noqa: E731
        return {
            "threshold_c": self.threshold_c,
            "at": iso(self.at),
            "earliest": iso(self.earliest),
            "latest": iso(self.latest),
        }


@dataclass(frozen=True)
class Forecast:
    """Temperatures [°C] at each future step, with the interval of nominal ``level``."""

    frame: pd.DataFrame  # index: future UTC times; columns predicted, lower, upper
    level: float
    model: str
    origin: pd.Timestamp

    def crossings(self, thresholds: dict[str, float]) -> dict[str, Crossing]:
        """First crossing of each named threshold [°C] (e.g. ``{"ALERTE": 80, ...}``).

        Parameters
        ----------
        thresholds : dict of str to float
            Threshold name -> temperature [°C].

        Returns
        -------
        dict of str to Crossing
            Per threshold, the first time the forecast reaches it, and the earliest (upper bound)
            and latest (lower bound) times.
        """
        out = {}
        for name, value in thresholds.items():
            out[name] = Crossing(
                float(value),
                _first(self.frame["predicted"], value),
                _first(self.frame["upper"], value),
                _first(self.frame["lower"], value),
            )
        return out


def _first(series: pd.Series, value: float) -> pd.Timestamp | None:
    hit = np.flatnonzero(series.to_numpy() >= value)
    return series.index[hit[0]] if hit.size else None


def horizon_in_steps(horizon: str | int | None, step: pd.Timedelta, trained: int) -> int:
    """A requested horizon (steps or a duration) in steps, within the trained horizon.

    Parameters
    ----------
    horizon : str or int or None
        Steps, a duration such as ``"24h"``, or None (the trained horizon).
    step : pandas.Timedelta
        Sampling step of the model.
    trained : int
        Trained horizon [steps].

    Returns
    -------
    int
        Horizon [steps], 1 to ``trained``.
    """
    if horizon is None:
        return trained
    if isinstance(horizon, int) or str(horizon).isdigit():
        steps = int(horizon)
    else:
        try:
            steps = round(as_duration(str(horizon)) / step)
        except ValueError:
            raise InputError(
                f"horizon {horizon!r} must be a number of steps or a duration such as 24h."
            ) from None
    if not 1 <= steps <= trained:
        raise InputError(
            f"horizon {horizon!r} is {steps} steps; this model forecasts 1 to {trained} steps"
            f" of {step / pd.Timedelta('1min'):g} min."
        )
    return steps


def scenario_frame(
    history: pd.DataFrame,
    future: pd.DatetimeIndex,
    variables: list[str],
    scenario: pd.DataFrame | None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(readings held at their last values, readings under the scenario) over ``future``.

    Scenario columns not given hold their last value; a scenario time between two rows takes
    the value of the row at or before it (step changes, as operators plan loads).

    Parameters
    ----------
    history : pandas.DataFrame
        Readings up to the forecast origin.
    future : pandas.DatetimeIndex
        The forecast's times (UTC).
    variables : list of str
        The model's input columns.
    scenario : pandas.DataFrame or None
        Planned loads indexed by future times.

    Returns
    -------
    tuple of (pandas.DataFrame, pandas.DataFrame)
    """
    last = history[variables].ffill().iloc[-1]
    held = pd.DataFrame([last.to_numpy()] * len(future), index=future, columns=variables)
    if scenario is None:
        return held, held
    unknown = [c for c in scenario.columns if c not in variables]
    if unknown:
        raise InputError(
            f"the load scenario names {unknown[0]!r}, which the model does not use"
            f" (it uses: {', '.join(variables)})."
        )
    planned = held.copy()
    steps = scenario.sort_index().reindex(future, method="ffill")
    for column in scenario.columns:
        values = steps[column].to_numpy(dtype=np.float64)
        planned[column] = np.where(np.isfinite(values), values, planned[column].to_numpy())
    return held, planned
