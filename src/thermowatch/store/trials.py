"""Model trials: a challenger in shadow (predicts alongside the champion, never alerts) or in an
A/B experiment (a fraction of the fleet, by transformer, served by the challenger), and what a
model in shadow predicted."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import Connection, Engine, and_, or_, select

from thermowatch.store._sql import insert_ignore
from thermowatch.store.engine import write_transaction
from thermowatch.store.tables import model_trials, shadow_predictions

SHADOW, AB = "shadow", "ab"


@dataclass(frozen=True)
class Trial:
    """One challenger tried on one transformer from ``started_at`` to ``ends_at``."""

    id: int
    transformer_id: str
    model_id: str
    mode: str
    experiment: str | None
    arm: str | None
    started_at: datetime
    ends_at: datetime
    created_by: str

    @property
    def in_shadow(self) -> bool:
        """The challenger predicts alongside a champion that keeps serving (shadow, arm A)."""
        return self.mode == SHADOW or self.arm == "a"


def add_trial(
    conn: Connection, transformer_id: str, model_id: str, mode: str, started_at: datetime,
    ends_at: datetime, created_by: str, experiment: str | None = None, arm: str | None = None,
) -> int:  # fmt: skip
    """Record a trial in the caller's transaction; return its id."""
    row = {"transformer_id": transformer_id, "model_id": model_id, "mode": mode,
           "experiment": experiment, "arm": arm, "started_at": started_at, "ends_at": ends_at,
           "created_by": created_by}  # fmt: skip
    return int(conn.execute(model_trials.insert().values(**row)).inserted_primary_key[0])


def trials(
    engine: Engine, *, active_at: datetime | None = None, experiment: str | None = None,
    model_id: str | None = None,
) -> list[Trial]:  # fmt: skip
    """Trials, oldest first, optionally only those running at ``active_at``, of one A/B
    experiment, or of one model."""
    c = model_trials.c
    q = select(model_trials).order_by(c.id)
    if active_at is not None:
        q = q.where(c.started_at <= active_at, c.ends_at > active_at)
    if experiment is not None:
        q = q.where(c.experiment == experiment)
    if model_id is not None:
        q = q.where(c.model_id == model_id)
    with engine.connect() as conn:
        return [Trial(**r._asdict()) for r in conn.execute(q)]


def write_shadow_predictions(engine: Engine, rows: Sequence[dict]) -> None:
    """Store shadow predictions (``transformer_id, ts, model_id, value, lower, upper``); a row
    already stored is left as it was (the same reading delivered twice)."""
    if rows:
        with write_transaction(engine) as conn:
            conn.execute(insert_ignore(shadow_predictions, conn), list(rows))


def shadow_frame(
    engine: Engine, transformer_id: str, model_id: str, start: datetime, end: datetime
) -> pd.DataFrame:
    """Shadow predictions of one model for instants in ``[start, end)``, indexed by UTC
    ``timestamp``; columns ``value``, ``lower``, ``upper`` [°C]."""
    c = shadow_predictions.c
    q = (
        select(c.ts, c.value, c.lower, c.upper)
        .where(c.transformer_id == transformer_id, c.model_id == model_id,
               c.ts >= start, c.ts < end)
        .order_by(c.ts)
    )  # fmt: skip
    with engine.connect() as conn:
        rows = conn.execute(q).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=["timestamp", "value", "lower", "upper"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    return frame.set_index("timestamp").astype("float64")


def shadowed_transformers(engine: Engine, at: datetime, ids: Iterable[str] | None = None
                          ) -> dict[str, list[str]]:  # fmt: skip
    """``transformer_id -> [model ids in shadow]`` at ``at`` (shadow trials and A/B arm A)."""
    c = model_trials.c
    q = select(c.transformer_id, c.model_id).where(
        c.started_at <= at, c.ends_at > at,
        or_(c.mode == SHADOW, and_(c.mode == AB, c.arm == "a")),
    )  # fmt: skip
    if ids is not None:
        q = q.where(c.transformer_id.in_(list(ids)))
    out: dict[str, list[str]] = {}
    with engine.connect() as conn:
        for tid, mid in conn.execute(q):
            out.setdefault(tid, []).append(mid)
    return out
