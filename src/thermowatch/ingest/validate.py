"""Checks on each snapshot: physical ranges and stale (frozen) values.

A value outside its physical range or unchanged for ``stale_periods`` periods is still
stored (what the field said is kept for the record) but flagged
:attr:`~thermowatch.store.tables.Quality.SUSPECT` and kept out of the prediction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from thermowatch.data.names import normalize_name
from thermowatch.store.tables import Quality

# Plausible ranges by kind of measurement, in the units the sample export uses.
_RANGES = (
    (("temperature", "temp"), (-50.0, 200.0)),  # [°C]
    (("courant", "current", "amp"), (0.0, 1.0e5)),  # [A]
    (("tension", "voltage"), (0.0, 1.5e3)),  # [kV]
    (("puissance", "power"), (-1.0e4, 1.0e4)),  # [MW], [MVAr]
)


def physical_range(variable: str) -> tuple[float, float] | None:
    """Plausible ``(low, high)`` of a variable from its name, ``None`` when unknown."""
    name = normalize_name(variable)
    for words, bounds in _RANGES:
        if any(w in name for w in words):
            return bounds
    return None


@dataclass
class SnapshotValidator:
    """Per transformer: flags out-of-range and stale values, period after period."""

    stale_periods: int = 5
    _last: dict[str, float] = field(default_factory=dict)
    _same: dict[str, int] = field(default_factory=dict)

    def check(self, values: dict[str, float]) -> dict[str, int]:
        """Quality of each value of one period's snapshot (updates the stale counters)."""
        quality = {}
        for var, value in values.items():
            bounds = physical_range(var)
            bad_range = not math.isfinite(value) or (
                bounds is not None and not bounds[0] <= value <= bounds[1]
            )
            same = self._same.get(var, 0) + 1 if self._last.get(var) == value else 1
            self._same[var], self._last[var] = same, value
            stale = same >= self.stale_periods
            quality[var] = int(Quality.SUSPECT if bad_range or stale else Quality.GOOD)
        return quality

    def stale(self) -> list[str]:
        """Variables currently flagged stale."""
        return sorted(v for v, n in self._same.items() if n >= self.stale_periods)
