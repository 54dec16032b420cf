"""Predictions: what a model said the temperature would be, with its interval and level."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, select

from thermowatch.store._sql import insert_ignore, unknown_transformer_is_not_found
from thermowatch.store.engine import write_transaction
from thermowatch.store.tables import predictions


@dataclass(frozen=True)
class Prediction:
    """One prediction.

    Attributes
    ----------
    transformer_id : the transformer's id.
    ts : the instant predicted (aware, stored UTC).
    model_id : id of the model version that predicted it.
    value : predicted temperature [°C].
    lower, upper : prediction interval [°C], when the model gives one.
    level : alert level of the prediction (e.g. ``"NORMAL"``, ``"ALERTE"``, ``"CRITIQUE"``).
    measured, measured_level : the measured target at that instant [°C] and its level, when
        the live pipeline had a good one.
    """

    transformer_id: str
    ts: datetime
    model_id: str
    value: float
    lower: float | None = None
    upper: float | None = None
    level: str | None = None
    measured: float | None = None
    measured_level: str | None = None

    def worst_level(self) -> tuple[str | None, str | None]:
        """``(level, "measured" | "predicted")``: the worse of the two levels and which it is
        (the measurement wins a tie: it is what the transformer really does)."""
        from thermowatch.learn.levels import UNKNOWN, worst_of

        level, which = worst_of(self.measured_level, self.level)
        return (None, None) if level == UNKNOWN else (level, which)


def write_predictions(engine: Engine, rows: Iterable[Prediction]) -> int:
    """Store predictions in one transaction; a (transformer, ts, model) already stored is kept.

    Returns the number newly stored.
    """
    params = [vars(p) for p in rows]
    if not params:
        return 0
    ids = ", ".join(sorted({p["transformer_id"] for p in params}))
    with unknown_transformer_is_not_found(ids), write_transaction(engine) as conn:
        return insert_predictions(conn, params)


def insert_predictions(conn: Connection, params: list[dict[str, Any]]) -> int:
    """Insert prediction rows (dicts of the table's columns) inside the caller's transaction;
    a (transformer, ts, model) already stored is kept. Returns the number newly stored."""
    if not params:
        return 0
    # RETURNING counts what was inserted on both dialects (executemany rowcount may be -1).
    stmt = insert_ignore(predictions, conn).returning(predictions.c.ts)
    return len(conn.execute(stmt, params).all())


def predictions_frame(
    engine: Engine,
    transformer_id: str,
    start: datetime,
    end: datetime,
    model_id: str | None = None,
) -> pd.DataFrame:
    """Predictions of one transformer for instants in ``[start, end)``.

    Returns
    -------
    DataFrame
        Indexed by UTC ``timestamp``; columns ``model_id``, ``value``, ``lower``, ``upper``,
        ``level`` [°C for the numbers].
    """
    c = predictions.c
    q = (
        select(c.ts, c.model_id, c.value, c.lower, c.upper, c.level)
        .where(c.transformer_id == transformer_id, c.ts >= start, c.ts < end)
        .order_by(c.ts, c.model_id)
    )
    if model_id is not None:
        q = q.where(c.model_id == model_id)
    with engine.connect() as conn:
        rows = conn.execute(q).all()
    cols = ["timestamp", "model_id", "value", "lower", "upper", "level"]
    frame = pd.DataFrame([tuple(r) for r in rows], columns=cols)
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    for col in ("value", "lower", "upper"):
        frame[col] = frame[col].astype("float64")
    return frame.set_index("timestamp")


def latest_prediction(
    engine: Engine, transformer_id: str, at_or_before: datetime | None = None
) -> Prediction | None:
    """The prediction for the newest instant not after ``at_or_before`` (default: now)."""
    c = predictions.c
    q = (
        select(predictions)
        .where(c.transformer_id == transformer_id)
        .where(c.ts <= (at_or_before or datetime.now(UTC)))
        .order_by(c.ts.desc())
        .limit(1)
    )
    with engine.connect() as conn:
        row = conn.execute(q).first()
    return Prediction(**row._asdict()) if row else None
