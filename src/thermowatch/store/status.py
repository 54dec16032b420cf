"""Latest state per transformer: what ``thermowatch status`` and the dashboard show."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, select

from thermowatch.store.predictions import latest_prediction
from thermowatch.store.readings import latest_reading_time, latest_value
from thermowatch.store.tables import alerts
from thermowatch.store.transformers import list_transformers


@dataclass(frozen=True)
class TransformerStatus:
    """The latest known state of one transformer (temperatures [°C], times UTC)."""

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

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict (ISO-8601 times)."""
        return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in asdict(self).items()}


def fleet_status(engine: Engine, now: datetime | None = None) -> list[TransformerStatus]:
    """State of every transformer, ordered by id.

    ``measured`` is the newest value of the transformer's ``target_variable``; ``predicted``
    comes from the newest prediction not after ``now``; ``level`` is the worse of its level
    and the level of the measurement stored with it, ``level_source`` says which.
    """
    now = now or datetime.now(UTC)
    with engine.connect() as conn:
        counts = dict(
            conn.execute(
                select(alerts.c.transformer_id, func.count())
                .where(alerts.c.resolved_at.is_(None))
                .group_by(alerts.c.transformer_id)
            ).all()
        )
    out = []
    for t in list_transformers(engine):
        measured = latest_value(engine, t.id, t.target_variable) if t.target_variable else None
        pred = latest_prediction(engine, t.id, now)
        out.append(
            TransformerStatus(
                transformer_id=t.id,
                name=t.name,
                last_reading_at=latest_reading_time(engine, t.id),
                measured=measured[1] if measured else None,
                measured_variable=t.target_variable,
                predicted=pred.value if pred else None,
                predicted_at=pred.ts if pred else None,
                level=pred.worst_level()[0] if pred else None,
                open_alerts=int(counts.get(t.id, 0)),
                level_source=pred.worst_level()[1] if pred else None,
                predicted_level=pred.level if pred else None,
                measured_level=pred.measured_level if pred else None,
            )
        )
    return out
