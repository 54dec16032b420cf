"""Model types and their registry: one file per family, one registry line per type.

The model seam (what the service, the live pipeline and the monitor use)
========================================================================
Every model is fitted by :func:`thermowatch.learn.train.train` and served from an artifact
loaded by :func:`thermowatch.learn.artifact.load_model`, which returns a
:class:`~thermowatch.learn.artifact.Predictor` (SHA-256 checked, JSON only, never pickle).
Its three roles, each chosen on validation by the written rule of
:mod:`thermowatch.learn.selection`:

``predictor.predict_frame(readings) -> DataFrame[predicted, lower, upper, level, extrapolating]``
    **Normal behaviour**: the temperature [°C] the operating conditions explain (loads,
    ambient, calendar), never using the measured target. ``readings``: wide frame, UTC
    ``DatetimeIndex`` increasing, the columns ``predictor.variables``; pass
    ``metadata["history_minutes"]`` of history before the rows that matter (thermal inertia).
    Monotone in every load and in ambient by construction. A row outside the model's domain
    of validity (``predictor.domain``: input ranges and months seen in training, in
    ``metadata["domain"]``) is flagged ``extrapolating``, its interval widened by the distance
    outside, and with a known rating the IEC 60076-7 physics carries the excess. ``predictor.model`` is its
    :class:`~thermowatch.learn.linear.LinearModel` (the steady-state fast path folds it).

``predictor.nowcast_frame(history) -> DataFrame[predicted, lower, upper, level]``
    **Nowcast**: the target at each row from the values measured *before* it (gap-aware: after
    a gap it falls back to normal behaviour). ``history`` also holds the target column
    ``predictor.target``. The last row's ``predicted`` is the next-step estimate when the last
    row is a reading without its target yet (target NaN).

``predictor.forecast(history, horizon=None, load_scenario=None) -> Forecast``
    **Forecast**: the temperature at every step after the last row of ``history`` (readings
    with the target), up to ``horizon`` (steps, or a duration such as ``"24h"``; at most the
    trained horizon), with ``lower``/``upper`` from adaptive conformal intervals per horizon.
    Pass ``metadata["forecast_history_minutes"]`` of history (the lookback and the filters'
    warm-up). ``load_scenario``: future loads (frame indexed by future times, load columns; missing
    columns hold their last value): the forecast adds the monotone normal-behaviour response
    to the difference between the scenario and holding the last loads.
    ``Forecast.crossings(thresholds)`` gives, per threshold, the first time the forecast (and
    its upper/lower bound: earliest/latest) reaches it.

``predictor.forecast_many(histories, horizon=None) -> list[Forecast | InputError]``
    **Fleet forecasts**: :meth:`forecast` (no scenario) of many transformers served by this
    model in one pass, the same numbers; a forecaster serves it with
    ``forecast_windows(past, features, normal)`` (many origins in one product).

Adding a model type: a class with ``name``, ``role``, ``parameters``, ``describe()``,
``to_dict()`` and ``from_dict()`` (JSON numbers only) in a file here, and one line in
:data:`REGISTRY`.
"""

from __future__ import annotations

from typing import Any, Protocol

from thermowatch.errors import InputError
from thermowatch.learn.models.forecast import DirectForecast, EnsembleForecast, NLinearForecast
from thermowatch.learn.models.normal import (
    BaselineLinear,
    MonotonePlain,
    MonotoneRecent,
    MonotoneThermal,
)
from thermowatch.learn.models.nowcast import NowcastRidge, Persistence
from thermowatch.learn.models.pooled import PooledForecast


class Model(Protocol):
    """What every registered model provides (fit and predict signatures depend on the role)."""

    name: str
    role: str

    @property
    def parameters(self) -> int: ...

    def describe(self) -> dict[str, Any]: ...

    def to_dict(self) -> dict[str, Any]: ...


REGISTRY: dict[str, Any] = {
    BaselineLinear.name: BaselineLinear,
    MonotoneThermal.name: MonotoneThermal,
    MonotonePlain.name: MonotonePlain,
    MonotoneRecent.name: MonotoneRecent,
    NowcastRidge.name: NowcastRidge,
    Persistence.name: Persistence,
    DirectForecast.name: DirectForecast,
    NLinearForecast.name: NLinearForecast,
    PooledForecast.name: PooledForecast,
    EnsembleForecast.name: EnsembleForecast,
}


def model_from_dict(values: dict[str, Any]) -> Model:
    """Rebuild a model from its JSON form (``{"kind": <registry name>, ...}``)."""
    kind = values.get("kind") if isinstance(values, dict) else None
    if kind not in REGISTRY:
        raise InputError(f"model.json: unknown model kind {kind!r}.")
    try:
        return REGISTRY[kind].from_dict(values)
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"model.json: the {kind} model is malformed ({exc}).") from None


__all__ = ["REGISTRY", "Model", "model_from_dict"]
