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
    outside, and the most robust answer leads: with a known rating the IEC 60076-7 physics
    carries the excess; without, inputs that are neither a load nor the ambient are held at
    the edge of their trained range. ``predictor.model`` is its
    :class:`~thermowatch.learn.linear.LinearModel` (the steady-state fast path folds it).

``predictor.nowcast_frame(history) -> DataFrame[predicted, lower, upper, level]``
    **Nowcast**: the target at each row from the values measured *before* it (gap-aware: after
    a gap it falls back to normal behaviour), reading the normal-behaviour model chosen with it
    on validation (the served one, or another candidate saved with it). ``history`` also holds the target column
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

Adding a model type: a class in a file here, and one line in :data:`REGISTRY`. Training
(:func:`thermowatch.learn.train.train`) asks the registry and never names a model; each type
declares

* ``name`` and ``roles``: ``{role: "candidate" | "reference"}`` for the roles ``"normal"``,
  ``"nowcast"`` and ``"forecast"``: a candidate enters the role's choice (``servable`` False
  and ``why_not``: scored for comparison, never served), a reference is scored beside them;
* ``grid``: its hyper-parameter grid (``{"penalty": (...), ...}``), searched on validation by
  its own ``fit``; ``nests``: the candidates it contains as a special case (the rule then lets
  the lower error win); optionally ``enabled(data)`` (fitted only when it returns True);
* the hooks of its roles, reading one :class:`~thermowatch.learn.training_data.TrainingData`:
  normal ``fit_normal(data)``, ``predict_normal(data)`` (a servable one also ``refit_on`` and
  ``predict_part`` for the rolling-origin folds); nowcast ``fit_nowcast(data, normal)``,
  ``predict_nowcast`` and ``score_nowcast``; forecast ``for_horizon(data, horizon, longest)``
  then ``fit``/``forecast`` (:class:`~.forecast.DirectForecast`), or ``combines`` (names of two
  fitted members, blended with a weight from ``grid["weight"]``); a forecast reference
  ``forecast_reference(y, origins, horizon)``;
* to be served: ``parameters``, ``describe()``, ``to_dict()`` and ``from_dict()`` (JSON
  numbers only).
"""

from __future__ import annotations

from typing import Any, ClassVar, Protocol

from thermowatch.errors import InputError
from thermowatch.learn.models.boosting import GradientBoosting
from thermowatch.learn.models.ensemble import EnsembleForecast
from thermowatch.learn.models.forecast import DirectForecast, NLinearForecast
from thermowatch.learn.models.normal import (
    BaselineLinear,
    MonotonePlain,
    MonotoneRecent,
    MonotoneThermal,
)
from thermowatch.learn.models.nowcast import NowcastRidge, Persistence
from thermowatch.learn.models.pooled import PooledForecast
from thermowatch.learn.models.season import MonotoneSeason


class Model(Protocol):
    """What every registered model provides (fit and predict signatures depend on the role)."""

    name: str
    role: str  # the main role (``describe()``)
    roles: ClassVar[dict[str, str]]  # role -> "candidate" | "reference"
    grid: ClassVar[dict[str, tuple]]  # hyper-parameter -> values searched on validation

    @property
    def parameters(self) -> int: ...

    def describe(self) -> dict[str, Any]: ...

    def to_dict(self) -> dict[str, Any]: ...


#: Every model type by name, in the order training fits and reports them.
REGISTRY: dict[str, Any] = {
    BaselineLinear.name: BaselineLinear,
    MonotoneThermal.name: MonotoneThermal,
    MonotonePlain.name: MonotonePlain,
    MonotoneRecent.name: MonotoneRecent,
    MonotoneSeason.name: MonotoneSeason,
    NowcastRidge.name: NowcastRidge,
    Persistence.name: Persistence,
    GradientBoosting.name: GradientBoosting,
    NLinearForecast.name: NLinearForecast,
    DirectForecast.name: DirectForecast,
    PooledForecast.name: PooledForecast,
    EnsembleForecast.name: EnsembleForecast,
}
ROLES = ("normal", "nowcast", "forecast")


def members(role: str, kind: str, data: Any = None) -> list[Any]:
    """The registered model types that take part in ``role`` as ``kind``.

    Parameters
    ----------
    role : str
        ``"normal"``, ``"nowcast"`` or ``"forecast"``.
    kind : str
        ``"candidate"`` (enters the role's choice) or ``"reference"`` (scored beside).
    data : TrainingData, optional
        The run's inputs: a type whose ``enabled(data)`` is False is left out.

    Returns
    -------
    list of type
        The model classes, in registry order.
    """
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    out = []
    for cls in REGISTRY.values():
        if getattr(cls, "roles", {}).get(role) != kind:
            continue
        enabled = getattr(cls, "enabled", None)
        if data is None or enabled is None or enabled(data):
            out.append(cls)
    return out


def candidates(role: str, data: Any = None) -> list[Any]:
    """:func:`members` of ``role`` that enter its choice.

    Parameters
    ----------
    role : str
        ``"normal"``, ``"nowcast"`` or ``"forecast"``.
    data : TrainingData, optional
        Leaves out types whose ``enabled(data)`` is False.

    Returns
    -------
    list of type
        In registry order.
    """
    return members(role, "candidate", data)


def references(role: str, data: Any = None) -> list[Any]:
    """:func:`members` of ``role`` scored beside its candidates (never chosen).

    Parameters
    ----------
    role : str
        ``"normal"``, ``"nowcast"`` or ``"forecast"``.
    data : TrainingData, optional
        Leaves out types whose ``enabled(data)`` is False.

    Returns
    -------
    list of type
        In registry order.
    """
    return members(role, "reference", data)


def original(role: str) -> Any:
    """The type of ``role`` that declares itself the original approach (``original = True``).

    Parameters
    ----------
    role : str
        ``"normal"`` (the only role with an original approach).

    Returns
    -------
    type
        The model class.
    """
    return next(c for c in candidates(role) if getattr(c, "original", False))


def model_from_dict(values: dict[str, Any]) -> Model:
    """Rebuild a model from its JSON form (``{"kind": <registry name>, ...}``).

    Parameters
    ----------
    values : dict
        The JSON form (``to_dict()``) of a registered type that has ``from_dict``.

    Returns
    -------
    Model
        The model; an unknown kind or a malformed form raises
        :class:`~thermowatch.errors.InputError`.
    """
    kind = values.get("kind") if isinstance(values, dict) else None
    if kind not in REGISTRY or not hasattr(REGISTRY[kind], "from_dict"):
        raise InputError(f"model.json: unknown model kind {kind!r}.")
    try:
        return REGISTRY[kind].from_dict(values)
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"model.json: the {kind} model is malformed ({exc}).") from None


__all__ = [
    "REGISTRY",
    "ROLES",
    "Model",
    "candidates",
    "members",
    "model_from_dict",
    "original",
    "references",
]
