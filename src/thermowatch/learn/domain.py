"""A model's domain of validity: the input ranges and calendar months its training saw.

A linear model answers anywhere, but it has only been shown a box of operating conditions and a
part of the year. Outside them its answer is an extrapolation: the live pipeline and the API
flag it (``extrapolating``), widen its interval by the distance outside, and let the most
robust candidate lead (see :meth:`thermowatch.learn.artifact.Predictor.predict_frame`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

#: Days of training in a calendar month for the month to count as seen [d].
MIN_DAYS_PER_MONTH = 7.0
#: Slack on each input range, as a share of its width: noise at the edge is not extrapolation.
RANGE_SLACK = 0.02
#: Months away from the nearest seen month that double the interval [months].
MONTHS_PER_WIDTH = 6.0
SEASONAL_COLUMNS = ("doy_sin", "doy_cos")


def months_seen(index: pd.DatetimeIndex, step: pd.Timedelta | None = None) -> tuple[int, ...]:
    """Calendar months (1-12) holding at least :data:`MIN_DAYS_PER_MONTH` days of ``index``.

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Times of the rows.
    step : pandas.Timedelta, optional
        Sampling step (default: inferred from ``index``).

    Returns
    -------
    tuple of int
    """
    if len(index) == 0:
        return ()
    if step is None or step <= pd.Timedelta(0):
        diffs = np.diff(index.as_unit("ns").asi8)
        step = pd.Timedelta(int(np.median(diffs)) if diffs.size else 0)
    days = pd.Series(step / pd.Timedelta("1D"), index=index.month).groupby(level=0).sum()
    return tuple(int(m) for m, d in days.items() if d >= MIN_DAYS_PER_MONTH)


def full_year(months: tuple[int, ...]) -> bool:
    """True when every calendar month was seen: only then may day-of-year terms be fitted
    (with less, they would extrapolate into a season never measured).

    Parameters
    ----------
    months : tuple of int
        Months seen (:func:`months_seen`).

    Returns
    -------
    bool
    """
    return len(set(months)) == 12


def month_distance(month: np.ndarray, seen: tuple[int, ...]) -> np.ndarray:
    """Months [-] from each ``month`` (1-12) to the nearest seen month, around the year.

    Parameters
    ----------
    month : numpy.ndarray
        Calendar months (1-12).
    seen : tuple of int
        Months seen in training.

    Returns
    -------
    numpy.ndarray
    """
    month = np.asarray(month, dtype=np.int64)
    if not seen:
        return np.zeros(month.shape)
    gaps = np.abs(month[..., None] - np.asarray(seen)[None, :])
    return np.min(np.minimum(gaps, 12 - gaps), axis=-1).astype(np.float64)


@dataclass(frozen=True)
class Domain:
    """Where a model was trained: per input its range, the months seen, the target's range.

    Attributes
    ----------
    ranges
        Per input column, ``(low, high)`` seen in the training rows [input unit].
    months
        Calendar months (1-12) with at least :data:`MIN_DAYS_PER_MONTH` days of training.
    target_range
        ``(low, high)`` of the target in training [°C].
    """

    ranges: dict[str, tuple[float, float]]
    months: tuple[int, ...]
    target_range: tuple[float, float]

    @classmethod
    def of(
        cls, frame: pd.DataFrame, inputs: list[str] | tuple[str, ...], y: np.ndarray, rows
    ) -> Domain:
        """The domain of the ``rows`` (boolean mask) of ``frame`` and target ``y``.

        Parameters
        ----------
        frame : pandas.DataFrame
            Measurements with the inputs (units of the data).
        inputs : list of str
            Input columns.
        y : numpy.ndarray
            Target [°C] per row.
        rows : numpy.ndarray
            Boolean per row: the training rows.

        Returns
        -------
        Domain
        """
        part = frame.loc[np.asarray(rows, dtype=bool)]
        ranges = {
            name: (float(np.nanmin(part[name])), float(np.nanmax(part[name])))
            for name in inputs
            if np.isfinite(part[name]).any()
        }
        target = np.asarray(y, dtype=np.float64)[np.asarray(rows, dtype=bool)]
        return cls(
            ranges,
            months_seen(part.index),
            (float(np.nanmin(target)), float(np.nanmax(target))),
        )

    def distance(self, readings: pd.DataFrame) -> np.ndarray:
        """Per row, how far outside the domain it lies [-]: 0 inside; otherwise the largest
        excess of an input beyond its range, in widths of that range, plus the months to the
        nearest seen month over :data:`MONTHS_PER_WIDTH`.

        Parameters
        ----------
        readings : pandas.DataFrame
            Wide readings with the inputs, UTC index.

        Returns
        -------
        numpy.ndarray
        """
        out = np.zeros(len(readings))
        for name, (low, high) in self.ranges.items():
            if name not in readings.columns:
                continue
            width = max(high - low, 1e-9)
            values = readings[name].to_numpy(dtype=np.float64)
            excess = np.maximum(low - values, values - high) / width - RANGE_SLACK
            out = np.maximum(out, np.nan_to_num(np.maximum(excess, 0.0)))
        if self.months and isinstance(readings.index, pd.DatetimeIndex):
            out = out + month_distance(readings.index.month.to_numpy(), self.months) / (
                MONTHS_PER_WIDTH
            )
        return out

    def distance_one(self, values: dict[str, float], month: int) -> float:
        """:meth:`distance` of one reading (input name -> value) in calendar month ``month``,
        without a DataFrame (the ``POST /predict`` hot path).

        Parameters
        ----------
        values : dict of str to float
            Input name -> value (units of the data).
        month : int
            Calendar month (1-12).

        Returns
        -------
        float
        """
        out = 0.0
        for name, (low, high) in self.ranges.items():
            value = values.get(name)
            if value is None or value != value:
                continue
            excess = max(low - value, value - high) / max(high - low, 1e-9) - RANGE_SLACK
            out = max(out, excess)
        if self.months:
            out += float(month_distance(np.array([month]), self.months)[0]) / MONTHS_PER_WIDTH
        return out

    def clip(self, readings: pd.DataFrame, names: Any = None) -> pd.DataFrame:
        """The readings with every input (``names``: those alone) held inside its trained range.

        Parameters
        ----------
        readings : pandas.DataFrame
            Wide readings with the inputs.
        names : iterable of str, optional
            The inputs to hold (default: every input with a range).

        Returns
        -------
        pandas.DataFrame
        """
        clipped = readings.copy()
        chosen = self.ranges if names is None else set(names)
        for name, (low, high) in self.ranges.items():
            if name in clipped.columns and name in chosen:
                clipped[name] = clipped[name].clip(low, high)
        return clipped

    def to_dict(self) -> dict[str, Any]:
        return {
            "ranges": {k: list(v) for k, v in self.ranges.items()},
            "months": list(self.months),
            "target_range": list(self.target_range),
        }

    @classmethod
    def from_dict(cls, values: dict[str, Any] | None) -> Domain | None:
        """Rebuild the domain (None: none saved) from its JSON form (``to_dict()``).

        Parameters
        ----------
        values : dict or None
            The JSON form.

        Returns
        -------
        Domain or None
        """
        if not values:
            return None
        return cls(
            {k: (float(v[0]), float(v[1])) for k, v in values.get("ranges", {}).items()},
            tuple(int(m) for m in values.get("months", ())),
            tuple(float(v) for v in values.get("target_range", (np.nan, np.nan))),  # type: ignore[arg-type]
        )
