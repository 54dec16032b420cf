"""Readings in, predictions out: validation of a reading and the history-aware prediction.

A live reading needs the thermal inertia of the last ``history_minutes`` (from the model's
metadata): when the store holds readings of that period, they and the new reading go through
:meth:`Predictor.predict_frame` (``build_features``, the one feature definition). When it holds
none, the filters start in steady state at the reading — the closed form of
:mod:`.fastpath` — and the answer says so in ``avertissements``.
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from thermowatch.data import quantities as q
from thermowatch.errors import InputError
from thermowatch.learn.features import nanoseconds
from thermowatch.live.validate import to_utc
from thermowatch.service.serving import Served
from thermowatch.store import readings as store_readings

TIMESTAMP_KEYS = ("timestamp", "horodatage")
STEADY_STATE_WARNING = (
    "no reading history in the store for the last {minutes:g} min: steady state at this "
    "reading assumed (thermal inertia ignored)."
)

EXTRAPOLATING_WARNING = (
    "outside the model's domain of validity (inputs or months its training never saw): "
    "interval widened by the distance outside."
)


@dataclass
class Result:
    """One prediction as the API answers it (temperatures [°C])."""

    transformer_id: str
    model_id: str
    at: datetime
    value: float
    lower: float
    upper: float
    level: str
    warnings: list[str] = field(default_factory=list)
    #: Outside the model's domain of validity (inputs or months its training never saw).
    extrapolating: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "temperature_predite": round(self.value, 3),
            "niveau_alerte": self.level,
            "timestamp": self.at.isoformat(),
            "transformer_id": self.transformer_id,
            "model_id": self.model_id,
            "intervalle": [round(self.lower, 3), round(self.upper, 3)],
            "avertissements": self.warnings,
            "extrapolating": self.extrapolating,
        }


#: Instants a query may name (/predict, history windows: computed around them without overflow).
#: Live readings have their own bound, :func:`thermowatch.live.validate.check_time`.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def check_instant(at: datetime, field_name: str = "timestamp") -> datetime:
    """``at`` as aware UTC, refused (InputError) outside [1970, 2200): a client mistake."""
    utc = to_utc(at)  # None: year 1 or 9999 shifted by its offset
    if utc is None or not EARLIEST <= utc < LATEST:
        raise InputError(
            f"the field {field_name!r} = {at.isoformat()} is outside the supported range "
            f"[{EARLIEST:%Y-%m-%d}, {LATEST:%Y-%m-%d})."
        )
    return utc


def parse_time(raw: Any, field_name: str = "timestamp") -> datetime:
    """An ISO-8601 instant (aware, or naive meaning UTC) → aware UTC datetime."""
    if not isinstance(raw, str):
        raise InputError(f"the field {field_name!r} must be an ISO-8601 date-time string.")
    try:
        at = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(
            f"the field {field_name!r} is not an ISO-8601 date-time: {raw[:40]!r}."
        ) from None
    return check_instant(at, field_name)


def validate_reading(
    body: Any, served: Served, where: str = ""
) -> tuple[list[float], datetime | None]:
    """Values in the model's variable order, and the optional timestamp of a flat reading.

    Raises
    ------
    InputError
        Naming the first missing, unknown, non-numeric, non-finite or impossible field.
    """
    if not isinstance(body, dict):
        raise InputError(f"{where}the body must be a JSON object of measurement names to numbers.")
    variables = served.predictor.variables
    at = None
    for key in body:
        if key in TIMESTAMP_KEYS:
            at = parse_time(body[key], key)
        elif key not in variables:
            raise InputError(
                f"{where}the variable {key!r} is unknown to model {served.model_id} "
                f"(expected: {', '.join(variables)})."
            )
    values = []
    quantities = served.quantities
    for name in variables:
        if name not in body:
            raise InputError(f"{where}the variable {name!r} is missing.")
        value = body[name]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InputError(
                f"{where}the variable {name!r} must be a number, got {type(value).__name__}."
            )
        value = float(value)
        if not math.isfinite(value):
            raise InputError(f"{where}the variable {name!r} must be a finite number.")
        if q.impossible(quantities[name], value):
            raise InputError(
                f"{where}the variable {name!r} = {value:g} is physically impossible "
                f"(allowed {q.allowed(quantities[name])})."
            )
        values.append(value)
    return values, at


class HistoryCache:
    """Remembers, per transformer, the newest stored reading time (re-asked every few seconds).

    Lets ``/predict`` skip the database entirely while a transformer has no recent history,
    which is the common case of the original stateless clients.
    """

    def __init__(self, engine, ttl_s: float) -> None:
        self.engine = engine
        self.ttl_s = ttl_s
        self._latest: dict[str, tuple[datetime | None, float]] = {}

    def latest(self, transformer_id: str) -> datetime | None:
        now = time.monotonic()
        cached = self._latest.get(transformer_id)
        if cached is not None and now - cached[1] < self.ttl_s:
            return cached[0]
        latest = store_readings.latest_reading_time(self.engine, transformer_id)
        self._latest[transformer_id] = (latest, now)
        return latest

    def known_empty(self, transformer_id: str) -> bool:
        """True when a fresh cached answer says the transformer has no readings at all."""
        cached = self._latest.get(transformer_id)
        return (
            cached is not None and cached[0] is None and time.monotonic() - cached[1] < self.ttl_s
        )

    def invalidate(self, transformer_id: str) -> None:
        self._latest.pop(transformer_id, None)


def predict_one(
    served: Served, values: list[float], at: datetime, history: pd.DataFrame | None = None
) -> Result:
    """Predict one reading at ``at``; with ``history`` (wide frame, before ``at``) use inertia."""
    predictor = served.predictor
    minutes = served.history_minutes
    warnings: list[str] = []
    domain = predictor.domain
    distance = (
        domain.distance_one(dict(zip(predictor.variables, values, strict=True)), at.month)
        if domain is not None
        else 0.0
    )
    half = predictor.half_width_k * (1.0 + distance)
    if (history is None or history.empty) and distance > 0:
        # Outside the trained domain: the frame path lets the most robust answer lead (the
        # physics when the rating is known; steady state too).
        row = pd.DataFrame(
            [values], columns=list(predictor.variables), index=pd.DatetimeIndex([at])
        )
        value = float(predictor.predict_frame(row)["predicted"].iloc[-1])
        if minutes > 0:
            warnings.append(_steady_state_warning(minutes))
    elif history is None or history.empty:
        value = served.fast.predict_one(values, at)
        if minutes > 0:
            warnings.append(_steady_state_warning(minutes))
    else:
        row = pd.DataFrame(
            [values], columns=list(predictor.variables), index=pd.DatetimeIndex([at])
        )
        frame = pd.concat([history[list(predictor.variables)], row])
        frame = frame[~frame.index.duplicated(keep="last")].sort_index().ffill().dropna()
        value = float(predictor.predict_frame(frame)["predicted"].iloc[-1])
        covered = (at - frame.index[0].to_pydatetime()).total_seconds() / 60.0
        if covered < minutes:
            warnings.append(
                f"only {covered:.0f} min of history of the {minutes:g} min the filters need: "
                "the older part is assumed in steady state."
            )
    if distance > 0:
        warnings.append(EXTRAPOLATING_WARNING)
    bounded, note = q.bounded_prediction(served.target_quantity, value)
    if bounded is None:  # never a null or an impossible temperature answered NORMAL
        raise InputError(f"{note}.")
    if note is not None:  # hotter than physics allows: at the bound, hence CRITIQUE
        value, half = bounded, 0.0
        warnings.append(f"{note}.")
    return Result(
        served.transformer_id, served.model_id, at, value, value - half, value + half,
        served.thresholds.level(value), warnings, distance > 0,
    )  # fmt: skip


@functools.lru_cache(maxsize=64)  # one text per model's window, not one format per request
def _steady_state_warning(minutes: float) -> str:
    return STEADY_STATE_WARNING.format(minutes=minutes)


def history_for(engine, served: Served, at: datetime, cache: HistoryCache) -> pd.DataFrame | None:
    """Stored readings of the model's history window before ``at``, or ``None`` when there are none."""
    minutes = served.history_minutes
    latest = cache.latest(served.transformer_id)
    start = at - timedelta(minutes=minutes)
    if latest is None or latest < start or minutes <= 0:
        return None
    # Only GOOD readings: a SUSPECT value (1e308 A) is kept for the record, never predicted on.
    frame = store_readings.readings_frame(
        engine, served.transformer_id, start, at, variables=list(served.predictor.variables),
        good_only=True,
    )  # fmt: skip
    return frame if not frame.empty else None


