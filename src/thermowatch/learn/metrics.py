"""Error metrics of a prediction against measurements [K], and split-conformal intervals."""

from __future__ import annotations

import numpy as np


def regression_metrics(
    measured: np.ndarray,
    predicted: np.ndarray,
    lower: np.ndarray | None = None,
    upper: np.ndarray | None = None,
) -> dict[str, float]:
    """RMSE, MAE, max |error|, bias (mean predicted − measured) [K], R² [-], interval coverage.

    Parameters
    ----------
    measured : numpy.ndarray
        Measured values [°C]; non-finite pairs are left out.
    predicted : numpy.ndarray
        Predicted values [°C].
    lower, upper : numpy.ndarray or None
        Interval bounds [°C], for the coverage.

    Returns
    -------
    dict of str to float
        ``rmse``, ``mae``, ``max_error``, ``bias`` [K], ``r2`` [-], ``n`` and, with an
        interval, ``coverage`` [0..1].
    """
    y = np.asarray(measured, dtype=np.float64)
    p = np.asarray(predicted, dtype=np.float64)
    ok = np.isfinite(y) & np.isfinite(p)
    y, p = y[ok], p[ok]
    if y.size == 0:
        return {
            "rmse": float("nan"),
            "mae": float("nan"),
            "r2": float("nan"),
            "max_error": float("nan"),
            "bias": float("nan"),
            "n": 0,
        }
    err = p - y
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    out = {
        "rmse": float(np.sqrt(np.mean(err**2))),
        "mae": float(np.mean(np.abs(err))),
        "r2": float(1.0 - np.sum(err**2) / ss_tot) if ss_tot > 0 else float("nan"),
        "max_error": float(np.max(np.abs(err))),
        "bias": float(np.mean(err)),
        "n": int(y.size),
    }
    if lower is not None and upper is not None:
        lo, hi = np.asarray(lower)[ok], np.asarray(upper)[ok]
        out["coverage"] = float(np.mean((y >= lo) & (y <= hi)))
    return out


def conformal_half_width(residuals: np.ndarray, level: float = 0.9) -> float:
    """Split-conformal half-width [K]: the ⌈(n+1)·level⌉-th smallest |residual| of calibration.

    Parameters
    ----------
    residuals : numpy.ndarray
        Calibration residuals [K].
    level : float
        Nominal coverage [0..1].

    Returns
    -------
    float
        Half-width [K].
    """
    r = np.sort(np.abs(np.asarray(residuals, dtype=np.float64)[np.isfinite(residuals)]))
    if r.size == 0:
        return float("nan")
    k = min(int(np.ceil((r.size + 1) * level)) - 1, r.size - 1)
    return float(r[k])
