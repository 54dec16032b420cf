"""``thermal-monotone-season``: with less than a year and no measured ambient, the season as
the climate's annual cycle of fixed phase, one bounded amplitude fitted.

Without an ambient column the season is what the loads cannot explain; with months rather than
a year, free day-of-year terms extrapolate without bound and drift ramps hold the level of the
end of training through a season that turns. The air temperature's annual cycle has a phase
the climate fixes, not the data: in the northern mid-latitudes it peaks some four weeks after
the June solstice (:data:`PEAK_DAY_OF_YEAR`, fixed beforehand). Only its amplitude is fitted,
free in sign (a southern site gets a negative one) and bounded by
:data:`MAX_AMPLITUDE_K`: the prediction stays within the loads' response plus a bounded swing,
whatever the date. The loads keep every constraint of ``thermal-monotone`` (more load never
predicts a cooler transformer). Served as the same :class:`~thermowatch.learn.linear.LinearModel`
(weights on ``doy_sin``/``doy_cos`` tied to the phase); the selection rule (validation and
rolling-origin folds) decides whether it is served.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import pandas as pd

from thermowatch.learn.domain import SEASONAL_COLUMNS, full_year, months_seen
from thermowatch.learn.models.normal import (
    MonotoneThermal,
    _ChainedRidge,
    driver_chains,
    monotone_features,
    slow_load_responses,
)

if TYPE_CHECKING:
    from thermowatch.learn.features import FeatureSpec
    from thermowatch.learn.training_data import TrainingData

#: Day of the year when the annual cycle of the air temperature peaks (19 July): about four
#: weeks after the June solstice in the northern mid-latitudes (climatology, not fitted).
PEAK_DAY_OF_YEAR = 200.0
#: Bound on the fitted amplitude [K]: the annual half-swing of the daily mean air temperature
#: stays below it outside extreme continental climates.
MAX_AMPLITUDE_K = 15.0


@dataclass
class MonotoneSeason(MonotoneThermal):
    """``thermal-monotone`` whose season is the annual cycle of fixed phase (bounded amplitude)
    instead of drift ramps; offered with less than a full year when no ambient is measured."""

    name: ClassVar[str] = "thermal-monotone-season"

    @staticmethod
    def offered(fit_times: pd.DatetimeIndex, spec: FeatureSpec) -> bool:
        """Less than a full year of training rows, and day-of-year features (no ambient).

        Parameters
        ----------
        fit_times : pandas.DatetimeIndex
            Times of the training rows.
        spec : FeatureSpec
            The run's feature recipe (``seasonal``: no ambient column).

        Returns
        -------
        bool
        """
        return bool(spec.seasonal) and not full_year(months_seen(fit_times))

    @classmethod
    def enabled(cls, data: TrainingData) -> bool:
        """Registry hook: :meth:`offered` on the run's training rows.

        Parameters
        ----------
        data : TrainingData
            The run's inputs.

        Returns
        -------
        bool
        """
        return cls.offered(data.index[data.fit_rows], data.spec)

    def _design(self, features: pd.DataFrame, y: np.ndarray, rows: np.ndarray, spec, seasonal):
        """The monotone design with the day-of-year pair tied to :data:`PEAK_DAY_OF_YEAR` (one
        chained column ``cos(2π (day − peak) / 365.25)``, weight bounded by
        :data:`MAX_AMPLITUDE_K`) and no drift ramp."""
        names, positive = monotone_features(spec, list(features.columns))
        if seasonal or not all(c in names for c in SEASONAL_COLUMNS):
            return super()._design(features, y, rows, spec, seasonal)
        x = features[names].to_numpy(dtype=np.float64)
        transform = np.eye(len(names))  # x @ transform = chained inputs; w = transform @ v
        bounded = np.array(positive)
        for chain in driver_chains(spec, names):
            bounded[chain] = True
        sin, cos = (names.index(c) for c in SEASONAL_COLUMNS)
        phase = 2 * np.pi * PEAK_DAY_OF_YEAR / 365.25
        transform[:, sin] = 0.0  # the sine's own weight: none; it enters through the cosine
        transform[cos, cos], transform[sin, cos] = np.cos(phase), np.sin(phase)
        solver = _ChainedRidge(
            x, y, rows, transform, bounded, limits={cos: MAX_AMPLITUDE_K},
            held=slow_load_responses(spec, names),
        )  # fmt: skip
        return names, positive, x, solver
