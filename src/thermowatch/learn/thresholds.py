"""Alert thresholds: from configuration or the command line, else derived from the data."""

from __future__ import annotations

import math

import numpy as np

from thermowatch.errors import InputError
from thermowatch.learn.levels import DEFAULT_THRESHOLDS
from thermowatch.learn.result import TargetKind, Thresholds

# Caps so that derived thresholds never sit above what IEC 60076-7 allows in normal cyclic
# loading: hot spot 120 °C, top oil 105 °C (the default thresholds, one home).
_CAPS = DEFAULT_THRESHOLDS


def choose_thresholds(
    train_target: np.ndarray,
    kind: TargetKind,
    alerte_c: float | None = None,
    critique_c: float | None = None,
    source: str = "cli",
) -> Thresholds:
    """Thresholds [°C] given explicitly, or by the documented data rule.

    Data rule: ``alerte`` is the 99th percentile of the training-period target rounded up to the
    degree (a level reached about 1 % of the time in normal operation); ``critique`` is the
    99.9th percentile plus 5 K, rounded up. For a winding/hot-spot target they are capped at
    110 / 120 °C, for top oil at 95 / 105 °C (IEC 60076-7 normal cyclic loading limits).
    """
    if alerte_c is not None or critique_c is not None:
        if alerte_c is None or critique_c is None:
            raise InputError("give both thresholds, --alerte and --critique, or neither.")
        for name, value in (("alerte", alerte_c), ("critique", critique_c)):
            if not math.isfinite(value) or not -50 <= value <= 250:
                raise InputError(
                    f"threshold {name} must be a temperature between -50 and 250 °C, got {value}."
                )
        if critique_c <= alerte_c:
            raise InputError(
                f"threshold critique ({critique_c:g} °C) must be above alerte ({alerte_c:g} °C)."
            )
        return Thresholds(alerte_c, critique_c, source, "")
    values = np.asarray(train_target, dtype=np.float64)
    alerte = float(math.ceil(float(np.percentile(values, 99))))
    critique = float(math.ceil(float(np.percentile(values, 99.9)) + 5.0))
    explanation = "p99 / p99.9 + 5 K (période d'apprentissage / training period)"
    if kind in _CAPS:
        cap_alerte, cap_critique = _CAPS[kind]
        if alerte > cap_alerte or critique > cap_critique:
            explanation += f", ≤ CEI/IEC {cap_alerte:g} / {cap_critique:g} °C"
        alerte, critique = min(alerte, cap_alerte), min(critique, cap_critique)
    if critique <= alerte:
        critique = alerte + 5
    return Thresholds(float(alerte), float(critique), "data", explanation)
