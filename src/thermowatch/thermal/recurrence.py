"""Exact solution of first-order linear filters, vectorised over time and over a fleet.

Every thermal state of IEC 60076-7 and IEEE C57.91 obeys ``τ dx/dt = u(t) - x``. With the
driving term held over each step, the exact update is ``x[n] = a[n] x[n-1] + (1 - a[n]) u[n]``
with ``a[n] = exp(-dt[n] / τ)``. That recurrence is solved here without a per-step Python loop:
within a chunk, ``x[n] = A[n] (x0 + Σ b[k] / A[k])`` where ``A`` is the running product of
``a``. ``1/A`` grows without bound, so the series is cut into chunks over which it stays below
``exp(_CHUNK_LOG)`` and the state is carried from chunk to chunk (a few dozen chunks for a year
of minute data). scipy.signal.lfilter cannot take a coefficient that changes with the time step,
hence this scan for irregular steps; with a regular step (the usual SCADA case) and a long series
lfilter's single C pass is two to three times faster and is used instead. Short series (what the
service, the monitor and the simulators solve) stay on the scan: importing scipy.signal costs
~0.7 s of every such process's start-up, far more than lfilter would save them.
"""

from __future__ import annotations

import numpy as np

# Largest decay (in natural-log units) accumulated inside one chunk: exp(500) ~ 1e217 stays far
# from float64 overflow even when multiplied by a temperature.
_CHUNK_LOG = 500.0
# A single step that decays more than this forgets the past entirely (a ~ 1e-130).
_MIN_LOG_DECAY = -300.0


def decay_factors(dt_minutes: np.ndarray, tau_minutes: np.ndarray | float) -> np.ndarray:
    """``exp(-dt/τ)`` as natural logs, clipped so that long gaps forget the past cleanly.

    Parameters
    ----------
    dt_minutes
        Time steps [min], shape ``(n,)`` or ``(m, n)``; ``dt[..., 0]`` is the step before the
        first sample (0 keeps the initial state at the first sample).
    tau_minutes
        Time constant [min], scalar or shape ``(m, 1)``.

    Returns
    -------
    numpy.ndarray
        ``log a`` with the broadcast shape of the inputs.
    """
    return np.maximum(-np.asarray(dt_minutes) / tau_minutes, _MIN_LOG_DECAY)


def first_order_response(
    dt_minutes: np.ndarray, tau_minutes: np.ndarray | float, ultimate: np.ndarray, x0: np.ndarray
) -> np.ndarray:
    """Solve ``τ dx/dt = u - x`` exactly for ``u`` held over each step, along the last axis.

    Parameters
    ----------
    dt_minutes
        Time step before each sample [min], shape ``(n,)`` or ``(m, n)`` (each transformer its
        own steps); ``dt[..., 0]`` is ignored (the state ``x0`` holds at the first sample).
    tau_minutes
        Time constant [min], scalar or ``(m, 1)``.
    ultimate
        Driving (ultimate) value of the state, shape ``(m, n)``.
    x0
        State at the first sample, shape ``(m,)``.

    Returns
    -------
    numpy.ndarray
        The state at each sample, shape ``(m, n)``.
    """
    dt = np.asarray(dt_minutes, dtype=np.float64).copy()
    dt[..., :1] = 0.0
    ultimate = np.asarray(ultimate, dtype=np.float64)
    steps = dt[..., 1:]
    taus = np.unique(np.asarray(tau_minutes, dtype=np.float64))
    # lfilter runs once per distinct time constant: for a fleet of different transformers
    # the scan, vectorised over rows, is faster (2,000 of them: 28 ms instead of 61 ms).
    regular = steps.size and steps.min() == steps.max()
    if regular and taus.size <= _MAX_FILTERS and ultimate.size >= _LFILTER_MIN_POINTS:
        return _regular_response(float(steps.flat[0]), tau_minutes, ultimate, x0)
    return scan_response(decay_factors(dt, tau_minutes), ultimate, x0)


# Distinct time constants up to which a regular step is solved by lfilter, one per constant.
_MAX_FILTERS = 16
# Points (transformers x samples) from which lfilter is worth scipy.signal's import: it saves
# ~20 ns a point over the scan (a year at 1 min: 0.020 against 0.044 s), the import ~0.7 s once.
_LFILTER_MIN_POINTS = 100_000


def _regular_response(
    step: float, tau_minutes: np.ndarray | float, ultimate: np.ndarray, x0: np.ndarray
) -> np.ndarray:
    """Constant step: ``x[n] = a x[n-1] + (1 - a) u[n]`` is an IIR filter (lfilter)."""
    # Imported here: scipy.signal pulls scipy.stats (~0.6 s), which every CLI command and
    # server process would pay at start-up through ``thermowatch.thermal``.
    from scipy.signal import lfilter

    m, n = ultimate.shape
    taus = np.broadcast_to(np.asarray(tau_minutes, dtype=np.float64).reshape(-1), (m,))
    x0 = np.asarray(x0, dtype=np.float64).reshape(m)
    out = np.empty((m, n))
    out[:, 0] = x0
    for tau in np.unique(taus):  # one filter per distinct time constant, not per transformer
        a = np.exp(max(-step / tau, _MIN_LOG_DECAY))
        # Rows sharing this time constant: a plain slice when it is all of them (no copy).
        rows = slice(None) if taus[0] == taus[-1] == tau else np.flatnonzero(taus == tau)
        zi = (a * x0[rows])[:, None]
        out[rows, 1:] = lfilter([1.0 - a], [1.0, -a], ultimate[rows, 1:], axis=1, zi=zi)[0]
    return out


def scan_response(log_decay: np.ndarray, ultimate: np.ndarray, x0: np.ndarray) -> np.ndarray:
    """Solve ``x[n] = a[n] x[n-1] + (1 - a[n]) u[n]`` with ``x[-1] = x0`` along the last axis.

    Parameters
    ----------
    log_decay
        ``log a[n]`` (<= 0), shape ``(m, n)``.
    ultimate
        Driving (ultimate) value ``u[n]`` of the state, shape ``(m, n)``.
    x0
        State before the first sample, shape ``(m,)``.

    Returns
    -------
    numpy.ndarray
        The state after each step, shape ``(m, n)``.
    """
    log_decay = np.asarray(log_decay, dtype=np.float64)
    ultimate = np.asarray(ultimate, dtype=np.float64)
    log_decay, ultimate = np.broadcast_arrays(log_decay, ultimate)
    m, n = ultimate.shape
    state = np.array(x0, dtype=np.float64, copy=True).reshape(m)
    out = np.empty((m, n), dtype=np.float64)
    if n == 0:
        return out
    drive = -np.expm1(log_decay) * ultimate  # (1 - a) u, accurate for tiny steps
    cumulative = np.cumsum(log_decay, axis=1)  # log A[n], decreasing
    # The fastest-decaying transformer decides where chunks end.
    depth = -cumulative.min(axis=0) if m > 1 else -cumulative[0]
    start = 0
    while start < n:
        base = depth[start - 1] if start else 0.0
        stop = int(np.searchsorted(depth, base + _CHUNK_LOG, side="right"))
        stop = min(max(stop, start + 1), n)
        offset = cumulative[:, start - 1 : start] if start else 0.0
        rel = cumulative[:, start:stop] - offset  # log of A[n]/A[start-1], in [-_CHUNK_LOG, 0]
        growth = np.exp(-rel)
        out[:, start:stop] = np.exp(rel) * (
            state[:, None] + np.cumsum(drive[:, start:stop] * growth, axis=1)
        )
        state = out[:, stop - 1]
        start = stop
    return out
