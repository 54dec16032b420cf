"""Alert thresholds: the one home for choosing them, at training time and for a transformer.

A transformer's thresholds in force (:func:`resolve_thresholds`, called by the live pipeline's
profile and stored with the transformer's state; every reader reads that state), in order of
precedence:

1. ``config``: its ``[[transformers]]`` entry (or the thresholds stored with it);
2. its served model's metadata (the thresholds chosen when it was trained, rules below);
3. ``iec``: its nameplate's IEC 60076-7 limits for the kind of its target (winding or top oil).

At training time (:func:`choose_thresholds`), in order of precedence:

``cli`` / ``config``
    ``--alerte/--critique`` or a transformer's thresholds in the configuration.
``iec``
    A winding (hot-spot) target: ALERTE where non-upgraded paper ages twice as fast as at the
    reference 98 °C (IEC 60076-7 equation (2): 98 + 6 = 104 °C), CRITIQUE at the normal cyclic
    loading limit (120 °C, Table 3). A top-oil target: ALERTE at the normal cyclic top-oil
    limit (105 °C), CRITIQUE at the emergency top-oil limit (115 °C, Table 3).
``data``
    Any other target: ALERTE at the 99th percentile of the training-period target rounded up to
    the degree, CRITIQUE at the 99.9th percentile plus 5 K. For the IEC targets the data rule is
    still computed, for comparison in the report.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from thermowatch.errors import InputError

if TYPE_CHECKING:  # the physics and pandas load in ~1 s: not for a check before any work
    import numpy as np

    from thermowatch.learn.result import TargetKind, Thresholds

#: Where a threshold may lie [°C]: the physical range of an oil or winding temperature
#: (``data.quantities.MIN_TEMPERATURE_C``, ``MAX_TEMPERATURE_C``; a unit test holds them
#: equal), written here because the command line checks thresholds before loading pandas.
THRESHOLD_RANGE_C = (-60.0, 250.0)


def iec_thresholds(kind: str) -> tuple[float, float] | None:
    """(alerte, critique) [°C] by IEC 60076-7 for a ``"winding"`` or ``"oil"`` target, else None
    (the defaults of :mod:`thermowatch.learn.levels`, their one home).

    Parameters
    ----------
    kind : str
        Target kind.

    Returns
    -------
    tuple of (float, float) or None
        IEC 60076-7:2018 Table 3 limits [°C].
    """
    from thermowatch.learn.levels import DEFAULT_THRESHOLDS

    return DEFAULT_THRESHOLDS.get(kind)


def target_kind(variable: str | None) -> str:
    """``"oil"`` for a top-oil target variable, else ``"winding"`` (the kinds of the IEC limits).

    Parameters
    ----------
    variable : str or None
        Name of the target variable.

    Returns
    -------
    str
    """
    from thermowatch.data.names import normalize_name

    name = normalize_name(variable or "")
    return "oil" if "huile" in name or "oil" in name else "winding"


def resolve_thresholds(
    configured: dict | None = None, model: Thresholds | None = None, kind: str = "winding"
) -> Thresholds:
    """The thresholds [°C] in force for a transformer (the precedence of the module's docstring).

    Parameters
    ----------
    configured : its ``[[transformers]]`` thresholds (``{"alerte_c", "critique_c"}``, or an
        older spelling still found in stores), ``None`` when not configured.
    model : the thresholds in its served model's metadata, ``None`` without a model.
    kind : ``"oil"`` for a top-oil target, else a winding (hot-spot) one.
    """
    from thermowatch.learn.levels import DEFAULT_EXPLANATION, default_thresholds, threshold_values
    from thermowatch.learn.result import Thresholds

    given = threshold_values(configured)
    if given is not None:
        return Thresholds(given[0], given[1], "config", "[[transformers]]")
    if model is not None:
        return model
    alerte, critique = default_thresholds(kind)
    return Thresholds(alerte, critique, "iec", DEFAULT_EXPLANATION)


def check_pair(alerte_c: float | None, critique_c: float | None) -> None:
    """Refuse an incomplete, impossible or inverted pair of thresholds [°C] (``InputError``).

    Cheap and import-light, so that the command line can call it before any work.

    Parameters
    ----------
    alerte_c : float or None
        ALERTE threshold [°C].
    critique_c : float or None
        CRITIQUE threshold [°C].
    """
    if alerte_c is None and critique_c is None:
        return
    if alerte_c is None or critique_c is None:
        raise InputError("give both thresholds, --alerte and --critique, or neither.")
    low, high = THRESHOLD_RANGE_C
    for name, value in (("alerte", alerte_c), ("critique", critique_c)):
        if not math.isfinite(value) or not low <= value <= high:
            raise InputError(
                f"threshold {name} must be a temperature between {low:g} and {high:g} °C, "
                f"got {value}."
            )
    if critique_c <= alerte_c:
        raise InputError(
            f"threshold critique ({critique_c:g} °C) must be above alerte ({alerte_c:g} °C)."
        )


def data_thresholds(train_target: np.ndarray) -> tuple[float, float]:
    """The data rule [°C]: p99 rounded up, p99.9 + 5 K rounded up (critique ≥ alerte + 5 K).

    Parameters
    ----------
    train_target : numpy.ndarray
        Target on the training rows [°C].

    Returns
    -------
    tuple of (float, float)
        ALERTE and CRITIQUE [°C].
    """
    import numpy as np

    values = np.asarray(train_target, dtype=np.float64)
    values = values[np.isfinite(values)]
    alerte = float(math.ceil(float(np.percentile(values, 99))))
    critique = float(math.ceil(float(np.percentile(values, 99.9)) + 5.0))
    return alerte, max(critique, alerte + 5.0)


def choose_thresholds(
    train_target: np.ndarray,
    kind: TargetKind,
    alerte_c: float | None = None,
    critique_c: float | None = None,
    source: str = "cli",
) -> Thresholds:
    """Thresholds [°C] given explicitly (rule ``source``), else by IEC 60076-7 for a winding or
    top-oil target (rule ``"iec"``), else by the data rule (rule ``"data"``).

    ``explanation`` holds the numbers behind the rule (language-neutral); the report words it.

    Parameters
    ----------
    train_target : numpy.ndarray
        Target on the training rows [°C] (the data rule).
    kind : str
        ``"winding"``, ``"oil"`` or ``"other"``.
    alerte_c, critique_c : float or None
        Explicit thresholds [°C].
    source : str
        Rule name of explicit thresholds (``"cli"``, ``"config"``).

    Returns
    -------
    Thresholds
    """
    from thermowatch.learn.result import Thresholds

    check_pair(alerte_c, critique_c)
    if alerte_c is not None and critique_c is not None:
        return Thresholds(float(alerte_c), float(critique_c), source, "")
    data_alerte, data_critique = data_thresholds(train_target)
    comparison = f"p99 / p99.9 + 5 K: {data_alerte:g} / {data_critique:g} °C"
    iec = iec_thresholds(kind)
    if iec is not None:
        alerte, critique = iec
        return Thresholds(alerte, critique, "iec", f"IEC 60076-7 {kind}; {comparison}")
    return Thresholds(data_alerte, data_critique, "data", comparison)
