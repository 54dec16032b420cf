"""Latest state per transformer: what ``thermowatch status`` shows, read from the state the live
pipeline stored (:mod:`thermowatch.store.state`); nothing is levelled again here."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from thermowatch.store.readings import latest_reading_time, latest_value
from thermowatch.store.state import read_states
from thermowatch.store.transformers import list_transformers


@dataclass(frozen=True)
class TransformerStatus:
    """The latest known state of one transformer (temperatures [°C], times UTC).

    ``level`` is the worse of ``measured_level`` and ``predicted_level`` and ``level_source``
    says which; ``thresholds`` are the ones in force; ``crossing_*`` the earliest future
    forecast crossing; ``alarms`` the alarms by ISA-18.2 state.
    """

    transformer_id: str
    name: str
    last_reading_at: datetime | None
    measured: float | None
    measured_variable: str | None
    predicted: float | None
    predicted_at: datetime | None
    level: str | None
    open_alerts: int
    level_source: str | None = None
    predicted_level: str | None = None
    measured_level: str | None = None
    thresholds: dict[str, float] | None = None
    thresholds_rule: str | None = None
    crossing_level: str | None = None
    crossing_at: datetime | None = None
    alarms: dict[str, int] = field(default_factory=dict)
    extrapolating: bool = False  # the prediction is outside the model's domain of validity

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict (ISO-8601 times)."""
        return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in asdict(self).items()}


def fleet_status(engine: Engine, now: datetime | None = None) -> list[TransformerStatus]:
    """State of every transformer, ordered by id, as the live pipeline stored it."""
    now = now or datetime.now(UTC)
    states = read_states(engine, now=now)
    out = []
    for t in list_transformers(engine):
        s = states.get(t.id)
        if s is None or s.ts is None:  # history imported, nothing through the live path yet:
            # its newest measurement, no level (none was computed for it)
            latest = latest_value(engine, t.id, t.target_variable) if t.target_variable else None
            out.append(TransformerStatus(
                t.id, t.name, latest_reading_time(engine, t.id),
                latest[1] if latest else None, t.target_variable, None, None, None, 0,
                thresholds=s.thresholds if s else None,
                thresholds_rule=s.thresholds_rule if s else None,
            ))  # fmt: skip
            continue
        active = s.alarms.get("unacknowledged", 0) + s.alarms.get("acknowledged", 0)
        out.append(
            TransformerStatus(
                transformer_id=t.id, name=t.name, last_reading_at=s.ts, measured=s.measured_c,
                measured_variable=t.target_variable, predicted=s.predicted_c,
                predicted_at=s.ts if s.predicted_c is not None else None,
                level=s.level, open_alerts=active, level_source=s.level_source,
                predicted_level=s.predicted_level, measured_level=s.measured_level,
                thresholds=s.thresholds, thresholds_rule=s.thresholds_rule,
                crossing_level=s.crossing_level, crossing_at=s.crossing_at, alarms=s.alarms,
                extrapolating=s.extrapolating,
            )
        )  # fmt: skip
    return out
