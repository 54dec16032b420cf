"""The physical-response check a model must pass before it is served: more load or a hotter
ambient never predicts a cooler transformer.

Applied to a loaded :class:`~thermowatch.learn.artifact.Predictor` on real history, so it checks
the whole served path (features, filters, model), not a coefficient table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from thermowatch.data.quantities import (
    ACTIVE_POWER,
    AMBIENT_TEMPERATURE,
    APPARENT_POWER,
    CURRENT,
    LOAD_PU,
    REACTIVE_POWER,
)

LOADS = frozenset({CURRENT, ACTIVE_POWER, REACTIVE_POWER, APPARENT_POWER, LOAD_PU})
#: Numerical slack [K]: float rounding in the filters (seen: 7e-6 K), not physics.
TOLERANCE_K = 1e-4


def implausible_responses(
    predictor: Any,
    history: pd.DataFrame,
    load_factors: Sequence[float] = (1.2, 2.0),
    ambient_steps_k: Sequence[float] = (5.0, 15.0),
) -> list[str]:
    """Scale each load column (and all together) and raise ambient; list what made the
    predicted temperature fall anywhere (empty: plausible).

    ``history`` holds the predictor's input columns (wide, UTC index) with enough warm-up for
    its filters; the responses are compared row by row with the unchanged prediction.

    Parameters
    ----------
    predictor : Predictor
        A loaded model (:func:`~thermowatch.learn.artifact.load_model`).
    history : pandas.DataFrame
        Its input readings, wide, UTC index.
    load_factors : sequence of float
        Factors applied to the loads [-].
    ambient_steps_k : sequence of float
        Rises of the ambient [K].

    Returns
    -------
    list of str
        One description per implausible response.
    """
    quantities: dict[str, str] = predictor.metadata.get("quantities", {})
    inputs = [c for c in predictor.variables if c in history.columns]
    loads = [c for c in inputs if quantities.get(c) in LOADS]
    ambient = [c for c in inputs if quantities.get(c) == AMBIENT_TEMPERATURE]
    base = predictor.predict_frame(history)["predicted"].to_numpy(dtype=np.float64)
    cases: list[tuple[str, pd.DataFrame]] = []
    for f in load_factors:
        for col in loads:
            cases.append((f"{col} x{f:g}", history.assign(**{col: history[col] * f})))
        if len(loads) > 1:
            cases.append(
                (f"all loads x{f:g}", history.assign(**{c: history[c] * f for c in loads}))
            )
    for step in ambient_steps_k:
        for col in ambient:
            cases.append((f"{col} +{step:g} K", history.assign(**{col: history[col] + step})))
    bad = []
    for label, changed in cases:
        pred = predictor.predict_frame(changed)["predicted"].to_numpy(dtype=np.float64)
        ok = np.isfinite(pred) & np.isfinite(base)
        if np.any(pred[ok] < base[ok] - TOLERANCE_K):
            bad.append(f"{label}: down by {float(np.max(base[ok] - pred[ok])):.3g} K")
    return bad
