"""Building a transformer's :class:`~thermowatch.live.pipeline.Profile`, the same way for the
monitor (its config) and the service (the store's transformer row): the champion, the
thresholds (:func:`~thermowatch.learn.thresholds.resolve_thresholds`), the spec, the load and ambient
variables, and σ of the residual for the anomaly rule."""

from __future__ import annotations

from typing import Any

from thermowatch.data import quantities as q
from thermowatch.data.columns import classify_quantity
from thermowatch.data.simulator import AMBIENT, CURRENT
from thermowatch.learn.thresholds import resolve_thresholds, target_kind
from thermowatch.live.pipeline import Profile
from thermowatch.thermal import TransformerSpec


def validation_sigma_k(predictor: Any) -> float | None:
    """σ of the champion's residual [K]: its validation RMSE, from the artifact's metadata."""
    meta = predictor.metadata
    try:
        rmse = meta["metrics"][meta["model_name"]]["validation"]["rmse"]
    except (KeyError, TypeError):
        return None
    return float(rmse) if rmse and rmse > 0 else None


def _first_of(variables: list[str], quantities: tuple[str, ...]) -> str | None:
    return next((name for name in variables if classify_quantity(name) in quantities), None)


def make_profile(
    transformer_id: str,
    *,
    predictor: Any = None,
    spec: TransformerSpec | dict | None = None,
    target: str | None = None,
    thresholds: dict | None = None,
    load: str | None = None,
    ambient: str | None = None,
    physics_sigma_k: float = 2.0,
    history: Any = None,
) -> Profile:
    """The profile of one transformer from what its owner knows about it.

    ``target`` defaults to the model's; ``load`` and ``ambient`` to the first current (or
    per-unit load) and ambient-temperature variables of the model; thresholds by
    :func:`~thermowatch.learn.thresholds.resolve_thresholds`.
    """
    if isinstance(spec, dict):
        spec = TransformerSpec.from_mapping(spec)
    target = target or (predictor.metadata.get("target") if predictor is not None else None)
    model_th = predictor.thresholds if predictor is not None else None
    th = resolve_thresholds(thresholds, model_th, target_kind(target))
    if predictor is not None:
        variables = list(predictor.variables)
        load = load or _first_of(variables, (q.CURRENT, q.LOAD_PU))
        ambient = ambient or _first_of(variables, (q.AMBIENT_TEMPERATURE,))
        sigma = validation_sigma_k(predictor)
    else:
        sigma = physics_sigma_k
    # The names of the sample export and the simulator, as the monitor's config defaults.
    load, ambient = load or CURRENT, ambient or AMBIENT
    return Profile(transformer_id, target, th, predictor, spec, load, ambient, sigma, history)


def store_profile(
    engine: Any, transformer_id: str, predictor: Any = None, **kw: Any
) -> Profile | None:
    """The profile from the store's transformer row (``None`` when it does not exist)."""
    from thermowatch.errors import NotFoundError
    from thermowatch.store.transformers import get_transformer

    try:
        row = get_transformer(engine, transformer_id)
    except NotFoundError:
        return None
    return make_profile(
        transformer_id,
        predictor=predictor,
        spec=row.spec,
        target=row.target_variable,
        thresholds=row.thresholds,
        **kw,
    )
