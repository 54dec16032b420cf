"""``GET /v1/transformers``, ``/{id}`` (latest state) and ``/{id}/history``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import numpy as np
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from thermowatch.errors import InputError
from thermowatch.learn.levels import LevelName, StateLevel
from thermowatch.service.auth import Reader
from thermowatch.service.deps import EngineDep
from thermowatch.service.predicting import parse_time
from thermowatch.store import predictions as store_predictions
from thermowatch.store import readings as store_readings
from thermowatch.store import transformers as store_transformers
from thermowatch.store.state import read_state, read_states

router = APIRouter(prefix="/v1/transformers", tags=["transformers"])
MAX_HISTORY = timedelta(days=31)


class TransformerOut(BaseModel):
    """A transformer with its stored state: ``thresholds`` are the ones in force
    (``{"alerte_c", "critique_c"}`` [°C], ``seuils_regle`` where they come from), ``niveau``
    the worse of the measured and predicted levels, ``niveau_source`` which one."""

    id: str
    name: str
    site: str | None
    preset: str | None
    target_variable: str | None
    thresholds: dict | None
    seuils_regle: str | None = None
    created_at: datetime
    model_id: str | None
    niveau: StateLevel | None = None
    niveau_source: str | None = None
    niveau_mesure: LevelName | None = None
    niveau_predit: LevelName | None = None
    temperature_mesuree: float | None = None
    temperature_predite: float | None = None
    derniere_lecture: datetime | None = None
    franchissement: dict | None = None
    alarmes: dict[str, int] = {}
    #: the prediction is outside the model's domain of validity (the physics leads)
    extrapolation: bool = False


class LatestReading(BaseModel):
    timestamp: datetime
    value: float


class LatestPrediction(BaseModel):
    """The newest prediction [°C], with the measured target stored beside it."""

    timestamp: datetime
    temperature_predite: float
    intervalle: list[float | None]
    niveau_alerte: LevelName | None
    model_id: str
    temperature_mesuree: float | None
    niveau_mesure: LevelName | None


class TransformerState(TransformerOut):
    """Latest state, plus the newest value of each variable and the newest prediction."""

    latest_readings: dict[str, LatestReading]
    latest_prediction: LatestPrediction | None


def _summary(t, state) -> dict:
    """The transformer and its stored state (:mod:`thermowatch.store.state`)."""
    out = {
        "id": t.id, "name": t.name, "site": t.site, "preset": t.preset,
        "target_variable": t.target_variable, "thresholds": None,
        "created_at": t.created_at.isoformat(),
    }  # fmt: skip
    if state is None:
        return out
    crossing = None
    if state.crossing_level is not None and state.crossing_at is not None:
        crossing = {"niveau": state.crossing_level, "a": state.crossing_at.isoformat()}
    return out | {
        "thresholds": state.thresholds, "seuils_regle": state.thresholds_rule,
        "niveau": state.level, "niveau_source": state.level_source,
        "niveau_mesure": state.measured_level, "niveau_predit": state.predicted_level,
        "temperature_mesuree": state.measured_c, "temperature_predite": state.predicted_c,
        "derniere_lecture": state.ts.isoformat() if state.ts else None,
        "franchissement": crossing, "alarmes": state.alarms,
        "extrapolation": state.extrapolating,
    }  # fmt: skip


@router.get("", response_model=list[TransformerOut])
def list_transformers(_: Reader, engine: EngineDep, request: Request) -> list[dict]:
    """Every transformer of the store, with the model served for it (if any)."""
    served = request.app.state.models.all()
    states = read_states(engine)
    return [
        _summary(t, states.get(t.id))
        | {"model_id": served[t.id].model_id if t.id in served else None}
        for t in store_transformers.list_transformers(engine)
    ]


@router.get("/{transformer_id}", response_model=TransformerState)
def transformer_state(transformer_id: str, _: Reader, engine: EngineDep, request: Request) -> dict:
    """Latest state: newest value of each variable and the newest prediction [°C]."""
    t = store_transformers.get_transformer(engine, transformer_id)
    latest = store_readings.latest_values(engine, transformer_id)
    prediction = store_predictions.latest_prediction(engine, transformer_id)
    served = request.app.state.models.get(transformer_id)
    return _summary(t, read_state(engine, transformer_id)) | {
        "model_id": served.model_id if served else None,
        "latest_readings": {k: {"timestamp": ts.isoformat(), "value": v} for k, (ts, v) in latest.items()},
        "latest_prediction": None if prediction is None else {
            "timestamp": prediction.ts.isoformat(), "temperature_predite": prediction.value,
            "intervalle": [prediction.lower, prediction.upper], "niveau_alerte": prediction.level,
            "model_id": prediction.model_id, "temperature_mesuree": prediction.measured,
            "niveau_mesure": prediction.measured_level,
        },
    }  # fmt: skip


@router.get("/{transformer_id}/history")
def history(
    transformer_id: str,
    _: Reader,
    engine: EngineDep,
    # Strings parsed as ISO-8601 only: pydantic would also take a number as epoch seconds.
    start_raw: Annotated[
        str | None,
        Query(alias="from", description="ISO-8601 date-time, default to - 24 h",
              json_schema_extra={"format": "date-time"}),
    ] = None,
    end_raw: Annotated[
        str | None,
        Query(alias="to", description="ISO-8601 date-time, default now",
              json_schema_extra={"format": "date-time"}),
    ] = None,
) -> dict:  # fmt: skip
    """Readings (wide: one array per variable) and predictions of ``[from, to)``, ≤ 31 days."""
    store_transformers.get_transformer(engine, transformer_id)
    end = parse_time(end_raw, "to") if end_raw is not None else datetime.now(UTC)
    start = parse_time(start_raw, "from") if start_raw is not None else end - timedelta(days=1)
    if start >= end:
        raise InputError("'from' must be before 'to'.")
    if end - start > MAX_HISTORY:
        raise InputError("the period from 'from' to 'to' must not exceed 31 days.")
    wide = store_readings.readings_frame(engine, transformer_id, start, end)
    preds = store_predictions.predictions_frame(engine, transformer_id, start, end)
    clean = lambda a: [None if not np.isfinite(v) else float(v) for v in a]  # noqa: E731
    return {
        "transformer_id": transformer_id,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "readings": {
            "timestamp": [t.isoformat() for t in wide.index],
            **{c: clean(wide[c].to_numpy()) for c in wide.columns},
        },
        "predictions": {
            "timestamp": [t.isoformat() for t in preds.index],
            "model_id": preds["model_id"].tolist(),
            "temperature_predite": clean(preds["value"].to_numpy()),
            "niveau_alerte": preds["level"].tolist(),
        },
    }
