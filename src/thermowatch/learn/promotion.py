"""The rule that decides whether a retrained model (challenger) may replace the champion.

Both models are scored on the most recent window that *neither* trained on (OpenSTEF compares
on data the new model saw, which flatters it). The challenger is promoted only when all hold:

1. it is better than the champion by a margin (default 5 % lower RMSE) on that window;
2. its nominal-90 % interval covered 85–95 % of that window (an interval that is too narrow
   makes alerts overconfident; too wide makes them useless);
3. its response is physically plausible (temperature never falls when load or ambient rises);
4. it was scored on enough samples to mean something.

Pure: the jobs layer computes the inputs (it holds the store and both models) and applies the
deployment-phase gate (automatic / approval / forbidden) to a positive decision.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from thermowatch.learn.metrics import regression_metrics

#: Relative RMSE improvement the challenger must show [-].
DEFAULT_MARGIN = 0.05
#: Acceptable coverage of a nominal 90 % interval [-].
COVERAGE_BAND = (0.85, 0.95)
#: Fewest scored samples for a decision (one week hourly).
MIN_SAMPLES = 168


@dataclass(frozen=True)
class PromotionDecision:
    """Whether to promote, the numbers behind it, and every reason for a refusal."""

    promote: bool
    champion_rmse: float  # [K]
    challenger_rmse: float  # [K]
    challenger_coverage: float  # [-]
    n: int
    reasons: tuple[str, ...] = field(default_factory=tuple)  # stable codes, see decide()

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form for the audit log and the API."""
        return {
            "promote": self.promote,
            "champion_rmse_k": self.champion_rmse,
            "challenger_rmse_k": self.challenger_rmse,
            "challenger_coverage": self.challenger_coverage,
            "n": self.n,
            "reasons": list(self.reasons),
        }


def decide_promotion(
    measured: np.ndarray,
    champion: np.ndarray,
    challenger: np.ndarray,
    challenger_lower: np.ndarray,
    challenger_upper: np.ndarray,
    *,
    plausible: bool,
    margin: float = DEFAULT_MARGIN,
    coverage_band: tuple[float, float] = COVERAGE_BAND,
    min_samples: int = MIN_SAMPLES,
) -> PromotionDecision:
    """Score champion and challenger on the same unseen recent window and apply the rule.

    Parameters
    ----------
    measured, champion, challenger
        Measured temperature and each model's prediction on the recent window [°C], aligned.
        Only samples where all three are finite are scored, so both face the same data.
    challenger_lower, challenger_upper
        The challenger's nominal 90 % interval on that window [°C].
    plausible
        Outcome of the physical-response check of the challenger (load/ambient sweeps).
    margin
        Required relative RMSE improvement [-].
    coverage_band
        Accepted empirical coverage of the challenger's interval [0..1] (low, high).
    min_samples
        Fewest scored samples for a decision [-].

    Returns
    -------
    PromotionDecision
        Promote or not, with the scores and the refusal reasons (stable codes for the audit
        log and messages): ``too_few_samples``, ``not_better`` (by the margin),
        ``coverage_low``, ``coverage_high``, ``implausible``.
    """
    y = np.asarray(measured, dtype=np.float64)
    a = np.asarray(champion, dtype=np.float64)
    b = np.asarray(challenger, dtype=np.float64)
    lo = np.asarray(challenger_lower, dtype=np.float64)
    hi = np.asarray(challenger_upper, dtype=np.float64)
    ok = np.isfinite(y) & np.isfinite(a) & np.isfinite(b) & np.isfinite(lo) & np.isfinite(hi)
    n = int(ok.sum())
    champ = regression_metrics(y[ok], a[ok])["rmse"]
    chall = regression_metrics(y[ok], b[ok], lo[ok], hi[ok])
    coverage = float(chall.get("coverage", float("nan")))

    reasons = []
    if n < min_samples:
        reasons.append("too_few_samples")
    if not (n and chall["rmse"] <= (1.0 - margin) * champ):
        reasons.append("not_better")
    if not coverage >= coverage_band[0]:  # also refuses NaN
        reasons.append("coverage_low")
    elif coverage > coverage_band[1]:
        reasons.append("coverage_high")
    if not plausible:
        reasons.append("implausible")
    return PromotionDecision(not reasons, champ, chall["rmse"], coverage, n, tuple(reasons))