def batch_predict(
    served: Served, x: np.ndarray, times: pd.DatetimeIndex | None, series: bool
) -> dict[str, np.ndarray]:
    """Score many readings: independent rows in steady state, or one time series (``series``).

    Returns arrays ``predicted``, ``lower``, ``upper`` [°C] and ``level`` (the model's
    transformer's thresholds in force, as :meth:`Thresholds.level` decides them for one value).
    """
    predictor = served.predictor
    now = datetime.now(UTC)
    if series:
        if times is None:
            raise InputError("series scoring needs a 'timestamp' column.")
        frame = pd.DataFrame(x, columns=list(predictor.variables), index=times)
        if not frame.index.is_monotonic_increasing:
            raise InputError("series scoring needs rows in increasing time order.")
        predicted = predictor.predict_frame(frame)["predicted"].to_numpy()
    else:
        if times is None:  # rows without a time: now, as for one reading (predict_one)
            hours = np.full(len(x), now.hour + now.minute / 60.0)
        else:
            hours = times.hour.to_numpy() + times.minute.to_numpy() / 60.0
        days = None if times is None else times.day_of_year.to_numpy() + hours / 24.0
        at_ns = None if times is None else nanoseconds(times)
        predicted = served.fast.predict(x, hours, days, at_ns)
    distance = np.zeros(len(x))
    if predictor.domain is not None:
        stamps = times if times is not None else pd.DatetimeIndex([now] * len(x))
        frame = pd.DataFrame(x, columns=list(predictor.variables), index=stamps)
        distance = predictor.domain.distance(frame)
        if not series:
            # Outside the trained domain the frame path lets the most robust answer lead, as
            # for one reading (predict_one): the fast path knows no domain.
            for i in np.flatnonzero(distance > 0):
                predicted[i] = predictor.predict_frame(frame.iloc[[i]])["predicted"].iloc[-1]
    # Hotter than physics allows: at the bound, hence CRITIQUE (q.bounded_prediction's rule).
    high = q.physical_range(served.target_quantity)[1]
    hot = predicted > high
    predicted = np.where(hot, high, predicted)
    half = np.where(hot, 0.0, predictor.half_width_k * (1.0 + distance))
    return {
        "predicted": predicted,
        "lower": predicted - half,
        "upper": predicted + half,
        "level": served.thresholds.levels(predicted),
    }
