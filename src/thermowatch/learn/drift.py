"""Drift checks for a model in service: did the world move, or did the transformer change?

Two different causes call for two different responses, and confusing them is the classic trap
of automatic retraining:

* **the world moved** — the inputs (loads, ambient) left the distribution the model was trained
  on (a season it never saw, a new load pattern). The model is extrapolating; retraining on the
  recent data is the cure.
* **the transformer changed** — the inputs are inside the trained range but the residuals
  (measured − predicted) shifted: a cooling stage failed, a sensor was replaced, the oil is
  degrading. That is a finding for a person (an anomaly alert); retraining on it would teach the
  model the fault and silence the alert.

Everything here is pure and vectorised over numpy arrays; the jobs layer reads the store and
calls :func:`check_drift`.

References: population stability index (PSI) as used in credit-score monitoring (0.1 watch,
0.25 act); two-sample Kolmogorov–Smirnov test (scipy.stats.ks_2samp); Page (1954) and Hinkley
(1971) cumulative test for a shift of the mean.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

#: PSI above which an input's distribution has materially moved (industry convention); reported
#: as evidence, not used alone to trigger a retrain (see :attr:`InputDrift.moved`).
PSI_ACT = 0.25
#: Fraction of recent samples outside the trained [min, max] (with margin) that counts as
#: "outside the trained range".
OUT_OF_RANGE_ACT = 0.05


class DriftVerdict(enum.StrEnum):
    """What a drift check concluded, and therefore what should happen next."""

    STABLE = "stable"  # nothing to do
    WORLD_MOVED = "world_moved"  # inputs outside training distribution → retrain
    TRANSFORMER_CHANGED = "transformer_changed"  # residual shift, inputs in range → a person


def psi(reference: np.ndarray, current: np.ndarray, bins: int = 10) -> float:
    """Population stability index of ``current`` against ``reference`` [-].

    Bins are the reference's quantiles (so each holds ~1/bins of it); the two outer bins are
    open so values beyond the reference range land in them. Empty bins get a small floor
    (1e-4) so the log stays finite. 0 for identical distributions; > 0.25 is a material shift.

    Parameters
    ----------
    reference : numpy.ndarray
        Values seen in training (any unit).
    current : numpy.ndarray
        Recent values (same unit).
    bins : int
        Number of quantile bins [-].

    Returns
    -------
    float
        PSI [-].
    """
    ref = np.asarray(reference, dtype=np.float64)
    cur = np.asarray(current, dtype=np.float64)
    ref, cur = ref[np.isfinite(ref)], cur[np.isfinite(cur)]
    if ref.size < bins or cur.size == 0:
        return float("nan")
    edges = np.unique(np.quantile(ref, np.linspace(0.0, 1.0, bins + 1))[1:-1])
    # searchsorted against the inner edges: bin 0 is (-inf, e0), the last is [e_n, inf).
    p = np.bincount(np.searchsorted(edges, ref, side="right"), minlength=edges.size + 1)
    q = np.bincount(np.searchsorted(edges, cur, side="right"), minlength=edges.size + 1)
    p = np.maximum(p / ref.size, 1e-4)
    q = np.maximum(q / cur.size, 1e-4)
    return float(np.sum((q - p) * np.log(q / p)))


def out_of_range_fraction(
    reference: np.ndarray, current: np.ndarray, margin: float = 0.05
) -> float:
    """Fraction of ``current`` outside the reference range widened by ``margin`` of its span [-].

    Parameters
    ----------
    reference : numpy.ndarray
        Values seen in training.
    current : numpy.ndarray
        Recent values (same unit).
    margin : float
        Widening of the range, as a fraction of its span [-].

    Returns
    -------
    float
        Fraction [0..1].
    """
    ref = np.asarray(reference, dtype=np.float64)
    ref = ref[np.isfinite(ref)]
    if ref.size == 0:
        return float("nan")
    return outside_range_fraction(float(ref.min()), float(ref.max()), current, margin)


def outside_range_fraction(
    low: float, high: float, current: np.ndarray, margin: float = 0.05
) -> float:
    """Fraction of ``current`` outside ``[low, high]`` widened by ``margin`` of its span [-]
    (NaN when ``current`` has no finite value).

    Parameters
    ----------
    low, high : float
        The range seen in training (unit of ``current``).
    current : numpy.ndarray
        Recent values.
    margin : float
        Widening of the range, as a fraction of its span [-].

    Returns
    -------
    float
        Fraction [0..1].
    """
    cur = np.asarray(current, dtype=np.float64)
    cur = cur[np.isfinite(cur)]
    if cur.size == 0:
        return float("nan")
    pad = margin * (high - low)
    return float(np.mean((cur < low - pad) | (cur > high + pad)))


def page_hinkley(residuals: np.ndarray, delta: float, mean: float | None = None) -> np.ndarray:
    """Two-sided Page–Hinkley statistic of a residual series [K].

    Returns, for each sample, ``max(PH_up, PH_down)`` where ``PH_up = m_t − min_{s≤t} m_s`` with
    ``m_t = Σ (x_i − μ − δ)`` (and the mirror for a downward shift). A value above
    a threshold [K] means the mean has shifted by more than ``delta`` [K] for long enough.

    ``mean`` is the in-control mean μ (the model's validation bias); by default the running mean
    of the series itself, as in Hinkley's original test. Vectorised with cumulative sums: no
    Python loop over samples.

    Parameters
    ----------
    residuals : numpy.ndarray
        Measured − predicted [K], oldest first.
    delta : float
        Tolerated shift of the mean [K].
    mean : float or None
        In-control mean μ [K].

    Returns
    -------
    numpy.ndarray
        The statistic [K] per sample.
    """
    x = np.asarray(residuals, dtype=np.float64)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return np.zeros(0)
    running = np.cumsum(x) / np.arange(1, x.size + 1)
    mu = running if mean is None else np.full(x.size, float(mean))
    up = np.cumsum(x - mu - delta)
    down = np.cumsum(mu - x - delta)
    ph_up = up - np.minimum.accumulate(np.minimum(up, 0.0))
    ph_down = down - np.minimum.accumulate(np.minimum(down, 0.0))
    return np.maximum(ph_up, ph_down)


def detectable_shift(sigma: float) -> float:
    """Residual mean shift the drift check detects by default [K]: 1.5 σ of the validation
    residuals, at least 0.5 K (a model with a wide error band is not flagged for its noise).
    A shift counts once the mean moved by half of it (see :func:`check_drift`).

    Parameters
    ----------
    sigma : float
        Standard deviation of the validation residuals [K].

    Returns
    -------
    float
        The shift [K].
    """
    return max(1.5 * sigma, 0.5)


@dataclass(frozen=True)
class ResidualBaseline:
    """The in-control residuals of a model: mean (bias) and spread on its validation period [K]."""

    bias: float
    sigma: float

    @classmethod
    def from_residuals(cls, residuals: np.ndarray) -> ResidualBaseline:
        """The in-control bias and spread of validation residuals.

        Parameters
        ----------
        residuals : numpy.ndarray
            Measured − predicted on validation [K].

        Returns
        -------
        ResidualBaseline
            Mean and standard deviation [K].
        """
        r = np.asarray(residuals, dtype=np.float64)
        r = r[np.isfinite(r)]
        return cls(float(np.mean(r)) if r.size else 0.0, float(np.std(r)) if r.size > 1 else 1.0)

    @classmethod
    def from_rmse(cls, rmse: float, bias: float) -> ResidualBaseline:
        """From registered metrics: σ² = RMSE² − bias² (floored at 10 % of the RMSE).

        Parameters
        ----------
        rmse : float
            Validation RMSE [K].
        bias : float
            Validation bias [K].

        Returns
        -------
        ResidualBaseline
        """
        return cls(bias, float(np.sqrt(max(rmse**2 - bias**2, (0.1 * rmse) ** 2))))


@dataclass(frozen=True)
class InputDrift:
    """Drift of one input against its training distribution."""

    name: str
    psi: float  # [-]
    ks_statistic: float  # [-]
    ks_pvalue: float  # [-]
    out_of_range: float  # fraction of recent samples outside the trained range [-]

    @property
    def moved(self) -> bool:
        """True when this input's recent values are outside what the model was trained on.

        Decided on the trained *range*, not on PSI/KS: a month of a seasonal input (ambient in
        January) always has a PSI far above 0.25 against a whole year, yet the model has seen
        those values and interpolates fine. Extrapolation is what hurts, so the range decides
        and PSI/KS are kept as evidence (``shifted``).
        """
        return bool(self.out_of_range > OUT_OF_RANGE_ACT)

    @property
    def shifted(self) -> bool:
        """True when the distribution moved materially (PSI > 0.25) even if within range."""
        return bool(self.psi > PSI_ACT)


@dataclass(frozen=True)
class DriftReport:
    """The outcome of one drift check, with the evidence for it."""

    verdict: DriftVerdict
    inputs: tuple[InputDrift, ...] = field(default_factory=tuple)
    residual_shift: float = 0.0  # recent mean residual − validation mean residual [K]
    page_hinkley_max: float = 0.0  # [K]
    residual_alarm: bool = False

    @property
    def moved_inputs(self) -> list[str]:
        """Names of the inputs that left the training distribution."""
        return [d.name for d in self.inputs if d.moved]

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form for the store and the API."""
        return {
            "verdict": self.verdict.value,
            "moved_inputs": self.moved_inputs,
            "residual_shift_k": self.residual_shift,
            "page_hinkley_max_k": self.page_hinkley_max,
            "residual_alarm": self.residual_alarm,
            "inputs": [
                {
                    "name": d.name,
                    "psi": d.psi,
                    "ks_statistic": d.ks_statistic,
                    "ks_pvalue": d.ks_pvalue,
                    "out_of_range": d.out_of_range,
                    "moved": d.moved,
                    "shifted": d.shifted,
                }
                for d in self.inputs
            ],
        }


def check_drift(
    train_inputs: Mapping[str, np.ndarray],
    recent_inputs: Mapping[str, np.ndarray],
    validation_residuals: np.ndarray | ResidualBaseline,
    recent_residuals: np.ndarray,
    *,
    shift_k: float | None = None,
    threshold_k: float | None = None,
    train_ranges: Mapping[str, tuple[float, float]] | None = None,
) -> DriftReport:
    """Compare recent inputs and residuals with the training period and decide what happened.

    Parameters
    ----------
    train_inputs, recent_inputs
        Input name → values (loads [pu or A], ambient [°C]...) on the training period and on
        the recent window. Only names present in both are compared.
    validation_residuals, recent_residuals
        Measured − predicted [K] on the model's validation period (or its summary, a
        :class:`ResidualBaseline`) and on the recent window.
    shift_k
        Residual mean shift to detect [K]; default 1.5 σ of the validation residuals (at least
        0.5 K), so a model with a wide error band is not flagged for its own noise.
    threshold_k
        Page–Hinkley alarm threshold [K]; default 50 × ``shift_k``. With the allowance
        δ = shift/2, a shift of ``shift_k`` sustained for ~100 samples (four days hourly), or
        of twice that for ~33 samples, raises the alarm; a hot afternoon does not.
    train_ranges
        Input name → (min, max) seen in training, for inputs whose training samples are not at
        hand (the history before the model was registered is not in the store): only the
        out-of-range fraction is computed for them (PSI and KS need the samples).

    Returns
    -------
    DriftReport
        ``WORLD_MOVED`` when any input moved (retrain; residual shifts are then expected and not
        blamed on the transformer); ``TRANSFORMER_CHANGED`` when inputs are in range but the
        residuals shifted (a person must look; do not retrain on this period); else ``STABLE``.
    """
    base = (
        validation_residuals
        if isinstance(validation_residuals, ResidualBaseline)
        else ResidualBaseline.from_residuals(validation_residuals)
    )
    sigma, bias = base.sigma, base.bias
    rec = np.asarray(recent_residuals, dtype=np.float64)
    rec = rec[np.isfinite(rec)]
    shift = shift_k if shift_k is not None else detectable_shift(sigma)
    thresh = threshold_k if threshold_k is not None else 50.0 * shift

    drifts = _input_drifts(train_inputs, recent_inputs, train_ranges)
    ph = page_hinkley(rec, delta=shift / 2.0, mean=bias)
    ph_max = float(ph.max()) if ph.size else 0.0
    residual_shift = float(np.mean(rec) - bias) if rec.size else 0.0
    alarm = bool(ph_max > thresh and abs(residual_shift) > shift / 2.0)

    if any(d.moved for d in drifts):
        verdict = DriftVerdict.WORLD_MOVED
    elif alarm:
        verdict = DriftVerdict.TRANSFORMER_CHANGED
    else:
        verdict = DriftVerdict.STABLE
    return DriftReport(verdict, tuple(drifts), residual_shift, ph_max, alarm)


def _input_drifts(
    train_inputs: Mapping[str, np.ndarray],
    recent_inputs: Mapping[str, np.ndarray],
    train_ranges: Mapping[str, tuple[float, float]] | None,
) -> list[InputDrift]:
    """How each input moved between training and the recent window (see :func:`check_drift`)."""
    drifts = []
    for name in sorted(set(train_inputs) & set(recent_inputs)):
        ref = np.asarray(train_inputs[name], dtype=np.float64)
        cur = np.asarray(recent_inputs[name], dtype=np.float64)
        ref_ok, cur_ok = ref[np.isfinite(ref)], cur[np.isfinite(cur)]
        if ref_ok.size < 10 or cur_ok.size < 10:
            continue
        # Asymptotic p-value: scipy's "auto" tries the exact distribution, which costs ~20 ms
        # per input at these sizes (95 % of a fleet check) for no change at n, m > 100.
        ks = stats.ks_2samp(ref_ok, cur_ok, method="asymp")
        drifts.append(
            InputDrift(
                name=name,
                psi=psi(ref_ok, cur_ok),
                ks_statistic=float(ks.statistic),
                ks_pvalue=float(ks.pvalue),
                out_of_range=out_of_range_fraction(ref_ok, cur_ok),
            )
        )

    for name, (low, high) in sorted((train_ranges or {}).items()):
        cur = np.asarray(recent_inputs.get(name, ()), dtype=np.float64)
        if name in train_inputs or np.isfinite(cur).sum() < 10:
            continue
        nan = float("nan")
        drifts.append(InputDrift(name, nan, nan, nan, outside_range_fraction(low, high, cur)))
    return drifts
