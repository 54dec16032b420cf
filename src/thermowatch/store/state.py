"""Each transformer's state as the live pipeline computed it, and the readers every screen uses.

The live pipeline computes a transformer's state once per reading batch (thresholds in force,
measured and predicted levels, the worse and which, the earliest future forecast crossing) and
:func:`upsert_states` stores it in the batch's transaction. The API, ``status``, the dashboard
and the alert texts read it back with :func:`read_states`, with the open alarms counted by
ISA-18.2 state from the ``alerts`` table: none of them levels a value or picks a threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, or_, select

from thermowatch.store._sql import id_chunks, upsert
from thermowatch.store.engine import write_transaction
from thermowatch.store.tables import alerts, transformer_state
from thermowatch.store.types import from_micros

#: The columns of a state row of a live batch, in order (times as microseconds UTC).
STATE_COLUMNS = (
    "transformer_id", "ts", "alerte_c", "critique_c", "thresholds_rule", "measured_c",
    "measured_level", "predicted_c", "predicted_level", "level", "level_source",
    "crossing_level", "crossing_at", "forecast_source", "model_id", "extrapolating",
)  # fmt: skip

#: ISA-18.2 alarm states, as :func:`alarm_state` names them.
UNACKNOWLEDGED = "unacknowledged"
ACKNOWLEDGED = "acknowledged"
RETURNED = "returned_to_normal"  # resolved before anyone acknowledged it: still to see
SHELVED = "shelved"
CLEARED = "cleared"  # resolved and acknowledged: history
ALARM_STATES = (UNACKNOWLEDGED, ACKNOWLEDGED, RETURNED, SHELVED)


def alarm_state(alert: Any, now: datetime | None = None) -> str:
    """The ISA-18.2 state of an alarm row (``acknowledged_at``, ``resolved_at``,
    ``shelved_until``): shelving counts only until it expires."""
    now = now or datetime.now(UTC)
    shelved = getattr(alert, "shelved_until", None)
    if alert.resolved_at is None and shelved is not None and shelved > now:
        return SHELVED
    if alert.resolved_at is not None:
        return CLEARED if alert.acknowledged_at is not None else RETURNED
    return ACKNOWLEDGED if alert.acknowledged_at is not None else UNACKNOWLEDGED


@dataclass(frozen=True)
class TransformerState:
    """One transformer's stored state (temperatures [°C], times aware UTC)."""

    transformer_id: str
    ts: datetime | None
    updated_at: datetime
    alerte_c: float
    critique_c: float
    thresholds_rule: str
    measured_c: float | None
    measured_level: str | None
    predicted_c: float | None
    predicted_level: str | None
    level: str
    level_source: str
    crossing_level: str | None
    crossing_at: datetime | None
    forecast_source: str | None
    model_id: str | None
    #: The prediction at ``ts`` lies outside the model's domain of validity (inputs or
    #: seasons its training never saw): its interval is widened and the physics leads.
    extrapolating: bool = False
    alarms: dict[str, int] = field(default_factory=dict)  # open alarms by ISA-18.2 state
    worst_alarm: str | None = None  # the most severe level among active alarms

    @property
    def thresholds(self) -> dict[str, float]:
        """``{"alerte_c": .., "critique_c": ..}`` [°C], the one spelling."""
        return {"alerte_c": self.alerte_c, "critique_c": self.critique_c}

    def as_thresholds(self) -> Any:
        """The thresholds in force as :class:`~thermowatch.learn.result.Thresholds`."""
        from thermowatch.learn.result import Thresholds

        return Thresholds(self.alerte_c, self.critique_c, self.thresholds_rule)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict (ISO-8601 times)."""
        return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in asdict(self).items()}


def upsert_states(conn: Connection, rows: list[list[Any]]) -> int:
    """Store the newest state row of each transformer of a batch (``STATE_COLUMNS`` lists),
    inside the caller's transaction; an older row than the one stored (a late batch) is kept
    out. Returns the number of transformers given."""
    newest: dict[str, dict[str, Any]] = {}
    for row in rows:
        values = dict(zip(STATE_COLUMNS, row, strict=True))
        old = newest.get(values["transformer_id"])
        if old is None or values["ts"] >= old["ts"]:
            newest[values["transformer_id"]] = values
    if not newest:
        return 0
    now = datetime.now(UTC)
    params = []
    for values in newest.values():
        values["ts"] = from_micros(values["ts"])
        values["crossing_at"] = (
            None if values["crossing_at"] is None else from_micros(values["crossing_at"])
        )
        params.append({**values, "updated_at": now})
    c = transformer_state.c
    stmt = upsert(transformer_state, conn, ["transformer_id"],
                  where=lambda new: or_(c.ts.is_(None), c.ts <= new.ts))  # fmt: skip
    conn.execute(stmt, params)
    return len(params)


def save_thresholds(engine: Engine, transformer_id: str, alerte_c: float, critique_c: float,
                    rule: str) -> None:  # fmt: skip
    """Store the thresholds resolved for a transformer before its first reading (the monitor at
    start); a state already stored keeps its levels, its thresholds are replaced."""
    save_thresholds_many(engine, [(transformer_id, alerte_c, critique_c, rule)])


def save_thresholds_many(engine: Engine, rows: Sequence[tuple[str, float, float, str]]) -> None:
    """:func:`save_thresholds` for many ``(transformer_id, alerte_c, critique_c, rule)``, in
    one transaction (a monitor starting 10,000 transformers)."""
    if not rows:
        return
    now = datetime.now(UTC)
    params = [{"transformer_id": tid, "ts": None, "updated_at": now, "alerte_c": alerte,
               "critique_c": critique, "thresholds_rule": rule, "level": "UNKNOWN",
               "level_source": "none"} for tid, alerte, critique, rule in rows]  # fmt: skip
    keep = ["alerte_c", "critique_c", "thresholds_rule", "updated_at"]
    with write_transaction(engine) as conn:
        conn.execute(upsert(transformer_state, conn, ["transformer_id"], only=keep), params)


def _alarm_counts(conn: Connection, ids: list[str] | None, now: datetime) -> dict[str, dict]:
    """Per transformer: active/returned alarms by ISA-18.2 state, and the worst active level."""
    from thermowatch.learn.levels import worse

    a = alerts.c
    q = select(a.transformer_id, a.level, a.acknowledged_at, a.resolved_at, a.shelved_until).where(
        or_(a.resolved_at.is_(None), and_(a.resolved_at.is_not(None), a.acknowledged_at.is_(None)))
    )
    if ids is not None:
        q = q.where(a.transformer_id.in_(ids))
    out: dict[str, dict] = {}
    for r in conn.execute(q):
        entry = out.setdefault(r.transformer_id, {"alarms": {}, "worst": None})
        st = alarm_state(r, now)
        entry["alarms"][st] = entry["alarms"].get(st, 0) + 1
        if st in (UNACKNOWLEDGED, ACKNOWLEDGED):
            entry["worst"] = worse(entry["worst"], r.level)
    return out


def read_states(
    engine: Engine, ids: list[str] | None = None, now: datetime | None = None
) -> dict[str, TransformerState]:
    """The stored state of every transformer (or of ``ids``), with its alarms, in two queries."""
    now = now or datetime.now(UTC)
    q = select(transformer_state)
    if ids is not None:
        q = q.where(transformer_state.c.transformer_id.in_(ids))
    with engine.connect() as conn:
        rows = conn.execute(q).all()
        counts = _alarm_counts(conn, ids, now)
    out = {}
    for r in rows:
        extra = counts.get(r.transformer_id, {"alarms": {}, "worst": None})
        out[r.transformer_id] = TransformerState(
            **r._asdict(), alarms=extra["alarms"], worst_alarm=extra["worst"]
        )
    return out


def read_state_in(conn: Connection, transformer_id: str) -> TransformerState | None:
    """One transformer's stored state inside the caller's transaction, without its alarm
    counts: what an alert text quotes (the batch that raised the alert stored it first)."""
    return read_states_in(conn, [transformer_id]).get(transformer_id)


def read_states_in(conn: Connection, ids: Sequence[str]) -> dict[str, TransformerState]:
    """:func:`read_state_in` of many transformers in one query per chunk of ids."""
    out: dict[str, TransformerState] = {}
    for chunk in id_chunks(ids):
        q = select(transformer_state).where(transformer_state.c.transformer_id.in_(chunk))
        for row in conn.execute(q):
            out[row.transformer_id] = TransformerState(**row._asdict())
    return out


def read_state(engine: Engine, transformer_id: str) -> TransformerState | None:
    """One transformer's stored state (``None`` before its thresholds were resolved)."""
    return read_states(engine, [transformer_id]).get(transformer_id)


def unacknowledged_critical(engine: Engine, now: datetime | None = None) -> int:
    """Unacknowledged CRITIQUE alarms, active or returned to normal, not shelved (the banner)."""
    now = now or datetime.now(UTC)
    from thermowatch.learn.levels import Level

    a = alerts.c
    q = select(func.count()).where(
        a.level == Level.CRITIQUE.name,
        a.acknowledged_at.is_(None),
        or_(a.shelved_until.is_(None), a.shelved_until <= now, a.resolved_at.is_not(None)),
    )
    with engine.connect() as conn:
        return int(conn.scalar(q) or 0)
