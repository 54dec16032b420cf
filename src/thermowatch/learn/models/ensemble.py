"""``forecast-ensemble``: the weighted mean of two forecasters' outputs.

Averaging two unbiased forecasts with different errors lowers the variance of the forecast;
the weight is chosen like the other hyper-parameters, on the rolling-origin periods.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from thermowatch.errors import InputError
from thermowatch.learn.models.forecast import DirectForecast, NLinearForecast
from thermowatch.learn.models.pooled import PooledForecast


@dataclass
class EnsembleForecast:
    """The weighted mean of several forecasters' outputs (same horizon); equal weights
    unless ``weights`` (summing to 1) are given."""

    name: ClassVar[str] = "forecast-ensemble"
    role: ClassVar[str] = "forecast"
    #: Registry declarations: a forecast candidate that combines two fitted members (the
    #: forecaster that reads the past alone, the one that also reads the thermal state); its
    #: weight of the first member is chosen on the rolling-origin periods among ``grid``.
    roles: ClassVar[dict[str, str]] = {"forecast": "candidate"}
    combines: ClassVar[tuple[str, ...]] = ("forecast-pooled", "forecast-direct")
    nests: ClassVar[tuple[str, ...]] = combines
    grid: ClassVar[dict[str, tuple]] = {"weight": (0.25, 0.5, 0.75)}  # 0 and 1: its members
    members: list[DirectForecast] = field(default_factory=list)
    weights: list[float] | None = None

    @property
    def horizon(self) -> int:
        return self.members[0].horizon

    @property
    def lookback(self) -> int:
        return max(m.lookback for m in self.members)

    def forecast(self, *args) -> np.ndarray:
        """The members' :meth:`~.forecast.DirectForecast.forecast`, averaged with ``weights``.

        Parameters
        ----------
        *args
            As :meth:`~.forecast.DirectForecast.forecast`.

        Returns
        -------
        numpy.ndarray
            ``(len(origins), H)`` temperatures [°C].
        """
        return np.average([m.forecast(*args) for m in self.members], axis=0, weights=self.weights)

    # (batched forecasts, thermowatch issue 10)
    def forecast_windows(self, *args) -> np.ndarray:
        """:meth:`DirectForecast.forecast_windows` of each member, averaged.

        Parameters
        ----------
        *args
            As :meth:`~.forecast.DirectForecast.forecast_windows`.

        Returns
        -------
        numpy.ndarray
            ``(N, H)`` temperatures [°C].
        """
        return np.average(
            [m.forecast_windows(*args) for m in self.members], axis=0, weights=self.weights
        )

    @property
    def parameters(self) -> int:
        return sum(m.parameters for m in self.members)

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "role": self.role,
            "parameters": self.parameters,
            "members": [m.describe() for m in self.members],
            "weights": self.weights,
        }

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.name, "members": [m.to_dict() for m in self.members]}
        if self.weights is not None:
            out["weights"] = [float(w) for w in self.weights]
        return out

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> EnsembleForecast:
        """Rebuild the ensemble and its members from its JSON form (``to_dict()``).

        Parameters
        ----------
        values : dict
            The JSON form.

        Returns
        -------
        EnsembleForecast
        """
        kinds = {
            DirectForecast.name: DirectForecast,
            NLinearForecast.name: NLinearForecast,
            PooledForecast.name: PooledForecast,
        }
        members = []
        for member in values["members"]:
            if member.get("kind") not in kinds:
                raise InputError(f"model.json: unknown forecast member {member.get('kind')!r}.")
            members.append(kinds[member["kind"]].from_dict(member))
        if not members or len({m.horizon for m in members}) != 1:
            raise InputError("model.json: a forecast ensemble needs members of one horizon.")
        weights = values.get("weights")
        if weights is not None:
            weights = [float(w) for w in weights]
            if len(weights) != len(members) or min(weights) < 0 or abs(sum(weights) - 1) > 1e-6:
                raise InputError("model.json: the ensemble weights must be ≥ 0 and sum to 1.")
        return cls(members, weights)
