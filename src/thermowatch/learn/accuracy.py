"""Live accuracy of a model in service: its error against what was later measured.

Pure functions over pandas Series; the lifecycle job (:mod:`thermowatch.jobs.tasks`) reads the
store and keeps the verdicts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from thermowatch.learn.metrics import regression_metrics

#: The rolling windows the live error is reported over.
WINDOWS: dict[str, pd.Timedelta] = {
    "24h": pd.Timedelta(hours=24),
    "7d": pd.Timedelta(days=7),
    "30d": pd.Timedelta(days=30),
}
#: Live/validation RMSE ratio above which a model counts as degraded [-].
DEGRADED_FACTOR = 1.5
#: Consecutive degraded checks before a ``model_degraded`` alert (one bad day is weather).
DEGRADED_CHECKS = 3
#: Fewest aligned samples for a window's error to be reported.
MIN_SAMPLES = 24


def live_errors(
    measured: pd.Series,
    predicted: pd.Series,
    now: pd.Timestamp,
    windows: Mapping[str, pd.Timedelta] = WINDOWS,
    tolerance: pd.Timedelta = pd.Timedelta(minutes=5),
) -> dict[str, dict[str, float]]:
    """RMSE, MAE, bias [K] and n of ``predicted`` against ``measured`` over each window to ``now``.

    Both are Series on UTC DatetimeIndexes; each prediction is paired with the measurement
    nearest in time within ``tolerance`` (sources and the predictor do not share a clock
    tick). A window with fewer than :data:`MIN_SAMPLES` pairs reports ``n`` only.

    Parameters
    ----------
    measured : pandas.Series
        Measured temperature [°C] on a UTC DatetimeIndex.
    predicted : pandas.Series
        Predicted temperature [°C] on a UTC DatetimeIndex.
    now : pandas.Timestamp
        End of every window (UTC).
    windows : mapping of str to pandas.Timedelta
        Window name -> length (e.g. ``{"24h": 1 day, "7d": 7 days}``).
    tolerance : pandas.Timedelta
        Largest time between a prediction and the measurement paired with it.

    Returns
    -------
    dict
        Window name -> ``{"rmse", "mae", "bias"}`` [K] and ``"n"`` [-].
    """
    m = measured.dropna().sort_index()
    p = predicted.dropna().sort_index()
    if m.empty or p.empty:
        return {name: {"n": 0} for name in windows}
    pairs = pd.merge_asof(
        p.rename("predicted").to_frame(),
        m.rename("measured").to_frame(),
        left_index=True,
        right_index=True,
        direction="nearest",
        tolerance=tolerance,
    ).dropna()
    out: dict[str, dict[str, float]] = {}
    for name, span in windows.items():
        w = pairs[(pairs.index > now - span) & (pairs.index <= now)]
        if len(w) < MIN_SAMPLES:
            out[name] = {"n": len(w)}
            continue
        r = regression_metrics(w["measured"].to_numpy(), w["predicted"].to_numpy())
        out[name] = {"rmse": r["rmse"], "mae": r["mae"], "bias": r["bias"], "n": r["n"]}
    return out


def validation_error(metrics: Mapping[str, Any] | None) -> tuple[float, float] | None:
    """(RMSE, bias) [K] of a model on its validation period, from registered metrics.

    Accepts ``{"validation": {...}}`` or the training job's ``{model_name: {"validation":
    {...}}, "chosen": model_name}`` layout; None when the numbers are not there.

    Parameters
    ----------
    metrics : mapping or None
        A model's registered metrics.

    Returns
    -------
    tuple of (float, float) or None
        Validation RMSE and bias [K].
    """
    if not metrics:
        return None
    block = metrics.get("validation")
    if block is None:
        chosen = metrics.get("chosen") or metrics.get("model_name")
        inner = metrics.get(chosen) if isinstance(chosen, str) else None
        block = inner.get("validation") if isinstance(inner, Mapping) else None
    if not isinstance(block, Mapping) or not np.isfinite(block.get("rmse", np.nan)):
        return None
    return float(block["rmse"]), float(block.get("bias", 0.0) or 0.0)


def degraded(ratios: Sequence[float], factor: float = DEGRADED_FACTOR,
             checks: int = DEGRADED_CHECKS) -> bool:  # fmt: skip
    """True when the last ``checks`` live/validation ratios (newest last) all exceed ``factor``.

    Parameters
    ----------
    ratios : sequence of float
        Live RMSE over validation RMSE [-], oldest first.
    factor : float
        Ratio above which a check counts as degraded [-].
    checks : int
        Consecutive degraded checks needed [-].

    Returns
    -------
    bool
    """
    recent = [r for r in ratios if np.isfinite(r)][-checks:]
    return len(recent) == checks and all(r > factor for r in recent)


def paired_rmse_difference(
    errors_champion: np.ndarray, errors_challenger: np.ndarray, block: int = 24,
    resamples: int = 2000, level: float = 0.95, seed: int = 0,
) -> dict[str, float]:  # fmt: skip
    """RMSE [K] of two models on the same instants and the challenger − champion difference with
    a moving-block bootstrap interval (blocks of ``block`` samples keep the autocorrelation of
    hourly errors; a plain bootstrap would give a falsely narrow interval).

    Parameters
    ----------
    errors_champion, errors_challenger : numpy.ndarray
        Prediction errors [K] of each model at the same instants.
    block : int
        Bootstrap block length [samples].
    resamples : int
        Number of bootstrap resamples [-].
    level : float
        Confidence level of the interval [0..1].
    seed : int
        Seed of the resampling (reproducible).

    Returns
    -------
    dict
        ``champion_rmse_k``, ``challenger_rmse_k``, ``difference_k`` and its interval
        ``ci_low_k``/``ci_high_k`` [K], ``n`` and ``level``.
    """
    a = np.asarray(errors_champion, dtype=np.float64)
    b = np.asarray(errors_challenger, dtype=np.float64)
    n = len(a)
    out = {"n": float(n), "champion_rmse_k": float("nan"), "challenger_rmse_k": float("nan"),
           "difference_k": float("nan"), "ci_low_k": float("nan"), "ci_high_k": float("nan"),
           "level": level}  # fmt: skip
    if n < MIN_SAMPLES:
        return out
    block = max(1, min(block, n // 4))
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, n - block + 1, size=(resamples, -(-n // block)))
    rows = (starts[:, :, None] + np.arange(block)).reshape(resamples, -1)[:, :n]
    sa, sb = a**2, b**2
    diffs = np.sqrt(sb[rows].mean(axis=1)) - np.sqrt(sa[rows].mean(axis=1))
    tail = (1 - level) / 2
    out.update(
        champion_rmse_k=float(np.sqrt(sa.mean())), challenger_rmse_k=float(np.sqrt(sb.mean())),
        ci_low_k=float(np.quantile(diffs, tail)), ci_high_k=float(np.quantile(diffs, 1 - tail)),
    )  # fmt: skip
    out["difference_k"] = out["challenger_rmse_k"] - out["champion_rmse_k"]
    return out


def welch_difference(arm_a: Sequence[float], arm_b: Sequence[float], level: float = 0.95
                     ) -> dict[str, float]:  # fmt: skip
    """Mean of arm B − mean of arm A (one value per transformer, e.g. live RMSE [K]) with the
    Welch confidence interval (unequal variances, as two groups of transformers have).

    Parameters
    ----------
    arm_a, arm_b : sequence of float
        One value per transformer of each arm (e.g. live RMSE [K]).
    level : float
        Confidence level [0..1].

    Returns
    -------
    dict
        ``mean_a``, ``mean_b``, ``difference``, ``ci_low``, ``ci_high`` (unit of the inputs),
        ``p_value``, ``n_a``, ``n_b`` and ``level``.
    """
    from scipy import stats

    a = np.asarray([x for x in arm_a if np.isfinite(x)], dtype=np.float64)
    b = np.asarray([x for x in arm_b if np.isfinite(x)], dtype=np.float64)
    out = {"n_a": float(len(a)), "n_b": float(len(b)), "mean_a": float("nan"),
           "mean_b": float("nan"), "difference": float("nan"), "ci_low": float("nan"),
           "ci_high": float("nan"), "p_value": float("nan"), "level": level}  # fmt: skip
    if len(a):
        out["mean_a"] = float(a.mean())
    if len(b):
        out["mean_b"] = float(b.mean())
    if len(a) < 2 or len(b) < 2:
        return out
    res = stats.ttest_ind(b, a, equal_var=False)
    ci = res.confidence_interval(level)
    out.update(difference=float(b.mean() - a.mean()), ci_low=float(ci.low),
               ci_high=float(ci.high), p_value=float(res.pvalue))  # fmt: skip
    return out
