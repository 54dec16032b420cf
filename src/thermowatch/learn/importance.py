"""Grouped permutation importance [K]: how much worse a model gets when one measured input (all
its features together: the value, its square, its filters) is shuffled in time.

Unlike raw coefficients of collinear filtered features (which can read ±160 K per standard
deviation and cancel each other), this is in kelvin of error and adds up the way an engineer
reads it: "without the LUFL load the prediction is 2.3 K worse".
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from thermowatch.learn.features import DRIFT_PREFIX, IEC_HOT_SPOT, IEC_TOP_OIL, FeatureSpec

CALENDAR_GROUP = "calendar"
IEC_GROUP = "IEC 60076-7 estimate"


def feature_groups(spec: FeatureSpec, columns: list[str]) -> dict[str, list[str]]:
    """Feature columns per measured input (plus the calendar and the IEC estimate).

    Parameters
    ----------
    spec : FeatureSpec
        The inputs and which are loads.
    columns : list of str
        Feature columns of the model.

    Returns
    -------
    dict of str to list of str
        Group name -> its columns.
    """
    groups: dict[str, list[str]] = {}
    for column in columns:
        if column in ("hour_sin", "hour_cos", "doy_sin", "doy_cos") or column.startswith(
            DRIFT_PREFIX
        ):
            group = CALENDAR_GROUP
        elif column in (IEC_HOT_SPOT, IEC_TOP_OIL):
            group = IEC_GROUP
        else:
            group = next(
                (
                    name
                    for name in spec.inputs
                    if column == name or column.startswith((f"{name}²", f"{name} ~"))
                ),
                column,
            )
        groups.setdefault(group, []).append(column)
    return groups


def permutation_importance_k(
    predict: Callable[[pd.DataFrame], np.ndarray],
    features: pd.DataFrame,
    y: np.ndarray,
    groups: dict[str, list[str]],
    seed: int = 0,
    max_rows: int = 20_000,
) -> list[tuple[str, float]]:
    """RMSE increase [K] per group when its columns are permuted together, largest first.

    Parameters
    ----------
    predict : callable
        Feature frame -> predictions [°C].
    features : pandas.DataFrame
        Feature rows to score (validation).
    y : numpy.ndarray
        Measured target [°C] on those rows.
    groups : dict of str to list of str
        Group name -> its columns (:func:`feature_groups`).
    seed : int
        Seed of the permutations (reproducible).
    max_rows : int
        Rows scored at most (evenly spread).

    Returns
    -------
    list of (str, float)
        Group name and RMSE increase [K].
    """
    rows = np.arange(len(y))
    if rows.size > max_rows:
        rows = rows[np.linspace(0, rows.size - 1, max_rows).astype(int)]
    frame = features.iloc[rows].reset_index(drop=True)
    target = y[rows]
    base = float(np.sqrt(np.mean((predict(frame) - target) ** 2)))
    order = np.random.default_rng(seed).permutation(len(rows))
    out = []
    for group, columns in groups.items():
        shuffled = frame.copy()
        shuffled[columns] = frame[columns].to_numpy()[order]
        rmse = float(np.sqrt(np.mean((predict(shuffled) - target) ** 2)))
        out.append((group, rmse - base))
    return sorted(out, key=lambda kv: -kv[1])
