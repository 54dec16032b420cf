"""The alert engine behind ``POST /v1/readings``: every stored prediction is evaluated.

By default the alerting config comes from ``$THERMOWATCH_ALERTS_CONFIG``; without one the
engine runs in phase 1 (observation): alerts are stored and shown, nothing is sent.
"""

from __future__ import annotations

import os
from typing import Any

from thermowatch.service.app import PredictionHook


def alert_hook(state: Any, alerts_config: str | os.PathLike[str] | None = None) -> PredictionHook:
    """A hook ``(transformer_id, result)`` feeding :meth:`AlertEngine.evaluate`.

    The thresholds are the served model's, so the alert level and ``niveau_alerte`` agree.
    """
    from thermowatch.alerts.config import load_config
    from thermowatch.alerts.engine import AlertEngine

    engine = AlertEngine(state.engine, load_config(alerts_config), actor="service")

    def evaluate(transformer_id: str, result: Any) -> Any:
        served = state.models.get(transformer_id)
        thresholds = served.predictor.thresholds if served is not None else None
        return engine.evaluate(transformer_id, result.at, result.value, None, thresholds)

    return evaluate
