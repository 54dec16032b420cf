"""What the training report shows beside the scores: errors by season and load band.

Pure computation on the evaluation table (measured, predicted, lower, upper per row).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from thermowatch.data import Measurements
from thermowatch.data import quantities as q
from thermowatch.learn.features import IEC_HOT_SPOT, FeatureSpec
from thermowatch.learn.metrics import regression_metrics

SEASONS = {
    12: "winter",
    1: "winter",
    2: "winter",
    3: "spring",
    4: "spring",
    5: "spring",
    6: "summer",
    7: "summer",
    8: "summer",
    9: "autumn",
    10: "autumn",
    11: "autumn",
}


def load_pu(measurements: Measurements, rated_current_a: float | None) -> pd.Series | None:
    """The load in per unit of the rated current, when it is known.

    Parameters
    ----------
    measurements : Measurements
        The training data.
    rated_current_a : float or None
        Rated current [A] of the measured winding, to turn a current column into per unit.

    Returns
    -------
    pandas.Series or None
        Load [pu] per row: a per-unit load column, or a current column over the rated current;
        None when neither is known.
    """
    load = measurements.column_for(q.LOAD_PU)
    if load:
        return measurements.frame[load]
    current = measurements.column_for(q.CURRENT)
    if current and rated_current_a:
        return measurements.frame[current] / rated_current_a
    return None


def iec_hot_spot(physics: pd.DataFrame) -> pd.Series | None:
    """The IEC 60076-7 hot-spot estimate of the feature frame, if the rating is known.

    Parameters
    ----------
    physics : pandas.DataFrame
        The feature frame (:func:`~thermowatch.learn.features.build_features`).

    Returns
    -------
    pandas.Series or None
        Hot-spot temperature [°C] per row (IEC 60076-7:2018 clause 8.2.2), or None.
    """
    return physics.get(IEC_HOT_SPOT, None)


def grouped(
    table: pd.DataFrame, groups: pd.Index | np.ndarray | None
) -> dict[str, dict[str, float]]:
    """Regression metrics per group of rows (season, load band).

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``measured``, ``predicted``, ``lower``, ``upper`` [°C].
    groups : array_like or None
        A group label per row of ``table``; None gives no groups.

    Returns
    -------
    dict
        Group label -> metrics (RMSE, MAE, bias [K], coverage [0..1], ...).
    """
    if groups is None:
        return {}
    out = {}
    for key, part in table.groupby(np.asarray(groups), sort=True):
        out[str(key)] = regression_metrics(
            part["measured"], part["predicted"], part["lower"], part["upper"]
        )
    return out


def load_bands(
    load_pu: pd.Series | None, frame: pd.DataFrame, spec: FeatureSpec, rows: slice
) -> np.ndarray | None:
    """The load band of each row: per-unit bands when the rating is known, else quartiles.

    Parameters
    ----------
    load_pu : pandas.Series or None
        Load [pu] per row (:func:`load_pu`).
    frame : pandas.DataFrame
        The measurements (the first load column gives quartiles without a rating).
    spec : FeatureSpec
        Which inputs are loads.
    rows : slice
        The rows to label (the test period).

    Returns
    -------
    numpy.ndarray or None
        ``"<0.5 pu"`` … ``">1.0 pu"``, or ``"Q1"`` … ``"Q4"``; None without a load.
    """
    if load_pu is not None:
        values = load_pu.to_numpy()[rows]
        edges, labels = [0.5, 0.8, 1.0], ["<0.5 pu", "0.5-0.8 pu", "0.8-1.0 pu", ">1.0 pu"]
        return np.asarray(labels, dtype=object)[np.digitize(values, edges)]
    if spec.load_inputs:
        values = frame[spec.load_inputs[0]].to_numpy()[rows]
        quartile = np.digitize(values, np.nanpercentile(values, [25, 50, 75]))
        return np.asarray(["Q1", "Q2", "Q3", "Q4"], dtype=object)[quartile]
    return None
