"""The hand-off from monitoring to alerting.

After each period the monitor calls ``on_prediction(transformer_id, timestamp, predicted_c,
measured_c, thresholds)`` once per transformer with fresh data, after the readings and the
prediction are stored (or spooled). The alerting module plugs its rule engine in here
(hysteresis, de-duplication, channels); it may be a plain function or a coroutine function,
and what it returns is logged as the level. The default only computes the level.

Parameters passed
-----------------
transformer_id : str
timestamp : aware UTC ``datetime`` of the snapshot predicted.
predicted_c : float, the normal-behaviour prediction of the target temperature [°C].
measured_c : float or None, the measured target temperature [°C] (None when missing or suspect).
thresholds : :class:`thermowatch.learn.result.Thresholds` (``alerte_c``, ``critique_c``,
    ``level(value_c)``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from thermowatch.learn.result import Thresholds

OnPrediction = Callable[[str, datetime, float, float | None, Thresholds], Any | Awaitable[Any]]


def level_only(
    transformer_id: str,
    timestamp: datetime,
    predicted_c: float,
    measured_c: float | None,
    thresholds: Thresholds,
) -> str:
    """Default hook: no side effect, the level (NORMAL / ALERTE / CRITIQUE) of the prediction."""
    return thresholds.level(predicted_c)
