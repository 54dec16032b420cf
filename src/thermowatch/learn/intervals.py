"""Adaptive conformal intervals: widths that follow recent residuals, per horizon.

Split conformal with one half-width computed on validation assumes the errors of the test
period look like those of validation; on a real transformer they drift (seasons, a changed
load pattern), and a fixed width covers 10-20 % instead of 90 %. Here the half-width at each
instant is the ``level`` quantile of the last ``window`` residuals already known at that
instant (a residual of horizon h is known h steps after its origin), times a factor that
adaptive conformal inference (Gibbs & Candès, 2021) nudges after every outcome: up after a
miss, down after a hit, so that the long-run miss rate is ``1 - level`` whatever the drift.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

GAMMA = 0.02  # step of the log-factor per outcome: fast enough to follow a season


@dataclass
class AdaptiveConformal:
    """Online interval state for ``H`` horizons: recent |residuals| and the adaptive factor.

    Attributes
    ----------
    level
        Nominal coverage (0.9).
    window
        Residuals remembered per horizon.
    recent
        ``(H, ≤ window)`` most recent absolute residuals [K], oldest first.
    log_factor
        Per horizon, log of the factor applied to the window quantile.
    """

    level: float = 0.9
    window: int = 500
    recent: list[list[float]] = field(default_factory=list)
    log_factor: list[float] = field(default_factory=list)

    def half_width(self) -> np.ndarray:
        """Current half-width per horizon [K] (NaN for a horizon with no residual yet)."""
        out = np.full(len(self.recent), np.nan)
        for h, values in enumerate(self.recent):
            if values:
                out[h] = np.quantile(values, self.level) * np.exp(self.log_factor[h])
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "window": self.window,
            "recent": [[round(v, 5) for v in r] for r in self.recent],
            "log_factor": list(self.log_factor),
        }

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> AdaptiveConformal:
        """Rebuild the interval state from its JSON form (``to_dict()``).

        Parameters
        ----------
        values : dict
            The JSON form.

        Returns
        -------
        AdaptiveConformal
        """
        return cls(
            float(values["level"]),
            int(values["window"]),
            [list(map(float, r)) for r in values["recent"]],
            list(map(float, values["log_factor"])),
        )


def rolling_half_widths(
    residuals: np.ndarray,
    delays: np.ndarray,
    level: float = 0.9,
    window: int = 500,
    gamma: float = GAMMA,
) -> tuple[np.ndarray, AdaptiveConformal]:
    """Half-widths for a time-ordered sequence of residuals, using only the past.

    Parameters
    ----------
    residuals
        ``(n, H)`` measured − predicted [K] per origin (rows in time order, one step apart or
        evenly strided) and horizon; NaN where unknown.
    delays
        ``(H,)`` rows after which the residual of each horizon is known (``h + 1`` steps
        divided by the row stride, at least 1).
    level, window, gamma
        Nominal coverage, residuals remembered, step of the adaptive log-factor.

    Returns
    -------
    (widths, state)
        ``(n, H)`` half-widths [K] (NaN until a horizon has residuals) and the final state,
        to serve from.
    """
    r = np.abs(np.asarray(residuals, dtype=np.float64))
    n, horizons = r.shape
    widths = np.full((n, horizons), np.nan)
    quantiles = np.full((n, horizons), np.nan)
    for h in range(horizons):
        # The window quantile of residuals known at row i: those of rows ≤ i - delay.
        known = pd.Series(r[:, h]).shift(int(delays[h]))
        quantiles[:, h] = (
            known.rolling(window, min_periods=min(20, window)).quantile(level).to_numpy()
        )
    log_factor = np.zeros(horizons)
    miss_target = 1.0 - level
    columns = np.arange(horizons)
    delays = np.asarray(delays, dtype=np.int64)
    for i in range(n):
        widths[i] = quantiles[i] * np.exp(log_factor)
        # Outcomes of earlier rows that become known now update the factor.
        ready = i - delays
        ok = ready >= 0
        w, e = widths[ready[ok], columns[ok]], r[ready[ok], columns[ok]]
        seen = np.isfinite(w) & np.isfinite(e)
        step = np.where(seen, gamma * ((e > w).astype(float) - miss_target), 0.0)
        log_factor[columns[ok]] += step
    state = AdaptiveConformal(
        level,
        window,
        [list(r[np.isfinite(r[:, h]), h][-window:]) for h in range(horizons)],
        log_factor.tolist(),
    )
    return widths, state
