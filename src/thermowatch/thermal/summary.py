"""Figures an engineer reads first about a temperature history: peaks, ageing, time over limits."""

from __future__ import annotations

from typing import Any

import numpy as np

from thermowatch.thermal.ageing import Paper, loss_of_life_days, relative_ageing_rate
from thermowatch.thermal.limits import IEC_LOADING_LIMITS


def thermal_summary(
    top_oil_c: Any, hot_spot_c: Any, dt_minutes: Any, paper: Paper = "normal"
) -> dict[str, Any]:
    """Peaks [°C], loss of life [days] and hours above each IEC 60076-7 loading limit.

    Parameters
    ----------
    top_oil_c, hot_spot_c
        Temperatures [°C], shape ``(n,)``.
    dt_minutes
        Time step before each sample [min] (first usually 0).
    paper
        Insulation paper for the ageing law: ``"normal"`` or ``"upgraded"``.
    """
    top = np.asarray(top_oil_c, dtype=np.float64)
    hot = np.asarray(hot_spot_c, dtype=np.float64)
    dt = np.broadcast_to(np.asarray(dt_minutes, dtype=np.float64), hot.shape)
    period_days = float(dt.sum() / 1440.0)
    lol = loss_of_life_days(hot, dt, paper)
    above = {
        limit.key: {
            "hot_spot_limit_c": limit.hot_spot_c,
            "top_oil_limit_c": limit.top_oil_c,
            "hours_hot_spot_above": float(dt[hot > limit.hot_spot_c].sum() / 60.0),
            "hours_top_oil_above": float(dt[top > limit.top_oil_c].sum() / 60.0),
        }
        for limit in IEC_LOADING_LIMITS
    }
    return {
        "period_days": period_days,
        "max_hot_spot_c": float(hot.max()),
        "max_top_oil_c": float(top.max()),
        "mean_hot_spot_c": float(hot.mean()),
        "loss_of_life_days": float(lol),
        "mean_ageing_rate": float(lol / period_days) if period_days > 0 else float("nan"),
        "max_ageing_rate": float(relative_ageing_rate(hot.max(), paper)),
        "paper": paper,
        "limits": above,
    }
