"""The one forecast of a transformer's monitored temperature, and when it crosses a threshold.

The champion's learned forecast (:meth:`thermowatch.learn.artifact.Predictor.forecast`, with
its interval) when the champion has one and it can run on the history at hand; else the
IEC 60076-7 physics the caller passes in (as a frame), with the reason it was used. The
result says which (:attr:`TemperatureForecast.source`, :attr:`~TemperatureForecast.model_id`):
the live pipeline stores it with the forecast and the alert text quotes it; the dashboard's
24-hour panel shows it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from thermowatch.errors import InputError
from thermowatch.learn.artifact import forecast_fleet
from thermowatch.learn.forecasting import Crossing, Forecast

LEARNED, PHYSICS = "learned", "physics"
#: The horizon people see: the transformer page's forecast panel and the forecasts the live
#: pipeline stores, whose first threshold crossing the fleet page shows.
FORECAST_HORIZON = pd.Timedelta(hours=24)


@dataclass(frozen=True)
class TemperatureForecast:
    """A forecast [°C] (``frame``: future UTC index; ``predicted``, ``lower``, ``upper``).

    ``source`` is ``"learned"`` or ``"physics"``; ``model_id`` the champion's id (learned) or
    the physics model's (``iec60076-7:ONAN``); ``note`` why the physics stood in for a champion.
    """

    frame: pd.DataFrame
    source: str
    model_id: str
    note: str | None = None

    def crossings(self, thresholds: dict[str, float]) -> dict[str, Crossing]:
        """First crossing of each named threshold [°C], with its interval (earliest by the
        upper bound, latest by the lower one)."""
        return Forecast(self.frame, 0.0, self.model_id, self.frame.index[0]).crossings(thresholds)

    def after(self, at: pd.Timestamp) -> TemperatureForecast:
        """The points strictly after ``at`` (a forecast reused until it is refreshed)."""
        return TemperatureForecast(self.frame[self.frame.index > at], self.source,
                                   self.model_id, self.note)  # fmt: skip


def forecast_temperature(
    predictor: object | None,
    history: pd.DataFrame | None,
    physics: Callable[[], tuple[pd.DataFrame, str] | None],
    horizon: pd.Timedelta | None = None,
) -> TemperatureForecast | None:
    """The learned forecast of ``predictor`` from ``history`` (readings with the measured
    target, UTC index), up to ``horizon`` (at most the trained one; default: all of it);
    else ``physics()`` → ``(frame, model_id)``.

    ``None`` when neither can forecast (no history and no physics state yet).
    """
    note = None
    if predictor is not None:
        model_id = str(getattr(predictor, "model_id", "?"))
        if getattr(predictor, "forecaster", None) is None:
            note = f"model {model_id} has no learned forecast"
        elif history is None or history.empty:
            note = f"no history for the learned forecast of model {model_id}"
        else:
            try:
                steps = None
                if horizon is not None:  # within what the forecaster was trained for
                    trained = int(predictor.forecaster.horizon)  # type: ignore[attr-defined]
                    steps = max(1, min(trained, int(horizon / predictor.step)))  # type: ignore[attr-defined]
                fc = predictor.forecast(history, steps)  # type: ignore[attr-defined]
            except InputError as exc:
                note = f"learned forecast of model {model_id} unavailable: {exc}"
            else:
                return TemperatureForecast(fc.frame, LEARNED, model_id)
    made = physics()
    if made is None:
        return None
    frame, physics_id = made
    return TemperatureForecast(frame, PHYSICS, physics_id, note)


__all__ = ["FORECAST_HORIZON", "LEARNED", "PHYSICS", "TemperatureForecast", "forecast_fleet",
           "forecast_temperature"]  # fmt: skip
